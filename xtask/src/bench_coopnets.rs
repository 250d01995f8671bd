//! The `coopnets-mnist` bench workload, exactly as `coopnets_bench.py --workloads
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

pub fn coopnets_mnist() -> Result<Workload> {
    let mut rng = rng_from_seed(1);
    let (b, k) = (100, 144);
    let d_net = DescriptorNet::new(&DescriptorNetConfig::mnist(), &[1, 28, 28], &mut rng)?;
    let d_learn = LearnConfig {
        langevin_steps: 15,
        step_size: 0.002,
        chain_init: ChainInit::Persistent,
        optim: Optim::Adam { lr: 0.007, beta1: 0.5 },
        growth: Default::default(),
    };
    let d = DescriptorLearner::new(Descriptor::new(d_net, 0.016), d_learn, Tensor::zeros(&[k, 1, 28, 28]));
    let g_net = GeneratorNet::new(&GeneratorNetConfig::mnist(100, 512), &[1, 28, 28], &mut rng)?;
    let g_learn = GeneratorLearnConfig {
        langevin_steps: 0,
        step_size: 0.1,
        noise: true,
        latent_init: LatentInit::Prior,
        optim: Optim::Adam { lr: 1e-4, beta1: 0.5 },
    };
    let g = GeneratorLearner::new(Generator::new(g_net, 0.3, 1.0), g_learn, k, &mut rng)?;
    let mut learner = CoopNetsLearner::new(d, g)?;
    let obs = Tensor::rand_uniform(&[b, 1, 28, 28], -1.0, 1.0, &mut rng)?;
    // conv/matmul FLOPs as the PyTorch script counts them (225.1 GFLOP per iteration)
    Ok(Workload {
        name: "coopnets-mnist iteration (144 chains, 15 descriptor Langevin steps, both updates)",
        gflop: 225.1,
        heavy: Some(5),
        run: Box::new(move || {
            learner.step(&obs, &mut rng_from_seed(2))?;
            Ok(())
        }),
    })
}
