//! Pixel scalings: from the loaders' 0–255 range to what a model sees, and back.
//!
//! Every image, frame and digit loader in this crate returns pixels as `f32` in the *pixel
//! scale* 0..=255 (the digits CSV is the exception: 0..=16, see
//! [`LabeledImages::max_value`](crate::LabeledImages)). The reference implementations of the
//! descriptor / generator / CoopNets papers then rescale in one of a few ways, which
//! [`Scaling`] names so a config file can pick one (`"symmetric"`, `{"channel_mean": [..]}`):
//!
//! | variant | `apply` (x in 0..255) | `invert` (back to 0..255) |
//! | --- | --- | --- |
//! | `Raw` | x | y |
//! | `Unit` | x / 255 | 255 y |
//! | `Symmetric` ("[0,1] → [−1,1]") | 2 x/255 − 1 | 255 (y+1)/2 |
//! | `MinMax` (per image) | 2 (x−min)/(max−min) − 1 | 255 (y+1)/2 |
//! | `ChannelMean(m)` (e.g. VGG) | x − m\[c\] | y + m\[c\] |
//! | `ScalarMean(m)` | x − m | y + m |
//! | `DataMean` (STGConvNet) | x − mean of all the data | after [`Scaling::resolve`]: y + that mean |
//!
//! `MinMax` forgets the original min and max, so its inverse is the fixed map from [−1, 1]
//! to [0, 255]. Which axis is the channel and which the "image": a rank-3 tensor is one
//! `[C, H, W]` image; rank 4 is `[N, C, H, W]` (or a video `[T, C, H, W]`: one item per
//! frame); rank 5 is `[N, C, T, H, W]` (one item per video). `apply` takes min and max per
//! item; [`Scaling::apply_global`] takes them over the whole tensor (e.g. one min–max for a
//! whole video).

use serde::{Deserialize, Serialize};
use tensor::Tensor;

use crate::error::{DatasetError, Result};

/// The VGG / ImageNet per-channel RGB mean on the 0–255 scale, used by the reference code.
pub const VGG_MEAN: [f32; 3] = [123.68, 116.779, 103.939];

/// A reversible map from pixel scale (0–255) to model scale. See the module docs for the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Identity: the model sees 0..255.
    Raw,
    /// 0..255 → [0, 1].
    Unit,
    /// 0..255 → [−1, 1] by a fixed affine map (the reference code's `[0,1] → [−1,1]`).
    Symmetric,
    /// Per image: its own min → −1, its own max → +1 (a constant image maps to 0).
    MinMax,
    /// Subtract a per-channel mean (one entry per channel, or a single entry for all).
    #[serde(serialize_with = "short_f32s")]
    ChannelMean(Vec<f32>),
    /// Subtract one scalar mean from every pixel.
    #[serde(serialize_with = "short_f32")]
    ScalarMean(f32),
    /// Subtract the mean of all the data's pixels (one scalar, as STGConvNet does), so that the
    /// reference distribution N(0, σ²) and chains started at zero sit at the data's mean
    /// whatever its brightness. [`Scaling::resolve`] turns it into `ScalarMean` of that value
    /// once the data are loaded, so that samples can be mapped back to pixels.
    DataMean,
}

/// Serialize as the shortest decimal (`123.68`, not `123.68000030517578`).
fn short_f32<S: serde::Serializer>(v: &f32, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(v.to_string().parse().unwrap_or(f64::from(*v)))
}

fn short_f32s<S: serde::Serializer>(v: &[f32], s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        seq.serialize_element(&x.to_string().parse::<f64>().unwrap_or(f64::from(*x)))?;
    }
    seq.end()
}

impl Scaling {
    /// `ChannelMean` with the VGG RGB mean [`VGG_MEAN`].
    pub fn vgg() -> Scaling {
        Scaling::ChannelMean(VGG_MEAN.to_vec())
    }

    /// This scaling with `DataMean` replaced by `ScalarMean` of the mean of `pixels` (0..255;
    /// rounded to 1/100 so that configs stay readable); any other scaling unchanged.
    pub fn resolve(&self, pixels: &Tensor) -> Scaling {
        match self {
            Scaling::DataMean => {
                let v = pixels.to_vec();
                let mean = v.iter().map(|&p| f64::from(p)).sum::<f64>() / v.len().max(1) as f64;
                Scaling::ScalarMean(((mean * 100.0).round() / 100.0) as f32)
            }
            other => other.clone(),
        }
    }

    /// Map `x` (pixel scale 0..255) to model scale; `MinMax` works per item (see module docs).
    pub fn apply(&self, x: &Tensor) -> Result<Tensor> {
        self.apply_with(x, false)
    }

    /// Like [`apply`](Self::apply) but `MinMax` uses one min and max for the whole tensor.
    pub fn apply_global(&self, x: &Tensor) -> Result<Tensor> {
        self.apply_with(x, true)
    }

    fn apply_with(&self, x: &Tensor, global: bool) -> Result<Tensor> {
        let shape = x.shape().to_vec();
        let mut v = x.to_vec();
        match self {
            Scaling::Raw => {}
            Scaling::Unit => v.iter_mut().for_each(|p| *p /= 255.0),
            Scaling::Symmetric => v.iter_mut().for_each(|p| *p = *p / 127.5 - 1.0),
            Scaling::MinMax => {
                let items = if global { 1 } else { item_count(&shape) };
                let per = v.len() / items.max(1);
                for chunk in v.chunks_mut(per.max(1)) {
                    min_max_to_symmetric(chunk);
                }
            }
            Scaling::ChannelMean(mean) => add_channel(&mut v, &shape, mean, -1.0)?,
            Scaling::ScalarMean(m) => v.iter_mut().for_each(|p| *p -= m),
            Scaling::DataMean => return self.resolve(x).apply_with(x, global),
        }
        Ok(Tensor::from_vec(v, &shape)?)
    }

    /// Map `y` from model scale back to pixel scale 0..255 (not clamped; the writers clamp).
    pub fn invert(&self, y: &Tensor) -> Result<Tensor> {
        let shape = y.shape().to_vec();
        let mut v = y.to_vec();
        match self {
            Scaling::Raw => {}
            Scaling::Unit => v.iter_mut().for_each(|p| *p *= 255.0),
            Scaling::Symmetric | Scaling::MinMax => v.iter_mut().for_each(|p| *p = (*p + 1.0) * 127.5),
            Scaling::ChannelMean(mean) => add_channel(&mut v, &shape, mean, 1.0)?,
            Scaling::ScalarMean(m) => v.iter_mut().for_each(|p| *p += m),
            Scaling::DataMean => {
                return Err(DatasetError::invalid(
                    "Scaling::DataMean",
                    "the data's mean is not known here: resolve the scaling on the data first",
                ))
            }
        }
        Ok(Tensor::from_vec(v, &shape)?)
    }
}

/// Number of items (images, frames or videos) in a tensor of this shape: the leading axis for
/// rank 4 and 5, else one.
pub(crate) fn item_count(shape: &[usize]) -> usize {
    if shape.len() >= 4 {
        shape[0]
    } else {
        1
    }
}

/// The channel axis of a tensor of this shape (`[C,H,W]` → 0, `[N,C,H,W]`/`[T,C,H,W]` → 1,
/// `[N,C,T,H,W]` → 1); `None` for rank < 3.
pub(crate) fn channel_axis(shape: &[usize]) -> Option<usize> {
    match shape.len() {
        3 => Some(0),
        4 | 5 => Some(1),
        _ => None,
    }
}

fn min_max_to_symmetric(v: &mut [f32]) {
    let lo = v.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let range = hi - lo;
    if range > 0.0 && range.is_finite() {
        v.iter_mut().for_each(|p| *p = 2.0 * (*p - lo) / range - 1.0);
    } else {
        v.iter_mut().for_each(|p| *p = 0.0);
    }
}

/// `v[i] += sign * mean[channel of i]`.
fn add_channel(v: &mut [f32], shape: &[usize], mean: &[f32], sign: f32) -> Result<()> {
    if mean.len() == 1 {
        v.iter_mut().for_each(|p| *p += sign * mean[0]);
        return Ok(());
    }
    let axis = channel_axis(shape).ok_or_else(|| {
        DatasetError::invalid(
            "Scaling::ChannelMean",
            format!("tensor of shape {shape:?} has no channel axis (need rank 3, 4 or 5)"),
        )
    })?;
    let channels = shape[axis];
    if channels != mean.len() {
        return Err(DatasetError::invalid(
            "Scaling::ChannelMean",
            format!("{} means given but the tensor of shape {shape:?} has {channels} channels", mean.len()),
        ));
    }
    let inner: usize = shape[axis + 1..].iter().product();
    for (i, p) in v.iter_mut().enumerate() {
        *p += sign * mean[(i / inner.max(1)) % channels];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
    }

    #[test]
    fn fixed_maps_and_their_inverses() -> Result<()> {
        let x = Tensor::from_vec(vec![0.0, 127.5, 255.0], &[1, 1, 3])?;
        assert!(close(&Scaling::Symmetric.apply(&x)?.to_vec(), &[-1.0, 0.0, 1.0]));
        assert!(close(&Scaling::Unit.apply(&x)?.to_vec(), &[0.0, 0.5, 1.0]));
        assert!(close(&Scaling::ScalarMean(100.0).apply(&x)?.to_vec(), &[-100.0, 27.5, 155.0]));
        for s in [Scaling::Raw, Scaling::Unit, Scaling::Symmetric, Scaling::ScalarMean(3.0)] {
            assert!(close(&s.invert(&s.apply(&x)?)?.to_vec(), &x.to_vec()), "{s:?}");
        }
        Ok(())
    }

    #[test]
    fn data_mean_subtracts_the_datas_mean_and_resolves_to_an_invertible_scalar_mean() -> Result<()> {
        let x = Tensor::from_vec(vec![10.0, 20.0, 30.0, 60.0], &[1, 1, 2, 2])?;
        let y = Scaling::DataMean.apply(&x)?;
        assert!(close(&y.to_vec(), &[-20.0, -10.0, 0.0, 30.0]));
        let resolved = Scaling::DataMean.resolve(&x);
        assert_eq!(resolved, Scaling::ScalarMean(30.0));
        assert!(close(&resolved.invert(&y)?.to_vec(), &x.to_vec()));
        assert!(Scaling::DataMean.invert(&y).is_err(), "unresolved: no mean to add back");
        Ok(())
    }

    #[test]
    fn min_max_is_per_image_unless_global() -> Result<()> {
        // two 1x1x2 images: [10, 20] and [0, 100]
        let x = Tensor::from_vec(vec![10.0, 20.0, 0.0, 100.0], &[2, 1, 1, 2])?;
        assert!(close(&Scaling::MinMax.apply(&x)?.to_vec(), &[-1.0, 1.0, -1.0, 1.0]));
        assert!(close(&Scaling::MinMax.apply_global(&x)?.to_vec(), &[-0.8, -0.6, -1.0, 1.0]));
        let back = Scaling::MinMax.invert(&Tensor::from_vec(vec![-1.0, 1.0], &[2])?)?;
        assert!(close(&back.to_vec(), &[0.0, 255.0]));
        Ok(())
    }

    #[test]
    fn vgg_mean_is_per_channel_and_checks_channel_count() -> Result<()> {
        let x = Tensor::full(&[1, 3, 2, 2], 200.0);
        let y = Scaling::vgg().apply(&x)?.to_vec();
        assert!((y[0] - 76.32).abs() < 1e-3 && (y[4] - 83.221).abs() < 1e-3);
        assert!((y[11] - 96.061).abs() < 1e-3);
        assert!(close(&Scaling::vgg().invert(&Scaling::vgg().apply(&x)?)?.to_vec(), &x.to_vec()));
        let grey = Tensor::full(&[1, 1, 2, 2], 200.0);
        let err = Scaling::vgg().apply(&grey).unwrap_err();
        assert!(err.to_string().contains("3 means given"), "{err}");
        Ok(())
    }

    #[test]
    fn configs_can_name_a_scaling() {
        let s: Scaling = serde_json::from_str("\"symmetric\"").unwrap();
        assert_eq!(s, Scaling::Symmetric);
        let s: Scaling = serde_json::from_str("{\"channel_mean\": [1.0, 2.0, 3.0]}").unwrap();
        assert_eq!(s, Scaling::ChannelMean(vec![1.0, 2.0, 3.0]));
        assert_eq!(serde_json::to_string(&Scaling::MinMax).unwrap(), "\"min_max\"");
    }
}
