//! `cargo xtask ci`: what CI runs, in the order that fails fastest: formatting, clippy, the
//! test suite, clippy and the tests of the tensor crate with its `cuda` feature (on a machine
//! without CUDA the CUDA tests print why they skip), then the Python interop check of our
//! checkpoints.

use std::process::Command;

use anyhow::{bail, Context, Result};

pub(crate) fn cargo(args: &[&str]) -> Result<()> {
    eprintln!("\n$ cargo {}", args.join(" "));
    let status =
        Command::new(env!("CARGO")).args(args).status().with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

pub fn run() -> Result<()> {
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    cargo(&["test", "--workspace"])?;
    // the CUDA backend builds, lints and tests (skipped, with the reason printed) without a GPU
    cargo(&["clippy", "-p", "coopnets-tensor", "--features", "cuda", "--all-targets", "--", "-D", "warnings"])?;
    cargo(&["test", "-p", "coopnets-tensor", "--features", "cuda"])?;
    crate::interop::run_check()?;
    eprintln!("\nci: all checks passed");
    Ok(())
}
