//! `coopnets sample`: draw from a trained model. The descriptor continues (or restarts) its
//! Langevin chains; the generator maps fresh Z ~ N(0, I) (moved by its learned prior's
//! Langevin steps where the run has one) through g; CoopNets writes the
//! generator's proposals g(Z) (`<out>_generator.png`) and their revision by `--steps`
//! descriptor Langevin steps (`<out>.png`).

use std::path::Path;

use anyhow::{bail, Context, Result};
use models::{DescriptorTarget, Learner};
use sampler::Langevin;
use tensor::{rng_from_seed, Tensor};

use crate::config::{ModelConfig, RunConfig};
use crate::media::Media;
use crate::{build, run_dir};

/// Where the descriptor's chains start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Start {
    /// The chains saved in the checkpoint (continue them).
    Chains,
    /// Zeros, the mean image (sample from scratch).
    Zeros,
}

/// What to draw.
#[derive(Clone, Debug)]
pub struct Request {
    /// Descriptor and CoopNets: Langevin steps to run.
    pub steps: usize,
    /// Number of samples (descriptor: must match the saved chains when starting from them).
    pub chains: Option<usize>,
    pub start: Start,
    pub seed: u64,
    /// Where to compute (default: the run's `run.device`).
    pub device: Option<String>,
}

/// Load the model of `checkpoint` (any of its files, or its prefix), draw as `req` says and
/// write the samples to `out` (a grid PNG, or a WAV for sound). Returns the samples.
pub fn sample(checkpoint: &Path, req: Request, out: &Path) -> Result<Tensor> {
    let prefix = run_dir::prefix_of(checkpoint);
    let side = nn::checkpoint::parts::meta_path(&prefix);
    let meta = nn::checkpoint::read_json(&side).with_context(|| {
        format!("{}: not a checkpoint (its sidecar {} does not load)", checkpoint.display(), side.display())
    })?;
    let cfg: RunConfig = serde_json::from_value(meta["config"].clone())
        .with_context(|| format!("{}: no run configuration", side.display()))?;
    let example: Vec<usize> = serde_json::from_value(meta["data_shape"].clone())
        .with_context(|| format!("{}: no data_shape", side.display()))?;
    let n = meta["examples"].as_u64().with_context(|| format!("{}: no examples count", side.display()))? as usize;
    let mut rng = rng_from_seed(req.seed);
    let mut run = cfg.run.clone();
    if let Some(d) = &req.device {
        run.device = d.clone();
    }
    let device = crate::data::device(&run)?;
    let restore = |learner: &mut dyn Learner| restore(&prefix, learner, &device);
    let y = match &cfg.model {
        ModelConfig::Descriptor(d) => {
            let slots = crate::train::batches_per_epoch(n, cfg.run.batch_size);
            let mut dl = build::descriptor(d, &cfg.run, &example, slots)?;
            restore(&mut dl)?;
            // the net as it was in the checkpoint's last iteration (layer-wise growth)
            dl.grow_to(meta["iteration"].as_u64().unwrap_or(0).saturating_sub(1) as usize)?;
            let mut y = match (req.start, req.chains) {
                (Start::Chains, Some(k)) if k != dl.chains.shape()[0] => {
                    bail!(
                        "--chains {k}: the checkpoint holds {} chains; --start zeros draws any number",
                        dl.chains.shape()[0]
                    )
                }
                (Start::Chains, _) => dl.chains.clone(),
                (Start::Zeros, k) => {
                    Tensor::zeros_on(&[&[k.unwrap_or(cfg.run.chains).max(1)][..], &example].concat(), &device)?
                }
            };
            let mut target = DescriptorTarget::new(&dl.descriptor);
            Langevin::new(d.learn.step_size, req.steps).run(&mut target, &mut y, &mut rng)?;
            y
        }
        ModelConfig::Generator(g) => {
            let mut gl = build::generator(g, &cfg.run, &example, n)?;
            restore(&mut gl)?;
            if cfg.data.patch > 0 && cfg.data.size > 0 && g.net.fc.is_none() {
                let whole = vec![cfg.data.size; example.len() - 1];
                gl.sample_latent = build::sample_latent(&gl.sample_latent, cfg.data.patch, &whole);
            }
            gl.samples(req.chains.unwrap_or(cfg.run.chains).max(1), &mut rng)?
        }
        ModelConfig::Coopnets(c) => {
            let mut cl = build::coopnets(c, &cfg.run, &example)?;
            restore(&mut cl)?;
            let (_, proposals) = cl.draw(req.chains.unwrap_or(cfg.run.chains).max(1), &mut rng)?;
            let media = Media::of(&cfg.data);
            media.save_all(out_dir(out), &format!("{}_generator", stem(out)), &proposals)?;
            let mut y = proposals;
            let mut target = DescriptorTarget::new(&cl.descriptor.descriptor);
            Langevin::new(c.descriptor.learn.step_size, req.steps).run(&mut target, &mut y, &mut rng)?;
            y
        }
    };
    Media::of(&cfg.data).save_all(out_dir(out), stem(out), &y)?;
    Ok(y)
}

fn out_dir(out: &Path) -> &Path {
    out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn stem(out: &Path) -> &str {
    out.file_stem().and_then(|s| s.to_str()).unwrap_or("samples")
}

/// Load the checkpoint at `prefix` into `learner` (weights, optimizer and run state) and
/// move it to `device`.
fn restore(prefix: &Path, learner: &mut dyn Learner, device: &tensor::Device) -> Result<()> {
    crate::checkpoint::restore(prefix, learner)?;
    learner.to_device(device).with_context(|| format!("moving the model to {device}"))?;
    Ok(())
}
