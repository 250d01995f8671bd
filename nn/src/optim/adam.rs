//! Adam (Kingma & Ba), with bias correction.
//!
//! `g ← clip(g) + λ·m_wd·W`, `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
//! `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`, `W ← W − lr·m_lr·m̂/(√v̂ + ε)`.
//! The reference CoopNets code uses β₁ = 0.5. TF's Adam has no per-parameter multipliers:
//! [`Adam::multipliers`]`(false)` ignores `m_lr` and `m_wd` (the TF families use that).

use std::collections::BTreeMap;

use tensor::{AdamStep, Tensor};

use super::{Clip, Optimizer};
use crate::error::Result;
use crate::module::{Module, ParamGrads};

#[derive(Clone, Debug)]
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub clip: Option<Clip>,
    /// Apply the parameters' `lr_mult` and `decay_mult` (true, PyTorch param-group style) or
    /// treat every parameter alike (false, as TF's `AdamOptimizer`).
    pub multipliers: bool,
    /// Per parameter: (steps taken, m, v).
    state: BTreeMap<String, (u64, Tensor, Tensor)>,
}

impl Adam {
    /// PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8.
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            clip: None,
            multipliers: true,
            state: BTreeMap::new(),
        }
    }
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    pub fn eps(mut self, eps: f32) -> Self {
        self.eps = eps;
        self
    }
    pub fn weight_decay(mut self, wd: f32) -> Self {
        self.weight_decay = wd;
        self
    }
    pub fn clip(mut self, c: Clip) -> Self {
        self.clip = Some(c);
        self
    }
    /// Use the parameters' lr and decay multipliers (default) or not.
    pub fn multipliers(mut self, on: bool) -> Self {
        self.multipliers = on;
        self
    }
}

impl Optimizer for Adam {
    fn step(&mut self, module: &mut dyn Module, grads: &ParamGrads) -> Result<()> {
        let (b1, b2) = (self.beta1, self.beta2);
        for (name, p) in module.named_parameters_mut() {
            let (true, Some(g)) = (p.requires_grad, grads.get(&name)) else {
                continue;
            };
            let (lr_mult, decay_mult) = if self.multipliers { (p.lr_mult, p.decay_mult) } else { (1.0, 1.0) };
            let g = super::regularized_grad(g, p, self.clip, self.weight_decay, decay_mult)?;
            let (t, m, v) = self.state.entry(name).or_insert_with(|| (0, g.zeros_like(), g.zeros_like()));
            *t += 1;
            // m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·m̂/(√v̂ + ε): one fused pass
            let s = AdamStep {
                beta1: b1,
                beta2: b2,
                eps: self.eps,
                c1: 1.0 / (1.0 - b1.powi(*t as i32)),
                c2: 1.0 / (1.0 - b2.powi(*t as i32)),
                step: -self.lr * lr_mult,
            };
            p.value.adam_(m, v, &g, &s)?;
        }
        Ok(())
    }
    fn lr(&self) -> f32 {
        self.lr
    }
    fn set_lr(&mut self, lr: f32) {
        self.lr = lr;
    }
    fn state_dict(&self) -> BTreeMap<String, Tensor> {
        let mut d = BTreeMap::new();
        for (k, (t, m, v)) in &self.state {
            d.insert(format!("adam.m.{k}"), m.clone());
            d.insert(format!("adam.v.{k}"), v.clone());
            d.insert(format!("adam.t.{k}"), Tensor::scalar(*t as f32));
        }
        d
    }
    fn load_state_dict(&mut self, state: &BTreeMap<String, Tensor>) -> std::result::Result<(), String> {
        let mut parts: BTreeMap<String, (Option<u64>, Option<Tensor>, Option<Tensor>)> = BTreeMap::new();
        for (k, v) in state {
            let (kind, name) = k
                .strip_prefix("adam.")
                .and_then(|r| r.split_once('.'))
                .ok_or_else(|| format!("unknown Adam state {k}"))?;
            let e = parts.entry(name.to_string()).or_default();
            match kind {
                "m" => e.1 = Some(v.clone()),
                "v" => e.2 = Some(v.clone()),
                "t" => e.0 = Some(v.to_scalar().map_err(|e| e.to_string())? as u64),
                _ => return Err(format!("unknown Adam state {k}")),
            }
        }
        let mut loaded = BTreeMap::new();
        for (name, part) in parts {
            match part {
                (Some(t), Some(m), Some(v)) if m.shape() == v.shape() => {
                    loaded.insert(name, (t, m, v));
                }
                _ => return Err(format!("Adam state of {name} is incomplete (needs t, m and v of one shape)")),
            }
        }
        self.state = loaded;
        Ok(())
    }
}
