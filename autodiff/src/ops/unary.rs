//! Elementwise functions of one Var.

use tensor::{Tensor, UnaryOp};

use crate::error::Result;
use crate::var::Var;

impl Var {
    /// Record `y = op(x)` whose rule is `∂L/∂x = g ⊙ d(x, y)` for a local derivative `d`.
    fn unary(&self, op: &'static str, y: Tensor, d: impl Fn(&Tensor, &Tensor) -> Tensor + 'static) -> Result<Var> {
        let (x, y2) = (self.value().clone(), y.clone());
        self.tape.record(op, y, &[self], move |g, _| Ok(vec![Some(g.mul(&d(&x, &y2))?)]))
    }

    /// `y = −x`; `∂L/∂x = −g`.
    pub fn neg(&self) -> Result<Var> {
        self.tape.record("neg", self.value().neg(), &[self], |g, _| Ok(vec![Some(g.neg())]))
    }
    /// `y = eˣ`; `∂L/∂x = g·y`.
    pub fn exp(&self) -> Result<Var> {
        self.unary("exp", self.value().exp(), |_, y| y.clone())
    }
    /// `y = ln x`; `∂L/∂x = g/x`.
    pub fn log(&self) -> Result<Var> {
        self.unary("log", self.value().log(), |x, _| x.recip())
    }
    /// `y = √x`; `∂L/∂x = g/(2y)`.
    pub fn sqrt(&self) -> Result<Var> {
        self.unary("sqrt", self.value().sqrt(), |_, y| y.recip().mul_scalar(0.5))
    }
    /// `y = x²`; `∂L/∂x = 2x·g`.
    pub fn square(&self) -> Result<Var> {
        self.unary("square", self.value().square(), |x, _| x.mul_scalar(2.0))
    }
    /// `y = |x|`; `∂L/∂x = sign(x)·g`.
    pub fn abs(&self) -> Result<Var> {
        self.unary("abs", self.value().abs(), |x, _| x.sign())
    }
    /// `y = max(x, 0)`; `∂L/∂x = g·[x > 0]` (= `g·[y > 0]`, one fused pass over g and y).
    pub fn relu(&self) -> Result<Var> {
        let y = self.value().relu();
        let y2 = y.clone();
        self.tape.record("relu", y, &[self], move |g, _| Ok(vec![Some(g.mask_positive(&y2)?)]))
    }
    /// `y = x` if `x > 0` else `slope·x`; `∂L/∂x = g·([x > 0] + slope·[x ≤ 0])`.
    pub fn leaky_relu(&self, slope: f32) -> Result<Var> {
        self.unary("leaky_relu", self.value().leaky_relu(slope), move |x, _| x.step().affine(1.0 - slope, slope))
    }
    /// `y = tanh x`; `∂L/∂x = g·(1 − y²)`.
    pub fn tanh(&self) -> Result<Var> {
        self.unary("tanh", self.value().tanh(), |_, y| y.square().affine(-1.0, 1.0))
    }
    /// `y = 1/(1 + e⁻ˣ)`; `∂L/∂x = g·y(1 − y)`.
    pub fn sigmoid(&self) -> Result<Var> {
        self.unary("sigmoid", self.value().sigmoid(), |_, y| {
            y.map(UnaryOp::Affine { mul: -1.0, add: 1.0 }).mul(y).expect("same shape")
        })
    }
    /// `y = xᵖ`; `∂L/∂x = g·p·xᵖ⁻¹`.
    pub fn powf(&self, p: f32) -> Result<Var> {
        self.unary("powf", self.value().powf(p), move |x, _| x.powf(p - 1.0).mul_scalar(p))
    }
    /// `y = clamp(x, lo, hi)`; `∂L/∂x = g·[lo < x < hi]`.
    pub fn clamp(&self, lo: f32, hi: f32) -> Result<Var> {
        self.unary("clamp", self.value().clamp(lo, hi), move |x, _| {
            x.add_scalar(-lo).step().mul(&x.affine(-1.0, hi).step()).expect("same shape")
        })
    }
    /// `y = m·x + a`; `∂L/∂x = m·g`.
    pub fn affine(&self, mul: f32, add: f32) -> Result<Var> {
        self.tape
            .record("affine", self.value().affine(mul, add), &[self], move |g, _| Ok(vec![Some(g.mul_scalar(mul))]))
    }
    pub fn mul_scalar(&self, c: f32) -> Result<Var> {
        self.affine(c, 0.0)
    }
    pub fn add_scalar(&self, c: f32) -> Result<Var> {
        self.affine(1.0, c)
    }
}
