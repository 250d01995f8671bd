#![doc = include_str!("../README.md")]

pub mod backend;
pub mod cpu;
#[cfg(feature = "cuda")]
pub mod cuda;
pub mod device;
pub mod error;
pub mod layout;
pub mod op;
mod ops;
mod tensor;

pub use backend::BackendStorage;
pub use device::{ConvAlgorithms, Device, Storage};
pub use error::{Result, TensorError};
pub use layout::Layout;
pub use op::{AdamStep, BinaryOp, ConvGeom, ReduceOp, UnaryOp};
pub use ops::{tf_same_padding, ConvParams, FiniteChecks};
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
