//! Occlusion masks for pattern completion and learning from incomplete data.
//!
//! **Convention: a mask has the shape of the data and holds 1.0 where a value is OBSERVED
//! (kept) and 0.0 where it is MISSING.** So `x · mask` keeps what is known, and
//! [`missing`]`(mask) = 1 − mask` is 1.0 exactly at the missing entries: that complement is
//! what a sampler that may only update missing pixels takes as its "update here" mask.
//!
//! The masks of the papers:
//! - **Square region** `k × k` at a seeded random position ([`square_mask`]): the
//!   descriptor papers' M30 / M40 / M50 on 64 × 64 images are `k` = 30, 40, 50.
//! - **Salt and pepper** ([`salt_pepper_mask`]): the image is cut into a grid of
//!   `cell × cell` cells and exactly `round(fraction · cells)` of them, chosen at random, go
//!   missing — the ABP paper's P50 (`fraction` 0.5) etc.; with `cell` = 1 single pixels.
//! - **Missing frames** of a video ([`missing_frames_mask`], [`random_missing_frames_mask`]).
//!
//! Items: a rank-4 tensor `[N, C, H, W]` gets one random pattern per image, a rank-5
//! `[N, C, T, H, W]` one per video (the same for every frame); ranks 2 and 3 are one item.
//! Within an item every channel (and frame) shares the pattern.

use rand::seq::index::sample;
use rand::Rng;
use tensor::Tensor;

use crate::error::{DatasetError, Result};
use crate::scaling::item_count;

fn spatial(shape: &[usize], op: &'static str) -> Result<(usize, usize)> {
    match shape {
        [.., h, w] if *h > 0 && *w > 0 => Ok((*h, *w)),
        _ => Err(DatasetError::invalid(op, format!("need a shape ending in H, W (both > 0), got {shape:?}"))),
    }
}

/// Build a mask from one `H × W` "missing" pattern per item, repeated over the other axes.
fn from_patterns(shape: &[usize], mut pattern: impl FnMut(usize) -> Vec<bool>) -> Result<Tensor> {
    let items = item_count(shape).max(1);
    let numel: usize = shape.iter().product();
    let per_item = numel / items;
    let mut out = Vec::with_capacity(numel);
    for i in 0..items {
        let missing = pattern(i);
        let plane: Vec<f32> = missing.iter().map(|&m| if m { 0.0 } else { 1.0 }).collect();
        for _ in 0..per_item / plane.len().max(1) {
            out.extend_from_slice(&plane);
        }
    }
    Ok(Tensor::from_vec(out, shape)?)
}

/// A mask with the `k × k` square whose top-left corner is (`top`, `left`) missing.
pub fn square_mask_at(shape: &[usize], top: usize, left: usize, k: usize) -> Result<Tensor> {
    let (h, w) = spatial(shape, "square_mask_at")?;
    if top + k > h || left + k > w {
        return Err(DatasetError::invalid(
            "square_mask_at",
            format!("a {k}x{k} square at ({top}, {left}) does not fit in {h}x{w}"),
        ));
    }
    from_patterns(shape, |_| square(h, w, top, left, k))
}

fn square(h: usize, w: usize, top: usize, left: usize, k: usize) -> Vec<bool> {
    (0..h * w).map(|i| (top..top + k).contains(&(i / w)) && (left..left + k).contains(&(i % w))).collect()
}

/// A mask with one `k × k` square missing per item, at a uniformly random position drawn
/// from `rng` (M30/M40/M50: `k` = 30/40/50 on 64 × 64 images).
pub fn square_mask<R: Rng + ?Sized>(shape: &[usize], k: usize, rng: &mut R) -> Result<Tensor> {
    let (h, w) = spatial(shape, "square_mask")?;
    if k == 0 || k > h || k > w {
        return Err(DatasetError::invalid("square_mask", format!("square size {k} must be in 1..={}", h.min(w))));
    }
    from_patterns(shape, |_| {
        let top = rng.random_range(0..=h - k);
        let left = rng.random_range(0..=w - k);
        square(h, w, top, left, k)
    })
}

/// A salt-and-pepper mask: per item, `round(missing_fraction · cells)` of the
/// `cell × cell` grid cells (edge cells may be smaller) are missing, chosen by `rng`.
pub fn salt_pepper_mask<R: Rng + ?Sized>(
    shape: &[usize],
    cell: usize,
    missing_fraction: f32,
    rng: &mut R,
) -> Result<Tensor> {
    let (h, w) = spatial(shape, "salt_pepper_mask")?;
    if cell == 0 || !(0.0..=1.0).contains(&missing_fraction) {
        return Err(DatasetError::invalid(
            "salt_pepper_mask",
            format!("need cell > 0 and a fraction in [0, 1], got {cell} and {missing_fraction}"),
        ));
    }
    let (gh, gw) = (h.div_ceil(cell), w.div_ceil(cell));
    let cells = gh * gw;
    let n_missing = ((cells as f64) * f64::from(missing_fraction)).round() as usize;
    from_patterns(shape, |_| {
        let mut cell_missing = vec![false; cells];
        for c in sample(rng, cells, n_missing.min(cells)) {
            cell_missing[c] = true;
        }
        (0..h * w).map(|i| cell_missing[(i / w / cell) * gw + (i % w) / cell]).collect()
    })
}

/// The time axis of a video shape: `[T, C, H, W]` → 0, `[N, C, T, H, W]` → 2.
fn time_axis(shape: &[usize], op: &'static str) -> Result<usize> {
    match shape.len() {
        4 => Ok(0),
        5 => Ok(2),
        _ => {
            Err(DatasetError::invalid(op, format!("need a video shape [T, C, H, W] or [N, C, T, H, W], got {shape:?}")))
        }
    }
}

/// A video mask with the listed frames missing (all of each such frame) in every video.
pub fn missing_frames_mask(shape: &[usize], frames: &[usize]) -> Result<Tensor> {
    let axis = time_axis(shape, "missing_frames_mask")?;
    let t_len = shape[axis];
    if let Some(&bad) = frames.iter().find(|&&t| t >= t_len) {
        return Err(DatasetError::invalid(
            "missing_frames_mask",
            format!("frame {bad} out of range for {t_len} frames"),
        ));
    }
    let inner: usize = shape[axis + 1..].iter().product();
    let numel: usize = shape.iter().product();
    let v = (0..numel).map(|i| if frames.contains(&((i / inner) % t_len)) { 0.0 } else { 1.0 }).collect();
    Ok(Tensor::from_vec(v, shape)?)
}

/// A video mask with `count` frames, chosen by `rng`, missing (the same frames in every
/// video of a batch).
pub fn random_missing_frames_mask<R: Rng + ?Sized>(shape: &[usize], count: usize, rng: &mut R) -> Result<Tensor> {
    let axis = time_axis(shape, "random_missing_frames_mask")?;
    if count > shape[axis] {
        return Err(DatasetError::invalid(
            "random_missing_frames_mask",
            format!("cannot drop {count} of {} frames", shape[axis]),
        ));
    }
    let frames = sample(rng, shape[axis], count).into_vec();
    missing_frames_mask(shape, &frames)
}

/// The complement `1 − mask`: 1.0 at the missing entries (where a sampler may update).
pub fn missing(mask: &Tensor) -> Result<Tensor> {
    Ok(mask.affine(-1.0, 1.0)) // on the mask's device
}

/// `x` where observed, `fill` where missing: `x · mask + fill · (1 − mask)`.
pub fn apply_mask(x: &Tensor, mask: &Tensor, fill: f32) -> Result<Tensor> {
    if x.shape() != mask.shape() {
        return Err(DatasetError::invalid(
            "apply_mask",
            format!("data {:?} and mask {:?} differ in shape", x.shape(), mask.shape()),
        ));
    }
    Ok(x.mul(mask)?.add(&missing(mask)?.mul_scalar(fill))?)
}

/// The fraction of entries that are observed (mean of the mask).
pub fn observed_fraction(mask: &Tensor) -> f32 {
    let v = mask.to_vec();
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<f32>() / v.len() as f32
}
