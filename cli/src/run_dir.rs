//! The layout of a run folder and the files that let a run resume.
//!
//! ```text
//! observed.png            the observed images (grid)
//! synthesis_<iter>.png    the chains every `snapshot_every` iterations
//! final.png               the chains at the end (grid); final/chain_<k>.png each at full size
//! energy.csv, energy.png  mean f(obs) and f(syn) per iteration
//! metrics.json            iterations, seconds_per_iteration, final f(obs), f(syn), seed, config
//! config.toml             the full configuration, defaults written out
//! checkpoints/ckpt_<iter>.safetensors + .json
//! report.html             all of the above on one page
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub fn checkpoint_dir(out: &Path) -> PathBuf {
    out.join("checkpoints")
}

pub fn checkpoint_path(out: &Path, iteration: usize) -> PathBuf {
    checkpoint_dir(out).join(format!("ckpt_{iteration:06}.safetensors"))
}

/// Checkpoints with both files present, oldest first, as (iteration, path).
pub fn checkpoints(out: &Path) -> Vec<(usize, PathBuf)> {
    let mut v: Vec<(usize, PathBuf)> = fs::read_dir(checkpoint_dir(out))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let it = p.file_name()?.to_str()?.strip_prefix("ckpt_")?.strip_suffix(".safetensors")?.parse().ok()?;
            p.with_extension("json").exists().then_some((it, p))
        })
        .collect();
    v.sort();
    v
}

/// Remove all but the newest `keep` checkpoints.
pub fn prune_checkpoints(out: &Path, keep: usize) -> Result<()> {
    let all = checkpoints(out);
    for (_, p) in all.iter().take(all.len().saturating_sub(keep.max(1))) {
        fs::remove_file(p.with_extension("json")).with_context(|| format!("removing {}", p.display()))?;
        fs::remove_file(p).with_context(|| format!("removing {}", p.display()))?;
    }
    Ok(())
}

/// One row of `energy.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnergyRow {
    pub iteration: usize,
    pub f_obs: f32,
    pub f_syn: f32,
    pub seconds: f32,
}

pub const ENERGY_HEADER: &str = "iteration,f_obs,f_syn,seconds";

/// Read `energy.csv`, keeping rows with `iteration < upto` (what a checkpoint covers).
pub fn read_energy(out: &Path, upto: usize) -> Result<Vec<EnergyRow>> {
    let path = out.join("energy.csv");
    let Ok(text) = fs::read_to_string(&path) else { return Ok(vec![]) };
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let parse = || -> Option<EnergyRow> {
            Some(EnergyRow {
                iteration: f.first()?.parse().ok()?,
                f_obs: f.get(1)?.parse().ok()?,
                f_syn: f.get(2)?.parse().ok()?,
                seconds: f.get(3)?.parse().ok()?,
            })
        };
        match parse() {
            Some(r) if r.iteration < upto => rows.push(r),
            Some(_) => {}
            None => anyhow::bail!("{}: line {} is not `{ENERGY_HEADER}`: {line:?}", path.display(), n + 1),
        }
    }
    Ok(rows)
}

/// Write `energy.csv` atomically.
pub fn write_energy(out: &Path, rows: &[EnergyRow]) -> Result<()> {
    let mut s = String::from(ENERGY_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(&format!("{},{},{},{}\n", r.iteration, r.f_obs, r.f_syn, r.seconds));
    }
    nn::checkpoint::write_atomic(&out.join("energy.csv"), s.as_bytes())?;
    Ok(())
}
