//! Batch normalisation in batch-statistics mode, as one op with a closed-form backward.
//!
//! Per channel c, over the batch and spatial axes (m entries):
//! `μ = mean x`, `σ² = mean (x − μ)²` (biased), `x̂ = (x − μ)/√(σ² + ε)`, `y = γ·x̂ + β`.
//!
//! Backward (the standard closed form; means over the same m entries):
//! `∂L/∂β = Σ g`, `∂L/∂γ = Σ g·x̂`,
//! `∂L/∂x = γ/√(σ² + ε) · (g − mean g − x̂·mean(g·x̂))`.

use tensor::Tensor;

use crate::error::Result;
use crate::var::Var;

/// Batch statistics computed by [`Var::batch_norm`] (for running averages).
pub struct BatchStats {
    pub mean: Tensor,
    pub var: Tensor,
}

impl Var {
    /// Normalise a `[N, C, spatial..]` input per channel with the current batch's statistics,
    /// then scale by `gamma` and shift by `beta` (each `[C]`, optional). Returns the output and
    /// the batch mean and (biased) variance, each `[C]`.
    pub fn batch_norm(&self, gamma: Option<&Var>, beta: Option<&Var>, eps: f32) -> Result<(Var, BatchStats)> {
        let x = self.value();
        let c = x.dim(1)?;
        let axes: Vec<usize> = (0..x.rank()).filter(|&a| a != 1).collect();
        let bshape: Vec<usize> = (0..x.rank()).map(|a| if a == 1 { c } else { 1 }).collect();
        let mean = x.mean(&axes, true)?;
        let centered = x.sub(&mean)?;
        let var = centered.square().mean(&axes, true)?;
        let inv_std = var.add_scalar(eps).sqrt().recip();
        let xhat = centered.mul(&inv_std)?;
        let g_b = match gamma {
            Some(g) => g.value().reshape(&bshape)?,
            None => Tensor::ones(&bshape).to_device(&x.device())?,
        };
        let mut y = xhat.mul(&g_b)?;
        if let Some(b) = beta {
            y = y.add(&b.value().reshape(&bshape)?)?;
        }
        let stats = BatchStats { mean: mean.reshape(&[c])?, var: var.reshape(&[c])? };
        let mut parents = vec![self];
        parents.extend(gamma);
        parents.extend(beta);
        let (has_gamma, has_beta) = (gamma.is_some(), beta.is_some());
        let out = self.tape.record("batch_norm", y, &parents, move |g, n| {
            let gx = if n[0] {
                let mg = g.mean(&axes, true)?;
                let mgx = g.mul(&xhat)?.mean(&axes, true)?;
                Some(g.sub(&mg)?.sub(&xhat.mul(&mgx)?)?.mul(&inv_std.mul(&g_b)?)?)
            } else {
                None
            };
            let mut out = vec![gx];
            if has_gamma {
                out.push(if n[1] { Some(g.mul(&xhat)?.sum(&axes, false)?) } else { None });
            }
            if has_beta {
                let i = 1 + usize::from(has_gamma);
                out.push(if n[i] { Some(g.sum(&axes, false)?) } else { None });
            }
            Ok(out)
        })?;
        Ok((out, stats))
    }
}
