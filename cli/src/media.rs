//! Writing examples in model scale as files a person opens: images (PNG) or sounds (16-bit
//! PCM WAV), chosen by the run's data source.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use datasets::{GridOptions, Scaling};
use tensor::Tensor;

use crate::config::{DataConfig, Source};

/// How the examples of a run are written.
#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    /// `[N, C, H, W]` images, mapped back to pixels by the run's scaling.
    Image(Scaling),
    /// `[N, 1, L]` sounds in [−1, 1] at this sample rate.
    Sound(u32),
    /// `[N, C, T, H, W]` videos, written as looping GIFs.
    Video(Scaling),
}

/// Time between the frames of the GIFs written (10 frames per second).
pub const GIF_DELAY_MS: u32 = 100;

impl Media {
    pub fn of(data: &DataConfig) -> Media {
        match data.source {
            Source::Wav { sample_rate, .. } => Media::Sound(sample_rate),
            Source::Video { .. } => Media::Video(data.scaling.clone()),
            _ => Media::Image(data.scaling.clone()),
        }
    }

    /// File extension of one example.
    pub fn ext(&self) -> &'static str {
        match self {
            Media::Image(_) => "png",
            Media::Sound(_) => "wav",
            Media::Video(_) => "gif",
        }
    }

    /// All of `x` in one file `<stem>.<ext>`: a grid of images, the sounds one after the
    /// other, or one GIF whose frame t is the grid of every video's frame t. Returns the path
    /// written.
    pub fn save_all(&self, out: &Path, stem: &str, x: &Tensor) -> Result<PathBuf> {
        let path = out.join(format!("{stem}.{}", self.ext()));
        match self {
            // one image is saved as itself, without the grid's border
            Media::Image(scaling) if x.shape()[0] == 1 => {
                datasets::save_image(&path, &x.get(0)?.clamp(-1e4, 1e4), scaling)
                    .with_context(|| format!("writing {}", path.display()))?
            }
            Media::Image(scaling) => save_grid(&path, x, scaling)?,
            Media::Sound(rate) => datasets::save_wav(&path, &x.contiguous().reshape(&[x.numel()])?, *rate)
                .with_context(|| format!("writing {}", path.display()))?,
            Media::Video(scaling) => save_video_grid(&path, x, scaling)?,
        }
        Ok(path)
    }

    /// Each example of `x` in its own file `dir/<k>.<ext>`, k from 0.
    pub fn save_each(&self, dir: &Path, x: &Tensor) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for k in 0..x.shape()[0] {
            let p = dir.join(format!("{k}.{}", self.ext()));
            let one = x.get(k)?;
            match self {
                Media::Image(scaling) => datasets::save_image(&p, &one.clamp(-1e4, 1e4), scaling),
                Media::Sound(rate) => datasets::save_wav(&p, &one, *rate),
                Media::Video(scaling) => {
                    let video = one.permute(&[1, 0, 2, 3])?.contiguous(); // [C, T, H, W] → [T, C, H, W]
                    datasets::save_gif(&p, &video.clamp(-1e4, 1e4), scaling, GIF_DELAY_MS)
                }
            }
            .with_context(|| format!("writing {}", p.display()))?;
        }
        Ok(())
    }
}

/// Save a grid of `x` (model scale) to `path`, as square as it can be.
pub fn save_grid(path: &Path, x: &Tensor, scaling: &Scaling) -> Result<()> {
    save_grid_cols(path, x, scaling, GridOptions::fit(x.shape()[0]).cols)
}

/// Save a grid of `x` (model scale) to `path` with `cols` images per row.
pub fn save_grid_cols(path: &Path, x: &Tensor, scaling: &Scaling, cols: usize) -> Result<()> {
    let n = x.shape()[0];
    let opts = GridOptions { padding: 2, pad_value: 255.0, ..GridOptions::new(n.div_ceil(cols.max(1)), cols.max(1)) };
    datasets::save_grid(path, &x.clamp(-1e4, 1e4), scaling, &opts)
        .with_context(|| format!("writing {}", path.display()))
}

/// Videos `[N, C, T, H, W]` (model scale) as one GIF: frame t is the grid of every video's
/// frame t.
fn save_video_grid(path: &Path, x: &Tensor, scaling: &Scaling) -> Result<()> {
    let &[n, _, t, ..] = x.shape() else { anyhow::bail!("videos must be [N, C, T, H, W], not {:?}", x.shape()) };
    if n == 1 {
        // one video is saved as itself, without the grid's border
        let video = x.get(0)?.permute(&[1, 0, 2, 3])?.contiguous();
        return datasets::save_gif(path, &video.clamp(-1e4, 1e4), scaling, GIF_DELAY_MS)
            .with_context(|| format!("writing {}", path.display()));
    }
    let pixels = scaling.invert(&x.clamp(-1e4, 1e4))?;
    let opts = GridOptions { padding: 2, pad_value: 255.0, ..GridOptions::fit(n) };
    let mut frames = Vec::with_capacity(t);
    for k in 0..t {
        frames.push(datasets::make_grid(&pixels.narrow(2, k, 1)?.squeeze(2)?.contiguous(), &opts)?);
    }
    let refs: Vec<&Tensor> = frames.iter().collect();
    datasets::save_gif(path, &Tensor::stack(&refs, 0)?, &Scaling::Raw, GIF_DELAY_MS)
        .with_context(|| format!("writing {}", path.display()))
}

/// One video `[C, T, H, W]` (model scale) as a PNG strip of its frames, left to right.
pub fn save_frame_strip(path: &Path, video: &Tensor, scaling: &Scaling) -> Result<()> {
    let frames = video.permute(&[1, 0, 2, 3])?.contiguous();
    save_grid_cols(path, &frames, scaling, frames.shape()[0])
}
