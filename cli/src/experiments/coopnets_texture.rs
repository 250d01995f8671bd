//! `coopnets-texture`: CoopNets learned from one texture image (CoopNets paper, the texture
//! experiment). The generator, fully convolutional from a latent map, proposes textures g(Z);
//! the descriptor (the `texture` experiment's net) revises them by Langevin dynamics into Ỹ
//! and learns from the image against Ỹ; the generator learns to reproduce Ỹ from the same Z.
//!
//! Besides the CoopNets pictures ([`super::coopnets`]) it writes `texture_2x.png`: proposals
//! from a latent map twice as large, revised by the descriptor (both nets are fully
//! convolutional, so the same weights make a texture of any size), and the `texture` checks
//! (border band, stride grid) of `final/` and of `final_generator/` in `metrics.json`. The
//! texture-statistics distance (`texdist.py`) is measured outside the project.

use std::path::Path;

use anyhow::Result;
use tensor::rng_for;

use crate::config::RunConfig;
use crate::media::{save_grid, Media};
use crate::train::Summary;

/// The random stream of `texture_2x.png`.
const TWICE_STREAM: u64 = u64::MAX - 70_000;

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let (summary, _, learner) = super::coopnets::train(cfg, out, resume)?;
    let revised = super::texture::measure_folder(cfg, out, "final")?;
    let proposed = super::texture::measure_folder(cfg, out, "final_generator")?;
    println!("texture checks of the revised samples: {revised}");
    let g = &learner.generator;
    let latent = &g.sample_latent;
    let twice = super::twice_as_large(latent);
    let mut rng = rng_for(cfg.run.seed, TWICE_STREAM);
    let z = g.generator.sample_latents(cfg.run.chains.max(1), &twice, &mut rng)?;
    let big = learner.revise(g.generator.generate_tensor(&z)?, &mut rng)?;
    if let Media::Image(scaling) = Media::of(&cfg.data) {
        save_grid(&out.join("texture_2x.png"), &big, &scaling)?;
    }
    let metrics = serde_json::json!({ "texture": revised, "texture_generator": proposed, "texture_2x_latent": twice });
    crate::metrics::merge(out, metrics)?;
    Ok(summary)
}
