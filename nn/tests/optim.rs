//! Optimizer steps against values computed by hand for two steps, clipping and schedules.

use nn::layers::Linear;
use nn::optim::{Adam, Clip, LrSchedule, Optimizer, Sgd};
use nn::{Init, ParamGrads};
use tensor::{rng_from_seed, Tensor};

/// A 1×2 linear layer with weight [1, 2] and bias [0.5] (bias lr multiplier 2, no decay).
fn layer() -> Linear {
    let mut l = Linear::new(2, 1, true, Init::Zeros, &mut rng_from_seed(0)).unwrap();
    l.weight.value = Tensor::from_vec(vec![1.0, 2.0], &[1, 2]).unwrap();
    l.bias.as_mut().unwrap().value = Tensor::from_vec(vec![0.5], &[1]).unwrap();
    l
}

fn grads(w: [f32; 2], b: f32) -> ParamGrads {
    [
        ("weight".to_string(), Tensor::from_vec(w.to_vec(), &[1, 2]).unwrap()),
        ("bias".to_string(), Tensor::from_vec(vec![b], &[1]).unwrap()),
    ]
    .into()
}

fn close(a: &[f32], b: &[f32]) {
    assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6), "{a:?} vs {b:?}");
}

#[test]
fn sgd_with_momentum_and_weight_decay_two_steps() {
    // lr 0.1, μ 0.9, λ 0.01. Weight w = [1, 2], g = [0.5, -1]:
    // step 1: g' = g + λw = [0.51, -0.98]; v = g'; w = w − 0.1·v = [0.949, 2.098]
    // step 2: g' = [0.5 + 0.00949, -1 + 0.02098] = [0.50949, -0.97902];
    //         v = 0.9·[0.51, -0.98] + g' = [0.96849, -1.86102]; w = [0.949 − 0.096849, 2.098 + 0.186102]
    // Bias b = 0.5, g = 0.2, lr_mult 2, no decay: b = 0.5 − 0.2·0.2 = 0.46; v = 0.9·0.2 + 0.2 = 0.38; b = 0.46 − 0.2·0.38 = 0.384
    let mut l = layer();
    let mut opt = Sgd::new(0.1).momentum(0.9).weight_decay(0.01);
    opt.step(&mut l, &grads([0.5, -1.0], 0.2)).unwrap();
    close(&l.weight.value.to_vec(), &[0.949, 2.098]);
    close(&l.bias.as_ref().unwrap().value.to_vec(), &[0.46]);
    opt.step(&mut l, &grads([0.5, -1.0], 0.2)).unwrap();
    close(&l.weight.value.to_vec(), &[0.949 - 0.096849, 2.098 + 0.186102]);
    close(&l.bias.as_ref().unwrap().value.to_vec(), &[0.384]);
}

#[test]
fn adam_with_bias_correction_two_steps() {
    // lr 0.1, β = (0.5, 0.999), ε = 1e-8, weight g = [0.5, -1] then [0.1, 0.3]:
    // t=1: m = 0.5g, v = 0.001g², m̂ = g, v̂ = g² ⇒ Δ = −lr·sign(g) = [−0.1, +0.1] ⇒ w = [0.9, 2.1]
    // t=2: m = 0.5·[0.25, -0.5] + 0.5·[0.1, 0.3] = [0.175, -0.1]; m̂ = m/0.75 = [0.233333, -0.133333]
    //      v = 0.999·0.001·[0.25, 1] + 0.001·[0.01, 0.09] = [0.00025975, 0.001089]; v̂ = v/(1 − 0.999²) = v/0.001999
    //      = [0.129940, 0.544772]; √v̂ = [0.360472, 0.738087]; Δ = −0.1·m̂/√v̂ = [−0.064731, 0.018065]
    let mut l = layer();
    let mut opt = Adam::new(0.1).betas(0.5, 0.999);
    opt.step(&mut l, &grads([0.5, -1.0], 0.0)).unwrap();
    close(&l.weight.value.to_vec(), &[0.9, 2.1]);
    opt.step(&mut l, &grads([0.1, 0.3], 0.0)).unwrap();
    let w = l.weight.value.to_vec();
    assert!((w[0] - (0.9 - 0.064731)).abs() < 1e-5 && (w[1] - (2.1 + 0.018065)).abs() < 1e-5, "{w:?}");
}

#[test]
fn frozen_parameters_are_not_updated() {
    let mut l = layer();
    l.weight.requires_grad = false;
    Sgd::new(1.0).step(&mut l, &grads([1.0, 1.0], 1.0)).unwrap();
    assert_eq!(l.weight.value.to_vec(), vec![1.0, 2.0]);
    assert_ne!(l.bias.as_ref().unwrap().value.to_vec(), vec![0.5]);
}

#[test]
fn clipping_by_max_abs_and_by_norm() {
    let g = Tensor::from_vec(vec![3.0, -4.0], &[2]).unwrap();
    close(&Clip::MaxAbs(2.0).apply(&g).to_vec(), &[1.5, -2.0]);
    close(&Clip::Norm(1.0).apply(&g).to_vec(), &[0.6, -0.8]);
    close(&Clip::Norm(10.0).apply(&g).to_vec(), &[3.0, -4.0]);
    // MatConvNet cap inside SGD: g = [3, -4] capped at 2 → [1.5, -2]; w = [1, 2] − [1.5, -2]
    let mut l = layer();
    Sgd::new(1.0).clip(Clip::MaxAbs(2.0)).step(&mut l, &grads([3.0, -4.0], 0.0)).unwrap();
    close(&l.weight.value.to_vec(), &[-0.5, 4.0]);
}

#[test]
fn learning_rate_schedules() {
    assert_eq!(LrSchedule::Constant.factor(1000), 1.0);
    let s = LrSchedule::Step { every: 10, gamma: 0.5 };
    assert_eq!((s.factor(9), s.factor(10), s.factor(25)), (1.0, 0.5, 0.25));
    // logspace(-2, -4, 80)·100: 1.0 at the start, 0.01 at the last stage, log-linear between
    let c = LrSchedule::coopnets(800); // 10 iterations per stage
    assert!((c.factor(0) - 1.0).abs() < 1e-6 && (c.factor(9) - 1.0).abs() < 1e-6);
    assert!((c.factor(10) - 10f32.powf(-2.0 / 79.0)).abs() < 1e-5);
    assert!((c.factor(790) - 0.01).abs() < 1e-6 && (c.factor(5000) - 0.01).abs() < 1e-6);
}
