//! The CoopNets presets: the TF CoopNets family (Adam β1 0.5 for both nets, σ_d 0.016,
//! δ_d 0.002, s 0.3, no inference of Z; `../shared/reference/models.md` §5.2).

use datasets::{Channels, Scaling};
use models::descriptor::{ChainInit, DescriptorNetConfig, Growth, LearnConfig};
use models::generator::learn::LatentInit;
use models::generator::{GeneratorLearnConfig, GeneratorNetConfig};

use super::{adam, data, mnist, settings};
use crate::config::{CoopNetsConfig, DataConfig, DescriptorConfig, GeneratorConfig, ModelConfig, RunConfig};

/// Both nets of the TF family: the descriptor with `T_d` steps at lr `d_lr`, the generator at
/// lr `g_lr` without inference (T_g = 0).
pub fn tf_coopnets(d: DescriptorNetConfig, g: GeneratorNetConfig, t_d: usize, d_lr: f32, g_lr: f32) -> ModelConfig {
    ModelConfig::Coopnets(CoopNetsConfig {
        descriptor: DescriptorConfig {
            reference_sigma: 0.016,
            net: d,
            learn: LearnConfig {
                langevin_steps: t_d,
                step_size: 0.002,
                chain_init: ChainInit::Persistent,
                optim: adam(d_lr),
                growth: Growth::EndToEnd,
            },
        },
        generator: GeneratorConfig {
            noise_sigma: 0.3,
            latent_sigma: 1.0,
            net: g,
            learn: GeneratorLearnConfig {
                langevin_steps: 0,
                step_size: 0.1,
                noise: true,
                latent_init: LatentInit::Prior,
                optim: adam(g_lr),
            },
        },
        rate_schedule: models::RateSchedule::Constant,
    })
}

/// `coopnets-mnist`: the TF `mnist` nets (descriptor 64/128/256 + fc 100, generator z 100 →
/// 512/256/128 → 28²) on the shipped 10 000 MNIST digits, 2000 of them held out by a seeded
/// split (1000 validation, 1000 test for the Parzen evaluation); pixels [−1, 1]; batches of
/// 100, 144 synthesized digits per iteration, T_d 15, lr 0.007 / 1e-4 (§5.2); 500 iterations
/// (6 epochs; the reference runs 1000 epochs of 55 000 digits), about 25 minutes on 2 cores.
pub fn coopnets_mnist() -> RunConfig {
    RunConfig {
        data: DataConfig { holdout: 2000, ..data(mnist(-1, 10_000), 0, Channels::Grey, Scaling::Symmetric) },
        model: tf_coopnets(DescriptorNetConfig::mnist(), GeneratorNetConfig::mnist(100, 512), 15, 0.007, 1e-4),
        run: crate::config::RunSettings { batch_size: 100, ..settings(500, 144, 100) },
    }
}
