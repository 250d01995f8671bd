//! The generator and CoopNets bench workloads. `abp`: see [`abp`]. `coopnets-mnist`: exactly as `coopnets_bench.py --workloads
//! coopnets-mnist`: the TF CoopNets `mnist` nets, an observed batch of 100 uniform [−1, 1]
//! digits, 144 chains; G0 z ~ N(0, I), g(z); D1 15 descriptor Langevin steps (δ 0.002, σ 0.016);
//! D2 Adam (lr 0.007, β1 0.5) on mean f(syn) − mean f(obs); G2 Adam (lr 1e-4) on
//! Σ (syn − g(z))²/(2·0.3²) averaged over the chains. Our iteration also takes mean f(g(z))
//! for its statistics (one more forward of the descriptor on the 144 proposals, ~2% of D1).

use anyhow::Result;
use models::descriptor::{ChainInit, DescriptorLearner, DescriptorNet, DescriptorNetConfig, LearnConfig};
use models::generator::learn::LatentInit;
use models::generator::{Generator, GeneratorLearnConfig, GeneratorLearner, GeneratorNet, GeneratorNetConfig};
use models::{CoopNetsLearner, Descriptor, Optim};
use tensor::{rng_from_seed, Tensor};

use crate::bench::Workload;

/// The name of the [`coopnets_mnist`] workload.
pub const COOPNETS_MNIST: &str = "coopnets-mnist iteration (144 chains, 15 descriptor Langevin steps, both updates)";
/// The name of the [`abp`] workload.
pub const ABP: &str = "abp iteration (64x64x3, batch 64, z 100, 30 Langevin steps + Adam update)";

pub fn coopnets_mnist(dev: &tensor::Device) -> Result<Workload> {
    let mut rng = rng_from_seed(1);
    let (b, k) = (100, 144);
    let d_net = DescriptorNet::new(&DescriptorNetConfig::mnist(), &[1, 28, 28], &mut rng)?;
    let d_learn = LearnConfig {
        langevin_steps: 15,
        step_size: 0.002,
        chain_init: ChainInit::Persistent,
        optim: Optim::Adam { lr: 0.007, beta1: 0.5 },
        growth: Default::default(),
        rate_schedule: Default::default(),
    };
    let d = DescriptorLearner::new(Descriptor::new(d_net, 0.016), d_learn, Tensor::zeros(&[k, 1, 28, 28]));
    let g_net = GeneratorNet::new(&GeneratorNetConfig::mnist(100, 512), &[1, 28, 28], &mut rng)?;
    let g_learn = GeneratorLearnConfig {
        langevin_steps: 0,
        step_size: 0.1,
        noise: true,
        latent_init: LatentInit::Prior,
        optim: Optim::Adam { lr: 1e-4, beta1: 0.5 },
        ema: 0.0,
    };
    let g = GeneratorLearner::new(Generator::new(g_net, 0.3, 1.0), g_learn, k, &mut rng)?;
    let mut learner = CoopNetsLearner::new(d, g)?;
    models::Learner::to_device(&mut learner, dev)?;
    let obs = Tensor::rand_uniform(&[b, 1, 28, 28], -1.0, 1.0, &mut rng)?.to_device(dev)?;
    // conv/matmul FLOPs as the PyTorch script counts them (225.1 GFLOP per iteration)
    Ok(Workload {
        name: COOPNETS_MNIST,
        gflop: 225.1,
        heavy: Some(5),
        run: Box::new(move || {
            learner.step(&obs, &mut rng_from_seed(2))?;
            Ok(())
        }),
    })
}

/// One ABP iteration exactly as `coopnets_bench.py --workloads abp`: ABP's object generator
/// (fc z 100 → 4×4×512, BN ReLU, 4 × convT 5×5 up 2 to 64×64×3, tanh), batch 64 of uniform
/// [−1, 1] images, 30 Langevin steps on persistent Z (δ 0.3, s 0.3, σ_z 1, from zeros), then
/// one Adam update (lr 2e-4, β1 0.5).
pub fn abp(dev: &tensor::Device) -> Result<Workload> {
    use models::generator::{learn::LatentInit, Generator, GeneratorLearnConfig, GeneratorLearner, GeneratorNet};
    use models::{generator::GeneratorNetConfig, Optim};
    let mut rng = rng_from_seed(1);
    let (b, z) = (64, 100);
    let mut cfg = GeneratorNetConfig::object64(z);
    cfg.bn_eps = 1e-5; // PyTorch's default, as the bench script
    let net = GeneratorNet::new(&cfg, &[3, 64, 64], &mut rng)?;
    let learn = GeneratorLearnConfig {
        langevin_steps: 30,
        step_size: 0.3,
        noise: true,
        latent_init: LatentInit::Zeros,
        optim: Optim::Adam { lr: 2e-4, beta1: 0.5 },
        ema: 0.0,
    };
    let mut learner = GeneratorLearner::new(Generator::new(net, 0.3, 1.0), learn, b, &mut rng)?;
    models::Learner::to_device(&mut learner, dev)?;
    let obs = Tensor::rand_uniform(&[b, 3, 64, 64], -1.0, 1.0, &mut rng)?.to_device(dev)?;
    let index: Vec<usize> = (0..b).collect();
    // conv/matmul FLOPs: forward per example f (fc + 4 convT); a Langevin step is a forward and
    // a backward-data pass (2f); the update a forward and both backward passes (3f − the
    // input gradient of the fc layer)
    let fc = 2.0 * (z * 8192) as f64;
    let ct = |c_in: usize, c_out: usize, hw: usize| 2.0 * (c_in * c_out * 25 * hw * hw) as f64;
    let f = fc + ct(512, 256, 4) + ct(256, 128, 8) + ct(128, 64, 16) + ct(64, 3, 32);
    let gflop = b as f64 * (30.0 * 2.0 * f + 3.0 * f - fc) / 1e9;
    Ok(Workload {
        name: ABP,
        gflop,
        heavy: Some(3),
        run: Box::new(move || {
            use models::Learner;
            let batch = models::Batch { data: &obs, index: &index, mask: None, iteration: 0, slot: 0 };
            learner.iteration(&batch, &mut rng_from_seed(2))?;
            Ok(())
        }),
    })
}
