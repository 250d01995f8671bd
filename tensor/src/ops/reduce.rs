//! Reductions: sum, mean and max over all elements or over given axes.

use crate::backend::BackendStorage;
use crate::device::dispatch;
use crate::error::{invalid_arg, Result};
use crate::op::ReduceOp;
use crate::tensor::device_ok;
use crate::Tensor;

impl Tensor {
    fn reduce(&self, axes: &[usize], keepdim: bool, op: ReduceOp, name: &'static str) -> Result<Tensor> {
        let rank = self.rank();
        let mut reduced = vec![false; rank];
        for &a in axes {
            if a >= rank {
                return Err(invalid_arg(name, format!("axis {a} out of range for shape {:?}", self.shape())));
            }
            reduced[a] = true;
        }
        let out = dispatch!(&*self.storage, s => wrap s.reduce_axes(&self.layout, &reduced, op))?;
        let shape: Vec<usize> = self
            .shape()
            .iter()
            .zip(&reduced)
            .filter_map(|(&d, &r)| match (r, keepdim) {
                (false, _) => Some(d),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        Ok(Tensor::from_storage(out, &shape))
    }

    /// Sum over `axes`; with `keepdim` the reduced axes stay with size 1.
    pub fn sum(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        self.reduce(axes, keepdim, ReduceOp::Sum, "sum")
    }
    /// Maximum over `axes`.
    pub fn max(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        self.reduce(axes, keepdim, ReduceOp::Max, "max")
    }
    /// Mean over `axes`.
    pub fn mean(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        let count: usize = axes.iter().filter_map(|&a| self.shape().get(a)).product();
        Ok(self.sum(axes, keepdim)?.mul_scalar(1.0 / count.max(1) as f32))
    }
    /// `op` over every element, as a number on the host.
    fn reduce_all(&self, op: ReduceOp) -> f32 {
        device_ok("reduce_all", dispatch!(&*self.storage, s => s.reduce_all(&self.layout, op)))
    }
    /// Sum of every element (a 0-d tensor on this tensor's device). Accumulated in f64.
    pub fn sum_all(&self) -> Tensor {
        self.scalar_beside(self.reduce_all(ReduceOp::Sum))
    }
    /// Mean of every element (a 0-d tensor).
    pub fn mean_all(&self) -> Tensor {
        let n = self.numel().max(1) as f32;
        self.scalar_beside(self.reduce_all(ReduceOp::Sum) / n)
    }
    /// Largest element (a 0-d tensor; −∞ for an empty tensor).
    pub fn max_all(&self) -> Tensor {
        self.scalar_beside(self.reduce_all(ReduceOp::Max))
    }
    /// Sum over every axis but the first: one number per example/chain, shape `[N]`.
    pub fn sum_per_example(&self) -> Result<Tensor> {
        let axes: Vec<usize> = (1..self.rank()).collect();
        if self.rank() == 0 {
            return Err(invalid_arg("sum_per_example", "needs at least one axis"));
        }
        self.sum(&axes, false)
    }
}
