#![doc = include_str!("../README.md")]

pub mod activation;
pub mod coopnets;
pub mod descriptor;
pub mod error;
pub mod footprint;
pub mod generator;
pub mod learner;
pub mod optim;
pub mod rows;
pub mod schedule;
pub mod serde_f32;

pub use activation::Activation;
pub use coopnets::CoopNetsLearner;
pub use descriptor::{Descriptor, DescriptorLearner, DescriptorNet, DescriptorNetConfig, DescriptorTarget};
pub use error::{ModelError, Result};
pub use footprint::Footprint;
pub use generator::{Generator, GeneratorLearner, GeneratorNet, GeneratorNetConfig};
pub use learner::{Batch, Learner, StatSpec};
pub use optim::{ModelOptimizer, Optim};
pub use schedule::RateSchedule;
