//! `cargo xtask experiment NAME`: the papers' experiments, each one command on data shipped in
//! `data/`, all through the shared loop of [`crate::train`] and the run folder of
//! [`crate::run_dir`]. Every experiment takes the same flags ([`ExperimentArgs`]).
//!
//! | name | model | what it shows |
//! |---|---|---|
//! | `texture` | descriptor | a texture from one image |
//! | `object` | descriptor | one Fashion-MNIST class |
//! | `abp-object` | generator | one MNIST digit: samples, reconstructions, interpolation, train / test / negative reconstruction error |
//! | `abp-texture` | generator | a texture from one image, and one twice as large from a larger latent map |
//! | `abp-sound` | generator | a sound, cut into segments |
//! | `sound-descriptor` | descriptor (1-D) | a sound, cut into segments |
//! | `coopnets-mnist` | CoopNets | MNIST digits, Parzen log-likelihood of held-out digits |
//! | `coopnets-object` | CoopNets | one Fashion-MNIST class: observed, proposals and revisions side by side, interpolation |
//! | `coopnets-texture` | CoopNets | a texture from one image: proposals, revisions, a texture twice as large |
//! | `coopnets-completion` | CoopNets | MNIST digits with a square missing: completion errors against five baselines |
//! | `dynamic-texture` | descriptor (3-D) | a video of a dynamic texture: GIFs, frame strips, motion |
//! | `abp-recovery` | generator | learning from incomplete digits, six masks, against three inpainting baselines |

mod abp_object;
mod abp_recovery;
pub use abp_recovery::recovery_error;
mod abp_texture;
pub mod baselines;
pub mod coopnets;
pub mod coopnets_completion;
pub mod coopnets_mnist;
pub mod coopnets_texture;
pub mod dynamic_texture;
mod eval;
pub mod sound;
pub mod sound_measure;
pub mod texture;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use datasets::{Channels, Scaling};

use crate::config::{ModelConfig, RunConfig, Source};
use crate::train::Summary;

/// Every experiment, by name.
pub const NAMES: &[&str] = &[
    "texture",
    "object",
    "dynamic-texture",
    "sound-descriptor",
    "abp-object",
    "abp-texture",
    "abp-sound",
    "abp-recovery",
    "coopnets-mnist",
    "coopnets-completion",
    "coopnets-texture",
    "coopnets-object",
];

/// The flags every experiment takes.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ExperimentArgs {
    /// texture, object, dynamic-texture, sound-descriptor, abp-object, abp-texture,
    /// abp-sound, abp-recovery, coopnets-mnist, coopnets-completion, coopnets-texture or
    /// coopnets-object.
    pub name: String,
    /// `default` or `paper` (the reference's nets, sizes and iterations).
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Start from this configuration (`coopnets config NAME > F`, edited) instead of the
    /// preset; the other flags still apply on top of it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Observed image (file or folder) instead of the shipped one.
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Observed video (a folder of frames or an animated GIF) instead of the shipped one.
    #[arg(long)]
    pub video: Option<PathBuf>,
    /// Observed sound (any WAV of at least 1 s) instead of the shipped one.
    #[arg(long)]
    pub wav: Option<PathBuf>,
    /// Resize the observed image(s) to SIZE×SIZE.
    #[arg(long)]
    pub size: Option<usize>,
    /// Learning iterations (default: the preset's).
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Number of synthesized examples (descriptor chains, generator samples).
    #[arg(long)]
    pub chains: Option<usize>,
    /// The seed every random draw of the run comes from (default 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The digit or clothing class of IDX data sets.
    #[arg(long)]
    pub class: Option<i16>,
    /// Run folder (default: runs/<name>; `cargo xtask` puts it under the repository root).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run in --out from its newest checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Learn in colour instead of grey (a fixed grey mean becomes the VGG colour mean).
    #[arg(long)]
    pub rgb: bool,
    /// Where to compute: cpu, cuda or cuda:N (CUDA needs a build with `--features cuda`).
    #[arg(long)]
    pub device: Option<String>,
    /// Progress without a terminal: `text` lines or `json` objects, every run.log_every iterations.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: crate::train::LogFormat,
}

impl ExperimentArgs {
    pub fn out(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| PathBuf::from("runs").join(&self.name))
    }
}

/// `--config F`: the file's configuration, which must hold the experiment's kind of model.
fn from_file(a: &ExperimentArgs) -> Result<RunConfig> {
    let path = a.config.as_deref().context("no --config")?;
    if !matches!(a.preset.as_str(), "" | "default") {
        bail!("--config {} and --preset {}: give one or the other", path.display(), a.preset);
    }
    let cfg = RunConfig::from_toml(&crate::config::read_config_file(path)?)
        .with_context(|| format!("--config {}", path.display()))?;
    let want = crate::presets::preset(&a.name)?.model.kind();
    if cfg.model.kind() != want {
        bail!(
            "--config {}: experiment {} learns a {want}, the file holds a {}",
            path.display(),
            a.name,
            cfg.model.kind()
        );
    }
    Ok(cfg)
}

/// The experiment's configuration: its preset (or `--config`) with the flags applied.
pub fn config(a: &ExperimentArgs) -> Result<RunConfig> {
    let base = a.name.as_str();
    let mut cfg = match a.preset.as_str() {
        _ if a.config.is_some() => from_file(a)?,
        "default" => crate::presets::preset(base)?,
        "paper" => crate::presets::preset(&format!("{base}-paper"))?,
        p => bail!("unknown preset {p:?}: default or paper"),
    };
    if let Some(p) = &a.image {
        cfg.data.source = Source::Images { path: p.clone() };
        cfg.data.crop = 0; // the default crop is for the 512×512 brick photograph
    }
    if let Some(p) = &a.video {
        match &mut cfg.data.source {
            Source::Video { path, .. } => *path = p.clone(),
            _ => bail!("--video: experiment {} does not learn from video", a.name),
        }
    }
    if let Some(p) = &a.wav {
        match &mut cfg.data.source {
            Source::Wav { path, .. } => *path = p.clone(),
            _ => bail!("--wav: experiment {} does not learn from sound", a.name),
        }
    }
    if let Some(c) = a.class {
        match &mut cfg.data.source {
            Source::Idx { class, .. } => *class = c,
            _ => bail!("--class: experiment {} does not learn from an IDX data set", a.name),
        }
    }
    if a.rgb {
        cfg.data.channels = Channels::Rgb;
        // a fixed grey mean becomes the paper's VGG colour mean; the data's own mean stays
        if matches!(cfg.model, ModelConfig::Descriptor(_)) && matches!(cfg.data.scaling, Scaling::ScalarMean(_)) {
            cfg.data.scaling = Scaling::vgg();
        }
    }
    if let Some(s) = a.size {
        cfg.data.size = s;
        fit_latent(&mut cfg)?;
    }
    if let Some(n) = a.iterations {
        cfg.run.iterations = n;
        // a rate schedule spans the run, however long
        match &mut cfg.model {
            ModelConfig::Descriptor(d) => d.learn.rate_schedule = d.learn.rate_schedule.over(n),
            ModelConfig::Coopnets(c) => c.rate_schedule = c.rate_schedule.over(n),
            _ => {}
        }
    }
    if let Some(n) = a.chains {
        cfg.run.chains = n;
    }
    if let Some(s) = a.seed {
        cfg.run.seed = s;
    }
    if let Some(d) = &a.device {
        cfg.run.device = d.clone();
    }
    Ok(cfg)
}

/// The latent shape `[C, spatial…]` with every spatial axis doubled: a fully convolutional
/// generator then draws a texture twice as large from the same weights.
pub(crate) fn twice_as_large(latent: &[usize]) -> Vec<usize> {
    latent.iter().enumerate().map(|(i, &s)| if i == 0 { s } else { 2 * s }).collect()
}

/// A fully convolutional generator learning whole images (no fc, no patches): its latent map
/// sized so that it draws `data.size`² images (e.g. `coopnets-texture --size 64`: 4×4).
fn fit_latent(cfg: &mut RunConfig) -> Result<()> {
    let size = cfg.data.size;
    let net = match &mut cfg.model {
        ModelConfig::Generator(g) => &mut g.net,
        ModelConfig::Coopnets(c) => &mut c.generator.net,
        ModelConfig::Descriptor(_) => return Ok(()),
    };
    if net.fc.is_some() || cfg.data.patch > 0 || size == 0 || net.latent.len() != 3 {
        return Ok(());
    }
    for side in 1..=size {
        net.latent[1..].fill(side);
        match net.output_shape(1) {
            Ok(s) if s[1..] == [size, size] => return Ok(()),
            Ok(s) if s[1] > size => break, // the output grows with the latent map
            _ => {}
        }
    }
    bail!(
        "--size {size}: no latent map of the generator gives {size}×{size} images (its layers multiply the map's side)"
    )
}

/// The run's data and its generator, for the generator experiments.
fn generator_run(cfg: &RunConfig) -> Result<(crate::data::Observed, models::GeneratorLearner)> {
    let obs = crate::data::load(&cfg.data, cfg.run.seed)?;
    let (_, example) = crate::train::split_shape(&obs.data)?;
    let learner = crate::build::generator_for(cfg, &obs).with_context(|| crate::build::for_data(cfg, &example))?;
    Ok((obs, learner))
}

/// Run experiment `a.name`.
pub fn run(a: &ExperimentArgs) -> Result<Summary> {
    crate::train::set_log_format(a.log_format);
    let mut cfg = config(a)?;
    crate::validate::validate(&cfg)?; // before the data are loaded and the nets built
    crate::data::resolve_scaling(&mut cfg.data, cfg.run.seed)?;
    if a.name == "sound-descriptor" && a.config.is_none() {
        sound::set_sigma(&mut cfg)?;
    }
    let out = a.out();
    println!(
        "experiment {}: {} iterations, seed {}, writing {}",
        a.name,
        cfg.run.iterations,
        cfg.run.seed,
        std::path::absolute(&out).unwrap_or_else(|_| out.clone()).display()
    );
    let s = match a.name.as_str() {
        "texture" => texture::run(&cfg, &out, a.resume)?,
        "object" => crate::train::train(&cfg, &out, a.resume, true)?,
        "abp-object" => abp_object::run(&cfg, &out, a.resume)?,
        "abp-texture" => abp_texture::run(&cfg, &out, a.resume)?,
        "abp-sound" | "sound-descriptor" => sound::run(&cfg, &out, a.resume)?,
        "dynamic-texture" => dynamic_texture::run(&cfg, &out, a.resume)?,
        "coopnets-mnist" => coopnets_mnist::run(&cfg, &out, a.resume)?,
        "coopnets-completion" => coopnets_completion::run(&cfg, &out, a.resume)?,
        "coopnets-texture" => coopnets_texture::run(&cfg, &out, a.resume)?,
        "coopnets-object" => coopnets::train(&cfg, &out, a.resume)?.0,
        "abp-recovery" => abp_recovery::run(&cfg, &out, a.resume)?,
        n => bail!("unknown experiment {n:?}: {}", NAMES.join(", ")),
    };
    let stats: Vec<String> = s.stats.iter().map(|(n, v)| format!("{n} {v:.4e}")).collect();
    println!(
        "done: {} iterations at {:.3} s/iteration; {}; open {}",
        s.iterations,
        s.seconds_per_iteration,
        stats.join(", "),
        s.out.join("report.html").display()
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--config F` replaces the preset (the other flags still apply), and a file holding
    /// another kind of model is refused by name.
    #[test]
    fn a_config_file_replaces_the_preset() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        let mut own = crate::presets::sound_descriptor();
        own.descriptor_mut().reference_sigma = 0.123;
        std::fs::write(dir.join("sound.toml"), own.to_toml().unwrap()).unwrap();
        let mut a = ExperimentArgs {
            name: "sound-descriptor".into(),
            config: Some(dir.join("sound.toml")),
            seed: Some(5),
            ..Default::default()
        };
        let cfg = config(&a).unwrap();
        assert_eq!((cfg.descriptor().unwrap().reference_sigma, cfg.run.seed), (0.123, 5));
        a.name = "abp-sound".into();
        let e = config(&a).unwrap_err().to_string();
        assert!(e.contains("experiment abp-sound learns a generator, the file holds a descriptor"), "{e}");
        a.preset = "paper".into();
        let e = config(&a).unwrap_err().to_string();
        assert!(e.contains("and --preset paper: give one or the other"), "{e}");
    }

    /// `--iterations N` spreads a CoopNets rate schedule over the N iterations, as a
    /// descriptor's: the paper preset's schedule reaches its last value at the run's end.
    #[test]
    fn iterations_respread_the_coopnets_schedule() {
        let a = ExperimentArgs {
            name: "coopnets-texture".into(),
            preset: "paper".into(),
            iterations: Some(160),
            ..Default::default()
        };
        let ModelConfig::Coopnets(c) = config(&a).unwrap().model else { panic!("coopnets-texture learns CoopNets") };
        assert_eq!(c.rate_schedule, models::RateSchedule::matconvnet(160));
        assert!((c.rate_schedule.factor(157) - 0.01).abs() > 5e-4 && (c.rate_schedule.factor(158) - 0.01).abs() < 1e-6);
    }
}
