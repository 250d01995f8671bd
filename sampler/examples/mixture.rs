//! Sample a 2-d mixture of two Gaussians with MALA and print its moments.
//!
//! `cargo run -p coopnets-sampler --example mixture`

use sampler::{from_fn, Langevin, Mala, TargetError};
use tensor::{rng_from_seed, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // p(x) = 0.3·N(x; (−2, 0), I) + 0.7·N(x; (2, 0), I), for a batch of chains x: [N, 2]
    let means = [[-2.0f32, 0.0], [2.0, 0.0]];
    let log_weights = [0.3f32.ln(), 0.7f32.ln()];
    let mut target = from_fn(move |x: &Tensor| -> Result<(Tensor, Tensor), TargetError> {
        let mut log_p = Vec::new();
        let mut grad = Vec::new();
        for point in x.to_vec().chunks(2) {
            // log wₖ − ‖x − μₖ‖²/2 for each component (the 2π constant does not matter)
            let l: Vec<f32> = (0..2)
                .map(|k| {
                    let d2 = (point[0] - means[k][0]).powi(2) + (point[1] - means[k][1]).powi(2);
                    log_weights[k] - 0.5 * d2
                })
                .collect();
            // log-sum-exp, and the responsibilities rₖ = softmax(l)ₖ
            let top = l[0].max(l[1]);
            let e: Vec<f32> = l.iter().map(|v| (v - top).exp()).collect();
            let z = e[0] + e[1];
            log_p.push(top + z.ln());
            // ∇ log p(x) = Σₖ rₖ (μₖ − x)
            for j in 0..2 {
                grad.push((0..2).map(|k| e[k] / z * (means[k][j] - point[j])).sum());
            }
        }
        Ok((Tensor::from_vec(log_p, &[x.shape()[0]])?, Tensor::from_vec(grad, x.shape())?))
    });

    // 2000 chains, started wide; every random number comes from this seeded generator
    let mut rng = rng_from_seed(42);
    let mut x = Tensor::randn(&[2000, 2], 0.0, 3.0, &mut rng)?;

    // a few cheap Langevin steps to get close, then MALA (exact) to burn in and sample
    Langevin::new(0.5, 50).run(&mut target, &mut x, &mut rng)?;
    let mala = Mala::new(1.2, 10);
    mala.run(&mut target, &mut x, &mut rng)?;
    let (mut n, mut right, mut sum, mut sum_sq) = (0.0f64, 0.0f64, [0.0f64; 2], [0.0f64; 2]);
    let mut acceptance = 0.0;
    for _ in 0..100 {
        // 10 MALA steps between recorded states
        acceptance += mala.run(&mut target, &mut x, &mut rng)?.rate() / 100.0;
        for p in x.to_vec().chunks(2) {
            n += 1.0;
            right += (p[0] > 0.0) as u8 as f64;
            for j in 0..2 {
                sum[j] += p[j] as f64;
                sum_sq[j] += (p[j] as f64).powi(2);
            }
        }
    }
    let mean = [sum[0] / n, sum[1] / n];
    let var = [sum_sq[0] / n - mean[0].powi(2), sum_sq[1] / n - mean[1].powi(2)];
    println!("MALA acceptance rate    {acceptance:.3}");
    println!("mass in the right mode  {:.3}   (exact 0.691)", right / n);
    println!("mean                    ({:.3}, {:.3})   (exact (0.800, 0.000))", mean[0], mean[1]);
    println!("variance                ({:.3}, {:.3})   (exact (4.360, 1.000))", var[0], var[1]);
    Ok(())
}
