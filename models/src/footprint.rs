//! How much memory a net needs, from its configuration alone (nothing is allocated): so that
//! a run whose nets or chains cannot fit is refused before it starts, naming what to shrink,
//! instead of being killed by the operating system half-way (or aborting in the allocator).
//!
//! Counts are in f32 values and saturate instead of overflowing (a typo such as
//! `out_channels = 1e9` must give a huge number, not a wrapped small one).

use crate::descriptor::net::geometry;
use crate::error::{ModelError, Result};
use crate::{DescriptorNetConfig, GeneratorNetConfig};

/// What one net holds, in f32 values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Footprint {
    /// Weights and biases.
    pub params: usize,
    /// Every layer's output for one example (what back-propagation keeps).
    pub activations: usize,
    /// The largest unfolded input (im2col / col2im buffer) of one layer, for one example.
    pub columns: usize,
    /// The layer with the most parameters (1-based; 0 = the generator's fc), to name in an
    /// error, and how many it has.
    pub widest_layer: usize,
    pub widest_params: usize,
}

impl Footprint {
    fn layer(&mut self, index: usize, params: usize, activations: usize, columns: usize) {
        if params > self.widest_params {
            (self.widest_layer, self.widest_params) = (index, params);
        }
        self.params = self.params.saturating_add(params);
        self.activations = self.activations.saturating_add(activations);
        self.columns = self.columns.max(columns);
    }
}

fn product(v: &[usize]) -> usize {
    v.iter().fold(1usize, |a, &b| a.saturating_mul(b))
}

impl DescriptorNetConfig {
    /// The footprint of this net on examples of shape `[C, spatial…]`.
    pub fn footprint(&self, example: &[usize]) -> Result<Footprint> {
        let [c, spatial @ ..] = example else {
            return Err(ModelError::Config(format!("examples of shape {example:?} have no channel axis")));
        };
        let (mut c, mut size, mut fp) = (*c, spatial.to_vec(), Footprint::default());
        for (i, l) in self.layers.iter().enumerate() {
            let g = geometry(i, l, &size)?;
            let (k, out) = (product(&g.kernel), product(&g.output));
            let weights = c.saturating_mul(k).saturating_mul(l.out_channels).saturating_add(l.out_channels);
            fp.layer(i + 1, weights, l.out_channels.saturating_mul(out), c.saturating_mul(k).saturating_mul(out));
            (c, size) = (l.out_channels, g.output);
        }
        if let Some(k) = self.fc_top {
            let inputs = c.saturating_mul(product(&size));
            fp.layer(self.layers.len() + 1, inputs.saturating_mul(k).saturating_add(k), k, inputs);
        }
        Ok(fp)
    }
}

impl GeneratorNetConfig {
    /// The footprint of this net for data with `channels` channels (BatchNorm keeps its
    /// normalised output besides the convolution's: counted twice).
    pub fn footprint(&self, channels: usize) -> Result<Footprint> {
        let shapes = self.layer_shapes(channels)?;
        let mut fp = Footprint::default();
        if let Some(fc) = &self.fc {
            let n = product(&fc.reshape);
            fp.layer(0, product(&self.latent).saturating_mul(n).saturating_add(n), n.saturating_mul(2), 0);
        }
        for (i, (l, io)) in self.layers.iter().zip(shapes.windows(2)).enumerate() {
            let (input, output) = (&io[0], &io[1]);
            let k = l.kernel.saturating_pow(input.len() as u32 - 1);
            let weights = input[0].saturating_mul(output[0]).saturating_mul(k).saturating_add(output[0]);
            let copies = if l.batch_norm { 2 } else { 1 };
            let columns = output[0].saturating_mul(k).saturating_mul(product(&input[1..]));
            fp.layer(i + 1, weights, product(output).saturating_mul(copies), columns);
        }
        Ok(fp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_texture_descriptor_counts_as_its_layers_say() {
        // frame_3 on a 1×128×128 image, full padding: 15×15/3 → 100 (48²), 5×5 → 64 (52²), 3×3 → 30 (54²)
        let fp = DescriptorNetConfig::texture().with_full_padding().footprint(&[1, 128, 128]).unwrap();
        assert_eq!(fp.params, (225 * 100 + 100) + (100 * 25 * 64 + 64) + (64 * 9 * 30 + 30));
        assert_eq!(fp.activations, 100 * 48 * 48 + 64 * 52 * 52 + 30 * 54 * 54);
        assert_eq!(fp.columns, 100 * 25 * 52 * 52);
        assert_eq!((fp.widest_layer, fp.widest_params), (2, 100 * 25 * 64 + 64));
    }

    #[test]
    fn the_mnist_generator_counts_as_its_layers_say() {
        // z 10 → convT 4×4 → 4×4×64 (BN) → 7×7×32 (BN) → 14×14×16 (BN) → 28×28×1
        let fp = GeneratorNetConfig::mnist(10, 64).footprint(1).unwrap();
        let w = (10 * 64 * 16 + 64) + (64 * 32 * 16 + 32) + (32 * 16 * 16 + 16) + (16 * 16 + 1);
        assert_eq!(fp.params, w);
        assert_eq!(fp.activations, 2 * (64 * 16 + 32 * 49 + 16 * 196) + 784);
        // a typo'd width saturates instead of wrapping around to a small number
        let mut huge = GeneratorNetConfig::mnist(10, 64);
        huge.layers[1].out_channels = usize::MAX / 4;
        assert_eq!(huge.footprint(1).unwrap().params, usize::MAX);
    }
}
