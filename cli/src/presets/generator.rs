//! The generator presets (alternating back-propagation): objects, learning from incomplete
//! data, textures and sound.

use datasets::{Channels, Scaling};
use models::descriptor::{ChainInit, ConvSpec, DescriptorNetConfig, LearnConfig, Optim};
use models::generator::learn::LatentInit;
use models::generator::{GeneratorLearnConfig, GeneratorNetConfig, LatentPriorConfig};
use models::Activation;

use super::{adam, data, data_dir, mnist, settings};
use crate::config::{DataConfig, GeneratorConfig, Loudness, ModelConfig, OutputBias, RunConfig, RunSettings, Source};

/// ABP's MatConvNet learning settings: s = 0.3, σ_z = 1, δ = 0.3, noise on, persistent Z.
fn abp(net: GeneratorNetConfig, steps: usize, latent_init: LatentInit, optim: Optim) -> ModelConfig {
    ModelConfig::Generator(GeneratorConfig {
        noise_sigma: 0.3,
        latent_sigma: 1.0,
        net,
        learn: GeneratorLearnConfig {
            langevin_steps: steps,
            step_size: 0.3,
            noise: true,
            latent_init,
            optim,
            ema: 0.0,
        },
        output_bias: OutputBias::Zero,
        latent_prior: None,
    })
}

/// `abp-object`: 1000 MNIST digits of one class (3; `--class` picks another), 200 of them held
/// out by a seeded split, 800 learned from; the TF
/// `mnist` generator at an eighth of its width (64 → 32 → 16 channels) with z 10, 30 Langevin
/// steps, Adam 2e-3 β₁ 0.5, batches of 100, persistent Z, 250 iterations (31 epochs); about 4
/// minutes on 2 cores.
pub fn abp_object() -> RunConfig {
    RunConfig {
        data: DataConfig { holdout: 200, ..data(mnist(3, 1000), 0, Channels::Grey, Scaling::Symmetric) },
        model: abp(GeneratorNetConfig::mnist(10, 64), 30, LatentInit::Zeros, adam(2e-3)),
        run: RunSettings { batch_size: 100, ..settings(250, 64, 50) },
    }
}

/// `abp-object --preset paper`: the full-width TF `mnist` generator (512 → 256 → 128).
pub fn abp_object_paper() -> RunConfig {
    let mut c = abp_object();
    c.model = abp(GeneratorNetConfig::mnist(10, 512), 30, LatentInit::Zeros, adam(2e-4));
    c.run.iterations = 1600;
    c
}

/// `abp-recovery`: `abp-object`'s model, 150 iterations (19 epochs) per mask, so that the six
/// masks take about 8 minutes on 2 cores. The output bias starts at the mean of the visible
/// pixels ([`OutputBias::DataMean`]): the generator never sees the centre of a digit under a
/// large square (an 18- or 22-pixel square at a random place on 28² hides the centre 8×8 or
/// 16×16 in every image), and from a zero bias it filled that centre with mid-grey (measured
/// recovery error on M40 / M50: 0.269 / 0.369, against 0.203 / 0.215 with this start).
pub fn abp_recovery() -> RunConfig {
    let mut c = abp_object();
    c.run.iterations = 150;
    c.generator_mut().output_bias = OutputBias::DataMean;
    c
}

/// `abp-texture`: one texture image (the shipped flagstones, grey, 128×128, per-image min–max
/// to [−1, 1]) learned from its 9 overlapping 64×64 patches, each with its own latent map of
/// 4 × 16 × 16 numbers: a fully convolutional generator of two transposed convolutions (5×5
/// up 2, 4 → 32 → 1 channels, BN + ReLU, tanh), 10 Langevin steps, Adam 1e-3, 600 iterations.
/// Samples (16) are drawn at the image's size from 4 × 32 × 32 latent maps. (Learning one
/// image with one latent map lets the generator memorise it, and maps from the prior then look
/// like no texture; patches make it learn the texture.)
///
/// The samples' maps come from a learned prior on Z ([`texture_latent_prior`]; README, "The
/// generator's textures"): N(0, I) draws lack the arrangement of the inferred latents that g
/// renders sharply. Median texdist of 16 samples, N(0, I) → learned prior, seed 0: flagstones
/// 0.43 → 0.35, burlap 0.56 → 0.48, grass 0.62 → 0.52, rock 0.62 → 0.48, brick 0.68 → 0.49,
/// pink marble 0.48 → 0.51, gravel (not in `data/`) 0.45 → 0.37.
///
/// The latent is a dense map (4 numbers per 4 × 4 pixels), not the reference's one number per
/// 32 × 32 pixels (`textureGeneratorNet224`, kept by `--preset paper`): as with the sound
/// generator, Z carries the texture's fine, random detail and g learns how to shape it. With a
/// sparse latent (an 8×8 map for 128², 4 × convT, 128 → 64 → 32 channels) g reproduced its
/// patches far below the noise level, rendered sharp texture only for the latent maps it had
/// learned and a blurred average for draws from the prior (76–86% of the observed contrast):
/// median texdist of `final/`, sparse → dense, seeds 0 / 1: flagstones 0.82 / 0.78 → 0.39 /
/// 0.39, burlap 0.93 / 0.99 → 0.64 / 0.62, grass 0.92 → 0.59 / 0.53, rock 0.66 / 0.58 → 0.63 /
/// 0.57, gravel (not in `data/`) 0.77 → 0.46 / 0.51; but the skimage brick, whose regular
/// courses need the coarse latent, 0.42 / 0.43 → 0.68 / 0.69 (README, "The generator's
/// textures").
///
/// The noise s = 0.1, not the reference 0.3: g(Z) is the mean of Y given Z, and with s = 0.3
/// it is blurred to about two thirds of the image's contrast, which texdist's pixel-histogram
/// term scores at 2–3× white noise's.
///
/// The Langevin step δ = 0.05, not the reference 0.3: the step multiplies the likelihood's
/// gradient by δ²/(2s²), 0.5 in the reference (δ = s = 0.3) but 4.5 with s = 0.1. Such steps
/// overshoot, and since batch norm makes g blind to the scale of Z (its Jacobian shrinks as
/// 1/‖Z‖), the overshoots inflate ‖Z‖: mean Z² (the `z_sq` statistic, 1 under the prior) ends
/// at 2.2–2.5 with δ = 0.3 and at 1.0–1.1 with δ = 0.05. Median texdist of `final/`, δ 0.3 →
/// 0.05: flagstones 0.97 → 0.39, burlap 1.36 → 0.64, rock 1.16 → 0.63, grass 0.66 → 0.59.
pub fn abp_texture() -> RunConfig {
    let mut net = GeneratorNetConfig::texture(16, 2);
    net.latent[0] = 4;
    net.layers[0].out_channels = 32;
    let mut c = RunConfig {
        data: DataConfig {
            source: Source::Images { path: data_dir().join("textures/gimp_stone_stone33.png") },
            crop: 0,
            size: 128,
            channels: Channels::Grey,
            scaling: Scaling::MinMax,
            missing: None,
            patch: 64,
            holdout: 0,
        },
        model: abp(net, 10, LatentInit::Prior, adam(1e-3)),
        run: settings(600, 16, 100),
    }
    .with_noise_sigma(0.1)
    .with_step_size(0.05);
    c.generator_mut().latent_prior = Some(texture_latent_prior());
    c
}

/// The learned prior on `abp-texture`'s latent maps ([`models::generator::LatentPrior`]): a
/// descriptor over Z, two 3×3 convolutions of 32 channels with leaky ReLU and a 1×1 one to a
/// single channel (f_α = the sum of that map; fully convolutional, so it draws the larger
/// sample maps too), N(0, 0.05²) init; per update 30 Langevin steps of δ = 0.3 started at
/// N(0, I) (short-run chains), Adam 1e-4 β₁ 0.5.
pub fn texture_latent_prior() -> LatentPriorConfig {
    let conv = |c, k, p, a| ConvSpec::new(c, k, 1, p).activation(a);
    let net = DescriptorNetConfig {
        layers: vec![
            conv(32, 3, 1, Activation::LeakyRelu),
            conv(32, 3, 1, Activation::LeakyRelu),
            conv(1, 1, 0, Activation::None),
        ],
        fc_top: None,
        init_std: 0.05,
    };
    let learn = LearnConfig {
        langevin_steps: 30,
        step_size: 0.3,
        chain_init: ChainInit::RestartNoise,
        optim: adam(1e-4),
        growth: Default::default(),
        rate_schedule: Default::default(),
    };
    LatentPriorConfig { net, learn }
}

/// `abp-texture --preset paper`: `textureGeneratorNet224` (7×7 latent map, 512 → … → 64),
/// 224×224, lr 1e-4 as the reference (Adam here), 600 iterations.
pub fn abp_texture_paper() -> RunConfig {
    let mut c = abp_texture();
    (c.data.size, c.data.patch) = (224, 0);
    c.model = abp(GeneratorNetConfig::texture(7, 5), 10, LatentInit::Prior, adam(1e-4));
    c
}

/// `abp-sound`: the shipped rain recording at 16 kHz (peak-normalised) cut into 32 segments of
/// 6000 samples, a 1-D generator from a latent sequence of 16 × 375 numbers
/// ([`GeneratorNetConfig::audio_sequence`]: 2 × convT 1×8 up 4, 64 channels between, then a
/// filter of 255 taps started as the identity), 10 Langevin steps with δ 0.1 (the reference
/// sound config), Adam 1e-3, 300 iterations; 16 samples of 0.375 s, so that their pooled
/// spectrum is the model's rather than the scatter of a few short signals (4 samples: the
/// rain's own segments score 0.27 dB against the rest, 16: 0.14).
///
/// Three departures from the reference, each measured (README, "Sound"):
/// * the latent is a sequence, not 60 numbers: with the reference's 1×60 latent the samples
///   were 13–19 dB too quiet in every band (log-spectrum ratio 6.46 on the rain, 1.66 on a
///   voice); with the sequence 0.72 and 0.25;
/// * the noise σ is s = 0.02, not 0.3: a peak-normalised natural sound has an RMS of about
///   0.05–0.2, and the posterior of Z only fits what lies above s (with s = 0.3 g learned
///   silence; with 0.05 the rain's samples were still 6–9 dB low between 0.5 and 2 kHz, where
///   the residual stayed below s²);
/// * a last filter of 255 taps (16 ms), started as the identity: it learns the fine ripple of
///   the sound's spectrum that two up-sampling layers of 8 taps cannot (pooled log-spectrum
///   ratio on the rain 0.67 / 0.71 → 0.45 / 0.52 at seeds 0 / 1, a campfire 0.66 / 0.59 →
///   0.42 / 0.42).
pub fn abp_sound() -> RunConfig {
    let net = abp_sound_net(6000);
    RunConfig {
        data: DataConfig {
            source: Source::Wav {
                path: data_dir().join("audio/tuxpaint_rain.wav"),
                sample_rate: 16000,
                length: 6000,
                count: 32,
                loudness: Loudness::Peak,
            },
            crop: 0,
            size: 0,
            channels: Channels::Grey,
            scaling: Scaling::Raw,
            missing: None,
            patch: 0,
            holdout: 0,
        },
        model: abp(net, 10, LatentInit::Zeros, adam(1e-3)),
        run: settings(300, 16, 100),
    }
    .with_step_size(0.1)
    .with_noise_sigma(0.02)
}

/// The net of [`abp_sound`] for segments of `length` samples (a multiple of 16), its last
/// layer a filter of 255 taps that starts as the identity.
pub fn abp_sound_net(length: usize) -> GeneratorNetConfig {
    GeneratorNetConfig::audio_sequence(16, length, 64, 255)
}

/// `abp-sound --preset paper`: `audioGeneratorNet_60` (60 → 600 → 6000 → 60000 samples), on
/// the shipped thunder recording (the rain is too short for 60 000-sample segments).
pub fn abp_sound_paper() -> RunConfig {
    let mut c = abp_sound();
    if let Source::Wav { length, count, path, .. } = &mut c.data.source {
        // 8 segments of 3.75 s: the shipped rain lasts 1 s, the thunder 5.45 s
        (*length, *count, *path) = (60000, 8, data_dir().join("audio/tuxpaint_thunder.wav"));
    }
    c.model = abp(GeneratorNetConfig::audio(60), 10, LatentInit::Zeros, adam(1e-4));
    c.with_step_size(0.1).with_noise_sigma(0.05)
}

impl RunConfig {
    fn with_step_size(mut self, delta: f32) -> Self {
        self.generator_mut().learn.step_size = delta;
        self
    }
    fn with_noise_sigma(mut self, s: f32) -> Self {
        self.generator_mut().noise_sigma = s;
        self
    }
}
