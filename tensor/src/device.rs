//! Devices and storage: where the numbers of a tensor live.
//!
//! Design (candle-style, see `tensor/README.md`): a `Tensor` holds an `Arc<Storage>`, and
//! `Storage` is an enum with one arm per backend; each arm's buffer implements
//! [`BackendStorage`]. Ops check shapes in device-neutral code, then [`dispatch!`] calls the
//! one kernel of the arm the tensor lives in. Model code never names a backend: it asks a
//! tensor for its device and creates new tensors there.

use crate::backend::BackendStorage;
use crate::cpu::CpuStorage;
#[cfg(feature = "cuda")]
use crate::cuda::{CudaDevice, CudaStorage};
use crate::error::{Result, TensorError};

/// Where a tensor lives.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Device {
    /// Host memory, kernels in [`crate::cpu`] (rayon + matrixmultiply).
    #[default]
    Cpu,
    /// One NVIDIA GPU, kernels in `crate::cuda` (cuBLAS + NVRTC-compiled CUDA C).
    #[cfg(feature = "cuda")]
    Cuda(CudaDevice),
}

impl Device {
    /// `"cpu"`, `"cuda"` (= `"cuda:0"`) or `"cuda:N"`. Asking for CUDA on a build without the
    /// `cuda` feature, or on a machine without a driver or one of the CUDA libraries, is an
    /// error that names what is missing (never a silent CPU run).
    pub fn parse(name: &str) -> Result<Device> {
        let name = name.trim();
        if name == "cpu" {
            return Ok(Device::Cpu);
        }
        let ordinal = match name.strip_prefix("cuda") {
            Some("") => 0,
            Some(rest) => rest
                .strip_prefix(':')
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| TensorError::DeviceUnavailable(format!("`{name}`: expected cpu, cuda or cuda:N")))?,
            None => return Err(TensorError::DeviceUnavailable(format!("`{name}`: expected cpu, cuda or cuda:N"))),
        };
        Device::cuda(ordinal)
    }

    /// GPU number `ordinal`.
    #[cfg(feature = "cuda")]
    pub fn cuda(ordinal: usize) -> Result<Device> {
        Ok(Device::Cuda(CudaDevice::new(ordinal)?))
    }

    /// GPU number `ordinal`: this build has no CUDA backend.
    #[cfg(not(feature = "cuda"))]
    pub fn cuda(ordinal: usize) -> Result<Device> {
        Err(TensorError::DeviceUnavailable(format!(
            "cuda:{ordinal} was asked for, but this build has no CUDA backend: rebuild with `--features cuda`"
        )))
    }

    pub fn is_cpu(&self) -> bool {
        matches!(self, Device::Cpu)
    }

    /// The convolution algorithms this device chose by timing (CUDA with cuDNN), as text to
    /// keep beside a checkpoint; empty on the CPU.
    pub fn conv_choices(&self) -> String {
        match self {
            Device::Cpu => String::new(),
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => d.conv_choices(),
        }
    }

    /// How convolutions pick their path from now on ([`ConvAlgorithms`]); the CPU has one path
    /// and ignores it.
    pub fn set_conv_algorithms(&self, how: ConvAlgorithms) {
        match self {
            Device::Cpu => {
                let _ = how;
            }
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => d.set_conv_algorithms(how),
        }
    }

    /// Reuse choices of [`Device::conv_choices`] (a resumed run), so the same algorithms
    /// compute the same bits; ignored on the CPU.
    pub fn pin_conv_choices(&self, text: &str) -> Result<()> {
        match self {
            Device::Cpu => {
                let _ = text;
                Ok(())
            }
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => d.pin_conv_choices(text),
        }
    }

    /// Wait until the device has finished all work queued so far (GPUs run asynchronously;
    /// timings need this). A no-op on the CPU.
    pub fn synchronize(&self) -> Result<()> {
        match self {
            Device::Cpu => Ok(()),
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => d.synchronize(),
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            #[cfg(feature = "cuda")]
            Device::Cuda(d) => write!(f, "cuda:{}", d.ordinal()),
        }
    }
}

/// How a GPU's convolutions pick their path (the CUDA backend's `conv.rs`; the CPU has one
/// path). All three give the same results within FP32 rounding; each is deterministic once its
/// choices are made. A run sets it with `run.conv_algorithms` (`"tuned"`, `"im2col"`,
/// `"heuristic"`), the environment with `COOPNETS_CUDNN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvAlgorithms {
    /// im2col + cuBLAS for every convolution.
    Im2col = 0,
    /// cuDNN where the geometry fits, with the first deterministic FP32 algorithm its
    /// heuristics rank (measured slower than im2col on an H100: BENCHMARKS.md, CUDA section).
    CudnnHeuristic = 1,
    /// The default. Per geometry and pass, on first use: time im2col and cuDNN's fastest
    /// deterministic FP32 algorithm on the real buffers and keep cuDNN only if it takes under
    /// 0.8 of im2col's time, like PyTorch's `cudnn.benchmark` (cuDNN's Winograd algorithms are
    /// left out: measured off by up to 5.7% of the output's RMS; its FFT ones are in, so a
    /// result matches im2col's to a tolerance relative to the output's RMS rather than to each
    /// element). Choices depend on timings, so
    /// two fresh runs may choose (and round) differently; a resumed run reuses the choices
    /// stored in its checkpoint ([`Device::pin_conv_choices`]). For bit-identical fresh
    /// runs use `Im2col` (`COOPNETS_CUDNN=im2col`).
    Tuned = 2,
}

/// The flat buffer behind a tensor, one arm per backend.
#[derive(Clone, Debug)]
pub enum Storage {
    Cpu(CpuStorage),
    #[cfg(feature = "cuda")]
    Cuda(CudaStorage),
}

/// Run `$body` with `$s` bound to the backend buffer inside `$storage`, whatever its arm.
/// `$wrap` re-wraps a returned buffer into a `Storage` (use `dispatch!(s, x => expr)` for
/// plain results).
macro_rules! dispatch {
    ($storage:expr, $s:ident => wrap $body:expr) => {
        match $storage {
            $crate::device::Storage::Cpu($s) => $body.map($crate::device::Storage::Cpu),
            #[cfg(feature = "cuda")]
            $crate::device::Storage::Cuda($s) => $body.map($crate::device::Storage::Cuda),
        }
    };
    ($storage:expr, $s:ident => $body:expr) => {
        match $storage {
            $crate::device::Storage::Cpu($s) => $body,
            #[cfg(feature = "cuda")]
            $crate::device::Storage::Cuda($s) => $body,
        }
    };
}
pub(crate) use dispatch;

/// Like [`dispatch!`] for two buffers that must be on the same backend; `$op` names the op
/// in the error when they are not.
macro_rules! dispatch2 {
    ($op:expr, $a:expr, $b:expr, ($x:ident, $y:ident) => wrap $body:expr) => {
        match ($a, $b) {
            ($crate::device::Storage::Cpu($x), $crate::device::Storage::Cpu($y)) => {
                $body.map($crate::device::Storage::Cpu)
            }
            #[cfg(feature = "cuda")]
            ($crate::device::Storage::Cuda($x), $crate::device::Storage::Cuda($y)) => {
                $body.map($crate::device::Storage::Cuda)
            }
            #[allow(unreachable_patterns)]
            (a, b) => Err($crate::error::TensorError::DeviceMismatch {
                op: $op,
                lhs: a.device().to_string(),
                rhs: b.device().to_string(),
            }),
        }
    };
    ($op:expr, $a:expr, $b:expr, ($x:ident, $y:ident) => $body:expr) => {
        match ($a, $b) {
            ($crate::device::Storage::Cpu($x), $crate::device::Storage::Cpu($y)) => $body,
            #[cfg(feature = "cuda")]
            ($crate::device::Storage::Cuda($x), $crate::device::Storage::Cuda($y)) => $body,
            #[allow(unreachable_patterns)]
            (a, b) => Err($crate::error::TensorError::DeviceMismatch {
                op: $op,
                lhs: a.device().to_string(),
                rhs: b.device().to_string(),
            }),
        }
    };
}
pub(crate) use dispatch2;

/// Like [`dispatch2!`] for three buffers on one backend (returning a buffer).
macro_rules! dispatch3 {
    ($op:expr, $a:expr, $b:expr, $c:expr, ($x:ident, $y:ident, $z:ident) => wrap $body:expr) => {
        match ($a, $b, $c) {
            ($crate::device::Storage::Cpu($x), $crate::device::Storage::Cpu($y), $crate::device::Storage::Cpu($z)) => {
                $body.map($crate::device::Storage::Cpu)
            }
            #[cfg(feature = "cuda")]
            (
                $crate::device::Storage::Cuda($x),
                $crate::device::Storage::Cuda($y),
                $crate::device::Storage::Cuda($z),
            ) => $body.map($crate::device::Storage::Cuda),
            #[allow(unreachable_patterns)]
            (a, b, c) => Err($crate::error::TensorError::DeviceMismatch {
                op: $op,
                lhs: a.device().to_string(),
                rhs: format!("{} and {}", b.device(), c.device()),
            }),
        }
    };
}
pub(crate) use dispatch3;

impl Storage {
    pub fn device(&self) -> Device {
        dispatch!(self, s => s.device())
    }

    /// Number of `f32` in the buffer.
    pub fn len(&self) -> usize {
        dispatch!(self, s => s.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A buffer on `device` holding `data`.
    pub fn from_host(device: &Device, data: Vec<f32>) -> Result<Storage> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage(data))),
            #[cfg(feature = "cuda")]
            Device::Cuda(_) => CudaStorage::from_host(device, data).map(Storage::Cuda),
        }
    }

    /// `len` copies of `v` on `device`.
    pub fn full(device: &Device, len: usize, v: f32) -> Result<Storage> {
        match device {
            Device::Cpu => CpuStorage::full(device, len, v).map(Storage::Cpu),
            #[cfg(feature = "cuda")]
            Device::Cuda(_) => CudaStorage::full(device, len, v).map(Storage::Cuda),
        }
    }
}
