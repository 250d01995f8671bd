//! The run configuration (TOML): the data, the model (tagged by its kind) and the loop.
//! Every field is written out in the run folder's `config.toml`; the presets are in
//! [`crate::presets`].
//!
//! ```toml
//! [data]            # where the observed examples come from and how they are scaled
//! [model]
//! kind = "descriptor"   # or "generator"
//! [model.net]       # the network of that model
//! [model.learn]     # its sampling and learning settings
//! [run]             # iterations, batch, seed, snapshots, checkpoints
//! ```

use std::path::PathBuf;

pub use datasets::{Channels, Scaling};
use models::descriptor::{DescriptorNetConfig, LearnConfig};
use models::generator::{GeneratorLearnConfig, GeneratorNetConfig, LatentPriorConfig};
use serde::{Deserialize, Serialize};

/// Where the observed examples come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Source {
    /// An image file (PNG, JPEG, GIF) or a folder of them.
    Images { path: PathBuf },
    /// An IDX pair (MNIST / Fashion-MNIST, `.gz` or not), keeping one class (`class = -1`:
    /// every class) and the first `skip + count` of them, of which the first `skip` are left out.
    Idx {
        images: PathBuf,
        labels: PathBuf,
        class: i16,
        count: usize,
        #[serde(default)]
        skip: usize,
    },
    /// A WAV file, resampled to `sample_rate`, made as loud as `loudness` says, and cut into
    /// `count` segments of `length` samples (evenly spaced; they overlap when the sound is short).
    Wav {
        path: PathBuf,
        sample_rate: u32,
        length: usize,
        count: usize,
        #[serde(default, skip_serializing_if = "Loudness::is_peak")]
        loudness: Loudness,
    },
    /// A video: a folder of frames (PNG, JPEG; natural order) or an animated GIF, its first
    /// `frames` frames (0 = all), as one example `[C, T, H, W]`.
    Video {
        path: PathBuf,
        #[serde(default)]
        frames: usize,
    },
}

/// How loud a sound is made before a model learns it: the models' noise levels (the
/// descriptor's σ and δ, the generator's s) are absolute numbers, so they mean the same for
/// every sound only if the sounds are equally loud.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Loudness {
    /// The loudest sample at ±1 (`"peak"`). A quiet sound with a loud click stays quiet.
    #[default]
    Peak,
    /// The root mean square of the whole sound at this value (`{ rms = 0.25 }`), its
    /// samples then clipped to ±1 (the range of a WAV file).
    Rms(#[serde(serialize_with = "models::serde_f32::short")] f32),
}

impl Loudness {
    fn is_peak(&self) -> bool {
        *self == Loudness::Peak
    }
}

/// Pixels hidden from the model when it learns from incomplete data (ABP).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Missing {
    /// Salt and pepper: the image is cut into `cell`×`cell` cells and a `fraction` of them
    /// (chosen at random per image) is missing.
    SaltPepper {
        #[serde(serialize_with = "models::serde_f32::short")]
        fraction: f32,
        cell: usize,
    },
    /// One `size`×`size` square at a random place in each image.
    Square { size: usize },
}

/// The observed data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Learn from incomplete data: hide these pixels of every observed example.
    #[serde(default)]
    pub missing: Option<Missing>,
    /// Cut every image into overlapping `patch`×`patch` crops (stride `patch`/2) and learn from
    /// those (0 = whole images): many views of one stationary texture for a generator.
    #[serde(default)]
    pub patch: usize,
    /// Hold out this many examples (the last ones of a seeded shuffle): they are not learned
    /// from, and experiments measure on them (e.g. held-out reconstruction error).
    #[serde(default)]
    pub holdout: usize,
}

/// The descriptor: `p(Y) ∝ exp(f(Y; W))·N(0, σ²I)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptorConfig {
    /// σ of the Gaussian reference distribution q(Y) = N(0, σ²I).
    #[serde(serialize_with = "models::serde_f32::short")]
    pub reference_sigma: f32,
    pub net: DescriptorNetConfig,
    pub learn: LearnConfig,
}

/// The generator: `Y = g(Z; W) + ε`, `Z ~ N(0, σ_z²I)`, `ε ~ N(0, s²I)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// s: standard deviation of the observation noise.
    #[serde(serialize_with = "models::serde_f32::short")]
    pub noise_sigma: f32,
    /// σ_z: standard deviation of the prior of Z.
    #[serde(serialize_with = "models::serde_f32::short")]
    pub latent_sigma: f32,
    pub net: GeneratorNetConfig,
    pub learn: GeneratorLearnConfig,
    /// Where the output layer's bias starts ([`OutputBias`]; default 0, as the reference).
    #[serde(default, skip_serializing_if = "OutputBias::is_zero")]
    pub output_bias: OutputBias,
    /// A prior on Z learned from the inferred latents, which samples are drawn from
    /// ([`models::generator::LatentPrior`]); absent: N(0, σ_z² I), as ABP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latent_prior: Option<LatentPriorConfig>,
}

/// The start of the generator's output bias.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputBias {
    /// 0: before learning, g(Z) is about tanh(0), mid-grey on a [−1, 1] scale.
    #[default]
    Zero,
    /// The mean of the observed pixels (through the inverse of the output activation), so that
    /// pixels that no training example shows start, and stay near, the data's mean instead of
    /// mid-grey. For learning from incomplete data: a square of 22 pixels at a random place on
    /// 28² hides the centre 16×16 in every training image.
    DataMean,
}

impl OutputBias {
    fn is_zero(&self) -> bool {
        *self == OutputBias::Zero
    }
}

/// CoopNets: a descriptor and a generator learned together. `descriptor.learn` holds T_d, δ_d
/// and the descriptor's optimizer (its `chain_init` is not used: every iteration's chains
/// start at the generator's proposals); `generator.learn` holds T_g (0 = no inference of Z,
/// as the reference code), δ_g and the generator's optimizer (its `latent_init` is not used:
/// Z is drawn from the prior every iteration). `run.chains` is the number m of examples
/// synthesized per iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoopNetsConfig {
    pub descriptor: DescriptorConfig,
    pub generator: GeneratorConfig,
    /// Both nets' rates over the iterations: `{ kind = "constant" }` (TF) or
    /// `{ kind = "log_spaced", from = 1, to = 0.01, values = 80, iterations = N }` (MatConvNet).
    #[serde(default, skip_serializing_if = "models::RateSchedule::is_constant")]
    pub rate_schedule: models::RateSchedule,
}

/// The model, tagged by its kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelConfig {
    Descriptor(DescriptorConfig),
    Generator(GeneratorConfig),
    Coopnets(CoopNetsConfig),
}

impl ModelConfig {
    /// `descriptor`, `generator` or `coopnets`.
    pub fn kind(&self) -> &'static str {
        match self {
            ModelConfig::Descriptor(_) => "descriptor",
            ModelConfig::Generator(_) => "generator",
            ModelConfig::Coopnets(_) => "coopnets",
        }
    }
}

/// The loop around the learning step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    pub iterations: usize,
    /// Synthesized examples: the descriptor's chains; the generator's samples in `final/`.
    pub chains: usize,
    /// Standard deviation of the Gaussian noise the descriptor's chains start from (0 = zeros,
    /// the mean image, as the reference code).
    #[serde(default, serialize_with = "models::serde_f32::short")]
    pub chain_init_std: f32,
    /// Observed examples per iteration (0 = all of them). Smaller batches visit the data in
    /// a seeded random order, a new one every epoch.
    pub batch_size: usize,
    /// Every random draw of the run comes from this seed.
    pub seed: u64,
    /// Write `synthesis_<iter>.png` every this many iterations.
    pub snapshot_every: usize,
    /// Write a checkpoint every this many iterations (and at the end).
    pub checkpoint_every: usize,
    /// Checkpoints kept on disk (oldest removed first).
    pub keep_checkpoints: usize,
    /// Where the run computes: `"cpu"`, or `"cuda"` / `"cuda:N"` on a build with `--features
    /// cuda`. Weights, chains and latents are made on the CPU from `seed`, then moved.
    #[serde(default = "cpu", skip_serializing_if = "is_cpu")]
    pub device: String,
    /// How a GPU's convolutions pick im2col or cuDNN (`tensor::ConvAlgorithms`): `"tuned"`
    /// (timed per layer on first use, the fastest; the default), `"im2col"` (the same bits on
    /// every fresh run) or `"heuristic"`. Unset: `COOPNETS_CUDNN`, else tuned. No effect on
    /// the CPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conv_algorithms: Option<ConvPaths>,
    /// Without a terminal (CI, nohup, a pipe): print one progress line and write the
    /// statistics CSV every this many iterations (with a terminal the progress bar does it).
    #[serde(default = "log_every")]
    pub log_every: usize,
}

fn log_every() -> usize {
    10
}

/// `run.conv_algorithms` (see [`tensor::ConvAlgorithms`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConvPaths {
    Tuned,
    Im2col,
    Heuristic,
}

impl From<ConvPaths> for tensor::ConvAlgorithms {
    fn from(p: ConvPaths) -> Self {
        match p {
            ConvPaths::Tuned => tensor::ConvAlgorithms::Tuned,
            ConvPaths::Im2col => tensor::ConvAlgorithms::Im2col,
            ConvPaths::Heuristic => tensor::ConvAlgorithms::CudnnHeuristic,
        }
    }
}

fn cpu() -> String {
    "cpu".to_string()
}

fn is_cpu(d: &String) -> bool {
    d == "cpu"
}

/// Everything a training run needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    pub data: DataConfig,
    pub model: ModelConfig,
    pub run: RunSettings,
}

impl RunConfig {
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string_pretty(self)?)
    }

    /// Parse a configuration; an error names the field (an unknown key also gets the closest
    /// known key as a suggestion; see [`crate::config_error`]).
    pub fn from_toml(text: &str) -> anyhow::Result<Self> {
        toml::from_str(text).map_err(|e| crate::config_error::explain::<Self>(text, e))
    }

    /// The descriptor section, or an error naming the model this run has.
    pub fn descriptor(&self) -> anyhow::Result<&DescriptorConfig> {
        match &self.model {
            ModelConfig::Descriptor(d) => Ok(d),
            other => anyhow::bail!("this run's model is a {}, not a descriptor", other.kind()),
        }
    }

    /// The descriptor section (CoopNets: its descriptor), mutably (for presets and tests).
    pub fn descriptor_mut(&mut self) -> &mut DescriptorConfig {
        match &mut self.model {
            ModelConfig::Descriptor(d) => d,
            ModelConfig::Coopnets(c) => &mut c.descriptor,
            other => panic!("descriptor_mut on a {} configuration", other.kind()),
        }
    }

    /// The generator section (CoopNets: its generator), mutably (for presets and tests).
    pub fn generator_mut(&mut self) -> &mut GeneratorConfig {
        match &mut self.model {
            ModelConfig::Generator(g) => g,
            ModelConfig::Coopnets(c) => &mut c.generator,
            other => panic!("generator_mut on a {} configuration", other.kind()),
        }
    }
}

/// The text of a configuration file, at most 1 MiB (a config is a few kB; this stops
/// `--config /dev/zero` or a wrong path to a data file from filling memory).
pub fn read_config_file(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Read;
    const MAX: u64 = 1 << 20;
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX + 1).read_to_end(&mut bytes).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() as u64 > MAX {
        anyhow::bail!("{}: more than 1 MiB, not a run configuration", path.display());
    }
    String::from_utf8(bytes).with_context(|| format!("{}: not UTF-8 text, not a run configuration", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelled_key_gets_a_suggestion() {
        let text = crate::presets::texture().to_toml().unwrap().replace("\niterations =", "\niteratons =");
        let e = RunConfig::from_toml(&text).unwrap_err().to_string();
        assert!(e.contains("unknown field `iteratons`") && e.ends_with("did you mean `iterations`?"), "{e}");
        let far = crate::presets::texture().to_toml().unwrap().replace("\niterations =", "\nzzz =");
        assert!(!RunConfig::from_toml(&far).unwrap_err().to_string().contains("did you mean"));
    }

    #[test]
    fn conv_algorithms_is_optional_named_and_checked() {
        let text = crate::presets::texture().to_toml().unwrap();
        assert!(!text.contains("conv_algorithms"), "unset: not written");
        let with = |v: &str| text.replace("\nseed =", &format!("\nconv_algorithms = \"{v}\"\nseed ="));
        let cfg = RunConfig::from_toml(&with("im2col")).unwrap();
        assert_eq!(cfg.run.conv_algorithms, Some(ConvPaths::Im2col));
        assert_eq!(tensor::ConvAlgorithms::from(ConvPaths::Heuristic), tensor::ConvAlgorithms::CudnnHeuristic);
        assert!(cfg.to_toml().unwrap().contains("conv_algorithms = \"im2col\""), "written back");
        let e = format!("{:#}", RunConfig::from_toml(&with("fastest")).unwrap_err());
        assert!(e.contains("unknown variant `fastest`") && e.contains("tuned"), "{e}");
    }

    #[test]
    fn endless_or_binary_config_files_are_refused() {
        let e = read_config_file(std::path::Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("more than 1 MiB"), "{e}");
        let png = crate::presets::data_dir().join("textures").join("skimage_brick.png");
        assert!(format!("{:#}", read_config_file(&png).unwrap_err()).contains("not UTF-8"));
    }
}
