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

/// Run `work` on a thread of a rayon pool of the default size (`RAYON_NUM_THREADS`, else one
/// per CPU). The kernels split their loops with rayon; called from a thread outside the pool,
/// every parallel loop is handed over to the pool while the caller sleeps until it is done,
/// two thread switches per tensor operation, which dominate the small tensors of a Langevin
/// step on a latent map. From a pool thread the caller works on its share itself (with one
/// thread, everything runs inline). Results are the same: the kernels' bits do not depend on
/// which threads run them.
pub fn in_thread_pool<T: Send>(work: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    let pool = rayon::ThreadPoolBuilder::new().stack_size(MAIN_STACK).build()?;
    Ok(pool.install(work))
}

/// The pool threads' stack: the main thread's 8 MiB.
const MAIN_STACK: usize = 8 << 20;

#[cfg(test)]
mod tests {
    /// The work runs on a thread of a pool of the default size, and its result comes back.
    #[test]
    fn work_runs_on_a_pool_thread() {
        let outside = rayon::current_thread_index();
        let (inside, threads) =
            super::in_thread_pool(|| (rayon::current_thread_index(), rayon::current_num_threads())).unwrap();
        assert_eq!(outside, None, "the test itself runs outside any pool");
        assert!(inside.is_some(), "the work did not run on a pool thread");
        assert_eq!(threads, rayon::ThreadPoolBuilder::new().build().unwrap().current_num_threads());
    }
}
