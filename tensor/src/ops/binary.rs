//! Elementwise functions of two tensors, with NumPy broadcasting.

use crate::backend::BackendStorage;
use crate::device::dispatch2;
use crate::error::Result;
use crate::layout::broadcast_shapes;
use crate::op::BinaryOp;
use crate::Tensor;

impl Tensor {
    /// `op(self, rhs)` after broadcasting both to a common shape.
    pub fn zip_with(&self, rhs: &Tensor, op: BinaryOp) -> Result<Tensor> {
        let name = match op {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Gt => "gt",
            BinaryOp::Eq => "eq",
            BinaryOp::MaskPositive => "mask_positive",
        };
        let shape = broadcast_shapes(name, self.shape(), rhs.shape())?;
        let la = self.layout.broadcast_to(&shape)?;
        let lb = rhs.layout.broadcast_to(&shape)?;
        let out = dispatch2!(name, &*self.storage, &*rhs.storage, (a, b) => wrap a.binary(&la, b, &lb, op))?;
        Ok(Tensor::from_storage(out, &shape))
    }
    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Add)
    }
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Sub)
    }
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Mul)
    }
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Div)
    }
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Maximum)
    }
    pub fn minimum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Minimum)
    }
    /// 1 where `self > rhs`, else 0.
    pub fn gt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Gt)
    }
    /// `self` where `rhs > 0`, else 0 (relu's backward: `g.mask_positive(y)`).
    pub fn mask_positive(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::MaskPositive)
    }
    /// 1 where `self == rhs`, else 0.
    pub fn eq_mask(&self, rhs: &Tensor) -> Result<Tensor> {
        self.zip_with(rhs, BinaryOp::Eq)
    }
}
