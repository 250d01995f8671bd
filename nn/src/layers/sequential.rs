//! `Sequential`: layers applied in order; parameters named by position (`0.weight`, ...).

use autodiff::Var;
use tensor::Tensor;

use crate::error::Result;
use crate::module::{join, Module};
use crate::parameter::Parameter;

#[derive(Default)]
pub struct Sequential {
    pub layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    pub fn new() -> Self {
        Sequential::default()
    }
    /// Builder: append a layer.
    pub fn push(mut self, layer: impl Module + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }
    pub fn len(&self) -> usize {
        self.layers.len()
    }
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl Module for Sequential {
    fn forward(&self, x: &Var) -> Result<Var> {
        let mut h = x.clone();
        for l in &self.layers {
            h = l.forward(&h)?;
        }
        Ok(h)
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>) {
        for (i, l) in self.layers.iter().enumerate() {
            l.collect_params(&join(prefix, &i.to_string()), out);
        }
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        for (i, l) in self.layers.iter_mut().enumerate() {
            l.collect_params_mut(&join(prefix, &i.to_string()), out);
        }
    }
    fn collect_buffers(&self, prefix: &str, out: &mut Vec<(String, Tensor)>) {
        for (i, l) in self.layers.iter().enumerate() {
            l.collect_buffers(&join(prefix, &i.to_string()), out);
        }
    }
    fn load_buffer(&self, name: &str, value: &Tensor) -> bool {
        let Some((head, rest)) = name.split_once('.') else {
            return false;
        };
        match head.parse::<usize>().ok().and_then(|i| self.layers.get(i)) {
            Some(l) => l.load_buffer(rest, value),
            None => false,
        }
    }
}
