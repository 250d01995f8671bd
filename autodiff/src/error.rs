//! Errors of graph building and differentiation.

use tensor::TensorError;

#[derive(Debug, thiserror::Error)]
pub enum AutodiffError {
    /// An op on the values failed (usually a shape mismatch).
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// A `Var` recorded before the last `Tape::clear` was used again.
    #[error("{0}: this Var belongs to a tape that has been cleared since it was created")]
    StaleVar(&'static str),
    /// Vars from two different tapes were combined.
    #[error("{0}: Vars from different tapes cannot be combined")]
    ForeignVar(&'static str),
    /// The seed gradient of `backward` does not have the output's shape.
    #[error("backward: seed of shape {seed:?} for an output of shape {output:?}")]
    SeedShape { seed: Vec<usize>, output: Vec<usize> },
    /// Analytic and numeric gradients disagree (see [`crate::gradcheck`]).
    #[error("gradient check failed for input {input}, element {index}: analytic {analytic}, numeric {numeric} (tolerance {tolerance})")]
    GradCheck { input: usize, index: usize, analytic: f64, numeric: f64, tolerance: f64 },
}

pub type Result<T> = std::result::Result<T, AutodiffError>;
