#![doc = include_str!("../README.md")]

pub mod checkpoint;
pub mod dist;
pub mod error;
pub mod init;
pub mod layers;
pub mod loss;
pub mod module;
pub mod optim;
pub mod parameter;

pub use error::{NnError, Result};
pub use init::Init;
pub use module::{param_grads, Module, ParamGrads};
pub use parameter::Parameter;
