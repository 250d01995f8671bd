//! Diagnostics and reproducibility: the trace records what it should, a seed fixes a run.

use sampler::{from_fn, Langevin, LogDensity, Mala, StepInfo, StepSize, Trace};
use tensor::{rng_from_seed, Tensor};

fn standard_normal() -> impl LogDensity {
    from_fn(|x: &Tensor| Ok((x.square().sum_per_example()?.mul_scalar(-0.5), x.neg())))
}

#[test]
fn trace_records_every_step() {
    let mut target = standard_normal();
    let mut rng = rng_from_seed(30);
    let mut x = Tensor::randn(&[5, 3], 0.0, 2.0, &mut rng).unwrap();
    let mut trace = Trace::new();
    let schedule = StepSize::Linear { from: 0.5, to: 0.1 };
    Langevin::new(schedule, 10).run_with(&mut target, &mut x, &mut rng, None, &mut trace).unwrap();
    assert_eq!(trace.len(), 10);
    assert_eq!(trace.log_density[3].len(), 5);
    assert!(trace.accepted.is_empty() && trace.acceptance_rate().is_none());
    assert_eq!(trace.step_size[0], 0.5);
    assert!((trace.step_size[9] - 0.1).abs() < 1e-6);
    // for N(0, I): ‖∇ log p‖² = ‖x‖² = −2 log p, chain by chain
    for (lp, gn) in trace.log_density.iter().flatten().zip(trace.grad_norm.iter().flatten()) {
        assert!((gn * gn + 2.0 * lp).abs() < 1e-4 * (1.0 + lp.abs()), "{gn} vs {lp}");
    }

    let mut mala_trace = Trace::new();
    let acc = Mala::new(1.0, 20).run_with(&mut target, &mut x, &mut rng, None, &mut mala_trace).unwrap();
    assert_eq!(mala_trace.accepted.len(), 20);
    assert!((mala_trace.acceptance_rate().unwrap() - acc.rate()).abs() < 1e-6);
    assert_eq!(acc.per_chain.len(), 5);

    // a closure observer
    let mut steps = Vec::new();
    Langevin::new(0.1, 4)
        .run_with(&mut target, &mut x, &mut rng, None, &mut |s: &StepInfo<'_>| steps.push(s.step))
        .unwrap();
    assert_eq!(steps, vec![0, 1, 2, 3]);
}

#[test]
fn same_seed_same_chains() {
    let run = || {
        let mut rng = rng_from_seed(31);
        let mut x = Tensor::zeros(&[4, 6]);
        let mut target = standard_normal();
        Langevin::new(0.3, 20).run(&mut target, &mut x, &mut rng).unwrap();
        Mala::new(0.6, 20).run(&mut target, &mut x, &mut rng).unwrap();
        x.to_vec()
    };
    assert_eq!(run(), run());
}
