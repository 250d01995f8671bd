//! Devices and storage: where the numbers of a tensor live.
//!
//! Design (candle-style, see `tensor/README.md`): a `Tensor` holds an `Arc<Storage>`, and
//! `Storage` is an enum with one arm per backend. Each op matches on the arm and calls that
//! backend's kernel. Model code never names a backend: it is generic over nothing and picks the
//! device at run time. A CUDA backend adds a `Storage::Cuda` arm behind the `cuda` feature; the
//! code that uses tensors does not change.

/// Where a tensor lives.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Device {
    /// Host memory, kernels in [`crate::cpu`] (rayon + matrixmultiply).
    #[default]
    Cpu,
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
        }
    }
}

/// The flat buffer behind a tensor, one arm per backend.
#[derive(Clone, Debug)]
pub enum Storage {
    /// A row-major `f32` buffer in host memory.
    Cpu(Vec<f32>),
}

impl Storage {
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
        }
    }

    /// Number of `f32` in the buffer.
    pub fn len(&self) -> usize {
        match self {
            Storage::Cpu(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
