//! `coopnets`: train generative ConvNets and sample from them.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// mimalloc keeps freed memory for reuse: a Langevin step allocates and frees the same large
/// activations every step, which glibc's malloc maps and unmaps each time (page faults and TLB
/// shootdowns that cost more than the arithmetic on small nets; measured in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use coopnets_cli::config::RunConfig;
use coopnets_cli::{presets, sample, train};

#[derive(Parser)]
#[command(
    name = "coopnets",
    version,
    about = "Generative ConvNets: learn a descriptor (energy-based model) or a generator (alternating back-propagation) and sample from them.",
    after_help = "Start here:\n  coopnets config texture > run.toml                      # every setting, defaults filled in\n  coopnets train --config run.toml --out runs/t             # writes runs/t/report.html\n  coopnets sample --checkpoint runs/t/checkpoints/ckpt_001000.json --steps 200\nOr, from the repository: cargo xtask experiment texture"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the model a TOML configuration describes (`[model] kind = "descriptor" | "generator"`).
    Train {
        /// The model the configuration must hold (optional; `descriptor` or `generator`).
        model: Option<String>,
        /// Run configuration (TOML); see `coopnets config`.
        #[arg(long)]
        config: PathBuf,
        /// Run folder for images, curves, checkpoints and report.html.
        #[arg(long, default_value = "runs/run")]
        out: PathBuf,
        /// Continue from the newest checkpoint in --out.
        #[arg(long)]
        resume: bool,
        /// Where to compute (overrides run.device): cpu, cuda or cuda:N.
        #[arg(long)]
        device: Option<String>,
        /// Progress without a terminal: `text` lines or `json` objects, every run.log_every iterations.
        #[arg(long, value_enum, default_value = "text")]
        log_format: train::LogFormat,
    },
    /// Sample from a trained model: continue the descriptor's Langevin chains, or draw g(Z) (Z from the learned prior where the run has one).
    Sample {
        /// Any file of a checkpoint in a run's `checkpoints/` folder, e.g. `ckpt_001000.json`.
        #[arg(long)]
        checkpoint: PathBuf,
        /// Descriptor and CoopNets: Langevin steps to run (CoopNets: revising the proposals).
        #[arg(long, default_value_t = 100)]
        steps: usize,
        /// Number of samples (default: as trained).
        #[arg(long)]
        chains: Option<usize>,
        /// Descriptor: start from the checkpoint's chains or from the mean image (CoopNets always
        /// starts at fresh proposals g(Z)).
        #[arg(long, value_enum, default_value = "chains")]
        start: sample::Start,
        /// Seed of the Langevin noise or of Z.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output file (a grid PNG; a WAV for sound models).
        #[arg(long, default_value = "samples.png")]
        out: PathBuf,
        /// Where to compute (default: the run's device): cpu, cuda or cuda:N.
        #[arg(long)]
        device: Option<String>,
    },
    /// Print a configuration with every field filled in (edit it and pass it to `train`).
    Config {
        /// One of: texture, texture-paper, object, abp-object, abp-texture, abp-sound (and their -paper forms).
        #[arg(default_value = "texture")]
        preset: String,
    },
}

fn main() -> Result<()> {
    coopnets_cli::keep_freed_memory();
    match Cli::parse().command {
        Command::Train { model, config, out, resume, device, log_format } => {
            train::set_log_format(log_format);
            let text = coopnets_cli::config::read_config_file(&config)?;
            let mut cfg = RunConfig::from_toml(&text)
                .with_context(|| format!("{} is not a valid run configuration", config.display()))?;
            if let Some(m) = model.filter(|m| m != cfg.model.kind()) {
                anyhow::bail!("`train {m}`: {} configures a {} ([model] kind)", config.display(), cfg.model.kind());
            }
            if let Some(d) = device {
                cfg.run.device = d;
            }
            let s = coopnets_cli::in_thread_pool(|| train::train(&cfg, &out, resume, true))??;
            let stats: Vec<String> = s.stats.iter().map(|(n, v)| format!("{n} {v:.4e}")).collect();
            println!(
                "done: {} iterations, {:.3} s/iteration, {}; open {}",
                s.iterations,
                s.seconds_per_iteration,
                stats.join(", "),
                s.out.join("report.html").display()
            );
        }
        Command::Sample { checkpoint, steps, chains, start, seed, out, device } => {
            let request = sample::Request { steps, chains, start, seed, device };
            coopnets_cli::in_thread_pool(|| sample::sample(&checkpoint, request, &out))??;
            println!("wrote {}", out.display());
        }
        Command::Config { preset } => print!("{}", presets::preset(&preset)?.to_toml()?),
    }
    Ok(())
}
