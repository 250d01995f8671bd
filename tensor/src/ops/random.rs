//! Random tensors. Every draw takes an explicit RNG: there is no global generator, so a run
//! is reproduced by its seed. Use [`crate::rng_from_seed`] for a portable seeded generator.
//!
//! On the CPU the numbers come from `rng` itself, one per element. A GPU backend may instead
//! draw a key from `rng` and generate on the device (see its docs): same seed, same device →
//! same numbers.

use rand::RngCore;

use crate::backend::BackendStorage;
use crate::cpu::CpuStorage;
use crate::device::{Device, Storage};
use crate::error::{invalid_arg, Result};
use crate::Tensor;

impl Tensor {
    /// Samples of `N(mean, std²)` on the CPU.
    pub fn randn<R: RngCore + ?Sized>(shape: &[usize], mean: f32, std: f32, rng: &mut R) -> Result<Tensor> {
        Tensor::randn_on(shape, mean, std, rng, &Device::Cpu)
    }

    /// Samples of `N(mean, std²)` on `device`.
    pub fn randn_on<R: RngCore + ?Sized>(
        shape: &[usize],
        mean: f32,
        std: f32,
        mut rng: &mut R,
        device: &Device,
    ) -> Result<Tensor> {
        if !(std >= 0.0 && std.is_finite() && mean.is_finite()) {
            return Err(invalid_arg("randn", format!("mean {mean}, std {std}: need finite values and std ≥ 0")));
        }
        let rng: &mut dyn RngCore = &mut rng;
        let s = match device {
            Device::Cpu => Storage::Cpu(CpuStorage::randn(device, shape, mean, std, rng)?),
            #[cfg(feature = "cuda")]
            Device::Cuda(_) => Storage::Cuda(crate::cuda::CudaStorage::randn(device, shape, mean, std, rng)?),
        };
        Ok(Tensor::from_storage(s, shape))
    }

    /// Samples of `U[lo, hi)` on the CPU.
    pub fn rand_uniform<R: RngCore + ?Sized>(shape: &[usize], lo: f32, hi: f32, rng: &mut R) -> Result<Tensor> {
        Tensor::rand_uniform_on(shape, lo, hi, rng, &Device::Cpu)
    }

    /// Samples of `U[lo, hi)` on `device`.
    pub fn rand_uniform_on<R: RngCore + ?Sized>(
        shape: &[usize],
        lo: f32,
        hi: f32,
        mut rng: &mut R,
        device: &Device,
    ) -> Result<Tensor> {
        if !(lo < hi && lo.is_finite() && hi.is_finite()) {
            return Err(invalid_arg("rand_uniform", format!("[{lo}, {hi}): need finite lo < hi")));
        }
        let rng: &mut dyn RngCore = &mut rng;
        let s = match device {
            Device::Cpu => Storage::Cpu(CpuStorage::rand_uniform(device, shape, lo, hi, rng)?),
            #[cfg(feature = "cuda")]
            Device::Cuda(_) => Storage::Cuda(crate::cuda::CudaStorage::rand_uniform(device, shape, lo, hi, rng)?),
        };
        Ok(Tensor::from_storage(s, shape))
    }
}
