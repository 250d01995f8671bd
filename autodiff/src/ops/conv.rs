//! Convolution and transposed convolution (1-3 spatial axes), with optional bias.
//!
//! Backward rules by the adjoint identities (burn's approach: only forward kernels are fast
//! paths; the gradients reuse them):
//!
//! * conv `y = W ⋆ x + b`: `∂L/∂x = conv_backward_data(g, W)` (= the transposed conv of g),
//!   `∂L/∂W = conv_backward_weight(x, g)`, `∂L/∂b = Σ_{n, spatial} g`.
//! * conv-transpose `y = Wᵀ ⋆ x + b`: `∂L/∂x = conv(g, W)` (the conv it is the adjoint of),
//!   `∂L/∂W = conv_backward_weight(g, x)` (input and output swap roles), `∂L/∂b = Σ g`.

use tensor::{ConvParams, Tensor};

use crate::error::Result;
use crate::var::Var;

/// `∂L/∂b`: sum over every axis but the channel axis 1.
fn bias_grad(g: &Tensor) -> Result<Tensor> {
    let axes: Vec<usize> = (0..g.rank()).filter(|&a| a != 1).collect();
    Ok(g.sum(&axes, false)?)
}

impl Var {
    /// Convolution of a `[N, C_in, spatial..]` input with a `[C_out, C_in, k..]` weight.
    pub fn conv(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        let y = self.value().conv(weight.value(), bias.map(|b| b.value()), p)?;
        let (x, w, p) = (self.value().clone(), weight.value().clone(), p.clone());
        let mut parents = vec![self, weight];
        parents.extend(bias);
        self.tape.record("conv", y, &parents, move |g, n| {
            let gx = if n[0] { Some(g.conv_backward_data(&w, x.shape(), &p)?) } else { None };
            let gw = if n[1] { Some(x.conv_backward_weight(g, w.shape(), &p)?) } else { None };
            let gb = if n.get(2) == Some(&true) { Some(bias_grad(g)?) } else { None };
            Ok(vec![gx, gw, gb])
        })
    }

    /// Transposed convolution with a `[C_in, C_out, k..]` weight (PyTorch layout).
    pub fn conv_transpose(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        let y = self.value().conv_transpose(weight.value(), bias.map(|b| b.value()), p)?;
        let (x, w, p) = (self.value().clone(), weight.value().clone(), p.clone());
        let mut parents = vec![self, weight];
        parents.extend(bias);
        self.tape.record("conv_transpose", y, &parents, move |g, n| {
            let gx = if n[0] { Some(g.conv(&w, None, &p)?) } else { None };
            let gw = if n[1] { Some(g.conv_backward_weight(&x, w.shape(), &p)?) } else { None };
            let gb = if n.get(2) == Some(&true) { Some(bias_grad(g)?) } else { None };
            Ok(vec![gx, gw, gb])
        })
    }

    pub fn conv1d(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        self.expect_rank("conv1d", 3)?;
        self.conv(weight, bias, p)
    }
    pub fn conv2d(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        self.expect_rank("conv2d", 4)?;
        self.conv(weight, bias, p)
    }
    pub fn conv3d(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        self.expect_rank("conv3d", 5)?;
        self.conv(weight, bias, p)
    }
    pub fn conv_transpose1d(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        self.expect_rank("conv_transpose1d", 3)?;
        self.conv_transpose(weight, bias, p)
    }
    pub fn conv_transpose2d(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        self.expect_rank("conv_transpose2d", 4)?;
        self.conv_transpose(weight, bias, p)
    }
    pub fn conv_transpose3d(&self, weight: &Var, bias: Option<&Var>, p: &ConvParams) -> Result<Var> {
        self.expect_rank("conv_transpose3d", 5)?;
        self.conv_transpose(weight, bias, p)
    }

    fn expect_rank(&self, op: &'static str, rank: usize) -> Result<()> {
        if self.value().rank() != rank {
            return Err(tensor::TensorError::InvalidShape {
                op,
                msg: format!("expected a rank-{rank} input, got shape {:?}", self.shape()),
            }
            .into());
        }
        Ok(())
    }
}
