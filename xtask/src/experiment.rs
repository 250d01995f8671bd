//! `cargo xtask experiment NAME [flags]`: the papers' experiments on data shipped in `data/`
//! (see `coopnets_cli::experiments` for the list and what each writes). Every experiment takes
//! the same flags: `--out`, `--seed`, `--iterations`, `--preset paper`, `--resume`, `--chains`,
//! `--size`, `--rgb`, `--class`, and `--image` / `--wav` where the data are images / a sound.

use anyhow::Result;
pub use coopnets_cli::experiments::ExperimentArgs;

pub fn run(a: &ExperimentArgs) -> Result<()> {
    coopnets_cli::experiments::run(a)?;
    Ok(())
}
