//! Geometric transforms on image tensors: bilinear resize, centre crop, seeded random crop.
//!
//! All three act on the last two axes (H, W) of a tensor of any rank ≥ 2, so the same call
//! serves one image `[C, H, W]`, a batch `[N, C, H, W]` and a video `[T, C, H, W]`. They work
//! on `f32` values, so resizing after loading adds no extra 8-bit rounding.

use rand::Rng;
use tensor::Tensor;

use crate::error::{DatasetError, Result};

fn spatial(x: &Tensor, op: &'static str) -> Result<(usize, usize)> {
    let s = x.shape();
    if s.len() < 2 {
        return Err(DatasetError::invalid(
            op,
            format!("need a tensor with H and W as its last two axes, got shape {s:?}"),
        ));
    }
    Ok((s[s.len() - 2], s[s.len() - 1]))
}

/// Resize the last two axes to `height × width` by bilinear interpolation with half-pixel
/// centres (PyTorch's `interpolate(mode="bilinear", align_corners=False)`, no antialiasing).
pub fn resize(x: &Tensor, height: usize, width: usize) -> Result<Tensor> {
    let (h, w) = spatial(x, "resize")?;
    if height == 0 || width == 0 || h == 0 || w == 0 {
        return Err(DatasetError::invalid(
            "resize",
            format!("cannot resize {h}x{w} to {height}x{width}: sizes must be positive"),
        ));
    }
    if (h, w) == (height, width) {
        return Ok(x.contiguous());
    }
    let bytes = [(x.numel() / (h * w)) as u64, height as u64, width as u64]
        .iter()
        .try_fold(4u64, |a, &b| a.checked_mul(b))
        .unwrap_or(u64::MAX);
    if bytes > crate::limits::max_decoded_bytes() {
        return Err(DatasetError::invalid(
            "resize",
            format!(
                "{h}x{w} to {height}x{width} would take {} MB, more than the limit of {} MB (COOPNETS_MAX_DECODED_MB)",
                bytes >> 20,
                crate::limits::max_decoded_bytes() >> 20
            ),
        ));
    }
    let src = x.to_vec();
    let planes = src.len() / (h * w);
    // per output coordinate: the two source indices and the weight of the second
    let taps = |out: usize, inp: usize| -> Vec<(usize, usize, f32)> {
        let scale = inp as f32 / out as f32;
        (0..out)
            .map(|o| {
                let c = ((o as f32 + 0.5) * scale - 0.5).clamp(0.0, (inp - 1) as f32);
                let i0 = c.floor() as usize;
                let i1 = (i0 + 1).min(inp - 1);
                (i0, i1, c - i0 as f32)
            })
            .collect()
    };
    let (ty, tx) = (taps(height, h), taps(width, w));
    let mut out = Vec::with_capacity(planes * height * width);
    for p in 0..planes {
        let plane = &src[p * h * w..(p + 1) * h * w];
        for &(y0, y1, fy) in &ty {
            for &(x0, x1, fx) in &tx {
                let top = plane[y0 * w + x0] * (1.0 - fx) + plane[y0 * w + x1] * fx;
                let bot = plane[y1 * w + x0] * (1.0 - fx) + plane[y1 * w + x1] * fx;
                out.push(top * (1.0 - fy) + bot * fy);
            }
        }
    }
    let mut shape = x.shape().to_vec();
    let r = shape.len();
    shape[r - 2] = height;
    shape[r - 1] = width;
    Ok(Tensor::from_vec(out, &shape)?)
}

/// The `height × width` window whose top-left corner is (`top`, `left`).
pub fn crop(x: &Tensor, top: usize, left: usize, height: usize, width: usize) -> Result<Tensor> {
    let (h, w) = spatial(x, "crop")?;
    if top + height > h || left + width > w || height == 0 || width == 0 {
        return Err(DatasetError::invalid(
            "crop",
            format!("window {height}x{width} at ({top}, {left}) does not fit in a {h}x{w} image"),
        ));
    }
    let r = x.rank();
    Ok(x.narrow(r - 2, top, height)?.narrow(r - 1, left, width)?.contiguous())
}

/// The centred `height × width` window (rounding the offset down, as torchvision does).
pub fn center_crop(x: &Tensor, height: usize, width: usize) -> Result<Tensor> {
    let (h, w) = spatial(x, "center_crop")?;
    if height > h || width > w {
        return Err(DatasetError::invalid(
            "center_crop",
            format!("cannot crop {height}x{width} out of a {h}x{w} image"),
        ));
    }
    crop(x, (h - height) / 2, (w - width) / 2, height, width)
}

/// A `height × width` window at a uniformly random position drawn from `rng` (the same window
/// for every leading index, e.g. all channels and all frames).
pub fn random_crop<R: Rng + ?Sized>(x: &Tensor, height: usize, width: usize, rng: &mut R) -> Result<Tensor> {
    let (h, w) = spatial(x, "random_crop")?;
    if height > h || width > w {
        return Err(DatasetError::invalid(
            "random_crop",
            format!("cannot crop {height}x{width} out of a {h}x{w} image"),
        ));
    }
    let top = rng.random_range(0..=h - height);
    let left = rng.random_range(0..=w - width);
    crop(x, top, left, height, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_upsampling_matches_pytorch() -> Result<()> {
        // torch.nn.functional.interpolate([[0, 1], [2, 3]], size=4, mode="bilinear")
        let x = Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0], &[1, 2, 2])?;
        let y = resize(&x, 4, 4)?.to_vec();
        let row0 = [0.0, 0.25, 0.75, 1.0];
        assert_eq!(&y[..4], &row0);
        assert_eq!(&y[4..8], &[0.5, 0.75, 1.25, 1.5]);
        assert_eq!(&y[12..], &[2.0, 2.25, 2.75, 3.0]);
        // downsampling by 2 averages 2x2 blocks
        let z = resize(&Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[4, 4])?, 2, 2)?;
        assert_eq!(z.to_vec(), vec![2.5, 4.5, 10.5, 12.5]);
        Ok(())
    }

    #[test]
    fn crops_pick_the_right_window() -> Result<()> {
        let x = Tensor::from_vec((0..20).map(|v| v as f32).collect(), &[1, 4, 5])?;
        assert_eq!(center_crop(&x, 2, 3)?.to_vec(), vec![6.0, 7.0, 8.0, 11.0, 12.0, 13.0]);
        let mut rng = tensor::rng_from_seed(7);
        let c = random_crop(&x, 2, 2, &mut rng)?;
        assert_eq!(c.shape(), &[1, 2, 2]);
        let v = c.to_vec();
        // a real window: right neighbour +1, lower neighbour +5
        assert_eq!(v[1] - v[0], 1.0);
        assert_eq!(v[2] - v[0], 5.0);
        // same seed, same crop
        let mut rng2 = tensor::rng_from_seed(7);
        assert_eq!(random_crop(&x, 2, 2, &mut rng2)?.to_vec(), v);
        assert!(center_crop(&x, 5, 5).is_err());
        Ok(())
    }
}
