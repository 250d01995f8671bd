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
//!
//! **Pixels no training image shows.** A square at a uniformly random place hides some pixels
//! in *every* image: a 22-pixel square on 28² always hides the centre 16×16 (rows and columns
//! 6..22), an 18-pixel one the centre 8×8, a 13-pixel one nothing. No model learned from these
//! data has seen those pixels, so `recovery_split.<mask>` reports each method's error on them
//! and on the other missing pixels apart, with their share (`never_seen_fraction`).

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
    let (mut recovery, mut psnr, mut split) = (serde_json::Map::new(), serde_json::Map::new(), serde_json::Map::new());
    let mut last = None;
    for (name, missing) in masks() {
        let mut c = cfg.clone();
        c.data.missing = Some(missing);
        let MaskResult { summary, errors, split: parts, never_seen_fraction } =
            one_mask(&c, &out.join(name), out, name, resume)?;
        // no never-seen pixels (salt and pepper, small squares): no error to report there
        let never = |e: f32| if never_seen_fraction > 0.0 { json!(e) } else { serde_json::Value::Null };
        let keys = ["abp", "mean_fill", "nearest", "harmonic"];
        let mut entry_split: serde_json::Map<String, serde_json::Value> = keys
            .iter()
            .zip(&parts)
            .map(|(k, p)| (k.to_string(), json!({ "never_seen": never(p[0]), "seen": p[1] })))
            .collect();
        entry_split.insert("never_seen_fraction".into(), json!(never_seen_fraction));
        split.insert(name.to_string(), serde_json::Value::Object(entry_split));
        let entry = |v: &dyn Fn(&(f32, f32)) -> f32| {
            keys.iter().zip(&errors).map(|(k, e)| (k.to_string(), json!(v(e)))).collect()
        };
        recovery.insert(name.to_string(), serde_json::Value::Object(entry(&|e| e.0)));
        psnr.insert(name.to_string(), serde_json::Value::Object(entry(&|e| e.1)));
        println!(
            "{name}: recovery error (abp, mean fill, nearest, harmonic) = {:?}",
            errors.iter().map(|e| e.0).collect::<Vec<_>>()
        );
        if never_seen_fraction > 0.0 {
            println!(
                "  {:.0}% of the missing pixels are missing in every training image; on them {:?}, on the others {:?}",
                100.0 * never_seen_fraction,
                parts.iter().map(|p| p[0]).collect::<Vec<_>>(),
                parts.iter().map(|p| p[1]).collect::<Vec<_>>()
            );
        }
        last = Some(summary);
    }
    let metrics = json!({ "model": "generator", "recovery": recovery, "psnr": psnr, "recovery_split": split, "seed": cfg.run.seed, "config": cfg });
    crate::metrics::write(out, &metrics)?;
    last.ok_or_else(|| anyhow::anyhow!("no mask"))
}

/// Learn with one mask in `dir`; returns what it measured for ABP and the baselines.
fn one_mask(cfg: &RunConfig, dir: &Path, top: &Path, name: &str, resume: bool) -> Result<MaskResult> {
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
    let (mut errors, mut split) = (Vec::new(), Vec::new());
    let (never, seen) = never_seen_split(mask)?;
    for filled in
        [abp.clone(), baselines::mean_fill(y, mask)?, baselines::nearest(y, mask)?, baselines::harmonic(y, mask)?]
    {
        errors.push(recovery_error(y, &filled, mask)?);
        split.push([eval::mae(y, &filled, &never)? / 2.0, eval::mae(y, &filled, &seen)? / 2.0]);
    }
    if let Media::Image(scaling) = Media::of(&cfg.data) {
        let k = 10.min(n);
        let occluded = datasets::apply_mask(&y.narrow(0, 0, k)?, &mask.narrow(0, 0, k)?, 0.0)?; // holes in grey
        let rows = [occluded, abp.narrow(0, 0, k)?, y.narrow(0, 0, k)?];
        let grid = Tensor::cat(&rows.iter().collect::<Vec<_>>(), 0)?;
        save_grid_cols(&top.join(format!("recovery_{name}.png")), &grid, &scaling, k)?;
    }
    let (n_never, n_seen) = (never.sum_all().to_scalar()?, seen.sum_all().to_scalar()?);
    let fraction = n_never / (n_never + n_seen).max(1.0);
    Ok(MaskResult { summary, errors, split, never_seen_fraction: fraction })
}

/// What one mask's run measured.
struct MaskResult {
    summary: Summary,
    /// (recovery error, PSNR) of ABP, mean fill, nearest, harmonic.
    errors: Vec<(f32, f32)>,
    /// The same methods' recovery error on the never-seen missing pixels and on the others.
    split: Vec<[f32; 2]>,
    /// The share of the missing pixels that no training image shows.
    never_seen_fraction: f32,
}

/// Weights (1/0, the mask's shape) of the missing pixels that no image shows, and of the
/// other missing pixels.
fn never_seen_split(mask: &Tensor) -> Result<(Tensor, Tensor)> {
    let shown_somewhere = mask.max(&[0], true)?; // [1, C, H, W]: 1 where some image shows the pixel
    let missing = datasets::missing(mask)?;
    let never = missing.mul(&shown_somewhere.affine(-1.0, 1.0))?;
    let seen = missing.sub(&never)?;
    Ok((never, seen))
}

/// (mean |Ŷ − Y|, PSNR) over the missing pixels, on the [0, 1] scale (data are in [−1, 1]).
pub fn recovery_error(y: &Tensor, filled: &Tensor, mask: &Tensor) -> Result<(f32, f32)> {
    let missing = datasets::missing(mask)?;
    let mae = eval::mae(y, filled, &missing)? / 2.0;
    let mse = eval::mse(y, filled, Some(&missing))? / 4.0;
    Ok((mae, 10.0 * (1.0 / mse.max(1e-12)).log10()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A k-pixel square at every place on 28², one image per place.
    fn every_place(k: usize) -> Tensor {
        let places = 0..=28 - k;
        let masks: Vec<Tensor> = places
            .clone()
            .flat_map(|t| places.clone().map(move |l| datasets::square_mask_at(&[1, 1, 28, 28], t, l, k).unwrap()))
            .collect();
        Tensor::cat(&masks.iter().collect::<Vec<_>>(), 0).unwrap()
    }

    /// Squares at every place on 28²: a 22-pixel one leaves the centre 16×16 missing in every
    /// image (the never-seen part; the rest of each square is seen elsewhere), an 18-pixel one
    /// the centre 8×8, a 13-pixel one nothing.
    #[test]
    fn the_never_seen_pixels_of_large_squares_are_the_centre() {
        for (k, side) in [(22usize, 16usize), (18, 8), (13, 0)] {
            let mask = every_place(k);
            let images = mask.shape()[0] as f32;
            let (never, seen) = never_seen_split(&mask).unwrap();
            let per_image = |t: &Tensor| t.sum_all().to_scalar().unwrap() / images;
            assert_eq!(per_image(&never), (side * side) as f32, "k = {k}");
            assert_eq!(per_image(&seen), (k * k - side * side) as f32, "k = {k}");
            let c = (28 - side) / 2;
            let centre = never.narrow(0, 0, 1).unwrap().narrow(2, c, side).unwrap().narrow(3, c, side).unwrap();
            assert_eq!(centre.sum_all().to_scalar().unwrap(), (side * side) as f32, "the centre, k = {k}");
        }
    }
}
