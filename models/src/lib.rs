#![doc = include_str!("../README.md")]

pub mod descriptor;
pub mod error;
pub mod serde_f32;

pub use descriptor::{Descriptor, DescriptorLearner, DescriptorNet, DescriptorNetConfig, DescriptorTarget};
pub use error::{ModelError, Result};
