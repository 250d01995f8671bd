//! Convolution kernels for 1-d, 2-d and 3-d (1-d and 2-d are 3-d with unit leading axes).
//!
//! Three kernels do all the work, for `conv` and `conv_transpose` and both their gradients:
//!
//! * [`conv_forward`]: `y = W ⋆ x`. **im2col + GEMM**: unfold the input patches of a tile of
//!   output positions into a matrix `cols[K, P]` (K = C_in·kd·kh·kw), then `y = W[C_out, K]·cols`.
//! * [`conv_backward_data`]: `dx = Wᵀ ⋆ dy`, the adjoint of the above. **GEMM + col2im**:
//!   `cols = Wᵀ·dy`, then scatter-add every column back onto the input positions it came from.
//!   This is also the forward of the transposed convolution.
//! * [`conv_backward_weight`]: `dW = Σ_n dy_n · cols_nᵀ` (im2col + GEMM, summed over the batch).
//!   With the roles of x and dy swapped it is also the weight gradient of `conv_transpose`.
//!
//! Each first offers the call to the faster paths that take it: one-channel 1-d filters
//! (`conv_filter.rs`), tap classes for small padded
//! maps (`conv_classes.rs`), several small images per GEMM (`conv_batched.rs`),
//! and direct convolutions of large maps on AVX-512 (`conv_direct.rs`,
//! `conv_direct_weight.rs`); what they decline runs here.
//!
//! Work is split into tiles of output rows so that a `cols` tile stays in cache and both
//! batch-1 and large-batch calls use every thread. `cols` tiles live in a per-thread scratch
//! buffer that is reused across calls (no page faults per Langevin step).

use std::cell::RefCell;

use rayon::prelude::*;

use super::matmul::{sgemm_raw, MatRef};
use super::unfold::Unfold;
use super::{part_range, SendPtr};
pub use crate::op::ConvGeom;

impl ConvGeom {
    /// Output "rows" (depth × height), each of `output[2]` positions.
    pub(crate) fn rows(&self) -> usize {
        self.output[0] * self.output[1]
    }
    /// Output rows per tile, chosen so that a `cols` tile is about 4 MiB (measured on the
    /// texture and 3×3 workloads: smaller tiles make the GEMM too thin, e.g. N = 72 for the
    /// texture net's conv2 with 1 MiB).
    pub(crate) fn rows_per_tile(&self) -> usize {
        const TILE_FLOATS: usize = 1 << 20;
        let per_row = self.k() * self.output[2].max(1);
        (TILE_FLOATS / per_row.max(1)).clamp(1, self.rows().max(1))
    }
}

thread_local! {
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's scratch buffer grown to at least `len` floats.
pub(crate) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < len {
            s.resize(len, 0.0);
        }
        f(&mut s[..len])
    })
}

/// For kernel offset `k` along the width: the range of output columns whose input column
/// `ow·stride + k − pad` lies inside `0..w`.
#[inline]
fn valid_cols(ow_len: usize, stride: usize, k: usize, pad: usize, w: usize) -> (usize, usize) {
    // ow·s + k − pad ≥ 0  ⇔  ow ≥ ceil((pad − k)/s) ;  ow·s + k − pad < w  ⇔  ow < ceil((w + pad − k)/s)
    let lo = if pad > k { (pad - k).div_ceil(stride) } else { 0 };
    let hi = if w + pad > k { (w + pad - k).div_ceil(stride) } else { 0 };
    (lo.min(ow_len), hi.min(ow_len).max(lo.min(ow_len)))
}

/// Input row (depth, height) read by output row `r` at kernel offset (kd, kh), if inside.
#[inline]
fn input_row(g: &ConvGeom, r: usize, kd: usize, kh: usize) -> Option<usize> {
    let (od, oh) = (r / g.output[1], r % g.output[1]);
    let id = (od * g.stride[0] + kd).checked_sub(g.pad[0])?;
    let ih = (oh * g.stride[1] + kh).checked_sub(g.pad[1])?;
    (id < g.input[0] && ih < g.input[1]).then_some(id * g.input[1] + ih)
}

/// Unfold image `x` (C_in × D × H × W) for output rows `rows` into `cols[K, rows·OW]`, whose
/// rows are `ld` apart (`ld = rows·OW` for a matrix of its own; larger when several images
/// share one matrix side by side).
pub fn im2col(g: &ConvGeom, x: &[f32], rows: std::ops::Range<usize>, cols: &mut [f32], ld: usize) {
    let [kd_n, kh_n, kw_n] = g.kernel;
    let (ow_n, w, sw, pw) = (g.output[2], g.input[2], g.stride[2], g.pad[2]);
    let tp = rows.len() * ow_n;
    let plane = g.input[0] * g.input[1] * w;
    let mut krow = 0;
    for ci in 0..g.c_in {
        let xc = &x[ci * plane..(ci + 1) * plane];
        for kd in 0..kd_n {
            for kh in 0..kh_n {
                for kw in 0..kw_n {
                    let dst = &mut cols[krow * ld..krow * ld + tp];
                    let (lo, hi) = valid_cols(ow_n, sw, kw, pw, w);
                    for (t, r) in rows.clone().enumerate() {
                        let seg = &mut dst[t * ow_n..(t + 1) * ow_n];
                        let Some(irow) = input_row(g, r, kd, kh) else {
                            seg.fill(0.0);
                            continue;
                        };
                        let src = &xc[irow * w..(irow + 1) * w];
                        seg[..lo].fill(0.0);
                        seg[hi..].fill(0.0);
                        if lo < hi {
                            let first = lo * sw + kw - pw;
                            if sw == 1 {
                                seg[lo..hi].copy_from_slice(&src[first..first + hi - lo]);
                            } else {
                                for (j, s) in seg[lo..hi].iter_mut().enumerate() {
                                    *s = src[first + j * sw];
                                }
                            }
                        }
                    }
                    krow += 1;
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: add every entry of `cols[K, rows·OW]` (rows `ld` apart) onto
/// the input position it was read from, in image `x` (C_in × D × H × W).
pub fn col2im_add(g: &ConvGeom, cols: &[f32], rows: std::ops::Range<usize>, x: &mut [f32], ld: usize) {
    let [kd_n, kh_n, kw_n] = g.kernel;
    let (ow_n, w, sw, pw) = (g.output[2], g.input[2], g.stride[2], g.pad[2]);
    let tp = rows.len() * ow_n;
    let plane = g.input[0] * g.input[1] * w;
    let mut krow = 0;
    for ci in 0..g.c_in {
        let xc = &mut x[ci * plane..(ci + 1) * plane];
        for kd in 0..kd_n {
            for kh in 0..kh_n {
                for kw in 0..kw_n {
                    let src = &cols[krow * ld..krow * ld + tp];
                    let (lo, hi) = valid_cols(ow_n, sw, kw, pw, w);
                    for (t, r) in rows.clone().enumerate() {
                        let Some(irow) = input_row(g, r, kd, kh) else {
                            continue;
                        };
                        if lo >= hi {
                            continue;
                        }
                        let seg = &src[t * ow_n + lo..t * ow_n + hi];
                        let dst = &mut xc[irow * w..(irow + 1) * w];
                        let first = lo * sw + kw - pw;
                        if sw == 1 {
                            for (d, &s) in dst[first..first + seg.len()].iter_mut().zip(seg) {
                                *d += s;
                            }
                        } else {
                            for (j, &s) in seg.iter().enumerate() {
                                dst[first + j * sw] += s;
                            }
                        }
                    }
                    krow += 1;
                }
            }
        }
    }
}

/// Tiles of output rows of one image: at least `min_tiles` (and as many as keep a `cols` tile
/// near its cache size), of equal height to within one row.
fn row_tiles(g: &ConvGeom, min_tiles: usize) -> Vec<std::ops::Range<usize>> {
    let rows = g.rows();
    let n_tiles = rows.div_ceil(g.rows_per_tile().max(1)).max(min_tiles).clamp(1, rows.max(1));
    (0..n_tiles).map(|i| part_range(rows, n_tiles, i)).filter(|r| !r.is_empty()).collect()
}

/// Work items of the forward and weight-gradient passes, at least [`MIN_ITEMS`] of them when
/// the batch is small: (image, tile of output rows).
fn tiles(g: &ConvGeom) -> Vec<(usize, std::ops::Range<usize>)> {
    let rows = row_tiles(g, MIN_ITEMS.div_ceil(g.n.max(1)));
    (0..g.n).flat_map(|n| rows.iter().map(move |r| (n, r.clone()))).collect()
}

/// Work items a pass is split into at the least, whatever the number of threads (a split
/// that followed the thread count would change how the weight gradient is summed): a batch-1
/// forward pass of a texture net's first layer used to be one tile of 38 rows and one of 2,
/// so the second thread had nothing to do.
const MIN_ITEMS: usize = 4;

/// Fixed number of parts for the weight gradient's sum over tiles (or over chunks of small
/// images): the sum order, and so every bit of the result, does not depend on how many
/// threads run them. It also caps that pass at 4 parallel tasks.
pub(crate) const REDUCTION_PARTS: usize = 4;

/// The sum of `parts`, added in their order.
pub(crate) fn sum_parts(len: usize, parts: Vec<Vec<f32>>) -> Vec<f32> {
    let mut sum = vec![0.0f32; len];
    for part in parts {
        super::elementwise::axpby(&mut sum, 1.0, 1.0, &part);
    }
    sum
}

/// `y[n, co, p] = Σ_k W[co, k]·cols_n[k, p] + b[co]`. x: N × C_in × D × H × W, w: C_out × K.
pub fn conv_forward(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    if let Some(y) = super::conv_filter::forward(g, x, w, bias) {
        return y;
    }
    if let Some(plan) = super::conv_classes::plan(g, 1.0, false) {
        return super::conv_classes::forward(g, &plan, x, w, bias);
    }
    if let Some(b) = super::conv_batched::images_per_gemm(g) {
        return super::conv_batched::forward(g, b, x, w, bias);
    }
    if let Some(y) = super::conv_direct::forward(g, x, w, bias) {
        return y;
    }
    let (k, p) = (g.k(), g.p());
    let mut y = vec![0.0f32; g.n * g.c_out * p];
    let yp = SendPtr(y.as_mut_ptr());
    let (ow, unfold) = (g.output[2], Unfold::new(g));
    tiles(g).into_par_iter().for_each(|(n, rows)| {
        let tp = rows.len() * ow;
        let p0 = rows.start * ow;
        with_scratch(k * tp, |cols| {
            unfold.im2col(g, &x[n * g.input_len()..(n + 1) * g.input_len()], rows, cols, tp);
            let wm = MatRef { data: w, offset: 0, row_stride: k, col_stride: 1 };
            let cm = MatRef { data: cols, offset: 0, row_stride: tp, col_stride: 1 };
            // SAFETY: this item writes y[n, :, p0..p0+tp] only; items are disjoint.
            unsafe {
                let out = yp.get().add(n * g.c_out * p + p0);
                sgemm_raw(g.c_out, k, tp, 1.0, wm, cm, 0.0, out, p, 1);
                if let Some(b) = bias {
                    for (co, &bv) in b.iter().enumerate() {
                        let row = std::slice::from_raw_parts_mut(out.add(co * p), tp);
                        row.iter_mut().for_each(|v| *v += bv);
                    }
                }
            }
        });
    });
    y
}

/// `dx = col2im(Wᵀ·dy)`: the gradient of [`conv_forward`] with respect to its input, and the
/// forward pass of the transposed convolution. dy: N × C_out × P, w: C_out × K.
///
/// Tasks own disjoint parts of dx: one image each when there are enough images, otherwise
/// one group of input channels of one image (channel c only receives the rows of `Wᵀ·dy`
/// that belong to c). No two tasks add into the same element, so the result is bit-for-bit
/// the same whatever the number of threads (tested).
pub fn conv_backward_data(g: &ConvGeom, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let (k, p, il) = (g.k(), g.p(), g.input_len());
    if il == 0 || g.c_in == 0 {
        return vec![0.0f32; g.n * il];
    }
    if let Some(dx) = super::conv_filter::backward_data(g, dy, w) {
        return dx;
    }
    if let Some(plan) = super::conv_classes::plan(g, 1.0, true) {
        return super::conv_classes::backward_data(g, &plan, dy, w);
    }
    if let Some(b) = super::conv_batched::images_per_gemm(g) {
        return super::conv_batched::backward_data(g, b, dy, w);
    }
    if let Some(dx) = super::conv_direct::backward_data(g, dy, w) {
        return dx;
    }
    // allocated (and zeroed) only here: the paths above return their own buffers
    let mut dx = vec![0.0f32; g.n * il];
    let kernel_len = k / g.c_in;
    // enough tasks for the threads: whole images, or channel groups when images are few. The
    // split does not change a single bit of dx: each element of `cols` is the same dot product
    // whatever the GEMM's height (on our tiles or on matrixmultiply alike, see `gemm`), and
    // each channel is scattered in the same tile order.
    let threads = rayon::current_num_threads();
    let want = if threads == 1 { 1 } else { 2 * threads };
    let groups = if g.n >= want { 1 } else { g.c_in.min(want.div_ceil(g.n)) };
    let per_group = g.c_in.div_ceil(groups);
    let plane = il / g.c_in;
    let (ow, rows, unfold) = (g.output[2], row_tiles(g, 1), Unfold::new(g));
    dx.par_chunks_mut(il).enumerate().for_each(|(n, dxn)| {
        dxn.par_chunks_mut(per_group * plane).enumerate().for_each(|(gi, dxg)| {
            // the conv restricted to input channels c0 .. c0 + cg
            let (c0, cg) = (gi * per_group, dxg.len() / plane);
            let sub = ConvGeom { c_in: cg, ..g.clone() };
            let kg = cg * kernel_len;
            for r in &rows {
                let (tp, p0) = (r.len() * ow, r.start * ow);
                with_scratch(kg * tp, |cols| {
                    // cols[Kg, tp] = W[:, c0 rows]ᵀ · dy_n[:, tile]
                    let wt = MatRef { data: w, offset: c0 * kernel_len, row_stride: 1, col_stride: k };
                    let dym = MatRef { data: dy, offset: n * g.c_out * p + p0, row_stride: p, col_stride: 1 };
                    // SAFETY: cols is this thread's scratch, kg×tp.
                    unsafe { sgemm_raw(kg, g.c_out, tp, 1.0, wt, dym, 0.0, cols.as_mut_ptr(), tp, 1) };
                    unfold.col2im_add(&sub, cols, r.clone(), dxg, tp);
                });
            }
        });
    });
    dx
}

/// `dW[co, k] = Σ_n Σ_p dy[n, co, p]·cols_n[k, p]`: the gradient of [`conv_forward`] with
/// respect to its weight. x: N × C_in × D × H × W, dy: N × C_out × P.
pub fn conv_backward_weight(g: &ConvGeom, x: &[f32], dy: &[f32]) -> Vec<f32> {
    if let Some(dw) = super::conv_filter::backward_weight(g, x, dy) {
        return dw;
    }
    if let Some(classes) = super::conv_classes::plan(g, super::conv_classes::MAX_USEFUL, false) {
        return super::conv_classes_weight::backward_weight(g, &classes, x, dy);
    }
    if let Some(b) = super::conv_batched::images_per_gemm(g) {
        return super::conv_batched::backward_weight(g, b, x, dy);
    }
    if let Some(dw) = super::conv_direct_weight::backward_weight(g, x, dy) {
        return dw;
    }
    let (k, p, il) = (g.k(), g.p(), g.input_len());
    let (ow, unfold) = (g.output[2], Unfold::new(g));
    let items = tiles(g);
    let n_parts = REDUCTION_PARTS.min(items.len()).max(1);
    let partials: Vec<Vec<f32>> = (0..n_parts)
        .into_par_iter()
        .map(|i| {
            let mut dw = vec![0.0f32; g.c_out * k];
            for (n, rows) in &items[part_range(items.len(), n_parts, i)] {
                let tp = rows.len() * ow;
                let p0 = rows.start * ow;
                with_scratch(k * tp, |cols| {
                    unfold.im2col(g, &x[n * il..(n + 1) * il], rows.clone(), cols, tp);
                    let dym = MatRef { data: dy, offset: n * g.c_out * p + p0, row_stride: p, col_stride: 1 };
                    let ct = MatRef { data: cols, offset: 0, row_stride: 1, col_stride: tp };
                    // SAFETY: dw is owned by this task.
                    unsafe { sgemm_raw(g.c_out, tp, k, 1.0, dym, ct, 1.0, dw.as_mut_ptr(), k, 1) };
                });
            }
            dw
        })
        .collect();
    sum_parts(g.c_out * k, partials)
}
