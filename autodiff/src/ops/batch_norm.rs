//! Batch normalisation in batch-statistics mode, as one op with a closed-form backward.
//!
//! Per channel c, over the batch and spatial axes (m entries):
//! `μ = mean x`, `σ² = mean (x − μ)²` (biased), `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`.
//!
//! Backward (the standard closed form; means over the same m entries):
//! `∂L/∂β = Σ g`, `∂L/∂γ = Σ g·x̂`,
//! `∂L/∂x = γ/√(σ² + ε) · (g − mean g − x̂·mean(g·x̂))`.
//!
//! Each direction is two passes over the activations, through the tensor crate's per-channel
//! kernels ([`Tensor::channel_sums`], [`Tensor::channel_affine`]); everything else works on
//! `[C]` vectors. With `s = 1/√(σ² + ε)` and `k = γ·s`:
//! * forward: `Σ x`, then `Σ x·(x − μ)` (= m·σ², up to rounding), then
//!   `y = k·x + (β − k·μ)`;
//! * backward: `Σ g` and `Σ g·(x − μ)` in one pass (so `Σ g·x̂ = s·Σ g·(x − μ)`), then
//!   `∂L/∂x = k·g − k·s·mean(g·x̂)·(x − μ) − k·mean g`, one affine map of `g` and `x`.

use tensor::Tensor;

use crate::error::Result;
use crate::var::Var;

/// Batch statistics computed by [`Var::batch_norm`] (for running averages).
pub struct BatchStats {
    pub mean: Tensor,
    pub var: Tensor,
}

/// Row `i` of a `[rows, C]` tensor as `[C]`.
fn row(t: &Tensor, i: usize) -> Result<Tensor> {
    Ok(t.narrow(0, i, 1)?.reshape(&[t.shape()[1]])?)
}

/// `[3, C]` coefficients (p, q, r) of [`Tensor::channel_affine`].
fn coef(p: &Tensor, q: &Tensor, r: &Tensor) -> Result<Tensor> {
    Ok(Tensor::cat(&[p, q, r], 0)?.reshape(&[3, p.numel()])?)
}

impl Var {
    /// Normalise a `[N, C, spatial..]` input per channel with the current batch's statistics,
    /// then scale by `gamma` and shift by `beta` (each `[C]`, optional). Returns the output and
    /// the batch mean and (biased) variance, each `[C]`.
    pub fn batch_norm(&self, gamma: Option<&Var>, beta: Option<&Var>, eps: f32) -> Result<(Var, BatchStats)> {
        let x = self.value().contiguous();
        let (c, dev) = (x.dim(1)?, x.device());
        let m = (x.numel() / c.max(1)).max(1) as f32;
        let zeros = Tensor::zeros_on(&[c], &dev)?;
        let mean = row(&x.channel_sums(&x, &zeros)?, 0)?.mul_scalar(1.0 / m);
        let var = row(&x.channel_sums(&x, &mean)?, 1)?.mul_scalar(1.0 / m);
        let inv_std = var.add_scalar(eps).sqrt().recip();
        let gamma_v = match gamma {
            Some(g) => g.value().reshape(&[c])?,
            None => Tensor::full_on(&[c], 1.0, &dev)?,
        };
        let k = gamma_v.mul(&inv_std)?;
        let mut shift = k.mul(&mean)?.neg();
        if let Some(b) = beta {
            shift = shift.add(&b.value().reshape(&[c])?)?;
        }
        let y = x.channel_affine(&x, &coef(&k, &zeros, &shift)?)?;
        let stats = BatchStats { mean: mean.clone(), var };
        let mut parents = vec![self];
        parents.extend(gamma);
        parents.extend(beta);
        let (has_gamma, has_beta) = (gamma.is_some(), beta.is_some());
        let out = self.tape.record("batch_norm", y, &parents, move |g, n| {
            let sums = g.channel_sums(&x, &mean)?;
            let (sum_g, sum_gxhat) = (row(&sums, 0)?, row(&sums, 1)?.mul(&inv_std)?);
            let gx = if n[0] {
                // ∂L/∂x = p·g + q·x + r, p = k, q = −k·s·mean(g·x̂), r = −k·mean g − q·μ
                let q = k.mul(&inv_std)?.mul(&sum_gxhat)?.mul_scalar(-1.0 / m);
                let r = k.mul(&sum_g)?.mul_scalar(-1.0 / m).sub(&q.mul(&mean)?)?;
                Some(g.channel_affine(&x, &coef(&k, &q, &r)?)?)
            } else {
                None
            };
            let mut out = vec![gx];
            if has_gamma {
                out.push(if n[1] { Some(sum_gxhat.clone()) } else { None });
            }
            if has_beta {
                let i = 1 + usize::from(has_gamma);
                out.push(if n[i] { Some(sum_g) } else { None });
            }
            Ok(out)
        })?;
        Ok((out, stats))
    }
}
