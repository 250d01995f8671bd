//! Metropolis-adjusted Langevin (MALA): a Langevin step as a proposal, then accept/reject.
//!
//! Unadjusted Langevin samples a distribution that is `O(δ²)` away from `p`. MALA treats the
//! Langevin step as a proposal and corrects it with a Metropolis–Hastings test, so `p` is
//! exactly invariant whatever `δ` (a large `δ` only lowers the acceptance rate).
//!
//! With the drift `m(x) = x + δ²/2 · ∇ log p(x)`, chain by chain:
//!
//! ```text
//! proposal:     y = m(x) + δ · ξ,            ξ ~ N(0, I)
//! density:      q(y | x) = N(y; m(x), δ² I) ∝ exp(−‖y − m(x)‖² / (2δ²))
//! log ratio:    log α = log p(y) − log p(x) + log q(x | y) − log q(y | x)
//!                     = log p(y) − log p(x) − ‖x − m(y)‖²/(2δ²) + ‖ξ‖²/2
//! accept:       u ~ U(0, 1);  x ← y if log u < log α, else x stays
//! ```
//!
//! The proposal is not symmetric (`m` depends on where you start), which is why the reverse
//! density `q(x | y)` must be evaluated at the drift *from the proposal*; dropping it gives a
//! wrong sampler. With clipping, `m` uses the clipped gradient in both directions, which is
//! still a valid proposal. With a mask, `ξ` and the drift are zero on frozen coordinates, so
//! the proposal and both densities live on the free coordinates only.

use rand::Rng;
use tensor::Tensor;

use crate::chains::{self, Freeze};
use crate::clip::GradClip;
use crate::error::Result;
use crate::schedule::StepSize;
use crate::target::{LogDensity, ValueAndGrad};
use crate::trace::{Acceptance, Observer, StepInfo};

/// Settings of a MALA run: step size (schedule), number of steps, clipping.
#[derive(Clone, Debug, PartialEq)]
pub struct Mala {
    pub step_size: StepSize,
    pub n_steps: usize,
    pub clip: GradClip,
}

impl Mala {
    /// `n_steps` MALA steps of size `step_size` (a number or a [`StepSize`]).
    pub fn new(step_size: impl Into<StepSize>, n_steps: usize) -> Self {
        Mala { step_size: step_size.into(), n_steps, clip: GradClip::none() }
    }
    pub fn clip(mut self, clip: GradClip) -> Self {
        self.clip = clip;
        self
    }

    /// Run `n_steps` steps on the chains `x` (shape `[n_chains, …]`), updating it in place.
    pub fn run<T, R>(&self, target: &mut T, x: &mut Tensor, rng: &mut R) -> Result<Acceptance>
    where
        T: LogDensity + ?Sized,
        R: Rng + ?Sized,
    {
        self.run_with(target, x, rng, None, &mut |_: &StepInfo<'_>| {})
    }

    /// [`run`](Self::run) with an optional `mask` (state-shaped; `≠ 0` may move, `0` stays
    /// bit-identical) and an `observer` called after every step.
    ///
    /// The target is evaluated `n_steps + 1` times: once at the start (reported as step 0
    /// if it fails) and once per proposal.
    pub fn run_with<T, R, O>(
        &self,
        target: &mut T,
        x: &mut Tensor,
        rng: &mut R,
        mask: Option<&Tensor>,
        observer: &mut O,
    ) -> Result<Acceptance>
    where
        T: LogDensity + ?Sized,
        R: Rng + ?Sized,
        O: Observer + ?Sized,
    {
        self.step_size.validate()?;
        let n = chains::n_chains(x)?;
        let freeze = chains::freeze(mask, x)?;
        let mut acceptance = Acceptance::new(n, self.n_steps);
        let mut cur = chains::evaluate(target, x, 0)?;
        let mut cur_drift = self.drift_grad(&cur.grad, freeze.as_ref())?;
        for t in 0..self.n_steps {
            let delta = self.step_size.at(t, self.n_steps);
            let (prop, prop_drift, y, accepted, finite) =
                self.propose_and_test(target, x, &cur, &cur_drift, delta, t, freeze.as_ref(), rng)?;
            observer.observe(&StepInfo {
                step: t,
                step_size: delta,
                log_density: &cur.value,
                grad: &cur.grad,
                accepted: Some(&accepted),
            })?;
            for (count, &a) in acceptance.per_chain.iter_mut().zip(&accepted) {
                *count += a as usize;
            }
            for (count, &f) in acceptance.non_finite.iter_mut().zip(&finite) {
                *count += usize::from(!f);
            }
            chains::take_chains(x, &y, &accepted)?;
            chains::take_chains(&mut cur.value, &prop.value, &accepted)?;
            chains::take_chains(&mut cur.grad, &prop.grad, &accepted)?;
            chains::take_chains(&mut cur_drift, &prop_drift, &accepted)?;
        }
        Ok(acceptance)
    }

    /// The gradient that enters the drift: clipped, and zero on frozen coordinates.
    fn drift_grad(&self, grad: &Tensor, freeze: Option<&Freeze>) -> Result<Tensor> {
        let mut g = grad.clone();
        self.clip.apply(&mut g)?;
        match freeze {
            Some(f) => f.zero_frozen(&g),
            None => Ok(g),
        }
    }

    /// One proposal `y = x + δ²/2 · g(x) + δ · ξ` per chain and its Metropolis–Hastings test
    /// (module docs). Returns the target at `y`, the drift gradient at `y`, `y`, and which
    /// chains accept.
    #[allow(clippy::too_many_arguments)]
    fn propose_and_test<T, R>(
        &self,
        target: &mut T,
        x: &Tensor,
        cur: &ValueAndGrad,
        cur_drift: &Tensor,
        delta: f32,
        t: usize,
        freeze: Option<&Freeze>,
        rng: &mut R,
    ) -> Result<(ValueAndGrad, Tensor, Tensor, Vec<bool>, Vec<bool>)>
    where
        T: LogDensity + ?Sized,
        R: Rng + ?Sized,
    {
        let half_d2 = 0.5 * delta * delta;
        let mut xi = Tensor::randn_on(x.shape(), 0.0, 1.0, rng, &x.device())?;
        if let Some(f) = freeze {
            xi = f.zero_frozen(&xi)?;
        }
        // y = x + δ²/2 · g(x) + δ · ξ
        let mut y = x.clone();
        y.axpy_(half_d2, cur_drift)?;
        y.axpy_(delta, &xi)?;
        if let Some(f) = freeze {
            f.restore(&mut y)?;
        }
        // a proposal with a NaN or ±Inf is rejected (below), not the end of the run
        let (prop, finite) = chains::evaluate_proposal(target, &y, t)?;
        let prop_drift = self.drift_grad(&prop.grad, freeze)?;

        // log q(y | x) = −‖ξ‖²/2;  log q(x | y) = −‖x − y − δ²/2 · g(y)‖² / (2δ²)
        let mut back = x.sub(&y)?;
        back.axpy_(-half_d2, &prop_drift)?;
        let sq_forward = chains::sq_norm_per_chain(&xi)?;
        let sq_backward = chains::sq_norm_per_chain(&back)?;
        let (lp_x, lp_y) = (cur.value.to_vec(), prop.value.to_vec());
        let d2 = delta as f64 * delta as f64;
        let accepted = (0..lp_x.len())
            .map(|n| {
                let log_alpha = (lp_y[n] as f64 - lp_x[n] as f64) - sq_backward[n] / (2.0 * d2) + sq_forward[n] / 2.0;
                // u ∈ [0, 1): log u < log α  ⇔  u < min(1, α)
                let u: f64 = rng.random();
                finite[n] && u.ln() < log_alpha
            })
            .collect();
        Ok((prop, prop_drift, y, accepted, finite))
    }
}
