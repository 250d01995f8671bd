//! Convolutions of small images: several images side by side in one GEMM.
//!
//! With one GEMM per image, a layer whose output has few positions (a generator's 4×4 and
//! 8×8 maps, P = 16 or 64) multiplies a large weight matrix by a thin one: `W[C_out, K]` is
//! repacked by the GEMM for every image, and packing costs as much as the multiply. Here `B`
//! images share one matrix `cols[K, B·P]` (image b in columns b·P ..), so the weights are
//! packed once per B images and the GEMM is wide enough to run at full speed.
//!
//! In the forward and backward-data passes each output element is the same dot product over
//! K, in the same order, as in the one-image kernels (the GEMM splits K the same way whatever
//! N is), and every task writes its own images: results are bit-identical to
//! [`super::conv`]'s (tested). The weight gradient sums over the chunk's positions inside one
//! GEMM (`dW += dy[C_out, B·P] · cols[K, B·P]ᵀ`), so its rounding differs from the one-image
//! kernel's; its chunks are split into a fixed number of parts added in a fixed order. All
//! three are independent of the number of threads (tested).

use rayon::prelude::*;

use super::conv::{sum_parts, with_scratch, ConvGeom, REDUCTION_PARTS};
use super::matmul::{sgemm_raw, MatRef};
use super::unfold::Unfold;
use super::{part_range, SendPtr};

/// Columns per GEMM that make the multiply efficient (measured on the generator nets).
const TARGET_COLUMNS: usize = 512;
/// The largest `cols` matrix, in floats (16 MiB).
const MAX_COLS: usize = 1 << 22;

/// How many images to put in one GEMM, or `None` when the one-image kernels are as good: an
/// image already fills a GEMM, there is one image, or an image needs several tiles.
pub fn images_per_gemm(g: &ConvGeom) -> Option<usize> {
    let (k, p) = (g.k(), g.p());
    if g.n < 2 || p == 0 || 2 * p > TARGET_COLUMNS || g.rows_per_tile() < g.rows() {
        return None;
    }
    let b = (TARGET_COLUMNS / p).min(MAX_COLS / k.max(1)).min(g.n);
    (b >= 2).then_some(b)
}

/// [`super::conv::conv_forward`] with `b` images per GEMM.
pub fn forward(g: &ConvGeom, b: usize, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let (k, p, il) = (g.k(), g.p(), g.input_len());
    let mut y = vec![0.0f32; g.n * g.c_out * p];
    let yp = SendPtr(y.as_mut_ptr());
    let unfold = Unfold::new(g);
    (0..g.n.div_ceil(b)).into_par_iter().for_each(|chunk| {
        let (n0, nb) = (chunk * b, b.min(g.n - chunk * b));
        let ld = nb * p;
        with_scratch(k * ld + g.c_out * ld, |buf| {
            let (cols, out) = buf.split_at_mut(k * ld);
            for i in 0..nb {
                let xi = &x[(n0 + i) * il..(n0 + i + 1) * il];
                unfold.im2col(g, xi, 0..g.rows(), &mut cols[i * p..], ld);
            }
            let wm = MatRef { data: w, offset: 0, row_stride: k, col_stride: 1 };
            let cm = MatRef { data: cols, offset: 0, row_stride: ld, col_stride: 1 };
            // SAFETY: `out` is this task's scratch, c_out × ld.
            unsafe { sgemm_raw(g.c_out, k, ld, 1.0, wm, cm, 0.0, out.as_mut_ptr(), ld, 1) };
            for i in 0..nb {
                for co in 0..g.c_out {
                    let src = &out[co * ld + i * p..co * ld + (i + 1) * p];
                    let bv = bias.map_or(0.0, |bs| bs[co]);
                    // SAFETY: this task writes the images n0 .. n0 + nb only; tasks are disjoint.
                    let dst = unsafe { std::slice::from_raw_parts_mut(yp.get().add(((n0 + i) * g.c_out + co) * p), p) };
                    match bias {
                        Some(_) => dst.iter_mut().zip(src).for_each(|(d, &s)| *d = s + bv),
                        None => dst.copy_from_slice(src),
                    }
                }
            }
        });
    });
    y
}

/// [`super::conv::conv_backward_data`] with `b` images per GEMM.
pub fn backward_data(g: &ConvGeom, b: usize, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let (k, p, il) = (g.k(), g.p(), g.input_len());
    let mut dx = vec![0.0f32; g.n * il];
    let unfold = Unfold::new(g);
    dx.par_chunks_mut(b * il).enumerate().for_each(|(chunk, dxc)| {
        let (n0, nb) = (chunk * b, dxc.len() / il);
        let ld = nb * p;
        with_scratch(g.c_out * ld + k * ld, |buf| {
            let (dyt, cols) = buf.split_at_mut(g.c_out * ld);
            side_by_side(g, dy, n0..n0 + nb, dyt);
            let wt = MatRef { data: w, offset: 0, row_stride: 1, col_stride: k };
            let dm = MatRef { data: dyt, offset: 0, row_stride: ld, col_stride: 1 };
            // SAFETY: `cols` is this task's scratch, k × ld.
            unsafe { sgemm_raw(k, g.c_out, ld, 1.0, wt, dm, 0.0, cols.as_mut_ptr(), ld, 1) };
            for (i, dxi) in dxc.chunks_mut(il).enumerate() {
                unfold.col2im_add(g, &cols[i * p..], 0..g.rows(), dxi, ld);
            }
        });
    });
    dx
}

/// [`super::conv::conv_backward_weight`] with `b` images per GEMM.
pub fn backward_weight(g: &ConvGeom, b: usize, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let (k, p, il) = (g.k(), g.p(), g.input_len());
    let unfold = Unfold::new(g);
    let chunks = g.n.div_ceil(b);
    let n_parts = REDUCTION_PARTS.min(chunks);
    let partials: Vec<Vec<f32>> = (0..n_parts)
        .into_par_iter()
        .map(|part| {
            let mut dw = vec![0.0f32; g.c_out * k];
            for chunk in part_range(chunks, n_parts, part) {
                let (n0, nb) = (chunk * b, b.min(g.n - chunk * b));
                let ld = nb * p;
                with_scratch(g.c_out * ld + k * ld, |buf| {
                    let (dyt, cols) = buf.split_at_mut(g.c_out * ld);
                    side_by_side(g, dy, n0..n0 + nb, dyt);
                    for i in 0..nb {
                        unfold.im2col(g, &x[(n0 + i) * il..(n0 + i + 1) * il], 0..g.rows(), &mut cols[i * p..], ld);
                    }
                    let dm = MatRef { data: dyt, offset: 0, row_stride: ld, col_stride: 1 };
                    let ct = MatRef { data: cols, offset: 0, row_stride: 1, col_stride: ld };
                    // SAFETY: dw is owned by this task.
                    unsafe { sgemm_raw(g.c_out, ld, k, 1.0, dm, ct, 1.0, dw.as_mut_ptr(), k, 1) };
                });
            }
            dw
        })
        .collect();
    sum_parts(g.c_out * k, partials)
}

/// `out[C_out, B·P]`: the output gradients of `images`, side by side (image i in columns i·P ..).
fn side_by_side(g: &ConvGeom, dy: &[f32], images: std::ops::Range<usize>, out: &mut [f32]) {
    let (p, ld) = (g.p(), images.len() * g.p());
    for (i, n) in images.enumerate() {
        for co in 0..g.c_out {
            let src = &dy[(n * g.c_out + co) * p..(n * g.c_out + co + 1) * p];
            out[co * ld + i * p..co * ld + (i + 1) * p].copy_from_slice(src);
        }
    }
}
