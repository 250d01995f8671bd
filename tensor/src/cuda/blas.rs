//! Matrix products on cuBLAS (FP32 SGEMM; the default math mode, so no TF32).
//!
//! cuBLAS is column-major, our matrices row-major. A row-major `m×n` matrix with rows `ld`
//! apart is, read column-major, its `n×m` transpose with the same `ld`, so
//! `C = A·B` (row-major) is computed as `Cᵀ = Bᵀ·Aᵀ` (column-major): cuBLAS gets B as its first
//! operand and A as its second, with m and n swapped. A transposed view (row stride 1) is
//! passed as it is with `CUBLAS_OP_T`; any other strided view is copied first.

use cudarc::cublas::{result as cublas, sys::cublasOperation_t};

use super::elementwise::copy_strided;
use super::launch::cuda_err;
use super::storage::CudaStorage;
use super::CudaDevice;
use crate::backend::MatmulDims;
use crate::error::{invalid_arg, Result};
use crate::layout::Layout;

/// A row-major matrix operand: element `(i, j)` is at `ptr + i·ld + j` (or `ptr + j·ld + i`
/// when `trans`, a transposed view); batch entries are `stride` elements apart (0: shared).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat {
    pub ptr: u64,
    pub trans: bool,
    pub ld: usize,
    pub stride: usize,
}

/// How a `rows × cols` view with strides `(rs, cs)` can go to cuBLAS without a copy:
/// `(trans, ld)`, or `None`. cuBLAS wants unit stride on one axis and `ld` at least the
/// length of that axis.
pub(crate) fn mat_form(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<(bool, usize)> {
    if cols <= 1 || cs == 1 {
        let ld = if rows <= 1 { cols.max(1) } else { rs };
        if ld >= cols.max(1) {
            return Some((false, ld));
        }
    }
    if rows <= 1 || rs == 1 {
        let ld = if cols <= 1 { rows.max(1) } else { cs };
        if ld >= rows.max(1) {
            return Some((true, ld));
        }
    }
    None
}

fn int(what: &str, v: usize) -> Result<i32> {
    i32::try_from(v).map_err(|_| invalid_arg("cuda gemm", format!("{what} = {v} exceeds cuBLAS's 32-bit sizes")))
}

/// Row-major `C[m, n] = A[m, k]·B[k, n] + beta·C` for `batch` entries; C's rows are `ldc`
/// apart and its entries `stride_c` apart. One cuBLAS call (strided-batched when batch > 1).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    dev: &CudaDevice,
    (m, n, k): (usize, usize, usize),
    a: Mat,
    b: Mat,
    beta: f32,
    c: u64,
    ldc: usize,
    stride_c: usize,
    batch: usize,
) -> Result<()> {
    let op = |t: bool| if t { cublasOperation_t::CUBLAS_OP_T } else { cublasOperation_t::CUBLAS_OP_N };
    let (mi, ni, ki) = (int("m", m)?, int("n", n)?, int("k", k)?);
    let (lda, ldb, ldci) = (int("lda", a.ld)?, int("ldb", b.ld)?, int("ldc", ldc)?);
    let alpha = 1.0f32;
    dev.context().bind_to_thread().map_err(|e| cuda_err("sgemm", e))?;
    let h = *dev.blas().handle();
    let (ap, bp, cp) = (a.ptr as *const f32, b.ptr as *const f32, c as *mut f32);
    let _span = dev.span(|| format!("sgemm {m}x{n}x{k} b{batch}"));
    // SAFETY: the pointers address live buffers of this device holding the described
    // matrices (checked by the callers' shapes); alpha and beta are host values.
    let r = unsafe {
        if batch == 1 {
            cublas::sgemm(h, op(b.trans), op(a.trans), ni, mi, ki, &alpha, bp, ldb, ap, lda, &beta, cp, ldci)
        } else {
            let (sa, sb, sc) = (a.stride as i64, b.stride as i64, stride_c as i64);
            let (bop, aop, bi) = (op(b.trans), op(a.trans), int("batch", batch)?);
            cublas::sgemm_strided_batched(
                h, bop, aop, ni, mi, ki, &alpha, bp, ldb, sb, ap, lda, sa, &beta, cp, ldci, sc, bi,
            )
        }
    };
    r.map_err(|e| cuda_err("sgemm", format!("{e:?}")))
}

/// A matmul operand ready for cuBLAS: the view itself, or a contiguous copy of it.
struct Operand {
    copy: Option<CudaStorage>,
    layout: Layout,
    trans: bool,
    ld: usize,
}

fn operand(x: &CudaStorage, l: &Layout, r: usize) -> Result<Operand> {
    let (rows, cols) = (l.shape()[r], l.shape()[r + 1]);
    Ok(match mat_form(rows, cols, l.strides()[r], l.strides()[r + 1]) {
        Some((trans, ld)) => Operand { copy: None, layout: l.clone(), trans, ld },
        None => Operand {
            copy: Some(copy_strided(x, l)?),
            layout: Layout::contiguous(l.shape()),
            trans: false,
            ld: cols.max(1),
        },
    })
}

/// The distance between consecutive batch entries (row-major over `batch`), if they are
/// evenly spaced: one batch axis, axes that merge, or stride 0 (a broadcast operand).
fn even_stride(batch: &[usize], strides: &[usize]) -> Option<usize> {
    let axes: Vec<(usize, usize)> = batch.iter().zip(strides).filter(|(&d, _)| d > 1).map(|(&d, &s)| (d, s)).collect();
    let Some(&(_, inner)) = axes.last() else { return Some(0) };
    let mut expect = inner;
    for &(d, s) in axes.iter().rev() {
        if s != expect {
            return None;
        }
        expect = s * d;
    }
    Some(inner)
}

/// Offset of batch entry `i` in a layout whose first axes are `batch`.
fn batch_offset(l: &Layout, batch: &[usize], mut i: usize) -> usize {
    let mut o = l.offset();
    for ax in (0..batch.len()).rev() {
        o += (i % batch[ax]) * l.strides()[ax];
        i /= batch[ax];
    }
    o
}

/// `C[b] = A[b]·B[b]` for every batch index: one strided-batched SGEMM when both operands'
/// batch entries are evenly spaced, else one SGEMM per entry.
pub(crate) fn matmul(
    a: &CudaStorage,
    la: &Layout,
    b: &CudaStorage,
    lb: &Layout,
    d: &MatmulDims,
) -> Result<CudaStorage> {
    let dev = a.cuda_device();
    let (m, k, n, r) = (d.m, d.k, d.n, d.batch.len());
    let nb: usize = d.batch.iter().product();
    if nb * m * n == 0 || k == 0 {
        return CudaStorage::zeros(dev, nb * m * n);
    }
    let out = CudaStorage::alloc(dev, nb * m * n)?;
    let (oa, ob) = (operand(a, la, r)?, operand(b, lb, r)?);
    let (sa, sb) = (oa.copy.as_ref().unwrap_or(a), ob.copy.as_ref().unwrap_or(b));
    let (lay_a, lay_b) = (&oa.layout, &ob.layout);
    let mat = |s: &CudaStorage, o: &Operand, off: usize, stride: usize| Mat {
        ptr: s.ptr_at(off),
        trans: o.trans,
        ld: o.ld,
        stride,
    };
    match (even_stride(&d.batch, &lay_a.strides()[..r]), even_stride(&d.batch, &lay_b.strides()[..r])) {
        (Some(sta), Some(stb)) => {
            let (ma, mb) = (mat(sa, &oa, lay_a.offset(), sta), mat(sb, &ob, lay_b.offset(), stb));
            gemm(dev, (m, n, k), ma, mb, 0.0, out.ptr(), n, m * n, nb)?;
        }
        _ => {
            for i in 0..nb {
                let ma = mat(sa, &oa, batch_offset(lay_a, &d.batch, i), 0);
                let mb = mat(sb, &ob, batch_offset(lay_b, &d.batch, i), 0);
                gemm(dev, (m, n, k), ma, mb, 0.0, out.ptr_at(i * m * n), n, 0, 1)?;
            }
        }
    }
    Ok(out)
}
