//! Checkpoints: bit-exact round trip (parameters, buffers, optimizer state, sidecar), clear
//! errors for mismatched models and for truncated or corrupt files.

use std::path::PathBuf;

use autodiff::Tape;
use nn::checkpoint::{load, save};
use nn::layers::*;
use nn::optim::{Adam, Optimizer};
use nn::{param_grads, Init, Module, NnError};
use tensor::{rng_from_seed, Tensor};

/// `<a fresh scratch folder>/model.safetensors`; the folder goes when the first value is dropped.
fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::Builder::new().prefix(&format!("coopnets-nn-{name}-")).tempdir().unwrap();
    let path = d.path().join("model.safetensors");
    (d, path)
}

fn net(seed: u64) -> Sequential {
    let mut rng = rng_from_seed(seed);
    Sequential::new()
        .push(Conv2d::new(1, 3, &[3], ConvOptions::new(1, 1), &mut rng).unwrap())
        .push(BatchNorm::new(3))
        .push(ReLU)
        .push(Flatten)
        .push(Linear::new(3 * 4 * 4, 2, true, Init::XavierUniform, &mut rng).unwrap())
}

fn train_step(m: &mut Sequential, opt: &mut Adam) {
    let x = Tensor::randn(&[4, 1, 4, 4], 0.0, 1.0, &mut rng_from_seed(9)).unwrap();
    let tape = Tape::new();
    let loss = m.forward(&tape.constant(x)).unwrap().square().unwrap().mean_all().unwrap();
    let g = param_grads(&tape, &loss, m).unwrap();
    opt.step(m, &g).unwrap();
}

#[test]
fn save_load_round_trip_is_bit_exact_including_optimizer_state() {
    let (_scratch, path) = tmp("roundtrip");
    let mut a = net(1);
    let mut opt = Adam::new(1e-2);
    train_step(&mut a, &mut opt);
    let extras = [("chains".to_string(), Tensor::from_vec(vec![1.5, -2.0], &[2, 1]).unwrap())].into();
    let meta = serde_json::json!({"step": 1, "config": {"lr": 0.01}});
    save(&path, &a, &[("adam", &opt)], &extras, &meta).unwrap();

    let mut b = net(2); // different weights
    let mut opt_b = Adam::new(1e-2);
    let loaded = load(&path, &mut b, &mut [("adam", &mut opt_b as &mut dyn Optimizer)]).unwrap();
    assert_eq!(loaded.meta["step"], 1);
    assert_eq!(loaded.extras["chains"].to_vec(), vec![1.5, -2.0]);
    for ((na, pa), (nb, pb)) in a.named_parameters().iter().zip(b.named_parameters()) {
        assert_eq!(na, &nb);
        assert_eq!(
            pa.value.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            pb.value.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{na}"
        );
    }
    // BatchNorm's running statistics (buffers, not parameters) came back too: the training
    // step moved them away from their (0, 1) start, so equality is not trivial
    let (mut ba, mut bb) = (Vec::new(), Vec::new());
    a.collect_buffers("", &mut ba);
    b.collect_buffers("", &mut bb);
    assert_eq!(ba.len(), 2, "running_mean and running_var");
    for ((na, ta), (nb, tb)) in ba.iter().zip(&bb) {
        assert_eq!(na, nb);
        let start = if na.ends_with("running_var") { 1.0 } else { 0.0 };
        assert!(ta.to_vec().iter().any(|&v| v != start), "{na} moved from its start");
        assert_eq!(ta.to_vec(), tb.to_vec(), "{na}");
    }
    // the same next step from both: the optimizer state came back too
    train_step(&mut a, &mut opt);
    train_step(&mut b, &mut opt_b);
    for ((n, pa), (_, pb)) in a.named_parameters().iter().zip(b.named_parameters()) {
        assert_eq!(pa.value.to_vec(), pb.value.to_vec(), "{n} after one more step");
    }
}

#[test]
fn a_mismatched_model_is_refused_with_every_mismatch_listed() {
    let (_scratch, path) = tmp("mismatch");
    save(&path, &net(1), &[], &Default::default(), &serde_json::json!({})).unwrap();
    let mut rng = rng_from_seed(0);
    let mut other = Sequential::new()
        .push(Conv2d::new(1, 5, &[3], ConvOptions::new(1, 1), &mut rng).unwrap())
        .push(Linear::new(4, 2, true, Init::Zeros, &mut rng).unwrap());
    let before = other.named_parameters()[0].1.value.to_vec();
    let err = load(&path, &mut other, &mut []).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, NnError::Mismatch { .. }), "{msg}");
    assert!(msg.contains("0.weight: checkpoint shape [3, 1, 3, 3], model shape [5, 1, 3, 3]"), "{msg}");
    assert!(
        msg.contains("1.weight: checkpoint shape [3], model shape [2, 4]")
            && msg.contains("unexpected 4.weight")
            && msg.contains("unexpected 1.running_mean"),
        "{msg}"
    );
    assert_eq!(other.named_parameters()[0].1.value.to_vec(), before, "nothing loaded on mismatch");
}

#[test]
fn truncated_corrupt_and_missing_files_are_errors() {
    let (_scratch, path) = tmp("corrupt");
    save(&path, &net(1), &[], &Default::default(), &serde_json::json!({})).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut m = net(1);
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(load(&path, &mut m, &mut []), Err(NnError::Corrupt { .. })), "truncated");
    let mut garbage = bytes.clone();
    garbage[0..8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &garbage).unwrap();
    assert!(matches!(load(&path, &mut m, &mut []), Err(NnError::Corrupt { .. })), "bad header length");
    assert!(matches!(load(&path.with_file_name("nope.safetensors"), &mut m, &mut []), Err(NnError::Io { .. })));
    std::fs::write(&path, &bytes).unwrap();
    std::fs::write(path.with_extension("json"), b"{not json").unwrap();
    assert!(matches!(load(&path, &mut m, &mut []), Err(NnError::Corrupt { .. })), "corrupt sidecar");
}

/// A write that fails leaves no temporary file behind (a full disk must not fill up with
/// half-written copies, one per retry).
#[test]
fn a_failed_atomic_write_removes_its_temporary_file() {
    let scratch = tempfile::Builder::new().prefix("coopnets-atomic-").tempdir().unwrap();
    let dir = scratch.path();
    let target = dir.join("taken");
    std::fs::create_dir_all(target.join("inside")).unwrap(); // a non-empty folder: rename onto it fails
    assert!(nn::checkpoint::write_atomic(&target, b"data").is_err());
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("taken")], "only the folder that was there");
    nn::checkpoint::write_atomic(&dir.join("ok"), b"data").unwrap();
    assert_eq!(std::fs::read(dir.join("ok")).unwrap(), b"data");
}
