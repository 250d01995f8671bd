//! Per-channel sums and affine maps of `[N, C, spatial..]` tensors: the two passes that batch
//! normalisation is made of (`autodiff`'s `batch_norm`), each one kernel instead of a chain of
//! broadcasts and reductions.
//!
//! * [`Tensor::channel_sums`]: `(Σ a, Σ a·(b − shift_c))` per channel, over the batch and the
//!   spatial axes; [`Tensor::channel_central_sums`]: `(Σ a, Σ (a − shift_c)²)`, with the
//!   channel means as the shift the variance times the count; [`Tensor::channel_moments`]:
//!   both passes of that, the means found in between.
//! * [`Tensor::channel_affine`]: `p_c·x + q_c·y + r_c`, e.g. `y = γ·x̂ + β` written as
//!   `(γ/σ)·x + (β − γμ/σ)`.

use crate::backend::BackendStorage;
use crate::device::{dispatch, dispatch2, dispatch3};
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
        let out = dispatch3!("channel_sums", &*a, &*bs, &*sh, (a, b, sh) => wrap a.channel_sums(b, Some((sh, 1.0)), false, (n, c, s)))?;
        Ok(Tensor::from_storage(out, &[2, c]))
    }

    /// Per channel `k` of `self` (`[N, C, ...]`): `[Σ self, Σ (self − shift[k])²]` as `[2, C]`;
    /// with `shift` the channel means, the second row is the count times the variance,
    /// centred before squaring (never negative, exact for large means).
    pub fn channel_central_sums(&self, shift: &Tensor) -> Result<Tensor> {
        let (n, c, s) = ncs("channel_central_sums", self.shape())?;
        expect_shape("channel_central_sums", "shift", shift, &[c])?;
        let (a, sh) = (self.contiguous_storage(), shift.contiguous_storage());
        let out = dispatch3!("channel_central_sums", &*a, &*a, &*sh, (a, b, sh) => wrap a.channel_sums(b, Some((sh, 1.0)), true, (n, c, s)))?;
        Ok(Tensor::from_storage(out, &[2, c]))
    }

    /// Per channel `k` of `self` (`[N, C, ...]`, `m` entries per channel): `[Σ x, Σ (x − μ)²]`
    /// as `[2, C]`, with `μ = Σ x · (1/m)`: the count times the mean and times the (biased)
    /// variance, by the two-pass formula. The same numbers as [`Tensor::channel_sums`] for the
    /// sums, `mul_scalar(1/m)` of its first row for `μ`, then [`Tensor::channel_central_sums`],
    /// in two kernels instead of four (no zero shift, no separate mean).
    pub fn channel_moments(&self) -> Result<Tensor> {
        let (n, c, s) = ncs("channel_moments", self.shape())?;
        let inv_m = 1.0 / (n * s).max(1) as f32;
        let a = self.contiguous_storage();
        let out = dispatch!(&*a, a => wrap a
            .channel_sums(a, None, false, (n, c, s))
            .and_then(|sums| a.channel_sums(a, Some((&sums, inv_m)), true, (n, c, s))))?;
        Ok(Tensor::from_storage(out, &[2, c]))
    }

    /// `p[k]·self + q[k]·y + r[k]` on channel `k` of `self` (`[N, C, ...]`), with `coef`'s
    /// first three rows (p, q, r) (`[R, C]`, `R ≥ 3`: the coefficient tensors below have more
    /// rows) and `y` of `self`'s shape.
    pub fn channel_affine(&self, y: &Tensor, coef: &Tensor) -> Result<Tensor> {
        let (n, c, s) = ncs("channel_affine", self.shape())?;
        expect_shape("channel_affine", "y", y, self.shape())?;
        if coef.rank() != 2 || coef.shape()[0] < 3 || coef.shape()[1] != c {
            return Err(invalid_arg(
                "channel_affine",
                format!("coef has shape {:?}, expected [≥ 3, {c}]", coef.shape()),
            ));
        }
        let (x, ys, k) = (self.contiguous_storage(), y.contiguous_storage(), coef.contiguous_storage());
        let out = dispatch3!("channel_affine", &*x, &*ys, &*k, (x, y, k) => wrap x.channel_affine(y, k, n, c, s))?;
        Ok(Tensor::from_storage(out, self.shape()))
    }
}

impl Tensor {
    /// Batch norm's per-channel numbers from `sums` = [`Tensor::channel_moments`]`(x)` (or
    /// [`Tensor::channel_central_sums`]`(x, μ)`, the same numbers) of `m` entries per channel:
    /// `[6, C]` rows `(k, 0, β − k·μ, μ, σ², s)`, `s = 1/√(σ² + eps)`, `k = γ·s`; its first
    /// three rows are the [`Tensor::channel_affine`] coefficients of `y = γ·(x − μ)·s + β`. One
    /// kernel for the whole `[C]`-vector arithmetic.
    pub fn batch_norm_coefficients(sums: &Tensor, gamma: &Tensor, beta: &Tensor, m: f32, eps: f32) -> Result<Tensor> {
        let c = sums.shape().get(1).copied().unwrap_or(0);
        expect_shape("batch_norm_coefficients", "sums", sums, &[2, c])?;
        expect_shape("batch_norm_coefficients", "gamma", gamma, &[c])?;
        expect_shape("batch_norm_coefficients", "beta", beta, &[c])?;
        let (s, g, b) = (sums.contiguous_storage(), gamma.contiguous_storage(), beta.contiguous_storage());
        let out = dispatch3!("batch_norm_coefficients", &*s, &*g, &*b, (s, g, b) => wrap s.batch_norm_coefficients(g, b, c, m, eps))?;
        Ok(Tensor::from_storage(out, &[6, c]))
    }

    /// Batch norm's backward numbers from `sums` = [`Tensor::channel_sums`]`(g, x, μ)` and the
    /// forward's `fwd` ([`Tensor::batch_norm_coefficients`]): `[5, C]` rows
    /// `(p, q, r, ∂L/∂γ, ∂L/∂β)`, the first three the [`Tensor::channel_affine`] coefficients
    /// of `∂L/∂x = p·g + q·x + r`.
    pub fn batch_norm_grad_coefficients(sums: &Tensor, fwd: &Tensor, m: f32) -> Result<Tensor> {
        let c = sums.shape().get(1).copied().unwrap_or(0);
        expect_shape("batch_norm_grad_coefficients", "sums", sums, &[2, c])?;
        expect_shape("batch_norm_grad_coefficients", "fwd", fwd, &[6, c])?;
        let (s, f) = (sums.contiguous_storage(), fwd.contiguous_storage());
        let out = dispatch2!("batch_norm_grad_coefficients", &*s, &*f, (s, f) => wrap s.batch_norm_grad_coefficients(f, c, m))?;
        Ok(Tensor::from_storage(out, &[5, c]))
    }
}
