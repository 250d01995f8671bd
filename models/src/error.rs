//! Errors of the models.

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Nn(#[from] nn::NnError),
    #[error(transparent)]
    Autodiff(#[from] autodiff::AutodiffError),
    #[error(transparent)]
    Tensor(#[from] tensor::TensorError),
    /// Langevin sampling failed, e.g. a chain went NaN/Inf (the message names step and chain).
    #[error("Langevin sampling: {0}")]
    Sampler(#[from] sampler::SamplerError),
    /// A configuration that cannot work with the data it is given.
    #[error("{0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, ModelError>;
