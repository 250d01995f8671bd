//! Diagnostics: what a sampler reports after every step, and a recorder for it.
//!
//! Every sampler calls an [`Observer`] once per step with a [`StepInfo`]: the step index,
//! the step size, the log-density and gradient of every chain at the state the step
//! started from, and (MALA, HMC) which chains accepted their proposal. Any closure
//! `FnMut(&StepInfo)` is an observer; [`Trace`] is one that records everything.
//!
//! Nothing is computed for an observer that does not ask: gradient norms are computed on
//! demand by [`StepInfo::grad_norm`].

use tensor::Tensor;

use crate::chains;
use crate::error::Result;

/// What happened at one step. Values are those at the state the step started from.
#[derive(Debug)]
pub struct StepInfo<'a> {
    /// Step index, from 0.
    pub step: usize,
    /// The step size `δ` used (for HMC, the leapfrog step `ε`).
    pub step_size: f32,
    /// `log p` of every chain, shape `[N]`.
    pub log_density: &'a Tensor,
    /// `∇ log p` of every chain, shape of the state (before clipping).
    pub grad: &'a Tensor,
    /// For MALA and HMC: whether each chain accepted its proposal at this step.
    pub accepted: Option<&'a [bool]>,
}

impl StepInfo<'_> {
    /// `log p` per chain as numbers.
    pub fn log_density_vec(&self) -> Vec<f32> {
        self.log_density.to_vec()
    }
    /// Euclidean norm of the gradient of every chain.
    pub fn grad_norm(&self) -> Result<Vec<f32>> {
        Ok(chains::sq_norm_per_chain(self.grad)?.into_iter().map(|s| s.sqrt() as f32).collect())
    }
    /// Fraction of chains that accepted at this step (`None` for unadjusted Langevin).
    pub fn acceptance_rate(&self) -> Option<f32> {
        self.accepted.map(|a| a.iter().filter(|&&x| x).count() as f32 / a.len().max(1) as f32)
    }
}

/// Receives a [`StepInfo`] after every step. Closures `FnMut(&StepInfo)` are observers.
pub trait Observer {
    fn observe(&mut self, info: &StepInfo<'_>) -> Result<()>;
}

impl<F: FnMut(&StepInfo<'_>)> Observer for F {
    fn observe(&mut self, info: &StepInfo<'_>) -> Result<()> {
        self(info);
        Ok(())
    }
}

/// A record of a run, one entry per step: step size, log-density per chain, gradient norm
/// per chain, and (MALA, HMC) acceptance per chain.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub step_size: Vec<f32>,
    /// `log_density[t][n]`: chain `n` at the start of step `t`.
    pub log_density: Vec<Vec<f32>>,
    /// `grad_norm[t][n]`: ‖∇ log p‖ of chain `n` at the start of step `t`.
    pub grad_norm: Vec<Vec<f32>>,
    /// `accepted[t][n]` (empty for unadjusted Langevin).
    pub accepted: Vec<Vec<bool>>,
}

impl Trace {
    pub fn new() -> Self {
        Trace::default()
    }
    /// Number of steps recorded.
    pub fn len(&self) -> usize {
        self.step_size.len()
    }
    pub fn is_empty(&self) -> bool {
        self.step_size.is_empty()
    }
    /// Mean over chains of `log p`, per step (the curve to watch for convergence).
    pub fn mean_log_density(&self) -> Vec<f32> {
        self.log_density.iter().map(|v| mean(v)).collect()
    }
    /// Mean over chains of the gradient norm, per step.
    pub fn mean_grad_norm(&self) -> Vec<f32> {
        self.grad_norm.iter().map(|v| mean(v)).collect()
    }
    /// Fraction of accepted proposals over all steps and chains (`None` without acceptance).
    pub fn acceptance_rate(&self) -> Option<f32> {
        let total: usize = self.accepted.iter().map(Vec::len).sum();
        let yes: usize = self.accepted.iter().flatten().filter(|&&a| a).count();
        (total > 0).then(|| yes as f32 / total as f32)
    }
}

fn mean(v: &[f32]) -> f32 {
    v.iter().map(|&x| x as f64).sum::<f64>() as f32 / v.len().max(1) as f32
}

impl Observer for Trace {
    fn observe(&mut self, info: &StepInfo<'_>) -> Result<()> {
        self.step_size.push(info.step_size);
        self.log_density.push(info.log_density_vec());
        self.grad_norm.push(info.grad_norm()?);
        if let Some(a) = info.accepted {
            self.accepted.push(a.to_vec());
        }
        Ok(())
    }
}

/// Acceptance counts of a MALA or HMC run.
#[derive(Clone, Debug, PartialEq)]
pub struct Acceptance {
    /// Accepted proposals per chain.
    pub per_chain: Vec<usize>,
    /// Number of steps (proposals per chain).
    pub steps: usize,
    /// Proposals per chain rejected because the state, log-density or gradient at them was
    /// NaN or ±Inf (counted among the rejections).
    pub non_finite: Vec<usize>,
}

impl Acceptance {
    pub(crate) fn new(n_chains: usize, steps: usize) -> Self {
        Acceptance { per_chain: vec![0; n_chains], steps, non_finite: vec![0; n_chains] }
    }
    /// Fraction of all proposals that were accepted.
    pub fn rate(&self) -> f32 {
        let total = self.steps * self.per_chain.len();
        self.per_chain.iter().sum::<usize>() as f32 / total.max(1) as f32
    }
    /// Fraction accepted, per chain.
    pub fn rate_per_chain(&self) -> Vec<f32> {
        self.per_chain.iter().map(|&a| a as f32 / self.steps.max(1) as f32).collect()
    }
}
