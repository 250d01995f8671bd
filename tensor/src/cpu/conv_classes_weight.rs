//! The weight gradient of a small padded map over its tap classes, on 16×16 register tiles.
//!
//! For each class and each of its taps t, over the class's columns (positions × images):
//!
//! ```text
//! dW[co, ci, t] += Σ_col dy[co, col] · x[ci, off_t(col)]          (a tile: 16 co × 16 ci)
//! ```
//!
//! The columns are the tiles' reduction axis: `dy` is gathered once per class into panels of
//! 16 output channels, `x` once per tap into panels of 16 input channels, both column by
//! column. No zero tap is gathered or multiplied. The sum over the batch runs in a fixed number
//! of parts of fixed blocks of images, added in a fixed order: the result does not depend on
//! the number of threads (tested).

use rayon::prelude::*;

use super::conv::{sum_parts, with_scratch, ConvGeom, REDUCTION_PARTS};
use super::part_range;
use super::tap_classes::TapClasses;
use super::tile::{gather_rows, tile, T};

/// Columns of the widest class per block of images.
const BLOCK_COLUMNS: usize = 256;

/// `dW = Σ_n dy_n ⋆ x_n` (see [`super::conv::conv_backward_weight`]) over the tap classes.
pub fn backward_weight(g: &ConvGeom, classes: &TapClasses, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let (k, kl, p, il) = (g.k(), g.k() / g.c_in, g.p(), g.input_len());
    let plane = il / g.c_in;
    let widest = classes.classes.iter().map(|c| c.positions.len()).max().unwrap_or(1);
    // fixed blocks (not one per thread): the order of every sum depends on the shapes only
    let nb = (BLOCK_COLUMNS / widest).max(1);
    let blocks = g.n.div_ceil(nb);
    let n_parts = REDUCTION_PARTS.min(blocks).max(1);
    let (rows_out, rows_in) = (g.c_out.div_ceil(T), g.c_in.div_ceil(T));
    let partials: Vec<Vec<f32>> = (0..n_parts)
        .into_par_iter()
        .map(|part| {
            // tap-major, dWᵗ[t, co, ci], so that a tile adds onto 16 rows of 16 contiguous floats
            let mut dwt = vec![0.0f32; g.c_out * k];
            for block in part_range(blocks, n_parts, part) {
                let (n0, bn) = (block * nb, nb.min(g.n - block * nb));
                with_scratch((rows_out + rows_in) * T * bn * widest, |buf| {
                    let (a, b) = buf.split_at_mut(rows_out * T * bn * widest);
                    for class in classes.classes.iter().filter(|c| !c.taps.is_empty()) {
                        let (pc, cols) = (class.positions.len(), bn * class.positions.len());
                        // A[r][col][i] = dy[image, r·16 + i, position]
                        let dy_at = |col: usize| (n0 + col / pc) * g.c_out * p + class.positions[col % pc] as usize;
                        channel_panels(dy, dy_at, p, g.c_out, cols, a);
                        for (ti, &t) in class.taps.iter().enumerate() {
                            let offs = &class.offsets[ti * pc..(ti + 1) * pc];
                            // B[s][col][l] = x[image, s·16 + l, off_t(position)]
                            let x_at = |col: usize| (n0 + col / pc) * il + offs[col % pc] as usize;
                            channel_panels(x, x_at, plane, g.c_in, cols, b);
                            let (a, b) = (&*a, &*b);
                            // the rows of 16 output channels in parallel, each adding onto
                            // its own rows of dWᵗ (a batch too small to split, like the ABP
                            // generator's first layer, still uses both threads)
                            let tap_rows = &mut dwt[t * g.c_out * g.c_in..(t + 1) * g.c_out * g.c_in];
                            tap_rows.par_chunks_mut(T * g.c_in).enumerate().for_each(|(r, rows)| {
                                let mut out = [0.0f32; T * T];
                                for s in 0..rows_in {
                                    let pair = (a[r * cols * T..].as_ptr(), b[s * cols * T..].as_ptr());
                                    // SAFETY: CPU checked by `plan`; both panels hold cols·16 floats.
                                    unsafe { tile(&[pair], cols, &mut out) };
                                    let width = T.min(g.c_in - s * T);
                                    for (ai, row) in rows.chunks_exact_mut(g.c_in).enumerate() {
                                        let row = &mut row[s * T..s * T + width];
                                        row.iter_mut().zip(&out[ai * T..]).for_each(|(d, &v)| *d += v);
                                    }
                                }
                            });
                        }
                    }
                });
            }
            dwt
        })
        .collect();
    let dwt = sum_parts(g.c_out * k, partials);
    // dW[co, ci, t] = dWᵗ[t, co, ci]
    let mut dw = vec![0.0f32; g.c_out * k];
    dw.par_chunks_mut(k).enumerate().for_each(|(co, row)| {
        for (ci, taps) in row.chunks_exact_mut(kl).enumerate() {
            for (t, v) in taps.iter_mut().enumerate() {
                *v = dwt[(t * g.c_out + co) * g.c_in + ci];
            }
        }
    });
    dw
}

/// `dst[(r·cols + col)·16 + l] = src[at(col) + (r·16 + l)·stride]`: for every column, its
/// `channels` values (`stride` apart) in panels of 16 channels, zero beyond the last.
fn channel_panels(
    src: &[f32],
    at: impl Fn(usize) -> usize + Sync,
    stride: usize,
    channels: usize,
    cols: usize,
    dst: &mut [f32],
) {
    let lanes = std::array::from_fn::<i32, T, _>(|l| (l * stride) as i32);
    // the panels in parallel: the tiles of one tap wait for them
    let panels = dst[..channels.div_ceil(T) * cols * T].par_chunks_mut(cols * T);
    panels.enumerate().for_each(|(r, panel)| {
        let width = T.min(channels - r * T);
        for col in 0..cols {
            let first = &src[at(col) + r * T * stride..];
            // SAFETY: CPU checked by `plan`; lanes < width are channels of this column's
            // image, inside `src`; the destination panel row holds 16 floats.
            unsafe { gather_rows(first.as_ptr(), 0, &lanes, width, 1, panel[col * T..].as_mut_ptr()) };
        }
    });
}
