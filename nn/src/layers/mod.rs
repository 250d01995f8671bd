//! Layers, each a struct owning named parameters with a `forward` (one layer per file).

pub mod activation;
pub mod batch_norm;
pub mod conv;
pub mod conv_transpose;
pub mod linear;
pub mod reshape;
pub mod sequential;

pub use activation::{LeakyReLU, ReLU, Scale, Sigmoid, Tanh};
pub use batch_norm::BatchNorm;
pub use conv::{Conv, Conv1d, Conv2d, Conv3d, ConvOptions};
pub use conv_transpose::{ConvTranspose, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d};
pub use linear::Linear;
pub use reshape::{Flatten, Reshape};
pub use sequential::Sequential;
