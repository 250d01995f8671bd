//! CoopNets: the descriptor and the generator learned together by MCMC teaching (Xie, Lu,
//! Gao, Zhu, Wu, "Cooperative Training of Descriptor and Generator Networks").
//!
//! The generator proposes, the descriptor revises, and each learns from the revision. One
//! iteration (the paper's Algorithm, as the reference code runs it):
//!
//! * **G0** draw `Z_i ~ N(0, σ_z²I)` and propose `Ŷ_i = g(Z_i; W_G)`, i = 1..m;
//! * **D1** revise each proposal by `T_d` descriptor Langevin steps
//!   `Y ← Y + δ_d²/2·(∂f/∂Y − Y/σ_d²) + δ_d·N(0, I)`, starting at `Ŷ_i`: this gives `Ỹ_i`;
//! * **D2** update the descriptor by maximum likelihood, observed `Y` against revised `Ỹ`:
//!   ascend `mean_obs f(Y) − mean_syn f(Ỹ)`;
//! * **G1** (optional, `T_g` steps; the reference code skips it) Langevin on `Z_i` given `Ỹ_i`;
//! * **G2** update the generator to reproduce the revision from its known latent: descend
//!   `(1/m) Σ_i ‖Ỹ_i − g(Z_i)‖²/(2s²)`. The generator needs no inference of Z: it knows the
//!   Z that produced each proposal, and the descriptor tells it where that proposal should go.
//!
//! The two halves are the descriptor's and the generator's own learners: [`CoopNetsLearner`]
//! only wires them together.

use std::collections::BTreeMap;

use autodiff::Tape;
use nn::checkpoint::parts::{Part, PartMut};
use rand::RngCore;
use tensor::Tensor;

use crate::descriptor::DescriptorLearner;
use crate::error::{ModelError, Result};
use crate::generator::{Generator, GeneratorLearner};
use crate::learner::{Batch, Learner, StatSpec};
use crate::schedule::RateSchedule;

/// The two learners of CoopNets. The descriptor's `chains` hold the last revised examples
/// `Ỹ` and the generator's `latents` the Z that proposed them (both `m` = the number of
/// synthesized examples per iteration).
pub struct CoopNetsLearner {
    pub descriptor: DescriptorLearner,
    pub generator: GeneratorLearner,
    /// Both nets' learning rates over the iterations (MatConvNet: log-spaced, TF: constant).
    pub schedule: RateSchedule,
}

/// What one iteration measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoopStats {
    /// mean f(Y) over the observed batch.
    pub f_obs: f32,
    /// mean f(Ỹ) over the revised examples.
    pub f_syn: f32,
    /// mean f(Ŷ) over the generator's proposals, before the revision.
    pub f_gen: f32,
    /// `‖Ỹ − g(Z)‖²` per pixel before the generator's update: how far the descriptor moved
    /// the proposals.
    pub revision: f32,
}

impl CoopNetsLearner {
    /// `descriptor.chains` and `generator.latents` must hold the same number m of examples.
    pub fn new(descriptor: DescriptorLearner, generator: GeneratorLearner) -> Result<Self> {
        let (m, k) = (descriptor.chains.shape()[0], generator.latents.shape()[0]);
        if m != k {
            return Err(ModelError::Config(format!("CoopNets: {m} descriptor chains but {k} generator latents")));
        }
        Ok(CoopNetsLearner { descriptor, generator, schedule: RateSchedule::Constant })
    }

    /// The number of synthesized examples per iteration.
    pub fn m(&self) -> usize {
        self.descriptor.chains.shape()[0]
    }

    /// G0: `n` latents from the prior and their proposals g(Z) by the live generator (as
    /// learning uses them).
    pub fn propose(&self, n: usize, rng: &mut dyn RngCore) -> Result<(Tensor, Tensor)> {
        propose_with(&self.generator.generator, &self.generator.sample_latent, n, rng)
    }

    /// `n` latents and their proposals by the generator that draws samples (the moving
    /// average of its weights if the run keeps one): what the run shows and evaluates.
    pub fn draw(&self, n: usize, rng: &mut dyn RngCore) -> Result<(Tensor, Tensor)> {
        propose_with(self.generator.for_sampling(), &self.generator.sample_latent, n, rng)
    }

    /// D1: the descriptor's revision of `proposals`, in place (a NaN/Inf names the step and
    /// chain).
    pub fn revise(&self, mut y: Tensor, rng: &mut dyn RngCore) -> Result<Tensor> {
        self.descriptor
            .langevin(&mut y, rng, &mut |_: &sampler::StepInfo| {})
            .map_err(|e| e.within("descriptor Langevin revision"))?;
        Ok(y)
    }

    /// Mean f over a batch, without gradients.
    fn mean_f(&self, y: &Tensor) -> Result<f32> {
        let tape = Tape::new();
        let f = tape.no_grad(|| self.descriptor.descriptor.score(&tape.constant(y.clone())))?;
        Ok(f.value().mean_all().to_scalar()?)
    }

    /// One iteration on the observed batch `obs` (G0, D1, D2, G1, G2).
    pub fn step(&mut self, obs: &Tensor, rng: &mut dyn RngCore) -> Result<CoopStats> {
        let (mut z, proposals) = self.propose(self.m(), rng)?;
        let f_gen = self.mean_f(&proposals)?;
        let revised = self.revise(proposals, rng)?;
        let d = self.descriptor.update(obs, &revised)?;
        if self.generator.config.langevin_steps > 0 {
            let langevin = self.generator.langevin();
            self.generator
                .generator
                .infer(&revised, None, &mut z, &langevin, rng)
                .map_err(|e| e.within("generator Langevin inference of Z"))?;
        }
        let revision = self.generator.learn(&revised, None, &z)?;
        self.descriptor.chains = revised;
        self.generator.latents = z;
        Ok(CoopStats { f_obs: d.f_obs, f_syn: d.f_syn, f_gen, revision })
    }
}

impl Learner for CoopNetsLearner {
    fn stats(&self) -> Vec<StatSpec> {
        vec![
            StatSpec { name: "f_obs", label: "mean f(observed)", panel: "f(Y; W)" },
            StatSpec { name: "f_syn", label: "mean f(revised Ỹ)", panel: "f(Y; W)" },
            StatSpec { name: "f_gen", label: "mean f(proposed g(Z))", panel: "f(Y; W)" },
            StatSpec { name: "revision", label: "‖Ỹ − g(Z)‖² per pixel", panel: "generator" },
        ]
    }
    fn iteration(&mut self, batch: &Batch<'_>, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        self.descriptor.grow_to(batch.iteration)?; // sets the descriptor's rate for iteration t
        let r = self.schedule.factor(batch.iteration);
        let d = &mut self.descriptor.optimizer.inner;
        d.set_lr(d.lr() * r);
        self.generator.optimizer.inner.set_lr(self.generator.config.optim.lr() * r);
        let s = self.step(batch.data, rng)?;
        Ok(vec![s.f_obs, s.f_syn, s.f_gen, s.revision])
    }
    fn parts(&self) -> Vec<Part<'_>> {
        let mut parts = self.descriptor.parts();
        parts.extend(self.generator.parts());
        parts
    }
    fn parts_mut(&mut self) -> Vec<PartMut<'_>> {
        let mut parts = self.descriptor.parts_mut();
        parts.extend(self.generator.parts_mut());
        parts
    }
    fn state(&self) -> BTreeMap<String, Tensor> {
        let mut s = self.descriptor.state();
        s.extend(self.generator.state());
        s
    }
    fn load_state(&mut self, state: &BTreeMap<String, Tensor>) -> Result<()> {
        self.descriptor.load_state(state)?;
        self.generator.load_state(state)
    }
    /// Fresh proposals revised by the descriptor: the model's samples Ỹ.
    fn samples(&self, n: usize, rng: &mut dyn RngCore) -> Result<Tensor> {
        let (_, proposals) = self.draw(n, rng)?;
        self.revise(proposals, rng)
    }
    /// The generator's proposals g(Z) for the same Z as [`Learner::samples`] with the same rng.
    fn extra_samples(&self, n: usize, rng: &mut dyn RngCore) -> Result<Vec<(&'static str, Tensor)>> {
        Ok(vec![("generator", self.draw(n, rng)?.1)])
    }
}

/// `n` latents of shape `latent` from the prior of `g` and their images g(Z).
fn propose_with(g: &Generator, latent: &[usize], n: usize, rng: &mut dyn RngCore) -> Result<(Tensor, Tensor)> {
    let z = g.sample_latents(n, latent, rng)?;
    let y = g.generate_tensor(&z)?;
    Ok((z, y))
}
