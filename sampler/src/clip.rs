//! Gradient clipping: keep one huge gradient from throwing a chain to infinity.
//!
//! Two independent limits, applied in this order to the gradient `g` before it enters an
//! update:
//!
//! ```text
//! max_abs = c:   gᵢ ← min(max(gᵢ, −c), c)                       (every element)
//! max_norm = c:  g[n] ← g[n] · min(1, c / ‖g[n]‖₂)              (every chain n)
//! ```
//!
//! In MALA and HMC the clipped gradient only changes the *proposal*; the acceptance test
//! still uses the true log-density and accounts for the clipped drift in both directions,
//! so the exactness of those samplers is kept.

use tensor::{Tensor, UnaryOp};

use crate::chains;
use crate::error::Result;

/// Optional per-element and per-chain limits on the gradient. `GradClip::default()` is off.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GradClip {
    /// Clamp every element to `[−c, c]`.
    pub max_abs: Option<f32>,
    /// Rescale each chain's gradient to Euclidean norm at most `c`.
    pub max_norm: Option<f32>,
}

impl GradClip {
    /// No clipping.
    pub fn none() -> Self {
        GradClip::default()
    }
    /// Clamp every element to `[−c, c]`.
    pub fn max_abs(c: f32) -> Self {
        GradClip { max_abs: Some(c), max_norm: None }
    }
    /// Rescale each chain's gradient to norm at most `c`.
    pub fn max_norm(c: f32) -> Self {
        GradClip { max_abs: None, max_norm: Some(c) }
    }
    pub fn is_off(&self) -> bool {
        self.max_abs.is_none() && self.max_norm.is_none()
    }

    /// Clip `grad` (state-shaped, chains on axis 0) in place.
    pub fn apply(&self, grad: &mut Tensor) -> Result<()> {
        if let Some(c) = self.max_abs {
            grad.map_(UnaryOp::Clamp(-c, c));
        }
        if let Some(c) = self.max_norm {
            let scale: Vec<f32> = chains::sq_norm_per_chain(grad)?
                .iter()
                .map(|&sq| {
                    let norm = sq.sqrt();
                    if norm > c as f64 {
                        (c as f64 / norm) as f32
                    } else {
                        1.0
                    }
                })
                .collect();
            if scale.iter().any(|&s| s != 1.0) {
                *grad = grad.mul(&chains::per_chain_column(scale, grad)?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_elements_and_rescales_chains() -> Result<()> {
        let g = Tensor::from_vec(vec![3.0, 4.0, 0.3, -0.4, -10.0, 0.0], &[3, 2])?;
        let mut a = g.clone();
        GradClip::max_abs(1.0).apply(&mut a)?;
        assert_eq!(a.to_vec(), vec![1.0, 1.0, 0.3, -0.4, -1.0, 0.0]);
        let mut n = g.clone();
        GradClip::max_norm(1.0).apply(&mut n)?;
        // chain 0 has norm 5 → scaled by 1/5; chain 1 has norm 0.5 → untouched
        let v = n.to_vec();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert_eq!(&v[2..4], &[0.3, -0.4]);
        assert!((v[4] + 1.0).abs() < 1e-6);
        assert_eq!(g.to_vec()[0], 3.0, "clipping a clone leaves the original alone");
        Ok(())
    }
}
