//! Register tiles of a convolution's weight gradient: G groups of W neighbouring taps × V
//! registers of 16 output channels, accumulated over runs of positions.
//!
//! The weight gradient of a stride-1 convolution read from a zero-padded grid
//! ([`super::conv_direct`]) is, for each output channel co and each (input channel, tap),
//!
//! ```text
//! dW[co, (c, tw)] = Σ_o dyᵀ[o, co] · xp[c, o + off + tw]
//! ```
//!
//! For one group (c, and the taps along depth and height: one offset `off`), the W taps along
//! the width read the padded map at W neighbouring floats: one pointer and W broadcasts at
//! fixed distances, no `cols` matrix. The output channels are the lanes: V registers of dyᵀ's
//! row o (dy transposed once per image, so a row is contiguous). A step loads V registers and
//! broadcasts G·W numbers for G·W·V fused multiply-adds (5 taps × 4 registers: 9 loads for 20,
//! as the forward tiles). The accumulators start from `out` and end in it, so a tile can run
//! over positions in pieces (rows of the output, images of a batch) and each entry is still
//! one chain of FMAs in the order of the positions: its bits do not depend on the pieces.

use super::tile::T;

/// Floats of a tile's accumulators: G·W rows of 16V, at most 28 registers.
pub const OUT: usize = T * 28;

/// One tile kernel: `bases` (G group pointers), runs `(f, b, k)` of positions, dyᵀ's row
/// stride `ldb`, the accumulators.
pub type TapsFn = unsafe fn(&[*const f32], &[(usize, *const f32, usize)], usize, &mut [f32; OUT]);

/// The kernels there are, by (taps W, registers V), with their group count G: the most groups
/// whose G·W·V accumulators, V registers of dyᵀ and a broadcast fit the 32 registers, at most
/// 4 (a group pointer each, besides dyᵀ's and the counters, in the 16 general registers).
#[rustfmt::skip]
pub const TAPS_SHAPES: [(usize, usize, usize, TapsFn); 16] = [
    (2, 1, 4, tile_taps::<4, 2, 1>), (2, 2, 4, tile_taps::<4, 2, 2>),
    (2, 3, 4, tile_taps::<4, 2, 3>), (2, 4, 3, tile_taps::<3, 2, 4>),
    (3, 1, 4, tile_taps::<4, 3, 1>), (3, 2, 4, tile_taps::<4, 3, 2>),
    (3, 3, 3, tile_taps::<3, 3, 3>), (3, 4, 2, tile_taps::<2, 3, 4>),
    (4, 1, 4, tile_taps::<4, 4, 1>), (4, 2, 3, tile_taps::<3, 4, 2>),
    (4, 3, 2, tile_taps::<2, 4, 3>), (4, 4, 1, tile_taps::<1, 4, 4>),
    (5, 1, 4, tile_taps::<4, 5, 1>), (5, 2, 2, tile_taps::<2, 5, 2>),
    (5, 3, 1, tile_taps::<1, 5, 3>), (5, 4, 1, tile_taps::<1, 5, 4>),
];

/// The kernels of this CPU: [`TAPS_SHAPES`] with AVX-512, [`super::tile_avx2::TAPS_SHAPES`]
/// (V = 1 only) with AVX2.
pub fn taps_shapes() -> &'static [(usize, usize, usize, TapsFn)] {
    #[cfg(target_arch = "x86_64")]
    if !super::tile::wide() {
        return &super::tile_avx2::TAPS_SHAPES;
    }
    &TAPS_SHAPES
}

/// The most registers of 16 output channels one tile holds on this CPU.
pub fn max_vectors() -> usize {
    taps_shapes().iter().map(|s| s.1).max().unwrap_or(1)
}

/// The kernel and group count for W taps and V registers, if there is one.
pub fn taps_for(w: usize, v: usize) -> Option<(usize, TapsFn)> {
    taps_shapes().iter().find(|s| (s.0, s.1) == (w, v)).map(|s| (s.2, s.3))
}

/// `out[((g·W + t)·V + v)·16 + l] += Σ_(f, b, k) Σ_p<k bases[g][f + p + t] · b[p·ldb + 16v + l]`.
///
/// # Safety
/// [`super::tile::available`] holds; `bases` holds G pointers, each
/// readable at `f + p + t` for every run and p < k, t < W; every `b` readable for 16V floats at
/// each `p·ldb`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn tile_taps<const G: usize, const W: usize, const V: usize>(
    bases: &[*const f32],
    runs: &[(usize, *const f32, usize)],
    ldb: usize,
    out: &mut [f32; OUT],
) {
    use std::arch::x86_64::*;
    const { assert!(G * W * V <= 28 && G * W * V + V < 32 && G <= 4) };
    let o = out.as_mut_ptr();
    let mut acc: [[[__m512; V]; W]; G] = std::array::from_fn(|g| {
        std::array::from_fn(|t| std::array::from_fn(|v| _mm512_loadu_ps(o.add(((g * W + t) * V + v) * T))))
    });
    for &(f, b, k) in runs {
        for p in 0..k {
            let bp = b.add(p * ldb);
            let bv: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(bp.add(v * T)));
            for (g, taps) in acc.iter_mut().enumerate() {
                let ap = bases[g].add(f + p);
                for (t, row) in taps.iter_mut().enumerate() {
                    let a = _mm512_set1_ps(*ap.add(t));
                    for (c, &b) in row.iter_mut().zip(&bv) {
                        *c = _mm512_fmadd_ps(a, b, *c);
                    }
                }
            }
        }
    }
    for (g, taps) in acc.iter().enumerate() {
        for (t, row) in taps.iter().enumerate() {
            for (v, c) in row.iter().enumerate() {
                _mm512_storeu_ps(o.add(((g * W + t) * V + v) * T), *c);
            }
        }
    }
}

/// Never called: AVX-512 is checked first, and there is none off x86-64.
///
/// # Safety
/// None needed; it panics.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn tile_taps<const G: usize, const W: usize, const V: usize>(
    _: &[*const f32],
    _: &[(usize, *const f32, usize)],
    _: usize,
    _: &mut [f32; OUT],
) {
    unreachable!("tile_taps() needs AVX-512")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape against the naive sums, over two runs of positions and accumulators that
    /// start from nonzero values (a register stored in the wrong place fails).
    #[test]
    fn every_taps_shape_accumulates_its_runs() {
        if !super::super::tile::available() {
            eprintln!("skipped: this CPU has neither AVX-512F nor AVX2 with FMA");
            return;
        }
        let data = |len: usize, seed: f32| (0..len).map(|i| ((i as f32 + seed) * 0.37).sin()).collect::<Vec<f32>>();
        let (ldb, x) = (70, data(400, 1.0));
        let dyt = data(ldb * 12, 2.0);
        for &(w, v, g, kernel) in taps_shapes() {
            let bases: Vec<*const f32> = (0..g).map(|i| x[i * 50..].as_ptr()).collect();
            // runs: positions 0..5 at f = 3, then 7 more at f = 20 (dyᵀ rows 5..12)
            let runs = [(3, dyt.as_ptr(), 5), (20, dyt[5 * ldb..].as_ptr(), 7)];
            let start = data(OUT, 3.0);
            let mut out: [f32; OUT] = std::array::from_fn(|i| start[i]);
            // SAFETY: CPU checked; bases read up to 150 + 27 + 4 < 400, dyᵀ 12 rows of 70.
            unsafe { kernel(&bases, &runs, ldb, &mut out) };
            for gi in 0..g {
                for t in 0..w {
                    for l in 0..16 * v {
                        let at = ((gi * w + t) * v) * T + l;
                        let sum: f64 = runs
                            .iter()
                            .enumerate()
                            .flat_map(|(r, &(f, _, k))| (0..k).map(move |p| (r * 5 + p, f + p)))
                            .map(|(row, pos)| f64::from(x[gi * 50 + pos + t]) * f64::from(dyt[row * ldb + l]))
                            .sum();
                        let want = f64::from(start[at]) + sum;
                        assert!(
                            (f64::from(out[at]) - want).abs() < 1e-5,
                            "{g}×{w}×{v}: out[{at}] {} vs {want}",
                            out[at]
                        );
                    }
                }
            }
        }
    }
}
