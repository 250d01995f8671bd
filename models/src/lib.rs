#![doc = include_str!("../README.md")]

pub mod descriptor;
pub mod error;

pub use descriptor::{Descriptor, DescriptorLearner, DescriptorNet, DescriptorNetConfig, DescriptorTarget};
pub use error::{ModelError, Result};
