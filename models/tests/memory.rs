//! Memory stays flat while the descriptor learns: no heap growth per learning iteration or
//! per Langevin step. (A tape that kept itself alive through an `Rc` cycle once leaked one
//! tape's worth of activations per iteration: 3.5 MB at 128², 1.3 GB after 400 iterations.)
//!
//! This file holds a single test, so no other test thread allocates while it counts. It runs
//! in a one-thread rayon pool: each worker keeps a conv scratch buffer that grows the first
//! time that worker meets a larger job, and which worker meets which job first depends on
//! work stealing; with one worker the warm-up sees every job.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use autodiff::Tape;
use models::descriptor::{
    ChainInit, ConvSpec, DescriptorLearner, DescriptorNet, DescriptorNetConfig, LearnConfig, Optim,
};
use models::Descriptor;
use tensor::{rng_for, rng_from_seed, Tensor};

/// Counts live heap bytes.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
}
#[global_allocator]
static A: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn learning_and_langevin_run_in_flat_memory() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(count_growth);
}

fn count_growth() {
    let cfg = DescriptorNetConfig {
        layers: vec![ConvSpec::new(8, 5, 2, 2), ConvSpec::new(4, 3, 1, 1)],
        fc_top: None,
        init_std: 0.05,
    };
    let net = DescriptorNet::new(&cfg, &[1, 32, 32], &mut rng_from_seed(0)).unwrap();
    let learn = LearnConfig {
        langevin_steps: 20,
        step_size: 0.3,
        chain_init: ChainInit::Persistent,
        optim: Optim::Matconvnet { lr: 1e-3, momentum: 0.5, weight_decay: 1e-4, cap: 20.0 },
        growth: Default::default(),
        rate_schedule: Default::default(),
    };
    let mut learner = DescriptorLearner::new(Descriptor::new(net, 1.0), learn, Tensor::zeros(&[2, 1, 32, 32]));
    let obs = Tensor::randn(&[2, 1, 32, 32], 0.0, 1.0, &mut rng_from_seed(1)).unwrap();
    let mut iterate = |it: u64| learner.step(&obs, &mut rng_for(2, it)).unwrap();

    // warm up: optimizer state, rayon's and the conv kernels' per-thread scratch buffers
    for it in 0..10 {
        iterate(it);
    }
    let (bytes0, tapes0) = (live(), Tape::live_count());
    let mut growth = Vec::new();
    // 60 iterations × 20 Langevin steps = 1200 Langevin steps
    for it in 10..70 {
        iterate(it);
        growth.push(live() - bytes0);
    }
    // one leaked iteration would keep its tape: every activation of the update's two
    // forward passes, 2 × 2 images × (8·16² + 4·16²) floats ≈ 24 KiB plus the im2col
    // buffers; 60 of them are > 1.4 MiB. Allow 16 KiB of allocator noise in total.
    let grew = *growth.last().unwrap();
    assert_eq!(Tape::live_count(), tapes0, "tapes are freed when their last handle is dropped");
    assert!(grew < 16 * 1024, "live heap grew by {grew} bytes over 60 iterations: {growth:?}");
    // and not just at the end: no steady climb hidden by a late free
    let max = *growth.iter().max().unwrap();
    assert!(max < 64 * 1024, "live heap peaked {max} bytes above the warm state: {growth:?}");
}
