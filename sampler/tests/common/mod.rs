//! Shared by the statistical tests: a diagonal Gaussian target and a moment accumulator.
#![allow(dead_code)]

use sampler::{from_fn, LogDensity, TargetError};
use tensor::Tensor;

/// `N(μ, diag(s²))` on states `[N, d]`: `log p = −Σᵢ (xᵢ − μᵢ)²/(2sᵢ²)`, `∇ = −(x − μ)/s²`.
pub fn diag_gaussian(mean: &[f32], var: &[f32]) -> impl LogDensity {
    let d = mean.len();
    let mu = Tensor::from_slice(mean, &[1, d]).unwrap();
    let inv_var = Tensor::from_vec(var.iter().map(|v| 1.0 / v).collect(), &[1, d]).unwrap();
    from_fn(move |x: &Tensor| -> Result<(Tensor, Tensor), TargetError> {
        let diff = x.sub(&mu)?;
        let scaled = diff.mul(&inv_var)?;
        let value = diff.mul(&scaled)?.sum_per_example()?.mul_scalar(-0.5);
        Ok((value, scaled.neg()))
    })
}

/// Running per-coordinate mean and variance of samples `[N, d]`, accumulated in f64.
pub struct Moments {
    n: usize,
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl Moments {
    pub fn new(d: usize) -> Self {
        Moments { n: 0, sum: vec![0.0; d], sum_sq: vec![0.0; d] }
    }
    pub fn add(&mut self, x: &Tensor) {
        let d = self.sum.len();
        for row in x.to_vec().chunks(d) {
            for (i, &v) in row.iter().enumerate() {
                self.sum[i] += v as f64;
                self.sum_sq[i] += (v as f64) * (v as f64);
            }
            self.n += 1;
        }
    }
    pub fn mean(&self) -> Vec<f64> {
        self.sum.iter().map(|s| s / self.n as f64).collect()
    }
    pub fn var(&self) -> Vec<f64> {
        let m = self.mean();
        self.sum_sq.iter().zip(&m).map(|(s, m)| s / self.n as f64 - m * m).collect()
    }
}
