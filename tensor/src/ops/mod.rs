//! Tensor operations as methods on [`crate::Tensor`], one family per file. Each method
//! checks shapes, then dispatches on the storage to a backend kernel.

mod binary;
mod channel;
mod conv;
mod finite;
mod inplace;
mod matmul;
mod random;
mod reduce;
mod shape;
mod unary;

pub use conv::{tf_same_padding, ConvParams};
pub use finite::FiniteChecks;
