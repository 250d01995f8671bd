//! Output positions grouped by the kernel taps that land inside the image.
//!
//! On a small padded map many products of im2col + GEMM are zero: output position `o` reads
//! input `o·s + k − pad` at kernel offset `k`, and near the border that input lies in the
//! padding. On the ABP generator's 4×4 maps (5×5 taps, pad 2) 28% of the multiply-adds are
//! such zeros, on the CoopNets descriptor's 7×7 → 4×4 layer 34%. Along one axis the taps that
//! land inside form a range `lo(o) .. hi(o)`:
//!
//! ```text
//! 0 ≤ o·s + k − pad < n   ⇔   k ≥ pad − o·s   and   k < n + pad − o·s
//! ```
//!
//! Neighbouring outputs with the same range form an axis class (typically: the first output,
//! the interior, the last one). A [`TapClass`] is one class per axis: a box of output positions
//! that all read the same box of taps. Each class is then its own dense convolution with
//! `K = C_in · |taps|`: no zero is stored or multiplied. [`super::conv_classes`] runs them.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::conv::ConvGeom;

/// Output positions that read the same box of kernel taps.
pub(crate) struct TapClass {
    /// The class's output positions, as indices into one image's `P` positions.
    pub positions: Vec<u32>,
    /// The kernel taps the class reads, numbered `(kd·KH + kh)·KW + kw`, in that order.
    pub taps: Vec<usize>,
    /// `offsets[j·P_c + i]`: the offset, in one input channel's plane, of the pixel that the
    /// class's tap j reads for its position i. Always inside.
    pub offsets: Vec<u32>,
}

/// Every class of a geometry, and the share of the multiply-adds of full im2col that they keep.
pub(crate) struct TapClasses {
    pub classes: Vec<TapClass>,
    pub useful: f64,
}

/// Geometries seen so far (a net has a handful): a Langevin step reuses its layers' classes
/// instead of rebuilding their tables on every call.
static CACHE: Mutex<Option<HashMap<[[usize; 3]; 5], Arc<TapClasses>>>> = Mutex::new(None);
/// Entries kept at most (emptied when full).
const CACHE_ENTRIES: usize = 64;

/// The classes of `g` (they depend on its spatial sizes, kernel, stride and padding only).
pub(crate) fn for_geometry(g: &ConvGeom) -> Arc<TapClasses> {
    let key = [g.input, g.kernel, g.output, g.stride, g.pad];
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = cache.get_or_insert_with(HashMap::new);
    if let Some(c) = map.get(&key) {
        return Arc::clone(c);
    }
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    let c = Arc::new(TapClasses::new(g));
    map.insert(key, Arc::clone(&c));
    c
}

/// Axis classes of one axis: (outputs, taps) with the taps inside for every one of the outputs.
fn axis_classes(
    out: usize,
    input: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
) -> Vec<(Range<usize>, Range<usize>)> {
    let mut classes: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for o in 0..out {
        let start = o * stride;
        let lo = pad.saturating_sub(start).min(kernel);
        let hi = (input + pad).saturating_sub(start).min(kernel).max(lo);
        match classes.last_mut() {
            Some((outs, taps)) if *taps == (lo..hi) => outs.end = o + 1,
            _ => classes.push((o..o + 1, lo..hi)),
        }
    }
    classes
}

impl TapClasses {
    fn new(g: &ConvGeom) -> Self {
        let axes: Vec<_> =
            (0..3).map(|a| axis_classes(g.output[a], g.input[a], g.kernel[a], g.stride[a], g.pad[a])).collect();
        let mut classes = Vec::new();
        let mut kept = 0usize;
        for (od, kd) in &axes[0] {
            for (oh, kh) in &axes[1] {
                for (ow, kw) in &axes[2] {
                    let class = Self::class(g, [od, oh, ow], [kd, kh, kw]);
                    kept += class.positions.len() * class.taps.len();
                    classes.push(class);
                }
            }
        }
        let full = g.p() * g.kernel.iter().product::<usize>();
        TapClasses { classes, useful: kept as f64 / full.max(1) as f64 }
    }

    /// The class of the output box `outs` and the tap box `taps`.
    fn class(g: &ConvGeom, outs: [&Range<usize>; 3], taps: [&Range<usize>; 3]) -> TapClass {
        let [_, oh_n, ow_n] = g.output;
        let [_, ih_n, iw_n] = g.input;
        let mut positions = Vec::new();
        for od in outs[0].clone() {
            for oh in outs[1].clone() {
                for ow in outs[2].clone() {
                    positions.push(((od * oh_n + oh) * ow_n + ow) as u32);
                }
            }
        }
        // input coordinate along axis a of output o at tap k (inside by construction)
        let at = |a: usize, o: usize, k: usize| o * g.stride[a] + k - g.pad[a];
        let (mut tap_list, mut offsets) = (Vec::new(), Vec::new());
        for kd in taps[0].clone() {
            for kh in taps[1].clone() {
                for kw in taps[2].clone() {
                    tap_list.push((kd * g.kernel[1] + kh) * g.kernel[2] + kw);
                    for od in outs[0].clone() {
                        for oh in outs[1].clone() {
                            for ow in outs[2].clone() {
                                let off = (at(0, od, kd) * ih_n + at(1, oh, kh)) * iw_n + at(2, ow, kw);
                                offsets.push(off as u32);
                            }
                        }
                    }
                }
            }
        }
        TapClass { positions, taps: tap_list, offsets }
    }
}
