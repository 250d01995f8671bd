//! Parzen-window log-likelihood, exactly as the standard protocol of the GAN / CoopNets papers
//! (`jianwen-xie/CoopNets/model/utils/parzen_ll.py`, after Breuleux et al.):
//!
//! `LL(x) = logmeanexp_j(−‖x − μ_j‖²/(2σ²)) − d·log(σ√(2π))`,
//!
//! the log-density of `x` under a mixture of isotropic Gaussians of width σ centred at the
//! model's samples μ_j. σ is chosen from `logspace(−1, 0, 10)` by the mean log-likelihood of a
//! validation set; the test set's mean and standard error are reported at that σ. Pixels are in
//! [0, 1] (data: uint8 / 255; samples: (x + 1)/2 clipped).

use anyhow::{bail, Result};
use tensor::Tensor;

/// The candidate σ: `logspace(−1, 0, 10)`.
pub fn sigmas() -> Vec<f32> {
    (0..10).map(|k| 10f32.powf(-1.0 + k as f32 / 9.0)).collect()
}

/// A log-likelihood result: mean, its standard error, and the σ it was taken at.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Parzen {
    pub mean: f64,
    pub se: f64,
    pub sigma: f32,
}

/// `‖x_i − μ_j‖²` for `x` `[n, d]` and `centres` `[m, d]`, as `[n, m]` (by one GEMM:
/// `‖x‖² + ‖μ‖² − 2·x·μᵀ`, clamped at 0).
pub fn squared_distances(x: &Tensor, centres: &Tensor) -> Result<Tensor> {
    let (&[n, d], &[m, d2]) = (x.shape(), centres.shape()) else {
        bail!("Parzen: need [n, d] points and [m, d] centres, got {:?} and {:?}", x.shape(), centres.shape())
    };
    if d != d2 || n == 0 || m == 0 {
        bail!("Parzen: {n} points of dimension {d} against {m} centres of dimension {d2}");
    }
    let x = x.to_device(&centres.device())?; // the GEMM runs where the centres are
    let cross = x.matmul(&centres.transpose(0, 1)?.contiguous())?.to_vec();
    let (xs, cs) = (x.square().sum_per_example()?.to_vec(), centres.square().sum_per_example()?.to_vec());
    let d2: Vec<f32> = (0..n * m).map(|k| (xs[k / m] + cs[k % m] - 2.0 * cross[k]).max(0.0)).collect();
    Ok(Tensor::from_vec(d2, &[n, m])?)
}

/// The log-likelihood of each point, from its squared distances `[n, m]` to the centres, for
/// dimension `d` and width `sigma`.
pub fn log_likelihoods(d2: &Tensor, d: usize, sigma: f32) -> Vec<f64> {
    let (n, m) = (d2.shape()[0], d2.shape()[1]);
    let v = d2.to_vec();
    let s2 = 2.0 * f64::from(sigma) * f64::from(sigma);
    let norm = d as f64 * (f64::from(sigma) * (2.0 * std::f64::consts::PI).sqrt()).ln();
    (0..n)
        .map(|i| {
            let row = &v[i * m..(i + 1) * m];
            let a: Vec<f64> = row.iter().map(|&e| -f64::from(e) / s2).collect();
            let top = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lme = top + (a.iter().map(|x| (x - top).exp()).sum::<f64>() / m as f64).ln();
            lme - norm
        })
        .collect()
}

/// Mean and standard error (`std / √n`, population std as numpy's default).
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt() / n.sqrt())
}

/// σ chosen on `valid` (`[n, d]`), then the test points' mean ± se at that σ.
pub fn evaluate(centres: &Tensor, valid: &Tensor, test: &Tensor) -> Result<Parzen> {
    let dv = squared_distances(valid, centres)?;
    let d = centres.shape()[1];
    let score = |s: f32| mean_se(&log_likelihoods(&dv, d, s)).0;
    let sigma = sigmas().into_iter().fold((f32::NAN, f64::NEG_INFINITY), |best, s| {
        let ll = score(s);
        if ll > best.1 {
            (s, ll)
        } else {
            best
        }
    });
    let (mean, se) = mean_se(&log_likelihoods(&squared_distances(test, centres)?, d, sigma.0));
    Ok(Parzen { mean, se, sigma: sigma.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensor::rng_from_seed;

    #[test]
    fn one_centre_in_one_dimension_by_hand() {
        // x = 1, μ = 0, σ = 1: −1/2 − log √(2π) = −1.418939
        let d2 = squared_distances(&Tensor::from_vec(vec![1.0], &[1, 1]).unwrap(), &Tensor::zeros(&[1, 1])).unwrap();
        let ll = log_likelihoods(&d2, 1, 1.0);
        assert!((ll[0] + 1.418_938_5).abs() < 1e-6, "{ll:?}");
        // two centres 0 and 2 at σ = 0.5 for x = 1: both at distance 1, so the mixture equals
        // either Gaussian: −1/(2·0.25) − log(0.5·√(2π)) = −2 − 0.225791
        let c = Tensor::from_vec(vec![0.0, 2.0], &[2, 1]).unwrap();
        let ll =
            log_likelihoods(&squared_distances(&Tensor::from_vec(vec![1.0], &[1, 1]).unwrap(), &c).unwrap(), 1, 0.5);
        assert!((ll[0] + 2.225_791).abs() < 1e-5, "{ll:?}");
    }

    #[test]
    fn one_centre_is_the_closed_form_gaussian_in_784_dimensions() {
        // with one centre μ the Parzen density is N(x; μ, σ²I): log = −‖x − μ‖²/(2σ²) − d·log(σ√(2π))
        let d = 784;
        let mut r = rng_from_seed(3);
        let mu = Tensor::rand_uniform(&[1, d], 0.0, 1.0, &mut r).unwrap();
        let x = Tensor::rand_uniform(&[5, d], 0.0, 1.0, &mut r).unwrap();
        let sigma = 0.3f32;
        let ll = log_likelihoods(&squared_distances(&x, &mu).unwrap(), d, sigma);
        let (xv, mv) = (x.to_vec(), mu.to_vec());
        for (i, &l) in ll.iter().enumerate() {
            let sq: f64 = (0..d).map(|k| f64::from(xv[i * d + k] - mv[k]).powi(2)).sum();
            let exact = -sq / (2.0 * 0.09) - d as f64 * (0.3 * (2.0 * std::f64::consts::PI).sqrt()).ln();
            assert!((l - exact).abs() < 1e-3 * exact.abs().max(1.0), "{l} vs {exact}");
        }
    }

    #[test]
    fn sigma_is_chosen_on_validation_and_samples_of_the_data_beat_noise() {
        // centres drawn from the same distribution as the points score higher than uniform noise
        let mut r = rng_from_seed(4);
        let data = |n, r: &mut _| Tensor::randn(&[n, 20], 0.5, 0.1, r).unwrap();
        let (centres, valid, test) = (data(500, &mut r), data(100, &mut r), data(100, &mut r));
        let good = evaluate(&centres, &valid, &test).unwrap();
        let noise = Tensor::rand_uniform(&[500, 20], 0.0, 1.0, &mut r).unwrap();
        let bad = evaluate(&noise, &valid, &test).unwrap();
        assert!(good.mean > bad.mean + 5.0, "{good:?} vs {bad:?}");
        assert!(sigmas().contains(&good.sigma));
        assert!((sigmas()[0] - 0.1).abs() < 1e-6 && (sigmas()[9] - 1.0).abs() < 1e-6);
    }
}
