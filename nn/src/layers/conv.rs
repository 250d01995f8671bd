//! `Conv1d`, `Conv2d`, `Conv3d`: `y = W ⋆ x + b` with weight `[C_out, C_in, k..]`.

use autodiff::Var;
use rand::Rng;
use tensor::ConvParams;

use crate::error::{NnError, Result};
use crate::init::Init;
use crate::module::{collect_weight_bias, collect_weight_bias_mut, Module};
use crate::parameter::Parameter;

/// Options shared by conv and conv-transpose layers.
#[derive(Clone, Debug)]
pub struct ConvOptions {
    pub params: ConvParams,
    pub bias: bool,
    pub weight_init: Init,
}

impl ConvOptions {
    /// Stride and symmetric padding; bias on; the reference conv init N(0, 0.01²).
    pub fn new(stride: usize, padding: usize) -> Self {
        ConvOptions { params: ConvParams::new(stride, padding), bias: true, weight_init: Init::CONV }
    }
    /// For a transposed conv: stride and `(before, after)` crop; the reference init N(0, 0.005²).
    pub fn transposed(stride: usize, crop: (usize, usize)) -> Self {
        ConvOptions {
            params: ConvParams::asymmetric(&[stride], &[crop]),
            bias: true,
            weight_init: Init::CONV_TRANSPOSE,
        }
    }
    pub fn params(mut self, p: ConvParams) -> Self {
        self.params = p;
        self
    }
    pub fn bias(mut self, on: bool) -> Self {
        self.bias = on;
        self
    }
    pub fn init(mut self, init: Init) -> Self {
        self.weight_init = init;
        self
    }
}

/// A convolution with `D` spatial axes (`Conv2d = Conv<2>`).
#[derive(Clone, Debug)]
pub struct Conv<const D: usize> {
    pub weight: Parameter,
    pub bias: Option<Parameter>,
    pub params: ConvParams,
}

pub type Conv1d = Conv<1>;
pub type Conv2d = Conv<2>;
pub type Conv3d = Conv<3>;

/// `kernel` has one entry (every axis) or `d` entries.
pub(crate) fn kernel_dims(layer: &'static str, kernel: &[usize], d: usize) -> Result<Vec<usize>> {
    match kernel.len() {
        1 => Ok(vec![kernel[0]; d]),
        n if n == d => Ok(kernel.to_vec()),
        n => Err(NnError::Config { layer, msg: format!("{n} kernel sizes for {d} spatial axes") }),
    }
}

impl<const D: usize> Conv<D> {
    /// A convolution from `c_in` to `c_out` channels with kernel size `kernel` (one size for
    /// every axis, or one per axis).
    pub fn new<R: Rng + ?Sized>(
        c_in: usize,
        c_out: usize,
        kernel: &[usize],
        opts: ConvOptions,
        rng: &mut R,
    ) -> Result<Self> {
        let (weight, bias) = conv_parameters("Conv", D, [c_out, c_in], c_out, kernel, &opts, rng)?;
        Ok(Conv { weight, bias, params: opts.params })
    }
}

/// A bias as the reference code sets it up: zeros, learning rate ×2, no weight decay.
pub(crate) fn bias_parameter(len: usize) -> Parameter {
    Parameter::new(tensor::Tensor::zeros(&[len])).with_lr_mult(2.0).with_decay_mult(0.0)
}

/// The weight `[lead[0], lead[1], k..]` and the optional bias
/// `[c_out]` of a convolution or transposed convolution with `d` spatial axes.
pub(crate) fn conv_parameters<R: Rng + ?Sized>(
    layer: &'static str,
    d: usize,
    lead: [usize; 2],
    c_out: usize,
    kernel: &[usize],
    opts: &ConvOptions,
    rng: &mut R,
) -> Result<(Parameter, Option<Parameter>)> {
    let k = kernel_dims(layer, kernel, d)?;
    let shape = [&lead[..], &k].concat();
    let field: usize = k.iter().product();
    // fans as PyTorch computes them: fan_in = size(1)·field, fan_out = size(0)·field
    let weight = Parameter::new(opts.weight_init.tensor(&shape, (lead[1] * field, lead[0] * field), rng)?);
    Ok((weight, opts.bias.then(|| bias_parameter(c_out))))
}

/// Error unless `x` is `[N, C, d spatial axes]`.
pub(crate) fn check_spatial_rank(layer: &'static str, x: &Var, d: usize) -> Result<()> {
    if x.shape().len() != d + 2 {
        return Err(NnError::Config {
            layer,
            msg: format!("expected a [N, C, {d} spatial axes] input, got {:?}", x.shape()),
        });
    }
    Ok(())
}

impl<const D: usize> Module for Conv<D> {
    fn forward(&self, x: &Var) -> Result<Var> {
        check_spatial_rank("Conv", x, D)?;
        let w = self.weight.var(x.tape());
        let b = self.bias.as_ref().map(|b| b.var(x.tape()));
        Ok(x.conv(&w, b.as_ref(), &self.params)?)
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>) {
        collect_weight_bias(prefix, Some(&self.weight), self.bias.as_ref(), out);
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        collect_weight_bias_mut(prefix, Some(&mut self.weight), self.bias.as_mut(), out);
    }
}
