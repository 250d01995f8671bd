//! Matrix multiply: our register tiles ([`super::gemm`], AVX-512) or the 6 × 16 micro-kernel
//! ([`super::gemm_avx2`], AVX2) where they fit, else `matrixmultiply::sgemm`. All three give
//! every element the same bits.
//!
//! `sgemm` takes any row and column strides, so transposed views cost nothing. Each call is
//! single-threaded; parallelism comes from rayon over batches or over blocks of rows.

use rayon::prelude::*;

use super::SendPtr;

/// A matrix operand: pointer-free description of where its elements are.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub offset: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

/// `C = alpha·A·B + beta·C` for an `m×k` A and `k×n` B; C is written at `c` with the given
/// strides. One thread.
///
/// # Safety
/// `c` must be valid for writes of an `m×n` matrix with strides `(rsc, csc)`, and no other
/// thread may touch that region during the call. A and B must lie inside their slices.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm_raw(
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
    debug_assert!(m == 0 || k == 0 || a.offset + (m - 1) * a.row_stride + (k - 1) * a.col_stride < a.data.len());
    debug_assert!(k == 0 || n == 0 || b.offset + (k - 1) * b.row_stride + (n - 1) * b.col_stride < b.data.len());
    if super::gemm::takes(m, k, n) {
        return super::gemm::sgemm(m, k, n, alpha, a, b, beta, c, rsc, csc);
    }
    #[cfg(target_arch = "x86_64")]
    if super::gemm_avx2::takes(m, k, n) {
        return super::gemm_avx2::sgemm(m, k, n, alpha, a, b, beta, c, rsc, csc);
    }
    matrixmultiply::sgemm(
        m,
        k,
        n,
        alpha,
        a.data.as_ptr().add(a.offset),
        a.row_stride as isize,
        a.col_stride as isize,
        b.data.as_ptr().add(b.offset),
        b.row_stride as isize,
        b.col_stride as isize,
        beta,
        c,
        rsc as isize,
        csc as isize,
    );
}

/// `A·B` into a new contiguous `m×n` buffer, rows split over the rayon threads when the
/// product is large enough to pay for it. The buffer is not zeroed first (β = 0 writes
/// every element without reading it): 4 MiB of zeros cost 1.5% of a 1024³ product.
pub fn matmul(m: usize, k: usize, n: usize, a: MatRef<'_>, b: MatRef<'_>) -> Vec<f32> {
    if k == 0 {
        return vec![0.0; m * n];
    }
    let mut c = Vec::with_capacity(m * n);
    let flops = m * n * k;
    let blocks = if flops >= 1 << 21 { rayon::current_num_threads().min(m.max(1)) } else { 1 };
    let cp = SendPtr(c.as_mut_ptr());
    (0..blocks).into_par_iter().for_each(|i| {
        let rows = super::part_range(m, blocks, i);
        let a_blk = MatRef { offset: a.offset + rows.start * a.row_stride, ..a };
        // SAFETY: block i writes rows `rows` of C only; blocks are disjoint.
        unsafe {
            sgemm_raw(rows.len(), k, n, 1.0, a_blk, b, 0.0, cp.get().add(rows.start * n), n, 1);
        }
    });
    // SAFETY: the blocks cover rows 0..m, and with beta = 0 every kernel writes all n columns
    // of its rows (k > 0).
    unsafe { c.set_len(m * n) };
    c
}

/// The bits of `matmul` of an `m×k · k×n` product (fixed data) on 1, 2 and 4 threads: the row
/// blocks of each split may fall on different kernels, and the bits must not change.
#[cfg(test)]
pub(super) fn bits_on_threads(m: usize, k: usize, n: usize) -> [Vec<u32>; 3] {
    let data: Vec<f32> = (0..m * k + k * n).map(|i| ((i as f32) * 0.377).cos()).collect();
    let a = MatRef { data: &data, offset: 0, row_stride: k, col_stride: 1 };
    let b = MatRef { data: &data, offset: m * k, row_stride: n, col_stride: 1 };
    [1, 2, 4].map(|threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let c = pool.install(|| matmul(m, k, n, a, b));
        c.iter().map(|v| v.to_bits()).collect()
    })
}
