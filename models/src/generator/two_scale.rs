//! A latent map of two scales on one grid: dense channels that carry the fine, random detail,
//! and coarse channels that carry the layout (a brick's courses, a weave's period).
//!
//! Z stays one `[C, spatial…]` map of independent N(0, 1) numbers, so inference, the prior,
//! persistent latents and larger samples from a larger map need nothing new. The last
//! `channels` of its channels are summed over blocks of `factor` cells per axis and divided by
//! `factor^(d/2)` (d spatial axes), which makes each block sum again N(0, 1):
//!
//! ```text
//! Z_c[c, I] = factor^(−d/2) · Σ_{i ∈ block I} Z[dense + c, i]
//! ```
//!
//! a coarse latent map at 1/factor the resolution. Transposed convolutions (`layers`, BN +
//! ReLU) bring it back up to the grid, and their features join the dense channels:
//! `h = [Z_dense, coarse(Z_c)]`, the input of the generator's own layers. The numbers of the
//! coarse channels orthogonal to the block sums reach nothing: their posterior is the prior,
//! and Langevin keeps them prior draws. Coarse latents at the grid's resolution would be the
//! dense ones; this sum is what makes them coarse.

use autodiff::Var;
use nn::layers::Sequential;
use nn::{Module, Parameter};
use serde::{Deserialize, Serialize};
use tensor::Tensor;

use super::net::DeconvSpec;

/// The coarse part of a two-scale latent ([`TwoScale`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoarseSpec {
    /// How many of the latent's channels (its last) are coarse.
    pub channels: usize,
    /// Cells of the grid per coarse cell, along each axis.
    pub factor: usize,
    /// Transposed convolutions from the coarse map back to the grid's size; the last one's
    /// `out_channels` features join the dense channels.
    pub layers: Vec<DeconvSpec>,
}

/// `h = [Z_dense, coarse(block_sum(Z_coarse))]` along the channel axis.
pub struct TwoScale {
    pub dense: usize,
    pub factor: usize,
    pub coarse: Sequential,
}

impl TwoScale {
    /// `Z_c`: the coarse channels summed over blocks of `factor` per spatial axis, divided
    /// by `factor^(d/2)`.
    fn block_sum(&self, zc: &Var) -> autodiff::Result<Var> {
        let shape = zc.shape().to_vec();
        let (f, dims) = (self.factor, shape.len() - 2);
        let split: Vec<usize> = shape[2..].iter().flat_map(|&n| [n / f, f]).collect();
        let summed: Vec<usize> = (0..dims).map(|a| 3 + 2 * a).collect();
        let blocks = zc.reshape(&[&shape[..2], &split[..]].concat())?.sum(&summed, false)?;
        blocks.mul_scalar((f as f32).powf(-(dims as f32) / 2.0))
    }
}

impl Module for TwoScale {
    fn forward(&self, z: &Var) -> nn::Result<Var> {
        let channels = z.shape()[1];
        let zd = z.narrow(1, 0, self.dense)?;
        let zc = self.block_sum(&z.narrow(1, self.dense, channels - self.dense)?)?;
        let h = self.coarse.forward(&zc)?;
        Ok(Var::cat(&[&zd, &h], 1)?)
    }
    fn collect_params<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Parameter)>) {
        self.coarse.collect_params(&nn::module::join(prefix, "coarse"), out)
    }
    fn collect_params_mut<'a>(&'a mut self, prefix: &str, out: &mut Vec<(String, &'a mut Parameter)>) {
        self.coarse.collect_params_mut(&nn::module::join(prefix, "coarse"), out)
    }
    fn collect_buffers(&self, prefix: &str, out: &mut Vec<(String, Tensor)>) {
        self.coarse.collect_buffers(&nn::module::join(prefix, "coarse"), out)
    }
    fn load_buffer(&self, name: &str, value: &Tensor) -> bool {
        name.strip_prefix("coarse.").is_some_and(|rest| self.coarse.load_buffer(rest, value))
    }
}
