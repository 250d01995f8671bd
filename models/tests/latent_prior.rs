//! The learned latent prior (a descriptor on Z). With a linear `f_α(Z) = Σ (w·Z + b)` the
//! prior `exp(f_α) · N(0, I)` is `N(w, I)` in closed form, so maximum likelihood on latents
//! drawn from `N(μ, I)` must bring the prior's samples to mean μ and variance 1; and a
//! generator learner with the prior learns it from its inferred latents and draws its samples
//! through it.

use models::descriptor::{ChainInit, ConvSpec, DescriptorNetConfig, LearnConfig};
use models::generator::learn::LatentInit;
use models::generator::{
    Activation, DeconvSpec, Generator, GeneratorLearnConfig, GeneratorLearner, GeneratorNet, GeneratorNetConfig,
    LatentPrior, LatentPriorConfig,
};
use models::{Batch, Learner, Optim};
use tensor::{rng_for, rng_from_seed, Tensor};

/// A prior of one 1×1 convolution without activation: `f_α(Z) = Σ_pixels (w·Z + b)`.
fn linear_prior(steps: usize) -> LatentPriorConfig {
    LatentPriorConfig {
        net: DescriptorNetConfig {
            layers: vec![ConvSpec::new(1, 1, 1, 0).activation(Activation::None)],
            fc_top: None,
            init_std: 0.01,
        },
        learn: LearnConfig {
            langevin_steps: steps,
            step_size: 0.5,
            chain_init: ChainInit::RestartNoise,
            optim: Optim::Adam { lr: 0.02, beta1: 0.5 },
            growth: Default::default(),
            rate_schedule: Default::default(),
        },
    }
}

fn mean_and_std(t: &Tensor) -> (f32, f32) {
    let v = t.to_vec();
    let m = v.iter().sum::<f32>() / v.len() as f32;
    (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / v.len() as f32).sqrt())
}

/// Latents from N(0.7, 1) (1024 numbers: the sample mean is 0.7 ± 0.03). Langevin with
/// δ = 0.5 on N(w, 1) contracts by 1 − δ²/2 per step (40 steps leave 0.5% of the start) and
/// has the stationary variance 1/(1 − δ²/4) = 1.07: the samples' mean must come within 0.1 of
/// the data's and their standard deviation within 0.1 of 1.
#[test]
fn a_linear_latent_prior_learns_the_mean_of_the_latents() {
    let z = Tensor::randn(&[16, 1, 8, 8], 0.7, 1.0, &mut rng_from_seed(30)).unwrap();
    let mut prior = LatentPrior::new(&linear_prior(40), &[1, 8, 8], 16, 1.0, &mut rng_from_seed(31)).unwrap();
    let draw = |prior: &LatentPrior| {
        let mut s = Tensor::randn(&[64, 1, 8, 8], 0.0, 1.0, &mut rng_from_seed(33)).unwrap();
        prior.sample(&mut s, &mut rng_from_seed(34)).unwrap();
        mean_and_std(&s)
    };
    let (before, _) = draw(&prior);
    for t in 0..300 {
        prior.learn(&z, t, &mut rng_for(32, t as u64)).unwrap();
    }
    let ((data, _), (after, std)) = (mean_and_std(&z), draw(&prior));
    println!("prior samples' mean {before:.3} → {after:.3} (data {data:.3}), std {std:.3}");
    assert!(before.abs() < 0.1, "before learning the prior is about N(0, I): mean {before}");
    assert!((after - data).abs() < 0.1, "samples' mean {after} against the latents' {data}");
    assert!((std - 1.0).abs() < 0.1, "samples' std {std}");
}

/// A conv generator `[2, 4, 4] → [1, 8, 8]` (one transposed convolution, tanh) with the
/// linear prior: each iteration updates the prior from the inferred latents (two more
/// statistics), the samples are g of the prior's Langevin moves of the N(0, I) draws, and the
/// extra `gaussian` samples are g of the same draws unmoved.
#[test]
fn a_generator_with_a_latent_prior_learns_it_and_samples_through_it() {
    let net = GeneratorNetConfig {
        latent: vec![2, 4, 4],
        fc: None,
        coarse: None,
        layers: vec![DeconvSpec {
            out_channels: 0,
            kernel: 4,
            stride: 2,
            crop: [1, 1],
            batch_norm: false,
            activation: Activation::Tanh,
            identity: false,
        }],
        init_std: 0.3,
        bn_eps: 1e-3,
        output_scale: 1.0,
    };
    let learn = GeneratorLearnConfig {
        langevin_steps: 5,
        step_size: 0.1,
        noise: true,
        latent_init: LatentInit::Prior,
        optim: Optim::Adam { lr: 0.01, beta1: 0.5 },
        ema: 0.0,
    };
    let n = 8;
    let g = Generator::new(GeneratorNet::new(&net, &[1, 8, 8], &mut rng_from_seed(40)).unwrap(), 0.3, 1.0);
    let prior = LatentPrior::new(&linear_prior(10), &[2, 4, 4], n, 1.0, &mut rng_from_seed(41)).unwrap();
    let mut l = GeneratorLearner::new(g, learn, n, &mut rng_from_seed(42)).unwrap().with_prior(prior);
    let y = Tensor::randn(&[n, 1, 8, 8], 0.0, 0.5, &mut rng_from_seed(43)).unwrap();
    let names: Vec<_> = l.stats().iter().map(|s| s.name).collect();
    assert_eq!(names, ["mse", "z_sq", "prior_f_post", "prior_f_syn"]);
    let prior_params = |l: &GeneratorLearner| -> Vec<Vec<f32>> {
        l.parts()[1].module.named_parameters().iter().map(|(_, p)| p.value.to_vec()).collect()
    };
    let before = prior_params(&l);
    let (w, b) = (before.iter().find(|p| p.len() == 2).unwrap(), before.iter().find(|p| p.len() == 1).unwrap()[0]);
    let index: Vec<usize> = (0..n).collect();
    let stats =
        l.iteration(&Batch { data: &y, index: &index, mask: None, iteration: 0, slot: 0 }, &mut rng_from_seed(44));
    let stats = stats.unwrap();
    assert_eq!(stats.len(), 4);
    assert_ne!(prior_params(&l), before, "the prior did not learn");
    // prior_f_post is mean_i f_α(Z_i) at the weights before the update, Z_i the latents *after*
    // this iteration's inference: f_α(Z_i) = Σ_pixels (w·Z_i + b), 16 pixels of 2 channels
    let z = l.latents.to_vec();
    let f =
        |i: usize| (0..2).map(|c| w[c] * z[i * 32 + c * 16..i * 32 + (c + 1) * 16].iter().sum::<f32>()).sum::<f32>();
    let expected = (0..n).map(|i| f(i) + 16.0 * b).sum::<f32>() / n as f32;
    assert!(
        (stats[2] - expected).abs() < 1e-4 * expected.abs().max(1.0),
        "prior_f_post {} against {expected}",
        stats[2]
    );
    assert!(l.state().contains_key("latent_prior_chains"));
    let samples = l.samples(3, &mut rng_from_seed(45)).unwrap();
    // by hand, from the same stream: Z_0 ~ N(0, I), then the prior's Langevin steps
    let mut rng = rng_from_seed(45);
    let mut z = l.generator.sample_latents(3, &[2, 4, 4], &mut rng).unwrap();
    let unmoved = l.generator.generate_tensor(&z).unwrap();
    l.prior.as_ref().unwrap().sample(&mut z, &mut rng).unwrap();
    assert_eq!(samples.to_vec(), l.generator.generate_tensor(&z).unwrap().to_vec());
    assert_ne!(samples.to_vec(), unmoved.to_vec(), "the prior's Langevin steps did not move Z");
    let extra = l.extra_samples(3, &mut rng_from_seed(45)).unwrap();
    assert_eq!((extra[0].0, extra[0].1.to_vec()), ("gaussian", unmoved.to_vec()));
}
