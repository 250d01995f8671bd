//! The `Module` trait: something with a forward pass and named parameters (`torch.nn.Module`).

use std::collections::BTreeMap;

use autodiff::{Tape, Var};
use tensor::Tensor;

use crate::error::Result;
use crate::parameter::Parameter;

/// A layer or a network.
pub trait Module {
    /// The forward pass. Parameters join the input's tape.
    fn forward(&self, x: &Var) -> Result<Var>;

    /// Push `(prefix + name, parameter)` for every parameter, in a stable order.
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>);

    /// The mutable counterpart of [`Module::collect_params`].
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>);

    /// Non-learned state saved with the model (BatchNorm running statistics).
    fn collect_buffers(&self, _prefix: &str, _out: &mut Vec<(String, Tensor)>) {}

    /// Restore a buffer saved by [`Module::collect_buffers`]; returns false if unknown.
    fn load_buffer(&self, _name: &str, _value: &Tensor) -> bool {
        false
    }

    /// Hierarchical names and parameters: `layers.0.weight`, ...
    fn named_parameters(&self) -> Vec<(String, &Parameter)> {
        let mut v = Vec::new();
        self.collect_params("", &mut v);
        v
    }

    fn named_parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        let mut v = Vec::new();
        self.collect_params_mut("", &mut v);
        v
    }

    /// Total number of learnable numbers.
    fn num_parameters(&self) -> usize {
        self.named_parameters().iter().map(|(_, p)| p.value.numel()).sum()
    }

    /// Move every parameter and buffer to `device` (weights are initialised on the CPU from
    /// the run's seed, then moved: the same seed gives the same initial weights everywhere).
    fn to_device(&mut self, device: &tensor::Device) -> Result<()> {
        for (_, p) in self.named_parameters_mut() {
            p.value = p.value.to_device(device)?;
        }
        let mut buffers = Vec::new();
        self.collect_buffers("", &mut buffers);
        for (name, b) in buffers {
            self.load_buffer(&name, &b.to_device(device)?);
        }
        Ok(())
    }

    /// Freeze or unfreeze every parameter.
    fn set_requires_grad(&mut self, on: bool) {
        for (_, p) in self.named_parameters_mut() {
            p.requires_grad = on;
        }
    }
}

/// Join a prefix and a name with a dot.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Push `prefix.weight` and `prefix.bias` (each if present): the parameters of most layers.
pub fn collect_weight_bias<'a>(
    prefix: &str,
    weight: Option<&'a Parameter>,
    bias: Option<&'a Parameter>,
    out: &mut Vec<(String, &'a Parameter)>,
) {
    out.extend(weight.map(|w| (join(prefix, "weight"), w)));
    out.extend(bias.map(|b| (join(prefix, "bias"), b)));
}

/// The mutable counterpart of [`collect_weight_bias`].
pub fn collect_weight_bias_mut<'a>(
    prefix: &str,
    weight: Option<&'a mut Parameter>,
    bias: Option<&'a mut Parameter>,
    out: &mut Vec<(String, &'a mut Parameter)>,
) {
    out.extend(weight.map(|w| (join(prefix, "weight"), w)));
    out.extend(bias.map(|b| (join(prefix, "bias"), b)));
}

/// Gradients of a loss with respect to a module's parameters, by parameter name.
pub type ParamGrads = BTreeMap<String, Tensor>;

/// `∂loss/∂θ` for every trainable parameter θ of `module` that `loss` depends on.
pub fn param_grads(tape: &Tape, loss: &Var, module: &dyn Module) -> Result<ParamGrads> {
    let named = module.named_parameters();
    let vars: Vec<(String, Var)> =
        named.iter().filter(|(_, p)| p.requires_grad).map(|(n, p)| (n.clone(), p.var(tape))).collect();
    let refs: Vec<&Var> = vars.iter().map(|(_, v)| v).collect();
    let grads = tape.backward(loss, &refs)?;
    Ok(vars.iter().filter_map(|(n, v)| grads.get(v).map(|g| (n.clone(), g.clone()))).collect())
}
