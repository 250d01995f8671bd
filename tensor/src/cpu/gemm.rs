//! `C = α·A·B + β·C` on the register tiles of [`super::tile`] (R rows × 16V columns), blocked
//! as in GotoBLAS.
//!
//! ```text
//! for each block of NC columns:            B block  (KC × NC) stays in L2
//!   for each block of KC along k:          packed once into 16V-column panels
//!     for each block of MC rows:           A block  (MC × KC) packed into R-row panels
//!       for each panel pair (r, j):        one tile: R × 16V outputs, KC FMAs per output
//!         C[r, j] = α·tile + β·C[r, j]     (β = 1 after the first block of k)
//! ```
//!
//! A is always packed, whatever its strides (a transposed view costs one packing pass). B's
//! full 16-column panels are read in place when its rows are contiguous; otherwise, and for
//! its last partial panel, B is packed too. An operand whose panel lanes lie a stride apart but
//! whose k runs contiguously (a row-major A; a transposed B, such as colsᵀ in a weight
//! gradient dy · colsᵀ) is packed by 16 × 16 register transposes (stop 35: the conv 3×3
//! weight gradient 41.3 → 32.5 ms, the texture layers' 6–23% faster). Rows and columns
//! beyond the matrix are zero in the panels and never stored.
//! Every element of C is the same chain of sums for any m, n, strides or thread count: the
//! blocks along k are fixed, the tile sums each block in order of k, and the blocks are added
//! in order (so an image gives the same bits alone as in a batch of images side by side).
//!
//! That chain is also `matrixmultiply`'s (one FMA chain from zero in order of k, blocks of
//! 256 along k, then `fma(α, ab, β·c)`), so whether a product takes these tiles or
//! `matrixmultiply` changes no bit. Callers rely on it: they split rows by the number of
//! threads, and a block of rows may fall on either side of [`takes`] (tested).

use std::cell::RefCell;

use super::matmul::MatRef;
use super::tile::{loads_per_mille, tile_for, T};

/// k per block: a B panel (KC × 16V) is 32 KiB for 14 × 32 tiles, 48 KiB for 8 × 48.
const KC: usize = 256;
/// Rows per A block (rounded down to whole panels): 128 KiB.
const MC: usize = 128;
/// Columns per B block (rounded down to whole panels): 1 MiB.
const NC: usize = 1024;

thread_local! {
    /// This thread's packed panels of A and of B, reused across calls.
    static PACKED: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `f` on this thread's packed panels of A and of B (fresh ones if a caller up the stack holds
/// them), reused across calls by [`sgemm`] and the AVX2 kernel's `sgemm`.
pub(super) fn with_packed<R>(f: impl FnOnce(&mut Vec<f32>, &mut Vec<f32>) -> R) -> R {
    PACKED.with(|p| {
        let (mut own, mut borrowed) = (Default::default(), p.try_borrow_mut().ok());
        let (ap, bp) = borrowed.as_deref_mut().unwrap_or(&mut own);
        f(ap, bp)
    })
}

/// Whether [`sgemm`] takes a product of this shape: a CPU with AVX-512, tiles at least 5/6
/// full along m and n, and k ≥ 128. With AVX2 only, [`super::gemm_avx2`] takes them (these
/// tiles read B in place, 4 KiB a row apart, and ran the 1024³ product at 66 GFLOP/s on a Zen
/// 3; its packed 6 × 16 micro-kernel at 93). Thin products stay on
/// `matrixmultiply`, and so do short ones: with k = 30–64 a tile's store costs about as much as
/// its FMAs (the texture net's input gradients were 4–28% slower here).
pub fn takes(m: usize, k: usize, n: usize) -> bool {
    let padded = |d: usize| d >= T && 5 * d.next_multiple_of(T) <= 6 * d;
    super::tile::wide() && padded(m) && padded(n) && k >= 8 * T
}

/// The tile shapes a product takes (rows of A, registers of 16 columns of B): 24 accumulators
/// or more, and 16 × 16 for a B of 16–31 columns. A B panel (KC × 16V) should stay in L1 while
/// the A panels pass: 6 × 64 (a 64 KiB panel) ran the 1024³ product 3–5% slower than 14 × 32
/// on a Zen 5 (48 KiB L1); 8 × 48 (48 KiB) is taken only where it pads least.
const SHAPES: [(usize, usize); 4] = [(14, 2), (12, 2), (8, 3), (16, 1)];

/// The shape that pads an `m × n` product least (in steps of 1/32 of its size), then loads
/// least per multiply-add: 1024 × 1024: 14 × 32; a weight gradient 64 × 2500: 8 × 48.
fn shape_for(m: usize, n: usize) -> (usize, usize) {
    let padded = |r: usize, w: usize| 32 * m.div_ceil(r) * r * n.div_ceil(w) * w / (m * n).max(1);
    let best = SHAPES.iter().min_by_key(|&&(r, v)| (padded(r, v * T), loads_per_mille(r, v)));
    best.copied().unwrap_or((T, 1))
}

/// `C = alpha·A·B + beta·C` for an `m×k` A and `k×n` B, C at `c` with strides `(rsc, csc)`.
/// One thread. `beta = 0` never reads C.
///
/// # Safety
/// As [`super::matmul::sgemm_raw`]; and [`takes`] must be true.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: *mut f32,
    rsc: usize,
    csc: usize,
) {
    let (rows, vectors) = shape_for(m, n);
    let tile = tile_for(rows, vectors);
    let width = vectors * T;
    // whole panels per block of A rows and of B columns
    let (mc_max, nc_max) = (MC / rows * rows, NC / width * width);
    with_packed(|ap, bp| {
        let mut acc = [0.0f32; T * 32];
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                // B's rows contiguous: its full panels are read in place (a B panel is streamed
                // once per row panel of A, so packing it cost as much as the FMAs when m is small)
                let direct = b.col_stride == 1;
                let full = if direct { nc / width } else { 0 };
                pack(bp, b, (pc, jc + full * width), (kc, nc - full * width), false, width);
                let beta = if pc == 0 { beta } else { 1.0 };
                for ic in (0..m).step_by(mc_max) {
                    let mc = mc_max.min(m - ic);
                    pack(ap, a, (ic, pc), (mc, kc), true, rows);
                    for j in 0..nc.div_ceil(width) {
                        let (bj, ldb) = if j < full {
                            (b.data[b.offset + pc * b.row_stride + jc + j * width..].as_ptr(), b.row_stride)
                        } else {
                            (bp[(j - full) * kc * width..].as_ptr(), width)
                        };
                        for r in 0..mc.div_ceil(rows) {
                            // SAFETY: `takes` checked the CPU; A's panel holds kc·rows floats,
                            // and B's kc rows of `width` lie inside B (in place) or its panel.
                            tile(&[(ap[r * kc * rows..].as_ptr(), bj, kc)], ldb, &mut acc);
                            let (rs, cs) = (rows.min(mc - r * rows), width.min(nc - j * width));
                            let at = c.add((ic + r * rows) * rsc + (jc + j * width) * csc);
                            store(&acc, width, (rs, cs), alpha, beta, at, (rsc, csc));
                        }
                    }
                }
            }
        }
    });
}

/// Panels of `width` lanes of the `rows × cols` block of `x` at `(r0, c0)`:
/// `panels[(q·len + p)·width + i]` with (row, col) = (width·q + i, p) when `by_rows` (A: panels
/// of rows, p along k), else (p, width·q + i) (B: panels of columns, p along k); zero beyond
/// the block.
pub(super) fn pack(
    panels: &mut Vec<f32>,
    x: MatRef<'_>,
    (r0, c0): (usize, usize),
    (rows, cols): (usize, usize),
    by_rows: bool,
    width: usize,
) {
    let (across, len) = if by_rows { (rows, cols) } else { (cols, rows) };
    let n = across.div_ceil(width) * len * width;
    if panels.len() < n {
        panels.resize(n, 0.0);
    }
    // where (lane i, p) lies in x, and the strides along a panel's lanes and along p
    let start = |i: usize, p: usize| {
        let (r, c) = if by_rows { (i, p) } else { (p, i) };
        x.offset + (r0 + r) * x.row_stride + (c0 + c) * x.col_stride
    };
    let (lane_stride, p_stride) = if by_rows { (x.row_stride, x.col_stride) } else { (x.col_stride, x.row_stride) };
    for (q, panel) in panels[..n].chunks_exact_mut(len * width).enumerate() {
        let lanes = width.min(across - q * width);
        // a full panel whose lanes are contiguous in x: one copy per line
        if lane_stride == 1 && lanes == width {
            for (p, line) in panel.chunks_exact_mut(width).enumerate() {
                let at = start(q * width, p);
                line.copy_from_slice(&x.data[at..at + width]);
            }
            continue;
        }
        // lanes a stride apart, p contiguous (a row-major A, a transposed B such as colsᵀ):
        // 16 × 16 blocks transposed in registers; the last partial block below
        let mut done = 0;
        if p_stride == 1 && super::tile::available() {
            for p0 in (0..len.saturating_sub(T - 1)).step_by(T) {
                for g in (0..width).step_by(T) {
                    let block = &mut panel[p0 * width + g..(p0 + T - 1) * width + g + T.min(width - g)];
                    let lanes_here = lanes.saturating_sub(g);
                    // SAFETY: CPU checked; the group's rows of 16 floats from (width·q + g, p0)
                    // lie inside x (p0 + 16 ≤ len, lanes_here ≤ the rows left in the block).
                    unsafe { transpose_block(x, start(q * width + g, p0), lane_stride, lanes_here, block, width) };
                }
                done = p0 + T;
            }
        }
        for (p, line) in panel.chunks_exact_mut(width).enumerate().skip(done) {
            for (i, d) in line.iter_mut().enumerate() {
                *d = if i < lanes { x.data[start(q * width + i, p)] } else { 0.0 };
            }
        }
    }
}

/// Lines p0 .. p0 + 16 of up to 16 lanes of a panel `width` wide (`dst[j·width + i]`, i below
/// min(16, the slice's last line)), from `lanes` rows of 16 floats of x at `at`, `stride` apart:
/// one register transpose; lanes beyond `lanes` are zero.
///
/// # Safety
/// [`super::tile::available`] holds, and x must hold 16 floats at `at + r·stride` for every
/// r < min(lanes, 16, the slice's width).
unsafe fn transpose_block(x: MatRef<'_>, at: usize, stride: usize, lanes: usize, dst: &mut [f32], width: usize) {
    let cols = dst.len() - (T - 1) * width;
    let lanes = lanes.min(cols);
    if lanes == 0 {
        dst.chunks_mut(width).for_each(|line| line[..cols].fill(0.0));
        return;
    }
    let src = x.data[at..].as_ptr();
    if cols == T {
        // SAFETY: the caller's guarantee for x; dst holds 16 lines of 16 at stride `width`.
        unsafe { super::tile::transpose16(src, stride, lanes, dst.as_mut_ptr(), width, T, -0.0) };
        return;
    }
    let mut block = [0.0f32; T * T];
    // SAFETY: the caller's guarantee for x, into a 16 × 16 block of its own.
    unsafe { super::tile::transpose16(src, stride, lanes, block.as_mut_ptr(), T, T, -0.0) };
    for (line, from) in dst.chunks_mut(width).zip(block.chunks_exact(T)) {
        line[..cols].copy_from_slice(&from[..cols]);
    }
}

/// `C[i, l] = fma(alpha, acc[i, l], beta·C[i, l])` for the tile's `rows × cols` inside the
/// matrix (`alpha·acc` when beta = 0: C is not read), rounded as `matrixmultiply` rounds.
///
/// # Safety
/// AVX-512F (so FMA) must be available ([`takes`]); `c` must be valid for writes of
/// `rows × cols` elements at strides `(rsc, csc)`.
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx512f"))]
unsafe fn store(
    acc: &[f32; T * 32],
    width: usize,
    (rows, cols): (usize, usize),
    alpha: f32,
    beta: f32,
    c: *mut f32,
    (rsc, csc): (usize, usize),
) {
    for i in 0..rows {
        let src = &acc[i * width..i * width + cols];
        if csc == 1 {
            let dst = std::slice::from_raw_parts_mut(c.add(i * rsc), cols);
            if beta == 0.0 {
                dst.iter_mut().zip(src).for_each(|(d, &v)| *d = alpha * v);
            } else {
                dst.iter_mut().zip(src).for_each(|(d, &v)| *d = alpha.mul_add(v, beta * *d));
            }
        } else {
            for (l, &v) in src.iter().enumerate() {
                let d = c.add(i * rsc + l * csc);
                *d = if beta == 0.0 { alpha * v } else { alpha.mul_add(v, beta * *d) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `alpha·A·B + beta·C` in f64, A and B given as (data, row stride, column stride).
    #[allow(clippy::too_many_arguments)]
    fn naive(m: usize, k: usize, n: usize, alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &[f32]) -> Vec<f32> {
        let at =
            |x: &MatRef<'_>, r: usize, col: usize| f64::from(x.data[x.offset + r * x.row_stride + col * x.col_stride]);
        let mut out = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k).map(|p| at(&a, i, p) * at(&b, p, j)).sum();
                let old = if beta == 0.0 { 0.0 } else { f64::from(beta) * f64::from(c[i * n + j]) };
                out[i * n + j] = (f64::from(alpha) * dot + old) as f32;
            }
        }
        out
    }

    #[test]
    fn tiles_multiply_every_layout_as_the_naive_loops() {
        if !crate::cpu::tile::wide() {
            eprintln!("skipped: this CPU has no AVX-512F (products go to matrixmultiply)");
            return;
        }
        let data: Vec<f32> = (0..700_000).map(|i| ((i as f32) * 0.618).sin()).collect();
        // (m, k, n): one tile; ragged edges; 14 × 32 tiles; several blocks along k, m and n
        for (m, k, n) in [(16, 128, 16), (45, 300, 90), (140, 256, 128), (130, 513, 1030)] {
            for (a_t, b_t) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = if a_t {
                    MatRef { data: &data, offset: 3, row_stride: 1, col_stride: m }
                } else {
                    MatRef { data: &data, offset: 3, row_stride: k, col_stride: 1 }
                };
                let b = if b_t {
                    MatRef { data: &data, offset: 7, row_stride: 1, col_stride: k }
                } else {
                    MatRef { data: &data, offset: 7, row_stride: n, col_stride: 1 }
                };
                for (alpha, beta, fill) in [(1.0, 0.0, f32::NAN), (0.5, 1.0, 0.25), (-2.0, 0.75, -1.0)] {
                    let mut c = vec![fill; m * n];
                    let want = naive(m, k, n, alpha, a, b, beta, &c);
                    assert!(takes(m, k, n));
                    // SAFETY: CPU checked above; c holds m×n, A and B lie inside `data`.
                    unsafe { sgemm(m, k, n, alpha, a, b, beta, c.as_mut_ptr(), n, 1) };
                    for (i, (&g, &w)) in c.iter().zip(&want).enumerate() {
                        assert!(
                            (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
                            "{m}×{k}×{n} a_t {a_t} b_t {b_t} β {beta}: C[{i}] = {g}, want {w}"
                        );
                    }
                    // C stored transposed (column stride m)
                    let mut ct = vec![0.0f32; m * n];
                    // SAFETY: as above; ct holds n×m.
                    unsafe { sgemm(m, k, n, alpha, a, b, 0.0, ct.as_mut_ptr(), 1, m) };
                    let plain = naive(m, k, n, alpha, a, b, 0.0, &c);
                    for i in 0..m {
                        for j in 0..n {
                            let (g, w) = (ct[j * m + i], plain[i * n + j]);
                            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "transposed C[{i}, {j}] = {g}, want {w}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_product_has_the_same_bits_on_tiles_and_on_matrixmultiply() {
        // 100 rows take the tiles on one thread; split over two threads, 50-row blocks take
        // matrixmultiply (tiles 64/50 full): the bits must not change
        let (m, k, n) = (100, 256, 200);
        assert!(!takes(50, k, n));
        let [one, two, four] = crate::cpu::matmul::bits_on_threads(m, k, n);
        assert_eq!(one, two, "{m}×{k}×{n} on 1 and 2 threads");
        assert_eq!(one, four, "{m}×{k}×{n} on 1 and 4 threads");
    }
}
