//! Errors of a sampling run: what went wrong, at which step, in which chain.
//!
//! A sampler never panics on bad numbers: a NaN or ±Inf in the log-density, the gradient or
//! the new state stops the run with [`SamplerError::NonFinite`], which names the step and
//! the chain (the index along axis 0 of the state) where it first appeared. (On a GPU,
//! Langevin reads its checks in batches, so the run stops at the next read, not at the bad
//! step itself; the error names the bad step all the same.)

use tensor::TensorError;

use crate::target::TargetError;

/// The quantity in which a non-finite number was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// The log-density (or energy) the target returned, one number per chain.
    LogDensity,
    /// The gradient the target returned.
    Gradient,
    /// The state after the update (or the proposal, for MALA and HMC).
    State,
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Quantity::LogDensity => "log-density",
            Quantity::Gradient => "gradient",
            Quantity::State => "state",
        })
    }
}

/// Everything a sampling run can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SamplerError {
    /// A NaN or ±Inf appeared; `step` counts from 0, `chain` is the index along axis 0.
    #[error("step {step}: non-finite {quantity} in chain {chain} (element {index})")]
    NonFinite {
        step: usize,
        chain: usize,
        quantity: Quantity,
        /// Row-major index of the first bad element inside `quantity`.
        index: usize,
    },
    /// The target returned a value or gradient of the wrong shape.
    #[error("step {step}: the target returned {what} of shape {got:?}, expected {expected:?}")]
    TargetShape { step: usize, what: &'static str, got: Vec<usize>, expected: Vec<usize> },
    /// The target itself failed (its own error, passed through).
    #[error("step {step}: the target failed: {source}")]
    Target {
        step: usize,
        #[source]
        source: TargetError,
    },
    /// A sampler setting or argument that cannot work (step size ≤ 0, empty state, ...).
    #[error("invalid sampler configuration: {0}")]
    Config(String),
    /// A tensor operation failed (shape mismatch of a mask, ...).
    #[error(transparent)]
    Tensor(#[from] TensorError),
}

/// `Result` with [`SamplerError`].
pub type Result<T> = std::result::Result<T, SamplerError>;
