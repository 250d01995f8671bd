//! `ConvTranspose1d/2d/3d`: the adjoint of a convolution, weight `[C_in, C_out, k..]`
//! (PyTorch layout). Output size `(in − 1)·stride + k − crop_before − crop_after`.

use autodiff::Var;
use rand::Rng;

use crate::error::Result;
use crate::layers::conv::{check_spatial_rank, conv_parameters, ConvOptions};
use crate::module::{collect_weight_bias, collect_weight_bias_mut, Module};
use crate::parameter::Parameter;

/// A transposed convolution with `D` spatial axes.
#[derive(Clone, Debug)]
pub struct ConvTranspose<const D: usize> {
    pub weight: Parameter,
    pub bias: Option<Parameter>,
    pub params: tensor::ConvParams,
}

pub type ConvTranspose1d = ConvTranspose<1>;
pub type ConvTranspose2d = ConvTranspose<2>;
pub type ConvTranspose3d = ConvTranspose<3>;

impl<const D: usize> ConvTranspose<D> {
    /// From `c_in` to `c_out` channels. `opts.params.padding` is the crop; PyTorch's
    /// `padding=p, output_padding=op` is `ConvParams::asymmetric(&[s], &[(p, p − op)])`.
    /// Use `opts.init(Init::CONV_TRANSPOSE)` for the reference N(0, 0.005²).
    pub fn new<R: Rng + ?Sized>(
        c_in: usize,
        c_out: usize,
        kernel: &[usize],
        opts: ConvOptions,
        rng: &mut R,
    ) -> Result<Self> {
        let (weight, bias) = conv_parameters("ConvTranspose", D, [c_in, c_out], c_out, kernel, &opts, rng)?;
        Ok(ConvTranspose { weight, bias, params: opts.params })
    }
}

impl<const D: usize> Module for ConvTranspose<D> {
    fn forward(&self, x: &Var) -> Result<Var> {
        check_spatial_rank("ConvTranspose", x, D)?;
        let w = self.weight.var(x.tape());
        let b = self.bias.as_ref().map(|b| b.var(x.tape()));
        Ok(x.conv_transpose(&w, b.as_ref(), &self.params)?)
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>) {
        collect_weight_bias(prefix, Some(&self.weight), self.bias.as_ref(), out);
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        collect_weight_bias_mut(prefix, Some(&mut self.weight), self.bias.as_mut(), out);
    }
}
