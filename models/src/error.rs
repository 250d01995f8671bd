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
    /// A failure inside one part of a model's iteration, e.g. the descriptor's revision in
    /// CoopNets (the context names the part).
    #[error("{context}: {source}")]
    In {
        context: &'static str,
        #[source]
        source: Box<ModelError>,
    },
    /// A configuration that cannot work with the data it is given.
    #[error("{0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, ModelError>;

impl ModelError {
    /// This error, with the part of the model it happened in.
    pub fn within(self, context: &'static str) -> ModelError {
        ModelError::In { context, source: Box::new(self) }
    }
}
