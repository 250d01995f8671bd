//! The register tiles of [`super::tile`] and [`super::tile_taps`] in 256-bit registers, for
//! CPUs with AVX2 and FMA but no AVX-512 (most laptops; Zen 1–3, Intel before Ice Lake).
//!
//! Every kernel computes exactly what its AVX-512 twin computes, and in the same order: each
//! output is one chain of fused multiply-adds in the order of the pairs (or runs) and of p, so
//! the bits are those of the AVX-512 kernels, of `matrixmultiply` and of any tile shape. Only
//! the register budget differs: 16 registers of 8 floats instead of 32 of 16. A "register of
//! 16 columns" of the AVX-512 kernels is two registers here, and a tile's rows are computed in
//! blocks of at most [`BLOCK_ROWS`]: 6 rows × 16 columns hold 12 accumulators, 2 registers of
//! `b` and one broadcast number (the classic 6 × 16 AVX2 kernel of BLIS and OpenBLAS), a step
//! 8 loads for 12 fused multiply-adds, which two load ports keep up with.

use std::arch::x86_64::*;

use super::tile::{TileFn, T};
use super::tile_taps::{TapsFn, OUT};

/// Rows of a block of V = 1: 12 accumulators + 2 + 1 of the 16 registers.
pub const BLOCK_ROWS: usize = 6;

/// The tile shapes for AVX2 (rows R, registers V of 16 columns): V = 1 only (one broadcast
/// per two fused multiply-adds; wider tiles do not fit the registers), and R up to 32 in
/// blocks of 5 or 6 rows, so that a layer's channels fill whole tiles (64 = 2 × 32, 100 =
/// 4 × 25, the 27 rows of a stride-3 input gradient one tile) and every block keeps 10 or 12
/// chains of FMAs in flight: 3 and 4 are for 3 and 4 channels and their multiples.
#[rustfmt::skip]
pub const TILE_SHAPES: [(usize, usize, TileFn); 15] = [
    (6, 1, tile_rows::<6, 1>), (5, 1, tile_rows::<5, 1>), (4, 1, tile_rows::<4, 1>),
    (3, 1, tile_rows::<3, 1>), (9, 1, tile_rows::<9, 1>), (10, 1, tile_rows::<10, 1>),
    (12, 1, tile_rows::<12, 1>), (16, 1, tile_rows::<16, 1>), (20, 1, tile_rows::<20, 1>),
    (24, 1, tile_rows::<24, 1>), (25, 1, tile_rows::<25, 1>), (27, 1, tile_rows::<27, 1>),
    (28, 1, tile_rows::<28, 1>), (30, 1, tile_rows::<30, 1>), (32, 1, tile_rows::<32, 1>),
];

/// The weight-gradient kernels for AVX2 by (taps W, registers V), with their group count G:
/// G·W·2 accumulators, 2 registers of dyᵀ and a broadcast in the 16 registers.
#[rustfmt::skip]
pub const TAPS_SHAPES: [(usize, usize, usize, TapsFn); 4] = [
    (2, 1, 3, tile_taps::<3, 2, 1>), (3, 1, 2, tile_taps::<2, 3, 1>),
    (4, 1, 1, tile_taps::<1, 4, 1>), (5, 1, 1, tile_taps::<1, 5, 1>),
];

/// One (a, b, k) of a tile's sum.
type Pair = (*const f32, *const f32, usize);

/// Two registers: 16 floats at `p`.
#[inline(always)]
pub(super) unsafe fn load16(p: *const f32) -> [__m256; 2] {
    [_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))]
}

/// Two registers stored as 16 floats at `p`.
#[inline(always)]
pub(super) unsafe fn store16(p: *mut f32, c: &[__m256; 2]) {
    _mm256_storeu_ps(p, c[0]);
    _mm256_storeu_ps(p.add(8), c[1]);
}

/// `row[v] += a · b[v]` for V registers of 16 columns: one broadcast number against the step's
/// row of `b`.
#[inline(always)]
pub(super) unsafe fn fma_row<const V: usize>(a: __m256, b: &[[__m256; 2]; V], row: &mut [[__m256; 2]; V]) {
    for (c, b) in row.iter_mut().zip(b) {
        c[0] = _mm256_fmadd_ps(a, b[0], c[0]);
        c[1] = _mm256_fmadd_ps(a, b[1], c[1]);
    }
}

/// `out[i·16V + l] = Σ_(a, b, k) Σ_p<k a[p·R + i]·b[p·ldb + l]` for i < R, l < 16V, as
/// [`super::tile::tile_rows`], in blocks of rows that fit the registers.
///
/// # Safety
/// AVX2 and FMA must be available; every `a` valid for `R·k` reads and every `b` for reads of
/// 16V floats at each `p·ldb`, p < k.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn tile_rows<const R: usize, const V: usize>(
    pairs: &[(*const f32, *const f32, usize)],
    ldb: usize,
    out: &mut [f32; T * 32],
) {
    rows_body::<R, V, _>(pairs.iter().copied(), ldb, out.as_mut_ptr())
}

/// [`super::tile::tile`]: 16 × 16, every pair `k` long, rows of `b` 16 apart.
///
/// # Safety
/// AVX2 and FMA must be available; every pointer valid for `16·k` reads.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn tile(pairs: &[(*const f32, *const f32)], k: usize, out: &mut [f32; T * T]) {
    rows_body::<T, 1, _>(pairs.iter().map(|&(a, b)| (a, b, k)), T, out.as_mut_ptr())
}

/// Steps of p that the blocks of a tile take in turn: 64 rows of `b` (4–8 KiB) stay in L1
/// while every block reads them.
const STEPS: usize = 64;

/// The rows of an R × V tile in blocks: 6 rows for V = 1, fewer for wider ones. The blocks
/// take turns over [`STEPS`] steps of each pair, each block's accumulators stored between
/// turns and loaded again: the chain of FMAs of each output goes on from the same float, so
/// the result is that of one pass, while `b` is read from L2 once, not once per block.
#[inline(always)]
unsafe fn rows_body<const R: usize, const V: usize, I: Iterator<Item = Pair>>(pairs: I, ldb: usize, out: *mut f32) {
    // as few blocks as fit, their rows as even as can be: 16 rows are 6 + 5 + 5, not 6 + 6 + 4
    // (an accumulator is a chain of FMAs 4 cycles long: 8 chains leave the two units waiting)
    let per = (BLOCK_ROWS / V).max(1);
    let blocks = R.div_ceil(per);
    let mut fresh = true;
    for (a, b, k) in pairs {
        for p0 in (0..k).step_by(STEPS) {
            let steps = (a, b, ldb, p0..k.min(p0 + STEPS));
            let mut i0 = 0;
            for bl in 0..blocks {
                let n = (R - i0).div_ceil(blocks - bl);
                let rows = (R, i0, fresh);
                match n {
                    6 => block::<6, V>(steps.clone(), rows, out),
                    5 => block::<5, V>(steps.clone(), rows, out),
                    4 => block::<4, V>(steps.clone(), rows, out),
                    3 => block::<3, V>(steps.clone(), rows, out),
                    2 => block::<2, V>(steps.clone(), rows, out),
                    _ => block::<1, V>(steps.clone(), rows, out),
                }
                i0 += n;
            }
            fresh = false;
        }
    }
    if fresh {
        std::ptr::write_bytes(out, 0, R * V * T);
    }
}

/// Steps `range` of one pair for rows `i0 .. i0 + B` of a tile of `r` rows (the panel of `a`
/// holds `r` numbers per p), the accumulators from `out` unless `fresh` (then from zero).
#[inline(always)]
unsafe fn block<const B: usize, const V: usize>(
    (a, b, ldb, range): (*const f32, *const f32, usize, std::ops::Range<usize>),
    (r, i0, fresh): (usize, usize, bool),
    out: *mut f32,
) {
    let at = |i: usize, v: usize| out.add(((i0 + i) * V + v) * T);
    let mut acc = [[[_mm256_setzero_ps(); 2]; V]; B];
    if !fresh {
        acc = std::array::from_fn(|i| std::array::from_fn(|v| load16(at(i, v))));
    }
    for p in range {
        let bp = b.add(p * ldb);
        let bv: [[__m256; 2]; V] = std::array::from_fn(|v| load16(bp.add(v * T)));
        let ap = a.add(p * r + i0);
        for (i, row) in acc.iter_mut().enumerate() {
            fma_row(_mm256_broadcast_ss(&*ap.add(i)), &bv, row);
        }
    }
    for (i, row) in acc.iter().enumerate() {
        row.iter().enumerate().for_each(|(v, c)| store16(at(i, v), c));
    }
}

/// [`super::tile_taps::tile_taps`]: `out[((g·W + t)·V + v)·16 + l] += Σ_(f, b, k) Σ_p<k
/// bases[g][f + p + t] · b[p·ldb + 16v + l]`, the accumulators starting from `out`.
///
/// # Safety
/// AVX2 and FMA must be available; as the AVX-512 kernel for the pointers.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn tile_taps<const G: usize, const W: usize, const V: usize>(
    bases: &[*const f32],
    runs: &[(usize, *const f32, usize)],
    ldb: usize,
    out: &mut [f32; OUT],
) {
    let o = out.as_mut_ptr();
    let at = |g: usize, t: usize, v: usize| o.add(((g * W + t) * V + v) * T);
    let mut acc: [[[[__m256; 2]; V]; W]; G] =
        std::array::from_fn(|g| std::array::from_fn(|t| std::array::from_fn(|v| load16(at(g, t, v)))));
    for &(f, b, k) in runs {
        for p in 0..k {
            let bp = b.add(p * ldb);
            let bv: [[__m256; 2]; V] = std::array::from_fn(|v| load16(bp.add(v * T)));
            for (g, taps) in acc.iter_mut().enumerate() {
                let ap = bases[g].add(f + p);
                for (t, row) in taps.iter_mut().enumerate() {
                    fma_row(_mm256_broadcast_ss(&*ap.add(t)), &bv, row);
                }
            }
        }
    }
    for (g, taps) in acc.iter().enumerate() {
        for (t, row) in taps.iter().enumerate() {
            row.iter().enumerate().for_each(|(v, c)| store16(at(g, t, v), c));
        }
    }
}

/// [`super::tile::gather_rows`]: `dst[r·16 + l] = src[r·stride + idx[l]]` for l < `width`, 0
/// beyond, r < `rows`.
///
/// # Safety
/// As the AVX-512 version's.
pub unsafe fn gather_rows(src: *const f32, stride: usize, idx: &[i32; T], width: usize, rows: usize, dst: *mut f32) {
    for r in 0..rows {
        let (from, to) = (src.add(r * stride), dst.add(r * T));
        for (l, &i) in idx.iter().enumerate() {
            *to.add(l) = if l < width { *from.offset(i as isize) } else { 0.0 };
        }
    }
}

/// [`super::tile::transpose16`]: `dst[j·dst_stride + i] = src[i·src_stride + j] + add`, rows
/// of `src` at or past `rows` zero, the first `out_rows` rows of `dst` stored.
///
/// # Safety
/// As the AVX-512 version's.
pub unsafe fn transpose16(
    src: *const f32,
    src_stride: usize,
    rows: usize,
    dst: *mut f32,
    dst_stride: usize,
    out_rows: usize,
    add: f32,
) {
    let mut block = [0.0f32; T * T];
    for i in 0..rows.min(T) {
        std::ptr::copy_nonoverlapping(src.add(i * src_stride), block[i * T..].as_mut_ptr(), T);
    }
    for j in 0..out_rows.min(T) {
        let line = std::slice::from_raw_parts_mut(dst.add(j * dst_stride), T);
        for (i, d) in line.iter_mut().enumerate() {
            *d = block[i * T + j] + add;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether this CPU has what these kernels need.
    fn here() -> bool {
        let ok = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        if !ok {
            eprintln!("skipped: this CPU has no AVX2 with FMA");
        }
        ok
    }

    /// Every shape, bit for bit against one `mul_add` chain per output in the order of the
    /// pairs and of p, over pairs longer than [`STEPS`] (the blocks take turns and store their
    /// accumulators between them) and one shorter; no pairs at all give zeros.
    #[test]
    fn every_tile_shape_is_one_chain_of_fmas_per_output() {
        if !here() {
            return;
        }
        let ldb = 21; // rows of b 21 floats apart, past the 16 a tile reads
        let data = |len: usize, seed: f32| (0..len).map(|i| ((i as f32 + seed) * 0.37).sin()).collect::<Vec<f32>>();
        let ks = [150, 7, 65];
        for &(r, v, kernel) in &TILE_SHAPES {
            let a: Vec<Vec<f32>> = ks.iter().enumerate().map(|(j, &k)| data(r * k, j as f32)).collect();
            let b: Vec<Vec<f32>> = ks.iter().enumerate().map(|(j, &k)| data(ldb * k, 10.0 + j as f32)).collect();
            let pairs: Vec<Pair> = (0..ks.len()).map(|j| (a[j].as_ptr(), b[j].as_ptr(), ks[j])).collect();
            let mut out = [f32::NAN; T * 32];
            // SAFETY: checked above; each a holds r·k floats, each b k rows of ldb ≥ 16.
            unsafe { kernel(&pairs, ldb, &mut out) };
            for i in 0..r {
                for l in 0..16 * v {
                    let mut want = 0.0f32;
                    for (j, &k) in ks.iter().enumerate() {
                        for p in 0..k {
                            want = a[j][p * r + i].mul_add(b[j][p * ldb + l], want);
                        }
                    }
                    assert_eq!(out[i * 16 * v + l].to_bits(), want.to_bits(), "{r} × {v}: out[{i}, {l}]");
                }
            }
            let mut out = [f32::NAN; T * 32];
            // SAFETY: checked above; no pairs, nothing read.
            unsafe { kernel(&[], ldb, &mut out) };
            assert!(out[..r * 16 * v].iter().all(|&x| x.to_bits() == 0), "{r} × {v} without pairs");
        }
    }

    /// The scalar gather against its definition (the transpose: `tile`'s tests, which run it
    /// on every CPU).
    #[test]
    fn a_gather_follows_its_definition() {
        let src: Vec<f32> = (0..40 * T).map(|i| i as f32).collect();
        let idx: [i32; T] = std::array::from_fn(|l| (3 * l) as i32);
        let mut dst = vec![-1.0f32; 3 * T];
        // SAFETY: rows 0..3 at stride 40 reach 2·40 + 3·11 < 40·16 floats.
        unsafe { gather_rows(src.as_ptr(), 40, &idx, 11, 3, dst.as_mut_ptr()) };
        for r in 0..3 {
            for l in 0..T {
                let want = if l < 11 { src[r * 40 + 3 * l] } else { 0.0 };
                assert_eq!(dst[r * T + l], want, "gather [{r}, {l}]");
            }
        }
    }
}
