//! Learning the generator by alternating back-propagation (Algorithm 1 of the ABP paper).
//!
//! Every training example `Y_i` keeps its own latent `Z_i` from one iteration to the next
//! (persistent chains, as the reference code's per-slot `syn_mats`). One iteration on a batch:
//! 1. **Inferential back-propagation**: `T` Langevin steps on each `Z_i` given `Y_i`, started
//!    from its persistent value.
//! 2. **Learning back-propagation**: one update of W descending
//!    `L(W) = (1/B) Σ_i ‖M ⊙ (Y_i − g(Z_i; W))‖²/(2s²)`, whose negative gradient is
//!    `(1/B) Σ_i gᵀ_W (Y_i − g(Z_i))/s²` (MatConvNet's `G = (1/batchSize)(1/s²)·dzdw`).
//! 3. (Optional) one maximum-likelihood update of a learned prior on Z from the batch's
//!    inferred latents ([`super::LatentPrior`]), which then draws the samples' latents.

use std::collections::BTreeMap;

use autodiff::Tape;
use nn::checkpoint::parts::{Part, PartMut};
use nn::param_grads;
use rand::{Rng, RngCore};
use sampler::Langevin;
use serde::{Deserialize, Serialize};
use tensor::Tensor;

use super::average::Averaged;
use super::{Generator, LatentPrior};
use crate::error::{ModelError, Result};
use crate::learner::{state_entry, Batch, Learner, StatSpec};
use crate::optim::{ModelOptimizer, Optim};
use crate::rows::{gather, scatter};

/// Where the persistent latents start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatentInit {
    /// Z = 0 (the reference object and sound configs).
    Zeros,
    /// Z ~ N(0, σ_z² I) (the reference texture config).
    Prior,
}

/// The inference and learning settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorLearnConfig {
    /// Langevin steps on Z per iteration (reference: 30 objects, 10 textures and sound).
    pub langevin_steps: usize,
    /// Langevin step size δ (reference 0.3; sound 0.1).
    #[serde(serialize_with = "crate::serde_f32::short")]
    pub step_size: f32,
    /// The noise term δ·N(0, I) of the Langevin step (false: the noise-free gradient variant).
    pub noise: bool,
    pub latent_init: LatentInit,
    pub optim: Optim,
    /// Decay β of an exponential moving average of the weights that draws the samples
    /// ([`super::average`]); 0 (the default): samples come from the last weights.
    #[serde(default, skip_serializing_if = "is_zero", serialize_with = "crate::serde_f32::short")]
    pub ema: f32,
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

/// The generator, its optimizer and the persistent latents of the training examples.
pub struct GeneratorLearner {
    pub generator: Generator,
    pub config: GeneratorLearnConfig,
    pub optimizer: ModelOptimizer,
    /// `[n_examples, latent…]`: Z_i of training example i.
    pub latents: Tensor,
    /// The shape of one latent for [`Learner::samples`] (default: the training latent). A
    /// fully convolutional generator learned on texture patches draws whole textures from a
    /// larger latent map.
    pub sample_latent: Vec<usize>,
    /// The moving average of the weights that draws samples, when `config.ema` > 0 (set by
    /// [`GeneratorLearner::with_average`]).
    pub average: Option<Averaged>,
    /// A learned prior on Z that samples are drawn from ([`LatentPrior`]; set by
    /// [`GeneratorLearner::with_prior`]); `None`: N(0, σ_z² I), as ABP.
    pub prior: Option<LatentPrior>,
}

impl GeneratorLearner {
    /// For a training set of `n_examples`; the latents start as `config.latent_init` says.
    pub fn new<R: Rng + ?Sized>(
        generator: Generator,
        config: GeneratorLearnConfig,
        n_examples: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let latents = match config.latent_init {
            LatentInit::Zeros => Tensor::zeros(&generator.latent_shape(n_examples)),
            LatentInit::Prior => generator.sample_latents(n_examples, &generator.net.latent, rng)?,
        };
        let optimizer = ModelOptimizer::new(&config.optim);
        let sample_latent = generator.net.latent.clone();
        Ok(GeneratorLearner { generator, config, optimizer, latents, sample_latent, average: None, prior: None })
    }

    /// Starts the moving average of the weights (`config.ema` > 0) in `copy`, a net of the
    /// same architecture; call it once the live weights are set. Without `ema` it does nothing.
    pub fn with_average(mut self, copy: Generator) -> Result<Self> {
        if self.config.ema != 0.0 {
            self.average = Some(Averaged::new(self.config.ema, copy, &self.generator)?);
        }
        Ok(self)
    }

    /// Learns `prior` from the inferred latents, one update per iteration, and draws samples
    /// from it.
    pub fn with_prior(mut self, prior: LatentPrior) -> Self {
        self.prior = Some(prior);
        self
    }

    /// `n` latents of shape `latent` for samples: drawn from N(0, σ_z² I), then moved by the
    /// learned prior's Langevin steps if there is one.
    pub fn draw_latents(&self, n: usize, latent: &[usize], rng: &mut dyn RngCore) -> Result<Tensor> {
        let mut z = self.for_sampling().sample_latents(n, latent, rng)?;
        if let Some(p) = &self.prior {
            p.sample(&mut z, rng)?;
        }
        Ok(z)
    }

    /// The generator that draws samples: the moving average of the weights if there is one,
    /// else the live one. Learning always uses the live one.
    pub fn for_sampling(&self) -> &Generator {
        self.average.as_ref().map_or(&self.generator, |a| &a.generator)
    }

    /// The Langevin sampler of step 1.
    pub fn langevin(&self) -> Langevin {
        Langevin::new(self.config.step_size, self.config.langevin_steps).noise(self.config.noise)
    }

    /// Step 2: one update of W at the inferred `z`. Returns the mean squared error per
    /// visible pixel, `‖M ⊙ (Y − g(Z))‖² / |M|`, before the update.
    pub fn learn(&mut self, y: &Tensor, mask: Option<&Tensor>, z: &Tensor) -> Result<f32> {
        let tape = Tape::new();
        let e = self.generator.residual_energy(&tape.constant(z.clone()), y, mask)?;
        let loss = e.mean_all()?;
        let s2 = self.generator.noise_sigma * self.generator.noise_sigma;
        let visible = match mask {
            Some(m) => m.sum_all().to_scalar()?,
            None => y.numel() as f32,
        };
        if visible <= 0.0 {
            return Err(ModelError::Config("the mask hides every pixel of the batch: nothing to learn from".into()));
        }
        let mse = 2.0 * s2 * e.value().sum_all().to_scalar()? / visible;
        let grads = param_grads(&tape, &loss, &self.generator.net)?;
        self.optimizer.step(&mut self.generator.net, grads)?;
        if let Some(a) = &mut self.average {
            a.update(&self.generator)?;
        }
        Ok(mse)
    }
}

impl Learner for GeneratorLearner {
    fn stats(&self) -> Vec<StatSpec> {
        let mut s = vec![
            StatSpec { name: "mse", label: "‖Y − g(Z)‖² per pixel (inferred Z)", panel: "reconstruction" },
            StatSpec { name: "z_sq", label: "mean Z² of the batch", panel: "latents" },
        ];
        if self.prior.is_some() {
            s.push(StatSpec { name: "prior_f_post", label: "mean f_α(inferred Z)", panel: "latent prior" });
            s.push(StatSpec { name: "prior_f_syn", label: "mean f_α(prior's chains)", panel: "latent prior" });
        }
        s
    }

    fn iteration(&mut self, batch: &Batch<'_>, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let mut z = gather(&self.latents, batch.index)?;
        self.generator.infer(batch.data, batch.mask, &mut z, &self.langevin(), rng)?;
        scatter(&mut self.latents, batch.index, &z)?;
        let mse = self.learn(batch.data, batch.mask, &z)?;
        let z_sq = z.square().mean_all().to_scalar()?;
        match &mut self.prior {
            Some(p) => {
                let f = p.learn(&z, batch.iteration, rng)?;
                Ok(vec![mse, z_sq, f.f_obs, f.f_syn])
            }
            None => Ok(vec![mse, z_sq]),
        }
    }

    fn parts(&self) -> Vec<Part<'_>> {
        let mut parts =
            vec![Part { name: "generator", module: &self.generator.net, optimizer: self.optimizer.inner.as_ref() }];
        if let Some(p) = &self.prior {
            let (net, optimizer) = (&p.learner.descriptor.net, p.learner.optimizer.inner.as_ref());
            parts.push(Part { name: "latent_prior", module: net, optimizer });
        }
        parts
    }
    fn parts_mut(&mut self) -> Vec<PartMut<'_>> {
        let (module, optimizer) = (&mut self.generator.net, self.optimizer.inner.as_mut());
        let mut parts = vec![PartMut { name: "generator", module, optimizer }];
        if let Some(p) = &mut self.prior {
            let (net, optimizer) = (&mut p.learner.descriptor.net, p.learner.optimizer.inner.as_mut());
            parts.push(PartMut { name: "latent_prior", module: net, optimizer });
        }
        parts
    }
    fn state(&self) -> BTreeMap<String, Tensor> {
        let mut s: BTreeMap<_, _> = [("latents".to_string(), self.latents.clone())].into();
        s.extend(self.average.iter().flat_map(Averaged::state));
        if let Some(p) = &self.prior {
            s.insert("latent_prior_chains".to_string(), p.learner.chains.clone());
        }
        s
    }
    fn load_state(&mut self, state: &BTreeMap<String, Tensor>) -> Result<()> {
        self.latents = state_entry(state, "latents", self.latents.shape())?;
        if let Some(p) = &mut self.prior {
            p.learner.chains = state_entry(state, "latent_prior_chains", p.learner.chains.shape())?;
        }
        if let Some(a) = &mut self.average {
            a.load_state(state)?;
            a.copy_buffers(&self.generator);
        }
        Ok(())
    }
    /// g(Z) for Z from the prior (the learned one, if any).
    fn samples(&self, n: usize, rng: &mut dyn RngCore) -> Result<Tensor> {
        let z = self.draw_latents(n, &self.sample_latent, rng)?;
        self.for_sampling().generate_tensor(&z)
    }
    /// With a learned prior: g(Z_0) for the same draws Z_0 ~ N(0, σ_z² I) before the
    /// prior's Langevin steps (`final_gaussian/`), to compare the two priors in one run.
    fn extra_samples(&self, n: usize, rng: &mut dyn RngCore) -> Result<Vec<(&'static str, Tensor)>> {
        if self.prior.is_none() {
            return Ok(vec![]);
        }
        let g = self.for_sampling();
        Ok(vec![("gaussian", g.generate_tensor(&g.sample_latents(n, &self.sample_latent, rng)?)?)])
    }
}
