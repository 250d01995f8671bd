//! Matrix multiply: `[M, K]·[K, N]` and batched `[.., M, K]·[.., K, N]` with broadcast batches.

use rayon::prelude::*;

use crate::cpu::matmul::{self, MatRef};
use crate::cpu::SendPtr;
use crate::error::{invalid_shape, Result, TensorError};
use crate::layout::{broadcast_shapes, numel};
use crate::Tensor;

impl Tensor {
    /// Matrix product. Rank-2 operands may be any strided view (a transpose costs nothing);
    /// higher ranks are batches of matrices whose leading axes broadcast.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        let (ra, rb) = (self.rank(), rhs.rank());
        if ra < 2 || rb < 2 {
            return Err(invalid_shape(
                "matmul",
                format!("needs rank ≥ 2, got {:?} and {:?}", self.shape(), rhs.shape()),
            ));
        }
        let (m, k) = (self.shape()[ra - 2], self.shape()[ra - 1]);
        let (k2, n) = (rhs.shape()[rb - 2], rhs.shape()[rb - 1]);
        if k != k2 {
            return Err(TensorError::ShapeMismatch {
                op: "matmul",
                lhs: self.shape().to_vec(),
                rhs: rhs.shape().to_vec(),
            });
        }
        if ra == 2 && rb == 2 {
            let (a, la) = self.cpu_raw();
            let (b, lb) = rhs.cpu_raw();
            let am = MatRef { data: a, offset: la.offset(), row_stride: la.strides()[0], col_stride: la.strides()[1] };
            let bm = MatRef { data: b, offset: lb.offset(), row_stride: lb.strides()[0], col_stride: lb.strides()[1] };
            return Ok(Tensor::from_cpu(matmul::matmul(m, k, n, am, bm), &[m, n]));
        }
        // batched: broadcast the batch axes, then one single-threaded sgemm per batch entry
        let batch = broadcast_shapes("matmul", &self.shape()[..ra - 2], &rhs.shape()[..rb - 2])?;
        let a = self.broadcast_to(&[batch.as_slice(), &[m, k]].concat())?;
        let b = rhs.broadcast_to(&[batch.as_slice(), &[k, n]].concat())?;
        let nb = numel(&batch);
        let mut out = vec![0.0f32; nb * m * n];
        let (ad, la) = a.cpu_raw();
        let (bd, lb) = b.cpu_raw();
        let r = batch.len();
        let offset_of = |l: &crate::Layout, mut i: usize| {
            let mut o = l.offset();
            for ax in (0..r).rev() {
                o += (i % batch[ax]) * l.strides()[ax];
                i /= batch[ax];
            }
            o
        };
        let op = SendPtr(out.as_mut_ptr());
        (0..nb).into_par_iter().for_each(|i| {
            let am = MatRef {
                data: ad,
                offset: offset_of(la, i),
                row_stride: la.strides()[r],
                col_stride: la.strides()[r + 1],
            };
            let bm = MatRef {
                data: bd,
                offset: offset_of(lb, i),
                row_stride: lb.strides()[r],
                col_stride: lb.strides()[r + 1],
            };
            // SAFETY: batch entry i writes its own m×n block of `out`.
            unsafe { matmul::sgemm_raw(m, k, n, 1.0, am, bm, 0.0, op.get().add(i * m * n), n, 1) };
        });
        Ok(Tensor::from_cpu(out, &[batch.as_slice(), &[m, n]].concat()))
    }
}
