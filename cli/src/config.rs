//! The run configuration (TOML). Every field has a default; the full configuration, defaults
//! written out, is saved as `config.toml` in the run folder.

use std::path::PathBuf;

pub use datasets::{Channels, Scaling};
use models::descriptor::{ChainInit, DescriptorNetConfig, LearnConfig, Optim};
use serde::{Deserialize, Serialize};

/// Where the observed images come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// An image file (PNG, JPEG, GIF) or a folder of them.
    Images { path: PathBuf },
    /// An IDX pair (MNIST / Fashion-MNIST, `.gz` or not), keeping one class.
    Idx { images: PathBuf, labels: PathBuf, class: u8, count: usize },
}

/// The observed data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    pub source: Source,
    /// Centre-crop to `crop × crop` first (0 = no crop), e.g. to keep a texture's elements large.
    #[serde(default)]
    pub crop: usize,
    /// Resize to `size × size` (bilinear); 0 keeps the original size.
    pub size: usize,
    /// `grey` or `rgb`.
    pub channels: Channels,
    /// How pixels (0–255) map to the model's scale, e.g. `{channel_mean = [123.68, 116.779, 103.939]}`
    /// (0–255 minus the VGG mean, the Generative ConvNet convention) or `"min_max"` (→ [−1, 1]).
    pub scaling: Scaling,
}

/// The model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// σ of the Gaussian reference distribution q(Y) = N(0, σ²I).
    #[serde(serialize_with = "models::serde_f32::short")]
    pub reference_sigma: f32,
    pub net: DescriptorNetConfig,
}

/// The loop around the learning step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub iterations: usize,
    /// Number of synthesized chains (images) kept by the sampler.
    pub chains: usize,
    /// Standard deviation of the Gaussian noise the chains start from (0 = zeros, the mean
    /// image, as the reference code).
    #[serde(default, serialize_with = "models::serde_f32::short")]
    pub chain_init_std: f32,
    /// Observed images per iteration (0 = all of them).
    pub batch_size: usize,
    /// Every random draw of the run comes from this seed.
    pub seed: u64,
    /// Write `synthesis_<iter>.png` every this many iterations.
    pub snapshot_every: usize,
    /// Write a checkpoint every this many iterations (and at the end).
    pub checkpoint_every: usize,
    /// Checkpoints kept on disk (oldest removed first).
    pub keep_checkpoints: usize,
}

/// Everything a training run needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub data: DataConfig,
    pub model: ModelConfig,
    pub learn: LearnConfig,
    pub run: RunSettings,
}

/// The repository's `data/` folder.
pub fn data_dir() -> PathBuf {
    datasets::data_dir()
}

impl RunConfig {
    /// The default texture experiment, about two minutes on 2 cores: the shipped CC0 brick
    /// photograph (`skimage_brick.png`, grey; a 256×256 centre crop resized to 128×128, pixels
    /// 0–255 minus 128), the paper's `frame_3` net, Langevin and learning settings (σ = 1,
    /// δ = 0.3, T = 10, one persistent chain from the mean image, MatConvNet-style updates with
    /// lr 5e-4, cap 20, weight decay 1e-4), learned end to end for 400 iterations.
    pub fn texture() -> Self {
        RunConfig {
            data: DataConfig {
                source: Source::Images { path: data_dir().join("textures/skimage_brick.png") },
                crop: 256,
                size: 128,
                channels: Channels::Grey,
                scaling: Scaling::ScalarMean(128.0),
            },
            model: ModelConfig { reference_sigma: 1.0, net: DescriptorNetConfig::texture() },
            learn: LearnConfig {
                langevin_steps: 10,
                step_size: 0.3,
                chain_init: ChainInit::Persistent,
                optim: Optim::Matconvnet { lr: 5e-4, momentum: 0.0, weight_decay: 1e-4, cap: 20.0 },
            },
            run: RunSettings {
                iterations: 400,
                chains: 1,
                chain_init_std: 0.0,
                batch_size: 0,
                seed: 0,
                snapshot_every: 50,
                checkpoint_every: 50,
                keep_checkpoints: 2,
            },
        }
    }

    /// The paper's settings: 224×224, one chain, 2100 iterations (3 × 700 of the layer-wise
    /// schedule, run end to end here).
    pub fn texture_paper() -> Self {
        let mut c = RunConfig::texture();
        c.data.crop = 0;
        c.data.size = 224;
        c.run.chains = 1;
        c.run.iterations = 2100;
        c.run.snapshot_every = 100;
        c.run.checkpoint_every = 100;
        c
    }

    /// One Fashion-MNIST class (default: class 7, sneakers) with the small object net.
    pub fn object() -> Self {
        let dir = data_dir().join("images/fashion_mnist_t10k_2000");
        RunConfig {
            data: DataConfig {
                source: Source::Idx {
                    images: dir.join("t10k-2000-images-idx3-ubyte.gz"),
                    labels: dir.join("t10k-2000-labels-idx1-ubyte.gz"),
                    class: 7,
                    count: 64,
                },
                crop: 0,
                size: 0,
                channels: Channels::Grey,
                scaling: Scaling::ScalarMean(0.0),
            },
            model: ModelConfig { reference_sigma: 1.0, net: DescriptorNetConfig::object() },
            learn: LearnConfig {
                langevin_steps: 30,
                step_size: 0.3,
                chain_init: ChainInit::Persistent,
                optim: Optim::Matconvnet { lr: 4e-3, momentum: 0.0, weight_decay: 1e-4, cap: 20.0 },
            },
            run: RunSettings {
                iterations: 300,
                chains: 16,
                chain_init_std: 0.0,
                batch_size: 0,
                seed: 0,
                snapshot_every: 25,
                checkpoint_every: 25,
                keep_checkpoints: 2,
            },
        }
    }

    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string_pretty(self)?)
    }

    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }
}
