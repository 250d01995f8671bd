//! Errors of layers, optimizers and checkpoints.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum NnError {
    #[error(transparent)]
    Autodiff(#[from] autodiff::AutodiffError),
    #[error(transparent)]
    Tensor(#[from] tensor::TensorError),
    /// A layer was configured with impossible sizes.
    #[error("{layer}: {msg}")]
    Config { layer: &'static str, msg: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file is not a readable safetensors/JSON checkpoint (truncated, corrupt, wrong dtype).
    #[error("{path}: not a valid checkpoint: {msg}")]
    Corrupt { path: PathBuf, msg: String },
    /// The checkpoint does not fit the model: every mismatch is listed.
    #[error("{path}: checkpoint does not match the model:\n  {}", mismatches.join("\n  "))]
    Mismatch { path: PathBuf, mismatches: Vec<String> },
}

pub type Result<T> = std::result::Result<T, NnError>;

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> NnError + '_ {
    move |source| NnError::Io { path: path.to_path_buf(), source }
}
