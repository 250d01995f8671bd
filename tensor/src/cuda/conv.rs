//! Convolutions for 1-d, 2-d and 3-d (all normalised to 3 spatial axes), on one of two paths,
//! chosen per geometry and pass by the device's [`ConvAlgorithms`]:
//!
//! 1. **cuDNN** (`cudnn.rs`), when the device loaded it and the geometry is expressible with
//!    cuDNN's symmetric padding: every ordinary `padding = p` conv and conv-transpose, and,
//!    with the input extended by zeros (`extend.rs`), those that pad more after than before
//!    (TF `SAME`, ABP's crop `[1, 2]`); with a deterministic FP32 algorithm within 512 MiB of
//!    workspace. No im2col matrix: for large `K` this halves the memory traffic.
//! 2. **im2col + cuBLAS** (below), for everything else: padding more before than after,
//!    tensors too large for cuDNN's `int` indices, and extended inputs when
//!    `COOPNETS_CUDNN_EXTEND=0`. Same results within FP32 rounding.
//!
//! By default ([`ConvAlgorithms::Tuned`], `tune.rs`) both are timed on the first call of each
//! geometry and pass, and cuDNN is kept where it takes under 0.8 of im2col's time:
//! on an H100 that is the 16-chain texture nets' 5×5 and 3×3 layers (2–4× faster), while
//! batch-1 layers and the thin first layer stay on im2col (BENCHMARKS.md, CUDA section).
//!
//! The bias is added by our own kernel on both paths.
//!
//! ## im2col + cuBLAS
//!
//! With `K = C_in·kd·kh·kw` rows and `P` output positions per image, a chunk of `c` images is
//! unfolded into one matrix `cols[K, c·P]`, the images side by side:
//!
//! * [`forward`]: `y_i[C_out, P] = W[C_out, K]·cols[:, i·P ..]` for the chunk's images, one
//!   strided-batched SGEMM (W shared: batch stride 0), then `+ b` in one pass. Small maps
//!   ([`wide`]): one GEMM `W·cols` over the whole chunk, reordered into `y`.
//! * [`backward_data`]: `cols[:, i·P ..] = Wᵀ·dy_i` (strided-batched; small maps: one GEMM on
//!   `dy` reordered to `[C_out, count·P]`), then `dx = col2im(cols)`, a gather: each input
//!   element sums the entries that were read from it (no atomics). Also the forward pass of
//!   the transposed convolution.
//! * [`backward_weight`]: `dW = Σ_chunks dY·colsᵀ` with `dY[C_out, c·P]` the chunk of dy
//!   reordered like cols: one SGEMM per chunk whose inner dimension runs over all the chunk's
//!   images (a per-image product would be thin), chunks added in order (`beta = 1`).
//!
//! A chunk's `cols` is at most [`MAX_COLS`] floats (256 MiB; one image at least). cuBLAS
//! results are deterministic on one GPU, and nothing else here sums in a varying order.

use cudarc::driver::{DeviceRepr, LaunchConfig};

use super::blas::{gemm, Mat};
use super::cudnn::{self, Pass};
use super::elementwise::{copy_into, copy_strided};
use super::extend::{extended, extension, Staged};
use super::launch::{cfg_for, check_len, cuda_err, launch, BLOCK};
use super::storage::CudaStorage;
use super::{tune, ConvAlgorithms, CudaDevice};
use crate::error::Result;
use crate::layout::Layout;
use crate::op::ConvGeom;

/// Floats in one chunk's `cols` (at least one image is unfolded whatever its size).
const MAX_COLS: usize = 1 << 26;

/// The geometry as `kernels/conv.cu`'s `struct Conv` (repr(C), all `u32`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Conv {
    c_in: u32,
    c_out: u32,
    input: [u32; 3],
    kernel: [u32; 3],
    output: [u32; 3],
    stride: [u32; 3],
    pad: [u32; 3],
}

// SAFETY: plain old data with the same repr(C) layout as the CUDA struct.
unsafe impl DeviceRepr for Conv {}

impl Conv {
    fn of(g: &ConvGeom) -> Result<Conv> {
        let a = |v: [usize; 3]| -> Result<[u32; 3]> {
            Ok([check_len("conv", v[0])?, check_len("conv", v[1])?, check_len("conv", v[2])?])
        };
        Ok(Conv {
            c_in: check_len("conv", g.c_in)?,
            c_out: check_len("conv", g.c_out)?,
            input: a(g.input)?,
            kernel: a(g.kernel)?,
            output: a(g.output)?,
            stride: a(g.stride)?,
            pad: a(g.pad)?,
        })
    }
}

/// Below this many output positions per image, [`forward`] and [`backward_data`] multiply
/// the whole chunk in one GEMM instead of one per image (see [`wide`]).
const WIDE_BELOW: usize = 512;

/// Whether a chunk of `count` images with `p` output positions each runs as one wide GEMM.
/// Per image, the product is `[C_out, K]·[K, P]`: with a small map (the generators' 4×4 to
/// 16×16 layers, P = 16–256) cuBLAS gets a thin N = P, which ran at a third of the GPU's FP32
/// rate on an H100 even strided-batched. With the chunk's images side by side, N = count·P;
/// the result (forward) or the input `dy` (backward data) is reordered between `[count, C, P]`
/// and `[C, count·P]` by one copy. `COOPNETS_CONV_WIDE=0` keeps one GEMM per image (A/B timings).
fn wide(count: usize, p: usize) -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let off = *OFF.get_or_init(|| std::env::var("COOPNETS_CONV_WIDE").is_ok_and(|v| v.trim() == "0"));
    count > 1 && p < WIDE_BELOW && !off
}

/// Images per chunk, and a `cols` buffer for that many.
fn cols_buffer(dev: &CudaDevice, g: &ConvGeom) -> Result<(usize, CudaStorage)> {
    let per_image = g.k() * g.p();
    let nc = (MAX_COLS / per_image.max(1)).clamp(1, g.n.max(1));
    check_len("conv: im2col matrix of one chunk", nc * per_image)?;
    Ok((nc, CudaStorage::alloc(dev, nc * per_image)?))
}

/// `cols[K, count·P] = im2col` of the `count` images at `x_ptr`. Grid: x over the P columns,
/// y over the `count·C_in·kd` groups of rows.
fn im2col(dev: &CudaDevice, g: &ConvGeom, cols: &CudaStorage, x_ptr: u64, count: usize) -> Result<()> {
    let rows = check_len("im2col", count * g.c_in * g.kernel[0])?;
    let cols_x = check_len("im2col", g.p())?.div_ceil(BLOCK).max(1);
    let cfg = LaunchConfig { grid_dim: (cols_x, rows.min(65535), 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 };
    launch!(dev, "im2col", cfg, cols.ptr(), x_ptr, Conv::of(g)?, check_len("im2col", count)?)
}

/// `dx = col2im(cols[K, count·P])` for the `count` images at `dx_ptr`: one thread per element
/// (and a few idle ones: the width is numbered by residue modulo the stride, see the kernel).
fn col2im(dev: &CudaDevice, g: &ConvGeom, dx_ptr: u64, cols: &CudaStorage, count: usize) -> Result<()> {
    let (s2, w) = (g.stride[2], g.input[2]);
    let slots = s2 * (w + g.pad[2]).div_ceil(s2);
    let n = check_len("col2im", count * g.c_in * g.input[0] * g.input[1] * slots)?;
    launch!(dev, "col2im", cfg_for(dev.sm_count(), n), dx_ptr, cols.ptr(), Conv::of(g)?, check_len("col2im", count)?)
}

/// The `[count, C, P]` block of images `n0 ..` of a `[N, C, P]` buffer as a row-major
/// `[C, count·P]` matrix operand: the buffer itself for one image, else a reordered copy.
fn channel_major(
    t: &CudaStorage,
    n: usize,
    c: usize,
    p: usize,
    n0: usize,
    count: usize,
) -> Result<(Option<CudaStorage>, Mat)> {
    if count == 1 {
        return Ok((None, Mat { ptr: t.ptr_at(n0 * c * p), trans: false, ld: p, stride: 0 }));
    }
    let view = Layout::contiguous(&[n, c, p]).narrow(0, n0, count)?.permute(&[1, 0, 2])?;
    let copy = copy_strided(t, &view)?;
    let m = Mat { ptr: copy.ptr(), trans: false, ld: count * p, stride: 0 };
    Ok((Some(copy), m))
}

/// Run `pass` of `g` on `ptrs` = [x, w, y] (device addresses; `io` is the buffer at `ptrs[0]`:
/// x, or dx for backward data) on the path the device's [`ConvAlgorithms`] picks: cuDNN (on
/// buffers [`Staged`] for it when the input must be extended), or `im2col` (which computes the
/// same pass into the same output).
fn run_pass(
    dev: &CudaDevice,
    g: &ConvGeom,
    pass: Pass,
    io: &CudaStorage,
    ptrs: [u64; 3],
    mut im2col: impl FnMut() -> Result<()>,
) -> Result<()> {
    let how = dev.conv_algorithms();
    let ext = extension(g).filter(|&e| e == [0; 3] || extend_allowed());
    let (Some(state), Some(ext)) = (dev.cudnn(), ext) else { return im2col() };
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let chosen = st.tuned.get(&(cudnn::key(g), pass)).copied();
    if let (ConvAlgorithms::Tuned, Some(None)) = (how, chosen) {
        drop(st);
        return im2col(); // tuned to im2col: no cuDNN call, so no context to bind for it
    }
    dev.context().bind_to_thread().map_err(|e| cuda_err("cuDNN: binding the context", e))?;
    let algo = match (how, chosen) {
        (ConvAlgorithms::Tuned, Some(chosen)) => chosen,
        (ConvAlgorithms::Tuned, None) => {
            let staged = Staged::new(g, ext, pass, io, ptrs)?;
            if tune::tune(dev, &mut st, (g, &staged.gc), pass, staged.ptrs, im2col)? {
                staged.finish(g, pass, io)?;
            }
            return Ok(());
        }
        _ => st.heuristic(&extended(g, ext), pass),
    };
    let Some(a) = algo else {
        drop(st);
        return im2col();
    };
    let staged = Staged::new(g, ext, pass, io, ptrs)?;
    let ran = {
        // the span holds cuDNN's work only (staging and cropping are spans of their own)
        let _span =
            dev.span(|| format!("cudnn {pass:?} n{} {}->{} in{:?} k{:?}", g.n, g.c_in, g.c_out, g.input, g.kernel));
        st.execute(dev.stream(), &staged.gc, pass, staged.ptrs, a)
    };
    match ran {
        Ok(()) => {
            dev.count_cudnn_pass();
            staged.finish(g, pass, io)
        }
        // a choice pinned from a checkpoint that this GPU or cuDNN cannot run: im2col from now on
        Err(e) if how == ConvAlgorithms::Tuned => {
            st.tuned_log.push(format!("{g:?} {pass:?}: cuDNN algo {} failed ({e}) -> im2col", a.0));
            st.tuned.insert((cudnn::key(g), pass), None);
            drop(st);
            im2col()
        }
        Err(e) => Err(e),
    }
}

/// Whether geometries that pad more after than before may run on cuDNN with the input
/// extended (`extend.rs`); `COOPNETS_CUDNN_EXTEND=0` keeps them on im2col (A/B timings).
fn extend_allowed() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !*OFF.get_or_init(|| std::env::var("COOPNETS_CUDNN_EXTEND").is_ok_and(|v| v.trim() == "0"))
}

/// `y = W ⋆ x + b`: x `[N, C_in, D, H, W]`, w `[C_out, K]`, y `[N, C_out, P]`.
pub(crate) fn forward(
    x: &CudaStorage,
    w: &CudaStorage,
    bias: Option<&CudaStorage>,
    g: &ConvGeom,
) -> Result<CudaStorage> {
    let dev = x.cuda_device();
    let (k, p, il, co) = (g.k(), g.p(), g.input_len(), g.c_out);
    let total = g.n * co * p;
    if total == 0 || k == 0 {
        let y = CudaStorage::zeros(dev, total)?;
        return match bias {
            Some(b) if total > 0 => add_bias(dev, &y, b, g).map(|_| y),
            _ => Ok(y),
        };
    }
    let y = CudaStorage::alloc(dev, total)?;
    run_pass(dev, g, Pass::Forward, x, [x.ptr(), w.ptr(), y.ptr()], || {
        let wm = Mat { ptr: w.ptr(), trans: false, ld: k, stride: 0 };
        let (nc, cols) = cols_buffer(dev, g)?;
        for n0 in (0..g.n).step_by(nc) {
            let count = nc.min(g.n - n0);
            im2col(dev, g, &cols, x.ptr_at(n0 * il), count)?;
            if wide(count, p) {
                // Y[C_out, count·P] = W · cols in one GEMM, then reordered to [count, C_out, P]
                let tmp = CudaStorage::alloc(dev, co * count * p)?;
                let cm = Mat { ptr: cols.ptr(), trans: false, ld: count * p, stride: 0 };
                gemm(dev, (co, count * p, k), wm, cm, 0.0, tmp.ptr(), count * p, 0, 1)?;
                let images_first = Layout::contiguous(&[co, count, p]).permute(&[1, 0, 2])?;
                copy_into(y.ptr_at(n0 * co * p), &tmp, &images_first)?;
            } else {
                // image i: y_i[C_out, P] = W · cols[:, i·P ..]
                let cm = Mat { ptr: cols.ptr(), trans: false, ld: count * p, stride: p };
                gemm(dev, (co, p, k), wm, cm, 0.0, y.ptr_at(n0 * co * p), p, co * p, count)?;
            }
        }
        Ok(())
    })?;
    if let Some(b) = bias {
        add_bias(dev, &y, b, g)?;
    }
    Ok(y)
}

/// `y[n, c, p] += b[c]`.
fn add_bias(dev: &CudaDevice, y: &CudaStorage, b: &CudaStorage, g: &ConvGeom) -> Result<()> {
    let n = check_len("conv bias", g.n * g.c_out * g.p())?;
    let (c, p) = (check_len("conv", g.c_out)?, check_len("conv", g.p())?);
    launch!(dev, "bias_add", cfg_for(dev.sm_count(), n), y.ptr(), b.ptr(), c, p, n)
}

/// `dx = col2im(Wᵀ·dY)`: dy `[N, C_out, P]` (self), w `[C_out, K]`, dx `[N, C_in, D, H, W]`.
pub(crate) fn backward_data(dy: &CudaStorage, w: &CudaStorage, g: &ConvGeom) -> Result<CudaStorage> {
    let dev = dy.cuda_device();
    let (k, p, il, co) = (g.k(), g.p(), g.input_len(), g.c_out);
    if g.n * il == 0 || co == 0 || p == 0 {
        return CudaStorage::zeros(dev, g.n * il);
    }
    let dx = CudaStorage::alloc(dev, g.n * il)?;
    run_pass(dev, g, Pass::Data, &dx, [dx.ptr(), w.ptr(), dy.ptr()], || {
        // Wᵀ as a row-major [K, C_out] operand: element (kr, c) at c·K + kr
        let wt = Mat { ptr: w.ptr(), trans: true, ld: k, stride: 0 };
        let (nc, cols) = cols_buffer(dev, g)?;
        for n0 in (0..g.n).step_by(nc) {
            let count = nc.min(g.n - n0);
            if wide(count, p) {
                // cols[K, count·P] = Wᵀ · dY[C_out, count·P] in one GEMM (dy reordered first)
                let (_keep, dym) = channel_major(dy, g.n, co, p, n0, count)?;
                gemm(dev, (k, count * p, co), wt, dym, 0.0, cols.ptr(), count * p, 0, 1)?;
            } else {
                // image i: cols[:, i·P ..] = Wᵀ · dy_i[C_out, P]
                let dym = Mat { ptr: dy.ptr_at(n0 * co * p), trans: false, ld: p, stride: co * p };
                gemm(dev, (k, p, co), wt, dym, 0.0, cols.ptr(), count * p, p, count)?;
            }
            col2im(dev, g, dx.ptr_at(n0 * il), &cols, count)?;
        }
        Ok(())
    })?;
    Ok(dx)
}

/// `dW[C_out, K] = Σ_n dy_n[C_out, P]·cols_n[K, P]ᵀ`: x (self) `[N, C_in, D, H, W]`, dy
/// `[N, C_out, P]`. One SGEMM per chunk over all its images; chunks added in order.
pub(crate) fn backward_weight(x: &CudaStorage, dy: &CudaStorage, g: &ConvGeom) -> Result<CudaStorage> {
    let dev = x.cuda_device();
    let (k, p, il, co) = (g.k(), g.p(), g.input_len(), g.c_out);
    if co * k == 0 || g.n == 0 || p == 0 {
        return CudaStorage::zeros(dev, co * k);
    }
    let dw = CudaStorage::alloc(dev, co * k)?;
    run_pass(dev, g, Pass::Filter, x, [x.ptr(), dw.ptr(), dy.ptr()], || {
        let (nc, cols) = cols_buffer(dev, g)?;
        for n0 in (0..g.n).step_by(nc) {
            let count = nc.min(g.n - n0);
            im2col(dev, g, &cols, x.ptr_at(n0 * il), count)?;
            let (_keep, dym) = channel_major(dy, g.n, co, p, n0, count)?;
            // colsᵀ as a row-major [count·P, K] operand: element (q, kr) at kr·(count·P) + q
            let ct = Mat { ptr: cols.ptr(), trans: true, ld: count * p, stride: 0 };
            gemm(dev, (co, k, count * p), dym, ct, if n0 == 0 { 0.0 } else { 1.0 }, dw.ptr(), k, 0, 1)?;
        }
        Ok(())
    })?;
    Ok(dw)
}
