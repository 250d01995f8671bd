//! Stochastic gradient descent with momentum and weight decay (PyTorch's form).
//!
//! For a parameter W with gradient g, learning-rate multiplier m_lr and decay multiplier m_wd:
//! `g ← clip(g) + λ·m_wd·W`, `v ← μ·v + g`, `W ← W − lr·m_lr·v`.
//!
//! MatConvNet's "gradient ascent with momentum" (`M ← μM − λW + G`, `W ← W + lr·M`, with G
//! the ascent direction) is exactly this with `g = −G` and `v = −M`: pass the gradient of the
//! loss you minimise and the two coincide.

use std::collections::BTreeMap;

use tensor::Tensor;

use super::{Clip, Optimizer};
use crate::error::Result;
use crate::module::{Module, ParamGrads};

#[derive(Clone, Debug)]
pub struct Sgd {
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    pub clip: Option<Clip>,
    velocity: BTreeMap<String, Tensor>,
}

impl Sgd {
    pub fn new(lr: f32) -> Self {
        Sgd { lr, momentum: 0.0, weight_decay: 0.0, clip: None, velocity: BTreeMap::new() }
    }
    pub fn momentum(mut self, m: f32) -> Self {
        self.momentum = m;
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
}

impl Optimizer for Sgd {
    fn step(&mut self, module: &mut dyn Module, grads: &ParamGrads) -> Result<()> {
        for (name, p) in module.named_parameters_mut() {
            let (true, Some(g)) = (p.requires_grad, grads.get(&name)) else {
                continue;
            };
            let g = super::regularized_grad(g, p, self.clip, self.weight_decay, p.decay_mult)?;
            let step = -self.lr * p.lr_mult;
            match self.velocity.get_mut(&name) {
                // v ← μv + g, p ← p − lr·v: one fused pass
                Some(v) if self.momentum != 0.0 => p.value.sgd_momentum_(v, &g, self.momentum, step)?,
                _ => {
                    if self.momentum != 0.0 {
                        self.velocity.insert(name.clone(), g.clone());
                    }
                    p.value.axpy_(step, &g)?;
                }
            }
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
        self.velocity.iter().map(|(k, v)| (format!("sgd.velocity.{k}"), v.clone())).collect()
    }
    fn load_state_dict(&mut self, state: &BTreeMap<String, Tensor>) -> std::result::Result<(), String> {
        self.velocity.clear();
        for (k, v) in state {
            let name = k.strip_prefix("sgd.velocity.").ok_or_else(|| format!("unknown SGD state {k}"))?;
            self.velocity.insert(name.to_string(), v.clone());
        }
        Ok(())
    }
}
