//! A NaN or ±Inf stops unadjusted Langevin with an error naming the step and the chain (at
//! once on the CPU; on a GPU at the next read of its queued checks); MALA and HMC reject such
//! a proposal and count it.

use sampler::{from_fn, Hmc, Langevin, LogDensity, Mala, Quantity, SamplerError, TargetError};
use tensor::{rng_from_seed, Tensor};

/// Standard normal on `[N, 4]` that, on its `bad_call`-th evaluation (from 0), writes `bad`
/// into `quantity` of chain `chain` (coordinate 1 for the gradient).
fn faulty(bad_call: usize, chain: usize, quantity: Quantity, bad: f32) -> impl LogDensity {
    let mut calls = 0;
    from_fn(move |x: &Tensor| -> Result<(Tensor, Tensor), TargetError> {
        let mut value = x.square().sum_per_example()?.mul_scalar(-0.5).to_vec();
        let mut grad = x.neg().to_vec();
        if calls == bad_call {
            match quantity {
                Quantity::LogDensity => value[chain] = bad,
                _ => grad[chain * 4 + 1] = bad,
            }
        }
        calls += 1;
        Ok((Tensor::from_vec(value, &[x.shape()[0]])?, Tensor::from_vec(grad, x.shape())?))
    })
}

fn expect(err: SamplerError, step: usize, chain: usize, quantity: Quantity) {
    println!("{err}");
    match err {
        SamplerError::NonFinite { step: s, chain: c, quantity: q, .. } => {
            assert_eq!((s, c, q), (step, chain, quantity), "{err}")
        }
        other => panic!("expected NonFinite, got {other}"),
    }
}

#[test]
fn langevin_names_step_and_chain() {
    let mut rng = rng_from_seed(20);
    let run = |target: &mut dyn LogDensity, rng: &mut tensor::Rng| {
        let mut x = Tensor::zeros(&[8, 4]);
        Langevin::new(0.1, 10).run(target, &mut x, rng).unwrap_err()
    };
    // Langevin evaluates the target once per step: call k is step k
    expect(run(&mut faulty(3, 2, Quantity::LogDensity, f32::NAN), &mut rng), 3, 2, Quantity::LogDensity);
    expect(run(&mut faulty(5, 6, Quantity::Gradient, f32::INFINITY), &mut rng), 5, 6, Quantity::Gradient);
    // a finite but huge gradient overflows the state: x += δ²/2 · 3e38 with δ = 2 → +Inf
    expect(run_big(&mut faulty(4, 7, Quantity::Gradient, 3e38), &mut rng), 4, 7, Quantity::State);
    let msg = run(&mut faulty(3, 2, Quantity::LogDensity, f32::NAN), &mut rng).to_string();
    assert!(msg.contains("step 3") && msg.contains("chain 2"), "{msg}");
    // the checks are read at the end of the run: a later failure does not hide the first NaN
    let mut nan_then_failure = {
        let mut inner = faulty(2, 1, Quantity::Gradient, f32::NAN);
        let mut calls = 0;
        from_fn(move |x: &Tensor| -> Result<(Tensor, Tensor), TargetError> {
            calls += 1;
            if calls == 6 {
                return Err("the target broke".into());
            }
            let vg = inner.log_density_and_grad(x)?;
            Ok((vg.value, vg.grad))
        })
    };
    expect(run(&mut nan_then_failure, &mut rng), 2, 1, Quantity::Gradient);
}

fn run_big(target: &mut dyn LogDensity, rng: &mut tensor::Rng) -> SamplerError {
    let mut x = Tensor::zeros(&[8, 4]);
    Langevin::new(2.0, 10).noise(false).run(target, &mut x, rng).unwrap_err()
}

/// MALA and HMC have an accept step: a proposal with a NaN or ±Inf is rejected and counted,
/// and the run goes on; only a non-finite starting state stops them (it has nothing to fall
/// back to).
#[test]
fn mala_and_hmc_reject_non_finite_proposals_and_count_them() {
    let mut rng = rng_from_seed(21);
    // MALA evaluates once at the start and once per proposal: call 4 is step 3's proposal
    let mut x = Tensor::zeros(&[8, 4]);
    let acc = Mala::new(0.5, 10).run(&mut faulty(4, 5, Quantity::Gradient, f32::NAN), &mut x, &mut rng).unwrap();
    assert_eq!(acc.non_finite, [0, 0, 0, 0, 0, 1, 0, 0]);
    assert!(acc.per_chain[5] <= 9, "the NaN proposal was not accepted");
    assert!(x.first_non_finite().is_none());
    let err = Mala::new(0.5, 10).run(&mut faulty(0, 1, Quantity::LogDensity, f32::NAN), &mut x, &mut rng);
    expect(err.unwrap_err(), 0, 1, Quantity::LogDensity);
    // HMC with 3 leapfrog steps: call 8 is in step 2's trajectory, whose proposal is rejected
    let mut x = Tensor::zeros(&[8, 4]);
    let acc = Hmc::new(0.1, 3, 10).run(&mut faulty(8, 0, Quantity::LogDensity, f32::NEG_INFINITY), &mut x, &mut rng);
    let acc = acc.unwrap();
    assert_eq!(acc.non_finite, [1, 0, 0, 0, 0, 0, 0, 0]);
    assert!(x.first_non_finite().is_none());
}

#[test]
fn a_failing_target_and_a_wrong_shape_are_errors_too() {
    let mut rng = rng_from_seed(22);
    let mut x = Tensor::zeros(&[8, 4]);
    let mut failing = from_fn(|_: &Tensor| -> Result<(Tensor, Tensor), TargetError> { Err("network exploded".into()) });
    let err = Langevin::new(0.1, 3).run(&mut failing, &mut x, &mut rng).unwrap_err();
    assert!(matches!(err, SamplerError::Target { step: 0, .. }), "{err}");
    assert!(err.to_string().contains("network exploded"));
    let mut scalar_value = from_fn(|x: &Tensor| Ok((x.sum_all(), x.neg())));
    let err = Mala::new(0.1, 3).run(&mut scalar_value, &mut x, &mut rng).unwrap_err();
    assert!(matches!(err, SamplerError::TargetShape { what: "a log-density", .. }), "{err}");
}
