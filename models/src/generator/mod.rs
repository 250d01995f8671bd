//! The generator: non-linear factor analysis with a top-down ConvNet (Han, Lu, Zhu, Wu,
//! "Alternating Back-Propagation for Generator Network").
//!
//! `Y = g(Z; W) + ε`,   `Z ~ N(0, σ_z² I)`,   `ε ~ N(0, s² I)`,
//!
//! so the joint log-density is
//! `log p(Y, Z; W) = −‖Y − g(Z; W)‖²/(2s²) − ‖Z‖²/(2σ_z²) + const`.
//!
//! * **Inferential back-propagation** ([`GeneratorPosterior`] + the `sampler` crate):
//!   Langevin dynamics on `Z` given `Y`,
//!   `Z ← Z + δ²/2 · (gᵀ_Z (Y − g(Z))/s² − Z/σ_z²) + δ·N(0, I)`.
//! * **Learning back-propagation** ([`learn`]): gradient ascent on `log p(Y, Z; W)` at the
//!   inferred Z, `W ← W + lr · (1/B) Σ_i gᵀ_W (Y_i − g(Z_i))/s²`.
//!
//! With missing pixels (a mask M, 1 = visible) only visible pixels count:
//! `‖M ⊙ (Y − g(Z))‖²` replaces `‖Y − g(Z)‖²` in both steps.

pub mod average;
pub mod latent_prior;
pub mod learn;
pub mod net;
mod posterior;
mod reference_nets;
pub mod two_scale;

pub use average::Averaged;
pub use latent_prior::{LatentPrior, LatentPriorConfig};
pub use learn::{GeneratorLearnConfig, GeneratorLearner};
pub use net::{Activation, DeconvSpec, FcSpec, GeneratorNet, GeneratorNetConfig};
pub use posterior::GeneratorPosterior;
pub use two_scale::{CoarseSpec, TwoScale};

use autodiff::{Tape, Var};
use nn::Module;
use rand::Rng;
use sampler::Langevin;
use tensor::Tensor;

use crate::error::Result;

/// The generator model: its network, the noise σ `s` and the prior σ of Z.
pub struct Generator {
    pub net: GeneratorNet,
    /// s: standard deviation of the observation noise ε (reference 0.3).
    pub noise_sigma: f32,
    /// σ_z: standard deviation of the Gaussian prior of Z (reference `refsig` = 1).
    pub latent_sigma: f32,
}

impl Generator {
    pub fn new(net: GeneratorNet, noise_sigma: f32, latent_sigma: f32) -> Self {
        Generator { net, noise_sigma, latent_sigma }
    }

    /// `g(Z; W)` for a batch of latents `[N, latent…]`.
    pub fn generate(&self, z: &Var) -> Result<Var> {
        Ok(self.net.forward(z)?)
    }

    /// `g(Z)` as a plain tensor (nothing recorded).
    pub fn generate_tensor(&self, z: &Tensor) -> Result<Tensor> {
        let tape = Tape::new();
        let y = tape.no_grad(|| self.generate(&tape.constant(z.clone())))?;
        Ok(y.value().clone())
    }

    /// The shape of a batch of `n` latents.
    pub fn latent_shape(&self, n: usize) -> Vec<usize> {
        [&[n][..], &self.net.latent].concat()
    }

    /// `n` latents of shape `latent` (the net's, or a larger map for a fully convolutional
    /// net) from the prior N(0, σ_z² I).
    pub fn sample_latents<R: Rng + ?Sized>(&self, n: usize, latent: &[usize], rng: &mut R) -> Result<Tensor> {
        let shape = [&[n][..], latent].concat();
        Ok(Tensor::randn_on(&shape, 0.0, self.latent_sigma, rng, &self.device())?)
    }

    /// The device the net's weights live on (where latents and samples are made).
    pub fn device(&self) -> tensor::Device {
        self.net.named_parameters().first().map(|(_, p)| p.value.device()).unwrap_or_default()
    }

    /// Inferential back-propagation: run `langevin` on `z` (in place) towards the posterior
    /// of Z given `y`, counting only pixels where `mask` is 1. Returns nothing; `z` moves.
    pub fn infer<R: Rng + ?Sized>(
        &self,
        y: &Tensor,
        mask: Option<&Tensor>,
        z: &mut Tensor,
        langevin: &Langevin,
        rng: &mut R,
    ) -> Result<()> {
        let mut target = GeneratorPosterior::new(self, y, mask);
        langevin.run(&mut target, z, rng)?;
        Ok(())
    }

    /// `Σ_i ‖M ⊙ (Y_i − g(Z_i))‖² / (2s²)` per example, recorded on `z`'s tape (shape `[N]`).
    pub fn residual_energy(&self, z: &Var, y: &Tensor, mask: Option<&Tensor>) -> Result<Var> {
        let tape = z.tape();
        let mut r = tape.constant(y.clone()).sub(&self.generate(z)?)?;
        if let Some(m) = mask {
            r = r.mul(&tape.constant(m.clone()))?;
        }
        let s2 = self.noise_sigma * self.noise_sigma;
        Ok(r.square()?.sum_per_example()?.mul_scalar(1.0 / (2.0 * s2))?)
    }
}
