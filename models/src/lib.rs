//! # coopnets-models
//!
//! The UCLA family of generative ConvNets. Now: the [`descriptor`] (generative ConvNet,
//! an energy-based model learned by maximum likelihood with Langevin sampling). The
//! generator (alternating back-propagation) and CoopNets build on the same pieces.

pub mod descriptor;
pub mod error;

pub use descriptor::{Descriptor, DescriptorLearner, DescriptorNet, DescriptorNetConfig, DescriptorTarget};
pub use error::{ModelError, Result};
