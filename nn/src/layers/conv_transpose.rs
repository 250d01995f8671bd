//! `ConvTranspose1d/2d/3d`: the adjoint of a convolution, weight `[C_in, C_out, k..]`
//! (PyTorch layout). Output size `(in − 1)·stride + k − crop_before − crop_after`.

use autodiff::Var;
use rand::Rng;

use crate::error::{NnError, Result};
use crate::layers::conv::{kernel_dims, ConvOptions};
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
        let k = kernel_dims("ConvTranspose", kernel, D)?;
        let shape = [&[c_in, c_out][..], &k].concat();
        let field: usize = k.iter().product();
        let weight = Parameter::new(opts.weight_init.tensor(&shape, (c_out * field, c_in * field), rng)?);
        let bias =
            opts.bias.then(|| Parameter::new(tensor::Tensor::zeros(&[c_out])).with_lr_mult(2.0).with_decay_mult(0.0));
        Ok(ConvTranspose { weight, bias, params: opts.params })
    }
}

impl<const D: usize> Module for ConvTranspose<D> {
    fn forward(&self, x: &Var) -> Result<Var> {
        if x.shape().len() != D + 2 {
            return Err(NnError::Config {
                layer: "ConvTranspose",
                msg: format!("expected a [N, C, {D} spatial axes] input, got {:?}", x.shape()),
            });
        }
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
