//! # coopnets-cli
//!
//! The `coopnets` binary and the run machinery behind it (also used by `cargo xtask
//! experiment`), the same for every model: configuration ([`config`], [`presets`]), data
//! loading ([`data`]), building a model's learner ([`build`]), the one training loop with
//! checkpoints and resume ([`train`], [`checkpoint`]), the end-of-run files ([`finish`],
//! [`metrics`], [`plot`], [`report`]), sampling from a checkpoint ([`sample`]) and the run
//! folder's layout ([`run_dir`]).

pub mod build;
pub mod checkpoint;
pub mod config;
pub mod config_error;
pub mod data;
pub mod experiments;
pub mod finish;
pub mod media;
pub mod memory;
pub mod metrics;
pub mod parzen;
pub mod plot;
pub mod presets;
pub mod report;
pub mod run_dir;
pub mod sample;
pub mod spectrum;
pub mod stats;
pub mod texture_stats;
pub mod train;
pub mod validate;

pub use config::RunConfig;

/// Tell the binaries' allocator (mimalloc) never to return freed memory to the OS. A Langevin
/// loop frees and re-allocates the same activations every step; with mimalloc's default
/// (purge after 10 ms) those pages are given back and faulted in again, 9% of a CoopNets
/// iteration on 2 cores (BENCHMARKS.md). Peak RSS is unchanged: the memory is reused.
pub fn keep_freed_memory() {
    /// `mi_option_purge_delay` in mimalloc 2's `mimalloc.h` (`-1`: no purging at all).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one integer option of the allocator; valid at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}
