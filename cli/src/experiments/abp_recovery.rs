//! `abp-recovery`: **learning from incomplete data** (ABP paper §4.4). Every training image
//! has pixels missing, and only the visible pixels drive inference and learning. Six masks:
//! salt and pepper with 50 / 70 / 90 % of the 2×2 cells missing, and one square of 13 / 18 /
//! 22 pixels (the papers' M30 / M40 / M50 squares on 64² images, scaled to 28²).
//!
//! For each mask a run of `abp-object`'s model learns from the masked training digits in
//! `<out>/<mask>/`; then each digit's persistent Z (inferred from its visible pixels during
//! learning) is refined with W fixed ([`super::eval::infer_from`]) and g(Z) fills the missing
//! pixels. **Recovery error** = mean |Ŷ − Y| over the missing pixels with
//! pixels in [0, 1]; **PSNR** = 10·log₁₀(1/MSE) over the missing pixels, [0, 1] scale. Both
//! against three baselines ([`super::baselines`]) on the same images and masks, in
//! `<out>/metrics.json` as `recovery.<mask>` and `psnr.<mask>`, each `{abp, mean_fill,
//! nearest, harmonic}`; `recovery_<mask>.png` shows occluded, recovered and true digits.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;
use tensor::Tensor;

use super::{baselines, eval};
use crate::config::{Missing, RunConfig};
use crate::media::{save_grid_cols, Media};
use crate::train::{train_learner, Options, Summary};

/// The six masks by name.
pub fn masks() -> Vec<(&'static str, Missing)> {
    let sp = |fraction| Missing::SaltPepper { fraction, cell: 2 };
    vec![
        ("sp50", sp(0.5)),
        ("sp70", sp(0.7)),
        ("sp90", sp(0.9)),
        ("m30", Missing::Square { size: 13 }),
        ("m40", Missing::Square { size: 18 }),
        ("m50", Missing::Square { size: 22 }),
    ]
}

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    std::fs::create_dir_all(out)?;
    nn::checkpoint::write_atomic(&out.join("config.toml"), cfg.to_toml()?.as_bytes())?;
    let (mut recovery, mut psnr) = (serde_json::Map::new(), serde_json::Map::new());
    let mut last = None;
    for (name, missing) in masks() {
        let mut c = cfg.clone();
        c.data.missing = Some(missing);
        let (summary, errors) = one_mask(&c, &out.join(name), out, name, resume)?;
        let keys = ["abp", "mean_fill", "nearest", "harmonic"];
        let entry = |v: &dyn Fn(&(f32, f32)) -> f32| {
            keys.iter().zip(&errors).map(|(k, e)| (k.to_string(), json!(v(e)))).collect()
        };
        recovery.insert(name.to_string(), serde_json::Value::Object(entry(&|e| e.0)));
        psnr.insert(name.to_string(), serde_json::Value::Object(entry(&|e| e.1)));
        println!(
            "{name}: recovery error (abp, mean fill, nearest, harmonic) = {:?}",
            errors.iter().map(|e| e.0).collect::<Vec<_>>()
        );
        last = Some(summary);
    }
    let metrics =
        json!({ "model": "generator", "recovery": recovery, "psnr": psnr, "seed": cfg.run.seed, "config": cfg });
    crate::metrics::write(out, &metrics)?;
    last.ok_or_else(|| anyhow::anyhow!("no mask"))
}

/// Learn with one mask in `dir`; returns (recovery error, PSNR) for ABP and the baselines.
fn one_mask(cfg: &RunConfig, dir: &Path, top: &Path, name: &str, resume: bool) -> Result<(Summary, Vec<(f32, f32)>)> {
    let (obs, mut learner) = super::generator_run(cfg)?;
    let n = obs.data.shape()[0];
    let summary = train_learner(cfg, dir, Options { resume, progress: true }, &obs, &mut learner, &mut |_, _| Ok(()))?;
    let (y, mask) = (&obs.data, obs.mask.as_ref().context("abp-recovery needs data.missing")?);
    // the missing pixels of the training images, from their persistent latents (learned from
    // the visible pixels only), refined by the evaluation protocol with W fixed
    let z = learner.latents.clone();
    let (_, recon) =
        eval::infer_from(&learner.generator, y, Some(mask), z, &learner.langevin(), cfg.run.seed, u64::MAX - 20_000)?;
    let abp = recon.mul(&datasets::missing(mask)?)?.add(&y.mul(mask)?)?;
    let mut errors = Vec::new();
    for filled in
        [abp.clone(), baselines::mean_fill(y, mask)?, baselines::nearest(y, mask)?, baselines::harmonic(y, mask)?]
    {
        errors.push(recovery_error(y, &filled, mask)?);
    }
    if let Media::Image(scaling) = Media::of(&cfg.data) {
        let k = 10.min(n);
        let occluded = datasets::apply_mask(&y.narrow(0, 0, k)?, &mask.narrow(0, 0, k)?, 0.0)?; // holes in grey
        let rows = [occluded, abp.narrow(0, 0, k)?, y.narrow(0, 0, k)?];
        let grid = Tensor::cat(&rows.iter().collect::<Vec<_>>(), 0)?;
        save_grid_cols(&top.join(format!("recovery_{name}.png")), &grid, &scaling, k)?;
    }
    Ok((summary, errors))
}

/// (mean |Ŷ − Y|, PSNR) over the missing pixels, on the [0, 1] scale (data are in [−1, 1]).
pub fn recovery_error(y: &Tensor, filled: &Tensor, mask: &Tensor) -> Result<(f32, f32)> {
    let missing = datasets::missing(mask)?;
    let mae = eval::mae(y, filled, &missing)? / 2.0;
    let mse = eval::mse(y, filled, Some(&missing))? / 4.0;
    Ok((mae, 10.0 * (1.0 / mse.max(1e-12)).log10()))
}
