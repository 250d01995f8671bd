//! `coopnets sample`: run the Langevin dynamics of a trained descriptor from a checkpoint.

use std::path::Path;

use anyhow::{Context, Result};
use models::DescriptorTarget;
use sampler::Langevin;
use tensor::{rng_from_seed, Tensor};

use crate::config::RunConfig;
use crate::train::{build_learner, save_grid};

/// Where the chains start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Start {
    /// The chains saved in the checkpoint (continue them).
    Chains,
    /// Zeros, the mean image (sample from scratch).
    Zeros,
}

/// Load the model of `checkpoint`, run `steps` Langevin steps on `chains` chains and write
/// the grid to `out`. Returns the final chains.
pub fn sample(
    checkpoint: &Path,
    steps: usize,
    chains: Option<usize>,
    start: Start,
    seed: u64,
    out: &Path,
) -> Result<Tensor> {
    let side = nn::checkpoint::sidecar_path(checkpoint);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&side).with_context(|| format!("reading {}", side.display()))?)
            .with_context(|| format!("{} is not valid JSON", side.display()))?;
    let cfg: RunConfig = serde_json::from_value(meta["config"].clone())
        .with_context(|| format!("{}: no run configuration", side.display()))?;
    let shape: Vec<usize> = serde_json::from_value(meta["data_shape"].clone())
        .with_context(|| format!("{}: no data_shape", side.display()))?;
    let &[c, h, w] = shape.as_slice() else {
        anyhow::bail!("{}: data_shape {shape:?} is not [C, H, W]", side.display())
    };
    let mut learner = build_learner(&cfg, c, h, w)?;
    let loaded = nn::checkpoint::load(checkpoint, &mut learner.descriptor.net, &mut [])?;
    let mut y = match (start, loaded.extras.get("chains")) {
        (Start::Chains, Some(saved)) if chains.is_none_or(|k| k == saved.shape()[0]) => saved.clone(),
        _ => Tensor::zeros(&[chains.unwrap_or(cfg.run.chains).max(1), c, h, w]),
    };
    let mut target = DescriptorTarget::new(&learner.descriptor);
    Langevin::new(cfg.learn.step_size, steps).run(&mut target, &mut y, &mut rng_from_seed(seed))?;
    save_grid(out, &y, &cfg.data.scaling)?;
    Ok(y)
}
