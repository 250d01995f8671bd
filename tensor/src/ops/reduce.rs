//! Reductions: sum, mean and max over all elements or over given axes.

use crate::cpu::reduce::{self, ReduceOp};
use crate::error::{invalid_arg, Result};
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
        let data = self.with_cpu_slice(|x| reduce::reduce_axes(x, self.shape(), &reduced, op));
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
        Ok(Tensor::from_cpu(data, &shape))
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
    /// Sum of every element (a 0-d tensor). Accumulated in f64.
    pub fn sum_all(&self) -> Tensor {
        Tensor::scalar(self.with_cpu_slice(|x| reduce::reduce_all(x, ReduceOp::Sum)))
    }
    /// Mean of every element (a 0-d tensor).
    pub fn mean_all(&self) -> Tensor {
        let n = self.numel().max(1) as f32;
        Tensor::scalar(self.with_cpu_slice(|x| reduce::reduce_all(x, ReduceOp::Sum)) / n)
    }
    /// Largest element (a 0-d tensor; −∞ for an empty tensor).
    pub fn max_all(&self) -> Tensor {
        Tensor::scalar(self.with_cpu_slice(|x| reduce::reduce_all(x, ReduceOp::Max)))
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
