//! # coopnets-nn
//!
//! `torch.nn` and `torch.optim` in Rust, on [`autodiff`]: layers owning named parameters,
//! initialisers, SGD/Adam with lr multipliers and clipping, schedules, and safetensors
//! checkpoints that PyTorch opens.
//!
//! ```
//! use autodiff::Tape;
//! use nn::{layers::*, optim::{Adam, Optimizer}, Init, Module};
//! use tensor::{rng_from_seed, Tensor};
//! let mut rng = rng_from_seed(0);
//! let mut net = Sequential::new()
//!     .push(Conv2d::new(1, 4, &[3], ConvOptions::new(1, 1), &mut rng)?)
//!     .push(ReLU)
//!     .push(Flatten)
//!     .push(Linear::new(4 * 8 * 8, 2, true, Init::XavierUniform, &mut rng)?);
//! let mut opt = Adam::new(1e-2);
//! let x = Tensor::randn(&[5, 1, 8, 8], 0.0, 1.0, &mut rng)?;
//! let tape = Tape::new();
//! let loss = nn::loss::cross_entropy(&net.forward(&tape.constant(x))?, &[0, 1, 0, 1, 1])?;
//! let grads = nn::param_grads(&tape, &loss, &net)?;
//! opt.step(&mut net, &grads)?;
//! assert_eq!(net.named_parameters()[0].0, "0.weight");
//! # Ok::<(), nn::NnError>(())
//! ```

pub mod checkpoint;
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
