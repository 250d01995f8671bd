//! `cargo xtask <task>` (the cargo xtask pattern; alias in `.cargo/config.toml`).
//!
//! * `ci`: formatting, clippy with `-D warnings`, the whole test suite.
//! * `interop`: a checkpoint written here opens in Python's safetensors with PyTorch layouts.
//! * `bench`: per-iteration timings of the standard workloads (see BENCHMARKS.md).

mod bench;
mod ci;
mod interop;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "coopnets project tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// cargo fmt --check, clippy -D warnings, cargo test --workspace
    Ci,
    /// Check that our safetensors checkpoints open in Python (pip-installs safetensors numpy)
    Interop,
    /// Time the standard kernels and workloads with 1 and 2 threads.
    Bench(bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().task {
        Task::Ci => ci::run(),
        Task::Interop => interop::run_check(),
        Task::Bench(args) => bench::run(&args),
    }
}
