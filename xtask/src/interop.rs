//! `cargo xtask interop`: prove that our checkpoints open in Python's `safetensors` with
//! PyTorch's layouts. Creates a virtualenv under `target/interop-venv`, pip-installs
//! `safetensors numpy`, writes a checkpoint with the `export_checkpoint` example and reads
//! it back with `nn/tests/interop.py`.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed ({status})");
    }
    Ok(())
}

pub fn run_check() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = root.join("target/interop-venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(&py).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "safetensors",
        "numpy",
    ]))?;
    let dir = root.join("target/interop-checkpoint");
    std::fs::create_dir_all(&dir)?;
    run(Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["run", "--release", "--quiet", "-p", "coopnets-nn", "--example", "export_checkpoint", "--"])
        .arg(&dir))?;
    run(Command::new(&py).arg(root.join("nn/tests/interop.py")).arg(&dir))
}
