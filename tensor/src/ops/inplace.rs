//! In-place updates for optimizers and Langevin: no new tensor per step.
//!
//! If the storage is shared with another tensor (or this is a view), it is copied first
//! (copy-on-write), so an in-place update never changes a tensor someone else holds.

use rand::RngCore;

use crate::backend::BackendStorage;
use crate::device::{dispatch, dispatch2, Storage};
use crate::error::{Result, TensorError};
use crate::op::{AdamStep, UnaryOp};
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
        dispatch2!("axpy_", self.storage_mut(), &*x.storage, (y, xs) => y.axpby_(1.0, alpha, xs, &x.layout))
    }

    /// `self ← a·self + b·x` (BLAS axpby), e.g. a running average `(1 − k)·run + k·batch` in
    /// one pass; rounded as `scale_(a)` then `axpy_(b, x)`.
    pub fn axpby_(&mut self, a: f32, b: f32, x: &Tensor) -> Result<()> {
        self.same_shape("axpby_", x)?;
        dispatch2!("axpby_", self.storage_mut(), &*x.storage, (y, xs) => y.axpby_(a, b, xs, &x.layout))
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

    /// SGD with momentum on this parameter, one pass: `v ← μ·v + g`, `self ← self + step·v`
    /// (`step = −lr`).
    pub fn sgd_momentum_(&mut self, v: &mut Tensor, g: &Tensor, momentum: f32, step: f32) -> Result<()> {
        self.same_shape("sgd_momentum_", v)?;
        self.same_shape("sgd_momentum_", g)?;
        let lg = g.layout.clone();
        match (self.storage_mut(), v.storage_mut(), &*g.storage) {
            (Storage::Cpu(p), Storage::Cpu(v), Storage::Cpu(g)) => p.sgd_momentum_(v, g, &lg, momentum, step),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(p), Storage::Cuda(v), Storage::Cuda(g)) => p.sgd_momentum_(v, g, &lg, momentum, step),
            #[allow(unreachable_patterns)]
            (p, _, g) => Err(mismatch("sgd_momentum_", p, g)),
        }
    }

    /// One Adam update of this parameter with moments `m`, `v`, in one pass
    /// ([`AdamStep::apply`] gives the arithmetic).
    pub fn adam_(&mut self, m: &mut Tensor, v: &mut Tensor, g: &Tensor, s: &AdamStep) -> Result<()> {
        for t in [&*m, &*v, g] {
            self.same_shape("adam_", t)?;
        }
        let lg = g.layout.clone();
        match (self.storage_mut(), m.storage_mut(), v.storage_mut(), &*g.storage) {
            (Storage::Cpu(p), Storage::Cpu(m), Storage::Cpu(v), Storage::Cpu(g)) => p.adam_(m, v, g, &lg, s),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(p), Storage::Cuda(m), Storage::Cuda(v), Storage::Cuda(g)) => p.adam_(m, v, g, &lg, s),
            #[allow(unreachable_patterns)]
            (p, _, _, g) => Err(mismatch("adam_", p, g)),
        }
    }
}

fn mismatch(op: &'static str, a: &Storage, b: &Storage) -> TensorError {
    TensorError::DeviceMismatch { op, lhs: a.device().to_string(), rhs: b.device().to_string() }
}
