//! Writing one image: tensor in a stated scale → 8-bit PNG (or JPEG, by file extension).
//!
//! The writers take the tensor in *model* scale together with the [`Scaling`] it is in;
//! they invert the scaling to 0..255, clamp, round to the nearest integer and encode. For
//! looking at samples, [`contrast_stretch`] maps each image's own min..max to 0..255 first,
//! as the reference code does when it saves synthesized images.

use std::path::Path;

use image::{DynamicImage, GrayImage, RgbImage};
use tensor::Tensor;

use crate::error::{DatasetError, Result};
use crate::scaling::{item_count, Scaling};

/// Per-item contrast stretch to 0..255: each image (leading axis of a rank-4 tensor; the
/// whole tensor for rank ≤ 3) has its min mapped to 0 and its max to 255. A constant image
/// becomes mid-grey 127.5.
pub fn contrast_stretch(x: &Tensor) -> Result<Tensor> {
    let stretched = Scaling::MinMax.apply(x)?;
    Scaling::MinMax.invert(&stretched)
}

/// Check that `x` is `[C, H, W]` with C = 1 or 3 and return (C, H, W).
pub(crate) fn chw(x: &Tensor, op: &'static str) -> Result<(usize, usize, usize)> {
    match *x.shape() {
        [c @ (1 | 3), h, w] if h > 0 && w > 0 => Ok((c, h, w)),
        _ => Err(DatasetError::invalid(
            op,
            format!("need an image [C, H, W] with C = 1 or 3, got shape {:?}", x.shape()),
        )),
    }
}

/// Round and clamp pixel-scale values to bytes.
pub(crate) fn to_byte(v: f32) -> u8 {
    if v.is_nan() {
        0
    } else {
        v.round().clamp(0.0, 255.0) as u8
    }
}

/// A `[C, H, W]` tensor in pixel scale 0..255 (C = 1 or 3) as an 8-bit image.
pub fn to_dynamic_image(x: &Tensor) -> Result<DynamicImage> {
    let (c, h, w) = chw(x, "to_dynamic_image")?;
    let v = x.to_vec();
    let plane = h * w;
    let (wu, hu) = (dim_u32(w)?, dim_u32(h)?);
    let img = if c == 1 {
        let bytes: Vec<u8> = v.iter().map(|&p| to_byte(p)).collect();
        GrayImage::from_raw(wu, hu, bytes).map(DynamicImage::ImageLuma8)
    } else {
        let mut bytes = Vec::with_capacity(3 * plane);
        for i in 0..plane {
            for ch in 0..3 {
                bytes.push(to_byte(v[ch * plane + i]));
            }
        }
        RgbImage::from_raw(wu, hu, bytes).map(DynamicImage::ImageRgb8)
    };
    img.ok_or_else(|| DatasetError::invalid("to_dynamic_image", "buffer size mismatch"))
}

fn dim_u32(d: usize) -> Result<u32> {
    u32::try_from(d).map_err(|_| DatasetError::invalid("to_dynamic_image", "image too large"))
}

/// Save a `[C, H, W]` tensor (C = 1 or 3) that is in scale `scaling` as an 8-bit image; the
/// format follows the extension (`.png` recommended: lossless). Parent folders are created.
pub fn save_image(path: &Path, x: &Tensor, scaling: &Scaling) -> Result<()> {
    chw(x, "save_image")?;
    let pixels = scaling.invert(x)?;
    write_dynamic(path, &to_dynamic_image(&pixels)?)
}

/// Save each image of `[N, C, H, W]` as `dir/{prefix}{i:03}.png` (contrast-stretched per
/// image if `stretch`), returning the paths written.
pub fn save_images(
    dir: &Path,
    prefix: &str,
    x: &Tensor,
    scaling: &Scaling,
    stretch: bool,
) -> Result<Vec<std::path::PathBuf>> {
    if x.rank() != 4 {
        return Err(DatasetError::invalid("save_images", format!("need [N, C, H, W], got shape {:?}", x.shape())));
    }
    let mut pixels = scaling.invert(x)?;
    if stretch {
        pixels = contrast_stretch(&pixels)?;
    }
    let mut paths = Vec::with_capacity(item_count(x.shape()));
    for i in 0..x.shape()[0] {
        let p = dir.join(format!("{prefix}{i:03}.png"));
        write_dynamic(&p, &to_dynamic_image(&pixels.get(i)?)?)?;
        paths.push(p);
    }
    Ok(paths)
}

/// Encode `img` to `path` (format by extension), creating parent folders.
pub(crate) fn write_dynamic(path: &Path, img: &DynamicImage) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| DatasetError::io(parent, e))?;
    }
    img.save(path).map_err(|e| DatasetError::Encode { path: path.to_path_buf(), msg: e.to_string() })
}
