//! `coopnets-completion`: **pattern completion** with CoopNets (CoopNets paper, Table 4).
//!
//! CoopNets learns from complete digits (`coopnets-mnist`'s model and split); then each test
//! digit gets one square missing: M30 / M40 / M50, the papers' 30 / 40 / 50-pixel squares on
//! 64² faces scaled to 28² (13 / 18 / 22 pixels). The two nets complete it in turn, in each of
//! [`Settings::chains`] independent chains:
//!
//! 1. **generator**: infer Z from the visible pixels only (Langevin on
//!    `log p(Z | Y_visible)`, [`Settings::infer_steps`] with noise, then as many without, from
//!    a draw of the prior), and fill the missing pixels with g(Z);
//! 2. **descriptor**: revise the missing pixels only, starting from that fill, by
//!    [`Settings::revise_steps`] noise-free Langevin steps on `f(Y) − ‖Y‖²/(2σ²)` (test time: the
//!    gradient ascent form; the visible pixels are frozen bit for bit), then clip to the range
//!    of the data's pixels (the revision overshoots it; a pixel outside it is no pixel).
//!
//! A square hides most of a digit's strokes, so the posterior of Z given the rest has several
//! modes, and the chains, started from different draws of the prior, end in different ones.
//! The completion is the **per-pixel median over the chains**: the recovery error is a mean
//! absolute error, and the median of posterior draws is the estimate with the least expected
//! absolute error. The generator alone gets the same chains and the same median (its chains
//! are the ones the descriptor revises), so the two differ only by the revision.
//!
//! Baselines on the same digits and masks: the generator alone (step 1), the descriptor alone
//! (step 2 from the mean fill), and three fills without a model ([`super::baselines`]: mean,
//! nearest visible pixel, harmonic). **Recovery error** = mean |Ŷ − Y| over the missing pixels,
//! pixels in [0, 1]; **PSNR** over the same pixels. `metrics.json`: `completion.<mask>` and
//! `psnr.<mask>`, each `{coopnets, generator, descriptor, mean_fill, nearest, harmonic}`;
//! `completion_paired.<mask>`: CoopNets against the generator alone digit by digit (the mean
//! difference of their errors and its standard error: is "lowest" more than noise?);
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
    /// Independent completions per digit, from different draws of Z; the result is their
    /// per-pixel median.
    pub chains: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { test_digits: 200, infer_steps: 50, revise_steps: 30, chains: 8 }
    }
}
const MASK_STREAM: u64 = u64::MAX - 70_000;
/// Chain k of mask i infers from stream `INFER_STREAM − CHAIN_STRIDE·k − i` and draws its
/// starting Z from that stream − 50.
const INFER_STREAM: u64 = u64::MAX - 71_000;
const CHAIN_STRIDE: u64 = 1_000;

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    run_with(cfg, out, resume, &Settings::default())
}

/// [`run`] with other [`Settings`] (tests use small ones).
pub fn run_with(cfg: &RunConfig, out: &Path, resume: bool, s: &Settings) -> Result<Summary> {
    let (summary, obs, learner) = super::coopnets::train(cfg, out, resume)?;
    let held = obs.held_out.context("coopnets-completion needs held-out digits (data.holdout)")?;
    anyhow::ensure!(s.chains > 0, "coopnets-completion needs at least one chain");
    // the training data's pixel range [min, max]: completions are clipped to it
    let range = (-obs.data.mul_scalar(-1.0).max_all().to_scalar()?, obs.data.max_all().to_scalar()?);
    let half = held.shape()[0] / 2;
    let test = held.narrow(0, half, s.test_digits.min(held.shape()[0] - half))?.contiguous();
    let (mut completion, mut psnr, mut paired) = (Map::new(), Map::new(), Map::new());
    for (i, (name, size)) in MASKS.into_iter().enumerate() {
        let mask = datasets::square_mask(test.shape(), size, &mut rng_for(cfg.run.seed, MASK_STREAM - i as u64))?;
        let fills = complete(cfg, &learner, &test, &mask, (i as u64, range), s)?;
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
        let per_digit = |filled: &Tensor| per_digit_error(&test, filled, &mask);
        let vs = paired_difference(&per_digit(&fills[0])?, &per_digit(&fills[1])?)?;
        println!("{name}: coopnets − generator per digit {vs}");
        paired.insert(name.to_string(), vs);
        picture(cfg, out, name, &test, &mask, &fills[0])?;
    }
    let settings = json!({
        "test_digits": test.shape()[0], "generator_infer_steps": s.infer_steps,
        "descriptor_revise_steps": s.revise_steps, "revision_noise": false, "chains": s.chains,
        "combined_by": "per-pixel median", "clipped_to": [range.0, range.1],
    });
    let m =
        json!({ "completion": completion, "psnr": psnr, "completion_paired": paired, "completion_settings": settings });
    crate::metrics::merge(out, m)?;
    Ok(summary)
}

/// The six completions of `y` (`[N, 1, 28, 28]`, CPU) under `mask` (the `i`-th), in the order
/// of the metrics' keys, all on the CPU; `range` is the data's pixel range.
fn complete(
    cfg: &RunConfig,
    l: &CoopNetsLearner,
    y: &Tensor,
    mask: &Tensor,
    (i, range): (u64, (f32, f32)),
    s: &Settings,
) -> Result<Vec<Tensor>> {
    let device = l.generator.for_sampling().device();
    let (yd, md) = (y.to_device(&device)?, mask.to_device(&device)?);
    let missing = datasets::missing(&md)?;
    // 2. the descriptor revises the hole only, then the result is clipped to the data's range
    let revise = |start: &Tensor| -> Result<Tensor> {
        let mut x = start.clone();
        let mut target = DescriptorTarget::new(&l.descriptor.descriptor);
        let langevin = Langevin::new(l.descriptor.config.step_size, s.revise_steps).noise(false);
        let mut rng = rng_for(cfg.run.seed, INFER_STREAM - 100 - i);
        langevin.run_with(&mut target, &mut x, &mut rng, Some(&missing), &mut |_: &sampler::StepInfo<'_>| {})?;
        Ok(x.clamp(range.0, range.1))
    };
    let (mut generator, mut coopnets) = (Vec::new(), Vec::new());
    for k in 0..s.chains as u64 {
        let fill = generator_fill(cfg, l, (&yd, &md, &missing), i + CHAIN_STRIDE * k, s)?;
        coopnets.push(revise(&fill)?.to_device(&Device::Cpu)?);
        generator.push(fill.to_device(&Device::Cpu)?);
    }
    let mean = baselines::mean_fill(y, mask)?;
    Ok(vec![
        pixelwise_median(&coopnets)?,
        pixelwise_median(&generator)?,
        revise(&mean.to_device(&device)?)?.to_device(&Device::Cpu)?,
        mean,
        baselines::nearest(y, mask)?,
        baselines::harmonic(y, mask)?,
    ])
}

/// Step 1, the generator's completion in one chain: Z inferred from the visible pixels, g(Z)
/// in the hole; `stream` offsets this chain's random streams.
fn generator_fill(
    cfg: &RunConfig,
    l: &CoopNetsLearner,
    (y, mask, missing): (&Tensor, &Tensor, &Tensor),
    stream: u64,
    s: &Settings,
) -> Result<Tensor> {
    let g = l.generator.for_sampling();
    let infer = Langevin::new(l.generator.config.step_size, s.infer_steps);
    // Z starts at a draw from the prior, so that BatchNorm's batch statistics see latents like
    // those it learned with (from Z = 0 every digit's latent is the same and BatchNorm sees a
    // batch with no variance)
    let z0 = g.sample_latents(
        y.shape()[0],
        &l.generator.sample_latent,
        &mut rng_for(cfg.run.seed, INFER_STREAM - 50 - stream),
    )?;
    let (_, recon) = eval::infer_from(g, y, Some(mask), z0, &infer, cfg.run.seed, INFER_STREAM - stream)?;
    Ok(recon.mul(missing)?.add(&y.mul(mask)?)?)
}

/// The per-pixel median of equally shaped tensors (CPU); with an even count, the mean of the
/// two middle values.
pub fn pixelwise_median(xs: &[Tensor]) -> Result<Tensor> {
    let first = xs.first().context("the median of no tensors")?;
    anyhow::ensure!(xs.iter().all(|x| x.shape() == first.shape()), "the median of tensors of different shapes");
    let values: Vec<Vec<f32>> = xs.iter().map(Tensor::to_vec).collect();
    let mut column = vec![0.0f32; xs.len()];
    let median = (0..first.numel())
        .map(|p| {
            column.iter_mut().zip(&values).for_each(|(c, v)| *c = v[p]);
            column.sort_by(f32::total_cmp);
            let k = column.len();
            if k % 2 == 1 {
                column[k / 2]
            } else {
                0.5 * (column[k / 2 - 1] + column[k / 2])
            }
        })
        .collect();
    Ok(Tensor::from_vec(median, first.shape())?)
}

/// Each digit's recovery error: mean |Ŷ − Y| over its missing pixels, pixels in [0, 1] (the
/// model's [−1, 1] halved), shape `[N]`; their mean is [`recovery_error`]'s (equal squares).
pub fn per_digit_error(y: &Tensor, filled: &Tensor, mask: &Tensor) -> Result<Vec<f32>> {
    let missing = datasets::missing(mask)?;
    let sum = y.sub(filled)?.abs().mul(&missing)?.sum_per_example()?;
    let count = missing.sum_per_example()?.clamp(1.0, f32::MAX);
    Ok(sum.div(&count)?.mul_scalar(0.5).to_vec())
}

/// Method `a` against method `b` on the same digits: the mean of the per-digit differences
/// `a_i − b_i`, its standard error `sd(a − b)/√n`, and the digits where `a` is lower. The two
/// completions share their chains, so the pairs differ only by the revision, and the standard
/// error says whether a lower mean error is more than the digits' noise.
pub fn paired_difference(a: &[f32], b: &[f32]) -> Result<Value> {
    anyhow::ensure!(a.len() == b.len() && a.len() > 1, "paired errors of {} and {} digits", a.len(), b.len());
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| f64::from(x - y)).collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let lower = d.iter().filter(|&&x| x < 0.0).count();
    Ok(json!({ "difference": mean, "se": (var / n).sqrt(), "digits_lower": lower, "digits": d.len() }))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The median of each pixel's values across the tensors: the middle one for an odd count,
    /// the mean of the middle two for an even count, whatever the order of the tensors.
    #[test]
    fn pixelwise_median_takes_the_middle_value_of_each_pixel() {
        let t = |v: &[f32]| Tensor::from_slice(v, &[1, 1, 1, 3]).unwrap();
        let (a, b, c, d) = (t(&[3.0, -1.0, 0.5]), t(&[1.0, 5.0, 0.5]), t(&[2.0, 0.0, -7.0]), t(&[9.0, 2.0, 1.0]));
        let odd = pixelwise_median(&[a.clone(), b.clone(), c.clone()]).unwrap();
        assert_eq!(odd.shape(), &[1, 1, 1, 3]);
        assert_eq!(odd.to_vec(), vec![2.0, 0.0, 0.5]);
        assert_eq!(pixelwise_median(&[c.clone(), a.clone(), b.clone()]).unwrap().to_vec(), odd.to_vec());
        assert_eq!(pixelwise_median(&[a, b, c, d]).unwrap().to_vec(), vec![2.5, 1.0, 0.5]);
        assert!(pixelwise_median(&[]).is_err());
        assert!(pixelwise_median(&[t(&[1.0, 2.0, 3.0]), Tensor::zeros(&[3])]).is_err());
    }

    /// Hand-computed: differences −0.1, −0.3, +0.1 have mean −0.1, sd 0.2, se 0.2/√3, two
    /// lower; mismatched or single digits are refused.
    #[test]
    fn paired_difference_is_the_mean_and_standard_error_of_the_differences() {
        let v = paired_difference(&[0.2, 0.1, 0.5], &[0.3, 0.4, 0.4]).unwrap();
        assert!((v["difference"].as_f64().unwrap() + 0.1).abs() < 1e-6, "{v}");
        assert!((v["se"].as_f64().unwrap() - 0.2 / 3f64.sqrt()).abs() < 1e-6, "{v}");
        assert_eq!((v["digits_lower"].as_u64(), v["digits"].as_u64()), (Some(2), Some(3)));
        assert!(paired_difference(&[0.1, 0.2], &[0.1]).is_err());
        assert!(paired_difference(&[0.1], &[0.1]).is_err());
    }

    /// Per digit, over the missing pixels only, on the [0, 1] scale; the mean of the digits'
    /// errors is the pooled error when every square has the same size.
    #[test]
    fn per_digit_error_counts_the_missing_pixels_of_each_digit() {
        let y = Tensor::from_slice(&[1.0, 1.0, -1.0, -1.0, 0.0, 0.0, 0.0, 0.0], &[2, 1, 2, 2]).unwrap();
        let filled = Tensor::from_slice(&[0.0, 1.0, 1.0, 5.0, 0.5, 0.0, 0.0, -0.5], &[2, 1, 2, 2]).unwrap();
        let mask = Tensor::from_slice(&[0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0], &[2, 1, 2, 2]).unwrap();
        // digit 0: missing pixels 0 and 2, |1 − 0| and |−1 − 1| → (1 + 2)/2/2; digit 1: 1 and 3
        let e = per_digit_error(&y, &filled, &mask).unwrap();
        assert_eq!(e, vec![0.75, 0.125]);
        let pooled = recovery_error(&y, &filled, &mask).unwrap().0;
        assert!((pooled - (e[0] + e[1]) / 2.0).abs() < 1e-6, "{pooled} {e:?}");
    }
}
