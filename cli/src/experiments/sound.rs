//! `abp-sound` and `sound-descriptor`: the generator (ABP paper §4.1) or the 1-D descriptor
//! learned from segments of one sound, measured the same way. Besides the run folder (`observed.wav`, `final/<k>.wav`) it writes `spectrogram_observed.png` and
//! `spectrogram_final_<k>.png`, `waveform.svg`, and the quality measure in `metrics.json`:
//! `spectrum.samples` = the mean over samples of the RMS difference (dB) between the log
//! Welch spectrum of a sample and that of the observed segments, beside `spectrum.noise` =
//! the same for white noise of the observed loudness (RMS). Goal: samples below half of noise.

use std::path::Path;

use anyhow::Result;
use tensor::{rng_for, Tensor};

use crate::config::RunConfig;
use crate::plot::{Panel, Series};
use crate::spectrum::{log_distance, spectrogram_png, welch};
use crate::train::{train_learner, Options, Summary, SAMPLE_STREAM};

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let obs = crate::data::load(&cfg.data, cfg.run.seed)?;
    let mut learner = crate::build::learner(cfg, &obs)?;
    let opts = Options { resume, progress: true };
    let summary = train_learner(cfg, out, opts, &obs, learner.as_mut(), &mut |_, _| Ok(()))?;
    let samples = learner.samples(cfg.run.chains.max(1), &mut rng_for(cfg.run.seed, SAMPLE_STREAM))?;
    let (o, s) = (rows(&obs.data), rows(&samples));
    let reference = welch(&o.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let d_samples: Vec<f32> = s.iter().map(|x| log_distance(&welch(&[x]), &reference)).collect();
    let rms = (o.iter().flatten().map(|v| v * v).sum::<f32>() / o.iter().map(Vec::len).sum::<usize>() as f32).sqrt();
    let noise = Tensor::randn(&[o[0].len()], 0.0, rms, &mut rng_for(cfg.run.seed, u64::MAX - 40_000))?.to_vec();
    let d_noise = log_distance(&welch(&[&noise]), &reference);
    spectrogram_png(&out.join("spectrogram_observed.png"), &o[0])?;
    for (k, x) in s.iter().enumerate() {
        spectrogram_png(&out.join(format!("spectrogram_final_{k}.png")), x)?;
    }
    waveforms(out, &o[0], &s[0])?;
    let mean = d_samples.iter().sum::<f32>() / d_samples.len().max(1) as f32;
    crate::metrics::merge(
        out,
        serde_json::json!({ "spectrum": { "samples": mean, "per_sample": d_samples, "noise": d_noise, "ratio": mean / d_noise } }),
    )?;
    println!("log-spectrum distance: samples {mean:.2} dB, white noise {d_noise:.2} dB (ratio {:.2})", mean / d_noise);
    Ok(summary)
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
