//! Batch normalisation in batch-statistics mode, as one op with a closed-form backward.
//!
//! Per channel c, over the batch and spatial axes (m entries):
//! `μ = mean x`, `σ² = mean (x − μ)²` (biased), `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`.
//!
//! Backward (the standard closed form; means over the same m entries):
//! `∂L/∂β = Σ g`, `∂L/∂γ = Σ g·x̂`,
//! `∂L/∂x = γ/√(σ² + ε) · (g − mean g − x̂·mean(g·x̂))`.
//!
//! Each direction is a few passes through the tensor crate's per-channel kernels, with the
//! `[C]`-vector arithmetic in one kernel each way. With `s = 1/√(σ² + ε)` and `k = γ·s`:
//! * forward: `Σ x` for `μ`, then `Σ (x − μ)²` = m·σ², centred before squaring as the
//!   two-pass formula (both in [`Tensor::channel_moments`]), then
//!   the numbers `(k, β − k·μ, σ², s)` ([`Tensor::batch_norm_coefficients`]),
//!   then `y = k·x + (β − k·μ)` ([`Tensor::channel_affine`]);
//! * backward: `Σ g` and `Σ g·(x − μ)` in one pass (so `Σ g·x̂ = s·Σ g·(x − μ)`), the
//!   numbers ([`Tensor::batch_norm_grad_coefficients`]), then
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

impl Var {
    /// Normalise a `[N, C, spatial..]` input per channel with the current batch's statistics,
    /// then scale by `gamma` and shift by `beta` (each `[C]`, optional). Returns the output and
    /// the batch mean and (biased) variance, each `[C]`.
    pub fn batch_norm(&self, gamma: Option<&Var>, beta: Option<&Var>, eps: f32) -> Result<(Var, BatchStats)> {
        let x = self.value().contiguous();
        let (c, dev) = (x.dim(1)?, x.device());
        let m = (x.numel() / c.max(1)).max(1) as f32;
        let gamma_v = match gamma {
            Some(g) => g.value().reshape(&[c])?,
            None => Tensor::full_on(&[c], 1.0, &dev)?,
        };
        let beta_v = match beta {
            Some(b) => b.value().reshape(&[c])?,
            None => Tensor::zeros_on(&[c], &dev)?,
        };
        // rows (k, 0, β − k·μ, μ, σ², s)
        let fwd = Tensor::batch_norm_coefficients(&x.channel_moments()?, &gamma_v, &beta_v, m, eps)?;
        let mean = row(&fwd, 3)?;
        let y = x.channel_affine(&x, &fwd)?;
        let stats = BatchStats { mean: mean.clone(), var: row(&fwd, 4)? };
        let mut parents = vec![self];
        parents.extend(gamma);
        parents.extend(beta);
        let (has_gamma, has_beta) = (gamma.is_some(), beta.is_some());
        let out = self.tape.record("batch_norm", y, &parents, move |g, n| {
            // rows (p, q, r, ∂L/∂γ, ∂L/∂β), ∂L/∂x = p·g + q·x + r
            // `mean` is row 3 of `fwd`, contiguous
            let back = Tensor::batch_norm_grad_coefficients(&g.channel_sums(&x, &mean)?, &fwd, m)?;
            let mut out = vec![if n[0] { Some(g.channel_affine(&x, &back)?) } else { None }];
            if has_gamma {
                out.push(if n[1] { Some(row(&back, 3)?) } else { None });
            }
            if has_beta {
                let i = 1 + usize::from(has_gamma);
                out.push(if n[i] { Some(row(&back, 4)?) } else { None });
            }
            Ok(out)
        })?;
        Ok((out, stats))
    }
}
