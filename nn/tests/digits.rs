//! Proof that the whole stack trains: a small ConvNet built from `nn` layers learns the 8×8
//! sklearn digits (real data, shipped in `data/`) to ≥ 95% held-out accuracy in seconds.

use autodiff::Tape;
use nn::layers::*;
use nn::optim::{Adam, Optimizer};
use nn::{param_grads, Init, Module};
use rand::seq::SliceRandom;
use tensor::{rng_from_seed, Tensor};

/// The sklearn digits CSV: 64 pixels in 0..16, then the label, per row.
fn load_digits() -> (Vec<f32>, Vec<usize>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/images/sklearn_digits/digits.csv");
    let text = std::fs::read_to_string(path).expect("shipped digits.csv");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Vec<f32> = line.split(',').map(|s| s.trim().parse().expect("number")).collect();
        x.extend(v[..64].iter().map(|p| p / 16.0));
        y.push(v[64] as usize);
    }
    (x, y)
}

#[test]
fn a_small_convnet_learns_digits_to_95_percent() {
    let (x, y) = load_digits();
    let n = y.len();
    assert_eq!(n, 1797);
    let mut rng = rng_from_seed(0);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let (train, test) = order.split_at(1400);
    let batch = |idx: &[usize]| {
        let data: Vec<f32> = idx.iter().flat_map(|&i| x[i * 64..(i + 1) * 64].iter().copied()).collect();
        (Tensor::from_vec(data, &[idx.len(), 1, 8, 8]).unwrap(), idx.iter().map(|&i| y[i]).collect::<Vec<_>>())
    };
    let mut net = Sequential::new()
        .push(Conv2d::new(1, 16, &[3], ConvOptions::new(1, 1).init(Init::HeNormal), &mut rng).unwrap())
        .push(ReLU)
        .push(Conv2d::new(16, 32, &[3], ConvOptions::new(2, 1).init(Init::HeNormal), &mut rng).unwrap())
        .push(ReLU)
        .push(Flatten)
        .push(Linear::new(32 * 4 * 4, 10, true, Init::XavierUniform, &mut rng).unwrap());
    let mut opt = Adam::new(3e-3);
    let tape = Tape::new();
    let mut train = train.to_vec();
    for _epoch in 0..15 {
        train.shuffle(&mut rng);
        for chunk in train.chunks(50) {
            let (xb, yb) = batch(chunk);
            let loss = nn::loss::cross_entropy(&net.forward(&tape.constant(xb)).unwrap(), &yb).unwrap();
            let g = param_grads(&tape, &loss, &net).unwrap();
            tape.clear();
            opt.step(&mut net, &g).unwrap();
        }
    }
    let (xt, yt) = batch(test);
    let logits = net.forward(&tape.constant(xt)).unwrap().value().to_vec();
    let correct = yt
        .iter()
        .enumerate()
        .filter(|(i, &l)| {
            let row = &logits[i * 10..(i + 1) * 10];
            row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(k, _)| k) == Some(l)
        })
        .count();
    let acc = correct as f64 / yt.len() as f64;
    println!("held-out accuracy {acc:.4} on {} digits", yt.len());
    // The bound, from measurements: this seed gives 0.987 (392 of 397); five other seeds gave
    // 0.980–0.990; one digit is 0.0025 and the binomial standard error about 0.006, so 0.97
    // leaves three errors of margin below the worst seed. Broken on purpose, the test fails:
    // without the ReLUs (a linear classifier) 0.960; with lr 0, 0.045.
    assert!(acc >= 0.97, "held-out accuracy {acc}");
}
