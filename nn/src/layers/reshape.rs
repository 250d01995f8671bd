//! `Flatten` and `Reshape` (the batch axis is kept).

use autodiff::Var;

use crate::error::Result;
use crate::module::Module;
use crate::parameter::Parameter;

/// `[N, ...] → [N, prod(...)]`.
#[derive(Clone, Debug, Default)]
pub struct Flatten;

impl Module for Flatten {
    fn forward(&self, x: &Var) -> Result<Var> {
        Ok(x.flatten_from(1)?)
    }
    fn collect_params<'a>(&'a self, _: &str, _: &mut Vec<(String, &'a Parameter)>) {}
    fn collect_params_mut<'a>(&'a mut self, _: &str, _: &mut Vec<(String, &'a mut Parameter)>) {}
}

/// `[N, ...] → [N, shape...]`.
#[derive(Clone, Debug)]
pub struct Reshape(pub Vec<usize>);

impl Module for Reshape {
    fn forward(&self, x: &Var) -> Result<Var> {
        let shape = [&x.shape()[..1], &self.0[..]].concat();
        Ok(x.reshape(&shape)?)
    }
    fn collect_params<'a>(&'a self, _: &str, _: &mut Vec<(String, &'a Parameter)>) {}
    fn collect_params_mut<'a>(&'a mut self, _: &str, _: &mut Vec<(String, &'a mut Parameter)>) {}
}
