//! The `Tensor` type: shared storage + a layout, with constructors, views and copies.

use std::sync::Arc;

use crate::device::{Device, Storage};
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
        Ok(Tensor::from_parts(Storage::Cpu(data), Layout::contiguous(shape)))
    }

    /// A copy of `data` with shape `shape`.
    pub fn from_slice(data: &[f32], shape: &[usize]) -> Result<Tensor> {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// A 0-d tensor holding `v`.
    pub fn scalar(v: f32) -> Tensor {
        Tensor::from_parts(Storage::Cpu(vec![v]), Layout::contiguous(&[]))
    }

    /// Every element equal to `v`.
    pub fn full(shape: &[usize], v: f32) -> Tensor {
        Tensor::from_parts(Storage::Cpu(vec![v; numel(shape)]), Layout::contiguous(shape))
    }

    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// Zeros on `device` (the CPU-only constructors above are shorthand for `Device::Cpu`).
    pub fn zeros_on(shape: &[usize], device: &Device) -> Tensor {
        match device {
            Device::Cpu => Tensor::zeros(shape),
        }
    }

    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros_on(self.shape(), &self.device())
    }

    pub fn ones_like(&self) -> Tensor {
        self.full_like(1.0)
    }

    pub fn full_like(&self, v: f32) -> Tensor {
        match self.device() {
            Device::Cpu => Tensor::full(self.shape(), v),
        }
    }

    pub(crate) fn from_parts(storage: Storage, layout: Layout) -> Tensor {
        Tensor { storage: Arc::new(storage), layout }
    }

    /// A tensor from a contiguous CPU buffer (kernels return these).
    pub(crate) fn from_cpu(data: Vec<f32>, shape: &[usize]) -> Tensor {
        debug_assert_eq!(data.len(), numel(shape));
        Tensor::from_parts(Storage::Cpu(data), Layout::contiguous(shape))
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
        match &*self.storage {
            Storage::Cpu(data) => {
                if self.layout.is_contiguous() {
                    let o = self.layout.offset();
                    data[o..o + self.numel()].to_vec()
                } else {
                    crate::cpu::elementwise::strided_copy(data, &self.layout)
                }
            }
        }
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

    /// Borrow the contiguous CPU elements (copy into a temporary first if this is a view).
    pub(crate) fn with_cpu_slice<R>(&self, f: impl FnOnce(&[f32]) -> R) -> R {
        match &*self.storage {
            Storage::Cpu(data) => {
                if self.layout.is_contiguous() {
                    let o = self.layout.offset();
                    f(&data[o..o + self.numel()])
                } else {
                    f(&self.to_vec())
                }
            }
        }
    }

    /// The raw CPU buffer and layout (for kernels that walk strides themselves).
    pub(crate) fn cpu_raw(&self) -> (&[f32], &Layout) {
        match &*self.storage {
            Storage::Cpu(data) => (data, &self.layout),
        }
    }

    // ---------------------------------------------------------------- views and copies

    /// A contiguous tensor with the same elements (no copy if already contiguous).
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            self.clone()
        } else {
            Tensor::from_cpu(self.to_vec(), self.shape())
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
        match device {
            Device::Cpu => Ok(self.clone()),
        }
    }

    /// Mutable access to the contiguous CPU buffer, copying first if the storage is shared
    /// or this tensor is a view (copy-on-write).
    pub(crate) fn cpu_data_mut(&mut self) -> &mut [f32] {
        if !self.is_contiguous() || self.layout.offset() != 0 || self.storage.len() != self.numel() {
            *self = Tensor::from_cpu(self.to_vec(), self.shape());
        }
        match Arc::make_mut(&mut self.storage) {
            Storage::Cpu(v) => v,
        }
    }
}
