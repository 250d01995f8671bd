//! `cargo xtask experiment NAME`: the experiments of the papers, on data shipped in `data/`.
//!
//! * `texture`: learn a texture descriptor from one image (default: the shipped CC0 brick
//!   photograph, 128×128 grey, about two minutes on 2 cores); `--image` for any other,
//!   `--rgb` for colour, `--preset paper` for the paper's 224×224 settings.
//! * `object`: learn a descriptor of one Fashion-MNIST class.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use coopnets_cli::config::{Channels, RunConfig, Scaling, Source};

#[derive(Args)]
pub struct ExperimentArgs {
    /// `texture` or `object`.
    name: String,
    /// `default` or `paper` (texture: 224×224, 1 chain, 2100 iterations).
    #[arg(long, default_value = "default")]
    preset: String,
    /// Observed image (file or folder) instead of the shipped one.
    #[arg(long)]
    image: Option<PathBuf>,
    /// Resize the observed image(s) to SIZE×SIZE.
    #[arg(long)]
    size: Option<usize>,
    #[arg(long)]
    iterations: Option<usize>,
    /// Number of synthesized chains.
    #[arg(long)]
    chains: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Run folder (default: runs/<name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue the run in --out from its newest checkpoint.
    #[arg(long)]
    resume: bool,
    /// Learn in colour (0–255 minus the VGG mean) instead of grey; for RGB textures.
    #[arg(long)]
    rgb: bool,
}

pub fn run(a: &ExperimentArgs) -> Result<()> {
    let mut cfg = match (a.name.as_str(), a.preset.as_str()) {
        ("texture", "default") => RunConfig::texture(),
        ("texture", "paper") => RunConfig::texture_paper(),
        ("object", "default") => RunConfig::object(),
        (n, p) => bail!("unknown experiment {n:?} with preset {p:?} (texture [default|paper], object)"),
    };
    if let Some(p) = &a.image {
        cfg.data.source = Source::Images { path: p.clone() };
        cfg.data.crop = 0; // the default crop is for the 512×512 brick photograph
    }
    if a.rgb {
        cfg.data.channels = Channels::Rgb;
        cfg.data.scaling = Scaling::vgg();
    }
    if let Some(s) = a.size {
        cfg.data.size = s;
    }
    if let Some(n) = a.iterations {
        cfg.run.iterations = n;
    }
    if let Some(n) = a.chains {
        cfg.run.chains = n;
    }
    if let Some(s) = a.seed {
        cfg.run.seed = s;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = a.out.clone().unwrap_or_else(|| root.join("runs").join(&a.name));
    println!(
        "experiment {}: {} iterations, {} chain(s), seed {}, writing {}",
        a.name,
        cfg.run.iterations,
        cfg.run.chains,
        cfg.run.seed,
        out.display()
    );
    let s = coopnets_cli::train::train(&cfg, &out, a.resume, true)?;
    println!(
        "done: {} iterations at {:.3} s/iteration; f(obs) {:.4e}, f(syn) {:.4e}; open {}",
        s.iterations,
        s.seconds_per_iteration,
        s.f_obs,
        s.f_syn,
        s.out.join("report.html").display()
    );
    Ok(())
}
