//! Hamiltonian Monte Carlo (HMC): many gradient steps per proposal, still exact.
//!
//! Each chain gets a fresh momentum `p ~ N(0, I)` and follows the dynamics of the energy
//! `H(x, p) = −log p(x) + ½‖p‖²` for `L` leapfrog steps of size `ε`:
//!
//! ```text
//! p ← p + ε/2 · ∇ log p(x)
//! repeat L times:
//!     x ← x + ε · p
//!     p ← p + ε · ∇ log p(x)          (ε/2 on the last of the L steps)
//! accept:  u ~ U(0, 1);  (x, p) ← (x', p') if log u < H(x, p) − H(x', p')
//! ```
//!
//! Leapfrog preserves volume and is reversible (with `p → −p`), so the Metropolis test with
//! the change in `H` makes `p(x)` exactly invariant; `H` is nearly conserved, so long moves
//! are accepted. With `L = 1` HMC is MALA with `δ = ε`. Clipping the gradient keeps the
//! leapfrog map volume-preserving and reversible, so it stays exact; a mask zeroes the
//! momentum and the gradient on frozen coordinates.
//!
//! A fixed trajectory length `L·ε` can be a multiple of half the period of some direction
//! of the target (for a Gaussian of scale `s` the period is `2πs`); that direction then only
//! flips or returns and never mixes. [`Hmc::jitter`] draws `ε` afresh for every proposal,
//! uniformly in `ε·[1 − j, 1 + j]`, which breaks the resonance (a fixed `ε`-distribution is
//! independent of the state, so the sampler stays exact).

use rand::Rng;
use tensor::Tensor;

use crate::chains::{self, Freeze};
use crate::clip::GradClip;
use crate::error::{Result, SamplerError};
use crate::schedule::StepSize;
use crate::target::LogDensity;
use crate::trace::{Acceptance, Observer, StepInfo};

/// Settings of an HMC run: leapfrog step (schedule over HMC steps), leapfrog steps per
/// proposal, number of proposals, clipping.
#[derive(Clone, Debug, PartialEq)]
pub struct Hmc {
    pub step_size: StepSize,
    pub n_leapfrog: usize,
    pub n_steps: usize,
    pub clip: GradClip,
    /// Relative jitter `j ∈ [0, 1)` of the leapfrog step, drawn per proposal (0 = fixed).
    pub jitter: f32,
}

impl Hmc {
    /// `n_steps` proposals of `n_leapfrog` leapfrog steps of size `step_size` each.
    pub fn new(step_size: impl Into<StepSize>, n_leapfrog: usize, n_steps: usize) -> Self {
        Hmc { step_size: step_size.into(), n_leapfrog, n_steps, clip: GradClip::none(), jitter: 0.0 }
    }
    /// Draw the leapfrog step of each proposal uniformly in `ε·[1 − j, 1 + j]`.
    pub fn jitter(mut self, j: f32) -> Self {
        self.jitter = j;
        self
    }
    pub fn clip(mut self, clip: GradClip) -> Self {
        self.clip = clip;
        self
    }

    /// Run `n_steps` proposals on the chains `x` (shape `[n_chains, …]`), in place.
    pub fn run<T, R>(&self, target: &mut T, x: &mut Tensor, rng: &mut R) -> Result<Acceptance>
    where
        T: LogDensity + ?Sized,
        R: Rng + ?Sized,
    {
        self.run_with(target, x, rng, None, &mut |_: &StepInfo<'_>| {})
    }

    /// [`run`](Self::run) with an optional `mask` and an `observer` called after every
    /// proposal. The target is evaluated `1 + n_steps · n_leapfrog` times.
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
        if self.n_leapfrog == 0 {
            return Err(SamplerError::Config("HMC needs n_leapfrog ≥ 1".into()));
        }
        if !(0.0..1.0).contains(&self.jitter) {
            return Err(SamplerError::Config(format!("HMC jitter {} not in [0, 1)", self.jitter)));
        }
        let n = chains::n_chains(x)?;
        let freeze = chains::freeze(mask, x)?;
        let mut acceptance = Acceptance::new(n, self.n_steps);
        let mut cur = chains::evaluate(target, x, 0)?;
        for t in 0..self.n_steps {
            let mut eps = self.step_size.at(t, self.n_steps);
            if self.jitter > 0.0 {
                eps *= 1.0 + self.jitter * (2.0 * rng.random::<f32>() - 1.0);
            }
            let mut p = Tensor::randn_on(x.shape(), 0.0, 1.0, rng, &x.device())?;
            if let Some(f) = freeze.as_ref() {
                p = f.zero_frozen(&p)?;
            }
            // H(x, p) = −log p(x) + ½‖p‖², per chain
            let h0: Vec<f64> = energy(&cur.value, &p)?;

            // leapfrog: half kick, then L × (drift, kick), the last kick a half one
            let mut y = x.clone();
            let mut at_y = cur.clone();
            let mut finite = vec![true; n];
            p.axpy_(0.5 * eps, &self.kick_grad(&at_y.grad, freeze.as_ref())?)?;
            for l in 0..self.n_leapfrog {
                y.axpy_(eps, &p)?;
                if let Some(f) = freeze.as_ref() {
                    f.restore(&mut y)?;
                }
                // a trajectory that meets a NaN or ±Inf is rejected (below), not the end of the run
                let (vg, ok) = chains::evaluate_proposal(target, &y, t)?;
                at_y = vg;
                finite.iter_mut().zip(ok).for_each(|(f, o)| *f &= o);
                let kick = if l + 1 == self.n_leapfrog { 0.5 * eps } else { eps };
                p.axpy_(kick, &self.kick_grad(&at_y.grad, freeze.as_ref())?)?;
            }
            let h1 = energy(&at_y.value, &p)?;
            let accepted: Vec<bool> = (0..n)
                .map(|i| {
                    let u: f64 = rng.random();
                    finite[i] && u.ln() < h0[i] - h1[i]
                })
                .collect();
            observer.observe(&StepInfo {
                step: t,
                step_size: eps,
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
            chains::take_chains(&mut cur.value, &at_y.value, &accepted)?;
            chains::take_chains(&mut cur.grad, &at_y.grad, &accepted)?;
        }
        Ok(acceptance)
    }

    /// The gradient used in a momentum kick: clipped, zero on frozen coordinates.
    fn kick_grad(&self, grad: &Tensor, freeze: Option<&Freeze>) -> Result<Tensor> {
        let mut g = grad.clone();
        self.clip.apply(&mut g)?;
        match freeze {
            Some(f) => f.zero_frozen(&g),
            None => Ok(g),
        }
    }
}

/// `H = −log p(x) + ½‖p‖²` per chain, in f64.
fn energy(log_density: &Tensor, p: &Tensor) -> Result<Vec<f64>> {
    let kinetic = chains::sq_norm_per_chain(p)?;
    Ok(log_density.to_vec().iter().zip(kinetic).map(|(&lp, k)| -(lp as f64) + 0.5 * k).collect())
}
