//! Loading images (PNG, JPEG, first frame of a GIF) into `[C, H, W]` / `[N, C, H, W]` tensors.
//!
//! Pixels come out as `f32` in the pixel scale 0..=255 (use a [`Scaling`](crate::Scaling)
//! to get model scale). Decoding goes through the `image` crate, which detects the format
//! from the file's bytes, not its name. A folder is read in natural file-name order
//! ([`list_images`](crate::list_images)), so the batch order is the same on every machine.
//! Images of different sizes are only stacked when a resize is asked for; otherwise the
//! loader says which file disagrees with which.

use std::path::{Path, PathBuf};

use image::DynamicImage;
use serde::{Deserialize, Serialize};
use tensor::Tensor;

use crate::error::{require_exists, DatasetError, Result};
use crate::paths::list_images;
use crate::transform::resize;

/// Colour layout of loaded images: one grey channel or three RGB channels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channels {
    /// One channel, luma of the decoded image (Rec. 709 weights, as the `image` crate uses).
    Grey,
    /// Three channels R, G, B (grey images are repeated into all three).
    #[default]
    Rgb,
}

impl Channels {
    /// 1 for grey, 3 for RGB.
    pub fn count(self) -> usize {
        match self {
            Channels::Grey => 1,
            Channels::Rgb => 3,
        }
    }
}

/// How to load images: colour layout and an optional bilinear resize to `(height, width)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Grey or RGB.
    pub channels: Channels,
    /// Resize every image to `(height, width)` (bilinear, after decoding, in `f32`).
    pub resize: Option<(usize, usize)>,
}

impl LoadOptions {
    /// Options with these channels and no resize.
    pub fn new(channels: Channels) -> LoadOptions {
        LoadOptions { channels, resize: None }
    }

    /// The same options with a resize to `height × width`.
    pub fn resized(mut self, height: usize, width: usize) -> LoadOptions {
        self.resize = Some((height, width));
        self
    }
}

/// Decode the image file at `path` (format detected from its bytes).
pub(crate) fn decode_file(path: &Path) -> Result<DynamicImage> {
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    crate::limits::check_jpeg_complete(path, &bytes)?;
    let reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| DatasetError::io(path, e))?;
    if reader.format().is_none() {
        return Err(DatasetError::decode(path, "not a PNG, JPEG or GIF file"));
    }
    // the declared size, before any pixel is decoded (RGBA, 8 bits: 4 bytes a pixel)
    let (w, h) = reader.into_dimensions().map_err(|e| DatasetError::decode(path, e))?;
    crate::limits::check_decoded(path, &format!("a {w}×{h} image"), 4 * u64::from(w) * u64::from(h))?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| DatasetError::io(path, e))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(crate::limits::max_decoded_bytes());
    reader.limits(limits);
    reader.decode().map_err(|e| DatasetError::decode(path, e))
}

/// A decoded image as a `[C, H, W]` tensor in 0..255.
pub(crate) fn image_to_tensor(img: &DynamicImage, channels: Channels) -> Result<Tensor> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let data: Vec<f32> = match channels {
        Channels::Grey => img.to_luma8().into_raw().into_iter().map(f32::from).collect(),
        Channels::Rgb => {
            // interleaved HWC → planar CHW
            let rgb = img.to_rgb8().into_raw();
            let mut out = vec![0.0f32; 3 * h * w];
            for (i, px) in rgb.chunks_exact(3).enumerate() {
                for c in 0..3 {
                    out[c * h * w + i] = f32::from(px[c]);
                }
            }
            out
        }
    };
    Ok(Tensor::from_vec(data, &[channels.count(), h, w])?)
}

/// Load one image file as `[C, H, W]` with pixels in 0..255 (a GIF gives its first frame).
///
/// ```
/// use coopnets_datasets::{data_dir, load_image, Channels};
/// let x = load_image(&data_dir().join("textures/gimp_plant_leaves.png"), Channels::Rgb)?;
/// assert_eq!(x.shape(), &[3, 50, 50]);
/// # Ok::<(), coopnets_datasets::DatasetError>(())
/// ```
pub fn load_image(path: &Path, channels: Channels) -> Result<Tensor> {
    require_exists(path)?;
    image_to_tensor(&decode_file(path)?, channels)
}

/// Load one image and apply the options' resize, if any.
pub fn load_image_with(path: &Path, opts: &LoadOptions) -> Result<Tensor> {
    let x = load_image(path, opts.channels)?;
    match opts.resize {
        Some((h, w)) => resize(&x, h, w),
        None => Ok(x),
    }
}

/// Load a file (as a batch of one) or every image of a folder (natural order) as
/// `[N, C, H, W]` in 0..255. Without `opts.resize` all images must have the same size.
pub fn load_images(path: &Path, opts: &LoadOptions) -> Result<Tensor> {
    require_exists(path)?;
    let files = if path.is_dir() { list_images(path)? } else { vec![path.to_path_buf()] };
    let mut items = Vec::with_capacity(files.len());
    for f in files {
        let x = load_image_with(&f, opts)?;
        items.push((f, x));
    }
    stack_same_size(&items, 0)
}

/// Stack `[C, H, W]` tensors along a new `axis`, failing with
/// [`DatasetError::MixedSizes`] (naming both files) if any differs from the first.
pub(crate) fn stack_same_size(items: &[(PathBuf, Tensor)], axis: usize) -> Result<Tensor> {
    let Some((first_path, first)) = items.first() else {
        return Err(DatasetError::invalid("stack", "no images to stack"));
    };
    for (p, x) in items {
        let (s, f) = (x.shape(), first.shape());
        if s != f {
            return Err(DatasetError::MixedSizes {
                path: p.clone(),
                first: first_path.clone(),
                expected_h: f[f.len() - 2],
                expected_w: f[f.len() - 1],
                found_h: s[s.len() - 2],
                found_w: s[s.len() - 1],
            });
        }
    }
    let refs: Vec<&Tensor> = items.iter().map(|(_, x)| x).collect();
    Ok(Tensor::stack(&refs, axis)?)
}
