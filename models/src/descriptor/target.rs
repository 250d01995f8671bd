//! The descriptor as a target density for the `sampler` crate.
//!
//! `log p(Y) = f(Y; W) − ‖Y‖²/(2σ²) + const`, so
//! `∇_Y log p(Y) = ∂f/∂Y − Y/σ²`, and the sampler's Langevin step
//! `Y ← Y + δ²/2·∇log p(Y) + δ·N(0, I)` is exactly the descriptor's
//! `Y ← Y + δ²/2·(∂f/∂Y − Y/σ²) + δ·N(0, I)`.

use autodiff::Tape;
use sampler::{LogDensity, TargetError, ValueAndGrad};
use tensor::Tensor;

use super::Descriptor;

/// Borrow a descriptor as a log-density over a batch of chains `[N, C, H, W]`.
pub struct DescriptorTarget<'a> {
    pub descriptor: &'a Descriptor,
    tape: Tape,
}

impl<'a> DescriptorTarget<'a> {
    pub fn new(descriptor: &'a Descriptor) -> Self {
        DescriptorTarget { descriptor, tape: Tape::new() }
    }
}

impl LogDensity for DescriptorTarget<'_> {
    fn log_density_and_grad(&mut self, y: &Tensor) -> Result<ValueAndGrad, TargetError> {
        let sigma2 = self.descriptor.reference_sigma * self.descriptor.reference_sigma;
        let yv = self.tape.var(y.clone());
        let f = self.descriptor.score(&yv)?; // [N]; chains are independent, so ∂Σf/∂Y is per chain
                                             // ∂f/∂Y only: the weights are on the tape but not requested, so their gradients are skipped
        let grads = self.tape.backward(&f, &[&yv])?;
        let mut grad = grads.get_or_zeros(&yv);
        drop(grads);
        let mut value = f.value().clone();
        self.tape.clear();
        grad.axpy_(-1.0 / sigma2, y)?; // ∂f/∂Y − Y/σ²
        value.axpy_(-0.5 / sigma2, &y.square().sum_per_example()?)?; // f − ‖Y‖²/(2σ²)
        Ok(ValueAndGrad::new(value, grad))
    }
}
