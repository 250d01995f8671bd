//! The posterior of the generator's latents as a target density for the `sampler` crate.
//!
//! `log p(Z | Y) = −‖M ⊙ (Y − g(Z))‖²/(2s²) − ‖Z‖²/(2σ_z²) + const`, so
//! `∇_Z log p(Z | Y) = gᵀ_Z (M ⊙ (Y − g(Z)))/s² − Z/σ_z²`, and the sampler's Langevin step is
//! exactly ABP's inferential back-propagation.

use autodiff::Tape;
use sampler::{LogDensity, TargetError, ValueAndGrad};
use tensor::Tensor;

use super::Generator;

/// Borrow a generator and the examples `Y` (with an optional visibility mask) as the
/// log-density of their latents `Z` (`[N, latent…]`, one chain per example).
pub struct GeneratorPosterior<'a> {
    pub generator: &'a Generator,
    y: &'a Tensor,
    mask: Option<&'a Tensor>,
    tape: Tape,
}

impl<'a> GeneratorPosterior<'a> {
    pub fn new(generator: &'a Generator, y: &'a Tensor, mask: Option<&'a Tensor>) -> Self {
        GeneratorPosterior { generator, y, mask, tape: Tape::new() }
    }
}

impl LogDensity for GeneratorPosterior<'_> {
    fn log_density_and_grad(&mut self, z: &Tensor) -> Result<ValueAndGrad, TargetError> {
        let sz2 = self.generator.latent_sigma * self.generator.latent_sigma;
        let zv = self.tape.var(z.clone());
        let e = self.generator.residual_energy(&zv, self.y, self.mask)?; // [N]
                                                                         // only ∂e/∂Z is asked for: the weights' gradients are skipped
        let grads = self.tape.backward(&e, &[&zv])?;
        let mut grad = grads.get_or_zeros(&zv);
        drop(grads);
        let mut value = e.value().neg();
        self.tape.clear();
        grad.axpby_(-1.0, -1.0 / sz2, z)?; // gᵀ_Z r/s² − Z/σ_z² (the bits of scale_, axpy_)
        value.axpy_(-0.5 / sz2, &z.square().sum_per_example()?)?; // −e − ‖Z‖²/(2σ_z²)
        Ok(ValueAndGrad::new(value, grad))
    }
}
