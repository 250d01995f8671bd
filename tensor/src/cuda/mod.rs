//! CUDA backend: one NVIDIA GPU through [cudarc](https://docs.rs/cudarc) (feature `cuda`).
//!
//! * **Loading.** cudarc is built with `dynamic-loading` and the CUDA 13.0 bindings
//!   (`cuda-13000`): nothing CUDA is needed to build, or to run on the CPU. The driver
//!   (`libcuda`), cuBLAS (`libcublas`) and NVRTC (`libnvrtc`) are opened when a CUDA device is
//!   first asked for; [`CudaDevice::new`] checks each one first and answers
//!   [`TensorError::DeviceUnavailable`] naming what is missing (cudarc itself would panic at the
//!   first call into a missing library). `dlopen` looks in `LD_LIBRARY_PATH`, then the
//!   `ldconfig` cache, for the names cudarc lists (`cudarc::get_lib_name_candidates`); on Linux,
//!   for cuBLAS: `libcublas.so`, `libcublas.so.13`, `.so.12`, `.so.11`, `.so.10`, `.so.9`, `.so.1`
//!   (likewise `libcuda.so*`, `libnvrtc.so*`). cuDNN (`libcudnn.so`, `.so.13` … `.so.9`, e.g.
//!   pip's `nvidia-cudnn-cu13` in `site-packages/nvidia/cudnn/lib`) is optional: without it,
//!   or with `COOPNETS_CUDNN=0` (not even loaded), convolutions run as im2col + cuBLAS
//!   ([`CudaDevice::has_cudnn`], [`CudaDevice::cudnn_unavailable_reason`]).
//! * **Kernels.** GEMMs run on cuBLAS (FP32, no TF32: results within 1e-4 of the CPU's).
//!   Convolutions run as im2col + cuBLAS or on cuDNN (FP32 FMA math, no TF32, where the
//!   geometry fits its symmetric padding), per geometry and pass the faster of the two by
//!   default ([`ConvAlgorithms`]; `conv.rs`, `cudnn.rs`). Everything else is CUDA C in
//!   `kernels/*.cu`, compiled once per device by NVRTC for the device's compute capability
//!   (`launch.rs`) and cached on disk. All work goes to one stream in order, so the host waits
//!   only when it reads numbers back (`to_host`, `reduce_all`, `first_non_finite`).
//!   `COOPNETS_CUDA_PROFILE=1` times every kernel (`profile.rs`).
//! * **Determinism.** No kernel uses atomics and every reduction has a fixed shape, so the same
//!   inputs give the same bits on every run on the same GPU (cuBLAS guarantees the same for its
//!   GEMMs on one GPU model and library version; cuDNN is only given algorithms it reports as
//!   `CUDNN_DETERMINISTIC`). A cuDNN and an im2col run of one convolution differ in rounding,
//!   so which path a convolution takes changes the bits: the default choice by timing
//!   ([`ConvAlgorithms::Tuned`]) can differ between fresh runs, and is stored in checkpoints
//!   so that a resumed run keeps it; `COOPNETS_CUDNN=im2col` gives the same bits on every run.
//! * **Random numbers** are generated on the device by Philox4x32-10 keyed with one `u64` drawn
//!   from the caller's generator per call (see `kernels/random.cu`): same seed and GPU, same
//!   numbers. They are not the CPU's numbers (the CPU draws every element from the ChaCha stream
//!   itself), only the same distribution.

mod blas;
mod channel;
mod conv;
mod cudnn;
mod cudnn_algos;
mod elementwise;
mod extend;
mod launch;
mod profile;
mod reduce;
mod storage;
mod tune;

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::cublas::CudaBlas;
use cudarc::driver::{sys, CudaContext, CudaStream};

pub use crate::device::ConvAlgorithms;
use crate::error::{Result, TensorError};
pub use profile::ProfileRow;
pub use storage::CudaStorage;

/// One GPU: its context, the stream every op of this crate runs on, a cuBLAS handle and the
/// compiled kernels. Cheap to clone (an `Arc`); two handles are equal when they name the same GPU.
#[derive(Clone)]
pub struct CudaDevice {
    inner: Arc<Inner>,
}

struct Inner {
    ordinal: usize,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    blas: CudaBlas,
    kernels: OnceLock<std::result::Result<launch::Kernels, String>>,
    /// Multiprocessors, to size grids.
    sm_count: u32,
    /// Compute capability (major, minor).
    cc: (i32, i32),
    /// cuDNN's handle, plans and workspace; `Err`: why convolutions use im2col instead.
    cudnn: std::result::Result<Mutex<cudnn::Cudnn>, String>,
    /// How convolutions pick their path: a [`ConvAlgorithms`] as `u8`.
    conv_algorithms: AtomicU8,
    /// Convolution passes cuDNN has run.
    cudnn_passes: AtomicU64,
    /// Timed spans when `COOPNETS_CUDA_PROFILE=1` (`profile.rs`).
    timeline: profile::Timeline,
    /// [`CHANNEL_COUNTERS`] zeroed counters for `channel_sums` (`channel.rs`), made on first use.
    counters: OnceLock<Option<cudarc::driver::CudaSlice<u32>>>,
}

/// Channels that `channel_sums` combines in one launch (more take a second kernel).
const CHANNEL_COUNTERS: usize = 1 << 16;

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaDevice(cuda:{}, sm_{}{})", self.inner.ordinal, self.inner.cc.0, self.inner.cc.1)
    }
}

impl PartialEq for CudaDevice {
    fn eq(&self, other: &Self) -> bool {
        self.inner.ordinal == other.inner.ordinal
    }
}
impl Eq for CudaDevice {}

/// The libraries this backend opens: (what, cudarc's library name, presence check).
type LibCheck = (&'static str, &'static str, unsafe fn() -> bool);
const LIBRARIES: [LibCheck; 3] = [
    ("driver", "cuda", cudarc::driver::sys::is_culib_present),
    ("cuBLAS", "cublas", cudarc::cublas::sys::is_culib_present),
    ("NVRTC", "nvrtc", cudarc::nvrtc::sys::is_culib_present),
];

/// The message for each CUDA library that cannot be opened (empty when all can).
fn missing_libraries() -> Vec<String> {
    LIBRARIES
        .iter()
        // SAFETY: is_culib_present only tries to dlopen the candidate file names.
        .filter(|(_, _, present)| !unsafe { present() })
        .map(|(what, name, _)| {
            // the Linux names among cudarc's candidates (the others are Windows-style)
            let mut tried: Vec<String> = cudarc::get_lib_name_candidates(name)
                .into_iter()
                .filter(|f| f.starts_with(&format!("lib{name}.so")))
                .collect();
            tried.dedup();
            format!("{what} library lib{name} not found (tried {})", tried.join(", "))
        })
        .collect()
}

/// Devices opened so far, so that every `Device::cuda(n)` shares one context, stream, cuBLAS
/// handle and compiled module.
static DEVICES: Mutex<Vec<CudaDevice>> = Mutex::new(Vec::new());

impl CudaDevice {
    /// GPU number `ordinal`, opened on first use (later calls return the same device). Fails
    /// with [`TensorError::DeviceUnavailable`], never a panic, when a CUDA library is missing,
    /// there is no such GPU, or the kernels do not compile.
    pub fn new(ordinal: usize) -> Result<CudaDevice> {
        let mut devices = DEVICES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = devices.iter().find(|d| d.inner.ordinal == ordinal) {
            return Ok(d.clone());
        }
        let missing = missing_libraries();
        if !missing.is_empty() {
            return Err(TensorError::DeviceUnavailable(format!(
                "CUDA: {} (install the NVIDIA driver and the CUDA toolkit's cuBLAS and NVRTC, or add the folder \
                 holding them to LD_LIBRARY_PATH)",
                missing.join("; ")
            )));
        }
        // cudarc panics on a symbol that the loaded library lacks (an old driver): make it an error.
        let opened = std::panic::catch_unwind(|| CudaDevice::open(ordinal)).unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(TensorError::DeviceUnavailable(format!("CUDA: cuda:{ordinal}: {msg}")))
        })?;
        devices.push(opened.clone());
        Ok(opened)
    }

    fn open(ordinal: usize) -> Result<CudaDevice> {
        let err = |what: &str, e: &dyn std::fmt::Display| {
            TensorError::DeviceUnavailable(format!("CUDA: cuda:{ordinal}: {what}: {e}"))
        };
        let count = CudaContext::device_count().map_err(|e| err("counting GPUs", &e))?;
        if ordinal >= count.max(0) as usize {
            return Err(TensorError::DeviceUnavailable(format!(
                "CUDA: cuda:{ordinal} asked for, but the driver sees {count} GPU(s)"
            )));
        }
        let ctx = CudaContext::new(ordinal).map_err(|e| err("creating the context", &e))?;
        // One stream for everything: cudarc's per-buffer event tracking is not needed.
        // SAFETY: no buffer of this context is ever used on another stream.
        unsafe { ctx.disable_event_tracking() };
        let cc = ctx.compute_capability().map_err(|e| err("compute capability", &e))?;
        let sm_count = ctx
            .attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(|e| err("multiprocessor count", &e))?;
        keep_freed_memory(&ctx);
        let stream = ctx.default_stream();
        let blas = CudaBlas::new(stream.clone()).map_err(|e| err("creating the cuBLAS handle", &e))?;
        // Not an error when missing (nor when loading it panics): convolutions then use im2col.
        let cudnn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cudnn::Cudnn::open(&ctx, &stream)))
            .unwrap_or_else(|_| Err("loading cuDNN panicked".into()))
            .map(Mutex::new);
        let dev = CudaDevice {
            inner: Arc::new(Inner {
                ordinal,
                ctx,
                stream,
                blas,
                kernels: OnceLock::new(),
                sm_count: sm_count.max(1) as u32,
                cc,
                conv_algorithms: AtomicU8::new(tune::conv_algorithms_from_env() as u8),
                cudnn,
                cudnn_passes: AtomicU64::new(0),
                timeline: profile::Timeline::default(),
                counters: OnceLock::new(),
            }),
        };
        dev.kernels()?; // compile now, so that a broken toolkit is reported here
        Ok(dev)
    }

    /// `Ok` when GPU 0 can be used; otherwise why not (no library, no GPU, ...). Never panics.
    pub fn available() -> std::result::Result<(), String> {
        CudaDevice::new(0).map(|_| ()).map_err(|e| e.to_string())
    }

    /// The GPU's number.
    pub fn ordinal(&self) -> usize {
        self.inner.ordinal
    }

    /// Compute capability (major, minor), e.g. (9, 0) for an H100.
    pub fn compute_capability(&self) -> (i32, i32) {
        self.inner.cc
    }

    /// The stream all work of this crate is queued on, in order.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.inner.stream
    }

    /// The cuBLAS handle (bound to [`Self::stream`]).
    pub fn blas(&self) -> &CudaBlas {
        &self.inner.blas
    }

    /// Whether cuDNN was loaded for this device (at [`Self::new`]; see `cudnn.rs`). Without it
    /// every convolution runs as im2col + cuBLAS.
    pub fn has_cudnn(&self) -> bool {
        self.inner.cudnn.is_ok()
    }

    /// Why cuDNN is not used (library missing, `COOPNETS_CUDNN=0`, ...), or `None` if it is loaded.
    pub fn cudnn_unavailable_reason(&self) -> Option<&str> {
        self.inner.cudnn.as_ref().err().map(String::as_str)
    }

    /// Convolution passes (forward, backward data, backward filter) cuDNN has run on this device.
    pub fn cudnn_passes(&self) -> u64 {
        self.inner.cudnn_passes.load(Ordering::SeqCst)
    }

    /// Why cuDNN turned down geometries it was asked to run (no deterministic algorithm within
    /// the workspace limit, an unsupported descriptor, ...); those convolutions use im2col.
    pub fn cudnn_declined(&self) -> Vec<String> {
        match &self.inner.cudnn {
            Ok(m) => m.lock().unwrap_or_else(|e| e.into_inner()).declined.clone(),
            Err(_) => Vec::new(),
        }
    }

    /// The cuDNN state, when loaded and enabled.
    pub(crate) fn cudnn(&self) -> Option<&Mutex<cudnn::Cudnn>> {
        self.inner.cudnn.as_ref().ok().filter(|_| self.conv_algorithms() != ConvAlgorithms::Im2col)
    }

    pub(crate) fn count_cudnn_pass(&self) {
        self.inner.cudnn_passes.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn context(&self) -> &Arc<CudaContext> {
        &self.inner.ctx
    }

    pub(crate) fn timeline(&self) -> &profile::Timeline {
        &self.inner.timeline
    }

    pub(crate) fn sm_count(&self) -> u32 {
        self.inner.sm_count
    }

    /// The device address of `c` zeroed per-channel counters that `channel_partials` leaves
    /// zeroed, or `None` (more than [`CHANNEL_COUNTERS`] channels, or no memory for them).
    pub(crate) fn channel_counters(&self, c: usize) -> Option<u64> {
        let made = self.inner.counters.get_or_init(|| self.inner.stream.alloc_zeros::<u32>(CHANNEL_COUNTERS).ok());
        let buf = made.as_ref().filter(|_| c <= CHANNEL_COUNTERS)?;
        let (ptr, _no_event) = cudarc::driver::DevicePtr::device_ptr(buf, &self.inner.stream);
        Some(ptr)
    }

    /// The compiled kernels (NVRTC runs on the first call for this device).
    pub(crate) fn kernels(&self) -> Result<&launch::Kernels> {
        self.inner
            .kernels
            .get_or_init(|| launch::Kernels::compile(&self.inner.ctx, self.inner.cc))
            .as_ref()
            .map_err(|e| TensorError::DeviceUnavailable(format!("CUDA: cuda:{}: {e}", self.inner.ordinal)))
    }

    /// Wait for all queued work (and report an error that a kernel left behind).
    pub fn synchronize(&self) -> Result<()> {
        self.inner.stream.synchronize().map_err(|e| launch::cuda_err("synchronize", e))
    }
}

/// Let the default memory pool keep freed blocks instead of returning them to the driver at
/// every synchronisation, so that per-step buffers (im2col matrices, activations) are reused
/// without new mappings (a caching allocator, as in PyTorch). Best effort: errors are ignored.
fn keep_freed_memory(ctx: &Arc<CudaContext>) {
    if !ctx.has_async_alloc() {
        return;
    }
    // SAFETY: plain driver calls on a valid device; `threshold` outlives the call.
    unsafe {
        let mut pool = std::ptr::null_mut();
        if sys::cuDeviceGetDefaultMemPool(&mut pool, ctx.cu_device()) == sys::CUresult::CUDA_SUCCESS {
            let mut threshold: u64 = u64::MAX;
            let attr = sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD;
            let _ = sys::cuMemPoolSetAttribute(pool, attr, (&mut threshold as *mut u64).cast());
        }
    }
}
