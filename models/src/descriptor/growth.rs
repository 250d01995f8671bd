//! How the descriptor's net is trained: end to end, or grown layer by layer.
//!
//! The Generative ConvNet release trains its texture and object nets with the scheme
//! `mle_l2l`: stage k appends convolution k to the net and trains **all** layers so far, for
//! a fixed number of iterations, at a rate that shrinks by a constant factor per stage (Fig. 1:
//! 3 stages × 700 iterations at 5e-4, halved each stage). `mle_e2e` trains the whole net from
//! the start (1200 iterations at 1e-4).

use serde::{Deserialize, Serialize};

/// The training scheme of the descriptor's layers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Growth {
    /// All layers from the first iteration (`mle_e2e`).
    #[default]
    EndToEnd,
    /// Stage k (from 0) uses the first k + 1 convolutions for `stage_iterations`
    /// iterations at `lr · rate_factor^k`; the last stage lasts until the run ends (`mle_l2l`).
    LayerWise {
        stage_iterations: usize,
        #[serde(serialize_with = "crate::serde_f32::short")]
        rate_factor: f32,
    },
}

impl Growth {
    /// (convolutions in use, learning-rate factor) at iteration `t` of a net with `convs`
    /// convolutions.
    pub fn at(&self, t: usize, convs: usize) -> (usize, f32) {
        match *self {
            Growth::EndToEnd => (convs, 1.0),
            Growth::LayerWise { stage_iterations, rate_factor } => {
                let stage = (t / stage_iterations.max(1)).min(convs.saturating_sub(1));
                (stage + 1, rate_factor.powi(stage as i32))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_wise_stages_add_one_layer_and_scale_the_rate() {
        let g = Growth::LayerWise { stage_iterations: 700, rate_factor: 0.5 };
        assert_eq!(g.at(0, 3), (1, 1.0));
        assert_eq!(g.at(699, 3), (1, 1.0));
        assert_eq!(g.at(700, 3), (2, 0.5));
        assert_eq!(g.at(1400, 3), (3, 0.25));
        assert_eq!(g.at(5000, 3), (3, 0.25), "the last stage lasts to the end");
        assert_eq!(Growth::EndToEnd.at(5, 3), (3, 1.0));
    }
}
