//! `cargo xtask <task>` (the cargo xtask pattern; alias in `.cargo/config.toml`).
//!
//! * `ci`: formatting, clippy with `-D warnings`, the whole test suite.
//! * `interop`: a checkpoint written here opens in Python's safetensors with PyTorch layouts.
//! * `experiment NAME`: the papers' experiments on shipped data (descriptor, generator and
//!   CoopNets; `cargo xtask experiment --help` lists them).
//! * `bench`: per-iteration timings of the standard workloads (see BENCHMARKS.md).
//! * `gpu`: the CUDA tests and the bench on a GPU (needs one, and `--features cuda` builds).

mod bench;
mod bench_layers;
mod bench_models;
mod bench_profile;
mod ci;
mod experiment;
mod gpu;
mod interop;

use clap::{Parser, Subcommand};

/// mimalloc keeps freed memory for reuse: a Langevin step allocates and frees the same large
/// activations every step, which glibc's malloc maps and unmaps each time (page faults and TLB
/// shootdowns that cost more than the arithmetic on small nets; measured in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run an experiment of the papers on shipped data (the list: `cargo xtask experiment --help`;
    /// what each writes: README.md, "All experiments").
    Experiment(experiment::ExperimentArgs),
    /// Check that our safetensors checkpoints open in Python (pip-installs safetensors numpy)
    Interop,
    /// Time the standard kernels and workloads with 1 and 2 threads (or on `--device cuda`).
    Bench(bench::BenchArgs),
    /// On a machine with an NVIDIA GPU: the CUDA tests, then the bench on the GPU.
    Gpu,
}

fn main() -> anyhow::Result<()> {
    coopnets_cli::keep_freed_memory();
    match Cli::parse().task {
        Task::Ci => ci::run(),
        Task::Experiment(args) => coopnets_cli::in_thread_pool(|| experiment::run(&args))?,
        Task::Interop => interop::run_check(),
        Task::Bench(args) => bench::run(&args),
        Task::Gpu => gpu::run(),
    }
}
