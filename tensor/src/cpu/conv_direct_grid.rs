//! The grid of [`super::conv_direct`]: how its coordinates map onto a map (stride phases and
//! padding, [`Side`]), and how wide its lines need to be ([`grid_width`]).

/// How grid coordinates map onto a map, along each axis: `coord = stride·q + phase − before`,
/// one phase per channel of the grid (grid channel = phase · map channels + map channel, so
/// that the channels of one phase are contiguous).
#[derive(Clone, Copy)]
pub(super) struct Side {
    pub dims: [usize; 3],
    pub stride: [usize; 3],
    pub before: [usize; 3],
}

impl Side {
    pub fn phases(&self) -> usize {
        self.stride.iter().product()
    }
    /// The phase along each axis of phase number `index`.
    pub fn phase(&self, index: usize) -> [usize; 3] {
        let [_, sh, sw] = self.stride;
        [index / (sh * sw), index / sw % sh, index % sw]
    }
    /// The map coordinate of grid coordinate `q` on `axis` in phase `ph`, if inside the map.
    pub fn coord(&self, axis: usize, q: usize, ph: usize) -> Option<usize> {
        (self.stride[axis] * q + ph).checked_sub(self.before[axis]).filter(|&c| c < self.dims[axis])
    }
    /// The grid coordinates on `axis` whose map coordinate lies inside the map in phase `a`:
    /// `stride·q + a − before ∈ [0, dims)`.
    pub fn inside(&self, axis: usize, a: usize) -> std::ops::Range<usize> {
        let (s, before, w) = (self.stride[axis], self.before[axis], self.dims[axis]);
        before.saturating_sub(a).div_ceil(s)..(w + before).saturating_sub(a).div_ceil(s)
    }
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }
    pub fn identity(&self) -> bool {
        self.stride == [1, 1, 1] && self.before == [0, 0, 0]
    }
}

/// The width of a grid line read from `read` for `out` outputs of `taps` taps along the width.
/// `out + taps − 1` columns hold every tap of every output, but a read past the line's end
/// wraps into the next line's first columns: where those are the left padding in every phase,
/// and the columns the read stands for the right padding, it reads the same zero. So the lines
/// share their padding: a 5×5 'same' convolution of a 40-wide map runs 42 columns per line
/// instead of 44, 40 of them outputs; a 3×3 one with padding 2 runs its 42 outputs on 42
/// columns. The numbers read are the same, and so are the results (the texture net's layers at
/// 128²: 2–17% faster, stop 44).
pub fn grid_width(read: &Side, out: usize, taps: usize) -> usize {
    let full = out + taps - 1;
    let cols = (0..read.phases()).map(|p| read.inside(2, read.phase(p)[2]));
    let (lo, hi) = cols.fold((usize::MAX, 0), |(lo, hi), c| (lo.min(c.start), hi.max(c.end)));
    out.max(hi).max(full.saturating_sub(lo)).min(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One axis of `w` columns, read at `stride` with `before` columns of padding.
    fn side(w: usize, stride: usize, before: usize) -> Side {
        Side { dims: [1, 1, w], stride: [1, 1, stride], before: [0, 0, before] }
    }

    #[test]
    fn lines_share_their_padding_where_both_sides_are_zero() {
        // 5×5 'same' on 40 columns: 44 columns hold every tap, 42 suffice (2 zeros shared)
        assert_eq!(grid_width(&side(40, 1, 2), 40, 5), 42);
        // 3×3 with padding 2: 42 outputs on 42 columns
        assert_eq!(grid_width(&side(40, 1, 2), 42, 3), 42);
        // no padding: nothing to share, every tap needs its column
        assert_eq!(grid_width(&side(40, 1, 0), 36, 5), 40);
        // asymmetric padding (3 before, 1 after): the line needs the wider one, 3
        assert_eq!(grid_width(&side(40, 1, 3), 40, 5), 43);
        // the texture net's 15×15 stride-3 layer on 128 columns, 5 taps per phase: phase 2
        // starts at grid column 0, so no column is padding in every phase
        assert_eq!(grid_width(&side(128, 3, 2), 40, 5), 44);
    }
}
