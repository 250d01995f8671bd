//! `abp-texture`: the generator learned from one texture image (ABP paper §4.1, Fig. 2). The
//! net is fully convolutional and Z a spatial map, so the same weights make a texture of any
//! size: besides the run folder's samples (`final/`, at the whole image's size)
//! it writes `texture_2x.png`, four textures from a latent map twice as large (the paper's
//! 448×448 from a 14×14 map). `metrics.json` `texture` holds each sample's contrast and
//! brightness against the observed's ([`super::texture::contrast_of_folder`]).

use std::path::Path;

use anyhow::Result;
use tensor::rng_for;

use crate::config::RunConfig;
use crate::media::{save_grid, Media};
use crate::train::{train_learner, Options, Summary};

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let (obs, mut learner) = super::generator_run(cfg)?;
    let summary = train_learner(cfg, out, Options { resume, progress: true }, &obs, &mut learner, &mut |_, _| Ok(()))?;
    let latent = &learner.sample_latent;
    let twice = super::twice_as_large(latent);
    let z = learner.draw_latents(4, &twice, &mut rng_for(cfg.run.seed, u64::MAX - 30_000))?;
    if let Media::Image(scaling) = Media::of(&cfg.data) {
        save_grid(&out.join("texture_2x.png"), &learner.for_sampling().generate_tensor(&z)?, &scaling)?;
    }
    let m = super::texture::contrast_of_folder(out, "final")?;
    println!("texture checks: {m}");
    crate::metrics::merge(out, serde_json::json!({ "texture": m, "texture_2x_latent": twice }))?;
    Ok(summary)
}
