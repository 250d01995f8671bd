//! `coopnets-completion`: **pattern completion** with CoopNets (CoopNets paper, Table 4).
//!
//! CoopNets learns from complete digits (`coopnets-mnist`'s model and split); then each test
//! digit gets one square missing: M30 / M40 / M50, the papers' 30 / 40 / 50-pixel squares on
//! 64² faces scaled to 28² (13 / 18 / 22 pixels). The two nets complete it in turn:
//!
//! 1. **generator**: infer Z from the visible pixels only (Langevin on
//!    `log p(Z | Y_visible)`, [`Settings::infer_steps`] with noise, then as many without, from
//!    a draw of the prior), and fill the missing pixels with g(Z);
//! 2. **descriptor**: revise the missing pixels only, starting from that fill, by
//!    [`Settings::revise_steps`] noise-free Langevin steps on `f(Y) − ‖Y‖²/(2σ²)` (test time: the
//!    gradient ascent form; the visible pixels are frozen bit for bit).
//!
//! Baselines on the same digits and masks: the generator alone (step 1), the descriptor alone
//! (step 2 from the mean fill), and three fills without a model ([`super::baselines`]: mean,
//! nearest visible pixel, harmonic). **Recovery error** = mean |Ŷ − Y| over the missing pixels,
//! pixels in [0, 1]; **PSNR** over the same pixels. `metrics.json`: `completion.<mask>` and
//! `psnr.<mask>`, each `{coopnets, generator, descriptor, mean_fill, nearest, harmonic}`;
//! `completion_<mask>.png`: occluded, completed by CoopNets, true digits.

use std::path::Path;

use anyhow::{Context, Result};
use models::descriptor::DescriptorTarget;
use models::CoopNetsLearner;
use sampler::Langevin;
use serde_json::{json, Map, Value};
use tensor::{rng_for, Device, Tensor};

use super::abp_recovery::recovery_error;
use super::{baselines, eval};
use crate::config::RunConfig;
use crate::media::{save_grid_cols, Media};
use crate::train::Summary;

/// The masks: one square of this many pixels per digit.
pub const MASKS: [(&str, usize); 3] = [("m30", 13), ("m40", 18), ("m50", 22)];

/// How much completing to do.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Test digits completed per mask (the first of the held-out test split).
    pub test_digits: usize,
    /// Generator inference: Langevin steps with noise, then as many without.
    pub infer_steps: usize,
    /// Descriptor revision of the missing pixels (noise-free).
    pub revise_steps: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { test_digits: 200, infer_steps: 50, revise_steps: 30 }
    }
}
const MASK_STREAM: u64 = u64::MAX - 70_000;
const INFER_STREAM: u64 = u64::MAX - 71_000;

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    run_with(cfg, out, resume, &Settings::default())
}

/// [`run`] with other [`Settings`] (tests use small ones).
pub fn run_with(cfg: &RunConfig, out: &Path, resume: bool, s: &Settings) -> Result<Summary> {
    let (summary, obs, learner) = super::coopnets::train(cfg, out, resume)?;
    let held = obs.held_out.context("coopnets-completion needs held-out digits (data.holdout)")?;
    let half = held.shape()[0] / 2;
    let test = held.narrow(0, half, s.test_digits.min(held.shape()[0] - half))?.contiguous();
    let (mut completion, mut psnr) = (Map::new(), Map::new());
    for (i, (name, size)) in MASKS.into_iter().enumerate() {
        let mask = datasets::square_mask(test.shape(), size, &mut rng_for(cfg.run.seed, MASK_STREAM - i as u64))?;
        let fills = complete(cfg, &learner, &test, &mask, i as u64, s)?;
        let keys = ["coopnets", "generator", "descriptor", "mean_fill", "nearest", "harmonic"];
        let (mut e, mut p) = (Map::new(), Map::new());
        for (k, filled) in keys.iter().zip(&fills) {
            let (mae, db) = recovery_error(&test, filled, &mask)?;
            e.insert(k.to_string(), json!(mae));
            p.insert(k.to_string(), json!(db));
        }
        println!("{name}: recovery error {}", Value::Object(e.clone()));
        completion.insert(name.to_string(), Value::Object(e));
        psnr.insert(name.to_string(), Value::Object(p));
        picture(cfg, out, name, &test, &mask, &fills[0])?;
    }
    let settings = json!({
        "test_digits": test.shape()[0], "generator_infer_steps": s.infer_steps,
        "descriptor_revise_steps": s.revise_steps, "revision_noise": false,
    });
    crate::metrics::merge(out, json!({ "completion": completion, "psnr": psnr, "completion_settings": settings }))?;
    Ok(summary)
}

/// The six completions of `y` (`[N, 1, 28, 28]`, CPU) under `mask`, in the order of the
/// metrics' keys, all on the CPU.
fn complete(
    cfg: &RunConfig,
    l: &CoopNetsLearner,
    y: &Tensor,
    mask: &Tensor,
    i: u64,
    s: &Settings,
) -> Result<Vec<Tensor>> {
    let g = l.generator.for_sampling();
    let device = g.device();
    let (yd, md) = (y.to_device(&device)?, mask.to_device(&device)?);
    let missing = datasets::missing(&md)?;
    let keep = |fill: &Tensor| -> Result<Tensor> { Ok(fill.mul(&missing)?.add(&yd.mul(&md)?)?) };
    // 1. the generator: Z from the visible pixels, g(Z) in the hole
    let infer = Langevin::new(l.generator.config.step_size, s.infer_steps);
    // Z starts at a draw from the prior, so that BatchNorm's batch statistics see latents like
    // those it learned with (from Z = 0 every digit's latent is the same and BatchNorm sees a
    // batch with no variance)
    let z0 =
        g.sample_latents(y.shape()[0], &l.generator.sample_latent, &mut rng_for(cfg.run.seed, INFER_STREAM - 50 - i))?;
    let (_, recon) = eval::infer_from(g, &yd, Some(&md), z0, &infer, cfg.run.seed, INFER_STREAM - i)?;
    let generator = keep(&recon)?;
    // 2. the descriptor revises the hole only, from the generator's fill or from the mean fill
    let revise = |start: Tensor| -> Result<Tensor> {
        let mut x = start;
        let mut target = DescriptorTarget::new(&l.descriptor.descriptor);
        let langevin = Langevin::new(l.descriptor.config.step_size, s.revise_steps).noise(false);
        let mut rng = rng_for(cfg.run.seed, INFER_STREAM - 100 - i);
        langevin.run_with(&mut target, &mut x, &mut rng, Some(&missing), &mut |_: &sampler::StepInfo<'_>| {})?;
        Ok(x)
    };
    let mean = baselines::mean_fill(y, mask)?;
    let cpu = |t: Tensor| t.to_device(&Device::Cpu);
    Ok(vec![
        cpu(revise(generator.clone())?)?,
        cpu(generator)?,
        cpu(revise(mean.to_device(&device)?)?)?,
        mean,
        baselines::nearest(y, mask)?,
        baselines::harmonic(y, mask)?,
    ])
}

/// `completion_<mask>.png`: occluded, completed, true digits (10 of each).
fn picture(cfg: &RunConfig, out: &Path, name: &str, y: &Tensor, mask: &Tensor, filled: &Tensor) -> Result<()> {
    let Media::Image(scaling) = Media::of(&cfg.data) else { return Ok(()) };
    let k = 10.min(y.shape()[0]);
    let occluded = datasets::apply_mask(&y.narrow(0, 0, k)?, &mask.narrow(0, 0, k)?, 0.0)?;
    let rows = [occluded, filled.narrow(0, 0, k)?, y.narrow(0, 0, k)?];
    save_grid_cols(
        &out.join(format!("completion_{name}.png")),
        &Tensor::cat(&rows.iter().collect::<Vec<_>>(), 0)?,
        &scaling,
        k,
    )
}
