//! The bottom-up ConvNet of the descriptor, in 1, 2 or 3 spatial dimensions (sound, images,
//! video): a stack of convolutions, each with an activation, and an optional "fc" top (a
//! convolution whose kernel covers the whole remaining feature map, as in the reference object
//! nets). Kernel, stride and padding are given per axis, and padding may be TensorFlow's
//! `"same"`; a kernel size 0 on an axis means "the whole extent of the layer's input" (the
//! spatially fully connected layers of STGConvNet's `FC_S`).
//!
//! Layer-wise growth (`mle_l2l`): [`DescriptorNet::depth`] convolutions are in use; the
//! learner raises it stage by stage (see `super::Growth`).

use autodiff::Var;
use nn::layers::{Conv, Conv1d, Conv2d, Conv3d, ConvOptions};
use nn::{Init, Module, Parameter};
use rand::Rng;
use tensor::{tf_same_padding, ConvParams};

use super::spec::{Axes, ConvSpec, DescriptorNetConfig, Padding};
use crate::activation::Activation;
use crate::error::{ModelError, Result};

/// MatConvNet divides a layer's gradient by its output area ("numFilters"); the layer knows
/// its area, so it sets the scale on its own parameters (applied by the MatConvNet optimizer
/// family only, see `crate::optim`).
fn per_area<const D: usize>(mut conv: Conv<D>, area: usize) -> Box<dyn Module> {
    let scale = 1.0 / area as f32;
    conv.weight.grad_scale = scale;
    if let Some(b) = conv.bias.as_mut() {
        b.grad_scale = scale;
    }
    Box::new(conv)
}

/// A convolution with `kernel.len()` spatial axes, its gradient scaled by `1/area`.
fn conv_layer<R: Rng + ?Sized>(
    c_in: usize,
    c_out: usize,
    kernel: &[usize],
    opts: ConvOptions,
    area: usize,
    rng: &mut R,
) -> Result<Box<dyn Module>> {
    Ok(match kernel.len() {
        1 => per_area(Conv1d::new(c_in, c_out, kernel, opts, rng)?, area),
        2 => per_area(Conv2d::new(c_in, c_out, kernel, opts, rng)?, area),
        3 => per_area(Conv3d::new(c_in, c_out, kernel, opts, rng)?, area),
        n => return Err(ModelError::Config(format!("the descriptor takes 1 to 3 spatial axes, not {n}"))),
    })
}

/// A descriptor network built for a given example shape `[C, spatial…]`.
pub struct DescriptorNet {
    /// `conv1`, `conv2`, …, then `fc` when the config has a top.
    layers: Vec<Box<dyn Module>>,
    names: Vec<String>,
    activations: Vec<Activation>,
    has_fc: bool,
    /// `[C, spatial…]` after each layer (convolutions, then fc).
    pub output_shapes: Vec<Vec<usize>>,
    /// How many convolutions are in use (all of them, unless grown layer by layer).
    pub depth: usize,
}

/// One convolution's geometry for an input of spatial size `input`.
pub(crate) struct Geometry {
    pub kernel: Vec<usize>,
    pub params: ConvParams,
    pub output: Vec<usize>,
}

pub(crate) fn geometry(i: usize, l: &ConvSpec, input: &[usize]) -> Result<Geometry> {
    let dims = input.len();
    let field = |what: &str| format!("descriptor layer {} ({what})", i + 1);
    let kernel: Vec<usize> = l
        .kernel
        .resolve(dims, &field("kernel"))?
        .iter()
        .zip(input)
        .map(|(&k, &n)| if k == 0 { n } else { k })
        .collect();
    let stride = l.stride.resolve(dims, &field("stride"))?;
    if stride.contains(&0) || l.out_channels == 0 {
        return Err(ModelError::Config(format!("{}: stride and out_channels must be positive", field("sizes"))));
    }
    let padding: Vec<(usize, usize)> = match &l.padding {
        Padding::Same(_) => (0..dims).map(|a| tf_same_padding(input[a], kernel[a], stride[a])).collect(),
        Padding::Explicit(p) => p.resolve(dims, &field("padding"))?.iter().map(|&p| (p, p)).collect(),
    };
    let output: Option<Vec<usize>> = (0..dims)
        .map(|a| (input[a] + padding[a].0 + padding[a].1).checked_sub(kernel[a]).map(|v| v / stride[a] + 1))
        .collect();
    let Some(output) = output else {
        return Err(ModelError::Config(format!(
            "descriptor layer {} (kernel {kernel:?}, padding {padding:?}) does not fit its input of size {input:?}; use larger data or a smaller net",
            i + 1
        )));
    };
    Ok(Geometry { kernel, params: ConvParams::asymmetric(&stride, &padding), output })
}

impl DescriptorNet {
    /// Build for examples of shape `[C, spatial…]` (1 to 3 spatial axes); errors name the
    /// layer that does not fit.
    pub fn new<R: Rng + ?Sized>(cfg: &DescriptorNetConfig, example: &[usize], rng: &mut R) -> Result<Self> {
        let (mut c, mut size) = match example {
            [c, s @ ..] if (1..=3).contains(&s.len()) && *c > 0 && !s.contains(&0) => (*c, s.to_vec()),
            _ => {
                return Err(ModelError::Config(format!(
                    "the descriptor learns [C, spatial…] data with 1 to 3 non-empty spatial axes, not {example:?}"
                )))
            }
        };
        if cfg.layers.is_empty() && cfg.fc_top.is_none() {
            return Err(ModelError::Config("the descriptor net has no layers".into()));
        }
        let init = Init::Normal { std: cfg.init_std };
        let mut net = DescriptorNet {
            layers: vec![],
            names: vec![],
            activations: vec![],
            has_fc: false,
            output_shapes: vec![],
            depth: cfg.layers.len(),
        };
        for (i, l) in cfg.layers.iter().enumerate() {
            let g = geometry(i, l, &size)?;
            let area = g.output.iter().product();
            let opts = ConvOptions::new(1, 0).params(g.params).init(init);
            net.layers.push(conv_layer(c, l.out_channels, &g.kernel, opts, area, rng)?);
            net.names.push(format!("conv{}", i + 1));
            net.activations.push(l.activation);
            (c, size) = (l.out_channels, g.output);
            net.output_shapes.push([&[c][..], &size].concat());
        }
        if let Some(k) = cfg.fc_top {
            if k == 0 {
                return Err(ModelError::Config("fc_top = 0: the top needs at least one channel".into()));
            }
            let opts = ConvOptions::new(1, 0).params(ConvParams::new(1, 0)).init(init);
            net.layers.push(conv_layer(c, k, &size, opts, 1, rng)?);
            net.names.push("fc".into());
            net.activations.push(Activation::None);
            net.has_fc = true;
            net.output_shapes.push([&[k][..], &vec![1; size.len()]].concat());
        }
        Ok(net)
    }

    /// Whether the net ends in an fc top.
    pub fn has_fc(&self) -> bool {
        self.has_fc
    }

    /// The number of convolutions (not counting the fc top).
    pub fn conv_count(&self) -> usize {
        self.layers.len() - usize::from(self.has_fc)
    }

    /// The top feature map for a batch `[N, C, spatial…]`: the first [`Self::depth`]
    /// convolutions, each followed by its activation, then the fc top if any.
    pub fn top(&self, y: &Var) -> Result<Var> {
        let mut h = y.clone();
        let convs = self.conv_count();
        for i in (0..self.depth.min(convs)).chain(convs..self.layers.len()) {
            h = self.activations[i].apply(self.layers[i].forward(&h)?)?;
        }
        Ok(h)
    }
}

impl Axes {
    /// One size per axis for `dims` axes; `field` names the config field in the error.
    pub fn resolve(&self, dims: usize, field: &str) -> Result<Vec<usize>> {
        match self {
            Axes::All(n) => Ok(vec![*n; dims]),
            Axes::Each(v) if v.len() == dims => Ok(v.clone()),
            Axes::Each(v) => {
                Err(ModelError::Config(format!("{field}: {} sizes given for {dims} spatial axes", v.len())))
            }
        }
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
        for (layer, name) in self.layers.iter().zip(&self.names) {
            layer.collect_params(&nn::module::join(prefix, name), out);
        }
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        for (layer, name) in self.layers.iter_mut().zip(&self.names) {
            layer.collect_params_mut(&nn::module::join(prefix, name), out);
        }
    }
}
