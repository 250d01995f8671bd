//! `Parameter`: a learnable tensor with its optimisation settings.

use std::sync::atomic::{AtomicU64, Ordering};

use autodiff::{Tape, Var};
use tensor::Tensor;

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// A tensor a model learns, plus how it is learned.
#[derive(Debug)]
pub struct Parameter {
    pub value: Tensor,
    /// Frozen parameters get no gradient and are skipped by optimizers.
    pub requires_grad: bool,
    /// Multiplies the optimizer's learning rate (MatConvNet uses 1 for weights, 2 for biases).
    pub lr_mult: f32,
    /// Multiplies the optimizer's weight decay (0 for biases and BatchNorm, as in MatConvNet).
    pub decay_mult: f32,
    /// Multiplies this parameter's gradient before clipping, in optimizer families that scale
    /// per layer (MatConvNet divides each layer's gradient by its output area H·W). Set by the
    /// layer's builder, which knows the layer; 1 leaves the gradient as it is.
    pub grad_scale: f32,
    key: u64,
}

/// A clone is a new parameter (its own leaf on a tape), with the same value and settings.
impl Clone for Parameter {
    fn clone(&self) -> Self {
        Parameter {
            value: self.value.clone(),
            requires_grad: self.requires_grad,
            lr_mult: self.lr_mult,
            decay_mult: self.decay_mult,
            grad_scale: self.grad_scale,
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Parameter {
    pub fn new(value: Tensor) -> Self {
        Parameter {
            value,
            requires_grad: true,
            lr_mult: 1.0,
            decay_mult: 1.0,
            grad_scale: 1.0,
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Builder: learning-rate multiplier.
    pub fn with_lr_mult(mut self, m: f32) -> Self {
        self.lr_mult = m;
        self
    }

    /// Builder: weight-decay multiplier.
    pub fn with_decay_mult(mut self, m: f32) -> Self {
        self.decay_mult = m;
        self
    }

    /// Builder: gradient scale (see [`Parameter::grad_scale`]).
    pub fn with_grad_scale(mut self, s: f32) -> Self {
        self.grad_scale = s;
        self
    }

    /// This parameter as a leaf on `tape` (one leaf per pass, however often it is used).
    pub fn var(&self, tape: &Tape) -> Var {
        tape.keyed_var(self.key, self.requires_grad, || self.value.clone())
    }

    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }
}
