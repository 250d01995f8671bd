//! The backend seam: the one interface every device implements.
//!
//! A backend owns flat `f32` buffers on its device and runs kernels on them. The methods
//! below are all it has to provide; [`crate::Tensor`]'s ops check shapes, work out layouts
//! and geometry in device-neutral code (`ops/`), then call exactly one of these through the
//! [`crate::Storage`] enum. Conv gradients, transposed convolutions and every autodiff rule
//! are built from these kernels (burn's rule: backends implement forward kernels, gradients
//! come from identities).
//!
//! Conventions, for every backend:
//! * A [`Layout`] says which elements of a buffer a tensor reads (shape, strides, offset);
//!   inputs may be any strided view, outputs are new contiguous buffers in row-major order.
//! * Binary inputs arrive already broadcast to one shape (stride 0 on stretched axes).
//! * In-place methods (`…_`) write a whole contiguous buffer that no other tensor shares
//!   (the caller copies first when it is shared: copy-on-write).
//! * Results are deterministic: the same inputs give the same bits on every run (reductions
//!   combine in a fixed order; no atomics in sums). Resume-after-kill depends on it.

use rand::RngCore;

use crate::device::Device;
use crate::error::Result;
use crate::layout::Layout;
use crate::op::{AdamStep, BinaryOp, ConvGeom, ReduceOp, UnaryOp};

/// Shapes of a (batched) matrix product `[batch.., m, k] · [batch.., k, n]`; both operands'
/// layouts already broadcast over `batch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulDims {
    pub batch: Vec<usize>,
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

/// The kernels of one device. `Self` is that device's buffer type.
pub trait BackendStorage: Sized {
    /// The device the buffer lives on.
    fn device(&self) -> Device;
    /// Number of `f32` in the buffer.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ------------------------------------------------------------- making and moving data
    /// A buffer on `device` holding `data`.
    fn from_host(device: &Device, data: Vec<f32>) -> Result<Self>;
    /// `len` copies of `v` on `device`.
    fn full(device: &Device, len: usize, v: f32) -> Result<Self>;
    /// The elements that `l` selects, row-major, in host memory.
    fn to_host(&self, l: &Layout) -> Result<Vec<f32>>;
    /// The elements that `l` selects as a new contiguous buffer on the same device.
    fn copy_strided(&self, l: &Layout) -> Result<Self>;

    // ------------------------------------------------------------- elementwise
    /// `out = op(x)`.
    fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Self>;
    /// `out = op(a, b)`, `la` and `lb` broadcast to one shape.
    fn binary(&self, la: &Layout, rhs: &Self, lb: &Layout, op: BinaryOp) -> Result<Self>;

    // ------------------------------------------------------------- reductions
    /// Reduce the axes marked in `reduced`; the output keeps every axis (size 1 where reduced).
    fn reduce_axes(&self, l: &Layout, reduced: &[bool], op: ReduceOp) -> Result<Self>;
    /// Reduce every element to one number (accumulated in f64 on the CPU; see each backend).
    fn reduce_all(&self, l: &Layout, op: ReduceOp) -> Result<f32>;
    /// Row-major index of the first NaN or ±Inf, if any.
    fn first_non_finite(&self, l: &Layout) -> Result<Option<usize>>;
    /// The same, queued without waiting for it: `slots[slot] ← min(slots[slot], index)` where
    /// `slots` holds `u32` bit patterns in its `f32`s (`u32::MAX`: none found) and the index
    /// saturates at `u32::MAX − 1`. Nothing changes if every element is finite.
    fn first_non_finite_into(&self, l: &Layout, slots: &mut Self, slot: usize) -> Result<()>;

    // ------------------------------------------------------------- per channel (batch norm)
    /// For contiguous `a`, `b` of shape `[n, c, s]` (`ncs`) and `shift = Some((t, scale))` (`t` at
    /// least `c` long) or `None` (zeros): per channel `k`, over every `(i, j)`, `out[k] = Σ a`
    /// and `out[c + k] = Σ a'·(b − sh)` (`[2, c]`) with `sh = t[k]·scale` (an f32 product) and
    /// `a' = a − sh` if `center`, else `a`; accumulated in f64 (or double) in a fixed order.
    fn channel_sums(
        &self,
        b: &Self,
        shift: Option<(&Self, f32)>,
        center: bool,
        ncs: (usize, usize, usize),
    ) -> Result<Self>;
    /// For contiguous `x`, `y` of shape `[n, c, s]` and `coef` `[≥ 3, c]` whose first rows are
    /// (p, q, r): `out = p[k]·x + q[k]·y + r[k]` on channel `k`.
    fn channel_affine(&self, y: &Self, coef: &Self, n: usize, c: usize, s: usize) -> Result<Self>;
    /// Batch norm's per-channel numbers, forward (self = `[2, c]` sums `Σ x`, `Σ (x − μ)²` of
    /// `m` entries each; `gamma`, `beta` `[c]`): `[6, c]` rows `(k, 0, β − k·μ, μ, σ², s)` with
    /// `μ = Σx·(1/m)`, `σ² = Σ(x − μ)²·(1/m)`, `s = 1/√(σ² + eps)`, `k = γ·s`, in f32.
    fn batch_norm_coefficients(&self, gamma: &Self, beta: &Self, c: usize, m: f32, eps: f32) -> Result<Self>;
    /// Batch norm's per-channel numbers, backward (self = `[2, c]` sums `Σ g`, `Σ g·(x − μ)`;
    /// `fwd` the forward's `[6, c]`): `[5, c]` rows `(p, q, r, ∂L/∂γ, ∂L/∂β)` with
    /// `∂L/∂γ = s·Σ g·(x − μ)`, `∂L/∂β = Σ g`, `q = −k·s·∂L/∂γ·(1/m)`,
    /// `r = −k·Σg·(1/m) − q·μ`, `p = k`, so that `∂L/∂x = p·g + q·x + r`.
    fn batch_norm_grad_coefficients(&self, fwd: &Self, c: usize, m: f32) -> Result<Self>;

    // ------------------------------------------------------------- linear algebra
    /// `C[b] = A[b]·B[b]` for every batch index `b`.
    fn matmul(&self, la: &Layout, rhs: &Self, lb: &Layout, dims: &MatmulDims) -> Result<Self>;
    /// `y = W ⋆ x + b`: x `[N, C_in, D, H, W]`, w `[C_out, C_in, kd, kh, kw]` (contiguous
    /// inputs), bias `[C_out]`.
    fn conv_forward(&self, w: &Self, bias: Option<&Self>, g: &ConvGeom) -> Result<Self>;
    /// `dx = Wᵀ ⋆ dy` (self = dy, contiguous): conv's input gradient and conv-transpose's
    /// forward.
    fn conv_backward_data(&self, w: &Self, g: &ConvGeom) -> Result<Self>;
    /// `dW = Σ_n dy_n · im2col(x_n)ᵀ` (self = x, contiguous).
    fn conv_backward_weight(&self, dy: &Self, g: &ConvGeom) -> Result<Self>;

    // ------------------------------------------------------------- copies
    /// Concatenate contiguous buffers of shapes `shapes` along `axis`.
    fn cat(parts: &[&Self], shapes: &[Vec<usize>], axis: usize) -> Result<Self>;
    /// Pad a contiguous buffer of shape `shape` with `value`; `pads` has one entry per axis.
    fn pad(&self, shape: &[usize], pads: &[(usize, usize)], value: f32) -> Result<Self>;

    // ------------------------------------------------------------- in place (contiguous self)
    /// `self ← a·self + b·x` (with `a = 1` the same bits as `self + b·x`).
    fn axpby_(&mut self, a: f32, b: f32, x: &Self, lx: &Layout) -> Result<()>;
    /// `self ← op(self)`.
    fn map_(&mut self, op: UnaryOp) -> Result<()>;
    /// `self ← src`.
    fn assign_(&mut self, src: &Self, ls: &Layout) -> Result<()>;
    /// `self ← where(mask ≠ 0, src, self)`.
    fn masked_assign_(&mut self, mask: &Self, lm: &Layout, src: &Self, ls: &Layout) -> Result<()>;
    /// `self ← self + a·g + b·ξ`, `ξ ~ N(0, I)` drawn from `rng`: one Langevin step in one
    /// pass (`a = δ²/2`, `b = δ`); without `g` it only adds the noise.
    fn langevin_(&mut self, a: f32, g: Option<(&Self, &Layout)>, b: f32, rng: &mut dyn RngCore) -> Result<()>;

    // ------------------------------------------------------------- optimizer updates
    /// SGD with momentum on parameter `self` with velocity `v` (both contiguous), one pass:
    /// `v ← μ·v + g`, `self ← self + step·v` (`step = −lr`), in the arithmetic of `scale_`
    /// then `axpy_` so that every backend rounds as the separate ops would.
    fn sgd_momentum_(&mut self, v: &mut Self, g: &Self, lg: &Layout, momentum: f32, step: f32) -> Result<()>;
    /// One Adam update of parameter `self` with moments `m`, `v` (all contiguous), one pass,
    /// as [`AdamStep::apply`] says.
    fn adam_(&mut self, m: &mut Self, v: &mut Self, g: &Self, lg: &Layout, s: &AdamStep) -> Result<()>;

    // ------------------------------------------------------------- random
    /// Samples of `N(mean, std²)` for a tensor of shape `shape`, drawn from `rng`, on `device`.
    fn randn(device: &Device, shape: &[usize], mean: f32, std: f32, rng: &mut dyn RngCore) -> Result<Self>;
    /// Samples of `U[lo, hi)`, likewise.
    fn rand_uniform(device: &Device, shape: &[usize], lo: f32, hi: f32, rng: &mut dyn RngCore) -> Result<Self>;
}
