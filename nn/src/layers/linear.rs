//! `Linear`: `y = x·Wᵀ + b` with weight `[out, in]` (PyTorch layout).

use autodiff::Var;
use rand::Rng;

use crate::error::{NnError, Result};
use crate::init::Init;
use crate::module::{collect_weight_bias, collect_weight_bias_mut, Module};
use crate::parameter::Parameter;

#[derive(Clone, Debug)]
pub struct Linear {
    pub weight: Parameter,
    pub bias: Option<Parameter>,
}

impl Linear {
    pub fn new<R: Rng + ?Sized>(
        in_features: usize,
        out_features: usize,
        bias: bool,
        init: Init,
        rng: &mut R,
    ) -> Result<Self> {
        let weight = Parameter::new(init.tensor(&[out_features, in_features], (in_features, out_features), rng)?);
        let bias = bias.then(|| crate::layers::conv::bias_parameter(out_features));
        Ok(Linear { weight, bias })
    }
}

impl Module for Linear {
    fn forward(&self, x: &Var) -> Result<Var> {
        let f = self.weight.shape()[1];
        if x.shape().last() != Some(&f) {
            return Err(NnError::Config {
                layer: "Linear",
                msg: format!("expected [.., {f}] input, got {:?}", x.shape()),
            });
        }
        let w = self.weight.var(x.tape());
        let y = x.matmul(&w.transpose(0, 1)?)?;
        Ok(match &self.bias {
            Some(b) => y.add(&b.var(x.tape()))?,
            None => y,
        })
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>) {
        collect_weight_bias(prefix, Some(&self.weight), self.bias.as_ref(), out);
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        collect_weight_bias_mut(prefix, Some(&mut self.weight), self.bias.as_mut(), out);
    }
}
