//! Learning the descriptor by maximum likelihood (Algorithm D of the paper).
//!
//! One iteration:
//! 1. Langevin-revise the synthesized chains `Ỹ` for `T` steps under the current model.
//! 2. Update W along `mean_obs ∂f(Y)/∂W − mean_syn ∂f(Ỹ)/∂W` (gradient ascent on the
//!    log-likelihood), i.e. descend the loss `mean f(Ỹ) − mean f(Y)`.
//!
//! Two reference families, selected by [`Optim`] (see [`crate::optim`]): MatConvNet (per-layer
//! division by the output area, clipping, SGD with momentum and weight decay) and TF (Adam).
//!
//! Chains per batch slot: when the data are split into `b` batches per epoch, the reference
//! keeps one set of persistent chains for each batch slot (`syn_mats(:, :, :, :, slot)`), and
//! batch slot k revises and learns from its own chains only.

use std::collections::BTreeMap;

use autodiff::Tape;
use nn::checkpoint::parts::{Part, PartMut};
use nn::param_grads;
use rand::{Rng, RngCore};
use sampler::{Langevin, Observer};
use serde::{Deserialize, Serialize};
use tensor::Tensor;

use super::{Descriptor, DescriptorTarget, Growth};
use crate::error::{ModelError, Result};
use crate::learner::{state_entry, Batch, Learner, StatSpec};
use crate::optim::ModelOptimizer;
pub use crate::optim::Optim;
use crate::rows::{gather, scatter};
use crate::schedule::RateSchedule;

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
#[serde(deny_unknown_fields)]
pub struct LearnConfig {
    /// Langevin steps per iteration (T).
    pub langevin_steps: usize,
    /// Langevin step size δ.
    #[serde(serialize_with = "crate::serde_f32::short")]
    pub step_size: f32,
    pub chain_init: ChainInit,
    pub optim: Optim,
    /// End to end, or grown layer by layer (`mle_l2l`).
    #[serde(default)]
    pub growth: Growth,
    /// A factor on the rate at each iteration, on top of the growth's (default: constant).
    #[serde(default, skip_serializing_if = "RateSchedule::is_constant")]
    pub rate_schedule: RateSchedule,
}

/// What one iteration measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// mean f(Y) over the observed images (before the update).
    pub f_obs: f32,
    /// mean f(Ỹ) over the synthesized images (before the update).
    pub f_syn: f32,
}

/// The descriptor with its optimizer and its synthesized chains `[slots · K, C, spatial…]`
/// (K chains for each of `slots` batch slots): call [`DescriptorLearner::step`] once per
/// iteration.
pub struct DescriptorLearner {
    pub descriptor: Descriptor,
    pub config: LearnConfig,
    pub optimizer: ModelOptimizer,
    pub chains: Tensor,
    /// Batch slots the chains are split into (1: one chain set for every batch).
    pub slots: usize,
}

impl DescriptorLearner {
    /// A learner whose chains all belong to one batch slot.
    pub fn new(descriptor: Descriptor, config: LearnConfig, chains: Tensor) -> Self {
        let optimizer = ModelOptimizer::new(&config.optim);
        DescriptorLearner { descriptor, config, optimizer, chains, slots: 1 }
    }

    /// Split the chains evenly over `slots` batch slots.
    pub fn with_slots(mut self, slots: usize) -> Result<Self> {
        let n = self.chains.shape()[0];
        if slots == 0 || !n.is_multiple_of(slots) {
            return Err(ModelError::Config(format!("{n} chains cannot be split over {slots} batch slots")));
        }
        self.slots = slots;
        Ok(self)
    }

    /// The rows of the chains that belong to batch slot `slot`.
    fn slot_rows(&self, slot: usize) -> Vec<usize> {
        let k = self.chains.shape()[0] / self.slots;
        let slot = slot % self.slots;
        (slot * k..(slot + 1) * k).collect()
    }

    /// Step 1: Langevin-revise the chains in place, reporting each step to `observer`. A
    /// NaN/Inf stops with an error naming the step and the chain.
    pub fn revise<R: Rng + ?Sized, O: Observer + ?Sized>(&mut self, rng: &mut R, observer: &mut O) -> Result<()> {
        let mut chains = std::mem::replace(&mut self.chains, Tensor::zeros(&[0]));
        let result = self.revise_chains(&mut chains, rng, observer);
        self.chains = chains;
        result
    }

    /// Langevin-revise `chains` (restarted first, if the config says so).
    fn revise_chains<R: Rng + ?Sized, O: Observer + ?Sized>(
        &self,
        chains: &mut Tensor,
        rng: &mut R,
        observer: &mut O,
    ) -> Result<()> {
        match self.config.chain_init {
            ChainInit::Persistent => {}
            ChainInit::RestartZeros => *chains = chains.zeros_like(),
            ChainInit::RestartNoise => {
                let sigma = self.descriptor.reference_sigma;
                *chains = Tensor::randn_on(chains.shape(), 0.0, sigma, rng, &chains.device())?
            }
        }
        self.langevin(chains, rng, observer)
    }

    /// `T` Langevin steps of the descriptor on `chains`, wherever they start (CoopNets starts
    /// them at the generator's proposals).
    pub fn langevin<R: Rng + ?Sized, O: Observer + ?Sized>(
        &self,
        chains: &mut Tensor,
        rng: &mut R,
        observer: &mut O,
    ) -> Result<()> {
        let mut target = DescriptorTarget::new(&self.descriptor);
        let langevin = Langevin::new(self.config.step_size, self.config.langevin_steps);
        langevin.run_with(&mut target, chains, rng, None, observer)?;
        Ok(())
    }

    /// Set the depth and learning rate of iteration `t` (layer-wise growth).
    pub fn grow_to(&mut self, t: usize) -> Result<()> {
        self.check_growth()?;
        let convs = self.descriptor.net.conv_count();
        let (depth, factor) = self.config.growth.at(t, convs);
        self.descriptor.net.depth = depth;
        self.optimizer.inner.set_lr(self.config.optim.lr() * factor * self.config.rate_schedule.factor(t));
        Ok(())
    }

    /// Whether the growth scheme and the rate schedule can run on this net (errors name the
    /// `learn.growth` or `learn.rate_schedule` field).
    pub fn check_growth(&self) -> Result<()> {
        self.config.rate_schedule.check().map_err(|e| ModelError::Config(format!("learn.{e}")))?;
        if let Growth::LayerWise { stage_iterations, rate_factor } = self.config.growth {
            if self.descriptor.net.has_fc() {
                return Err(ModelError::Config(
                    "learn.growth = layer_wise needs a net without fc_top (the top's size changes with every stage); use end_to_end".into(),
                ));
            }
            if stage_iterations == 0 || !(rate_factor.is_finite() && rate_factor > 0.0) {
                return Err(ModelError::Config(format!(
                    "learn.growth: stage_iterations = {stage_iterations} must be at least 1 and rate_factor = {rate_factor} positive"
                )));
            }
        }
        Ok(())
    }

    /// One iteration `t` on batch slot `slot`: revise that slot's chains, then update.
    pub fn step_slot<R: Rng + ?Sized>(
        &mut self,
        obs: &Tensor,
        t: usize,
        slot: usize,
        rng: &mut R,
    ) -> Result<StepStats> {
        self.grow_to(t)?;
        if self.slots == 1 {
            return self.step(obs, rng);
        }
        let rows = self.slot_rows(slot);
        let mut chains = gather(&self.chains, &rows)?;
        self.revise_chains(&mut chains, rng, &mut |_: &sampler::StepInfo| {})?;
        scatter(&mut self.chains, &rows, &chains)?;
        self.update(obs, &chains)
    }

    /// Step 2: one update of W from observed `obs` and synthesized `syn` images.
    pub fn update(&mut self, obs: &Tensor, syn: &Tensor) -> Result<StepStats> {
        let tape = Tape::new();
        let f_obs = self.descriptor.score(&tape.constant(obs.clone()))?.mean_all()?;
        let f_syn = self.descriptor.score(&tape.constant(syn.clone()))?.mean_all()?;
        let stats = StepStats { f_obs: f_obs.value().to_scalar()?, f_syn: f_syn.value().to_scalar()? };
        // descend mean f(Ỹ) − mean f(Y)  ⇔  ascend the log-likelihood
        let loss = f_syn.sub(&f_obs)?;
        let grads = param_grads(&tape, &loss, &self.descriptor.net)?;
        self.optimizer.step(&mut self.descriptor.net, grads)?;
        Ok(stats)
    }

    /// One full iteration: revise the chains, then update. Returns the statistics.
    pub fn step<R: Rng + ?Sized>(&mut self, obs: &Tensor, rng: &mut R) -> Result<StepStats> {
        self.revise(rng, &mut |_: &sampler::StepInfo| {})?;
        // lend the chains to `update` (which borrows the learner mutably) without copying them
        let chains = std::mem::replace(&mut self.chains, Tensor::zeros(&[0]));
        let stats = self.update(obs, &chains);
        self.chains = chains;
        stats
    }
}

impl Learner for DescriptorLearner {
    fn stats(&self) -> Vec<StatSpec> {
        vec![
            StatSpec { name: "f_obs", label: "mean f(observed)", panel: "f(Y; W)" },
            StatSpec { name: "f_syn", label: "mean f(synthesized)", panel: "f(Y; W)" },
        ]
    }
    fn iteration(&mut self, batch: &Batch<'_>, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let s = self.step_slot(batch.data, batch.iteration, batch.slot, rng)?;
        Ok(vec![s.f_obs, s.f_syn])
    }
    fn parts(&self) -> Vec<Part<'_>> {
        vec![Part { name: "descriptor", module: &self.descriptor.net, optimizer: self.optimizer.inner.as_ref() }]
    }
    fn parts_mut(&mut self) -> Vec<PartMut<'_>> {
        vec![PartMut { name: "descriptor", module: &mut self.descriptor.net, optimizer: self.optimizer.inner.as_mut() }]
    }
    fn state(&self) -> BTreeMap<String, Tensor> {
        [("chains".to_string(), self.chains.clone())].into()
    }
    fn load_state(&mut self, state: &BTreeMap<String, Tensor>) -> Result<()> {
        self.chains = state_entry(state, "chains", self.chains.shape())?;
        Ok(())
    }
    fn samples(&self, _n: usize, _rng: &mut dyn RngCore) -> Result<Tensor> {
        Ok(self.chains.clone())
    }
}
