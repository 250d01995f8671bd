//! Loading the observed examples of a run as one tensor in model scale: images as
//! `[N, C, H, W]`, sound segments as `[N, 1, L]`; and, when the run learns from incomplete
//! data, the mask of visible pixels.

use anyhow::{bail, Context, Result};
use datasets::LoadOptions;
use tensor::{rng_for, Tensor};

use crate::config::{DataConfig, Missing, Source};

/// The random stream the masks are drawn from (once per run; iteration t uses stream t + 1).
const MASK_STREAM: u64 = u64::MAX - 1;

/// The random stream of the held-out split.
const HOLDOUT_STREAM: u64 = u64::MAX - 3;

/// The observed examples, already scaled, their visibility mask (1 = visible), and the
/// held-out examples (not learned from).
pub struct Observed {
    pub data: Tensor,
    pub mask: Option<Tensor>,
    pub held_out: Option<Tensor>,
    /// The whole images when the model learns from their patches (what `observed.png` shows).
    pub whole: Option<Tensor>,
}

impl Observed {
    /// The same data on `device`.
    pub fn to_device(&self, device: &tensor::Device) -> Result<Observed> {
        let mv = |t: &Option<Tensor>| t.as_ref().map(|t| t.to_device(device)).transpose();
        Ok(Observed {
            data: self.data.to_device(device)?,
            mask: mv(&self.mask)?,
            held_out: mv(&self.held_out)?,
            whole: mv(&self.whole)?,
        })
    }
}

/// The run's device, from `run.device`.
pub fn device(run: &crate::config::RunSettings) -> Result<tensor::Device> {
    let device = tensor::Device::parse(&run.device).with_context(|| format!("run.device = {:?}", run.device))?;
    if let Some(how) = run.conv_algorithms {
        device.set_conv_algorithms(how.into());
    }
    Ok(device)
}

/// Load the examples, split off the held-out ones and draw the masks, all from `seed`.
pub fn load(cfg: &DataConfig, seed: u64) -> Result<Observed> {
    let (all, whole) = match cfg.patch {
        0 => (load_observed(cfg)?, None),
        k => {
            let whole = load_observed(cfg)?;
            (patches(&whole, k)?, Some(whole))
        }
    };
    let n = all.shape()[0];
    let (data, held_out) = match cfg.holdout {
        0 => (all, None),
        h if h >= n => bail!("data.holdout = {h} leaves nothing to learn from ({n} examples)"),
        h => {
            let mut order: Vec<usize> = (0..n).collect();
            rand::seq::SliceRandom::shuffle(&mut order[..], &mut rng_for(seed, HOLDOUT_STREAM));
            let (train, test) = order.split_at(n - h);
            (models::rows::gather(&all, train)?, Some(models::rows::gather(&all, test)?))
        }
    };
    let mask = match &cfg.missing {
        None => None,
        Some(m) => Some(draw_mask(m, data.shape(), seed)?),
    };
    Ok(Observed { data, mask, held_out, whole })
}

/// Every `k`×`k` crop of the images `x` (`[N, C, H, W]`) at stride `k`/2, as `[M, C, k, k]`.
pub fn patches(x: &Tensor, k: usize) -> Result<Tensor> {
    let &[_, _, h, w] = x.shape() else { bail!("data.patch needs images [N, C, H, W], got {:?}", x.shape()) };
    if k == 0 || k > h || k > w {
        bail!("data.patch = {k} does not fit {h}×{w} images");
    }
    let step = (k / 2).max(1);
    let mut crops = Vec::new();
    for n in 0..x.shape()[0] {
        for top in (0..=h - k).step_by(step) {
            for left in (0..=w - k).step_by(step) {
                crops.push(x.narrow(0, n, 1)?.narrow(2, top, k)?.narrow(3, left, k)?.contiguous());
            }
        }
    }
    Ok(Tensor::cat(&crops.iter().collect::<Vec<_>>(), 0)?)
}

/// The mask `missing` describes, for examples of `shape`, drawn from the run's seed.
pub fn draw_mask(missing: &Missing, shape: &[usize], seed: u64) -> Result<Tensor> {
    let mut rng = rng_for(seed, MASK_STREAM);
    let mask = match *missing {
        Missing::SaltPepper { fraction, cell } => datasets::salt_pepper_mask(shape, cell, fraction, &mut rng),
        Missing::Square { size } => datasets::square_mask(shape, size, &mut rng),
    }
    .context("data.missing")?;
    Ok(mask)
}

/// The observed examples, already scaled.
pub fn load_observed(cfg: &DataConfig) -> Result<Tensor> {
    if cfg.channels == datasets::Channels::Rgb && matches!(cfg.source, Source::Idx { .. } | Source::Wav { .. }) {
        bail!("data.channels = \"rgb\": this source has one channel (IDX digits and clothes are grey, a sound is mono); use \"grey\"");
    }
    let raw = load_pixels(cfg)?;
    refuse_flat(&raw, cfg)?;
    match &cfg.source {
        // sound is already in the model's scale, [−1, 1]
        Source::Wav { .. } => Ok(raw),
        _ => Ok(cfg.scaling.apply(&raw)?),
    }
}

/// An error if every value of the data is the same (a blank image, or a tiny one resized up
/// to a flat one): there is nothing to learn, and a model would fit the constant silently.
fn refuse_flat(raw: &Tensor, cfg: &DataConfig) -> Result<()> {
    let v = raw.to_vec();
    let first = v.first().copied().unwrap_or(0.0);
    if v.iter().all(|&x| x == first) {
        let (path, shape) = (source_path(&cfg.source).display(), raw.shape());
        bail!("{path}: the observed data (shape {shape:?}, after data.crop and data.size) are flat, every value {first}: nothing to learn");
    }
    Ok(())
}

/// The file or folder the data come from (IDX: the images file).
pub fn source_path(source: &Source) -> &std::path::Path {
    match source {
        Source::Images { path } | Source::Wav { path, .. } | Source::Video { path, .. } => path,
        Source::Idx { images, .. } => images,
    }
}

/// Resolve a scaling that depends on the data (`data_mean`) into its value, so that the run's
/// saved config maps samples back to pixels (see `datasets::Scaling::resolve`). The mean is
/// taken over the examples learned from (held-out ones excluded).
pub fn resolve_scaling(cfg: &mut DataConfig, seed: u64) -> Result<()> {
    if cfg.scaling == datasets::Scaling::DataMean && !matches!(cfg.source, Source::Wav { .. }) {
        let raw = DataConfig { scaling: datasets::Scaling::Raw, missing: None, ..cfg.clone() };
        cfg.scaling = cfg.scaling.resolve(&load(&raw, seed)?.data);
    }
    Ok(())
}

/// The observed examples before scaling: pixels 0–255 (sound: samples in [−1, 1]).
fn load_pixels(cfg: &DataConfig) -> Result<Tensor> {
    Ok(match &cfg.source {
        Source::Images { path } => {
            let x = datasets::load_images(path, &load_options(cfg))
                .with_context(|| format!("loading observed images from {}", path.display()))?;
            crop_resize(x, cfg)
                .with_context(|| format!("data.crop = {} on the images of {}", cfg.crop, path.display()))?
        }
        Source::Idx { images, labels, class, count, skip } => {
            let x = load_idx(images, labels, *class, *skip, *count)?;
            if cfg.size > 0 {
                datasets::resize(&x, cfg.size, cfg.size)?
            } else {
                x
            }
        }
        Source::Wav { path, sample_rate, length, count, loudness } => {
            load_wav_segments(path, *sample_rate, *length, *count, *loudness)?
        }
        Source::Video { path, frames } => load_video(path, *frames, cfg)?,
    })
}

/// A video as one example `[1, C, T, H, W]`, pixels 0–255: its first `frames` frames (0 =
/// all), each centre-cropped and resized as the config says.
fn load_video(path: &std::path::Path, frames: usize, cfg: &DataConfig) -> Result<Tensor> {
    if frames == 1 {
        bail!("data.source.frames = 1: a video needs at least 2 frames (0 = all of them)");
    }
    let x = datasets::load_video(path, &load_options(cfg))
        .with_context(|| format!("loading the video {}", path.display()))?;
    let t = x.shape()[0];
    if t < 2 {
        bail!("{}: a video needs at least 2 frames; it has {t}", path.display());
    }
    let x = if frames > 0 && frames < t { x.narrow(0, 0, frames)?.contiguous() } else { x };
    let x =
        crop_resize(x, cfg).with_context(|| format!("data.crop = {} on the frames of {}", cfg.crop, path.display()))?;
    Ok(datasets::batch_videos(&[x])?)
}

/// Loading options: the channels, and the resize when there is no crop first.
fn load_options(cfg: &DataConfig) -> LoadOptions {
    let opts = LoadOptions::new(cfg.channels);
    if cfg.size > 0 && cfg.crop == 0 {
        opts.resized(cfg.size, cfg.size)
    } else {
        opts
    }
}

/// Images `[N, C, H, W]` centre-cropped to `crop` and then resized to `size` (0 = neither).
fn crop_resize(x: Tensor, cfg: &DataConfig) -> Result<Tensor> {
    Ok(match (cfg.crop, cfg.size) {
        (0, _) => x,
        (c, 0) => datasets::center_crop(&x, c, c)?,
        (c, s) => datasets::resize(&datasets::center_crop(&x, c, c)?, s, s)?,
    })
}

/// Images `skip .. skip + count` of `class` (−1: any class) of an IDX pair, 0–255.
pub fn load_idx(
    images: &std::path::Path,
    labels: &std::path::Path,
    class: i16,
    skip: usize,
    count: usize,
) -> Result<Tensor> {
    let set = datasets::load_mnist(images, labels).context("loading the IDX data set")?;
    let idx: Vec<usize> = set
        .labels
        .iter()
        .enumerate()
        .filter(|(_, &l)| class < 0 || i16::from(l) == class)
        .map(|(i, _)| i)
        .skip(skip)
        .take(count)
        .collect();
    if idx.is_empty() {
        bail!("no image of class {class} in {} after skipping {skip}", labels.display());
    }
    if idx.len() < count {
        bail!(
            "{} has only {} images of class {class} after skipping {skip}; asked for {count}",
            labels.display(),
            idx.len()
        );
    }
    Ok(set.select(&idx)?.scaled_to_255()?)
}

/// `count` segments of `length` samples, evenly spaced over the sound at `rate` Hz, `[N, 1, L]`,
/// the sound made as loud as `loudness` says (quiet recordings would otherwise sit far below
/// the models' noise levels and teach nothing).
pub fn load_wav_segments(
    path: &std::path::Path,
    rate: u32,
    length: usize,
    count: usize,
    loudness: crate::config::Loudness,
) -> Result<Tensor> {
    let mut wave =
        datasets::load_wav(path)?.resampled(rate).with_context(|| format!("resampling {}", path.display()))?;
    let peak = wave.samples.abs().max_all().to_scalar()?;
    if peak.is_nan() || peak <= 0.0 {
        bail!("{} is silent: every sample is 0", path.display());
    }
    wave.samples = match loudness {
        crate::config::Loudness::Peak => wave.samples.mul_scalar(1.0 / peak),
        crate::config::Loudness::Rms(target) => {
            let rms = wave.samples.square().mean_all().to_scalar()?.sqrt();
            wave.samples.mul_scalar(target / rms).clamp(-1.0, 1.0)
        }
    };
    if wave.len() < length {
        bail!(
            "{} has {} samples at {rate} Hz ({:.2} s); the model needs segments of {length} samples (data.source.length)",
            path.display(),
            wave.len(),
            wave.duration_secs()
        );
    }
    if count == 0 {
        bail!("data.source.count must be at least 1");
    }
    let hop = if count > 1 { ((wave.len() - length) / (count - 1)).max(1) } else { length };
    let all = wave.segments(length, hop).with_context(|| format!("cutting {} into segments", path.display()))?;
    if all.shape()[0] < count {
        bail!(
            "{} gives only {} segments of {length} samples at {rate} Hz; data.source.count asks for {count}",
            path.display(),
            all.shape()[0]
        );
    }
    Ok(all.narrow(0, 0, count)?.contiguous())
}
