//! The op vocabulary shared by every backend: what an op computes, not how.
//!
//! A backend ([`crate::backend::BackendStorage`]) receives these values and runs its own
//! kernel; the `apply` methods here are the reference semantics, one element at a time (the
//! CPU backend calls them, the CUDA kernels mirror them, the tests compare against them).

/// A function applied to every element. Parameters live in the variant (candle-style).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Square,
    Abs,
    Relu,
    /// `x` for `x > 0`, `slope·x` otherwise.
    LeakyRelu(f32),
    Tanh,
    Sigmoid,
    /// `mul·x + add`: the scalar forms of add, sub and mul.
    Affine {
        mul: f32,
        add: f32,
    },
    /// `x^p`.
    Powf(f32),
    /// `min(max(x, lo), hi)`.
    Clamp(f32, f32),
    /// 1 where `x > 0`, else 0 (the derivative of relu).
    Step,
    /// -1, 0 or 1.
    Sign,
    Recip,
}

impl UnaryOp {
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Square => x * x,
            UnaryOp::Abs => x.abs(),
            UnaryOp::Relu => x.max(0.0),
            UnaryOp::LeakyRelu(s) => {
                if x > 0.0 {
                    x
                } else {
                    s * x
                }
            }
            UnaryOp::Tanh => tanh(x),
            UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            UnaryOp::Affine { mul, add } => mul * x + add,
            UnaryOp::Powf(p) => x.powf(p),
            UnaryOp::Clamp(lo, hi) => x.max(lo).min(hi),
            UnaryOp::Step => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            UnaryOp::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            UnaryOp::Recip => 1.0 / x,
        }
    }
}

/// A function of two elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    /// 1 where `a > b`, else 0.
    Gt,
    /// 1 where `a == b`, else 0.
    Eq,
    /// `a` where `b > 0`, else 0: the backward of relu in one pass (`g·[y > 0]`).
    MaskPositive,
}

impl BinaryOp {
    #[inline(always)]
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Maximum => a.max(b),
            BinaryOp::Minimum => a.min(b),
            BinaryOp::Gt => f32::from(u8::from(a > b)),
            BinaryOp::Eq => f32::from(u8::from(a == b)),
            BinaryOp::MaskPositive => {
                if b > 0.0 {
                    a
                } else {
                    0.0
                }
            }
        }
    }
}

/// How to combine elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Max,
}

impl ReduceOp {
    pub fn init(self) -> f64 {
        match self {
            ReduceOp::Sum => 0.0,
            ReduceOp::Max => f64::NEG_INFINITY,
        }
    }
    #[inline(always)]
    pub fn combine(self, acc: f64, x: f64) -> f64 {
        match self {
            ReduceOp::Sum => acc + x,
            // NaN propagates (as in PyTorch), so a NaN in a chain is never hidden by a max
            ReduceOp::Max => {
                if x > acc || x.is_nan() {
                    x
                } else {
                    acc
                }
            }
        }
    }
}

/// Sizes of one convolution, normalised to 3 spatial axes (depth, height, width).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    pub n: usize,
    pub c_in: usize,
    pub c_out: usize,
    /// Input spatial size (unpadded).
    pub input: [usize; 3],
    pub kernel: [usize; 3],
    pub output: [usize; 3],
    pub stride: [usize; 3],
    /// Padding before each spatial axis (the padding after is implied by `output`).
    pub pad: [usize; 3],
}

impl ConvGeom {
    /// Rows of the unfolded matrix: C_in · kd · kh · kw.
    pub fn k(&self) -> usize {
        self.c_in * self.kernel.iter().product::<usize>()
    }
    /// Output positions per image.
    pub fn p(&self) -> usize {
        self.output.iter().product()
    }
    /// Input elements per image.
    pub fn input_len(&self) -> usize {
        self.c_in * self.input.iter().product::<usize>()
    }
}

/// One Adam update of one parameter, in one pass over its elements (all numbers f32):
///
/// ```text
/// m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
/// p ← p + step · (c₁·m) / (√(c₂·v) + ε)      c₁ = 1/(1 − β₁ᵗ), c₂ = 1/(1 − β₂ᵗ), step = −lr
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Bias corrections `1/(1 − β₁ᵗ)` and `1/(1 − β₂ᵗ)`.
    pub c1: f32,
    pub c2: f32,
    /// `−lr` (times the parameter's lr multiplier): the signed step.
    pub step: f32,
}

impl AdamStep {
    /// The update of one element: `(p, m, v)` after the step with gradient `g`, in the order
    /// of operations every backend follows (so CPU results match the unfused ops bit for bit).
    #[inline(always)]
    pub fn apply(&self, p: f32, m: f32, v: f32, g: f32) -> (f32, f32, f32) {
        let m = m * self.beta1 + (1.0 - self.beta1) * g;
        let v = v * self.beta2 + (1.0 - self.beta2) * (g * g);
        let update = (m * self.c1) / ((v * self.c2).sqrt() + self.eps);
        (p + self.step * update, m, v)
    }
}

/// tanh as a rational function of x: Eigen's single-precision approximation (also ONNX
/// Runtime's and XLA's), `x·P(x²)/Q(x²)` with P of degree 6 and Q of degree 3 in x², on x
/// clamped to ±7.905 (beyond which tanh is ±1 in f32), and x itself below 4·10⁻⁴. Within
/// 4·10⁻⁷ of tanh (a few ulp near ±1; tested against f64), where libm's `tanhf` is within one
/// ulp; but it has no branch or call, so a loop over a tensor vectorises (the ABP generator's
/// output layer, 786 432 numbers: 6.5 ms → 0.16 ms; the abp iteration 2% faster).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    const NUM: [f32; 7] =
        [4.893_524_6e-3, 6.372_619_3e-4, 1.485_722_4e-5, 5.122_297e-8, -8.604_672e-11, 2.000_188e-13, -2.760_768_5e-16];
    const DEN: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    let c = x.clamp(-7.905_311, 7.905_311);
    let c2 = c * c;
    let p = NUM.iter().rev().fold(0.0f32, |acc, &a| acc * c2 + a) * c;
    let q = DEN.iter().rev().fold(0.0f32, |acc, &b| acc * c2 + b);
    if x.abs() < 4e-4 {
        x
    } else {
        p / q
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rational_tanh_is_within_4e_7_of_tanh() {
        let mut worst = 0.0f64;
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-4; // −20 … 20, and the tiny values near 0
            let err = (f64::from(super::tanh(x)) - f64::from(x).tanh()).abs();
            worst = worst.max(err);
        }
        assert!(worst <= 4e-7, "largest error {worst:e}");
        assert_eq!(super::tanh(f32::INFINITY), 1.0);
        assert_eq!(super::tanh(f32::NEG_INFINITY), -1.0);
        assert!(super::tanh(f32::NAN).is_nan());
        assert_eq!(super::tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    }
}
