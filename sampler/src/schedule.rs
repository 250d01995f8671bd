//! Step-size schedules: the Langevin step `δ` as a function of the step index.
//!
//! With `T` steps numbered `t = 0 … T−1`:
//!
//! ```text
//! Constant(δ):              δ_t = δ
//! Linear { from, to }:      δ_t = δ₀ + (δ₁ − δ₀) · t/(T−1)
//! Geometric { from, to }:   δ_t = δ₀ · (δ₁/δ₀)^(t/(T−1))
//! ```
//!
//! so the first step uses `δ₀` and the last exactly `δ₁` (a one-step run uses `δ₀`).
//! Decaying schedules are the usual annealing trick: large steps travel, small steps settle.

use crate::error::{Result, SamplerError};

/// The step size `δ` of step `t` of a run of `T` steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StepSize {
    /// The same `δ` at every step.
    Constant(f32),
    /// Linear interpolation from `from` (first step) to `to` (last step).
    Linear { from: f32, to: f32 },
    /// Geometric interpolation (constant ratio between steps) from `from` to `to`.
    Geometric { from: f32, to: f32 },
}

impl From<f32> for StepSize {
    fn from(delta: f32) -> Self {
        StepSize::Constant(delta)
    }
}

impl StepSize {
    /// `δ_t` for step `t` of a run of `n_steps` steps.
    pub fn at(&self, t: usize, n_steps: usize) -> f32 {
        // fraction of the run done, 0 at the first step and 1 at the last
        let frac = if n_steps > 1 { t as f64 / (n_steps - 1) as f64 } else { 0.0 };
        match *self {
            StepSize::Constant(d) => d,
            StepSize::Linear { from, to } => (from as f64 + (to as f64 - from as f64) * frac) as f32,
            StepSize::Geometric { from, to } => (from as f64 * (to as f64 / from as f64).powf(frac)) as f32,
        }
    }

    /// Every step size must be finite and positive (MALA divides by `δ²`).
    pub fn validate(&self) -> Result<()> {
        let ends = match *self {
            StepSize::Constant(d) => [d, d],
            StepSize::Linear { from, to } | StepSize::Geometric { from, to } => [from, to],
        };
        if ends.iter().all(|d| d.is_finite() && *d > 0.0) {
            Ok(())
        } else {
            Err(SamplerError::Config(format!("step size {self:?}: needs finite values > 0")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_midpoints() {
        let lin = StepSize::Linear { from: 1.0, to: 0.2 };
        assert_eq!(lin.at(0, 5), 1.0);
        assert!((lin.at(2, 5) - 0.6).abs() < 1e-6);
        assert!((lin.at(4, 5) - 0.2).abs() < 1e-6);
        let geo = StepSize::Geometric { from: 1.0, to: 0.01 };
        assert_eq!(geo.at(0, 3), 1.0);
        assert!((geo.at(1, 3) - 0.1).abs() < 1e-6);
        assert!((geo.at(2, 3) - 0.01).abs() < 1e-7);
        assert_eq!(StepSize::from(0.3).at(7, 10), 0.3);
        assert_eq!(geo.at(0, 1), 1.0);
        assert!(StepSize::Constant(0.0).validate().is_err());
        assert!(StepSize::Geometric { from: 1.0, to: f32::NAN }.validate().is_err());
    }
}
