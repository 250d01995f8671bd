//! The general descriptor: 1-D and 3-D nets, TF `SAME` padding, leaky ReLU, whole-extent
//! kernels, fc tops; layer-wise growth and chains per batch slot.

use autodiff::GradCheck;
use models::descriptor::{ChainInit, ConvSpec, DescriptorLearner, DescriptorNet, DescriptorNetConfig, Growth};
use models::descriptor::{LearnConfig, Optim};
use models::{Activation, Descriptor, RateSchedule};
use nn::Module;
use tensor::{rng_for, rng_from_seed, Tensor};

fn shapes(cfg: &DescriptorNetConfig, example: &[usize]) -> Vec<Vec<usize>> {
    DescriptorNet::new(cfg, example, &mut rng_from_seed(0)).unwrap().output_shapes
}

#[test]
fn reference_nets_have_the_reference_feature_map_sizes() {
    // TF CoopNets mnist: 28 → 14 → 7 → 4 (SAME, stride 2), fc 4×4 → 100
    let mnist = shapes(&DescriptorNetConfig::mnist(), &[1, 28, 28]);
    assert_eq!(mnist, vec![vec![64, 14, 14], vec![128, 7, 7], vec![256, 4, 4], vec![100, 1, 1]]);
    // TF CoopNets scene: 64 → 32 → 16 → 16, fc 16×16 → 100
    let scene = shapes(&DescriptorNetConfig::scene(), &[3, 64, 64]);
    assert_eq!(scene, vec![vec![64, 32, 32], vec![128, 16, 16], vec![256, 16, 16], vec![100, 1, 1]]);
    // STGConvNet ST on 70 frames of 100²: ceil(70/7) = 10, ceil(100/7) = 15; then /3; then (1,2,2)
    let st = shapes(&DescriptorNetConfig::st(), &[3, 70, 100, 100]);
    assert_eq!(st, vec![vec![120, 10, 15, 15], vec![40, 4, 5, 5], vec![20, 4, 3, 3]]);
    // FC_S: 7³ s2 SAME → 35×50×50; (5, all, all) s2 pad (2,0,0) → 18×1×1; (2,1,1) pad (1,0,0) → 19×1×1
    let fc_s = shapes(&DescriptorNetConfig::fc_s(), &[3, 70, 100, 100]);
    assert_eq!(fc_s, vec![vec![120, 35, 50, 50], vec![30, 18, 1, 1], vec![5, 19, 1, 1]]);
}

/// A small net of every kind of layer for `dims` spatial axes.
fn general_net(dims: usize, fc: bool) -> DescriptorNetConfig {
    let k: Vec<usize> = vec![3; dims];
    let mut whole = vec![2; dims];
    whole[dims - 1] = 0; // the whole extent on the last axis
    DescriptorNetConfig {
        layers: vec![
            ConvSpec::same(3, &k, &[2]).activation(Activation::LeakyRelu),
            ConvSpec::per_axis(2, &whole, &[1], &vec![1; dims]).activation(Activation::Tanh),
        ],
        fc_top: fc.then_some(2),
        init_std: 0.4,
    }
}

#[test]
fn score_gradients_of_1d_2d_and_3d_nets_pass_the_gradient_checker() {
    for (dims, example) in [(1, vec![2, 9]), (2, vec![1, 5, 6]), (3, vec![1, 4, 5, 3])] {
        for fc in [false, true] {
            let net = DescriptorNet::new(&general_net(dims, fc), &example, &mut rng_from_seed(1)).unwrap();
            let d = Descriptor::new(net, 1.0);
            let x = Tensor::randn(&[&[2][..], &example].concat(), 0.0, 1.0, &mut rng_from_seed(2)).unwrap();
            let report =
                GradCheck::default().check(std::slice::from_ref(&x), |v| Ok(d.score(&v[0]).expect("forward"))).unwrap();
            assert_eq!(report.checked, x.numel(), "{dims}-D, fc {fc}");
        }
    }
}

#[test]
fn a_net_whose_top_map_is_empty_is_a_clear_error() {
    let cfg = DescriptorNetConfig { layers: vec![ConvSpec::new(4, 15, 1, 0)], fc_top: None, init_std: 0.01 };
    let err = DescriptorNet::new(&cfg, &[1, 8], &mut rng_from_seed(0)).err().expect("15 taps on 8 samples");
    assert!(err.to_string().contains("descriptor layer 1"), "{err}");
    let mut cfg = general_net(3, false);
    cfg.layers[0].kernel = models::descriptor::Axes::Each(vec![3, 3]);
    let err = DescriptorNet::new(&cfg, &[1, 4, 4, 4], &mut rng_from_seed(0)).err().expect("2 sizes, 3 axes");
    assert!(err.to_string().contains("2 sizes given for 3 spatial axes"), "{err}");
}

fn learner(growth: Growth, slots: usize) -> DescriptorLearner {
    let cfg = DescriptorNetConfig {
        layers: vec![ConvSpec::new(3, 3, 1, 1), ConvSpec::new(2, 3, 1, 1), ConvSpec::new(2, 1, 1, 0)],
        fc_top: None,
        init_std: 0.1,
    };
    let net = DescriptorNet::new(&cfg, &[1, 6, 6], &mut rng_from_seed(3)).unwrap();
    let learn = LearnConfig {
        langevin_steps: 3,
        step_size: 0.1,
        chain_init: ChainInit::Persistent,
        optim: Optim::Matconvnet { lr: 1e-2, momentum: 0.0, weight_decay: 0.0, cap: 20.0 },
        growth,
        rate_schedule: Default::default(),
    };
    let chains = Tensor::zeros(&[2 * slots, 1, 6, 6]);
    DescriptorLearner::new(Descriptor::new(net, 1.0), learn, chains).with_slots(slots).unwrap()
}

fn params(l: &DescriptorLearner) -> Vec<(String, Vec<f32>)> {
    l.descriptor.net.named_parameters().into_iter().map(|(n, p)| (n, p.value.to_vec())).collect()
}

#[test]
fn layer_wise_growth_trains_only_the_layers_of_its_stage_at_the_stage_rate() {
    let growth = Growth::LayerWise { stage_iterations: 2, rate_factor: 0.5 };
    let mut l = learner(growth, 1);
    let obs = Tensor::randn(&[2, 1, 6, 6], 0.0, 1.0, &mut rng_from_seed(4)).unwrap();
    for (t, moved) in [(0, vec!["conv1"]), (2, vec!["conv1", "conv2"]), (4, vec!["conv1", "conv2", "conv3"])] {
        let before = params(&l);
        l.step_slot(&obs, t, 0, &mut rng_for(5, t as u64)).unwrap();
        let after = params(&l);
        for ((name, a), (_, b)) in before.iter().zip(&after) {
            let layer = name.split('.').next().unwrap();
            assert_eq!(a != b, moved.contains(&layer), "iteration {t}: {name}");
        }
        assert_eq!(l.descriptor.net.depth, moved.len());
        assert_eq!(l.optimizer.inner.lr(), 1e-2 * 0.5f32.powi(moved.len() as i32 - 1));
    }
}

/// The rate schedule multiplies the growth's rate: layer-wise stages of 2 iterations at
/// ×0.5 each, times a log-spaced 1 → 0.01 in 3 values over 6 iterations (1, 0.1, 0.01).
#[test]
fn the_rate_schedule_multiplies_the_stage_rate() {
    let mut l = learner(Growth::LayerWise { stage_iterations: 2, rate_factor: 0.5 }, 1);
    l.config.rate_schedule = RateSchedule::log_spaced(1.0, 0.01, 3, 6);
    let obs = Tensor::randn(&[2, 1, 6, 6], 0.0, 1.0, &mut rng_from_seed(4)).unwrap();
    for (t, want) in [(0, 1e-2), (2, 1e-2 * 0.5 * 0.1), (4, 1e-2 * 0.25 * 0.01)] {
        l.step_slot(&obs, t, 0, &mut rng_for(5, t as u64)).unwrap();
        let lr = l.optimizer.inner.lr();
        assert!((lr / want - 1.0).abs() < 1e-5, "iteration {t}: lr {lr}, want {want}");
    }
    l.config.rate_schedule = RateSchedule::log_spaced(0.0, 0.01, 3, 6);
    let err = l.step_slot(&obs, 0, 0, &mut rng_for(5, 0)).expect_err("a rate of 0").to_string();
    assert!(err.contains("learn.rate_schedule"), "{err}");
}

#[test]
fn each_batch_slot_revises_only_its_own_chains() {
    let mut l = learner(Growth::EndToEnd, 3);
    let obs = Tensor::randn(&[2, 1, 6, 6], 0.0, 1.0, &mut rng_from_seed(6)).unwrap();
    l.step_slot(&obs, 0, 1, &mut rng_from_seed(7)).unwrap();
    let rows: Vec<Vec<f32>> = l.chains.to_vec().chunks(36).map(<[f32]>::to_vec).collect();
    let moved: Vec<bool> = rows.iter().map(|r| r.iter().any(|&v| v != 0.0)).collect();
    assert_eq!(moved, vec![false, false, true, true, false, false], "slot 1 holds chains 2 and 3");
    assert!(learner(Growth::EndToEnd, 1).with_slots(4).is_err(), "2 chains over 4 slots");
}
