//! How the tape behaves: gradients for inputs and parameters, non-scalar seeds, pruning of
//! nodes that do not lead to a requested leaf, no_grad/detach, stale Vars, and constant
//! memory over 1000 forward/backward steps.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use autodiff::{AutodiffError, Tape};
use tensor::{rng_from_seed, ConvParams, Tensor};

/// Counts live heap bytes, to prove the training loop does not grow.
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

fn rand(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 0.1, &mut rng_from_seed(seed)).unwrap()
}

#[test]
fn gradients_for_inputs_and_parameters_with_a_seed() {
    // f = Σ seed ⊙ (x·w): ∂/∂x = seed·wᵀ, ∂/∂w = xᵀ·seed
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
    let w = tape.var(Tensor::from_vec(vec![1.0, 0.0, -1.0, 2.0], &[2, 2]).unwrap());
    let y = x.matmul(&w).unwrap();
    let seed = Tensor::from_vec(vec![1.0, 0.0, 0.0, 2.0], &[2, 2]).unwrap();
    let g = tape.backward_with_seed(&y, &seed, &[&x, &w]).unwrap();
    assert_eq!(g.get(&x).unwrap().to_vec(), vec![1.0, -1.0, 0.0, 4.0]);
    assert_eq!(g.get(&w).unwrap().to_vec(), vec![1.0, 6.0, 2.0, 8.0]);
    assert!(matches!(tape.backward_with_seed(&y, &Tensor::ones(&[3]), &[&x]), Err(AutodiffError::SeedShape { .. })));
}

#[test]
fn a_var_used_twice_accumulates() {
    let tape = Tape::new();
    let x = tape.var(Tensor::from_vec(vec![3.0], &[1]).unwrap());
    let y = x.mul(&x).unwrap().add(&x).unwrap(); // x² + x
    assert_eq!(tape.backward(&y, &[&x]).unwrap().get(&x).unwrap().to_vec(), vec![7.0]);
}

#[test]
fn only_requested_branches_are_differentiated() {
    // the Langevin case: ∂f/∂Y with the weights on the tape but not requested
    let tape = Tape::new();
    let y = tape.var(rand(&[1, 2, 6, 6], 1));
    let w = tape.var(rand(&[3, 2, 3, 3], 2));
    let f = y.conv2d(&w, None, &ConvParams::new(1, 1)).unwrap().relu().unwrap().sum_all().unwrap();
    let g = tape.backward(&f, &[&y]).unwrap();
    assert!(g.get(&y).is_some());
    assert!(g.get(&w).is_none(), "the weight gradient was not asked for, so it is not computed");
    assert_eq!(g.len(), 1);
}

#[test]
fn no_grad_and_detach_cut_the_graph() {
    let tape = Tape::new();
    let x = tape.var(Tensor::ones(&[3]));
    let y = tape.no_grad(|| x.exp().unwrap());
    assert!(!y.requires_grad());
    assert_eq!(tape.len(), 1, "nothing recorded under no_grad");
    let z = x.detach().mul(&x).unwrap(); // d/dx (c·x) = c = 1
    assert_eq!(tape.backward(&z, &[&x]).unwrap().get(&x).unwrap().to_vec(), vec![1.0; 3]);
    let c = tape.constant(Tensor::ones(&[3]));
    assert!(!c.exp().unwrap().requires_grad(), "ops on constants record nothing");
}

#[test]
fn stale_vars_are_an_error_not_garbage() {
    let tape = Tape::new();
    let x = tape.var(Tensor::ones(&[2]));
    tape.clear();
    assert!(matches!(x.exp(), Err(AutodiffError::StaleVar(_))));
    let other = Tape::new();
    let y = other.var(Tensor::ones(&[2]));
    let x2 = tape.var(Tensor::ones(&[2]));
    assert!(matches!(x2.add(&y), Err(AutodiffError::ForeignVar(_))));
}

#[test]
fn a_thousand_steps_run_in_constant_memory() {
    // a small conv net, forward + backward + SGD step 1000 times on one reused tape
    let tape = Tape::new();
    let mut w1 = rand(&[4, 1, 3, 3], 1);
    let mut w2 = rand(&[2, 4, 3, 3], 2);
    let x = rand(&[2, 1, 8, 8], 3);
    let step = |w1: &mut Tensor, w2: &mut Tensor| {
        let xv = tape.constant(x.clone());
        let (v1, v2) = (tape.var(w1.clone()), tape.var(w2.clone()));
        let f = xv
            .conv2d(&v1, None, &ConvParams::new(1, 1))
            .unwrap()
            .relu()
            .unwrap()
            .conv2d(&v2, None, &ConvParams::new(2, 1))
            .unwrap()
            .square()
            .unwrap()
            .mean_all()
            .unwrap();
        let g = tape.backward(&f, &[&v1, &v2]).unwrap();
        let (g1, g2) = (g.get(&v1).unwrap().clone(), g.get(&v2).unwrap().clone());
        let nodes = tape.len();
        drop((g, f, v1, v2, xv));
        tape.clear();
        w1.axpy_(-0.01, &g1).unwrap();
        w2.axpy_(-0.01, &g2).unwrap();
        nodes
    };
    for _ in 0..20 {
        step(&mut w1, &mut w2); // warm up thread-local scratch buffers and the tape's Vec
    }
    let before = LIVE.load(Ordering::Relaxed);
    let nodes: Vec<usize> = (0..1000).map(|_| step(&mut w1, &mut w2)).collect();
    let after = LIVE.load(Ordering::Relaxed);
    assert!(nodes.iter().all(|&n| n == nodes[0]), "node count per step is constant");
    assert_eq!(tape.len(), 0);
    // allow a few KiB of noise (other test threads allocate too), far below one leaked step
    assert!(after - before < 64 * 1024, "live bytes grew by {} over 1000 steps", after - before);
}

#[test]
fn a_tape_dropped_without_clear_frees_everything_it_recorded() {
    // The leak this guards against: parameters registered with `keyed_var` were stored on the
    // tape as `Var`s, which hold the tape, so a tape used for one update and then dropped
    // (never cleared) kept itself and all saved activations alive.
    let live_tapes = Tape::live_count();
    let w = rand(&[4, 1, 3, 3], 1);
    let x = rand(&[2, 1, 8, 8], 2);
    {
        let tape = Tape::new();
        assert_eq!(Tape::live_count(), live_tapes + 1);
        let wv = tape.keyed_var(7, true, || w.clone());
        let again = tape.keyed_var(7, true, || unreachable!("registered once per pass"));
        let f = tape.constant(x.clone()).conv2d(&wv, None, &ConvParams::new(1, 1)).unwrap().sum_all().unwrap();
        let g = tape.backward(&f, &[&again]).unwrap();
        assert_eq!(g.get(&wv).unwrap().shape(), &[4, 1, 3, 3], "the same leaf under one key");
    }
    assert_eq!(Tape::live_count(), live_tapes, "the tape was freed with its last handle");
}
