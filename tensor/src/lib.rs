//! # coopnets-tensor
//!
//! `f32` n-dimensional tensors with a CPU backend (ndarray-rand for sampling, matrixmultiply
//! for GEMM with its AVX-512 kernel, rayon for threads) and a device abstraction that leaves
//! room for CUDA. Read in this order:
//!
//! 1. [`layout`]: shape, strides, offset; views are layouts.
//! 2. [`device`]: `Device` and the `Storage` enum (one arm per backend).
//! 3. [`Tensor`] (`tensor.rs`): constructors, views, copies.
//! 4. `ops/`: the operations, one family per file; each dispatches to a kernel in [`cpu`].
//! 5. [`cpu::conv`]: im2col + GEMM convolution, GEMM + col2im transposed convolution.
//!
//! ```
//! use tensor::{Tensor, ConvParams, rng_from_seed};
//! let mut rng = rng_from_seed(0);
//! let x = Tensor::randn(&[2, 3, 8, 8], 0.0, 1.0, &mut rng)?;
//! let w = Tensor::randn(&[4, 3, 3, 3], 0.0, 0.1, &mut rng)?;
//! let y = x.conv2d(&w, None, &ConvParams::new(1, 1))?.relu();
//! assert_eq!(y.shape(), &[2, 4, 8, 8]);
//! # Ok::<(), tensor::TensorError>(())
//! ```

pub mod cpu;
pub mod device;
pub mod error;
pub mod layout;
mod ops;
mod tensor;

pub use cpu::elementwise::{BinaryOp, UnaryOp};
pub use device::{Device, Storage};
pub use error::{Result, TensorError};
pub use layout::Layout;
pub use ops::{tf_same_padding, ConvParams};
pub use tensor::Tensor;

/// The random generator used across coopnets: ChaCha8, portable and seekable, so the same
/// seed gives the same numbers on every machine.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator from a seed.
pub fn rng_from_seed(seed: u64) -> Rng {
    use rand::SeedableRng;
    Rng::seed_from_u64(seed)
}

/// An independent generator for sub-stream `stream` of `seed` (e.g. one per iteration, so a
/// resumed run draws exactly what an uninterrupted one would).
pub fn rng_for(seed: u64, stream: u64) -> Rng {
    let mut r = rng_from_seed(seed);
    r.set_stream(stream);
    r
}
