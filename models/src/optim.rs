//! The two optimizer families of the reference code, built in one place for every model.
//!
//! * **MatConvNet** (Generative ConvNet, ABP and CoopNets releases): each parameter's gradient
//!   is first multiplied by the parameter's `grad_scale` (set by the layer that owns it: the
//!   descriptor's convolutions divide by their output area H·W, "numFilters"; generator
//!   layers keep 1), then clipped so that `max|G| ≤ cap`, then SGD with momentum and weight
//!   decay, with the parameters' lr and decay multipliers (biases lr×2, no decay).
//! * **TF** (CoopNets and STGConvNet TF code): Adam, with no multipliers and no scaling.
//!
//! Models descend a loss: for the MatConvNet ascent form `M ← μM − λW + G`, `W ← W + lr·M`
//! on the log-likelihood gradient G this is the same update (see `nn::optim::Sgd`).

use std::sync::Arc;

use nn::dist::{mean_grads_, Communicator, Local};
use nn::optim::{Adam, Clip, Optimizer, Sgd};
use nn::{Module, ParamGrads};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Which optimizer family to learn with, and its settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Optim {
    /// Per-layer gradient scaling, max-abs clipping at `cap`, SGD with momentum.
    Matconvnet {
        #[serde(serialize_with = "crate::serde_f32::short")]
        lr: f32,
        #[serde(serialize_with = "crate::serde_f32::short")]
        momentum: f32,
        #[serde(serialize_with = "crate::serde_f32::short")]
        weight_decay: f32,
        #[serde(serialize_with = "crate::serde_f32::short")]
        cap: f32,
    },
    /// Adam (β₂ = 0.999), no multipliers.
    Adam {
        #[serde(serialize_with = "crate::serde_f32::short")]
        lr: f32,
        #[serde(serialize_with = "crate::serde_f32::short")]
        beta1: f32,
    },
}

impl Optim {
    /// The base learning rate.
    pub fn lr(&self) -> f32 {
        match *self {
            Optim::Matconvnet { lr, .. } | Optim::Adam { lr, .. } => lr,
        }
    }
}

/// An optimizer of one family: [`ModelOptimizer::step`] applies the family's gradient
/// scaling, then the update.
pub struct ModelOptimizer {
    pub family: Optim,
    pub inner: Box<dyn Optimizer>,
    /// The processes this net is trained across ([`Local`] = this one only): gradients are
    /// averaged over them before every step (`docs/distributed.md`).
    pub comm: Arc<dyn Communicator>,
}

impl ModelOptimizer {
    pub fn new(family: &Optim) -> Self {
        let inner: Box<dyn Optimizer> = match *family {
            Optim::Matconvnet { lr, momentum, weight_decay, cap } => {
                Box::new(Sgd::new(lr).momentum(momentum).weight_decay(weight_decay).clip(Clip::MaxAbs(cap)))
            }
            Optim::Adam { lr, beta1 } => Box::new(Adam::new(lr).betas(beta1, 0.999).multipliers(false)),
        };
        ModelOptimizer { family: family.clone(), inner, comm: Arc::new(Local) }
    }

    /// Descend along `grads` (gradients of the loss by parameter name).
    pub fn step(&mut self, module: &mut dyn Module, mut grads: ParamGrads) -> Result<()> {
        // data parallel: the mean gradient over the ranks, before the (non-linear) clipping
        mean_grads_(self.comm.as_ref(), &mut grads)?;
        if let Optim::Matconvnet { .. } = self.family {
            for (name, p) in module.named_parameters() {
                match grads.get_mut(&name) {
                    Some(g) if p.grad_scale != 1.0 => g.scale_(p.grad_scale),
                    _ => {}
                }
            }
        }
        self.inner.step(module, &grads)?;
        Ok(())
    }
}
