//! How the sound experiments score their samples: the RMS difference in decibels between the
//! log Welch spectrum of the samples and that of the observed segments
//! ([`crate::spectrum::log_distance`]), beside the same distance for white noise of the
//! observed loudness (the goal: samples below half of noise) and for the observed segments
//! themselves (the floor: a sampler as faithful as the sound itself scores about this).
//!
//! Two readings, both in `metrics.json`:
//! * **per sample** (`spectrum.samples`, `.noise`, `.ratio`, `.observed`): each sample's own
//!   Welch spectrum, the mean over samples. A 0.25 s sample has only ~14 frames, so its
//!   spectrum carries ~1.5 dB of estimation noise in every bin; on a nearly white sound (a
//!   campfire, rain: within 2–3 dB of white noise) that alone is 0.7 of the noise distance,
//!   and the sound's own segments score 0.7–0.9: the goal lies below what the data can reach.
//! * **pooled** (`spectrum.pooled.*`): the Welch average over the frames of all samples
//!   together, as the observed reference averages the frames of all segments. It measures
//!   the spectrum of the model's samples, not the scatter of one short sample. Noise: as many
//!   white-noise signals as samples, of the same length. Floor: as many observed segments as
//!   samples (evenly spaced) against the Welch spectrum of the other segments.

use anyhow::{Context, Result};
use tensor::{rng_for, Tensor};

use crate::spectrum::{log_distance, welch};

/// One reading: distances in dB of the samples, of white noise, and of the observed segments.
#[derive(Clone, Copy, Debug)]
pub struct Score {
    pub samples: f32,
    pub noise: f32,
    pub observed: Option<f32>,
}

impl Score {
    pub fn ratio(&self) -> f32 {
        self.samples / self.noise
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({ "samples": self.samples, "noise": self.noise, "ratio": self.ratio(),
            "observed": self.observed, "observed_ratio": self.observed.map(|o| o / self.noise) })
    }
}

fn slices(rows: &[Vec<f32>]) -> Vec<&[f32]> {
    rows.iter().map(Vec::as_slice).collect()
}

/// White noise of standard deviation `rms`: `count` signals of `length` samples.
fn noise(count: usize, length: usize, rms: f32, seed: u64, stream: u64) -> Result<Vec<Vec<f32>>> {
    let x = Tensor::randn(&[count * length], 0.0, rms, &mut rng_for(seed, stream))?.to_vec();
    Ok(x.chunks(length.max(1)).map(<[f32]>::to_vec).collect())
}

/// The length of the samples, refusing an empty set.
fn length(samples: &[Vec<f32>]) -> Result<usize> {
    samples.first().map(Vec::len).context("no samples to measure")
}

/// Each sample's spectrum against the observed's: the mean over samples, and each sample's
/// own distance.
pub fn per_sample(observed: &[Vec<f32>], samples: &[Vec<f32>], rms: f32, seed: u64) -> Result<(Score, Vec<f32>)> {
    let reference = welch(&slices(observed));
    let each = |rows: &[Vec<f32>]| rows.iter().map(|x| log_distance(&welch(&[x]), &reference)).collect::<Vec<f32>>();
    let mean = |d: &[f32]| d.iter().sum::<f32>() / d.len().max(1) as f32;
    let white = noise(1, length(samples)?, rms, seed, u64::MAX - 40_000)?;
    let distances = each(samples);
    let score = Score { samples: mean(&distances), noise: mean(&each(&white)), observed: Some(mean(&each(observed))) };
    Ok((score, distances))
}

/// The spectrum of all samples together against the observed's.
pub fn pooled(observed: &[Vec<f32>], samples: &[Vec<f32>], rms: f32, seed: u64) -> Result<Score> {
    let reference = welch(&slices(observed));
    let k = samples.len();
    let white = noise(k, length(samples)?, rms, seed, u64::MAX - 40_001)?;
    let floor = (observed.len() > k).then(|| {
        let chosen: Vec<usize> = (0..k).map(|i| i * observed.len() / k).collect();
        let (mut part, mut rest) = (Vec::new(), Vec::new());
        for (i, x) in observed.iter().enumerate() {
            if chosen.contains(&i) {
                part.push(x.as_slice())
            } else {
                rest.push(x.as_slice())
            }
        }
        log_distance(&welch(&part), &welch(&rest))
    });
    Ok(Score {
        samples: log_distance(&welch(&slices(samples)), &reference),
        noise: log_distance(&welch(&slices(&white)), &reference),
        observed: floor,
    })
}

/// Both readings as the `spectrum` entry of `metrics.json`, and a line for the terminal.
pub fn measure(
    observed: &[Vec<f32>],
    samples: &[Vec<f32>],
    rms: f32,
    seed: u64,
) -> Result<(serde_json::Value, String)> {
    let ((each, distances), all) = (per_sample(observed, samples, rms, seed)?, pooled(observed, samples, rms, seed)?);
    let mut json = each.json();
    json["per_sample"] = distances.into();
    json["pooled"] = all.json();
    let line = format!(
        "log-spectrum distance (samples / white noise / the observed segments): per sample {:.2} / {:.2} / {:.2} dB (ratio {:.2}); pooled {:.2} / {:.2} / {} dB (ratio {:.2})",
        each.samples,
        each.noise,
        each.observed.unwrap_or(f32::NAN),
        each.ratio(),
        all.samples,
        all.noise,
        all.observed.map_or("–".into(), |o| format!("{o:.2}")),
        all.ratio()
    );
    Ok((serde_json::json!({ "spectrum": json }), line))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` segments of `e[t] + 0.3·e[t−1]` (e white, std 1): a nearly white sound whose
    /// spectrum spans about ±2.5 dB, like rain or a campfire.
    fn nearly_white(count: usize, seed: u64) -> Vec<Vec<f32>> {
        let e = noise(count, 4001, 1.0, seed, 0).unwrap();
        e.iter().map(|s| s.windows(2).map(|w| w[1] + 0.3 * w[0]).collect()).collect()
    }

    /// Fresh segments of the observed process itself (a perfect sampler) score above half of
    /// white noise's distance one by one, from the scatter of 14 frames, but well below it
    /// pooled; white noise itself scores about 1 either way.
    #[test]
    fn pooling_removes_the_scatter_of_short_samples() {
        let observed = nearly_white(16, 1);
        let rms = (observed.iter().flatten().map(|v| v * v).sum::<f32>() / (16.0 * 4000.0)).sqrt();
        let perfect = nearly_white(4, 2);
        let (each, _) = per_sample(&observed, &perfect, rms, 3).unwrap();
        let all = pooled(&observed, &perfect, rms, 3).unwrap();
        assert!(each.ratio() > 0.5, "per sample {each:?}");
        assert!(all.ratio() < 0.4, "pooled {all:?}");
        assert!(all.observed.is_some_and(|o| o / all.noise < 0.5), "floor {all:?}");
        let white = noise(4, 4000, rms, 4, 0).unwrap();
        assert!(pooled(&observed, &white, rms, 3).unwrap().ratio() > 0.8);
        assert!(pooled(&observed, &[], rms, 3).is_err(), "no samples");
    }
}
