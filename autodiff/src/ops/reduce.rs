//! Reductions. The gradient of a sum is the incoming gradient broadcast back over the summed
//! axes; of a mean, the same divided by the count; of a max, routed to the maximal entries.

use crate::error::Result;
use crate::var::Var;

/// Shape of `x` with `axes` set to 1 (the keepdim shape).
fn keep_shape(x: &[usize], axes: &[usize]) -> Vec<usize> {
    x.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect()
}

impl Var {
    /// `y = Σ_axes x`; `∂L/∂x = broadcast(g)`.
    pub fn sum(&self, axes: &[usize], keepdim: bool) -> Result<Var> {
        let y = self.value().sum(axes, keepdim)?;
        let (xs, ks) = (self.shape().to_vec(), keep_shape(self.shape(), axes));
        self.tape.record("sum", y, &[self], move |g, _| Ok(vec![Some(g.reshape(&ks)?.broadcast_to(&xs)?.contiguous())]))
    }
    /// `y = mean_axes x`; `∂L/∂x = broadcast(g)/count`.
    pub fn mean(&self, axes: &[usize], keepdim: bool) -> Result<Var> {
        let count: usize = axes.iter().filter_map(|&a| self.shape().get(a)).product();
        self.sum(axes, keepdim)?.mul_scalar(1.0 / count.max(1) as f32)
    }
    /// `y = Σ x` over every element (0-d).
    pub fn sum_all(&self) -> Result<Var> {
        let xs = self.shape().to_vec();
        self.tape.record("sum_all", self.value().sum_all(), &[self], move |g, _| {
            // g is 0-d: view it with every axis of size 1, stretch it, copy once
            Ok(vec![Some(g.reshape(&vec![1; xs.len()])?.broadcast_to(&xs)?.contiguous())])
        })
    }
    /// `y = mean x` over every element (0-d).
    pub fn mean_all(&self) -> Result<Var> {
        let n = self.value().numel().max(1) as f32;
        self.sum_all()?.mul_scalar(1.0 / n)
    }
    /// `y = Σ x` per example: every axis but the first, shape `[N]`.
    pub fn sum_per_example(&self) -> Result<Var> {
        let axes: Vec<usize> = (1..self.value().rank()).collect();
        self.sum(&axes, false)
    }
    /// `y = max_axes x`; `∂L/∂x = broadcast(g)·m/|m|` where `m` marks the maximal entries
    /// (ties share the gradient evenly, like PyTorch's `amax`).
    pub fn max(&self, axes: &[usize], keepdim: bool) -> Result<Var> {
        let y = self.value().max(axes, keepdim)?;
        let x = self.value().clone();
        let (ks, axes) = (keep_shape(self.shape(), axes), axes.to_vec());
        let yk = y.reshape(&ks)?;
        self.tape.record("max", y, &[self], move |g, _| {
            let mask = x.eq_mask(&yk)?;
            let count = mask.sum(&axes, true)?;
            Ok(vec![Some(g.reshape(&ks)?.div(&count)?.mul(&mask)?)])
        })
    }
}
