//! Ops that move elements around. Each backward moves the gradient back the same way.

use tensor::Tensor;

use super::sum_to_shape;
use crate::error::{AutodiffError, Result};
use crate::var::Var;

impl Var {
    /// `y = reshape(x)`; `∂L/∂x = reshape(g)` back to x's shape.
    pub fn reshape(&self, shape: &[usize]) -> Result<Var> {
        let xs = self.shape().to_vec();
        self.tape.record("reshape", self.value().reshape(shape)?, &[self], move |g, _| Ok(vec![Some(g.reshape(&xs)?)]))
    }
    /// Collapse every axis from `axis` on (e.g. before a linear layer).
    pub fn flatten_from(&self, axis: usize) -> Result<Var> {
        let y = self.value().flatten_from(axis)?;
        let s = y.shape().to_vec();
        self.reshape(&s)
    }
    pub fn unsqueeze(&self, axis: usize) -> Result<Var> {
        let s = self.value().unsqueeze(axis)?.shape().to_vec();
        self.reshape(&s)
    }
    pub fn squeeze(&self, axis: usize) -> Result<Var> {
        let s = self.value().squeeze(axis)?.shape().to_vec();
        self.reshape(&s)
    }
    /// `y = permute(x, perm)`; `∂L/∂x = permute(g, perm⁻¹)`.
    pub fn permute(&self, perm: &[usize]) -> Result<Var> {
        let mut inv = vec![0; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            if p < inv.len() {
                inv[p] = i;
            }
        }
        self.tape.record("permute", self.value().permute(perm)?, &[self], move |g, _| Ok(vec![Some(g.permute(&inv)?)]))
    }
    pub fn transpose(&self, a: usize, b: usize) -> Result<Var> {
        let mut perm: Vec<usize> = (0..self.value().rank()).collect();
        if a < perm.len() && b < perm.len() {
            perm.swap(a, b);
        }
        self.permute(&perm)
    }
    /// `y = x[.., start..start+len, ..]`; `∂L/∂x` = g padded with zeros back to x's shape.
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Var> {
        let xs = self.shape().to_vec();
        self.tape.record("narrow", self.value().narrow(axis, start, len)?, &[self], move |g, _| {
            let mut pads = vec![(0, 0); xs.len()];
            pads[axis] = (start, xs[axis] - start - len);
            Ok(vec![Some(g.pad(&pads, 0.0)?)])
        })
    }
    /// `y = broadcast(x)`; `∂L/∂x = Σ g` over the stretched axes.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Var> {
        let xs = self.shape().to_vec();
        self.tape.record("broadcast_to", self.value().broadcast_to(shape)?, &[self], move |g, _| {
            Ok(vec![Some(sum_to_shape(g, &xs)?)])
        })
    }
    /// `y = pad(x)` with a constant; `∂L/∂x` = the interior of g.
    pub fn pad(&self, pads: &[(usize, usize)], value: f32) -> Result<Var> {
        let xs = self.shape().to_vec();
        let lead = xs.len().saturating_sub(pads.len());
        let pads_v = pads.to_vec();
        self.tape.record("pad", self.value().pad(pads, value)?, &[self], move |g, _| {
            let mut gx = g.clone();
            for (i, &(b, _)) in pads_v.iter().enumerate() {
                gx = gx.narrow(lead + i, b, xs[lead + i])?;
            }
            Ok(vec![Some(gx.contiguous())])
        })
    }
    /// Join along `axis`; each input's gradient is its slice of g.
    pub fn cat(vars: &[&Var], axis: usize) -> Result<Var> {
        let first = vars.first().ok_or(AutodiffError::Tensor(tensor::TensorError::InvalidArgument {
            op: "cat",
            msg: "no tensors".into(),
        }))?;
        let values: Vec<&Tensor> = vars.iter().map(|v| v.value()).collect();
        let y = Tensor::cat(&values, axis)?;
        let sizes: Vec<usize> = vars.iter().map(|v| v.shape()[axis]).collect();
        first.tape.record("cat", y, vars, move |g, n| {
            let mut start = 0;
            let mut out = Vec::with_capacity(sizes.len());
            for (i, &len) in sizes.iter().enumerate() {
                out.push(if n[i] { Some(g.narrow(axis, start, len)?.contiguous()) } else { None });
                start += len;
            }
            Ok(out)
        })
    }
    /// Join same-shape Vars along a new `axis`.
    pub fn stack(vars: &[&Var], axis: usize) -> Result<Var> {
        let expanded: Vec<Var> = vars.iter().map(|v| v.unsqueeze(axis)).collect::<Result<_>>()?;
        Var::cat(&expanded.iter().collect::<Vec<_>>(), axis)
    }
}
