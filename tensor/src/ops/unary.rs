//! Elementwise functions of one tensor: `y = op(x)`.

use crate::backend::BackendStorage;
use crate::device::dispatch;
use crate::op::UnaryOp;
use crate::tensor::device_ok;
use crate::Tensor;

impl Tensor {
    /// Apply `op` to every element.
    pub fn map(&self, op: UnaryOp) -> Tensor {
        let out = device_ok("map", dispatch!(&*self.storage, s => wrap s.unary(&self.layout, op)));
        Tensor::from_storage(out, self.shape())
    }
    pub fn neg(&self) -> Tensor {
        self.map(UnaryOp::Neg)
    }
    pub fn exp(&self) -> Tensor {
        self.map(UnaryOp::Exp)
    }
    pub fn log(&self) -> Tensor {
        self.map(UnaryOp::Log)
    }
    pub fn sqrt(&self) -> Tensor {
        self.map(UnaryOp::Sqrt)
    }
    pub fn square(&self) -> Tensor {
        self.map(UnaryOp::Square)
    }
    pub fn abs(&self) -> Tensor {
        self.map(UnaryOp::Abs)
    }
    pub fn relu(&self) -> Tensor {
        self.map(UnaryOp::Relu)
    }
    /// `x` for `x > 0`, `slope·x` otherwise (the reference code uses slope 0.2).
    pub fn leaky_relu(&self, slope: f32) -> Tensor {
        self.map(UnaryOp::LeakyRelu(slope))
    }
    pub fn tanh(&self) -> Tensor {
        self.map(UnaryOp::Tanh)
    }
    pub fn sigmoid(&self) -> Tensor {
        self.map(UnaryOp::Sigmoid)
    }
    pub fn recip(&self) -> Tensor {
        self.map(UnaryOp::Recip)
    }
    pub fn sign(&self) -> Tensor {
        self.map(UnaryOp::Sign)
    }
    /// 1 where `x > 0`, else 0.
    pub fn step(&self) -> Tensor {
        self.map(UnaryOp::Step)
    }
    pub fn powf(&self, p: f32) -> Tensor {
        self.map(UnaryOp::Powf(p))
    }
    pub fn clamp(&self, lo: f32, hi: f32) -> Tensor {
        self.map(UnaryOp::Clamp(lo, hi))
    }
    /// `mul·x + add`.
    pub fn affine(&self, mul: f32, add: f32) -> Tensor {
        self.map(UnaryOp::Affine { mul, add })
    }
    /// `x + c`.
    pub fn add_scalar(&self, c: f32) -> Tensor {
        self.affine(1.0, c)
    }
    /// `x · c`.
    pub fn mul_scalar(&self, c: f32) -> Tensor {
        self.affine(c, 0.0)
    }
    /// `x − c`.
    pub fn sub_scalar(&self, c: f32) -> Tensor {
        self.affine(1.0, -c)
    }
    /// `x / c`.
    pub fn div_scalar(&self, c: f32) -> Tensor {
        self.affine(1.0 / c, 0.0)
    }

    /// Index of the first NaN or ±Inf element (row-major), if any.
    pub fn first_non_finite(&self) -> Option<usize> {
        device_ok("first_non_finite", dispatch!(&*self.storage, s => s.first_non_finite(&self.layout)))
    }
}
