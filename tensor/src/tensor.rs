//! The `Tensor` type: shared storage + a layout, with constructors, views and copies.

use std::sync::Arc;

use crate::backend::BackendStorage;
use crate::cpu::CpuStorage;
use crate::device::{dispatch, Device, Storage};
use crate::error::{invalid_arg, Result, TensorError};
use crate::layout::{numel, Layout};

/// An n-dimensional `f32` array (up to 5-d is what the models use: N, C, T, H, W).
///
/// Cloning a tensor is cheap (an `Arc` clone); views share storage. Ops return new tensors;
/// the few in-place updates (`axpy_`, ...) copy first if the storage is shared.
#[derive(Clone)]
pub struct Tensor {
    pub(crate) storage: Arc<Storage>,
    pub(crate) layout: Layout,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.to_vec();
        let head: Vec<f32> = v.iter().take(8).copied().collect();
        write!(
            f,
            "Tensor(shape={:?}, device={}, data={:?}{})",
            self.shape(),
            self.device(),
            head,
            if v.len() > 8 { " ..." } else { "" }
        )
    }
}

impl Tensor {
    // ---------------------------------------------------------------- constructors

    /// A tensor owning `data`, read in row-major order as `shape`.
    pub fn from_vec(data: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        if data.len() != numel(shape) {
            return Err(TensorError::LengthMismatch { len: data.len(), shape: shape.to_vec(), numel: numel(shape) });
        }
        Ok(Tensor::from_cpu(data, shape))
    }

    /// A tensor holding `data` (row-major, shape `shape`) on `device`.
    pub fn from_vec_on(data: Vec<f32>, shape: &[usize], device: &Device) -> Result<Tensor> {
        if data.len() != numel(shape) {
            return Err(TensorError::LengthMismatch { len: data.len(), shape: shape.to_vec(), numel: numel(shape) });
        }
        Ok(Tensor::from_parts(Storage::from_host(device, data)?, Layout::contiguous(shape)))
    }

    /// A copy of `data` with shape `shape`.
    pub fn from_slice(data: &[f32], shape: &[usize]) -> Result<Tensor> {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// A 0-d tensor holding `v`.
    pub fn scalar(v: f32) -> Tensor {
        Tensor::from_cpu(vec![v], &[])
    }

    /// Every element equal to `v`.
    pub fn full(shape: &[usize], v: f32) -> Tensor {
        Tensor::from_cpu(vec![v; numel(shape)], shape)
    }

    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// Every element equal to `v`, on `device` (the constructors above are shorthand for
    /// `Device::Cpu`).
    pub fn full_on(shape: &[usize], v: f32, device: &Device) -> Result<Tensor> {
        Ok(Tensor::from_parts(Storage::full(device, numel(shape), v)?, Layout::contiguous(shape)))
    }

    /// Zeros on `device`.
    pub fn zeros_on(shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::full_on(shape, 0.0, device)
    }

    /// A 0-d tensor holding `v` on `device`.
    pub fn scalar_on(v: f32, device: &Device) -> Result<Tensor> {
        Tensor::full_on(&[], v, device)
    }

    /// Zeros of this tensor's shape, on its device.
    pub fn zeros_like(&self) -> Tensor {
        self.full_like(0.0)
    }

    pub fn ones_like(&self) -> Tensor {
        self.full_like(1.0)
    }

    /// `v` everywhere, this tensor's shape, on its device.
    pub fn full_like(&self, v: f32) -> Tensor {
        device_ok("full_like", Tensor::full_on(self.shape(), v, &self.device()))
    }

    /// Zeros of shape `shape` on this tensor's device.
    pub fn zeros_beside(&self, shape: &[usize]) -> Tensor {
        device_ok("zeros_beside", Tensor::zeros_on(shape, &self.device()))
    }

    /// `v` as a 0-d tensor on this tensor's device.
    pub fn scalar_beside(&self, v: f32) -> Tensor {
        device_ok("scalar_beside", Tensor::scalar_on(v, &self.device()))
    }

    pub(crate) fn from_parts(storage: Storage, layout: Layout) -> Tensor {
        Tensor { storage: Arc::new(storage), layout }
    }

    /// A tensor from a contiguous CPU buffer.
    pub(crate) fn from_cpu(data: Vec<f32>, shape: &[usize]) -> Tensor {
        debug_assert_eq!(data.len(), numel(shape));
        Tensor::from_parts(Storage::Cpu(CpuStorage(data)), Layout::contiguous(shape))
    }

    /// A tensor from a contiguous buffer returned by a backend.
    pub(crate) fn from_storage(storage: Storage, shape: &[usize]) -> Tensor {
        debug_assert_eq!(storage.len(), numel(shape));
        Tensor::from_parts(storage, Layout::contiguous(shape))
    }

    // ---------------------------------------------------------------- accessors

    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape().len()
    }

    pub fn numel(&self) -> usize {
        self.layout.numel()
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// Size of axis `axis`, or an error naming the op.
    pub fn dim(&self, axis: usize) -> Result<usize> {
        self.shape()
            .get(axis)
            .copied()
            .ok_or_else(|| invalid_arg("dim", format!("axis {axis} out of range for shape {:?}", self.shape())))
    }

    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }

    /// The elements in row-major order, copied into a `Vec` (from any device).
    pub fn to_vec(&self) -> Vec<f32> {
        device_ok("to_vec", dispatch!(&*self.storage, s => s.to_host(&self.layout)))
    }

    /// The value of a one-element tensor.
    pub fn to_scalar(&self) -> Result<f32> {
        if self.numel() != 1 {
            return Err(invalid_arg(
                "to_scalar",
                format!("tensor of shape {:?} has {} elements, not 1", self.shape(), self.numel()),
            ));
        }
        Ok(self.to_vec()[0])
    }

    /// The backend buffer behind this tensor, made contiguous first if it is a view (so
    /// kernels that take whole buffers can read it).
    pub(crate) fn contiguous_storage(&self) -> Arc<Storage> {
        if self.is_contiguous() && self.layout.offset() == 0 && self.storage.len() == self.numel() {
            self.storage.clone()
        } else {
            let s = device_ok("contiguous", dispatch!(&*self.storage, s => wrap s.copy_strided(&self.layout)));
            Arc::new(s)
        }
    }

    // ---------------------------------------------------------------- views and copies

    /// A contiguous tensor with the same elements (no copy if already contiguous).
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            self.clone()
        } else {
            let s = device_ok("contiguous", dispatch!(&*self.storage, s => wrap s.copy_strided(&self.layout)));
            Tensor::from_storage(s, self.shape())
        }
    }

    /// Same elements, new shape (a view when contiguous, a copy otherwise).
    /// One entry may be `usize::MAX`, meaning "whatever is left" (PyTorch's `-1`).
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let shape = self.infer_shape(shape)?;
        let t = self.contiguous();
        let layout = t.layout.reshape(&shape)?;
        Ok(Tensor { storage: t.storage, layout })
    }

    fn infer_shape(&self, shape: &[usize]) -> Result<Vec<usize>> {
        let holes = shape.iter().filter(|&&d| d == usize::MAX).count();
        if holes == 0 {
            return Ok(shape.to_vec());
        }
        let known: usize = shape.iter().filter(|&&d| d != usize::MAX).product();
        if holes > 1 || known == 0 || !self.numel().is_multiple_of(known) {
            return Err(TensorError::ShapeMismatch { op: "reshape", lhs: self.shape().to_vec(), rhs: shape.to_vec() });
        }
        Ok(shape.iter().map(|&d| if d == usize::MAX { self.numel() / known } else { d }).collect())
    }

    /// Reorder axes (a view): new axis `i` is old axis `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.permute(perm)?))
    }

    /// Swap two axes (a view).
    pub fn transpose(&self, a: usize, b: usize) -> Result<Tensor> {
        let mut perm: Vec<usize> = (0..self.rank()).collect();
        if a >= perm.len() || b >= perm.len() {
            return Err(invalid_arg("transpose", format!("axes {a}, {b} out of range for shape {:?}", self.shape())));
        }
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Entries `start .. start + len` of `axis` (a view).
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.narrow(axis, start, len)?))
    }

    /// Entry `index` of axis 0, with that axis removed (a view): `x.get(i)` = PyTorch `x[i]`.
    pub fn get(&self, index: usize) -> Result<Tensor> {
        let t = self.narrow(0, index, 1)?;
        t.squeeze(0)
    }

    /// View with a broadcast shape (stride 0 on stretched axes).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        Ok(self.with_layout(self.layout.broadcast_to(shape)?))
    }

    /// Insert an axis of size 1 at `axis`.
    pub fn unsqueeze(&self, axis: usize) -> Result<Tensor> {
        if axis > self.rank() {
            return Err(invalid_arg("unsqueeze", format!("axis {axis} > rank {}", self.rank())));
        }
        let mut shape = self.shape().to_vec();
        shape.insert(axis, 1);
        self.reshape(&shape)
    }

    /// Remove axis `axis`, which must have size 1.
    pub fn squeeze(&self, axis: usize) -> Result<Tensor> {
        if self.shape().get(axis) != Some(&1) {
            return Err(invalid_arg("squeeze", format!("axis {axis} of shape {:?} is not of size 1", self.shape())));
        }
        let mut shape = self.shape().to_vec();
        shape.remove(axis);
        self.reshape(&shape)
    }

    /// Collapse all axes from `axis` on into one: `[N, C, H, W].flatten_from(1) = [N, C·H·W]`.
    pub fn flatten_from(&self, axis: usize) -> Result<Tensor> {
        if axis > self.rank() {
            return Err(invalid_arg("flatten_from", format!("axis {axis} > rank {}", self.rank())));
        }
        let mut shape = self.shape()[..axis].to_vec();
        shape.push(self.shape()[axis..].iter().product());
        self.reshape(&shape)
    }

    fn with_layout(&self, layout: Layout) -> Tensor {
        Tensor { storage: self.storage.clone(), layout }
    }

    /// Move to `device` (a no-op when already there).
    pub fn to_device(&self, device: &Device) -> Result<Tensor> {
        if &self.device() == device {
            return Ok(self.clone());
        }
        Tensor::from_vec_on(self.to_vec(), self.shape(), device)
    }

    /// Mutable access to the backend buffer, copying first if the storage is shared or this
    /// tensor is a view (copy-on-write), so that an in-place update writes a whole buffer
    /// nobody else holds.
    pub(crate) fn storage_mut(&mut self) -> &mut Storage {
        if !self.is_contiguous() || self.layout.offset() != 0 || self.storage.len() != self.numel() {
            let s = device_ok("copy-on-write", dispatch!(&*self.storage, s => wrap s.copy_strided(&self.layout)));
            *self = Tensor::from_storage(s, self.shape());
        }
        Arc::make_mut(&mut self.storage)
    }
}

#[cfg(feature = "cuda")]
impl Tensor {
    /// The elements of a CUDA tensor as a mutable cudarc view (made contiguous and unshared
    /// first), for libraries that work on device memory directly, e.g. NCCL.
    pub fn cuda_slice_mut(&mut self) -> Result<cudarc::driver::CudaViewMut<'_, f32>> {
        let device = self.device();
        match self.storage_mut() {
            Storage::Cuda(s) => Ok(s.view_mut()),
            _ => Err(TensorError::DeviceUnavailable(format!("cuda_slice_mut: the tensor is on {device}, not a GPU"))),
        }
    }
}

/// The value of a device call that the API cannot fail on. On the CPU these never fail; on a
/// GPU a failure here is a device fault (out of memory, a lost context) that leaves nothing
/// to recover, so it stops with the device's own message.
pub(crate) fn device_ok<T>(op: &str, r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{op}: device error: {e}"),
    }
}
