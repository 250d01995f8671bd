//! `abp-sound` and `sound-descriptor`: the generator (ABP paper §4.1) or the 1-D descriptor
//! learned from segments of one sound, measured the same way. Besides the run folder
//! (`observed.wav`, `final/<k>.wav`) it writes `spectrogram_observed.png` and
//! `spectrogram_final_<k>.png`, `waveform.svg`, and the quality measure in `metrics.json`
//! (`spectrum`, [`super::sound_measure`]): the log-spectrum distance of the samples, per
//! sample and pooled, beside white noise's and the observed segments' own.
//!
//! `sound-descriptor` sets the reference σ from the observed spectrum ([`sigma_from_spectrum`]).

use std::path::Path;

use anyhow::Result;
use tensor::{rng_for, Tensor};

use crate::config::RunConfig;
use crate::plot::{Panel, Series};
use crate::spectrum::{spectrogram_png, welch};
use crate::train::{train_learner, Options, Summary, SAMPLE_STREAM};

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let obs = crate::data::load(&cfg.data, cfg.run.seed)?;
    let mut learner = crate::build::learner(cfg, &obs)?;
    let opts = Options { resume, progress: true };
    let summary = train_learner(cfg, out, opts, &obs, learner.as_mut(), &mut |_, _| Ok(()))?;
    let samples = learner.samples(cfg.run.chains.max(1), &mut rng_for(cfg.run.seed, SAMPLE_STREAM))?;
    let (o, s) = (rows(&obs.data), rows(&samples));
    spectrogram_png(&out.join("spectrogram_observed.png"), &o[0])?;
    for (k, x) in s.iter().enumerate() {
        spectrogram_png(&out.join(format!("spectrogram_final_{k}.png")), x)?;
    }
    waveforms(out, &o[0], &s[0])?;
    let (json, line) = super::sound_measure::measure(&o, &s, power(&o).sqrt(), cfg.run.seed)?;
    crate::metrics::merge(out, json)?;
    println!("{line}");
    Ok(summary)
}

/// The reference σ of a descriptor for this sound, and the Langevin step δ = σ/10 with it.
///
/// Inside each linear piece of a ReLU descriptor, `p(Y) ∝ exp(f(Y)) N(0, σ²I)` is a Gaussian
/// of covariance σ²I: the samples keep a white-noise floor of power σ² per sample in every
/// frequency band, whatever the descriptor learns. A fixed σ fits only sounds as white as that
/// floor (σ = 0.2 at RMS 0.25 was 64% of the power: a bell's spectrum, 40 dB down in half its
/// bands, drowned in it). So the floor is set at the level of the quietest quarter of the
/// observed's Welch bins: `σ² = mean power · q₂₅(P) / mean(P)` (at RMS 0.25: a voice σ 0.052,
/// crickets 0.025, a bell 0.00038, a campfire, nearly white, 0.17), but not below 10⁻³ of the
/// RMS (−60 dB), so that a synthetic sound with digital silence in some bands still gets a σ.
pub fn sigma_from_spectrum(x: &Tensor) -> (f32, f32) {
    let o = rows(x);
    let mut p = welch(&o.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let mean_p = p.iter().sum::<f32>() / p.len().max(1) as f32;
    p.sort_by(f32::total_cmp);
    let q25 = p[(p.len().saturating_sub(1)) / 4];
    let power = power(&o);
    let sigma = (power * q25 / mean_p.max(f32::MIN_POSITIVE)).sqrt().max(1e-3 * power.sqrt());
    (sigma, sigma / 10.0)
}

/// `sound-descriptor`: σ and δ of the run's descriptor from its observed sound.
pub fn set_sigma(cfg: &mut RunConfig) -> Result<()> {
    let obs = crate::data::load(&cfg.data, cfg.run.seed)?;
    let length = obs.data.shape().last().copied().unwrap_or(0);
    let frame = crate::spectrum::FRAME;
    anyhow::ensure!(length >= frame, "segments of {length} samples: σ from the spectrum needs at least {frame}");
    let (sigma, delta) = sigma_from_spectrum(&obs.data);
    anyhow::ensure!(sigma.is_finite() && sigma > 0.0, "the observed sound is silent: no reference σ fits it");
    let d = cfg.descriptor_mut();
    (d.reference_sigma, d.learn.step_size) = (sigma, delta);
    println!("reference σ {sigma:.3e}, Langevin δ {delta:.3e}: the quietest quarter of the observed spectrum");
    Ok(())
}

/// Mean power (mean square) of the samples of all rows.
fn power(rows: &[Vec<f32>]) -> f32 {
    let n = rows.iter().map(Vec::len).sum::<usize>().max(1) as f32;
    rows.iter().flatten().map(|v| v * v).sum::<f32>() / n
}

/// The examples of `[N, 1, L]` as N vectors.
fn rows(x: &Tensor) -> Vec<Vec<f32>> {
    let v = x.to_vec();
    v.chunks(x.numel() / x.shape()[0].max(1)).map(<[f32]>::to_vec).collect()
}

/// `waveform.svg`: the first 2000 samples of an observed segment and of a sample.
fn waveforms(out: &Path, observed: &[f32], sample: &[f32]) -> Result<()> {
    let k = 2000.min(observed.len()).min(sample.len());
    let x: Vec<usize> = (0..k).collect();
    let panels = [
        Panel { y_title: "observed", series: vec![Series { label: "observed segment", x: &x, y: &observed[..k] }] },
        Panel { y_title: "synthesized", series: vec![Series { label: "model sample", x: &x, y: &sample[..k] }] },
    ];
    crate::plot::line_plot(&out.join("waveform.svg"), &panels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// White noise of std s has a flat spectrum: its quietest quarter sits at the mean, σ ≈ s.
    #[test]
    fn white_noise_gets_its_own_std() {
        let x = Tensor::randn(&[16, 1, 4000], 0.0, 0.3, &mut rng_for(7, 0)).unwrap();
        let (sigma, delta) = sigma_from_spectrum(&x);
        assert!((sigma / 0.3 - 1.0).abs() < 0.05, "σ {sigma}");
        assert!((delta - sigma / 10.0).abs() < 1e-9);
    }

    /// A loud tone over faint noise: the floor is the noise, not the tone (σ ≈ 0.001, not the
    /// tone's RMS 0.35).
    #[test]
    fn a_tone_over_faint_noise_gets_the_noise_level() {
        let noise = Tensor::randn(&[16 * 4000], 0.0, 1e-3, &mut rng_for(7, 1)).unwrap().to_vec();
        let tone = (0..16 * 4000).map(|i| 0.5 * (i as f32 * 0.3).sin());
        let x = Tensor::from_vec(tone.zip(noise).map(|(t, n)| t + n).collect(), &[16, 1, 4000]).unwrap();
        let (sigma, _) = sigma_from_spectrum(&x);
        assert!(sigma > 0.7e-3 && sigma < 1.5e-3, "σ {sigma}");
    }

    /// A pure tone has (almost) no power in most bands: σ stops at 10⁻³ of the RMS.
    #[test]
    fn a_pure_tone_gets_the_lowest_sigma() {
        let tone = (0..16 * 4000).map(|i| 0.5 * (i as f32 * 0.3).sin()).collect();
        let (sigma, _) = sigma_from_spectrum(&Tensor::from_vec(tone, &[16, 1, 4000]).unwrap());
        let rms = 0.5 / 2f32.sqrt();
        assert!((sigma / (1e-3 * rms) - 1.0).abs() < 0.01, "σ {sigma}");
    }
}
