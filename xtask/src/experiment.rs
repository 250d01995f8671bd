//! `cargo xtask experiment NAME [flags]`: the papers' experiments on data shipped in `data/`
//! (see `coopnets_cli::experiments` for the list and what each writes). Every experiment takes
//! the same flags: `--out`, `--seed`, `--iterations`, `--preset paper`, `--resume`, `--chains`,
//! `--size`, `--rgb`, `--class`, `--device`, `--log-format`, and `--image` / `--wav` /
//! `--video` where the data are images / a sound / a video.
//!
//! Paths given on the command line are taken from the folder cargo was started in; the run
//! folder's default, `runs/<name>`, from the repository root (where cargo finds this crate),
//! so that `cargo xtask experiment texture` writes `runs/texture/` from any folder of the
//! checkout.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
pub use coopnets_cli::experiments::ExperimentArgs;

pub fn run(a: &ExperimentArgs) -> Result<()> {
    let mut a = a.clone();
    for p in [&mut a.image, &mut a.video, &mut a.wav, &mut a.out].into_iter().flatten() {
        *p = absolute(p)?;
    }
    // cargo tells the binary it runs where its manifest is (at run time, nothing compiled in)
    if let Some(root) =
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).and_then(|d| d.parent().map(Path::to_path_buf))
    {
        std::env::set_current_dir(&root).with_context(|| format!("entering the repository root {}", root.display()))?;
    }
    coopnets_cli::experiments::run(&a)?;
    Ok(())
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("{}: cannot resolve against the working directory", p.display()))
}
