//! Errors of tensor operations: wrong shapes and bad arguments are values, not panics.

/// Everything a tensor operation can refuse.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TensorError {
    /// Two shapes that an op needs to agree (or broadcast) do not.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible")]
    ShapeMismatch { op: &'static str, lhs: Vec<usize>, rhs: Vec<usize> },
    /// A shape that is wrong on its own (wrong rank, zero-size kernel, ...).
    #[error("{op}: {msg}")]
    InvalidShape { op: &'static str, msg: String },
    /// An argument out of range (axis, slice bounds, ...).
    #[error("{op}: {msg}")]
    InvalidArgument { op: &'static str, msg: String },
    /// A buffer whose length does not match the shape it is given.
    #[error("buffer of {len} elements cannot have shape {shape:?} ({numel} elements)")]
    LengthMismatch { len: usize, shape: Vec<usize>, numel: usize },
    /// Two operands live on different devices (move one with `to_device` first).
    #[error("{op}: operands on different devices ({lhs} and {rhs})")]
    DeviceMismatch { op: &'static str, lhs: String, rhs: String },
    /// The operation needs a device that is not available.
    #[error("device unavailable: {0}")]
    DeviceUnavailable(String),
}

/// `Result` with [`TensorError`].
pub type Result<T> = std::result::Result<T, TensorError>;

pub(crate) fn invalid_arg(op: &'static str, msg: impl Into<String>) -> TensorError {
    TensorError::InvalidArgument { op, msg: msg.into() }
}

pub(crate) fn invalid_shape(op: &'static str, msg: impl Into<String>) -> TensorError {
    TensorError::InvalidShape { op, msg: msg.into() }
}
