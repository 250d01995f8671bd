//! In-place updates for optimizers and Langevin: no new tensor per step.
//!
//! If the storage is shared with another tensor (or this is a view), it is copied first
//! (copy-on-write), so an in-place update never changes a tensor someone else holds.

use rand::RngCore;

use crate::backend::BackendStorage;
use crate::device::{dispatch, dispatch2, Storage};
use crate::error::{Result, TensorError};
use crate::op::UnaryOp;
use crate::tensor::device_ok;
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
        dispatch2!("axpy_", self.storage_mut(), &*x.storage, (y, xs) => y.axpy_(alpha, xs, &x.layout))
    }

    /// `self ← op(self)`.
    pub fn map_(&mut self, op: UnaryOp) {
        device_ok("map_", dispatch!(self.storage_mut(), s => s.map_(op)))
    }

    /// `self ← a·self`.
    pub fn scale_(&mut self, a: f32) {
        self.map_(UnaryOp::Affine { mul: a, add: 0.0 });
    }

    /// `self ← src` (elementwise copy; shapes must match).
    pub fn assign_(&mut self, src: &Tensor) -> Result<()> {
        self.same_shape("assign_", src)?;
        dispatch2!("assign_", self.storage_mut(), &*src.storage, (d, s) => d.assign_(s, &src.layout))
    }

    /// `self ← where(mask ≠ 0, src, self)`: overwrite the entries that `mask` marks.
    pub fn masked_assign_(&mut self, mask: &Tensor, src: &Tensor) -> Result<()> {
        self.same_shape("masked_assign_", src)?;
        self.same_shape("masked_assign_", mask)?;
        let (lm, ls) = (&mask.layout, &src.layout);
        match (self.storage_mut(), &*mask.storage, &*src.storage) {
            (Storage::Cpu(d), Storage::Cpu(m), Storage::Cpu(s)) => d.masked_assign_(m, lm, s, ls),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(d), Storage::Cuda(m), Storage::Cuda(s)) => d.masked_assign_(m, lm, s, ls),
            #[allow(unreachable_patterns)]
            (d, m, _) => Err(TensorError::DeviceMismatch {
                op: "masked_assign_",
                lhs: d.device().to_string(),
                rhs: m.device().to_string(),
            }),
        }
    }

    /// One Langevin step in one pass: `self ← self + a·g + b·ξ`, `ξ ~ N(0, I)` from `rng`
    /// (`a = δ²/2`, `b = δ`, g the gradient of the log density).
    pub fn langevin_<R: RngCore + ?Sized>(&mut self, a: f32, g: &Tensor, b: f32, mut rng: &mut R) -> Result<()> {
        self.same_shape("langevin_", g)?;
        let rng: &mut dyn RngCore = &mut rng;
        dispatch2!("langevin_", self.storage_mut(), &*g.storage, (x, gs) => x.langevin_(a, Some((gs, &g.layout)), b, rng))
    }

    /// `self ← self + std·N(0, I)`, in place (the noise term of a Langevin step).
    pub fn add_randn_<R: RngCore + ?Sized>(&mut self, std: f32, mut rng: &mut R) {
        let rng: &mut dyn RngCore = &mut rng;
        device_ok("add_randn_", dispatch!(self.storage_mut(), x => x.langevin_(0.0, None, std, rng)))
    }
}
