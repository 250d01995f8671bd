//! # coopnets-autodiff
//!
//! Reverse-mode automatic differentiation on a tape, for [`tensor::Tensor`]s.
//!
//! ```
//! use autodiff::Tape;
//! use tensor::Tensor;
//! // a 2-layer net y = relu(x·W1)·W2, and dy/dW1, dy/dx
//! let tape = Tape::new();
//! let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], &[1, 2])?);
//! let w1 = tape.var(Tensor::from_vec(vec![0.5, -1.0, 0.25, 1.0], &[2, 2])?);
//! let w2 = tape.var(Tensor::from_vec(vec![2.0, 3.0], &[2, 1])?);
//! let y = x.matmul(&w1)?.relu()?.matmul(&w2)?;
//! let grads = tape.backward(&y, &[&w1, &x])?;
//! // h = x·W1 = [1.0, 1.0]; both units active, so dy/dW1[i][j] = x[i]·W2[j]
//! assert_eq!(grads.get(&w1).unwrap().to_vec(), vec![2.0, 3.0, 4.0, 6.0]);
//! # Ok::<(), autodiff::AutodiffError>(())
//! ```
//!
//! Read in this order: [`tape`] (record and `backward`), [`var`] (`Var`), `ops/` (one file per
//! family, each rule next to its op), [`gradcheck`] (the finite-difference checker).

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
