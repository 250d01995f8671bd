//! A fuzz target for the checkpoint loader: seeded byte mutations of a small checkpoint (a
//! conv net with BatchNorm and Adam state) and of its JSON sidecar, each loaded into a fresh
//! net. Every input must load or give a typed error naming the file: no panic, and no more
//! memory than the cap (mutations and the capped allocator: `datasets/tests/common/fuzz.rs`).
//! `COOPNETS_FUZZ_SEED` and `COOPNETS_FUZZ_CASES` explore further.

#[path = "../../datasets/tests/common/fuzz.rs"]
mod fuzz_support;

use fuzz_support::{mutate, Capped};
use nn::checkpoint::{load, save, sidecar_path};
use nn::layers::*;
use nn::optim::Adam;
use nn::{Init, Module};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::rng_from_seed;

#[global_allocator]
static ALLOCATOR: Capped = Capped;

fn net(seed: u64) -> Sequential {
    let mut rng = rng_from_seed(seed);
    Sequential::new()
        .push(Conv2d::new(1, 3, &[3], ConvOptions::new(1, 1), &mut rng).unwrap())
        .push(BatchNorm::new(3))
        .push(Flatten)
        .push(Linear::new(3 * 4 * 4, 2, true, Init::XavierUniform, &mut rng).unwrap())
}

#[test]
fn mutated_checkpoints_load_or_fail_with_an_error_naming_the_file() {
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<u64>().ok());
    let (seed, cases) = (env("COOPNETS_FUZZ_SEED").unwrap_or(0), env("COOPNETS_FUZZ_CASES").unwrap_or(1500));
    let scratch = tempfile::Builder::new().prefix("coopnets-nn-fuzz-").tempdir().unwrap();
    let dir = scratch.path();
    let path = dir.join("model.safetensors");
    let extras = [("chains".to_string(), tensor::Tensor::ones(&[2, 3]))].into();
    // one Adam step first, so that the optimizer has moments to save (and to mutate)
    let (mut trained, mut adam) = (net(1), Adam::new(1e-3));
    let tape = autodiff::Tape::new();
    let x = tensor::Tensor::randn(&[2, 1, 4, 4], 0.0, 1.0, &mut rng_from_seed(3)).unwrap();
    let loss = trained.forward(&tape.constant(x)).unwrap().square().unwrap().sum_all().unwrap();
    let grads = nn::param_grads(&tape, &loss, &trained).unwrap();
    nn::optim::Optimizer::step(&mut adam, &mut trained, &grads).unwrap();
    assert!(!nn::optim::Optimizer::state_dict(&adam).is_empty(), "Adam has state to save");
    save(&path, &trained, &[("adam", &adam)], &extras, &serde_json::json!({"iteration": 7})).unwrap();
    let originals = [std::fs::read(&path).unwrap(), std::fs::read(sidecar_path(&path)).unwrap()];
    let mut rng = StdRng::seed_from_u64(seed);
    let mut refused = 0;
    for case in 0..cases {
        let which = (case % 2) as usize; // the tensors, then the sidecar
        let target = if which == 0 { path.clone() } else { sidecar_path(&path) };
        std::fs::write(&target, mutate(&originals[which], &mut rng)).unwrap();
        let result = std::panic::catch_unwind(|| {
            let mut fresh = net(2);
            let mut adam = Adam::new(1e-3);
            load(&path, &mut fresh, &mut [("adam", &mut adam)]).map(|_| ()).map_err(|e| e.to_string())
        });
        match result {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => {
                refused += 1;
                assert!(msg.contains(target.to_str().unwrap()), "an error that does not name the file: {msg}");
            }
            Err(_) => panic!("the loader panicked on case {case} (seed {seed}, file {})", target.display()),
        }
        std::fs::write(&target, &originals[which]).unwrap();
    }
    println!("{cases} mutated checkpoints, {refused} refused with an error");
    assert!(refused > cases as usize / 4, "most mutations should be caught: {refused} of {cases}");
}
