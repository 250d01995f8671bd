//! Ops that rearrange elements: concatenation, stacking and constant padding.

use std::sync::Arc;

use crate::backend::BackendStorage;
use crate::device::{dispatch, Storage};
use crate::error::{invalid_arg, Result, TensorError};
use crate::Tensor;

impl Tensor {
    /// Join tensors along an existing `axis`; all other sizes must agree.
    pub fn cat(tensors: &[&Tensor], axis: usize) -> Result<Tensor> {
        let first = tensors.first().ok_or_else(|| invalid_arg("cat", "no tensors"))?;
        if axis >= first.rank() {
            return Err(invalid_arg("cat", format!("axis {axis} out of range for shape {:?}", first.shape())));
        }
        for t in tensors {
            let same = t.rank() == first.rank()
                && t.shape().iter().zip(first.shape()).enumerate().all(|(i, (a, b))| i == axis || a == b);
            if !same {
                return Err(TensorError::ShapeMismatch {
                    op: "cat",
                    lhs: first.shape().to_vec(),
                    rhs: t.shape().to_vec(),
                });
            }
        }
        let device = first.device();
        let parts: Vec<Arc<Storage>> = tensors.iter().map(|t| t.contiguous_storage()).collect();
        let shapes: Vec<Vec<usize>> = tensors.iter().map(|t| t.shape().to_vec()).collect();
        let mut shape = first.shape().to_vec();
        shape[axis] = shapes.iter().map(|s| s[axis]).sum();
        let mismatch = |s: &Storage| TensorError::DeviceMismatch {
            op: "cat",
            lhs: device.to_string(),
            rhs: s.device().to_string(),
        };
        let out = match &*parts[0] {
            Storage::Cpu(_) => {
                let bufs = parts
                    .iter()
                    .map(|p| match &**p {
                        Storage::Cpu(b) => Ok(b),
                        #[allow(unreachable_patterns)]
                        other => Err(mismatch(other)),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Storage::Cpu(crate::cpu::CpuStorage::cat(&bufs, &shapes, axis)?)
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                let bufs = parts
                    .iter()
                    .map(|p| match &**p {
                        Storage::Cuda(b) => Ok(b),
                        other => Err(mismatch(other)),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Storage::Cuda(crate::cuda::CudaStorage::cat(&bufs, &shapes, axis)?)
            }
        };
        Ok(Tensor::from_storage(out, &shape))
    }

    /// Join same-shape tensors along a new `axis`.
    pub fn stack(tensors: &[&Tensor], axis: usize) -> Result<Tensor> {
        let expanded: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(axis)).collect::<Result<_>>()?;
        Tensor::cat(&expanded.iter().collect::<Vec<_>>(), axis)
    }

    /// Pad with the constant `value`: `pads[i] = (before, after)` for each of the **last**
    /// `pads.len()` axes (like `torch.nn.functional.pad`, but listed first axis first).
    pub fn pad(&self, pads: &[(usize, usize)], value: f32) -> Result<Tensor> {
        if pads.len() > self.rank() {
            return Err(invalid_arg("pad", format!("{} pads for shape {:?}", pads.len(), self.shape())));
        }
        let mut all = vec![(0, 0); self.rank() - pads.len()];
        all.extend_from_slice(pads);
        let shape: Vec<usize> = self.shape().iter().zip(&all).map(|(&d, &(b, e))| d + b + e).collect();
        let out = dispatch!(&*self.contiguous_storage(), s => wrap s.pad(self.shape(), &all, value))?;
        Ok(Tensor::from_storage(out, &shape))
    }
}
