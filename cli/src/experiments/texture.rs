//! `texture`: the descriptor learned from one texture image (Generative ConvNet, Fig. 1), then
//! checks of the final samples that the learning curves do not show (see
//! [`crate::texture_stats`]): the border band, the first layer's stride grid, and each sample's
//! contrast and brightness against the observed's. All go into
//! `metrics.json` under `texture`; the texture-statistics distance (`texdist.py`) is measured
//! outside the project.

use std::path::Path;

use anyhow::Result;
use datasets::{Channels, LoadOptions};
use models::descriptor::{Axes, ConvSpec};

use crate::config::{ModelConfig, RunConfig};
use crate::texture_stats::{border_ratio, contrast, grid_power};
use crate::train::Summary;

/// Width of the border band that must not be flat, in pixels.
pub const BAND: usize = 8;

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let summary = crate::train::train(cfg, out, resume, true)?;
    let m = measure(cfg, out)?;
    crate::metrics::merge(out, serde_json::json!({ "texture": m }))?;
    println!("texture checks: {m}");
    Ok(summary)
}

/// The first layer's stride along the image rows (1 if there is no layer).
fn first_stride(cfg: &RunConfig) -> usize {
    match &cfg.model {
        ModelConfig::Descriptor(d) => stride_of(&d.net.layers),
        ModelConfig::Coopnets(c) => stride_of(&c.descriptor.net.layers),
        ModelConfig::Generator(_) => 1,
    }
}

fn stride_of(layers: &[ConvSpec]) -> usize {
    match layers.first().map(|l| &l.stride) {
        Some(Axes::All(s)) => *s,
        Some(Axes::Each(v)) => v.first().copied().unwrap_or(1),
        None => 1,
    }
}

/// Border ratios, grid powers, contrast ratios and mean shifts (one per sample) of `final/`
/// against `observed.png`, in grey pixels.
pub fn measure(cfg: &RunConfig, out: &Path) -> Result<serde_json::Value> {
    measure_folder(cfg, out, "final")
}

/// [`measure`] for the samples in `out/folder`.
pub fn measure_folder(cfg: &RunConfig, out: &Path, folder: &str) -> Result<serde_json::Value> {
    let grey = LoadOptions::new(Channels::Grey);
    let obs = datasets::load_images(&out.join("observed.png"), &grey)?;
    let syn = datasets::load_images(&out.join(folder), &grey)?;
    let (h, w) = (obs.shape()[2], obs.shape()[3]);
    let s = first_stride(cfg);
    let images: Vec<Vec<f32>> = syn.to_vec().chunks(h * w).map(<[f32]>::to_vec).collect();
    let borders: Vec<f32> = images.iter().map(|x| border_ratio(x, h, w, BAND)).collect();
    let grids: Vec<f32> = images.iter().map(|x| grid_power(x, h, w, s)).collect();
    let obs = obs.to_vec();
    let g_obs = grid_power(&obs, h, w, s);
    let (ratios, shifts) = contrasts(&images, &obs);
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    Ok(serde_json::json!({
        "border_band_px": BAND,
        "border_ratio_min": borders.iter().copied().fold(f32::INFINITY, f32::min),
        "border_ratio_mean": mean(&borders),
        "stride": s,
        "grid_power_observed": g_obs,
        "grid_power_synthesized": mean(&grids),
        "grid_power_ratio": mean(&grids) / g_obs,
        "contrast_ratio": ratios,
        "mean_shift": shifts,
    }))
}

/// Each sample's std over the observed's (`contrast_ratio`) and mean shift in observed stds
/// (`mean_shift`), of the grey images in `out/folder` against `out/observed.png` (the two may
/// differ in size: only their grey-level moments are compared).
pub fn contrast_of_folder(out: &Path, folder: &str) -> Result<serde_json::Value> {
    let grey = LoadOptions::new(Channels::Grey);
    let obs = datasets::load_images(&out.join("observed.png"), &grey)?.to_vec();
    let syn = datasets::load_images(&out.join(folder), &grey)?;
    let per_sample: usize = syn.shape()[1..].iter().product();
    let images: Vec<Vec<f32>> = syn.to_vec().chunks(per_sample.max(1)).map(<[f32]>::to_vec).collect();
    let (ratios, shifts) = contrasts(&images, &obs);
    Ok(serde_json::json!({ "contrast_ratio": ratios, "mean_shift": shifts }))
}

/// The contrast ratio and mean shift of each of `images` against `obs` (grey pixels).
fn contrasts(images: &[Vec<f32>], obs: &[f32]) -> (Vec<f32>, Vec<f32>) {
    images.iter().map(|x| contrast(x, obs)).unzip()
}
