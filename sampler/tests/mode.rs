//! Noise off: Langevin becomes gradient ascent on log p (rate δ²/2) and converges to the mode.

mod common;

use common::diag_gaussian;
use rand::Rng;
use sampler::{energy_from_fn, GradClip, Langevin, StepSize, TargetError};
use tensor::{rng_from_seed, Tensor};

#[test]
fn noise_off_converges_to_the_gaussian_mean_and_draws_nothing() {
    let mean: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
    let var: Vec<f32> = (0..50).map(|i| 0.5 + i as f32 / 49.0 * 1.5).collect();
    let mut target = diag_gaussian(&mean, &var);
    let mut rng = rng_from_seed(5);
    let mut x = Tensor::randn(&[16, 50], 0.0, 5.0, &mut rng).unwrap();
    let mut untouched = rng.clone();
    // each coordinate contracts by a = 1 − δ²/(2s²) ≤ 1 − 0.25/4 = 0.9375 per step;
    // 0.9375⁴⁰⁰ ≈ 6e-12, so what is left is f32 rounding (|μ| ≤ 3 → ulp ≈ 2.4e-7)
    Langevin::new(0.5, 400).noise(false).run(&mut target, &mut x, &mut rng).unwrap();
    let err = x
        .to_vec()
        .chunks(50)
        .flat_map(|row| row.iter().zip(&mean).map(|(a, b)| (a - b).abs()).collect::<Vec<_>>())
        .fold(0.0f32, f32::max);
    println!("noise off: max |x − μ| = {err:e}");
    assert!(err < 1e-5, "max |x − μ| = {err}");
    // no noise → not a single random number was drawn
    assert_eq!(rng.random::<u64>(), untouched.random::<u64>());
}

#[test]
fn noise_off_with_an_energy_and_a_decaying_schedule() {
    // U(x) = Σ (x − 1)⁴/4 + (x − 1)²/2: convex, not quadratic, minimum at x = 1
    let mut target = energy_from_fn(|x: &Tensor| -> Result<(Tensor, Tensor), TargetError> {
        let d = x.add_scalar(-1.0);
        let value = d.powf(4.0).mul_scalar(0.25).add(&d.square().mul_scalar(0.5))?.sum_per_example()?;
        let grad = d.powf(3.0).add(&d)?; // U'(x) = (x − 1)³ + (x − 1)
        Ok((value, grad))
    });
    let mut rng = rng_from_seed(6);
    // gradient ascent is stable while δ²/2 · U''(x) < 2, U'' = 3(x − 1)² + 1: starting
    // within ±1.7 of the minimum keeps the first steps (δ²/2 = 0.32) stable (a start at
    // std 1 blows up and stops with a NonFinite error, as it should)
    let mut x = Tensor::randn(&[32, 3, 4], 1.0, 0.4, &mut rng).unwrap();
    let schedule = StepSize::Geometric { from: 0.8, to: 0.3 };
    Langevin::new(schedule, 300).noise(false).run(&mut target, &mut x, &mut rng).unwrap();
    // near the minimum U'' = 1, the error contracts by ≥ 1 − 0.3²/2 = 0.955 per step and
    // much faster early on: 300 steps leave far less than 1e-5
    let err = x.to_vec().iter().map(|v| (v - 1.0).abs()).fold(0.0f32, f32::max);
    println!("energy, geometric schedule: max |x − 1| = {err:e}");
    assert!(err < 1e-5, "max |x − 1| = {err}");
}

#[test]
fn clipped_ascent_moves_at_most_half_delta_squared_times_the_clip() {
    // log p = −500‖x‖²: the raw gradient at x = 10 is −10 000 and one step would explode
    let mut target = common::diag_gaussian(&[0.0, 0.0], &[1e-3, 1e-3]);
    let mut rng = rng_from_seed(8);
    let mut x = Tensor::full(&[4, 2], 10.0);
    let ula = Langevin::new(0.1, 100).noise(false).clip(GradClip::max_abs(1.0));
    ula.run(&mut target, &mut x, &mut rng).unwrap();
    // each step moves by exactly δ²/2 · 1 = 0.005 toward 0: 10 − 100 · 0.005 = 9.5
    for v in x.to_vec() {
        assert!((v - 9.5).abs() < 1e-4, "{v}");
    }
    // per-chain norm clipping: the step has norm δ²/2 · c = 0.005 · 2 = 0.01 along −x
    let mut y = Tensor::full(&[4, 2], 10.0);
    Langevin::new(0.1, 1).noise(false).clip(GradClip::max_norm(2.0)).run(&mut target, &mut y, &mut rng).unwrap();
    let moved = 10.0 - y.to_vec()[0];
    assert!((moved - 0.01 / 2f32.sqrt()).abs() < 1e-5, "moved {moved}");
}
