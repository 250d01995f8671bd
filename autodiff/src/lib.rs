#![doc = include_str!("../README.md")]

pub mod error;
pub mod gradcheck;
pub mod gradients;
mod ops;
pub mod tape;
pub mod var;

pub use error::{AutodiffError, Result};
pub use gradcheck::{GradCheck, GradCheckReport};
pub use gradients::Gradients;
pub use ops::BatchStats;
pub use tape::Tape;
pub use var::Var;
