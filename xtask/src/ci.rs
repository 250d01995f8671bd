//! `cargo xtask ci`: what CI runs, in the order that fails fastest: formatting, clippy, the
//! test suite, then the Python interop check of our checkpoints.

use std::process::Command;

use anyhow::{bail, Context, Result};

fn cargo(args: &[&str]) -> Result<()> {
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
    crate::interop::run_check()?;
    eprintln!("\nci: all checks passed");
    Ok(())
}
