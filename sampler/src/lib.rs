//! # coopnets-sampler
//!
//! Langevin dynamics, Metropolis-adjusted Langevin (MALA) and Hamiltonian Monte Carlo for
//! any differentiable log-density (or energy) on [`tensor::Tensor`]s. It depends on the
//! `tensor` crate only: you hand it a function that returns `log p(x)` and `∇ log p(x)` for
//! a batch of chains, it moves the chains.
//!
//! Read in this order:
//!
//! 1. [`target`]: the [`LogDensity`] / [`Energy`] traits and the closure adapters.
//! 2. [`langevin`]: `x ← x + δ²/2 · ∇ log p(x) + δ · ξ`, in place, with noise on or off.
//! 3. [`mala`]: the same step as a proposal, with the Metropolis–Hastings correction.
//! 4. [`hmc`]: leapfrog proposals, for long moves.
//! 5. [`schedule`], [`clip`], [`trace`], [`error`]: step sizes, gradient clipping,
//!    diagnostics, and the errors (a NaN names its step and chain).
//!
//! Conventions shared by all samplers: the state's axis 0 indexes chains; the caller owns
//! the state (`&mut Tensor`) so chains persist across calls; every random number comes
//! from the RNG you pass; a mask (state-shaped, `0` = frozen) keeps coordinates
//! bit-identical, which is how inpainting samples only the missing pixels.
//!
//! ```
//! use sampler::{from_fn, Langevin, Mala};
//! use tensor::{rng_from_seed, Tensor};
//!
//! // N(0, I) in 2-d: log p = −‖x‖²/2, ∇ log p = −x
//! let mut target = from_fn(|x: &Tensor| {
//!     Ok((x.square().sum_per_example()?.mul_scalar(-0.5), x.neg()))
//! });
//! let mut rng = rng_from_seed(0);
//! let mut x = Tensor::zeros(&[100, 2]); // 100 chains
//! Langevin::new(0.5, 50).run(&mut target, &mut x, &mut rng)?;
//! let acc = Mala::new(0.9, 50).run(&mut target, &mut x, &mut rng)?;
//! assert!(acc.rate() > 0.5);
//! # Ok::<(), sampler::SamplerError>(())
//! ```

mod chains;
pub mod clip;
pub mod error;
pub mod hmc;
pub mod langevin;
pub mod mala;
pub mod schedule;
pub mod target;
pub mod trace;

pub use chains::chain_of;
pub use clip::GradClip;
pub use error::{Quantity, Result, SamplerError};
pub use hmc::Hmc;
pub use langevin::Langevin;
pub use mala::Mala;
pub use schedule::StepSize;
pub use target::{
    energy_from_fn, from_fn, Energy, FnEnergy, FnTarget, FromEnergy, LogDensity, TargetError, ValueAndGrad,
};
pub use trace::{Acceptance, Observer, StepInfo, Trace};

/// The README's example compiles (`cargo test --doc`); `tests/readme.rs` checks it is the
/// same code as `examples/mixture.rs`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
