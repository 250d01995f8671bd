//! `coopnets`: train generative ConvNets and sample from them.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use coopnets_cli::{config::RunConfig, sample, train};

#[derive(Parser)]
#[command(
    name = "coopnets",
    version,
    about = "Generative ConvNets: learn a descriptor (energy-based model) from images and sample from it with Langevin dynamics.",
    after_help = "Start here:\n  coopnets config texture > run.toml                      # every setting, defaults filled in\n  coopnets train descriptor --config run.toml --out runs/t  # writes runs/t/report.html\n  coopnets sample --checkpoint runs/t/checkpoints/ckpt_000400.safetensors --steps 200\nOr, from the repository: cargo xtask experiment texture"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model from a TOML configuration.
    Train {
        #[command(subcommand)]
        model: TrainModel,
    },
    /// Sample from a trained descriptor: run its Langevin dynamics from a checkpoint.
    Sample {
        /// A `ckpt_<iter>.safetensors` file from a run's `checkpoints/` folder.
        #[arg(long)]
        checkpoint: PathBuf,
        /// Langevin steps to run.
        #[arg(long, default_value_t = 100)]
        steps: usize,
        /// Number of chains (default: as trained).
        #[arg(long)]
        chains: Option<usize>,
        /// Start from the checkpoint's chains or from the mean image.
        #[arg(long, value_enum, default_value = "chains")]
        start: sample::Start,
        /// Seed of the Langevin noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output PNG (a grid of the chains).
        #[arg(long, default_value = "samples.png")]
        out: PathBuf,
    },
    /// Print a configuration with every field filled in (edit it and pass it to `train`).
    Config {
        /// `texture`, `texture-paper` or `object`.
        #[arg(default_value = "texture")]
        preset: String,
    },
}

#[derive(Subcommand)]
enum TrainModel {
    /// The descriptor (generative ConvNet) of "A Theory of Generative ConvNet".
    Descriptor {
        /// Run configuration (TOML); see `coopnets config`.
        #[arg(long)]
        config: PathBuf,
        /// Run folder for images, curves, checkpoints and report.html.
        #[arg(long, default_value = "runs/descriptor")]
        out: PathBuf,
        /// Continue from the newest checkpoint in --out.
        #[arg(long)]
        resume: bool,
    },
}

pub fn preset(name: &str) -> Result<RunConfig> {
    Ok(match name {
        "texture" => RunConfig::texture(),
        "texture-paper" | "paper" => RunConfig::texture_paper(),
        "object" => RunConfig::object(),
        other => anyhow::bail!("unknown preset {other:?}: use texture, texture-paper or object"),
    })
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Train { model: TrainModel::Descriptor { config, out, resume } } => {
            let text = std::fs::read_to_string(&config).with_context(|| format!("reading {}", config.display()))?;
            let cfg = RunConfig::from_toml(&text)
                .with_context(|| format!("{} is not a valid run configuration", config.display()))?;
            let s = train::train(&cfg, &out, resume, true)?;
            println!(
                "done: {} iterations, {:.3} s/iteration, f(obs) {:.4e}, f(syn) {:.4e}; open {}",
                s.iterations,
                s.seconds_per_iteration,
                s.f_obs,
                s.f_syn,
                s.out.join("report.html").display()
            );
        }
        Command::Sample { checkpoint, steps, chains, start, seed, out } => {
            sample::sample(&checkpoint, steps, chains, start, seed, &out)?;
            println!("wrote {}", out.display());
        }
        Command::Config { preset: name } => print!("{}", preset(&name)?.to_toml()?),
    }
    Ok(())
}
