//! Optimizers (`torch.optim` in Rust) and learning-rate schedules.
//!
//! An optimizer owns its state (momentum buffers, Adam moments) by parameter name, so the
//! state can be saved in a checkpoint next to the parameters and restored exactly.

mod adam;
mod schedule;
mod sgd;

pub use adam::Adam;
pub use schedule::LrSchedule;
pub use sgd::Sgd;

use std::collections::BTreeMap;

use tensor::Tensor;

use crate::error::Result;
use crate::module::{Module, ParamGrads};

/// Gradient clipping, applied to each parameter's gradient before the update.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Clip {
    /// MatConvNet's `cap`: if `max|g| > c`, rescale `g ← g·c/max|g|` (per parameter).
    MaxAbs(f32),
    /// If `‖g‖₂ > c`, rescale `g ← g·c/‖g‖₂` (per parameter).
    Norm(f32),
}

impl Clip {
    pub fn apply(self, g: &Tensor) -> Tensor {
        let size = match self {
            Clip::MaxAbs(_) => g.abs().max_all().to_scalar().unwrap_or(0.0),
            Clip::Norm(_) => g.square().sum_all().to_scalar().unwrap_or(0.0).sqrt(),
        };
        let c = match self {
            Clip::MaxAbs(c) | Clip::Norm(c) => c,
        };
        if size > c {
            g.mul_scalar(c / size)
        } else {
            g.clone()
        }
    }
}

/// The gradient an optimizer applies to parameter `p`: `clip(g) + λ·m_wd·W` (L2 weight decay
/// scaled by the decay multiplier `decay_mult`, usually the parameter's own).
pub(crate) fn regularized_grad(
    g: &Tensor,
    p: &crate::Parameter,
    clip: Option<Clip>,
    weight_decay: f32,
    decay_mult: f32,
) -> Result<Tensor> {
    let mut g = clip.map_or_else(|| g.clone(), |c| c.apply(g));
    if weight_decay != 0.0 && decay_mult != 0.0 {
        g.axpy_(weight_decay * decay_mult, &p.value)?;
    }
    Ok(g)
}

/// Something that updates a module's parameters from their gradients.
pub trait Optimizer {
    /// One update of every trainable parameter that has a gradient in `grads`.
    fn step(&mut self, module: &mut dyn Module, grads: &ParamGrads) -> Result<()>;
    /// The base learning rate (schedules change it between steps).
    fn lr(&self) -> f32;
    fn set_lr(&mut self, lr: f32);
    /// Optimizer state by name (for checkpoints).
    fn state_dict(&self) -> BTreeMap<String, Tensor>;
    /// Restore [`Optimizer::state_dict`]; unknown names are an error message.
    fn load_state_dict(&mut self, state: &BTreeMap<String, Tensor>) -> std::result::Result<(), String>;
}
