//! The bottom-up ConvNet of the descriptor: a stack of convolutions, each with an optional
//! ReLU, and an optional full-size "fc" top (a convolution whose kernel covers the whole
//! remaining feature map, as in the reference object nets).

use autodiff::Var;
use nn::layers::{Conv2d, ConvOptions};
use nn::{Init, Module, Parameter};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tensor::ConvParams;

use crate::error::{ModelError, Result};

/// One convolution of the stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvSpec {
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    /// ReLU after the convolution (all layers of the reference texture net have one).
    #[serde(default = "yes")]
    pub relu: bool,
}

fn yes() -> bool {
    true
}

/// The architecture, independent of the image size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DescriptorNetConfig {
    pub layers: Vec<ConvSpec>,
    /// Channels of a full-size "fc" top layer (no ReLU), or `None` for a stationary
    /// (texture) model whose f is the sum over the whole last feature map.
    #[serde(default)]
    pub fc_top: Option<usize>,
    /// Standard deviation of the N(0, std²) weight init (reference: 0.01).
    #[serde(default = "init_std", serialize_with = "crate::serde_f32::short")]
    pub init_std: f32,
}

fn init_std() -> f32 {
    0.01
}

impl DescriptorNetConfig {
    /// `frame_3` of the Generative ConvNet texture experiment: 15×15 stride 3 → 100,
    /// 5×5 → 64, 3×3 → 30, ReLU after each, f = sum of the top map.
    pub fn texture() -> Self {
        let c = |out_channels, kernel, stride, padding| ConvSpec { out_channels, kernel, stride, padding, relu: true };
        DescriptorNetConfig {
            layers: vec![c(100, 15, 3, 2), c(64, 5, 1, 2), c(30, 3, 1, 2)],
            fc_top: None,
            init_std: 0.01,
        }
    }

    /// A small object net for 28×28 to 64×64 images: two strided convolutions and a
    /// full-size "fc" top with one output (the object model of the paper, sized down).
    pub fn object() -> Self {
        let c = |out_channels, kernel, stride, padding| ConvSpec { out_channels, kernel, stride, padding, relu: true };
        DescriptorNetConfig { layers: vec![c(64, 5, 2, 2), c(128, 3, 2, 1)], fc_top: Some(1), init_std: 0.01 }
    }
}

/// MatConvNet divides a layer's gradient by its output area ("numFilters"); the layer knows
/// its area, so it sets the scale on its own parameters (applied by the MatConvNet optimizer
/// family only, see `crate::optim`).
fn per_area(mut conv: Conv2d, area: usize) -> Conv2d {
    let scale = 1.0 / area as f32;
    conv.weight.grad_scale = scale;
    if let Some(b) = conv.bias.as_mut() {
        b.grad_scale = scale;
    }
    conv
}

/// A descriptor network built for a given image shape.
pub struct DescriptorNet {
    pub convs: Vec<Conv2d>,
    pub relu: Vec<bool>,
    pub fc: Option<Conv2d>,
    /// Output (height × width) of each layer, conv layers first then fc; MatConvNet divides
    /// each layer's gradient by this ("numFilters"; set as each parameter's `grad_scale`).
    pub output_areas: Vec<usize>,
}

impl DescriptorNet {
    /// Build for images of `channels × height × width`; errors if a layer does not fit.
    pub fn new<R: Rng + ?Sized>(
        cfg: &DescriptorNetConfig,
        channels: usize,
        height: usize,
        width: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let (mut c, mut h, mut w) = (channels, height, width);
        let mut convs = Vec::new();
        let mut areas = Vec::new();
        for (i, l) in cfg.layers.iter().enumerate() {
            if l.stride == 0 || l.kernel == 0 || l.out_channels == 0 {
                return Err(ModelError::Config(format!(
                    "descriptor layer {}: stride, kernel and out_channels must be positive",
                    i + 1
                )));
            }
            let out = |n: usize| (n + 2 * l.padding).checked_sub(l.kernel).map(|v| v / l.stride + 1);
            let (Some(oh), Some(ow)) = (out(h), out(w)) else {
                return Err(ModelError::Config(format!("descriptor layer {} ({}×{} kernel) does not fit a {h}×{w} input; use a larger image or a smaller net", i + 1, l.kernel, l.kernel)));
            };
            let opts = ConvOptions::new(l.stride, l.padding).init(Init::Normal { std: cfg.init_std });
            let conv = Conv2d::new(c, l.out_channels, &[l.kernel], opts, rng)?;
            convs.push(per_area(conv, oh * ow));
            (c, h, w) = (l.out_channels, oh, ow);
            areas.push(h * w);
        }
        let fc = match cfg.fc_top {
            Some(k) => {
                let opts = ConvOptions::new(1, 0)
                    .params(ConvParams::asymmetric(&[1], &[(0, 0)]))
                    .init(Init::Normal { std: cfg.init_std });
                areas.push(1);
                Some(per_area(Conv2d::new(c, k, &[h, w], opts, rng)?, 1))
            }
            None => None,
        };
        Ok(DescriptorNet { convs, relu: cfg.layers.iter().map(|l| l.relu).collect(), fc, output_areas: areas })
    }

    /// Parameter-name prefix of layer `i` (`conv1`, `conv2`, ..., `fc`).
    pub fn layer_name(&self, i: usize) -> String {
        if i < self.convs.len() {
            format!("conv{}", i + 1)
        } else {
            "fc".to_string()
        }
    }

    /// The top feature map for a batch `[N, C, H, W]`.
    pub fn top(&self, y: &Var) -> Result<Var> {
        let mut h = y.clone();
        for (conv, &relu) in self.convs.iter().zip(&self.relu) {
            h = conv.forward(&h)?;
            if relu {
                h = h.relu()?;
            }
        }
        if let Some(fc) = &self.fc {
            h = fc.forward(&h)?;
        }
        Ok(h)
    }
}

impl Module for DescriptorNet {
    fn forward(&self, x: &Var) -> nn::Result<Var> {
        self.top(x).map_err(|e| match e {
            ModelError::Nn(e) => e,
            other => nn::NnError::Config { layer: "DescriptorNet", msg: other.to_string() },
        })
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>) {
        for (i, c) in self.convs.iter().chain(self.fc.iter()).enumerate() {
            c.collect_params(&nn::module::join(prefix, &self.layer_name(i)), out);
        }
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        let names: Vec<String> =
            (0..self.convs.len() + usize::from(self.fc.is_some())).map(|i| self.layer_name(i)).collect();
        for (c, name) in self.convs.iter_mut().chain(self.fc.iter_mut()).zip(names) {
            c.collect_params_mut(&nn::module::join(prefix, &name), out);
        }
    }
}
