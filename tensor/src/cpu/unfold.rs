//! How a conv kernel unfolds its images into `cols` ([`Unfold`]): by row runs, or, for
//! images with short rows, through a table of patch offsets.
//!
//! The row-run kernels of [`super::conv`] copy one run of an input row per (kernel offset,
//! output row). For a small image (the CoopNets and generator nets: rows of 4 to 14 pixels)
//! each run is a handful of floats, and finding it (bounds, a division, a call to `memcpy`)
//! costs more than copying it: im2col took a third of a 14×14 layer's forward pass.
//!
//! Here one table, built once per call, says where every entry of `cols` comes from:
//! `table[kk·P + p]` is the offset, in one input channel's plane, of the pixel that kernel
//! offset `kk` (= kd, kh, kw) reads for output position `p`, or `plane` where that pixel lies
//! in the padding. Each channel is copied into a buffer with one zero appended at `plane`, so
//! that im2col is a branch-free gather
//!
//! ```text
//! cols[c·kl + kk, p] = x̃_c[table[kk·P + p]]        x̃_c = (x_c, 0)
//! ```
//!
//! and col2im its adjoint, a scatter-add into x̃_c whose padding entries all land on the
//! appended slot and are thrown away. Both visit (kk, p) in the same order as the row-run
//! kernels, so every sum is formed in the same order and results are bit-identical to theirs.

use super::conv::{col2im_add, im2col, ConvGeom};

/// im2col and col2im for one kernel call: chosen once per call from the geometry.
pub(crate) enum Unfold {
    /// [`super::conv::im2col`] and [`super::conv::col2im_add`], one run of an input row at a time.
    Runs,
    /// A [`PatchTable`], for short output rows ([`SHORT_ROW`], [`SHORT_STRIDED_ROW`]).
    Table(PatchTable),
}

impl Unfold {
    pub(crate) fn new(g: &ConvGeom) -> Self {
        PatchTable::for_short_rows(g).map_or(Unfold::Runs, Unfold::Table)
    }

    /// Unfold image `x` (C_in × D × H × W) for output rows `rows` into `cols[K, rows·OW]`,
    /// rows of `cols` `ld` apart.
    pub(crate) fn im2col(&self, g: &ConvGeom, x: &[f32], rows: std::ops::Range<usize>, cols: &mut [f32], ld: usize) {
        match self {
            Unfold::Runs => im2col(g, x, rows, cols, ld),
            Unfold::Table(t) => t.im2col(x, positions(g, rows), cols, ld),
        }
    }

    /// The adjoint of [`Self::im2col`]: add `cols` onto the pixels of `x` it was read from.
    pub(crate) fn col2im_add(
        &self,
        g: &ConvGeom,
        cols: &[f32],
        rows: std::ops::Range<usize>,
        x: &mut [f32],
        ld: usize,
    ) {
        match self {
            Unfold::Runs => col2im_add(g, cols, rows, x, ld),
            Unfold::Table(t) => t.col2im_add(cols, positions(g, rows), x, ld),
        }
    }
}

/// The output positions of output rows `rows`.
fn positions(g: &ConvGeom, rows: std::ops::Range<usize>) -> std::ops::Range<usize> {
    rows.start * g.output[2]..rows.end * g.output[2]
}

/// Output rows shorter than this go through a patch table (measured on the bench layers: at
/// 4 to 14 pixels the table is faster whatever the stride; at 72 the runs, which are `memcpy`
/// at stride 1, are 1.3–1.5× faster)...
const SHORT_ROW: usize = 16;
/// ... and so do strided rows shorter than this (at stride 2 a run is an element loop: rows
/// of 16 and 32 pixels, the ABP generator's last layers, are 5–10% faster with the table).
const SHORT_STRIDED_ROW: usize = 40;

/// Offsets of every patch element of one image, per kernel offset and output position.
pub(crate) struct PatchTable {
    offsets: Vec<u32>,
    /// Input pixels per channel; also the offset of the appended zero.
    plane: usize,
    /// Output positions per image.
    p: usize,
}

impl PatchTable {
    /// The table for `g`, when its output rows are short enough to need one, it has pixels to
    /// read and write, and its offsets fit in 32 bits.
    fn for_short_rows(g: &ConvGeom) -> Option<Self> {
        let plane: usize = g.input.iter().product();
        let entries = g.kernel.iter().product::<usize>() * g.p();
        let short = g.output[2] < SHORT_ROW || (g.stride[2] > 1 && g.output[2] < SHORT_STRIDED_ROW);
        let fits = plane > 0 && g.p() > 0 && plane < u32::MAX as usize && entries <= 1 << 24;
        (short && fits).then(|| Self::new(g, plane))
    }

    fn new(g: &ConvGeom, plane: usize) -> Self {
        let mut offsets = Vec::with_capacity(g.kernel.iter().product::<usize>() * g.p());
        // input coordinate read along axis a at output o and kernel offset k, if inside
        let at = |a: usize, o: usize, k: usize| (o * g.stride[a] + k).checked_sub(g.pad[a]).filter(|&i| i < g.input[a]);
        for kd in 0..g.kernel[0] {
            for kh in 0..g.kernel[1] {
                for kw in 0..g.kernel[2] {
                    for od in 0..g.output[0] {
                        for oh in 0..g.output[1] {
                            for ow in 0..g.output[2] {
                                let offset = match (at(0, od, kd), at(1, oh, kh), at(2, ow, kw)) {
                                    (Some(d), Some(h), Some(w)) => (d * g.input[1] + h) * g.input[2] + w,
                                    _ => plane,
                                };
                                offsets.push(offset as u32);
                            }
                        }
                    }
                }
            }
        }
        PatchTable { offsets, plane, p: g.p() }
    }

    /// [`im2col`] for output positions `ps` of image `x` (C_in planes): rows of
    /// `cols` are `ld` apart.
    fn im2col(&self, x: &[f32], ps: std::ops::Range<usize>, cols: &mut [f32], ld: usize) {
        debug_assert_eq!(x.len() % self.plane, 0, "whole channel planes");
        with_extended(self.plane, |ext| {
            let mut krow = 0;
            for xc in x.chunks_exact(self.plane) {
                ext[..self.plane].copy_from_slice(xc);
                for offsets in self.offsets.chunks_exact(self.p) {
                    let dst = &mut cols[krow * ld..krow * ld + ps.len()];
                    for (d, &o) in dst.iter_mut().zip(&offsets[ps.clone()]) {
                        *d = ext[o as usize];
                    }
                    krow += 1;
                }
            }
        });
    }

    /// [`col2im_add`]: add `cols` (positions `ps`, rows `ld` apart) onto the
    /// input pixels they were read from, in image `x` (C_in planes).
    fn col2im_add(&self, cols: &[f32], ps: std::ops::Range<usize>, x: &mut [f32], ld: usize) {
        debug_assert_eq!(x.len() % self.plane, 0, "whole channel planes");
        with_extended(self.plane, |ext| {
            let mut krow = 0;
            for xc in x.chunks_exact_mut(self.plane) {
                ext[..self.plane].copy_from_slice(xc);
                for offsets in self.offsets.chunks_exact(self.p) {
                    let src = &cols[krow * ld..krow * ld + ps.len()];
                    for (&s, &o) in src.iter().zip(&offsets[ps.clone()]) {
                        ext[o as usize] += s;
                    }
                    krow += 1;
                }
                xc.copy_from_slice(&ext[..self.plane]);
            }
        });
    }
}

thread_local! {
    /// One channel plane and the zero after it, per thread: reused by every call, so a
    /// Langevin step allocates nothing here (the callers hold the other scratch, `cols`).
    static EXTENDED: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's buffer of `plane + 1` floats, its last one zero.
fn with_extended<R>(plane: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    EXTENDED.with(|e| {
        let mut e = e.borrow_mut();
        e.resize(plane + 1, 0.0);
        e[plane] = 0.0;
        f(&mut e[..plane + 1])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(c_in: usize, input: [usize; 3], kernel: [usize; 3], stride: [usize; 3], pad: [usize; 3]) -> ConvGeom {
        let output = [0, 1, 2].map(|a| (input[a] + 2 * pad[a] - kernel[a]) / stride[a] + 1);
        ConvGeom { n: 1, c_in, c_out: 1, input, kernel, output, stride, pad }
    }

    #[test]
    fn the_patch_table_unfolds_and_folds_bit_for_bit_like_the_row_runs() {
        let cases = [
            geom(3, [1, 14, 14], [1, 4, 4], [1, 2, 2], [0, 1, 1]),
            geom(2, [1, 9, 7], [1, 3, 3], [1, 1, 1], [0, 1, 1]),
            geom(2, [3, 6, 5], [2, 3, 3], [1, 2, 1], [1, 1, 0]),
            geom(1, [1, 1, 17], [1, 1, 4], [1, 1, 3], [0, 0, 2]),
        ];
        for g in cases {
            let table = PatchTable::for_short_rows(&g).expect("short rows");
            let x: Vec<f32> = (0..g.input_len()).map(|i| (i as f32 * 0.37).sin()).collect();
            let (k, p) = (g.k(), g.p());
            // a tile of rows in the middle (all rows of a 1-d input), into a wider matrix (ld > width)
            let rows = if g.rows() > 2 { 1..g.rows() - 1 } else { 0..g.rows() };
            let ps = positions(&g, rows.clone());
            let ld = ps.len() + 3;
            let (mut by_runs, mut by_table) = (vec![9.0; k * ld], vec![9.0; k * ld]);
            im2col(&g, &x, rows.clone(), &mut by_runs, ld);
            table.im2col(&x, ps.clone(), &mut by_table, ld);
            assert_eq!(by_runs, by_table, "im2col {g:?}");
            let cols: Vec<f32> = (0..k * ld).map(|i| (i as f32 * 0.11).cos()).collect();
            let (mut dx_runs, mut dx_table) = (x.clone(), x.clone());
            col2im_add(&g, &cols, rows.clone(), &mut dx_runs, ld);
            table.col2im_add(&cols, ps, &mut dx_table, ld);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&dx_runs), bits(&dx_table), "col2im {g:?}");
            assert!(p > 0 && dx_runs != x, "the fold added something");
        }
    }
}
