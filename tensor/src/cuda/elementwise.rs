//! Elementwise launches: maps, broadcasting binary ops, strided copies, in-place updates,
//! concatenation, padding and the random fills. One thread per output element (grid-stride);
//! contiguous operands take kernels without index arithmetic.

use super::launch::{cfg_for, check_len, launch, Lay};
use super::storage::CudaStorage;
use super::CudaDevice;
use crate::error::Result;
use crate::layout::{contiguous_strides, Layout};
use crate::op::{BinaryOp, UnaryOp};

/// `(code, p0, p1)` of a unary op in `kernels/elementwise.cu`'s `unary_apply`.
fn unary_code(op: UnaryOp) -> (i32, f32, f32) {
    match op {
        UnaryOp::Neg => (0, 0.0, 0.0),
        UnaryOp::Exp => (1, 0.0, 0.0),
        UnaryOp::Log => (2, 0.0, 0.0),
        UnaryOp::Sqrt => (3, 0.0, 0.0),
        UnaryOp::Square => (4, 0.0, 0.0),
        UnaryOp::Abs => (5, 0.0, 0.0),
        UnaryOp::Relu => (6, 0.0, 0.0),
        UnaryOp::LeakyRelu(s) => (7, s, 0.0),
        UnaryOp::Tanh => (8, 0.0, 0.0),
        UnaryOp::Sigmoid => (9, 0.0, 0.0),
        UnaryOp::Affine { mul, add } => (10, mul, add),
        UnaryOp::Powf(p) => (11, p, 0.0),
        UnaryOp::Clamp(lo, hi) => (12, lo, hi),
        UnaryOp::Step => (13, 0.0, 0.0),
        UnaryOp::Sign => (14, 0.0, 0.0),
        UnaryOp::Recip => (15, 0.0, 0.0),
    }
}

/// Code of a binary op in `kernels/elementwise.cu`'s `binary_apply`.
fn binary_code(op: BinaryOp) -> i32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
        BinaryOp::Maximum => 4,
        BinaryOp::Minimum => 5,
        BinaryOp::Gt => 6,
        BinaryOp::Eq => 7,
        BinaryOp::MaskPositive => 8,
    }
}

/// The elements `l` selects as a new contiguous buffer.
pub(crate) fn copy_strided(x: &CudaStorage, l: &Layout) -> Result<CudaStorage> {
    let dev = x.cuda_device();
    let mut out = CudaStorage::alloc(dev, l.numel())?;
    if l.is_contiguous() {
        out.copy_from(x, l.offset(), l.numel())?;
    } else {
        assign_strided(&mut out, x, l)?;
    }
    Ok(out)
}

/// `dst ← src` (as `l` selects it), `dst` contiguous with `l.numel()` elements.
pub(crate) fn assign_strided(dst: &mut CudaStorage, src: &CudaStorage, l: &Layout) -> Result<()> {
    copy_into(dst.ptr(), src, l)
}

/// The elements `l` selects, written contiguously from device address `dst` on.
pub(crate) fn copy_into(dst: u64, src: &CudaStorage, l: &Layout) -> Result<()> {
    let n = check_len("copy", l.numel())?;
    if n == 0 {
        return Ok(());
    }
    let dev = src.cuda_device();
    let span = || format!("copy_strided {:?} {:?}", l.shape(), l.strides());
    launch!(@span span; dev, "copy_strided", cfg_for(dev.sm_count(), n), dst, src.ptr(), Lay::of(l)?, n)
}

/// `out = op(x)`.
pub(crate) fn unary(x: &CudaStorage, l: &Layout, op: UnaryOp) -> Result<CudaStorage> {
    let dev = x.cuda_device();
    let out = CudaStorage::alloc(dev, l.numel())?;
    let n = check_len("unary", l.numel())?;
    if n == 0 {
        return Ok(out);
    }
    let (code, p0, p1) = unary_code(op);
    let cfg = cfg_for(dev.sm_count(), n);
    if l.is_contiguous() {
        let span = || format!("unary_contig {op:?} n{n}");
        launch!(@span span; dev, "unary_contig", cfg, out.ptr(), x.ptr_at(l.offset()), n, code, p0, p1)?;
    } else {
        let span = || format!("unary_strided {op:?} n{n}");
        launch!(@span span; dev, "unary_strided", cfg, out.ptr(), x.ptr(), Lay::of(l)?, n, code, p0, p1)?;
    }
    Ok(out)
}

/// `out = op(a, b)`, `la` and `lb` broadcast to one shape.
pub(crate) fn binary(a: &CudaStorage, la: &Layout, b: &CudaStorage, lb: &Layout, op: BinaryOp) -> Result<CudaStorage> {
    let out = CudaStorage::alloc(a.cuda_device(), la.numel())?;
    binary_into(out.ptr(), a, la, b, lb, op)?;
    Ok(out)
}

/// `op(a, b)` written contiguously from device address `out` on.
pub(crate) fn binary_into(
    out: u64,
    a: &CudaStorage,
    la: &Layout,
    b: &CudaStorage,
    lb: &Layout,
    op: BinaryOp,
) -> Result<()> {
    let dev = a.cuda_device();
    let n = check_len("binary", la.numel())?;
    if n == 0 {
        return Ok(());
    }
    let code = binary_code(op);
    let cfg = cfg_for(dev.sm_count(), n);
    if la.is_contiguous() && lb.is_contiguous() {
        let span = || format!("binary_contig {op:?} n{n}");
        launch!(@span span; dev, "binary_contig", cfg, out, a.ptr_at(la.offset()), b.ptr_at(lb.offset()), n, code)
    } else {
        let (sa, sb) = Lay::pair(la, lb)?;
        let span = || format!("binary_strided {op:?} {:?} strides {:?} {:?}", la.shape(), la.strides(), lb.strides());
        launch!(@span span; dev, "binary_strided", cfg, out, a.ptr(), sa, b.ptr(), sb, n, code)
    }
}

/// `y ← a·y + b·x`.
pub(crate) fn axpby_(y: &mut CudaStorage, a: f32, b: f32, x: &CudaStorage, lx: &Layout) -> Result<()> {
    let n = check_len("axpby_", lx.numel())?;
    if n == 0 {
        return Ok(());
    }
    let dev = x.cuda_device();
    launch!(dev, "axpby", cfg_for(dev.sm_count(), n), y.ptr(), a, b, x.ptr(), Lay::of(lx)?, n)
}

/// `y ← op(y)`.
pub(crate) fn map_(y: &mut CudaStorage, op: UnaryOp) -> Result<()> {
    let n = check_len("map_", crate::backend::BackendStorage::len(y))?;
    if n == 0 {
        return Ok(());
    }
    let (code, p0, p1) = unary_code(op);
    let dev = y.cuda_device().clone();
    launch!(&dev, "unary_inplace", cfg_for(dev.sm_count(), n), y.ptr(), n, code, p0, p1)
}

/// `y ← where(mask ≠ 0, src, y)`.
pub(crate) fn masked_assign_(
    y: &mut CudaStorage,
    mask: &CudaStorage,
    lm: &Layout,
    src: &CudaStorage,
    ls: &Layout,
) -> Result<()> {
    let n = check_len("masked_assign_", lm.numel())?;
    if n == 0 {
        return Ok(());
    }
    let (sm, ss) = Lay::pair(lm, ls)?;
    let dev = mask.cuda_device();
    launch!(dev, "masked_assign", cfg_for(dev.sm_count(), n), y.ptr(), mask.ptr(), sm, src.ptr(), ss, n)
}

/// `x ← x + a·g + b·ξ` with Philox normals under `key`.
pub(crate) fn langevin_(
    x: &mut CudaStorage,
    a: f32,
    g: Option<(&CudaStorage, &Layout)>,
    b: f32,
    key: u64,
) -> Result<()> {
    let n = check_len("langevin_", crate::backend::BackendStorage::len(x))?;
    if n == 0 {
        return Ok(());
    }
    let dev = x.cuda_device().clone();
    let (gp, lg, has_g) = match g {
        Some((gs, l)) => (gs.ptr(), Lay::of(l)?, 1i32),
        None => (x.ptr(), Lay::default(), 0i32),
    };
    let (k0, k1) = (key as u32, (key >> 32) as u32);
    let cfg = cfg_for(dev.sm_count(), n.div_ceil(4));
    launch!(&dev, "langevin", cfg, x.ptr(), gp, lg, has_g, a, b, k0, k1, n)
}

/// What [`random`] draws.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Dist {
    Normal { mean: f32, std: f32 },
    Uniform { lo: f32, hi: f32 },
}

/// `len` samples of `dist` on `dev`, from Philox under `key`.
pub(crate) fn random(dev: &CudaDevice, len: usize, dist: Dist, key: u64) -> Result<CudaStorage> {
    let out = CudaStorage::alloc(dev, len)?;
    let n = check_len("random", len)?;
    if n == 0 {
        return Ok(out);
    }
    let (k0, k1) = (key as u32, (key >> 32) as u32);
    let cfg = cfg_for(dev.sm_count(), n.div_ceil(4));
    match dist {
        Dist::Normal { mean, std } => launch!(dev, "randn", cfg, out.ptr(), n, mean, std, k0, k1)?,
        // lo < hi, both finite: checked by `Tensor::rand_uniform_on`
        Dist::Uniform { lo, hi } => launch!(dev, "rand_uniform", cfg, out.ptr(), n, lo, hi, k0, k1)?,
    }
    Ok(out)
}

/// `x` (contiguous) written into `out` at the positions `slot` selects.
fn scatter(out: &mut CudaStorage, slot: &Layout, x: &CudaStorage) -> Result<()> {
    let n = check_len("scatter", slot.numel())?;
    if n == 0 {
        return Ok(());
    }
    let dev = x.cuda_device();
    launch!(dev, "scatter", cfg_for(dev.sm_count(), n), out.ptr(), Lay::of(slot)?, x.ptr(), n)
}

/// Concatenate contiguous buffers of shapes `shapes` along `axis`: each part is scattered into
/// its slot (a narrowed view of the output).
pub(crate) fn cat(parts: &[&CudaStorage], shapes: &[Vec<usize>], axis: usize) -> Result<CudaStorage> {
    let mut shape = shapes[0].clone();
    shape[axis] = shapes.iter().map(|s| s[axis]).sum();
    let mut out = CudaStorage::alloc(parts[0].cuda_device(), shape.iter().product())?;
    let full = Layout::contiguous(&shape);
    let mut start = 0;
    for (p, s) in parts.iter().zip(shapes) {
        scatter(&mut out, &full.narrow(axis, start, s[axis])?, p)?;
        start += s[axis];
    }
    Ok(out)
}

/// Pad a contiguous buffer of shape `shape` with `value`: fill, then scatter the input into
/// the middle.
pub(crate) fn pad(x: &CudaStorage, shape: &[usize], pads: &[(usize, usize)], value: f32) -> Result<CudaStorage> {
    let out_shape: Vec<usize> = shape.iter().zip(pads).map(|(&d, &(b, e))| d + b + e).collect();
    let dev = x.cuda_device();
    let mut out = CudaStorage::alloc(dev, out_shape.iter().product())?;
    let n = check_len("pad", out_shape.iter().product())?;
    if n > 0 {
        launch!(dev, "fill", cfg_for(dev.sm_count(), n), out.ptr(), n, value)?;
    }
    let mut slot = Layout::contiguous(&out_shape);
    debug_assert_eq!(slot.strides(), contiguous_strides(&out_shape).as_slice());
    for (ax, (&d, &(before, _))) in shape.iter().zip(pads).enumerate() {
        slot = slot.narrow(ax, before, d)?;
    }
    scatter(&mut out, &slot, x)?;
    Ok(out)
}

/// SGD with momentum in one pass (kernel `sgd_momentum`): `v ← μ·v + g`, `p ← p + step·v`.
pub(crate) fn sgd_momentum_(
    p: &mut CudaStorage,
    v: &mut CudaStorage,
    g: &CudaStorage,
    lg: &Layout,
    momentum: f32,
    step: f32,
) -> Result<()> {
    let n = check_len("sgd_momentum_", lg.numel())?;
    if n == 0 {
        return Ok(());
    }
    let dev = g.cuda_device();
    launch!(dev, "sgd_momentum", cfg_for(dev.sm_count(), n), p.ptr(), v.ptr(), g.ptr(), Lay::of(lg)?, momentum, step, n)
}

/// Adam in one pass (kernel `adam`), as [`crate::AdamStep::apply`] says.
pub(crate) fn adam_(
    p: &mut CudaStorage,
    m: &mut CudaStorage,
    v: &mut CudaStorage,
    g: &CudaStorage,
    lg: &Layout,
    s: &crate::AdamStep,
) -> Result<()> {
    let n = check_len("adam_", lg.numel())?;
    if n == 0 {
        return Ok(());
    }
    let dev = g.cuda_device();
    let cfg = cfg_for(dev.sm_count(), n);
    let lay = Lay::of(lg)?;
    launch!(dev, "adam", cfg, p.ptr(), m.ptr(), v.ptr(), g.ptr(), lay, s.beta1, s.beta2, s.eps, s.c1, s.c2, s.step, n)
}
