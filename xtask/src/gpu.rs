//! `cargo xtask gpu`: everything that needs an NVIDIA GPU, on a machine that has one and a
//! Rust toolchain: the CUDA tests (every op and backward against the CPU backend), then the
//! bench workloads on the GPU. (For a GPU machine without Rust, `scripts/gpu-bundle.sh`
//! builds the same binaries here and `scripts/gpu-check.sh` runs them there.)

use anyhow::Result;

use crate::ci::cargo;

pub fn run() -> Result<()> {
    cargo(&[
        "test",
        "--release",
        "-p",
        "coopnets-tensor",
        "--features",
        "cuda",
        "--",
        "--nocapture",
        "--test-threads",
        "1",
    ])?;
    cargo(&[
        "run",
        "--release",
        "--quiet",
        "-p",
        "xtask",
        "--features",
        "cuda",
        "--",
        "bench",
        "--device",
        "cuda",
        "--threads",
        "1",
    ])?;
    eprintln!("\ngpu: CUDA tests and GPU bench done");
    Ok(())
}
