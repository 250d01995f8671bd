//! Learning the descriptor by maximum likelihood (Algorithm D of the paper).
//!
//! One iteration:
//! 1. Langevin-revise the synthesized chains `Ỹ` for `T` steps under the current model.
//! 2. Update W along `mean_obs ∂f(Y)/∂W − mean_syn ∂f(Ỹ)/∂W` (gradient ascent on the
//!    log-likelihood), i.e. descend the loss `mean f(Ỹ) − mean f(Y)`.
//!
//! Two reference families, selected by [`Optim`]:
//! * **MatConvNet** (Generative ConvNet release): the gradient of each layer is divided by
//!   that layer's output area H·W ("numFilters"), clipped so that `max|G| ≤ cap`, then
//!   SGD with momentum and weight decay 1e-4 (biases: lr×2, no decay).
//! * **TF** (CoopNets TF code): plain Adam on `mean f(Ỹ) − mean f(Y)`.

use autodiff::Tape;
use nn::optim::{Adam, Clip, Optimizer, Sgd};
use nn::{param_grads, Module};
use rand::Rng;
use sampler::{Langevin, Observer};
use serde::{Deserialize, Serialize};
use tensor::Tensor;

use super::{Descriptor, DescriptorTarget};
use crate::error::Result;

/// Which optimizer family to learn with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Optim {
    /// Per-layer division by output area, max-abs clipping at `cap`, SGD with momentum.
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
    /// Adam on `mean f(syn) − mean f(obs)`.
    Adam {
        #[serde(serialize_with = "crate::serde_f32::short")]
        lr: f32,
        #[serde(serialize_with = "crate::serde_f32::short")]
        beta1: f32,
    },
}

/// Where the synthesized chains start each iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainInit {
    /// Keep the chains from the last iteration (GenConvNet's persistent chains, started at
    /// zeros = the mean image).
    Persistent,
    /// Restart every iteration from zeros (the mean image).
    RestartZeros,
    /// Restart every iteration from N(0, σ²) reference noise.
    RestartNoise,
}

/// Everything the learning loop needs besides the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnConfig {
    /// Langevin steps per iteration (T).
    pub langevin_steps: usize,
    /// Langevin step size δ.
    #[serde(serialize_with = "crate::serde_f32::short")]
    pub step_size: f32,
    pub chain_init: ChainInit,
    pub optim: Optim,
}

/// What one iteration measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// mean f(Y) over the observed images (before the update).
    pub f_obs: f32,
    /// mean f(Ỹ) over the synthesized images (before the update).
    pub f_syn: f32,
}

/// The descriptor with its optimizer: call [`DescriptorLearner::step`] once per iteration.
pub struct DescriptorLearner {
    pub descriptor: Descriptor,
    pub config: LearnConfig,
    pub optimizer: Box<dyn Optimizer>,
}

impl DescriptorLearner {
    pub fn new(descriptor: Descriptor, config: LearnConfig) -> Self {
        let optimizer: Box<dyn Optimizer> = match config.optim {
            Optim::Matconvnet { lr, momentum, weight_decay, cap } => {
                Box::new(Sgd::new(lr).momentum(momentum).weight_decay(weight_decay).clip(Clip::MaxAbs(cap)))
            }
            Optim::Adam { lr, beta1 } => Box::new(Adam::new(lr).betas(beta1, 0.999)),
        };
        DescriptorLearner { descriptor, config, optimizer }
    }

    /// Step 1: Langevin-revise `chains` in place (`[N, C, H, W]`), reporting each step to
    /// `observer`. A NaN/Inf stops with an error naming the step and the chain.
    pub fn revise<R: Rng + ?Sized, O: Observer + ?Sized>(
        &self,
        chains: &mut Tensor,
        rng: &mut R,
        observer: &mut O,
    ) -> Result<()> {
        match self.config.chain_init {
            ChainInit::Persistent => {}
            ChainInit::RestartZeros => *chains = chains.zeros_like(),
            ChainInit::RestartNoise => {
                *chains = Tensor::randn(chains.shape(), 0.0, self.descriptor.reference_sigma, rng)?
            }
        }
        let mut target = DescriptorTarget::new(&self.descriptor);
        Langevin::new(self.config.step_size, self.config.langevin_steps).run_with(
            &mut target,
            chains,
            rng,
            None,
            observer,
        )?;
        Ok(())
    }

    /// Step 2: one update of W from observed `obs` and synthesized `syn` images.
    pub fn update(&mut self, obs: &Tensor, syn: &Tensor) -> Result<StepStats> {
        let tape = Tape::new();
        let f_obs = self.descriptor.score(&tape.constant(obs.clone()))?.mean_all()?;
        let f_syn = self.descriptor.score(&tape.constant(syn.clone()))?.mean_all()?;
        let stats = StepStats { f_obs: f_obs.value().to_scalar()?, f_syn: f_syn.value().to_scalar()? };
        // descend mean f(Ỹ) − mean f(Y)  ⇔  ascend the log-likelihood
        let loss = f_syn.sub(&f_obs)?;
        let mut grads = param_grads(&tape, &loss, &self.descriptor.net)?;
        if let Optim::Matconvnet { .. } = self.config.optim {
            // MatConvNet divides each layer's gradient by its output area
            for (i, &area) in self.descriptor.net.output_areas.iter().enumerate() {
                let prefix = format!("{}.", self.descriptor.net.layer_name(i));
                for (_, g) in grads.iter_mut().filter(|(n, _)| n.starts_with(&prefix)) {
                    g.scale_(1.0 / area as f32);
                }
            }
        }
        self.optimizer.step(&mut self.descriptor.net, &grads)?;
        Ok(stats)
    }

    /// One full iteration: revise the chains, then update. Returns the statistics.
    pub fn step<R: Rng + ?Sized>(&mut self, obs: &Tensor, chains: &mut Tensor, rng: &mut R) -> Result<StepStats> {
        self.revise(chains, rng, &mut |_: &sampler::StepInfo| {})?;
        self.update(obs, chains)
    }

    /// Names of the parameters (for checkpoints).
    pub fn parameter_names(&self) -> Vec<String> {
        self.descriptor.net.named_parameters().into_iter().map(|(n, _)| n).collect()
    }
}
