//! A 2-d mixture of two Gaussians: MALA puts the right mass in each mode.
//!
//! `p = 0.3·N((−2, 0), I) + 0.7·N((2, 0), I)`. Exact values: mass of the right mode
//! (`x₁ > 0`) `0.3·Φ(−2) + 0.7·Φ(2) = 0.6909`; `E[x₁] = 0.8`; `Var[x₁] = 1 + 4 − 0.8² = 4.36`;
//! `E[x₂] = 0`, `Var[x₂] = 1`. Every chain starts in the *left* mode, so the right mass can
//! only be reached by chains crossing the barrier (density at the midpoint ≈ e⁻² of the
//! peaks): the test checks mixing between modes, not just local moves.

use sampler::{from_fn, LogDensity, Mala, TargetError, Trace};
use tensor::{rng_from_seed, Tensor};

fn mixture() -> impl LogDensity {
    let means = [[-2.0f32, 0.0], [2.0, 0.0]];
    let log_weights = [0.3f32.ln(), 0.7f32.ln()];
    from_fn(move |x: &Tensor| -> Result<(Tensor, Tensor), TargetError> {
        let (mut log_p, mut grad) = (Vec::new(), Vec::new());
        for point in x.to_vec().chunks(2) {
            let l: Vec<f32> = (0..2)
                .map(|k| log_weights[k] - 0.5 * ((point[0] - means[k][0]).powi(2) + (point[1] - means[k][1]).powi(2)))
                .collect();
            let top = l[0].max(l[1]);
            let e: Vec<f32> = l.iter().map(|v| (v - top).exp()).collect();
            let z = e[0] + e[1];
            log_p.push(top + z.ln());
            for j in 0..2 {
                grad.push((0..2).map(|k| e[k] / z * (means[k][j] - point[j])).sum());
            }
        }
        Ok((Tensor::from_vec(log_p, &[x.shape()[0]])?, Tensor::from_vec(grad, x.shape())?))
    })
}

#[test]
fn mala_finds_the_mass_of_each_mode() {
    let mut target = mixture();
    let mut rng = rng_from_seed(7);
    let n_chains = 2000;
    let mut x = Tensor::from_vec([-2.0f32, 0.0].repeat(n_chains), &[n_chains, 2]).unwrap();
    let mala = Mala::new(1.2, 5);
    let mut trace = Trace::new();
    // burn-in: 800 steps, traced (acceptance, log-density)
    Mala::new(1.2, 800).run_with(&mut target, &mut x, &mut rng, None, &mut trace).unwrap();
    let (mut n, mut right, mut s, mut ss) = (0.0f64, 0.0f64, [0.0f64; 2], [0.0f64; 2]);
    for _ in 0..200 {
        mala.run(&mut target, &mut x, &mut rng).unwrap();
        for p in x.to_vec().chunks(2) {
            n += 1.0;
            right += (p[0] > 0.0) as u8 as f64;
            for j in 0..2 {
                s[j] += p[j] as f64;
                ss[j] += (p[j] as f64).powi(2);
            }
        }
    }
    let mass = right / n;
    let mean = [s[0] / n, s[1] / n];
    let var = [ss[0] / n - mean[0].powi(2), ss[1] / n - mean[1].powi(2)];
    let acc = trace.acceptance_rate().unwrap();
    println!("mixture: right-mode mass {mass:.4} (0.6909), mean ({:.4}, {:.4}) (0.8, 0), var ({:.4}, {:.4}) (4.36, 1), burn-in acceptance {acc:.3}",
        mean[0], mean[1], var[0], var[1]);
    assert_eq!(trace.len(), 800);
    assert!(acc > 0.5 && acc < 0.95, "acceptance {acc}");
    // 400 000 recorded points, but a chain stays in a mode for tens of steps: counting
    // each of the 2000 chains' 200 records as ≈ 10 independent draws, se(mass) ≈
    // √(0.69·0.31/20000) ≈ 0.0033 and se(E x₁) ≈ √(4.36/20000) ≈ 0.015; tolerances ≈ 5 se
    assert!((mass - 0.6909).abs() < 0.015, "right-mode mass {mass}");
    assert!((mean[0] - 0.8).abs() < 0.07 && mean[1].abs() < 0.03, "mean {mean:?}");
    // se(var x₁) ≈ 4.36·√(2/20000) ≈ 0.044 (the bimodal x₁ has a larger one; tolerance 0.2)
    assert!((var[0] - 4.36).abs() < 0.2 && (var[1] - 1.0).abs() < 0.05, "var {var:?}");
}
