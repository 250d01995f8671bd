//! The tap-class convolutions of [`super::conv_classes`] for batches of at least 16 images,
//! with the images innermost: a panel is 16 images at one position, read in place.
//!
//! The map that is read is first copied into blocks of 16 images ([`to_image_blocks`]):
//!
//! ```text
//! xb[((pos·G + g)·C + c)·16 + l] = x[16·g + l, c, pos]          G = ⌈N/16⌉, 0 beyond image N
//! ```
//!
//! so the `C × 16` numbers that one kernel tap reads at one position, for 16 images, are one
//! contiguous panel in exactly the layout that [`super::tile::tile`] streams. A tile is then
//! 16 output channels × 16 images at one position, summed over the class's taps straight from
//! `xb`: no gather per panel (AVX-512 gathers were a fifth of the tile path's time). The tiles
//! are stored in the same blocks, and transposed back once ([`from_image_blocks`]): two
//! transpositions per call, through registers.
//!
//! Each output element is the same chain of FMAs (taps, then channels) as in the position-
//! innermost path: both give the same bits, and an image gives the same bits alone as in a
//! batch (tested).

use std::cell::RefCell;

use rayon::prelude::*;

use super::tap_classes::TapClasses;
use super::tile::{tile, transpose16, T};
use super::SendPtr;

/// Positions of one class that share one pass over the weights' row panels.
/// (1, 2, 4 and 8 measured within the noise on the generators' layers.)
const POSITION_GROUP: usize = 4;

thread_local! {
    /// The calling thread's image blocks of the map that is read and of the output, reused
    /// across calls (no page faults per Langevin step).
    static BLOCKS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Whether a batch of `n` images takes this path: at least one full block of 16, and at most
/// an eighth of the blocks' lanes empty.
pub fn takes(n: usize) -> bool {
    n >= T && 8 * (n.next_multiple_of(T) - n) <= n.next_multiple_of(T)
}

/// One side of a convolution: a map of `channels` planes of `plane` floats per image.
#[derive(Clone, Copy)]
pub struct Map {
    pub channels: usize,
    pub plane: usize,
}

impl Map {
    pub fn image_len(self) -> usize {
        self.channels * self.plane
    }
}

/// `xb[((pos·G + g)·C + c)·16 + l] = src[16·g + l, c, pos]` (zero for images ≥ n).
///
/// One task per (group, channel); it moves blocks of 16 positions × 16 images through
/// registers ([`transpose16`]), so every line is read and written once.
fn to_image_blocks(src: &[f32], n: usize, map: Map, xb: &mut Vec<f32>) {
    let groups = n.div_ceil(T);
    let line = groups * map.channels * T;
    grow(xb, map.plane * line);
    let xp = SendPtr(xb.as_mut_ptr());
    (0..groups * map.channels).into_par_iter().for_each(|task| {
        let (g, c) = (task / map.channels, task % map.channels);
        let images = T.min(n - g * T);
        let first = &src[(g * T * map.channels + c) * map.plane..];
        // SAFETY: the lanes (·, g, c, ·) belong to task (g, c) only.
        let lanes = unsafe { xp.get().add((g * map.channels + c) * T) };
        let full = map.plane / T * T;
        for pos0 in (0..full).step_by(T) {
            // SAFETY: CPU checked by `plan`; `images` rows of 16 from pos0 lie inside
            // `src`, and 16 lines of xb from pos0.
            unsafe {
                transpose16(first[pos0..].as_ptr(), map.image_len(), images, lanes.add(pos0 * line), line, T, -0.0)
            };
        }
        for pos in full..map.plane {
            for l in 0..T {
                let v = if l < images { first[l * map.image_len() + pos] } else { 0.0 };
                // SAFETY: as above, one lane.
                unsafe { *lanes.add(pos * line + l) = v };
            }
        }
    });
}

/// Make `buf` at least `len` long. Old contents stay: every caller overwrites all it reads
/// (no memset of megabytes per call).
fn grow(buf: &mut Vec<f32>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
}

/// `out[16·g + l, c, pos] = ob[((pos·G + g)·C + c)·16 + l] + bias[c]` (+ 0 without a bias, as
/// the position-innermost path, so that −0 becomes +0 on both): the inverse of
/// [`to_image_blocks`], one task per (group, channel), the bias added as each line is stored.
/// `out` is written whole, so it is not zeroed first.
fn from_image_blocks(ob: &[f32], n: usize, map: Map, bias: Option<&[f32]>) -> Vec<f32> {
    let groups = n.div_ceil(T);
    let line = groups * map.channels * T;
    let mut out: Vec<f32> = Vec::with_capacity(n * map.image_len());
    let op = SendPtr(out.as_mut_ptr());
    (0..groups * map.channels).into_par_iter().for_each(|task| {
        let (g, c) = (task / map.channels, task % map.channels);
        let (images, bv) = (T.min(n - g * T), bias.map_or(0.0, |b| b[c]));
        let lanes = &ob[(g * map.channels + c) * T..];
        // SAFETY: the rows (image, c) of this group belong to task (g, c) only.
        let first = unsafe { op.get().add((g * T * map.channels + c) * map.plane) };
        let full = map.plane / T * T;
        for pos0 in (0..full).step_by(T) {
            // SAFETY: CPU checked by `plan`; 16 lines of ob from pos0, and `images`
            // rows of 16 from pos0 in `out`.
            unsafe {
                transpose16(lanes[pos0 * line..].as_ptr(), line, T, first.add(pos0), map.image_len(), images, bv)
            };
        }
        for l in 0..images {
            for pos in full..map.plane {
                // SAFETY: as above, one element.
                unsafe { *first.add(l * map.image_len() + pos) = lanes[pos * line + l] + bv };
            }
        }
    });
    // SAFETY: the tasks wrote every (image, channel) row of `out` whole.
    unsafe { out.set_len(n * map.image_len()) };
    out
}

/// `out[n, r, pos] = Σ_t Σ_c packed_t[r, c] · src[n, c, off_t(pos)] + bias[r]` (see
/// [`super::conv_classes`]) with the images innermost.
pub fn gather_conv(
    n: usize,
    classes: &TapClasses,
    (src, read): (&[f32], Map),
    packed: &[f32],
    own: Map,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    BLOCKS.with(|b| {
        // a nested call on this thread (none today) gets buffers of its own
        let (mut own_bufs, mut borrowed) = (Default::default(), b.try_borrow_mut().ok());
        let (xb, ob) = borrowed.as_deref_mut().unwrap_or(&mut own_bufs);
        to_image_blocks(src, n, read, xb);
        grow(ob, own.plane * n.div_ceil(T) * own.channels * T);
        convolve(n, classes, (xb, read), packed, (ob, own));
        from_image_blocks(ob, n, own, bias)
    })
}

/// `ob` = the tiles over the image blocks `xb`: one task per (group of 16 images, run of
/// [`POSITION_GROUP`] positions of a class).
fn convolve(n: usize, classes: &TapClasses, (xb, read): (&[f32], Map), packed: &[f32], (ob, own): (&mut [f32], Map)) {
    let (groups, rows, block) = (n.div_ceil(T), own.channels.div_ceil(T), read.channels * T);
    let runs: Vec<(usize, usize)> = (classes.classes.iter().enumerate())
        .flat_map(|(ci, c)| (0..c.positions.len()).step_by(POSITION_GROUP).map(move |q0| (ci, q0)))
        .collect();
    let op = SendPtr(ob.as_mut_ptr());
    let max_taps = classes.classes.iter().map(|c| c.taps.len()).max().unwrap_or(0);
    // one list of (weights, panel) pairs per rayon job, not one allocation per task
    let pairs_list = || Vec::with_capacity(max_taps);
    (0..groups * runs.len()).into_par_iter().for_each_init(pairs_list, |pairs, task| {
        let (g, (ci, q0)) = (task % groups, runs[task / groups]);
        let class = &classes.classes[ci];
        let pc = class.positions.len();
        let mut acc = [0.0f32; T * T];
        for r in 0..rows {
            for q in q0..(q0 + POSITION_GROUP).min(pc) {
                pairs.clear();
                for (ti, &t) in class.taps.iter().enumerate() {
                    let at = class.offsets[ti * pc + q] as usize;
                    let a = packed[(t * rows + r) * block..].as_ptr();
                    pairs.push((a, xb[(at * groups + g) * block..].as_ptr()));
                }
                // SAFETY: CPU checked by `plan`; every panel holds C·16 floats.
                unsafe { tile(pairs, read.channels, &mut acc) };
                let line = (class.positions[q] as usize * groups + g) * own.channels;
                for ri in 0..T.min(own.channels - r * T) {
                    // SAFETY: the line (position, g, channel) is written by this task only.
                    let dst = unsafe { std::slice::from_raw_parts_mut(op.get().add((line + r * T + ri) * T), T) };
                    dst.copy_from_slice(&acc[ri * T..(ri + 1) * T]);
                }
            }
        }
    });
}
