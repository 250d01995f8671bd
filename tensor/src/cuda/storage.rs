//! [`CudaStorage`]: the CUDA backend behind the seam. Each method checks devices and hands the
//! device addresses to a kernel in this folder (or to cuBLAS).

use cudarc::driver::{CudaSlice, DevicePtr};
use rand::RngCore;

use super::launch::{cfg_for, check_len, cuda_err, launch};
use super::{blas, channel, conv, elementwise, reduce, CudaDevice};
use crate::backend::{BackendStorage, MatmulDims};
use crate::device::Device;
use crate::error::{invalid_arg, Result, TensorError};
use crate::layout::Layout;
use crate::op::{BinaryOp, ConvGeom, ReduceOp, UnaryOp};

/// A row-major `f32` buffer in the memory of one GPU.
///
/// `Clone` copies the buffer on the device (the tensor crate's copy-on-write needs it); it
/// panics only if the device is out of memory or lost. A buffer of 0 elements holds one unused
/// element, since the driver refuses empty allocations.
#[derive(Clone)]
pub struct CudaStorage {
    dev: CudaDevice,
    buf: CudaSlice<f32>,
    len: usize,
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaStorage(cuda:{}, {} floats)", self.dev.ordinal(), self.len)
    }
}

impl CudaStorage {
    /// `len` floats on `dev`, not initialised (every caller writes them all).
    pub(crate) fn alloc(dev: &CudaDevice, len: usize) -> Result<CudaStorage> {
        check_len("cuda alloc", len)?;
        // SAFETY: the contents are written by the caller before they are read.
        let buf = unsafe { dev.stream().alloc::<f32>(len.max(1)) }
            .map_err(|e| cuda_err(&format!("allocating {len} floats"), e))?;
        Ok(CudaStorage { dev: dev.clone(), buf, len })
    }

    /// `len` zeros on `dev`.
    pub(crate) fn zeros(dev: &CudaDevice, len: usize) -> Result<CudaStorage> {
        let mut s = CudaStorage::alloc(dev, len)?;
        dev.stream().memset_zeros(&mut s.buf).map_err(|e| cuda_err("memset", e))?;
        Ok(s)
    }

    /// The GPU this buffer lives on.
    pub fn cuda_device(&self) -> &CudaDevice {
        &self.dev
    }

    /// The buffer's elements as a cudarc view, for libraries that work on device memory
    /// directly (NCCL's all-reduce).
    pub fn view_mut(&mut self) -> cudarc::driver::CudaViewMut<'_, f32> {
        self.buf.slice_mut(0..self.len)
    }

    /// Device address of element `i` (for kernels and cuBLAS). All work runs on the device's
    /// one stream, in order, so no event bookkeeping is needed around it.
    pub(crate) fn ptr_at(&self, i: usize) -> u64 {
        let (p, _no_event) = self.buf.device_ptr(self.dev.stream());
        p + (i * std::mem::size_of::<f32>()) as u64
    }

    pub(crate) fn ptr(&self) -> u64 {
        self.ptr_at(0)
    }

    /// Copy `n` floats from `src` (starting at `src_off`) to the start of `self`.
    pub(crate) fn copy_from(&mut self, src: &CudaStorage, src_off: usize, n: usize) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let view = src.buf.slice(src_off..src_off + n);
        let mut dst = self.buf.slice_mut(0..n);
        self.dev.stream().memcpy_dtod(&view, &mut dst).map_err(|e| cuda_err("device copy", e))
    }

    /// Fail unless `other` is on the same GPU.
    pub(crate) fn same_device(&self, op: &'static str, other: &CudaStorage) -> Result<()> {
        if self.dev == other.dev {
            Ok(())
        } else {
            Err(TensorError::DeviceMismatch {
                op,
                lhs: format!("cuda:{}", self.dev.ordinal()),
                rhs: format!("cuda:{}", other.dev.ordinal()),
            })
        }
    }
}

/// The CUDA device inside `device`.
fn cuda_of<'a>(op: &'static str, device: &'a Device) -> Result<&'a CudaDevice> {
    match device {
        Device::Cuda(d) => Ok(d),
        other => Err(invalid_arg(op, format!("CudaStorage cannot live on {other}"))),
    }
}

impl BackendStorage for CudaStorage {
    fn device(&self) -> Device {
        Device::Cuda(self.dev.clone())
    }
    fn len(&self) -> usize {
        self.len
    }

    fn from_host(device: &Device, data: Vec<f32>) -> Result<Self> {
        let dev = cuda_of("from_host", device)?;
        let mut s = CudaStorage::alloc(dev, data.len())?;
        if !data.is_empty() {
            dev.stream().memcpy_htod(&data, &mut s.buf).map_err(|e| cuda_err("host to device copy", e))?;
        }
        Ok(s)
    }
    fn full(device: &Device, len: usize, v: f32) -> Result<Self> {
        let dev = cuda_of("full", device)?;
        if v.to_bits() == 0 {
            return CudaStorage::zeros(dev, len);
        }
        let s = CudaStorage::alloc(dev, len)?;
        let n = check_len("full", len)?;
        if n > 0 {
            launch!(dev, "fill", cfg_for(dev.sm_count(), n), s.ptr(), n, v)?;
        }
        Ok(s)
    }
    fn to_host(&self, l: &Layout) -> Result<Vec<f32>> {
        let n = l.numel();
        if n == 0 {
            return Ok(Vec::new());
        }
        let tmp;
        let (src, off) = if l.is_contiguous() {
            (self, l.offset())
        } else {
            tmp = elementwise::copy_strided(self, l)?;
            (&tmp, 0)
        };
        let stream = self.dev.stream();
        let out = stream.clone_dtoh(&src.buf.slice(off..off + n)).map_err(|e| cuda_err("device to host copy", e))?;
        stream.synchronize().map_err(|e| cuda_err("device to host copy", e))?;
        Ok(out)
    }
    fn copy_strided(&self, l: &Layout) -> Result<Self> {
        elementwise::copy_strided(self, l)
    }

    fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Self> {
        elementwise::unary(self, l, op)
    }
    fn binary(&self, la: &Layout, rhs: &Self, lb: &Layout, op: BinaryOp) -> Result<Self> {
        self.same_device("binary", rhs)?;
        elementwise::binary(self, la, rhs, lb, op)
    }

    fn reduce_axes(&self, l: &Layout, reduced: &[bool], op: ReduceOp) -> Result<Self> {
        reduce::reduce_axes(self, l, reduced, op)
    }
    fn reduce_all(&self, l: &Layout, op: ReduceOp) -> Result<f32> {
        reduce::reduce_all(self, l, op)
    }
    fn first_non_finite(&self, l: &Layout) -> Result<Option<usize>> {
        reduce::first_non_finite(self, l)
    }
    fn first_non_finite_into(&self, l: &Layout, slots: &mut Self, slot: usize) -> Result<()> {
        self.same_device("first_non_finite_into", slots)?;
        reduce::first_non_finite_into(self, l, slots, slot)
    }

    fn channel_sums(
        &self,
        b: &Self,
        shift: Option<(&Self, f32)>,
        center: bool,
        ncs: (usize, usize, usize),
    ) -> Result<Self> {
        self.same_device("channel_sums", b)?;
        if let Some((t, _)) = shift {
            self.same_device("channel_sums", t)?;
        }
        channel::channel_sums(self, b, shift, center, ncs)
    }
    fn channel_affine(&self, y: &Self, coef: &Self, n: usize, c: usize, s: usize) -> Result<Self> {
        self.same_device("channel_affine", y)?;
        self.same_device("channel_affine", coef)?;
        channel::channel_affine(self, y, coef, (n, c, s))
    }
    fn batch_norm_coefficients(&self, gamma: &Self, beta: &Self, c: usize, m: f32, eps: f32) -> Result<Self> {
        self.same_device("batch_norm", gamma)?;
        self.same_device("batch_norm", beta)?;
        channel::batch_norm_coefficients(self, gamma, beta, c, m, eps)
    }
    fn batch_norm_grad_coefficients(&self, fwd: &Self, c: usize, m: f32) -> Result<Self> {
        self.same_device("batch_norm", fwd)?;
        channel::batch_norm_grad_coefficients(self, fwd, c, m)
    }

    fn matmul(&self, la: &Layout, rhs: &Self, lb: &Layout, dims: &MatmulDims) -> Result<Self> {
        self.same_device("matmul", rhs)?;
        blas::matmul(self, la, rhs, lb, dims)
    }
    fn conv_forward(&self, w: &Self, bias: Option<&Self>, g: &ConvGeom) -> Result<Self> {
        self.same_device("conv", w)?;
        if let Some(b) = bias {
            self.same_device("conv", b)?;
        }
        conv::forward(self, w, bias, g)
    }
    fn conv_backward_data(&self, w: &Self, g: &ConvGeom) -> Result<Self> {
        self.same_device("conv_backward_data", w)?;
        conv::backward_data(self, w, g)
    }
    fn conv_backward_weight(&self, dy: &Self, g: &ConvGeom) -> Result<Self> {
        self.same_device("conv_backward_weight", dy)?;
        conv::backward_weight(self, dy, g)
    }

    fn cat(parts: &[&Self], shapes: &[Vec<usize>], axis: usize) -> Result<Self> {
        let first = parts.first().ok_or_else(|| invalid_arg("cat", "no tensors"))?;
        for p in parts {
            first.same_device("cat", p)?;
        }
        elementwise::cat(parts, shapes, axis)
    }
    fn pad(&self, shape: &[usize], pads: &[(usize, usize)], value: f32) -> Result<Self> {
        elementwise::pad(self, shape, pads, value)
    }

    fn axpby_(&mut self, a: f32, b: f32, x: &Self, lx: &Layout) -> Result<()> {
        self.same_device("axpby_", x)?;
        elementwise::axpby_(self, a, b, x, lx)
    }
    fn map_(&mut self, op: UnaryOp) -> Result<()> {
        elementwise::map_(self, op)
    }
    fn assign_(&mut self, src: &Self, ls: &Layout) -> Result<()> {
        self.same_device("assign_", src)?;
        if ls.is_contiguous() {
            let n = self.len;
            return self.copy_from(src, ls.offset(), n);
        }
        elementwise::assign_strided(self, src, ls)
    }
    fn masked_assign_(&mut self, mask: &Self, lm: &Layout, src: &Self, ls: &Layout) -> Result<()> {
        self.same_device("masked_assign_", mask)?;
        self.same_device("masked_assign_", src)?;
        elementwise::masked_assign_(self, mask, lm, src, ls)
    }
    /// `x ← x + a·g + b·ξ` in one kernel; ξ from Philox keyed by one `rng.next_u64()`.
    fn langevin_(&mut self, a: f32, g: Option<(&Self, &Layout)>, b: f32, rng: &mut dyn RngCore) -> Result<()> {
        if let Some((gs, _)) = g {
            self.same_device("langevin_", gs)?;
        }
        elementwise::langevin_(self, a, g, b, rng.next_u64())
    }

    fn sgd_momentum_(&mut self, v: &mut Self, g: &Self, lg: &Layout, momentum: f32, step: f32) -> Result<()> {
        self.same_device("sgd_momentum_", g)?;
        v.same_device("sgd_momentum_", g)?;
        elementwise::sgd_momentum_(self, v, g, lg, momentum, step)
    }
    fn adam_(&mut self, m: &mut Self, v: &mut Self, g: &Self, lg: &Layout, s: &crate::AdamStep) -> Result<()> {
        for t in [&*m, &*v, g] {
            self.same_device("adam_", t)?;
        }
        elementwise::adam_(self, m, v, g, lg, s)
    }

    /// Philox normals keyed by one `rng.next_u64()` (not the CPU's numbers; same distribution).
    fn randn(device: &Device, shape: &[usize], mean: f32, std: f32, rng: &mut dyn RngCore) -> Result<Self> {
        let dev = cuda_of("randn", device)?;
        elementwise::random(dev, shape.iter().product(), elementwise::Dist::Normal { mean, std }, rng.next_u64())
    }
    /// Philox uniforms keyed by one `rng.next_u64()`.
    fn rand_uniform(device: &Device, shape: &[usize], lo: f32, hi: f32, rng: &mut dyn RngCore) -> Result<Self> {
        let dev = cuda_of("rand_uniform", device)?;
        elementwise::random(dev, shape.iter().product(), elementwise::Dist::Uniform { lo, hi }, rng.next_u64())
    }
}
