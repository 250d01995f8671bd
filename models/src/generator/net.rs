//! The top-down ConvNet of the generator, `g(Z; W)`: an optional fully connected layer
//! reshaped to a small feature map, then transposed convolutions (in 1, 2 or 3 spatial
//! dimensions), each with optional BatchNorm (batch statistics, as the reference code) and an
//! activation; the last one usually `tanh`, so that images lie in [−1, 1].
//!
//! Sizes: a transposed convolution maps length `n` to `(n − 1)·stride + kernel − crop₀ − crop₁`
//! (MatConvNet's `convt` with `crop`, PyTorch's `ConvTranspose` with asymmetric padding).
//! Parameters are named as in an equivalent `torch.nn.Sequential` (`0.weight`, `1.running_mean`).

use nn::layers::{BatchNorm, ConvOptions, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, Linear};
use nn::layers::{Reshape, Scale, Sequential};
use nn::{Init, Module};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tensor::ConvParams;

use super::two_scale::{CoarseSpec, TwoScale};
pub use crate::activation::Activation;
use crate::error::{ModelError, Result};

/// The fully connected first layer: `z → prod(reshape)` features, viewed as a feature map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcSpec {
    /// `[C, spatial…]` of the map it produces, e.g. `[512, 4, 4]`.
    pub reshape: Vec<usize>,
    pub batch_norm: bool,
    pub activation: Activation,
}

/// One transposed convolution (same kernel, stride and crop on every spatial axis).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeconvSpec {
    /// Output channels; 0 on the last layer means "the data's channels".
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    /// Cropped from the start and the end of every spatial axis.
    pub crop: [usize; 2],
    pub batch_norm: bool,
    pub activation: Activation,
    /// Start as the identity ([`Init::Dirac`] plus the net's init noise): a stride-1 filter
    /// with an odd kernel cropped by (k − 1)/2 on both sides that passes its input through, and
    /// that learning shapes from there (the sound net's last layer: a long filter that colours
    /// the output's spectrum finely).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity: bool,
}

/// The architecture of a generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorNetConfig {
    /// Shape of one latent Z: `[d]` before an fc layer, `[C, spatial…]` for a latent map.
    pub latent: Vec<usize>,
    #[serde(default)]
    pub fc: Option<FcSpec>,
    /// A latent of two scales: its last channels summed into a coarse map ([`TwoScale`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coarse: Option<CoarseSpec>,
    pub layers: Vec<DeconvSpec>,
    /// Weight init N(0, std²) (reference: 0.005 for transposed convolutions and fc).
    #[serde(serialize_with = "crate::serde_f32::short")]
    pub init_std: f32,
    /// BatchNorm ε of the family (TF1 1e-3, MatConvNet 1e-4).
    #[serde(serialize_with = "crate::serde_f32::short")]
    pub bn_eps: f32,
    /// A fixed gain after the last layer (default 1): with `tanh` last, 128 draws images in
    /// 0–255-minus-a-mean units, the units of the descriptor's texture recipe.
    #[serde(default = "one", skip_serializing_if = "is_one", serialize_with = "crate::serde_f32::short")]
    pub output_scale: f32,
}

fn one() -> f32 {
    1.0
}

fn is_one(v: &f32) -> bool {
    *v == 1.0
}

impl GeneratorNetConfig {
    /// The `[C, spatial…]` this net produces for data with `channels` channels.
    pub fn output_shape(&self, channels: usize) -> Result<Vec<usize>> {
        let shapes = self.layer_shapes(channels)?;
        Ok(shapes[shapes.len() - 1].clone())
    }

    /// `[C, spatial…]` of the map before the first transposed convolution (the latent, the fc
    /// layer's reshape, or the two-scale latent's joined features), then after each layer; an
    /// error names the layer that does not fit.
    pub fn layer_shapes(&self, channels: usize) -> Result<Vec<Vec<usize>>> {
        let shape = self.fc.as_ref().map_or(self.latent.clone(), |f| f.reshape.clone());
        if self.latent.is_empty() || shape.contains(&0) || self.latent.contains(&0) {
            return Err(ModelError::Config(format!(
                "generator: latent {:?} and fc reshape {shape:?} must be positive",
                self.latent
            )));
        }
        if shape.len() < 2 || shape.len() > 4 {
            return Err(ModelError::Config(format!(
                "generator: the map before the first transposed convolution has shape {shape:?}; it needs 1 to 3 spatial axes"
            )));
        }
        let shape = match &self.coarse {
            Some(c) => self.joined_shape(c, shape)?,
            None => shape,
        };
        grow(shape, &self.layers, channels, "generator layer")
    }

    /// The two-scale latent's `[dense + features, grid…]` ([`TwoScale`]), or what does not fit.
    fn joined_shape(&self, c: &CoarseSpec, latent: Vec<usize>) -> Result<Vec<usize>> {
        let err = |msg: String| Err(ModelError::Config(format!("generator coarse latent: {msg}")));
        if self.fc.is_some() || c.channels == 0 || c.channels >= latent[0] || c.factor == 0 {
            return err(format!(
                "channels = {} of the latent's {} (at least one dense one left), factor = {} ≥ 1, no fc",
                c.channels, latent[0], c.factor
            ));
        }
        if latent[1..].iter().any(|n| n % c.factor != 0) {
            return err(format!("the grid {:?} is not a multiple of factor = {}", &latent[1..], c.factor));
        }
        let pooled = [&[c.channels][..], &latent[1..].iter().map(|n| n / c.factor).collect::<Vec<_>>()].concat();
        let up = grow(pooled, &c.layers, 0, "generator coarse layer")?;
        let last = &up[up.len() - 1];
        if last[1..] != latent[1..] || c.layers.last().is_none_or(|l| l.out_channels == 0) {
            return err(format!(
                "its layers produce {last:?}; they must end with features on the grid {:?}",
                &latent[1..]
            ));
        }
        Ok([&[latent[0] - c.channels + last[0]][..], &latent[1..]].concat())
    }
}

/// `shape` and the shape after each transposed convolution of `layers` (`out_channels = 0`
/// on the last: `channels`); an error names the layer (`what` k, from 1) that does not fit.
fn grow(mut shape: Vec<usize>, layers: &[DeconvSpec], channels: usize, what: &str) -> Result<Vec<Vec<usize>>> {
    if let Some(i) = layers.iter().rev().skip(1).position(|l| l.out_channels == 0) {
        let layer = layers.len() - 1 - i;
        return Err(ModelError::Config(format!("{what} {layer}: out_channels = 0 is only for the last layer")));
    }
    let mut shapes = vec![shape.clone()];
    for (i, l) in layers.iter().enumerate() {
        if l.kernel == 0 || l.stride == 0 {
            return Err(ModelError::Config(format!("{what} {}: kernel and stride must be positive", i + 1)));
        }
        if l.identity && (l.stride != 1 || l.kernel % 2 == 0 || l.crop != [l.kernel / 2; 2]) {
            return Err(ModelError::Config(format!(
                "{what} {}: identity = true needs stride 1, an odd kernel and crop [(k − 1)/2, (k − 1)/2], not stride {}, kernel {}, crop {:?}",
                i + 1,
                l.stride,
                l.kernel,
                l.crop
            )));
        }
        for n in shape[1..].iter_mut() {
            // (n − 1)·stride + kernel − crop₀ − crop₁, refused if it overflows or is empty
            *n = (*n - 1)
                .checked_mul(l.stride)
                .and_then(|v| v.checked_add(l.kernel))
                .and_then(|v| v.checked_sub(l.crop[0].saturating_add(l.crop[1])))
                .filter(|&v| v > 0)
                .ok_or_else(|| {
                    ModelError::Config(format!(
                        "{what} {}: the crop {:?} removes the whole map, or the map is too large",
                        i + 1,
                        l.crop
                    ))
                })?;
        }
        shape[0] = if l.out_channels == 0 { channels } else { l.out_channels };
        shapes.push(shape.clone());
    }
    Ok(shapes)
}

/// A generator network built for data of one shape.
pub struct GeneratorNet {
    pub layers: Sequential,
    pub latent: Vec<usize>,
    /// `[C, spatial…]` of one generated example.
    pub output: Vec<usize>,
}

impl GeneratorNet {
    /// Build for data of shape `data` (`[C, spatial…]`); an error names the mismatch if the
    /// net does not produce exactly that shape.
    pub fn new<R: Rng + ?Sized>(cfg: &GeneratorNetConfig, data: &[usize], rng: &mut R) -> Result<Self> {
        let Some(&channels) = data.first() else {
            return Err(ModelError::Config("the generator needs data of shape [C, spatial…]".into()));
        };
        let output = cfg.output_shape(channels)?;
        if output != data {
            return Err(ModelError::Config(format!(
                "the generator produces {output:?} but the data are {data:?}: change the latent size or the layers"
            )));
        }
        let init = Init::Normal { std: cfg.init_std };
        let mut seq = Sequential::new();
        let mut c = cfg.latent[0];
        if let Some(fc) = &cfg.fc {
            let n: usize = fc.reshape.iter().product();
            seq = seq
                .push(Linear::new(cfg.latent.iter().product(), n, true, init, rng)?)
                .push(Reshape(fc.reshape.clone()));
            seq = push_norm_act(seq, fc.reshape[0], fc.batch_norm, fc.activation, cfg.bn_eps);
            c = fc.reshape[0];
        }
        let dims = output.len() - 1;
        if let Some(coarse) = &cfg.coarse {
            let dense = c - coarse.channels;
            let up = push_deconvs(Sequential::new(), coarse.channels, &coarse.layers, (dims, 0), cfg, rng)?;
            seq = seq.push(TwoScale { dense, factor: coarse.factor, coarse: up });
            c = dense + coarse.layers.last().map_or(0, |l| l.out_channels);
        }
        seq = push_deconvs(seq, c, &cfg.layers, (dims, data[0]), cfg, rng)?;
        if cfg.output_scale != 1.0 {
            seq = seq.push(Scale(cfg.output_scale));
        }
        Ok(GeneratorNet { layers: seq, latent: cfg.latent.clone(), output })
    }
}

/// `seq` with the transposed convolutions of `layers` from `c` channels appended (each with
/// its BatchNorm and activation), over `dims` spatial axes; the last one has `last` channels
/// when its `out_channels` is 0.
fn push_deconvs<R: Rng + ?Sized>(
    mut seq: Sequential,
    mut c: usize,
    layers: &[DeconvSpec],
    (dims, last): (usize, usize),
    cfg: &GeneratorNetConfig,
    rng: &mut R,
) -> Result<Sequential> {
    for l in layers {
        let out = if l.out_channels == 0 { last } else { l.out_channels };
        let std = cfg.init_std;
        let init = if l.identity { Init::Dirac { std } } else { Init::Normal { std } };
        let opts = ConvOptions::new(l.stride, 0)
            .params(ConvParams::asymmetric(&[l.stride], &[(l.crop[0], l.crop[1])]))
            .init(init);
        let k = [l.kernel];
        seq = match dims {
            1 => seq.push(ConvTranspose1d::new(c, out, &k, opts, rng)?),
            2 => seq.push(ConvTranspose2d::new(c, out, &k, opts, rng)?),
            _ => seq.push(ConvTranspose3d::new(c, out, &k, opts, rng)?),
        };
        seq = push_norm_act(seq, out, l.batch_norm, l.activation, cfg.bn_eps);
        c = out;
    }
    Ok(seq)
}

fn push_norm_act(mut seq: Sequential, channels: usize, bn: bool, act: Activation, eps: f32) -> Sequential {
    if bn {
        seq = seq.push(BatchNorm::new(channels).eps(eps));
    }
    act.push(seq)
}

impl Module for GeneratorNet {
    fn forward(&self, z: &autodiff::Var) -> nn::Result<autodiff::Var> {
        self.layers.forward(z)
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a nn::Parameter)>) {
        self.layers.collect_params(prefix, out)
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut nn::Parameter)>) {
        self.layers.collect_params_mut(prefix, out)
    }
    fn collect_buffers(&self, prefix: &str, out: &mut Vec<(String, tensor::Tensor)>) {
        self.layers.collect_buffers(prefix, out)
    }
    fn load_buffer(&self, name: &str, value: &tensor::Tensor) -> bool {
        self.layers.load_buffer(name, value)
    }
}
