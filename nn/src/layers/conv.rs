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
        let k = kernel_dims("Conv", kernel, D)?;
        let shape = [&[c_out, c_in][..], &k].concat();
        let field: usize = k.iter().product();
        let weight = Parameter::new(opts.weight_init.tensor(&shape, (c_in * field, c_out * field), rng)?);
        let bias =
            opts.bias.then(|| Parameter::new(tensor::Tensor::zeros(&[c_out])).with_lr_mult(2.0).with_decay_mult(0.0));
        Ok(Conv { weight, bias, params: opts.params })
    }
}

impl<const D: usize> Module for Conv<D> {
    fn forward(&self, x: &Var) -> Result<Var> {
        if x.shape().len() != D + 2 {
            return Err(NnError::Config {
                layer: "Conv",
                msg: format!("expected a [N, C, {D} spatial axes] input, got {:?}", x.shape()),
            });
        }
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
