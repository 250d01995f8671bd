//! Positions grouped by the kernel taps that reach them: output positions for the forward pass
//! (the taps that land inside the image), input positions for the input gradient.
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
//!
//! The input gradient (the transposed convolution's forward pass) is grouped the other way
//! round, by input position ([`TapClasses::adjoint`]): input `u` receives from output
//! `o = (u + pad − k)/s` at every tap `k ≡ u + pad (mod s)` with that `o` inside. Positions
//! with the same taps form a class (per axis: one per residue mod s, and the borders), and each
//! input element is then one sum over its own taps, gathered, not scattered:
//!
//! ```text
//! dx[ci, u] = Σ_k Σ_co W[co, ci, k] · dy[co, (u + pad − k)/s]
//! ```

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::conv::ConvGeom;

/// Positions that read the same kernel taps: a box of taps for a forward class; for an adjoint
/// class the taps of one residue mod the stride per axis.
pub(crate) struct TapClass {
    /// The class's positions, as indices into one image's map: output positions (`P` per image)
    /// for the forward classes, input positions for the adjoint ones.
    pub positions: Vec<u32>,
    /// The kernel taps the class reads, numbered `(kd·KH + kh)·KW + kw`, in that order.
    pub taps: Vec<usize>,
    /// `offsets[j·P_c + i]`: the offset, in one channel's plane of the map that is read (the
    /// input for the forward classes, the output for the adjoint ones), of the pixel that the
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
static CACHE: Mutex<Option<HashMap<Key, Arc<TapClasses>>>> = Mutex::new(None);
/// (adjoint, [input, kernel, output, stride, pad]).
type Key = (bool, [[usize; 3]; 5]);
/// Entries kept at most (emptied when full).
const CACHE_ENTRIES: usize = 64;

/// The classes of `g` (they depend on its spatial sizes, kernel, stride and padding only):
/// by output position, or by input position when `adjoint`.
pub(crate) fn for_geometry(g: &ConvGeom, adjoint: bool) -> Arc<TapClasses> {
    let key = (adjoint, [g.input, g.kernel, g.output, g.stride, g.pad]);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = cache.get_or_insert_with(HashMap::new);
    if let Some(c) = map.get(&key) {
        return Arc::clone(c);
    }
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    let c = Arc::new(if adjoint { TapClasses::adjoint(g) } else { TapClasses::forward(g) });
    map.insert(key, Arc::clone(&c));
    c
}

/// One class along one axis: its positions, its taps, and `reads[j·len + i]`, the coordinate
/// that tap j reads for position i.
struct AxisClass {
    positions: Vec<usize>,
    taps: Vec<usize>,
    reads: Vec<usize>,
}

/// Forward classes of one axis: neighbouring outputs whose taps inside are the same range.
fn forward_axis(out: usize, input: usize, kernel: usize, stride: usize, pad: usize) -> Vec<AxisClass> {
    let mut ranges: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for o in 0..out {
        let start = o * stride;
        let lo = pad.saturating_sub(start).min(kernel);
        let hi = (input + pad).saturating_sub(start).min(kernel).max(lo);
        match ranges.last_mut() {
            Some((outs, taps)) if *taps == (lo..hi) => outs.end = o + 1,
            _ => ranges.push((o..o + 1, lo..hi)),
        }
    }
    let class = |(outs, taps): (Range<usize>, Range<usize>)| AxisClass {
        reads: taps.clone().flat_map(|k| outs.clone().map(move |o| o * stride + k - pad)).collect(),
        positions: outs.collect(),
        taps: taps.collect(),
    };
    ranges.into_iter().map(class).collect()
}

/// Adjoint classes of one axis: inputs that receive from the same taps (in order of first use).
fn adjoint_axis(input: usize, out: usize, kernel: usize, stride: usize, pad: usize) -> Vec<AxisClass> {
    let mut classes: Vec<AxisClass> = Vec::new();
    for u in 0..input {
        // tap k reaches u from output (u + pad − k)/s when that is a whole number inside 0..out
        let reach = |k: &usize| u + pad >= *k && (u + pad - k).is_multiple_of(stride) && (u + pad - k) / stride < out;
        let taps: Vec<usize> = (0..kernel).filter(reach).collect();
        let idx = match classes.iter().position(|c| c.taps == taps) {
            Some(i) => i,
            None => {
                classes.push(AxisClass { positions: Vec::new(), taps, reads: Vec::new() });
                classes.len() - 1
            }
        };
        classes[idx].positions.push(u);
    }
    for c in &mut classes {
        c.reads = c.taps.iter().flat_map(|&k| c.positions.iter().map(move |&u| (u + pad - k) / stride)).collect();
    }
    classes
}

impl TapClasses {
    /// Classes of output positions (the forward pass and the weight gradient).
    fn forward(g: &ConvGeom) -> Self {
        let axes = (0..3).map(|a| forward_axis(g.output[a], g.input[a], g.kernel[a], g.stride[a], g.pad[a]));
        Self::product(g, &axes.collect::<Vec<_>>(), g.output, g.input)
    }

    /// Classes of input positions (the input gradient).
    fn adjoint(g: &ConvGeom) -> Self {
        let axes = (0..3).map(|a| adjoint_axis(g.input[a], g.output[a], g.kernel[a], g.stride[a], g.pad[a]));
        Self::product(g, &axes.collect::<Vec<_>>(), g.input, g.output)
    }

    /// Every box of one class per axis, on a map of size `own` whose taps read a map of size `read`.
    fn product(g: &ConvGeom, axes: &[Vec<AxisClass>], own: [usize; 3], read: [usize; 3]) -> Self {
        let mut classes = Vec::new();
        let mut kept = 0usize;
        for d in &axes[0] {
            for h in &axes[1] {
                for w in &axes[2] {
                    let class = Self::class(g, [d, h, w], own, read);
                    kept += class.positions.len() * class.taps.len();
                    classes.push(class);
                }
            }
        }
        let full = g.p() * g.kernel.iter().product::<usize>();
        TapClasses { classes, useful: kept as f64 / full.max(1) as f64 }
    }

    /// The class of one axis class per axis: positions in a map of size `own`, offsets in one of
    /// size `read`.
    fn class(g: &ConvGeom, axes: [&AxisClass; 3], own: [usize; 3], read: [usize; 3]) -> TapClass {
        let [d, h, w] = axes;
        let mut positions = Vec::new();
        for &pd in &d.positions {
            for &ph in &h.positions {
                for &pw in &w.positions {
                    positions.push(((pd * own[1] + ph) * own[2] + pw) as u32);
                }
            }
        }
        let (mut tap_list, mut offsets) = (Vec::new(), Vec::new());
        let len = |c: &AxisClass| c.positions.len();
        for (jd, &kd) in d.taps.iter().enumerate() {
            for (jh, &kh) in h.taps.iter().enumerate() {
                for (jw, &kw) in w.taps.iter().enumerate() {
                    tap_list.push((kd * g.kernel[1] + kh) * g.kernel[2] + kw);
                    for &rd in &d.reads[jd * len(d)..(jd + 1) * len(d)] {
                        for &rh in &h.reads[jh * len(h)..(jh + 1) * len(h)] {
                            for &rw in &w.reads[jw * len(w)..(jw + 1) * len(w)] {
                                offsets.push(((rd * read[1] + rh) * read[2] + rw) as u32);
                            }
                        }
                    }
                }
            }
        }
        TapClass { positions, taps: tap_list, offsets }
    }
}
