//! Elementwise functions of two Vars, with broadcasting. Each gradient is summed back to its
//! input's shape (`sum_to_shape`), which is the chain rule for the implicit broadcast.

use tensor::Tensor;

use super::sum_to_shape;
use crate::error::Result;
use crate::var::Var;

impl Var {
    fn binary(
        &self,
        op: &'static str,
        rhs: &Var,
        y: Tensor,
        rule: impl Fn(&Tensor, &Tensor, &Tensor, &[bool]) -> Result<(Option<Tensor>, Option<Tensor>)> + 'static,
    ) -> Result<Var> {
        let (a, b) = (self.value().clone(), rhs.value().clone());
        self.tape.record(op, y, &[self, rhs], move |g, needs| {
            let (ga, gb) = rule(g, &a, &b, needs)?;
            Ok(vec![
                ga.map(|t| sum_to_shape(&t, a.shape())).transpose()?,
                gb.map(|t| sum_to_shape(&t, b.shape())).transpose()?,
            ])
        })
    }

    /// `y = a + b`; `∂L/∂a = g`, `∂L/∂b = g`.
    pub fn add(&self, rhs: &Var) -> Result<Var> {
        self.binary("add", rhs, self.value().add(rhs.value())?, |g, _, _, _| Ok((Some(g.clone()), Some(g.clone()))))
    }
    /// `y = a − b`; `∂L/∂a = g`, `∂L/∂b = −g`.
    pub fn sub(&self, rhs: &Var) -> Result<Var> {
        self.binary("sub", rhs, self.value().sub(rhs.value())?, |g, _, _, n| {
            Ok((Some(g.clone()), n[1].then(|| g.neg())))
        })
    }
    /// `y = a·b`; `∂L/∂a = g·b`, `∂L/∂b = g·a`.
    pub fn mul(&self, rhs: &Var) -> Result<Var> {
        self.binary("mul", rhs, self.value().mul(rhs.value())?, |g, a, b, n| {
            Ok((if n[0] { Some(g.mul(b)?) } else { None }, if n[1] { Some(g.mul(a)?) } else { None }))
        })
    }
    /// `y = a/b`; `∂L/∂a = g/b`, `∂L/∂b = −g·a/b²`.
    pub fn div(&self, rhs: &Var) -> Result<Var> {
        self.binary("div", rhs, self.value().div(rhs.value())?, |g, a, b, n| {
            let ga = if n[0] { Some(g.div(b)?) } else { None };
            let gb = if n[1] { Some(g.mul(a)?.div(&b.square())?.neg()) } else { None };
            Ok((ga, gb))
        })
    }
    /// `y = max(a, b)`; the gradient goes to the larger input (split evenly on ties):
    /// `∂L/∂a = g·m`, `∂L/∂b = g·(1 − m)` with `m = [a > b] + ½[a = b]`.
    pub fn maximum(&self, rhs: &Var) -> Result<Var> {
        self.binary("maximum", rhs, self.value().maximum(rhs.value())?, |g, a, b, _| {
            let m = a.gt(b)?.add(&a.eq_mask(b)?.mul_scalar(0.5))?;
            Ok((Some(g.mul(&m)?), Some(g.mul(&m.affine(-1.0, 1.0))?)))
        })
    }
    /// `y = min(a, b)`, the mirror image of [`Var::maximum`].
    pub fn minimum(&self, rhs: &Var) -> Result<Var> {
        self.binary("minimum", rhs, self.value().minimum(rhs.value())?, |g, a, b, _| {
            let m = b.gt(a)?.add(&a.eq_mask(b)?.mul_scalar(0.5))?;
            Ok((Some(g.mul(&m)?), Some(g.mul(&m.affine(-1.0, 1.0))?)))
        })
    }
}
