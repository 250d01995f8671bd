//! The descriptor's architecture as configuration, independent of the data's size, and the
//! reference nets as presets.

use serde::{Deserialize, Serialize};

use crate::activation::Activation;

/// A size per spatial axis: one number for every axis (`kernel = 5`) or one per axis
/// (`kernel = [2, 3, 3]`, time first for video).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Axes {
    All(usize),
    Each(Vec<usize>),
}

/// TensorFlow's `padding = 'SAME'`, written `padding = "same"` in a config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Same {
    Same,
}

/// Zero padding of a convolution's input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Padding {
    /// TF `SAME`: output `ceil(in / stride)`, the odd pixel of padding after.
    Same(Same),
    /// `p` zeros before and after on each axis (MatConvNet's `pad`, PyTorch's `padding`).
    Explicit(Axes),
}

impl Default for Padding {
    fn default() -> Self {
        Padding::Explicit(Axes::All(0))
    }
}

/// One convolution of the stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvSpec {
    pub out_channels: usize,
    /// Kernel size per axis; 0 on an axis = the whole extent of the layer's input there.
    pub kernel: Axes,
    #[serde(default = "one")]
    pub stride: Axes,
    #[serde(default)]
    pub padding: Padding,
    /// The non-linearity after the convolution (every layer of the reference texture net has
    /// a ReLU; the TF CoopNets nets a leaky ReLU).
    #[serde(default = "relu")]
    pub activation: Activation,
}

fn one() -> Axes {
    Axes::All(1)
}

fn relu() -> Activation {
    Activation::Relu
}

impl ConvSpec {
    /// A convolution with the same kernel, stride and symmetric padding on every axis,
    /// followed by a ReLU.
    pub fn new(out_channels: usize, kernel: usize, stride: usize, padding: usize) -> Self {
        ConvSpec {
            out_channels,
            kernel: Axes::All(kernel),
            stride: Axes::All(stride),
            padding: Padding::Explicit(Axes::All(padding)),
            activation: Activation::Relu,
        }
    }
    /// A convolution with TF `SAME` padding, followed by a ReLU.
    pub fn same(out_channels: usize, kernel: &[usize], stride: &[usize]) -> Self {
        ConvSpec {
            kernel: axes(kernel),
            stride: axes(stride),
            padding: Padding::Same(Same::Same),
            ..Self::new(out_channels, 1, 1, 0)
        }
    }
    /// Per-axis kernel, stride and symmetric padding, followed by a ReLU.
    pub fn per_axis(out_channels: usize, kernel: &[usize], stride: &[usize], padding: &[usize]) -> Self {
        ConvSpec {
            kernel: axes(kernel),
            stride: axes(stride),
            padding: Padding::Explicit(axes(padding)),
            ..Self::new(out_channels, 1, 1, 0)
        }
    }
    /// The same layer with another activation.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }
}

fn axes(v: &[usize]) -> Axes {
    match v {
        [n] => Axes::All(*n),
        v => Axes::Each(v.to_vec()),
    }
}

/// The architecture, independent of the data's size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptorNetConfig {
    pub layers: Vec<ConvSpec>,
    /// Channels of a full-size "fc" top layer (no activation), or `None` for a stationary
    /// (texture) model whose f is the sum over the whole last feature map.
    #[serde(default)]
    pub fc_top: Option<usize>,
    /// Standard deviation of the N(0, std²) weight init (reference: 0.01; 3-D nets 0.001).
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
        let c = ConvSpec::new;
        DescriptorNetConfig {
            layers: vec![c(100, 15, 3, 2), c(64, 5, 1, 2), c(30, 3, 1, 2)],
            fc_top: None,
            init_std: 0.01,
        }
    }

    /// The same layers with "full" padding, `kernel − 1` on every axis (0 for a
    /// whole-extent kernel): every pixel, at the
    /// border too, lies under as many windows of each layer as a pixel in the middle, so
    /// Langevin pulls border pixels towards the texture as strongly as the rest (with the
    /// reference's padding 2 under a 15×15 kernel they are pulled less, and the reference
    /// prior leaves a flat band along the border).
    pub fn with_full_padding(mut self) -> Self {
        for l in &mut self.layers {
            let full = match &l.kernel {
                Axes::All(k) => Axes::All(k.saturating_sub(1)),
                Axes::Each(v) => Axes::Each(v.iter().map(|k| k.saturating_sub(1)).collect()),
            };
            l.padding = Padding::Explicit(full);
        }
        self
    }

    /// A small object net for 28×28 to 64×64 images: two strided convolutions and a
    /// full-size "fc" top with one output (the object model of the paper, sized down).
    pub fn object() -> Self {
        let c = ConvSpec::new;
        DescriptorNetConfig { layers: vec![c(64, 5, 2, 2), c(128, 3, 2, 1)], fc_top: Some(1), init_std: 0.01 }
    }

    /// The TF CoopNets `mnist` descriptor (28×28): three 4×4 stride-2 `SAME` convolutions
    /// 64 → 128 → 256 with leaky ReLU 0.2 (14 → 7 → 4), then a 4×4 fc top with 100 outputs.
    pub fn mnist() -> Self {
        let c = |ch| ConvSpec::same(ch, &[4], &[2]).activation(Activation::LeakyRelu);
        DescriptorNetConfig { layers: vec![c(64), c(128), c(256)], fc_top: Some(100), init_std: 0.01 }
    }

    /// The TF CoopNets `scene` descriptor (64×64): 5×5 s2 → 64, 3×3 s2 → 128, 3×3 s1 → 256,
    /// all `SAME` with leaky ReLU 0.2, then a 16×16 fc top with 100 outputs.
    pub fn scene() -> Self {
        let c = |ch, k, s| ConvSpec::same(ch, &[k], &[s]).activation(Activation::LeakyRelu);
        DescriptorNetConfig { layers: vec![c(64, 5, 2), c(128, 3, 2), c(256, 3, 1)], fc_top: Some(100), init_std: 0.01 }
    }

    /// STGConvNet `ST` (spatially and temporally stationary dynamic textures; kernels time
    /// first): 15³ s7 → 120, 7³ s3 → 40, (2,3,3) s(1,2,2) → 20, all `SAME` with ReLU, init
    /// N(0, 0.001²).
    pub fn st() -> Self {
        let layers = vec![
            ConvSpec::same(120, &[15], &[7]),
            ConvSpec::same(40, &[7], &[3]),
            ConvSpec::same(20, &[2, 3, 3], &[1, 2, 2]),
        ];
        DescriptorNetConfig { layers, fc_top: None, init_std: 0.001 }
    }

    /// STGConvNet `FC_S` (stationary in time, not in space): 7³ s2 `SAME` → 120, then a
    /// layer over the whole frame (kernel (5, all, all), stride 2, time padding 2) → 30, then
    /// (2,1,1) s(1,2,2) time padding 1 → 5; ReLU after each, init N(0, 0.001²).
    pub fn fc_s() -> Self {
        let layers = vec![
            ConvSpec::same(120, &[7], &[2]),
            ConvSpec::per_axis(30, &[5, 0, 0], &[2], &[2, 0, 0]),
            ConvSpec::per_axis(5, &[2, 1, 1], &[1, 2, 2], &[1, 0, 0]),
        ];
        DescriptorNetConfig { layers, fc_top: None, init_std: 0.001 }
    }

    /// A stationary 1-D net for sound (no reference net exists; `frame_3` carried to 1-D):
    /// 65-tap filters stride 4 → 64, 9 taps stride 2 → 64, 5 taps → 32, then two layers of
    /// 9 taps stride 2 → 32, all `SAME` with ReLU, f = sum of the top map. At 16 kHz the first
    /// layer spans 4 ms, the top 20 ms. With the top at 8 ms (the first three layers alone)
    /// the thunder's samples stayed 15–25 dB too quiet between 0.5 and 3 kHz (README, "Sound").
    pub fn sound() -> Self {
        let layers = vec![
            ConvSpec::same(64, &[65], &[4]),
            ConvSpec::same(64, &[9], &[2]),
            ConvSpec::same(32, &[5], &[1]),
            ConvSpec::same(32, &[9], &[2]),
            ConvSpec::same(32, &[9], &[2]),
        ];
        DescriptorNetConfig { layers, fc_top: None, init_std: 0.01 }
    }
}
