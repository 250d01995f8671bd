//! Unadjusted Langevin dynamics (ULA), the sampler of the CoopNets papers.
//!
//! One step moves every chain along the gradient of the log-density and adds Gaussian noise:
//!
//! ```text
//! x ← x + δ²/2 · ∇ log p(x) + δ · ξ,        ξ ~ N(0, I)
//! ```
//!
//! For small `δ` the chain's distribution approaches `p`, with an `O(δ²)` bias that MALA
//! ([`crate::Mala`]) removes. With the noise off the step is gradient ascent on `log p`
//! with rate `δ²/2` (the "gradient descent" variant of the reference code), which finds a
//! mode. Chains are persistent: the caller owns the state and passes it in as `&mut`, so a
//! run continues where the previous one stopped.
//!
//! The step is done in place on the state (`langevin_`: drift and noise in one pass): besides the target's
//! own tensors, nothing state-sized is allocated per step unless clipping is on.
//!
//! Every step's log-density, gradient and new state are checked for NaN and ±Inf. On the CPU
//! a hit stops the run at once. On a GPU the checks are queued on the device and read at the
//! end of the run (and every 1024 checks), so that the GPU is not made to wait at every step:
//! a run with a NaN goes on to the next read on garbage, then returns the error of the first
//! bad step, naming it, the chain and the quantity, as an immediate check would.

use rand::Rng;
use tensor::Tensor;

use crate::chains::{self, Checks, Freeze};
use crate::clip::GradClip;
use crate::error::{Quantity, Result, SamplerError};
use crate::schedule::StepSize;
use crate::target::{LogDensity, ValueAndGrad};
use crate::trace::{Observer, StepInfo};

/// Settings of a Langevin run: step size (schedule), number of steps, noise, clipping.
#[derive(Clone, Debug, PartialEq)]
pub struct Langevin {
    pub step_size: StepSize,
    pub n_steps: usize,
    /// Add `δ·ξ` (true, sampling) or not (false, gradient ascent to a mode).
    pub noise: bool,
    pub clip: GradClip,
}

impl Langevin {
    /// `n_steps` noisy steps of size `step_size` (a number or a [`StepSize`]), no clipping.
    pub fn new(step_size: impl Into<StepSize>, n_steps: usize) -> Self {
        Langevin { step_size: step_size.into(), n_steps, noise: true, clip: GradClip::none() }
    }
    /// Turn the noise term on (default) or off (gradient ascent).
    pub fn noise(mut self, on: bool) -> Self {
        self.noise = on;
        self
    }
    pub fn clip(mut self, clip: GradClip) -> Self {
        self.clip = clip;
        self
    }

    /// Run `n_steps` steps on the chains `x` (shape `[n_chains, …]`), updating it in place.
    pub fn run<T, R>(&self, target: &mut T, x: &mut Tensor, rng: &mut R) -> Result<()>
    where
        T: LogDensity + ?Sized,
        R: Rng + ?Sized,
    {
        self.run_with(target, x, rng, None, &mut |_: &StepInfo<'_>| {})
    }

    /// [`run`](Self::run) with an optional `mask` (state-shaped; `≠ 0` may move, `0` stays
    /// bit-identical) and an `observer` called after every step.
    pub fn run_with<T, R, O>(
        &self,
        target: &mut T,
        x: &mut Tensor,
        rng: &mut R,
        mask: Option<&Tensor>,
        observer: &mut O,
    ) -> Result<()>
    where
        T: LogDensity + ?Sized,
        R: Rng + ?Sized,
        O: Observer + ?Sized,
    {
        self.step_size.validate()?;
        chains::n_chains(x)?;
        let freeze = chains::freeze(mask, x)?;
        let mut checks = Checks::default();
        let mut run = || -> Result<()> {
            for t in 0..self.n_steps {
                let delta = self.step_size.at(t, self.n_steps);
                let vg = self.step(target, x, (t, delta), freeze.as_ref(), &mut checks, rng)?;
                observer.observe(&StepInfo {
                    step: t,
                    step_size: delta,
                    log_density: &vg.value,
                    grad: &vg.grad,
                    accepted: None,
                })?;
            }
            Ok(())
        };
        match run() {
            // found at once (on the CPU, or when the queue was read): the run stopped there
            Err(e @ SamplerError::NonFinite { .. }) => Err(e),
            // a NaN found by a queued check came first: it is the error to report
            ran => checks.finish().and(ran),
        }
    }

    /// One Langevin step of size `delta` on `x`, in place:
    ///
    /// ```text
    /// x ← x + δ²/2 · clip(∇ log p(x)) + δ · ξ,   ξ ~ N(0, I)   (ξ term only with noise on)
    /// ```
    ///
    /// then frozen coordinates are restored; `(t, delta)` are the step's number and size.
    /// Returns the log-density and the (unclipped) gradient at the state *before* the step.
    fn step<T, R>(
        &self,
        target: &mut T,
        x: &mut Tensor,
        (t, delta): (usize, f32),
        freeze: Option<&Freeze>,
        checks: &mut Checks,
        rng: &mut R,
    ) -> Result<ValueAndGrad>
    where
        T: LogDensity + ?Sized,
        R: Rng + ?Sized,
    {
        let vg = checks.evaluate(target, x, t)?;
        let clipped;
        let g = if self.clip.is_off() {
            &vg.grad
        } else {
            let mut g = vg.grad.clone();
            self.clip.apply(&mut g)?;
            clipped = g;
            &clipped
        };
        if self.noise {
            x.langevin_(0.5 * delta * delta, g, delta, rng)?; // x += δ²/2 · ∇ log p(x) + δ · ξ, one pass
        } else {
            x.axpy_(0.5 * delta * delta, g)?; // x += δ²/2 · ∇ log p(x)
        }
        if let Some(f) = freeze {
            f.restore(x)?;
        }
        checks.queue(x, Quantity::State, t)?;
        Ok(vg)
    }
}
