//! A learned prior on Z: a descriptor on the latent space (Pang, Han, Nijkamp, Zhu, Wu,
//! "Learning Latent Space Energy-Based Prior Model", NeurIPS 2020).
//!
//! `p_α(Z) = (1/Z(α)) · exp(f_α(Z)) · N(0, σ_z² I)`
//!
//! is the descriptor's own form, `exp(f) · q` with the reference `q` = the generator's Gaussian
//! prior, on latents instead of images; so it *is* a [`DescriptorLearner`] whose "observed"
//! examples are the inferred latents.
//!
//! Why: ABP learns g at the inferred latents `Z_i`, and those carry an arrangement that fresh
//! draws of N(0, σ_z² I) lack (on a texture, g of the inferred maps keeps the observed
//! contrast, g of the prior's draws 94% of it, even with the same second-order statistics;
//! README, "The generator's textures"). A prior learned from the `Z_i` gives g latents like
//! those it was learned at.
//!
//! * **Learning** (one iteration of the descriptor's algorithm per ABP iteration): ascend
//!   `mean_i f_α(Z_i) − E_{p_α}[f_α(Z)]`, with `Z_i` the batch's latents after this iteration's
//!   inference and the expectation estimated by short-run Langevin chains started at
//!   N(0, σ_z² I) (`chain_init = "restart_noise"`):
//!   `Z ← Z + δ²/2 · (∂f_α/∂Z − Z/σ_z²) + δ·N(0, I)`.
//! * **Inference of Z and the learning of W stay ABP's**, under N(0, σ_z² I): the prior learns
//!   the distribution of the inferred latents; it does not change where g is learned. (Pang et
//!   al. also infer Z under `p_α`; keeping ABP's inference keeps the generator's learning the
//!   paper's, and the prior a separate, optional part.)
//! * **Sampling**: `Z_0 ~ N(0, σ_z² I)`, the same `T` Langevin steps under `p_α`, then `g(Z_T)`.

use rand::Rng;
use serde::{Deserialize, Serialize};
use tensor::Tensor;

use crate::descriptor::{
    Descriptor, DescriptorLearner, DescriptorNet, DescriptorNetConfig, Growth, LearnConfig, StepStats,
};
use crate::error::{ModelError, Result};

/// The prior's net (a descriptor net over `[C, spatial…]` latents) and its learning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatentPriorConfig {
    pub net: DescriptorNetConfig,
    pub learn: LearnConfig,
}

/// The learned prior `p_α(Z)` with its optimizer and its `B` negative chains.
pub struct LatentPrior {
    pub learner: DescriptorLearner,
}

impl LatentPrior {
    /// For latents of shape `latent` (`[C, spatial…]`), `chains` negative chains per update
    /// (the batch size), reference σ = `latent_sigma`.
    pub fn new<R: Rng + ?Sized>(
        cfg: &LatentPriorConfig,
        latent: &[usize],
        chains: usize,
        latent_sigma: f32,
        rng: &mut R,
    ) -> Result<Self> {
        let net = DescriptorNet::new(&cfg.net, latent, rng)?;
        let shape = [&[chains.max(1)][..], latent].concat();
        let learner =
            DescriptorLearner::new(Descriptor::new(net, latent_sigma), cfg.learn.clone(), Tensor::zeros(&shape));
        if learner.descriptor.net.has_fc() {
            return Err(ModelError::Config(
                "net.fc_top: the prior's f_α must be fully convolutional (samples of a fully convolutional generator have larger latent maps)".into(),
            ));
        }
        if !matches!(cfg.learn.growth, Growth::EndToEnd) {
            return Err(ModelError::Config(
                "learn.growth: the prior learns end to end (its samples are drawn at full depth)".into(),
            ));
        }
        learner.check_growth()?;
        Ok(LatentPrior { learner })
    }

    /// One maximum-likelihood update from the inferred latents `z` of iteration `t`; returns
    /// mean f_α over `z` and over the prior's chains (before the update).
    pub fn learn<R: Rng + ?Sized>(&mut self, z: &Tensor, t: usize, rng: &mut R) -> Result<StepStats> {
        self.learner.step_slot(z, t, 0, rng).map_err(|e| e.within("latent prior"))
    }

    /// Move `z`, drawn from N(0, σ_z² I), by the prior's `T` Langevin steps towards `p_α`.
    pub fn sample<R: Rng + ?Sized>(&self, z: &mut Tensor, rng: &mut R) -> Result<()> {
        self.learner.langevin(z, rng, &mut |_: &sampler::StepInfo| {}).map_err(|e| e.within("latent prior Langevin"))
    }
}
