//! In-place updates for optimizers and Langevin: no new tensor per step.
//!
//! If the storage is shared with another tensor (or this is a view), it is copied first
//! (copy-on-write), so an in-place update never changes a tensor someone else holds.

use crate::cpu::elementwise::{self, UnaryOp};
use crate::error::{Result, TensorError};
use crate::Tensor;

impl Tensor {
    fn same_shape(&self, op: &'static str, x: &Tensor) -> Result<()> {
        if self.shape() != x.shape() {
            return Err(TensorError::ShapeMismatch { op, lhs: self.shape().to_vec(), rhs: x.shape().to_vec() });
        }
        Ok(())
    }

    /// `self ← self + alpha·x` (BLAS axpy).
    pub fn axpy_(&mut self, alpha: f32, x: &Tensor) -> Result<()> {
        self.same_shape("axpy_", x)?;
        let xv = x.contiguous();
        xv.with_cpu_slice(|xs| elementwise::axpy(self.cpu_data_mut(), alpha, xs));
        Ok(())
    }

    /// `self ← op(self)`.
    pub fn map_(&mut self, op: UnaryOp) {
        let d = self.cpu_data_mut();
        if d.len() >= crate::cpu::PAR_MIN {
            use rayon::prelude::*;
            d.par_iter_mut().for_each(|v| *v = op.apply(*v));
        } else {
            d.iter_mut().for_each(|v| *v = op.apply(*v));
        }
    }

    /// `self ← a·self`.
    pub fn scale_(&mut self, a: f32) {
        self.map_(UnaryOp::Affine { mul: a, add: 0.0 });
    }

    /// `self ← src` (elementwise copy; shapes must match).
    pub fn assign_(&mut self, src: &Tensor) -> Result<()> {
        self.same_shape("assign_", src)?;
        let s = src.contiguous();
        s.with_cpu_slice(|xs| self.cpu_data_mut().copy_from_slice(xs));
        Ok(())
    }

    /// `self ← where(mask ≠ 0, src, self)`: overwrite the entries that `mask` marks.
    pub fn masked_assign_(&mut self, mask: &Tensor, src: &Tensor) -> Result<()> {
        self.same_shape("masked_assign_", src)?;
        self.same_shape("masked_assign_", mask)?;
        let (m, s) = (mask.contiguous(), src.contiguous());
        m.with_cpu_slice(|ms| {
            s.with_cpu_slice(|ss| {
                for ((d, &mv), &sv) in self.cpu_data_mut().iter_mut().zip(ms).zip(ss) {
                    if mv != 0.0 {
                        *d = sv;
                    }
                }
            })
        });
        Ok(())
    }
}
