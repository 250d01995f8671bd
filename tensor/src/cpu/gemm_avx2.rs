//! `C = α·A·B + β·C` on CPUs with AVX2 and FMA but no AVX-512: the 6 × 16 micro-kernel of
//! BLIS and OpenBLAS, both operands packed, blocked as in GotoBLAS.
//!
//! ```text
//! for each block of NC columns:            B block (KC × NC) packed into 16-column panels
//!   for each block of KC along k:
//!     for each block of MC rows:           A block (MC × KC, in L2) packed into 6-row panels
//!       for each B panel (KC × 16, in L1):
//!         for each A panel:                12 registers of accumulators, KC steps of
//!           C[6 × 16] = α·acc + β·C           2 loads of B, 6 broadcasts of A, 12 FMAs
//! ```
//!
//! A step issues 12 fused multiply-adds against 8 loads, which the load ports keep up with, so
//! the two FMA units never wait; the B panel (16 KiB) stays in L1 while every A panel of the
//! block passes, and C is read and written once per block of k, in the kernel, straight from
//! the registers.
//!
//! Every element of C is the chain of [`super::gemm`] and of `matrixmultiply`: one FMA chain
//! from zero in order of k per block of 256, then `fma(α, acc, β·c)`, blocks in order of k. So
//! the bits do not depend on the shape, the strides, the thread count, or on which of the
//! three kernels takes a block of rows.

use std::arch::x86_64::*;

use super::gemm::{pack, with_packed};
use super::matmul::MatRef;
use super::tile_avx2::{fma_row, load16, store16};

/// Rows of A per micro-kernel: 12 accumulators + 2 registers of B + 1 broadcast of 16.
const MR: usize = 6;
/// Columns of B per micro-kernel: two registers of 8.
const NR: usize = 16;
/// k per block, as `matrixmultiply` (the chain of each output depends on it).
const KC: usize = 256;
/// Rows per A block: 144 × 256 floats = 144 KiB, in L2.
const MC: usize = 144;
/// Columns per B block: 4080 × 256 floats ≈ 4 MiB, in L3.
const NC: usize = 4080;

/// Whether [`sgemm`] takes a product of this shape: AVX2 and FMA without AVX-512 (where the
/// tiles of [`super::gemm`] run), k ≥ 64, n ≥ 16 and m ≥ 24. Thinner products stay on
/// `matrixmultiply`: with 16 rows of A (three panels of 6, one a third empty) and k = 64–128 a
/// convolution's input gradient on 28² digits ran 20% slower here than on its 8 × 8 kernel.
pub fn takes(m: usize, k: usize, n: usize) -> bool {
    super::tile::available() && !super::tile::wide() && m >= 4 * MR && n >= NR && k >= 64
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
    with_packed(|ap, bp| {
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                pack_b(bp, b, (pc, jc), (kc, nc));
                let beta = if pc == 0 { beta } else { 1.0 };
                for ic in (0..m).step_by(MC) {
                    let mc = MC.min(m - ic);
                    pack_a(ap, a, (ic, pc), (mc, kc));
                    for j in 0..nc.div_ceil(NR) {
                        let bj = bp[j * kc * NR..].as_ptr();
                        for r in 0..mc.div_ceil(MR) {
                            let size = (MR.min(mc - r * MR), NR.min(nc - j * NR));
                            let at = c.add((ic + r * MR) * rsc + (jc + j * NR) * csc);
                            // SAFETY: `takes` checked the CPU; the panels hold kc·6 and kc·16
                            // floats; the tile's `size` lies inside C.
                            kernel(kc, ap[r * kc * MR..].as_ptr(), bj, (alpha, beta), at, (rsc, csc), size);
                        }
                    }
                }
            }
        }
    });
}

/// B's `kc × nc` block at `(p0, j0)` in panels of 16 columns, `panels[(q·kc + p)·16 + l]` =
/// B[p0 + p, j0 + 16q + l], zero beyond n. Rows of B contiguous: each row is read once, in
/// order, 64 bytes to each panel (copies of fixed size the compiler makes two loads and two
/// stores); otherwise [`pack`].
fn pack_b(panels: &mut Vec<f32>, b: MatRef<'_>, (p0, j0): (usize, usize), (kc, nc): (usize, usize)) {
    if b.col_stride != 1 {
        return pack(panels, b, (p0, j0), (kc, nc), false, NR);
    }
    let len = nc.div_ceil(NR) * kc * NR;
    if panels.len() < len {
        panels.resize(len, 0.0);
    }
    let full = nc / NR;
    for p in 0..kc {
        let row = &b.data[b.offset + (p0 + p) * b.row_stride + j0..][..nc];
        for (q, from) in row.chunks_exact(NR).enumerate() {
            panels[(q * kc + p) * NR..][..NR].copy_from_slice(from);
        }
        if full * NR < nc {
            let to = &mut panels[(full * kc + p) * NR..][..NR];
            to.fill(0.0);
            to[..nc - full * NR].copy_from_slice(&row[full * NR..]);
        }
    }
}

/// A's `mc × kc` block at `(i0, p0)` in panels of 6 rows, `panels[(q·kc + p)·6 + i]` =
/// A[i0 + 6q + i, p0 + p], zero beyond m. A row-major A (k contiguous): six rows read side by
/// side, one number of each per step; a transposed one (rows contiguous): six numbers per
/// step, a copy of fixed size; any other layout: [`pack`].
fn pack_a(panels: &mut Vec<f32>, a: MatRef<'_>, (i0, p0): (usize, usize), (mc, kc): (usize, usize)) {
    if a.col_stride != 1 && a.row_stride != 1 {
        return pack(panels, a, (i0, p0), (mc, kc), true, MR);
    }
    let len = mc.div_ceil(MR) * kc * MR;
    if panels.len() < len {
        panels.resize(len, 0.0);
    }
    let at = |i: usize, p: usize| a.offset + (i0 + i) * a.row_stride + (p0 + p) * a.col_stride;
    for (q, panel) in panels[..len].chunks_exact_mut(kc * MR).enumerate() {
        let rows = MR.min(mc - q * MR);
        if rows < MR {
            panel.fill(0.0);
            for (p, line) in panel.chunks_exact_mut(MR).enumerate() {
                line[..rows].iter_mut().enumerate().for_each(|(i, d)| *d = a.data[at(q * MR + i, p)]);
            }
        } else if a.col_stride == 1 {
            let rows: [&[f32]; MR] = std::array::from_fn(|i| &a.data[at(q * MR + i, 0)..][..kc]);
            for (p, line) in panel.chunks_exact_mut(MR).enumerate() {
                line.iter_mut().zip(&rows).for_each(|(d, r)| *d = r[p]);
            }
        } else {
            for (p, line) in panel.chunks_exact_mut(MR).enumerate() {
                line.copy_from_slice(&a.data[at(q * MR, p)..][..MR]);
            }
        }
    }
}

/// One 6 × 16 tile: `acc[i][l] = Σ_p<kc a[p·6 + i]·b[p·16 + l]`, then
/// `C[i, l] = fma(alpha, acc, beta·C)` (`alpha·acc` when beta = 0) for the `rows × cols` of it
/// inside C.
///
/// # Safety
/// AVX2 and FMA; `a` valid for 6·kc reads, `b` for 16·kc; `c` for writes of `rows × cols`
/// at strides `(rsc, csc)`.
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel(
    kc: usize,
    a: *const f32,
    b: *const f32,
    (alpha, beta): (f32, f32),
    c: *mut f32,
    (rsc, csc): (usize, usize),
    (rows, cols): (usize, usize),
) {
    for i in 0..rows {
        _mm_prefetch::<_MM_HINT_T0>(c.add(i * rsc) as *const i8);
        _mm_prefetch::<_MM_HINT_T0>(c.add(i * rsc + (cols - 1) * csc) as *const i8);
    }
    let mut acc = [[[_mm256_setzero_ps(); 2]; 1]; MR];
    for p in 0..kc {
        let bv = [load16(b.add(p * NR))];
        for (i, row) in acc.iter_mut().enumerate() {
            fma_row(_mm256_broadcast_ss(&*a.add(p * MR + i)), &bv, row);
        }
    }
    let (va, vb) = (_mm256_set1_ps(alpha), _mm256_set1_ps(beta));
    if rows == MR && cols == NR && csc == 1 {
        for (i, [row]) in acc.iter().enumerate() {
            for (h, &v) in row.iter().enumerate() {
                let at = c.add(i * rsc + 8 * h);
                let out = if beta == 0.0 {
                    _mm256_mul_ps(va, v)
                } else {
                    _mm256_fmadd_ps(va, v, _mm256_mul_ps(vb, _mm256_loadu_ps(at)))
                };
                _mm256_storeu_ps(at, out);
            }
        }
        return;
    }
    let mut tile = [0.0f32; MR * NR];
    for (i, [row]) in acc.iter().enumerate() {
        store16(tile.as_mut_ptr().add(i * NR), row);
    }
    for i in 0..rows {
        for (l, &v) in tile[i * NR..i * NR + cols].iter().enumerate() {
            let d = c.add(i * rsc + l * csc);
            *d = if beta == 0.0 { alpha * v } else { alpha.mul_add(v, beta * *d) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `matrixmultiply::sgemm` on the same operands, C contiguous.
    #[allow(clippy::too_many_arguments)]
    fn reference(m: usize, k: usize, n: usize, alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: &mut [f32]) {
        let (ap, bp) = (a.data[a.offset..].as_ptr(), b.data[b.offset..].as_ptr());
        let (ra, ca, rb, cb) =
            (a.row_stride as isize, a.col_stride as isize, b.row_stride as isize, b.col_stride as isize);
        // SAFETY: A and B lie inside their slices, C holds m×n.
        unsafe { matrixmultiply::sgemm(m, k, n, alpha, ap, ra, ca, bp, rb, cb, beta, c.as_mut_ptr(), n as isize, 1) };
    }

    #[test]
    fn every_layout_has_the_bits_of_matrixmultiply() {
        if !takes(64, 64, 64) {
            eprintln!("skipped: this CPU has AVX-512F or no AVX2 + FMA (products go elsewhere)");
            return;
        }
        let data: Vec<f32> = (0..4_200_000).map(|i| ((i as f32) * 0.618).sin()).collect();
        // (m, k, n): one tile; ragged edges; several blocks along m (144) and k (256); a B of
        // more than one block of columns (4080)
        for (m, k, n) in [(24, 64, 16), (45, 300, 90), (150, 513, 70), (25, 300, 4100)] {
            for (a_t, b_t) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = MatRef {
                    data: &data,
                    offset: 3,
                    row_stride: if a_t { 1 } else { k },
                    col_stride: if a_t { m } else { 1 },
                };
                let b = MatRef {
                    data: &data,
                    offset: 7,
                    row_stride: if b_t { 1 } else { n },
                    col_stride: if b_t { k } else { 1 },
                };
                for (alpha, beta, fill) in [(1.0, 0.0, f32::NAN), (0.5, 1.0, 0.25), (-2.0, 0.75, -1.0)] {
                    let (mut got, mut want) = (vec![fill; m * n], vec![fill; m * n]);
                    reference(m, k, n, alpha, a, b, beta, &mut want);
                    // SAFETY: CPU checked above; got holds m×n, A and B lie inside `data`.
                    unsafe { sgemm(m, k, n, alpha, a, b, beta, got.as_mut_ptr(), n, 1) };
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
                    assert_eq!(bits(&got), bits(&want), "{m}×{k}×{n} a_t {a_t} b_t {b_t} α {alpha} β {beta}");
                }
                // C stored transposed (column stride m): the same numbers
                let (mut ct, mut want) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
                reference(m, k, n, 1.0, a, b, 0.0, &mut want);
                // SAFETY: as above; ct holds n×m.
                unsafe { sgemm(m, k, n, 1.0, a, b, 0.0, ct.as_mut_ptr(), 1, m) };
                for (i, row) in want.chunks_exact(n).enumerate() {
                    for (j, w) in row.iter().enumerate() {
                        assert_eq!(ct[j * m + i].to_bits(), w.to_bits(), "{m}×{k}×{n} transposed C[{i}, {j}]");
                    }
                }
            }
        }
    }

    #[test]
    fn the_product_is_the_naive_sum() {
        if !takes(64, 64, 64) {
            eprintln!("skipped: this CPU has AVX-512F or no AVX2 + FMA (products go elsewhere)");
            return;
        }
        let (m, k, n) = (29, 300, 37);
        let data: Vec<f32> = (0..m * k + k * n).map(|i| ((i as f32) * 0.377).cos()).collect();
        let a = MatRef { data: &data, offset: 0, row_stride: k, col_stride: 1 };
        let b = MatRef { data: &data, offset: m * k, row_stride: n, col_stride: 1 };
        let mut c = vec![0.5f32; m * n];
        // SAFETY: CPU checked; c holds m×n.
        unsafe { sgemm(m, k, n, 2.0, a, b, 3.0, c.as_mut_ptr(), n, 1) };
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k).map(|p| f64::from(data[i * k + p]) * f64::from(data[m * k + p * n + j])).sum();
                let want = 2.0 * dot + 1.5;
                assert!((f64::from(c[i * n + j]) - want).abs() < 1e-4 * (1.0 + want.abs()), "C[{i}, {j}]");
            }
        }
    }

    #[test]
    fn a_product_split_across_kernels_keeps_its_bits() {
        // 40 rows take the micro-kernel on one thread; on two threads and on four the blocks of
        // 20 and 10 rows take matrixmultiply: the bits must not change
        let (m, k, n) = (40, 300, 100);
        assert!(!takes(20, k, n));
        let [one, two, four] = crate::cpu::matmul::bits_on_threads(m, k, n);
        assert_eq!(one, two, "{m}×{k}×{n} on 1 and 2 threads");
        assert_eq!(one, four, "{m}×{k}×{n} on 1 and 4 threads");
    }
}
