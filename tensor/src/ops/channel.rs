//! Per-channel sums and affine maps of `[N, C, spatial..]` tensors: the two passes that batch
//! normalisation is made of (`autodiff`'s `batch_norm`), each one kernel instead of a chain of
//! broadcasts and reductions.
//!
//! * [`Tensor::channel_sums`]: `(Σ a, Σ a·(b − shift_c))` per channel, over the batch and the
//!   spatial axes. With `b = a` and `shift = μ` the second sum is `Σ a·(a − μ)`, the variance
//!   times the count (up to `μ·Σ(a − μ)`, which is rounding: `μ` is the mean).
//! * [`Tensor::channel_affine`]: `p_c·x + q_c·y + r_c`, e.g. `y = γ·x̂ + β` written as
//!   `(γ/σ)·x + (β − γμ/σ)`.

use crate::backend::BackendStorage;
use crate::device::dispatch3;
use crate::error::{invalid_arg, Result};
use crate::Tensor;

/// `(n, c, s)` of an `[N, C, spatial..]` shape: batch, channels and positions per channel.
fn ncs(op: &'static str, shape: &[usize]) -> Result<(usize, usize, usize)> {
    if shape.len() < 2 {
        return Err(invalid_arg(op, format!("expected [N, C, ...], got {shape:?}")));
    }
    Ok((shape[0], shape[1], shape[2..].iter().product()))
}

/// `what` must have shape `want`.
fn expect_shape(op: &'static str, what: &str, t: &Tensor, want: &[usize]) -> Result<()> {
    if t.shape() == want {
        Ok(())
    } else {
        Err(invalid_arg(op, format!("{what} has shape {:?}, expected {want:?}", t.shape())))
    }
}

impl Tensor {
    /// Per channel `k` of `self` (`[N, C, ...]`): `[Σ self, Σ self·(b − shift[k])]` over the
    /// batch and spatial axes, as a `[2, C]` tensor. `b` has `self`'s shape, `shift` is `[C]`.
    pub fn channel_sums(&self, b: &Tensor, shift: &Tensor) -> Result<Tensor> {
        let (n, c, s) = ncs("channel_sums", self.shape())?;
        expect_shape("channel_sums", "b", b, self.shape())?;
        expect_shape("channel_sums", "shift", shift, &[c])?;
        let (a, bs, sh) = (self.contiguous_storage(), b.contiguous_storage(), shift.contiguous_storage());
        let out = dispatch3!("channel_sums", &*a, &*bs, &*sh, (a, b, sh) => wrap a.channel_sums(b, sh, n, c, s))?;
        Ok(Tensor::from_storage(out, &[2, c]))
    }

    /// `p[k]·self + q[k]·y + r[k]` on channel `k` of `self` (`[N, C, ...]`), with `coef` the
    /// `[3, C]` rows (p, q, r) and `y` of `self`'s shape.
    pub fn channel_affine(&self, y: &Tensor, coef: &Tensor) -> Result<Tensor> {
        let (n, c, s) = ncs("channel_affine", self.shape())?;
        expect_shape("channel_affine", "y", y, self.shape())?;
        expect_shape("channel_affine", "coef", coef, &[3, c])?;
        let (x, ys, k) = (self.contiguous_storage(), y.contiguous_storage(), coef.contiguous_storage());
        let out = dispatch3!("channel_affine", &*x, &*ys, &*k, (x, y, k) => wrap x.channel_affine(y, k, n, c, s))?;
        Ok(Tensor::from_storage(out, self.shape()))
    }
}
