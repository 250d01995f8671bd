//! A finite-difference gradient checker (minitorch's `grad_check`, in f64).
//!
//! For a function `f` of some tensors, draw a fixed random `r` of `f`'s output shape and
//! compare the analytic gradient of `L(x) = Σ r ⊙ f(x)` (from `backward_with_seed`, so
//! non-scalar outputs are checked with a non-trivial seed) against central differences
//! `(L(x + εe_j) − L(x − εe_j)) / 2ε`, with `L` accumulated in f64.

use tensor::{rng_from_seed, Tensor};

use crate::error::{AutodiffError, Result};
use crate::tape::Tape;
use crate::var::Var;

/// Settings of a check.
#[derive(Clone, Debug)]
pub struct GradCheck {
    /// Finite-difference step.
    pub eps: f32,
    /// Pass if `|analytic − numeric| ≤ atol + rtol·|numeric|`.
    pub atol: f64,
    pub rtol: f64,
    /// Check at most this many elements per input (evenly spread), to keep big convs quick.
    pub max_elements: usize,
    pub seed: u64,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck { eps: 1e-2, atol: 1e-3, rtol: 1e-2, max_elements: 200, seed: 0 }
    }
}

/// What a passing check measured.
#[derive(Clone, Debug)]
pub struct GradCheckReport {
    pub checked: usize,
    pub max_abs_error: f64,
}

impl GradCheck {
    /// Check `f` at `inputs`; `Err(AutodiffError::GradCheck { .. })` names the first element
    /// that disagrees.
    pub fn check(&self, inputs: &[Tensor], f: impl Fn(&[Var]) -> Result<Var>) -> Result<GradCheckReport> {
        let tape = Tape::new();
        let vars: Vec<Var> = inputs.iter().map(|t| tape.var(t.clone())).collect();
        let out = f(&vars)?;
        let mut rng = rng_from_seed(self.seed);
        let r = Tensor::randn(out.shape(), 0.0, 1.0, &mut rng)?;
        let rv = r.to_vec();
        let grads = tape.backward_with_seed(&out, &r, &vars.iter().collect::<Vec<_>>())?;
        let loss = |xs: &[Tensor]| -> Result<f64> {
            let t = Tape::new();
            let vs: Vec<Var> = xs.iter().map(|x| t.constant(x.clone())).collect();
            let y = f(&vs)?.value().to_vec();
            Ok(y.iter().zip(&rv).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum())
        };
        let mut report = GradCheckReport { checked: 0, max_abs_error: 0.0 };
        for (i, v) in vars.iter().enumerate() {
            let analytic = grads.get_or_zeros(v).to_vec();
            let base = inputs[i].to_vec();
            let n = base.len();
            let step = n.div_ceil(self.max_elements.max(1)).max(1);
            for j in (0..n).step_by(step) {
                let mut xs: Vec<Tensor> = inputs.to_vec();
                let mut probe = |delta: f32| -> Result<f64> {
                    let mut d = base.clone();
                    d[j] += delta;
                    xs[i] = Tensor::from_vec(d, inputs[i].shape())?;
                    loss(&xs)
                };
                let numeric = (probe(self.eps)? - probe(-self.eps)?) / (2.0 * f64::from(self.eps));
                let a = f64::from(analytic[j]);
                let err = (a - numeric).abs();
                let tolerance = self.atol + self.rtol * numeric.abs();
                if err > tolerance || !a.is_finite() {
                    return Err(AutodiffError::GradCheck { input: i, index: j, analytic: a, numeric, tolerance });
                }
                report.checked += 1;
                report.max_abs_error = report.max_abs_error.max(err);
            }
        }
        Ok(report)
    }
}
