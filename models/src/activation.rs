//! The non-linearity after a layer, shared by the descriptor's and the generator's nets.

use autodiff::Var;
use nn::layers::{LeakyReLU, ReLU, Sequential, Tanh};
use serde::{Deserialize, Serialize};

/// The slope of the leaky ReLU for x < 0 in every reference code (`tf.maximum(x, 0.2x)`,
/// MatConvNet `'leak', 0.2`); the PyTorch ports use the framework default 0.01 by mistake.
pub const LEAKY_SLOPE: f32 = 0.2;

/// The non-linearity after a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    None,
    Relu,
    /// `max(x, 0.2·x)`.
    LeakyRelu,
    Tanh,
}

impl Activation {
    /// The activation applied to `x`.
    pub fn apply(self, x: Var) -> autodiff::Result<Var> {
        match self {
            Activation::None => Ok(x),
            Activation::Relu => x.relu(),
            Activation::LeakyRelu => x.leaky_relu(LEAKY_SLOPE),
            Activation::Tanh => x.tanh(),
        }
    }

    /// `seq` with the activation appended as a module (nothing for `None`).
    pub fn push(self, seq: Sequential) -> Sequential {
        match self {
            Activation::None => seq,
            Activation::Relu => seq.push(ReLU),
            Activation::LeakyRelu => seq.push(LeakyReLU(LEAKY_SLOPE)),
            Activation::Tanh => seq.push(Tanh),
        }
    }
}
