//! Video: a folder of frames or an animated GIF ↔ `[T, C, H, W]` tensors.
//!
//! Frame folders are read in natural file-name order (`frame_2` before `frame_10`), GIFs
//! frame by frame with the `image` crate, which composes each frame onto the previous ones
//! as the GIF's disposal rules say. Pixels are in the 0..255 pixel scale; a
//! [`Scaling`] then works *per frame* with [`Scaling::apply`] (each frame of `[T, C, H, W]`
//! is an item) or over the whole clip with [`Scaling::apply_global`]. Models take batches
//! `[N, C, T, H, W]` (PyTorch's 3-D convolution layout): [`batch_videos`] builds one.
//!
//! Writing a GIF: grey clips use one 256-level grey palette, so they round-trip exactly;
//! RGB frames are quantised to 256 colours per frame (NeuQuant), which is lossy.

use std::path::{Path, PathBuf};

use tensor::Tensor;

use crate::error::{require_exists, DatasetError, Result};
use crate::images::{image_to_tensor, load_image_with, stack_same_size, LoadOptions};
use crate::paths::list_files;
use crate::save::{chw, to_byte, to_dynamic_image, write_dynamic};
use crate::scaling::Scaling;
use crate::transform::resize;

/// Frame file extensions read from a frame folder.
pub const FRAME_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// Load every frame (PNG/JPEG) of folder `dir`, in natural order, as `[T, C, H, W]`.
pub fn load_frames(dir: &Path, opts: &LoadOptions) -> Result<Tensor> {
    let files = list_files(dir, FRAME_EXTENSIONS, "frames (png, jpg, jpeg)")?;
    let mut items = Vec::with_capacity(files.len());
    for f in files {
        let x = load_image_with(&f, opts)?;
        items.push((f, x));
    }
    stack_same_size(&items, 0)
}

/// Load every frame of an animated GIF as `[T, C, H, W]`.
pub fn load_gif(path: &Path, opts: &LoadOptions) -> Result<Tensor> {
    let frames = decode_gif(path)?;
    let mut items = Vec::with_capacity(frames.len());
    for f in frames {
        let img = image::DynamicImage::ImageRgba8(f.into_buffer());
        let mut x = image_to_tensor(&img, opts.channels)?;
        if let Some((h, w)) = opts.resize {
            x = resize(&x, h, w)?;
        }
        items.push((path.to_path_buf(), x));
    }
    stack_same_size(&items, 0)
}

/// The delay of each frame of an animated GIF, in milliseconds.
pub fn load_gif_delays_ms(path: &Path) -> Result<Vec<u32>> {
    Ok(decode_gif(path)?
        .iter()
        .map(|f| {
            let (n, d) = f.delay().numer_denom_ms();
            n / d.max(1)
        })
        .collect())
}

/// Every frame of a GIF, within the decode limit ([`crate::limits`]): the declared screen size
/// is checked before any frame is decoded, and the frames' total as they come.
fn decode_gif(path: &Path) -> Result<Vec<image::Frame>> {
    use image::{AnimationDecoder, ImageDecoder};
    require_exists(path)?;
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let mut dec =
        image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).map_err(|e| DatasetError::decode(path, e))?;
    let (w, h) = dec.dimensions();
    let frame_bytes = 4 * u64::from(w) * u64::from(h);
    crate::limits::check_decoded(path, &format!("a {w}×{h} GIF frame"), frame_bytes)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(crate::limits::max_decoded_bytes());
    dec.set_limits(limits).map_err(|e| DatasetError::decode(path, e))?;
    let mut frames = Vec::new();
    for frame in dec.into_frames() {
        frames.push(frame.map_err(|e| DatasetError::decode(path, e))?);
        let total = frame_bytes * frames.len() as u64;
        crate::limits::check_decoded(path, &format!("{} GIF frames of {w}×{h}", frames.len()), total)?;
    }
    if frames.is_empty() {
        return Err(DatasetError::decode(path, "GIF has no frames"));
    }
    Ok(frames)
}

/// Load a video from a frame folder or an animated GIF file, as `[T, C, H, W]`.
pub fn load_video(path: &Path, opts: &LoadOptions) -> Result<Tensor> {
    require_exists(path)?;
    if path.is_dir() {
        load_frames(path, opts)
    } else {
        load_gif(path, opts)
    }
}

/// Stack videos `[T, C, H, W]` (all the same shape) into a batch `[N, C, T, H, W]`.
pub fn batch_videos(videos: &[Tensor]) -> Result<Tensor> {
    let first = videos.first().ok_or_else(|| DatasetError::invalid("batch_videos", "no videos given"))?;
    let mut permuted = Vec::with_capacity(videos.len());
    for v in videos {
        if v.rank() != 4 || v.shape() != first.shape() {
            return Err(DatasetError::invalid(
                "batch_videos",
                format!("all videos must be [T, C, H, W] of one shape; got {:?} and {:?}", first.shape(), v.shape()),
            ));
        }
        permuted.push(v.permute(&[1, 0, 2, 3])?);
    }
    let refs: Vec<&Tensor> = permuted.iter().collect();
    Ok(Tensor::stack(&refs, 0)?)
}

/// Video `i` of a batch `[N, C, T, H, W]`, as `[T, C, H, W]`.
pub fn unbatch_video(batch: &Tensor, i: usize) -> Result<Tensor> {
    if batch.rank() != 5 || i >= batch.shape()[0] {
        return Err(DatasetError::invalid(
            "unbatch_video",
            format!("no video {i} in a batch of shape {:?}", batch.shape()),
        ));
    }
    Ok(batch.get(i)?.permute(&[1, 0, 2, 3])?.contiguous())
}

fn check_video(x: &Tensor, op: &'static str) -> Result<()> {
    if x.rank() != 4 || x.shape()[0] == 0 {
        return Err(DatasetError::invalid(
            op,
            format!("need a video [T, C, H, W] with T > 0, got shape {:?}", x.shape()),
        ));
    }
    chw(&x.get(0)?, op).map(|_| ())
}

/// Save a video `[T, C, H, W]` (C = 1 or 3, in scale `scaling`) as an endlessly looping
/// animated GIF with `delay_ms` between frames (GIF stores hundredths of a second, so the
/// delay is rounded to a multiple of 10 ms).
pub fn save_gif(path: &Path, x: &Tensor, scaling: &Scaling, delay_ms: u32) -> Result<()> {
    check_video(x, "save_gif")?;
    let [_, c, h, w] = *x.shape() else {
        return Err(DatasetError::invalid("save_gif", "need [T, C, H, W]"));
    };
    let too_big = || DatasetError::invalid("save_gif", format!("{h}x{w} is too large for a GIF"));
    let (w16, h16) = (u16::try_from(w).map_err(|_| too_big())?, u16::try_from(h).map_err(|_| too_big())?);
    let pixels = scaling.invert(x)?.to_vec();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| DatasetError::io(parent, e))?;
    }
    let enc = |e: &dyn std::fmt::Display| DatasetError::Encode { path: path.to_path_buf(), msg: e.to_string() };
    let file = std::fs::File::create(path).map_err(|e| DatasetError::io(path, e))?;
    let grey_palette: Vec<u8> = (0..=255u8).flat_map(|g| [g, g, g]).collect();
    let global: &[u8] = if c == 1 { &grey_palette } else { &[] };
    let mut encoder = gif::Encoder::new(std::io::BufWriter::new(file), w16, h16, global).map_err(|e| enc(&e))?;
    encoder.set_repeat(gif::Repeat::Infinite).map_err(|e| enc(&e))?;
    let delay = u16::try_from(delay_ms.div_ceil(10).max(1)).unwrap_or(u16::MAX);
    let frame_len = c * h * w;
    for frame in pixels.chunks_exact(frame_len) {
        let mut f = if c == 1 {
            let idx: Vec<u8> = frame.iter().map(|&p| to_byte(p)).collect();
            let mut f = gif::Frame::from_indexed_pixels(w16, h16, idx, None);
            f.palette = None; // use the global grey palette
            f
        } else {
            let plane = h * w;
            let rgb: Vec<u8> = (0..plane)
                .flat_map(|i| (0..3).map(move |ch| (ch, i)))
                .map(|(ch, i)| to_byte(frame[ch * plane + i]))
                .collect();
            gif::Frame::from_rgb_speed(w16, h16, &rgb, 10)
        };
        f.delay = delay;
        encoder.write_frame(&f).map_err(|e| enc(&e))?;
    }
    Ok(())
}

/// Save a video `[T, C, H, W]` (in scale `scaling`) as `dir/frame_000.png`, … and return
/// the paths written.
pub fn save_frames(dir: &Path, x: &Tensor, scaling: &Scaling) -> Result<Vec<PathBuf>> {
    check_video(x, "save_frames")?;
    let pixels = scaling.invert(x)?;
    let mut paths = Vec::with_capacity(x.shape()[0]);
    for t in 0..x.shape()[0] {
        let p = dir.join(format!("frame_{t:03}.png"));
        write_dynamic(&p, &to_dynamic_image(&pixels.get(t)?)?)?;
        paths.push(p);
    }
    Ok(paths)
}
