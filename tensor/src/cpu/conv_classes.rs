//! Convolutions of small maps without the zero taps, on 16×16 register tiles.
//!
//! [`super::tap_classes`] splits the output positions into boxes that read the same box of
//! kernel taps (and, for the input gradient, the input positions into classes reached by the
//! same taps); each class is a dense convolution over its own taps. Its columns are the
//! class's positions of a block of images; each 16 of them form a panel.
//!
//! Both passes are the same kernel ([`gather_conv`]): every element it writes is one sum over
//! the taps of its class, read from the other map. The input gradient uses the adjoint classes
//! (grouped by input position), so it gathers from `dy` instead of scattering onto `dx`:
//!
//! ```text
//! forward        y[co, col]  = Σ_t Σ_ci W[co, ci, t] · x[ci, off_t(col)]      col: output positions
//! backward data  dx[ci, col] = Σ_t Σ_co W[co, ci, t] · dy[co, off_t(col)]    col: input positions
//! ```
//!
//! The weights are packed into panels of 16 rows per tap ([`pack_weights`]), and the packing
//! is kept for the next call with the same weights ([`super::kept`]); the map that is read is
//! gathered straight into panels of 16 columns: there is no `cols` matrix and no second
//! packing, and no tap that lands on padding (or, for the input gradient, between the strided
//! outputs) is gathered or multiplied. Rows and columns beyond the matrix are zero in the
//! panels and never stored.
//!
//! This file's panels hold 16 positions (of one image or several), gathered with AVX-512
//! gathers; batches of at least 16 images take [`super::conv_classes_images`] instead, whose
//! panels hold 16 images at one position and are read in place.
//!
//! Every element is written once, as one chain of FMAs in a fixed order (taps, then channels):
//! results do not depend on the batch, the block or the number of threads (tested), and an
//! image gives the same bits alone as inside a batch.

use std::cell::RefCell;
use std::sync::Arc;

use rayon::prelude::*;

use super::conv::{with_scratch, ConvGeom};
use super::conv_classes_images::{self as images, Map};
use super::kept::{with_kept, Kept};
use super::tap_classes::{TapClass, TapClasses};
use super::tile::{gather_rows, tile, T};
use super::SendPtr;

/// Largest output map (positions per image) taken here.
const MAX_POSITIONS: usize = 256;
/// The weight gradient is taken here when the classes skip at least a tenth of full im2col's
/// multiply-adds: with fewer zeros (the ABP generator's 32×32 → 16×16 layer keeps 93%; a 1×1
/// map keeps all) its gathers cost more than the zeros (BENCHMARKS.md). The forward pass and
/// the input gradient are taken on every small map: with no zero to skip the forward is still
/// 1.2× im2col + GEMM on the CoopNets descriptor's 4×4 layer.
pub const MAX_USEFUL: f64 = 0.9;
/// Columns of the widest class per block of images (a block is one task).
const BLOCK_COLUMNS: usize = 256;
/// Column panels that share one pass over the weights in the forward pass (4 panels of a
/// 25-tap, 64-channel class: 400 KiB, beside a 100 KiB row panel of weights, in a 1 MiB L2).
const PANEL_GROUP: usize = 4;

/// The classes of `g`, when these kernels take it: small maps, at least a tile's worth of
/// channels on both sides, a CPU with AVX-512 or AVX2, and at most `max_useful` of full im2col's
/// multiply-adds kept (1.0 for the forward pass and the input gradient, [`MAX_USEFUL`] for the
/// weight gradient). `adjoint`: the classes of input positions (for the input gradient).
pub fn plan(g: &ConvGeom, max_useful: f64, adjoint: bool) -> Option<Arc<TapClasses>> {
    if !enabled() {
        return None;
    }
    // offsets inside a block (at most BLOCK_COLUMNS images) are gathered as i32; the bound
    // does not depend on the batch, so an image takes the same kernel alone and in a batch
    let small = BLOCK_COLUMNS * g.input_len().max(g.c_out * g.p()) < i32::MAX as usize;
    let fits = g.p() > 0 && g.p() <= MAX_POSITIONS && g.c_in >= T && g.c_out >= T && small;
    if !fits || !super::tile::available() {
        return None;
    }
    let classes = super::tap_classes::for_geometry(g, adjoint);
    (classes.useful <= max_useful).then_some(classes)
}

/// `COOPNETS_TAP_CLASSES=0` turns these kernels off (im2col + GEMM everywhere), for A/B timing.
fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("COOPNETS_TAP_CLASSES").map_or(true, |v| v != "0"))
}

/// Images per block (a block is one task): the widest class gets at most [`BLOCK_COLUMNS`]
/// columns, every thread gets about four blocks, and a block is a multiple of 8 images where
/// it can be (a class with one position per image then fills at least half of its panels). Blocks change no
/// result, only who computes it.
fn images_per_block(n: usize, classes: &TapClasses) -> usize {
    let widest = classes.classes.iter().map(|c| c.positions.len()).max().unwrap_or(1);
    let per_task = n.div_ceil(4 * rayon::current_num_threads()).next_multiple_of(T / 2);
    per_task.min(BLOCK_COLUMNS / widest).max(1)
}

/// The weights in panels of 16 rows per tap (in `packed`'s memory), rows = output channels
/// (`forward`) or input channels (backward data), k = the other:
/// `packed[((t·R + r)·k + p)·16 + i] = W[co, ci, t]` with (r·16 + i, p) = (co, ci) or (ci, co),
/// for R = ⌈rows/16⌉ panels, zero beyond the last row.
fn pack_weights(g: &ConvGeom, w: &[f32], forward: bool, mut packed: Vec<f32>) -> Vec<f32> {
    let (k, kl) = (g.k(), g.k() / g.c_in);
    let (rows, kdim) = if forward { (g.c_out, g.c_in) } else { (g.c_in, g.c_out) };
    let r_n = rows.div_ceil(T);
    packed.clear();
    packed.resize(kl * r_n * kdim * T, 0.0);
    let pp = SendPtr(packed.as_mut_ptr());
    // one panel per task, p outermost: the 16 rows' kl taps of one p (a run of kl floats per
    // row) stay in L1 while the kl lines (t, r, p) are filled one whole line at a time (the
    // former order, t outermost, swept the panel's rows of W from L2 once per tap)
    (0..r_n).into_par_iter().for_each(|r| {
        let lanes = T.min(rows - r * T);
        let starts: Vec<usize> = (r * T..r * T + lanes).map(|row| if forward { row * k } else { row * kl }).collect();
        for p in 0..kdim {
            let shift = if forward { p * kl } else { p * k };
            for t in 0..kl {
                // SAFETY: task r writes the lines (t, r, ·) only; they are disjoint across tasks.
                let line = unsafe { std::slice::from_raw_parts_mut(pp.get().add(((t * r_n + r) * kdim + p) * T), T) };
                for (d, &s) in line.iter_mut().zip(&starts) {
                    *d = w[s + shift + t];
                }
            }
        }
    });
    packed
}

/// Where column `col` of a class's block lies: (image in the block, position index in the class).
fn column(class: &TapClass, col: usize) -> (usize, usize) {
    (col / class.positions.len(), col % class.positions.len())
}

/// Panel j of a class's block: `b[(t·C + c)·16 + l] = src[image, c, off_t(position)]` for the
/// 16 columns l of the panel and every tap t of the class (`src` starts at the block's first
/// image).
fn gather_panel(class: &TapClass, j: usize, cols: usize, src: &[f32], map: Map, b: &mut [f32]) {
    let (pc, width) = (class.positions.len(), T.min(cols - j * T));
    for (ti, offs) in class.offsets.chunks_exact(pc).enumerate() {
        let mut idx = [0i32; T];
        for (l, s) in idx.iter_mut().enumerate().take(width) {
            let (i, q) = column(class, j * T + l);
            *s = (i * map.image_len() + offs[q] as usize) as i32;
        }
        let bt = b[ti * map.channels * T..(ti + 1) * map.channels * T].as_mut_ptr();
        // SAFETY: CPU checked by `plan`; the block's images are in `src` and their offsets
        // fit in i32 (`plan`); the panel holds `channels` rows of 16.
        unsafe { gather_rows(src.as_ptr(), map.plane, &idx, width, map.channels, bt) };
    }
}

/// [`super::conv::conv_forward`] over the tap classes.
pub fn forward(g: &ConvGeom, classes: &TapClasses, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let plane = g.input_len() / g.c_in;
    let (read, own) = (Map { channels: g.c_in, plane }, Map { channels: g.c_out, plane: g.p() });
    with_packed(g, w, true, |packed| gather_conv(g.n, classes, (x, read), packed, own, bias))
}

/// [`super::conv::conv_backward_data`] over the adjoint tap classes.
pub fn backward_data(g: &ConvGeom, classes: &TapClasses, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let plane = g.input_len() / g.c_in;
    let (read, own) = (Map { channels: g.c_out, plane: g.p() }, Map { channels: g.c_in, plane });
    with_packed(g, w, false, |packed| gather_conv(g.n, classes, (dy, read), packed, own, None))
}

thread_local! {
    /// This thread's packings of the tap-class convolutions.
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// `f` on [`pack_weights`]' panels, kept from an earlier call with the same weights if there
/// was one: they depend on the shape of W and the pass besides the weights.
fn with_packed<R>(g: &ConvGeom, w: &[f32], forward: bool, f: impl FnOnce(&[f32]) -> R) -> R {
    let layout = [usize::from(forward), g.c_out, g.c_in, g.k()].into_iter();
    with_kept(&KEPT, layout, w, |buf| pack_weights(g, w, forward, buf), f)
}

/// `out[n, r, pos] = Σ_t Σ_c packed_t[r, c] · src[n, c, off_t(pos)] + bias[r]` for every class
/// and position `pos` of the `own` map (whose channels are the panels' rows), `src` laid out as
/// the `read` map.
fn gather_conv(
    n: usize,
    classes: &TapClasses,
    (src, read): (&[f32], Map),
    packed: &[f32],
    own: Map,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    if images::takes(n) {
        return images::gather_conv(n, classes, (src, read), packed, own, bias);
    }
    let rows = own.channels.div_ceil(T);
    let nb = images_per_block(n, classes);
    let mut out = vec![0.0f32; n * own.image_len()];
    let op = SendPtr(out.as_mut_ptr());
    let max_taps = classes.classes.iter().map(|c| c.taps.len()).max().unwrap_or(0);
    let panel_len = max_taps * read.channels * T;
    (0..n.div_ceil(nb)).into_par_iter().for_each(|block| {
        let (n0, bn) = (block * nb, nb.min(n - block * nb));
        with_scratch(PANEL_GROUP * panel_len, |panels| {
            let (mut pairs, mut targets) = (Vec::with_capacity(max_taps), Vec::new());
            let mut acc = [0.0f32; T * T];
            for class in &classes.classes {
                let cols = bn * class.positions.len();
                // where each column's result lies: out[image, 0, position]
                targets.clear();
                targets.extend((0..cols).map(|col| {
                    let (i, q) = column(class, col);
                    (n0 + i) * own.image_len() + class.positions[q] as usize
                }));
                // panels in groups of PANEL_GROUP: a row panel of the weights (all taps) is read
                // once per group and stays in L2 while the group's tiles use it
                for j0 in (0..cols.div_ceil(T)).step_by(PANEL_GROUP) {
                    let group = PANEL_GROUP.min(cols.div_ceil(T) - j0);
                    for jj in 0..group {
                        let b = &mut panels[jj * panel_len..];
                        gather_panel(class, j0 + jj, cols, &src[n0 * read.image_len()..], read, b);
                    }
                    for r in 0..rows {
                        for jj in 0..group {
                            let bj = &panels[jj * panel_len..];
                            pairs.clear();
                            for (ti, &t) in class.taps.iter().enumerate() {
                                let a = packed[(t * rows + r) * read.channels * T..].as_ptr();
                                pairs.push((a, bj[ti * read.channels * T..].as_ptr()));
                            }
                            // SAFETY: `plan` checked the CPU; each panel holds channels·16 floats.
                            unsafe { tile(&pairs, read.channels, &mut acc) };
                            for ri in 0..T.min(own.channels - r * T) {
                                let ch = r * T + ri;
                                let bv = bias.map_or(0.0, |b| b[ch]);
                                let at = targets[(j0 + jj) * T..].iter().take(T);
                                for (&at, &v) in at.zip(&acc[ri * T..(ri + 1) * T]) {
                                    // SAFETY: this task writes the images n0 .. n0 + bn only; tasks are disjoint.
                                    unsafe { *op.get().add(at + ch * own.plane) = v + bv };
                                }
                            }
                        }
                    }
                }
            }
        });
    });
    out
}
