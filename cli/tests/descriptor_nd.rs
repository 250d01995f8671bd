//! The descriptor on 1-D (sound) and 3-D (video) data, and the generator on sound, through the
//! shared machinery: they learn on tiny real data, and inputs that cannot work are clear errors
//! before training.

mod common;
use common::{scratch, Scratch};

use coopnets_cli::config::Source;
use coopnets_cli::spectrum::{log_distance, welch};
use coopnets_cli::{build, data, presets, RunConfig};
use models::descriptor::{ConvSpec, DescriptorNetConfig};
use models::Batch;
use tensor::{rng_for, Tensor};

fn tmp(name: &str) -> Scratch {
    let d = scratch(name);
    std::fs::create_dir_all(&*d).unwrap();
    d
}

/// Run `iterations` of the learner of `cfg` on all its data; returns the learner's samples.
fn learn(cfg: &RunConfig, iterations: usize) -> (Tensor, Tensor) {
    let obs = data::load(&cfg.data, cfg.run.seed).unwrap();
    let mut l = build::learner(cfg, &obs).unwrap();
    let index: Vec<usize> = (0..obs.data.shape()[0]).collect();
    for it in 0..iterations {
        let batch = Batch { data: &obs.data, index: &index, mask: None, iteration: it, slot: 0 };
        l.iteration(&batch, &mut rng_for(cfg.run.seed, it as u64 + 1)).unwrap();
    }
    let samples = l.samples(cfg.run.chains, &mut rng_for(0, 0)).unwrap();
    (obs.data, samples)
}

fn rows(x: &Tensor) -> Vec<Vec<f32>> {
    x.to_vec().chunks(x.numel() / x.shape()[0]).map(<[f32]>::to_vec).collect()
}

/// The 1-D descriptor on 8 segments of 2000 samples of the shipped voice: its chains must get
/// the voice's spectrum much closer than white noise of the same loudness has it (σ and δ from
/// the voice's spectrum, as the experiment sets them).
#[test]
fn a_1d_descriptor_learns_the_spectrum_of_a_voice() {
    let mut cfg = presets::sound_descriptor();
    if let Source::Wav { length, count, .. } = &mut cfg.data.source {
        (*length, *count) = (2000, 8);
    }
    cfg.run.chains = 2;
    coopnets_cli::experiments::sound::set_sigma(&mut cfg).unwrap();
    let (obs, samples) = learn(&cfg, 60);
    let (d, d_noise) = spectrum_distances(&obs, &samples);
    println!("log-spectrum distance: chains {d:?} dB, white noise {d_noise:.2} dB");
    assert!(d.iter().all(|&v| v < 0.7 * d_noise), "{d:?} against noise {d_noise}");
}

/// Distances of the log Welch spectra of `samples` to that of `obs`, and that of white noise
/// of the observed loudness.
fn spectrum_distances(obs: &Tensor, samples: &Tensor) -> (Vec<f32>, f32) {
    let o = rows(obs);
    let reference = welch(&o.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let rms = (o.iter().flatten().map(|v| v * v).sum::<f32>() / obs.numel() as f32).sqrt();
    let noise = Tensor::randn(&[o[0].len()], 0.0, rms, &mut rng_for(1, 1)).unwrap().to_vec();
    let d_noise = log_distance(&welch(&[&noise]), &reference);
    (rows(samples).iter().map(|x| log_distance(&welch(&[x]), &reference)).collect(), d_noise)
}

/// The generator of `abp-sound` (a latent sequence at 1/16 of the rate) on 8 segments of 2000
/// samples of the shipped voice, 100 iterations: samples g(Z), Z ~ N(0, I), must have the
/// voice's spectrum closer than half the distance of white noise of its loudness (the issue's
/// goal). Measured 0.26 of it; with the reference's 60-number latent scaled to this length
/// (`audio(20)` up 100×, s = 0.05, the old default) 0.74–0.85: fails.
#[test]
fn a_generator_learns_the_spectrum_of_a_voice() {
    let mut cfg = presets::abp_sound();
    if let Source::Wav { length, count, path, .. } = &mut cfg.data.source {
        (*length, *count, *path) = (2000, 8, presets::data_dir().join("audio/puredata_voice.wav"));
    }
    cfg.generator_mut().net = presets::abp_sound_net(2000);
    let (obs, samples) = learn(&cfg, 100);
    let (d, d_noise) = spectrum_distances(&obs, &samples);
    println!("log-spectrum distance: samples {d:?} dB, white noise {d_noise:.2} dB");
    assert!(d.iter().all(|&v| v < 0.5 * d_noise), "{d:?} against noise {d_noise}");
}

/// The 3-D descriptor on the shipped video at 16×16, 6 frames, with a small ST-like net: the
/// chains, started near the mean, must reach the video's contrast and move from frame to frame.
#[test]
fn a_3d_descriptor_learns_a_tiny_video() {
    let mut cfg = presets::dynamic_texture();
    cfg.data.size = 16;
    if let Source::Video { frames, .. } = &mut cfg.data.source {
        *frames = 6;
    }
    let d = cfg.descriptor_mut();
    d.net = DescriptorNetConfig {
        layers: vec![ConvSpec::same(8, &[3], &[2]), ConvSpec::same(4, &[2, 3, 3], &[1])],
        fc_top: None,
        init_std: 0.01,
    };
    d.learn.optim = models::Optim::Adam { lr: 0.01, beta1: 0.5 }; // 60 iterations, not 500 epochs
    cfg.run.chains = 2;
    let (obs, samples) = learn(&cfg, 60);
    let std = |x: &Tensor| {
        let v = x.to_vec();
        let m = v.iter().sum::<f32>() / v.len() as f32;
        (v.iter().map(|p| (p - m) * (p - m)).sum::<f32>() / v.len() as f32).sqrt()
    };
    // frame-to-frame change of [N, C, T, H, W] along T
    let motion = |x: &Tensor| {
        let a = x.narrow(2, 1, 5).unwrap().contiguous().to_vec();
        let b = x.narrow(2, 0, 5).unwrap().contiguous().to_vec();
        a.iter().zip(&b).map(|(p, q)| (p - q).abs()).sum::<f32>() / a.len() as f32
    };
    let (so, ss) = (std(&obs), std(&samples));
    let (mo, ms) = (motion(&obs), motion(&samples));
    println!("std: observed {so:.1}, chains {ss:.1}; motion: observed {mo:.1}, chains {ms:.1}");
    assert!(ss > 0.5 * so && ss < 2.0 * so, "contrast {ss} against {so}");
    assert!(ms > 0.5 * mo, "motion {ms} against {mo}");
}

#[test]
fn videos_and_sounds_that_cannot_work_are_clear_errors() {
    let mut cfg = presets::dynamic_texture();
    // frames of different sizes
    let dir = tmp("mixed");
    image::RgbImage::new(8, 8).save(dir.join("a.png")).unwrap();
    image::RgbImage::new(9, 8).save(dir.join("b.png")).unwrap();
    cfg.data.source = Source::Video { path: dir.to_path_buf(), frames: 0 };
    cfg.data.size = 0;
    let err = load_error(&cfg);
    assert!(err.contains("b.png") || err.contains("a.png"), "{err}");
    // one frame
    let one = tmp("one");
    image::RgbImage::new(8, 8).save(one.join("a.png")).unwrap();
    cfg.data.source = Source::Video { path: one.to_path_buf(), frames: 0 };
    let err = load_error(&cfg);
    assert!(err.contains("at least 2 frames"), "{err}");
    // a sound shorter than the net's first filter (no padding)
    let mut cfg = presets::sound_descriptor();
    if let Source::Wav { length, count, .. } = &mut cfg.data.source {
        (*length, *count) = (40, 2);
    }
    cfg.descriptor_mut().net.layers[0] = ConvSpec::new(4, 65, 4, 0);
    let obs = data::load(&cfg.data, 0).unwrap();
    let err = build::learner(&cfg, &obs).err().expect("65 taps on 40 samples").to_string();
    assert!(err.contains("descriptor layer 1") && err.contains("does not fit"), "{err}");
}

fn load_error(cfg: &RunConfig) -> String {
    match data::load(&cfg.data, 0) {
        Err(e) => format!("{e:#}"),
        Ok(_) => panic!("{:?} loaded", cfg.data.source),
    }
}
