//! `BatchNorm` for `[N, C, ...]` inputs (1d, 2d and 3d alike).
//!
//! `y = γ·(x − μ)/√(σ² + ε) + β` per channel. The reference code always normalises with the
//! **current batch's** statistics, also when sampling; that is the default here
//! (`use_running_stats = false`). Running averages are still tracked
//! (`running ← (1 − momentum)·running + momentum·batch`, unbiased variance as PyTorch) and can
//! be used instead for evaluation. They follow the forward passes that are recorded (learning
//! and Langevin inference); a forward under `Tape::no_grad` (drawing samples to look at) leaves
//! them unchanged, so that looking at a model never changes it (a resumed run stays
//! bit-identical whatever was sampled in between).

use std::sync::Mutex;

use autodiff::Var;
use tensor::Tensor;

use crate::error::{NnError, Result};
use crate::module::{collect_weight_bias, collect_weight_bias_mut, join, Module};
use crate::parameter::Parameter;

pub struct BatchNorm {
    /// γ (`weight` in PyTorch's names); `None` for TF's `scale=False`.
    pub weight: Option<Parameter>,
    /// β.
    pub bias: Option<Parameter>,
    pub eps: f32,
    pub momentum: f32,
    /// Normalise with the running statistics instead of the batch's (evaluation mode).
    pub use_running_stats: bool,
    running: Mutex<(Tensor, Tensor)>,
}

impl BatchNorm {
    /// `channels` features, learned γ and β (MatConvNet lr multipliers [2, 1], no decay).
    pub fn new(channels: usize) -> Self {
        BatchNorm {
            weight: Some(Parameter::new(Tensor::ones(&[channels])).with_lr_mult(2.0).with_decay_mult(0.0)),
            bias: Some(Parameter::new(Tensor::zeros(&[channels])).with_decay_mult(0.0)),
            eps: 1e-5,
            momentum: 0.1,
            use_running_stats: false,
            running: Mutex::new((Tensor::zeros(&[channels]), Tensor::ones(&[channels]))),
        }
    }
    /// Without γ (TF1 `batch_norm` default `scale=False`).
    pub fn without_scale(mut self) -> Self {
        self.weight = None;
        self
    }
    pub fn eps(mut self, eps: f32) -> Self {
        self.eps = eps;
        self
    }
    /// (running mean, running variance).
    pub fn running_stats(&self) -> (Tensor, Tensor) {
        self.running.lock().map(|g| g.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }
}

impl Module for BatchNorm {
    fn forward(&self, x: &Var) -> Result<Var> {
        let c = self.running_stats().0.numel();
        if x.shape().len() < 2 || x.shape()[1] != c {
            return Err(NnError::Config {
                layer: "BatchNorm",
                msg: format!("expected [N, {c}, ...] input, got {:?}", x.shape()),
            });
        }
        let tape = x.tape();
        let (g, b) = (self.weight.as_ref().map(|p| p.var(tape)), self.bias.as_ref().map(|p| p.var(tape)));
        if self.use_running_stats {
            // y = γ·(x − μ_run)/√(σ²_run + ε) + β with constant statistics
            let (m, v) = self.running_stats();
            let bshape: Vec<usize> = (0..x.shape().len()).map(|a| if a == 1 { c } else { 1 }).collect();
            let m = tape.constant(m.reshape(&bshape)?);
            let inv = tape.constant(v.add_scalar(self.eps).sqrt().recip().reshape(&bshape)?);
            let mut y = x.sub(&m)?.mul(&inv)?;
            if let Some(g) = g {
                y = y.mul(&g.reshape(&bshape)?)?;
            }
            if let Some(b) = b {
                y = y.add(&b.reshape(&bshape)?)?;
            }
            return Ok(y);
        }
        let (y, stats) = x.batch_norm(g.as_ref(), b.as_ref(), self.eps)?;
        if !tape.is_recording() {
            return Ok(y);
        }
        let m: usize = x.shape().iter().enumerate().filter(|(a, _)| *a != 1).map(|(_, d)| d).product();
        let unbiased = m as f32 / (m.max(2) - 1) as f32;
        let mut run = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let k = self.momentum;
        // running ← (1 − k)·running + k·batch, in place: one small pass each (on a GPU, a
        // Langevin step runs this for every batch norm, so launches count). Checked first, so
        // that a mismatch leaves the statistics as they were.
        if run.0.shape() != stats.mean.shape() || run.0.device() != stats.mean.device() {
            return Err(NnError::Config {
                layer: "BatchNorm",
                msg: format!(
                    "running statistics {:?} on {} against batch {:?} on {}",
                    run.0.shape(),
                    run.0.device(),
                    stats.mean.shape(),
                    stats.mean.device()
                ),
            });
        }
        run.0.axpby_(1.0 - k, k, &stats.mean)?;
        run.1.axpby_(1.0 - k, k * unbiased, &stats.var)?;
        Ok(y)
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>) {
        collect_weight_bias(prefix, self.weight.as_ref(), self.bias.as_ref(), out);
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        collect_weight_bias_mut(prefix, self.weight.as_mut(), self.bias.as_mut(), out);
    }
    fn collect_buffers(&self, prefix: &str, out: &mut Vec<(String, Tensor)>) {
        let (m, v) = self.running_stats();
        out.push((join(prefix, "running_mean"), m));
        out.push((join(prefix, "running_var"), v));
    }
    fn load_buffer(&self, name: &str, value: &Tensor) -> bool {
        let mut run = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match name {
            "running_mean" => run.0 = value.clone(),
            "running_var" => run.1 = value.clone(),
            _ => return false,
        }
        true
    }
}
