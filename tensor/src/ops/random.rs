//! Random tensors. Every draw takes an explicit RNG: there is no global generator, so a run
//! is reproduced by its seed. Use [`crate::rng_from_seed`] for a portable seeded generator.

use ndarray::IxDyn;
use ndarray_rand::RandomExt;
use rand::Rng;
use rand_distr::{Normal, StandardNormal, Uniform};

use crate::error::{invalid_arg, Result};
use crate::Tensor;

impl Tensor {
    /// Samples of `N(mean, std²)`.
    pub fn randn<R: Rng + ?Sized>(shape: &[usize], mean: f32, std: f32, rng: &mut R) -> Result<Tensor> {
        let dist = Normal::new(mean, std).map_err(|e| invalid_arg("randn", format!("std {std}: {e}")))?;
        let a = ndarray::Array::random_using(IxDyn(shape), dist, rng);
        Ok(Tensor::from_cpu(a.into_raw_vec_and_offset().0, shape))
    }

    /// Samples of `U[lo, hi)`.
    pub fn rand_uniform<R: Rng + ?Sized>(shape: &[usize], lo: f32, hi: f32, rng: &mut R) -> Result<Tensor> {
        let dist = Uniform::new(lo, hi).map_err(|e| invalid_arg("rand_uniform", format!("[{lo}, {hi}): {e}")))?;
        let a = ndarray::Array::random_using(IxDyn(shape), dist, rng);
        Ok(Tensor::from_cpu(a.into_raw_vec_and_offset().0, shape))
    }

    /// `self ← self + std·N(0, I)`, in place (the noise term of a Langevin step).
    pub fn add_randn_<R: Rng + ?Sized>(&mut self, std: f32, rng: &mut R) {
        for v in self.cpu_data_mut() {
            let z: f32 = rng.sample(StandardNormal);
            *v += std * z;
        }
    }
}
