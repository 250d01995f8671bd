//! The descriptor: a generative ConvNet (Xie, Lu, Zhu, Wu, "A Theory of Generative ConvNet").
//!
//! An energy-based model on images Y:
//!
//! `p(Y; W) = (1/Z(W)) · exp(f(Y; W)) · q(Y)`,   `q(Y) = N(0, σ²I)` (the reference distribution),
//!
//! where `f(Y; W)` is the **sum of the whole top feature map** of a bottom-up ConvNet
//! ([`DescriptorNet`]). Equivalently `p(Y) ∝ exp(−U(Y))` with energy
//! `U(Y) = ‖Y‖²/(2σ²) − f(Y; W)`.
//!
//! * Sampling ([`DescriptorTarget`] + the `sampler` crate): Langevin dynamics on Y,
//!   `Y ← Y + δ²/2 · (∂f/∂Y − Y/σ²) + δ·N(0, I)`.
//! * Learning ([`learn`]): maximum likelihood; the gradient of the mean log-likelihood is
//!   `mean_obs ∂f/∂W − E_p[∂f/∂W]`, the expectation estimated by the synthesized images.

mod growth;
pub mod learn;
pub mod net;
pub mod spec;
mod target;

pub use growth::Growth;
pub use learn::{ChainInit, DescriptorLearner, LearnConfig, Optim, StepStats};
pub use net::DescriptorNet;
pub use spec::{Axes, ConvSpec, DescriptorNetConfig, Padding};
pub use target::DescriptorTarget;

use autodiff::Var;

use crate::error::Result;

/// The descriptor model: its network and the reference σ.
pub struct Descriptor {
    pub net: DescriptorNet,
    /// σ of the Gaussian reference distribution q(Y) = N(0, σ²I) (`refsig` in the code).
    pub reference_sigma: f32,
}

impl Descriptor {
    pub fn new(net: DescriptorNet, reference_sigma: f32) -> Self {
        Descriptor { net, reference_sigma }
    }

    /// `f(Y; W)` per example: the sum of the top feature map of each example, shape `[N]`.
    pub fn score(&self, y: &Var) -> Result<Var> {
        Ok(self.net.top(y)?.sum_per_example()?)
    }
}
