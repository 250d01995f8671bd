//! Activations as modules (no parameters), for use in `Sequential`.

use autodiff::Var;

use crate::error::Result;
use crate::module::Module;
use crate::parameter::Parameter;

macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, |$x:ident, $s:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default)]
        pub struct $name;
        impl Module for $name {
            fn forward(&self, $x: &Var) -> Result<Var> {
                let $s = self;
                let _ = $s;
                Ok($body?)
            }
            fn collect_params<'a>(&'a self, _: &str, _: &mut Vec<(String, &'a Parameter)>) {}
            fn collect_params_mut<'a>(&'a mut self, _: &str, _: &mut Vec<(String, &'a mut Parameter)>) {}
        }
    };
}

activation!(
    /// `max(x, 0)`.
    ReLU, |x, s| x.relu());
activation!(
    /// `tanh x`.
    Tanh, |x, s| x.tanh());
activation!(
    /// `1/(1 + e⁻ˣ)`.
    Sigmoid, |x, s| x.sigmoid());

/// `x` for `x > 0`, `slope·x` otherwise. The reference code uses 0.2 (PyTorch defaults to 0.01).
#[derive(Clone, Debug)]
pub struct LeakyReLU(pub f32);

impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU(0.2)
    }
}

impl Module for LeakyReLU {
    fn forward(&self, x: &Var) -> Result<Var> {
        Ok(x.leaky_relu(self.0)?)
    }
    fn collect_params<'a>(&'a self, _: &str, _: &mut Vec<(String, &'a Parameter)>) {}
    fn collect_params_mut<'a>(&'a mut self, _: &str, _: &mut Vec<(String, &'a mut Parameter)>) {}
}

/// `c·x`: a fixed gain, e.g. after a `tanh` so that a generator draws images in the data's
/// units (0–255 minus a mean) instead of [−1, 1]. Backward: `∂L/∂x = c·∂L/∂y`.
#[derive(Clone, Debug)]
pub struct Scale(pub f32);

impl Module for Scale {
    fn forward(&self, x: &Var) -> Result<Var> {
        Ok(x.mul_scalar(self.0)?)
    }
    fn collect_params<'a>(&'a self, _: &str, _: &mut Vec<(String, &'a Parameter)>) {}
    fn collect_params_mut<'a>(&'a mut self, _: &str, _: &mut Vec<(String, &'a mut Parameter)>) {}
}
