//! The learning interface every model implements, so that one loop (the CLI's `train`), one
//! checkpoint format, one statistics CSV and one report serve the descriptor, the generator
//! and CoopNets alike.
//!
//! A learner owns its networks, their optimizers and its persistent run state (the
//! descriptor's chains, the generator's per-example latents). One call of
//! [`Learner::iteration`] is one iteration of the model's algorithm on a batch of observed
//! examples; it returns the iteration's named statistics.

use std::collections::BTreeMap;

use nn::checkpoint::parts::{Part, PartMut};
use rand::RngCore;
use tensor::Tensor;

use crate::error::{ModelError, Result};

/// A batch of observed examples and their indices in the training set (per-example state,
/// such as the generator's persistent latents, is looked up by index).
pub struct Batch<'a> {
    pub data: &'a Tensor,
    pub index: &'a [usize],
    /// The iteration this batch is learned in (schedules such as layer-wise growth use it).
    pub iteration: usize,
    /// The batch's slot within its epoch (0 to batches per epoch − 1): state kept per slot,
    /// such as the descriptor's chains, is looked up by it.
    pub slot: usize,
    /// Visible pixels of each example (1 visible, 0 missing), when learning from incomplete data.
    pub mask: Option<&'a Tensor>,
}

/// A statistic an iteration reports: a CSV column and a curve in the learning plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatSpec {
    /// Column name, e.g. `f_obs`.
    pub name: &'static str,
    /// Legend label, e.g. `mean f(observed)`.
    pub label: &'static str,
    /// Statistics with the same panel share one chart, e.g. `energy`.
    pub panel: &'static str,
}

/// One model's learning algorithm, as the shared loop drives it.
pub trait Learner {
    /// The statistics [`Learner::iteration`] returns, in order.
    fn stats(&self) -> Vec<StatSpec>;

    /// One learning iteration; every random draw comes from `rng`. Returns one value per
    /// entry of [`Learner::stats`].
    fn iteration(&mut self, batch: &Batch<'_>, rng: &mut dyn RngCore) -> Result<Vec<f32>>;

    /// The networks with their optimizers, for checkpoints.
    fn parts(&self) -> Vec<Part<'_>>;
    fn parts_mut(&mut self) -> Vec<PartMut<'_>>;

    /// Run state besides the weights (chains, latents), by name.
    fn state(&self) -> BTreeMap<String, Tensor>;
    /// Restore [`Learner::state`]; a missing or misshapen entry is an error naming it.
    fn load_state(&mut self, state: &BTreeMap<String, Tensor>) -> Result<()>;

    /// `n` samples of the model in data space (the descriptor's chains, the generator's g(Z)
    /// for fresh Z from its prior): what `final/` shows.
    fn samples(&self, n: usize, rng: &mut dyn RngCore) -> Result<Tensor>;

    /// Other sets of samples drawn like [`Learner::samples`] with the same `rng`, by name
    /// (CoopNets: the generator's proposals before the descriptor's revision); written as
    /// `final_<name>.png` and `final_<name>/<k>.png`.
    fn extra_samples(&self, _n: usize, _rng: &mut dyn RngCore) -> Result<Vec<(&'static str, Tensor)>> {
        Ok(vec![])
    }

    /// Move the networks, their optimizer state and the run state (chains, latents) to
    /// `device`. Learners are built on the CPU from the run's seed and moved before the first
    /// iteration; every tensor an iteration creates lives on the device of its inputs.
    fn to_device(&mut self, device: &tensor::Device) -> Result<()> {
        for part in self.parts_mut() {
            part.module.to_device(device)?;
            let moved = part
                .optimizer
                .state_dict()
                .into_iter()
                .map(|(k, v)| Ok((k, v.to_device(device)?)))
                .collect::<Result<BTreeMap<_, _>>>()?;
            part.optimizer.load_state_dict(&moved).map_err(ModelError::Config)?;
        }
        let state = self.state().into_iter().map(|(k, v)| Ok((k, v.to_device(device)?))).collect::<Result<_>>()?;
        self.load_state(&state)
    }

    /// The first parameter that is not finite, as `module.parameter`, if any.
    fn non_finite_parameter(&self) -> Option<String> {
        self.parts().iter().find_map(|p| {
            p.module
                .named_parameters()
                .into_iter()
                .find(|(_, t)| t.value.first_non_finite().is_some())
                .map(|(n, _)| format!("{}.{n}", p.name))
        })
    }
}

/// Take the state tensor `name` out of `state`, checking its shape.
pub fn state_entry(state: &BTreeMap<String, Tensor>, name: &str, shape: &[usize]) -> Result<Tensor> {
    let t = state.get(name).ok_or_else(|| crate::ModelError::Config(format!("the checkpoint holds no {name}")))?;
    if t.shape() != shape {
        return Err(crate::ModelError::Config(format!(
            "the checkpoint's {name} have shape {:?}; this run needs {shape:?}",
            t.shape()
        )));
    }
    Ok(t.clone())
}
