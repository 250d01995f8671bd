//! Ops that rearrange elements: concatenation, stacking and constant padding.

use crate::cpu::copy;
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
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.contiguous()).collect();
        let vecs: Vec<Vec<f32>> = parts.iter().map(|t| t.to_vec()).collect();
        let slices: Vec<&[f32]> = vecs.iter().map(|v| v.as_slice()).collect();
        let shapes: Vec<Vec<usize>> = parts.iter().map(|t| t.shape().to_vec()).collect();
        let mut shape = first.shape().to_vec();
        shape[axis] = shapes.iter().map(|s| s[axis]).sum();
        Ok(Tensor::from_cpu(copy::cat(&slices, &shapes, axis), &shape))
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
        let (data, shape) = self.with_cpu_slice(|x| copy::pad(x, self.shape(), &all, value));
        Ok(Tensor::from_cpu(data, &shape))
    }
}
