//! An exponential moving average of the generator's weights, for drawing samples.
//!
//! After every update of W the average follows it: `W̄ ← β·W̄ + (1 − β)·W`, over about the
//! last `1/(1 − β)` updates. Learning moves W by Adam's noisy steps; W̄ smooths that noise
//! away, so the averaged net draws cleaner samples than the last W (the EMA generator of GAN
//! practice; PyTorch's `torch.optim.swa_utils.AveragedModel` with `get_ema_multi_avg_fn(β)`).
//! Learning itself always uses W: the average is only read when drawing samples.

use std::collections::BTreeMap;

use nn::Module;
use tensor::Tensor;

use super::Generator;
use crate::error::{ModelError, Result};
use crate::learner::state_entry;

/// The averaged copy of a generator and its decay β.
pub struct Averaged {
    /// β in (0, 1): the weight kept by the average at every update.
    pub beta: f32,
    /// A net of the live generator's architecture holding `W̄`.
    pub generator: Generator,
}

impl Averaged {
    /// An average that starts at the live generator's weights; `copy` must be a net of the
    /// same architecture (its own weights are overwritten).
    pub fn new(beta: f32, copy: Generator, live: &Generator) -> Result<Self> {
        if !(beta > 0.0 && beta < 1.0) {
            return Err(ModelError::Config(format!("the weight average's decay {beta} must lie in (0, 1)")));
        }
        let mut a = Averaged { beta, generator: copy };
        a.reset(live)?;
        Ok(a)
    }

    /// `W̄ ← W`: the average restarts at the live weights.
    pub fn reset(&mut self, live: &Generator) -> Result<()> {
        self.mix(live, 0.0)
    }

    /// `W̄ ← β·W̄ + (1 − β)·W` after an update of the live generator.
    pub fn update(&mut self, live: &Generator) -> Result<()> {
        self.mix(live, self.beta)
    }

    /// `W̄ ← keep·W̄ + (1 − keep)·W` for every parameter; buffers (BatchNorm's running
    /// statistics) are copied.
    fn mix(&mut self, live: &Generator, keep: f32) -> Result<()> {
        let from = live.net.named_parameters();
        let mut to = self.generator.net.named_parameters_mut();
        if from.len() != to.len() {
            return Err(ModelError::Config("the averaged generator's net differs from the live one".into()));
        }
        for ((_, w), (_, avg)) in from.iter().zip(to.iter_mut()) {
            if keep == 0.0 {
                avg.value = w.value.clone(); // shares storage until either side is updated
            } else {
                avg.value.axpby_(keep, 1.0 - keep, &w.value)?; // in place: no new tensor per update
            }
        }
        self.copy_buffers(live);
        Ok(())
    }

    /// The live generator's buffers (BatchNorm's running statistics), copied.
    pub fn copy_buffers(&self, live: &Generator) {
        let mut buffers = Vec::new();
        live.net.collect_buffers("", &mut buffers);
        for (name, b) in &buffers {
            self.generator.net.load_buffer(name, b);
        }
    }

    /// The averaged weights, as checkpoint state entries `average.<parameter>`.
    pub fn state(&self) -> BTreeMap<String, Tensor> {
        let params = self.generator.net.named_parameters();
        params.into_iter().map(|(name, p)| (format!("average.{name}"), p.value.clone())).collect()
    }

    /// Restores what [`Averaged::state`] saved.
    pub fn load_state(&mut self, state: &BTreeMap<String, Tensor>) -> Result<()> {
        for (name, p) in self.generator.net.named_parameters_mut() {
            p.value = state_entry(state, &format!("average.{name}"), p.value.shape())?;
        }
        Ok(())
    }
}
