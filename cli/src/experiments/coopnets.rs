//! What every CoopNets experiment writes besides the run folder (where `final/<k>` holds the
//! revised samples Ỹ and `final_generator/<k>` the generator's proposals g(Z) of the same Z):
//! `coopnets.png`, the paper's figure — a row of observed examples, a row of proposals g(Z)
//! and a row of their revisions Ỹ — and `interpolation.png`, g(Z) along straight lines
//! between random pairs of latents.

use std::path::Path;

use anyhow::{bail, Context, Result};
use models::CoopNetsLearner;
use tensor::{rng_for, Tensor};

use super::eval::line_latents;
use crate::build;
use crate::config::{ModelConfig, RunConfig};
use crate::data::Observed;
use crate::media::{save_grid_cols, Media};
use crate::train::{train_learner, Options, Summary};

/// The random stream of the pictures' latents.
const PICTURE_STREAM: u64 = u64::MAX - 50_000;

/// Train CoopNets as `cfg` says and write the pictures; returns the learner for measurements.
pub fn train(cfg: &RunConfig, out: &Path, resume: bool) -> Result<(Summary, Observed, CoopNetsLearner)> {
    let ModelConfig::Coopnets(c) = &cfg.model else {
        bail!("this run's model is a {}, not coopnets", cfg.model.kind())
    };
    let obs = crate::data::load(&cfg.data, cfg.run.seed)?;
    let (n, example) = crate::train::split_shape(&obs.data)?;
    crate::memory::check(cfg, n, &example)?;
    let mut learner = build::coopnets(c, &cfg.run, &example).with_context(|| build::for_data(cfg, &example))?;
    let summary = train_learner(cfg, out, Options { resume, progress: true }, &obs, &mut learner, &mut |_, _| Ok(()))?;
    pictures(cfg, out, &learner, &obs)?;
    Ok((summary, obs, learner))
}

/// `coopnets.png` and `interpolation.png` (images only). Proposals are drawn `run.chains` at a
/// time, as in learning (BatchNorm normalises by the batch's statistics, so the batch size
/// matters), and the first 8 shown.
pub fn pictures(cfg: &RunConfig, out: &Path, l: &CoopNetsLearner, obs: &Observed) -> Result<()> {
    let Media::Image(scaling) = Media::of(&cfg.data) else { return Ok(()) };
    let m = cfg.run.chains.max(1);
    let k = 8.min(obs.data.shape()[0]).min(m);
    let mut rng = rng_for(cfg.run.seed, PICTURE_STREAM);
    let (_, proposals) = l.draw(m, &mut rng)?;
    let revised = l.revise(proposals.clone(), &mut rng)?;
    let observed = obs.data.narrow(0, 0, k)?.to_device(&proposals.device())?;
    let rows = [observed, proposals.narrow(0, 0, k)?, revised.narrow(0, 0, k)?];
    save_grid_cols(&out.join("coopnets.png"), &Tensor::cat(&rows.iter().collect::<Vec<_>>(), 0)?, &scaling, k)?;
    let g = l.generator.for_sampling();
    let z = g.sample_latents(16, &l.generator.sample_latent, &mut rng)?;
    let line = line_latents(&z, 8, 10)?; // 80 latents: close to the learning batch size
    save_grid_cols(&out.join("interpolation.png"), &g.generate_tensor(&line)?, &scaling, 10)
}
