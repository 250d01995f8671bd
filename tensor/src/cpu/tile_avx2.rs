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
/// per two fused multiply-adds; wider tiles do not fit the registers). (16, 1) is the tile
/// of the tap classes, in three blocks.
#[rustfmt::skip]
pub const TILE_SHAPES: [(usize, usize, TileFn); 5] = [
    (6, 1, tile_rows::<6, 1>), (5, 1, tile_rows::<5, 1>), (4, 1, tile_rows::<4, 1>),
    (3, 1, tile_rows::<3, 1>), (16, 1, tile_rows::<16, 1>),
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
unsafe fn load16(p: *const f32) -> [__m256; 2] {
    [_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))]
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

/// The rows of an R × V tile in blocks: 6 rows for V = 1, fewer for wider ones.
#[inline(always)]
unsafe fn rows_body<const R: usize, const V: usize, I: Iterator<Item = Pair> + Clone>(
    pairs: I,
    ldb: usize,
    out: *mut f32,
) {
    // as few blocks as fit, their rows as even as can be: 16 rows are 6 + 5 + 5, not 6 + 6 + 4
    // (an accumulator is a chain of FMAs 4 cycles long: 8 chains leave the two units waiting)
    let per = (BLOCK_ROWS / V).max(1);
    let blocks = R.div_ceil(per);
    let mut i0 = 0;
    for b in 0..blocks {
        let n = (R - i0).div_ceil(blocks - b);
        match n {
            6 => block::<6, V, I>(pairs.clone(), ldb, (R, i0), out),
            5 => block::<5, V, I>(pairs.clone(), ldb, (R, i0), out),
            4 => block::<4, V, I>(pairs.clone(), ldb, (R, i0), out),
            3 => block::<3, V, I>(pairs.clone(), ldb, (R, i0), out),
            2 => block::<2, V, I>(pairs.clone(), ldb, (R, i0), out),
            _ => block::<1, V, I>(pairs.clone(), ldb, (R, i0), out),
        }
        i0 += n;
    }
}

/// Rows `i0 .. i0 + B` of a tile of `r` rows (the panel of `a` holds `r` numbers per p).
#[inline(always)]
unsafe fn block<const B: usize, const V: usize, I: Iterator<Item = Pair>>(
    pairs: I,
    ldb: usize,
    (r, i0): (usize, usize),
    out: *mut f32,
) {
    let mut acc = [[[_mm256_setzero_ps(); 2]; V]; B];
    for (a, b, k) in pairs {
        for p in 0..k {
            let bp = b.add(p * ldb);
            let bv: [[__m256; 2]; V] = std::array::from_fn(|v| load16(bp.add(v * T)));
            let ap = a.add(p * r + i0);
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm256_broadcast_ss(&*ap.add(i));
                for (c, b) in row.iter_mut().zip(&bv) {
                    c[0] = _mm256_fmadd_ps(ai, b[0], c[0]);
                    c[1] = _mm256_fmadd_ps(ai, b[1], c[1]);
                }
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (v, c) in row.iter().enumerate() {
            let o = out.add(((i0 + i) * V + v) * T);
            _mm256_storeu_ps(o, c[0]);
            _mm256_storeu_ps(o.add(8), c[1]);
        }
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
                    let a = _mm256_broadcast_ss(&*ap.add(t));
                    for (c, b) in row.iter_mut().zip(&bv) {
                        c[0] = _mm256_fmadd_ps(a, b[0], c[0]);
                        c[1] = _mm256_fmadd_ps(a, b[1], c[1]);
                    }
                }
            }
        }
    }
    for (g, taps) in acc.iter().enumerate() {
        for (t, row) in taps.iter().enumerate() {
            for (v, c) in row.iter().enumerate() {
                _mm256_storeu_ps(at(g, t, v), c[0]);
                _mm256_storeu_ps(at(g, t, v).add(8), c[1]);
            }
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
