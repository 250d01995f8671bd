//! The descriptor's numbers for a given configuration are pinned: the model-generic core (one
//! learner interface, multi-part checkpoints, the shared loop) must not change a single bit of
//! what the descriptor computes. The values below were produced by the descriptor-only code
//! before that refactor (commit ea5a5cb), for the same configurations.
//!
//! A kernel that sums in another order changes the last bits, and then its pins are renewed
//! in the same commit, saying why. Renewed twice by one f value by one ulp and the weights'
//! sums by ≤ 4·10⁻⁸ relative (the chains' sum, which cancels, by 2·10⁻⁷): when the
//! weight gradient of small images became one GEMM per several images, and a batch-1 pass was
//! split into at least four tiles of equal height (issue 12), which changes how dW is summed
//! and, at the tile edges, the order of col2im's additions into dx; and when the forward pass
//! and input gradient of large maps became direct convolutions (`tensor/src/cpu/conv_direct.rs`,
//! issue 12), whose sums run over the taps in the outer loop and the channels in the inner
//! (a strided layer's channels grouped by phase), where im2col + GEMM's ran over the channels
//! in the outer loop. Renewed a third time when the weight gradient of large maps became
//! direct too (`tensor/src/cpu/conv_direct_weight.rs`, issue 12): one chain of FMAs per
//! weight over the images and positions in order, where im2col + GEMM summed blocks of
//! positions and then four parts (four f values of six by one ulp, the weights' sums by
//! ≤ 10⁻⁷ relative, the chains' by 1.3·10⁻⁷).

mod common;
use common::scratch as tmp;
use std::path::Path;

use coopnets_cli::{presets, run_dir, RunConfig};
use models::descriptor::{ConvSpec, DescriptorNetConfig, Optim};

/// Per tensor of the newest checkpoint: the sum of its values in f64 (file order).
fn sums(out: &Path, names: &[&str]) -> Vec<(String, f64)> {
    let (_, p) = run_dir::checkpoints(out).pop().unwrap();
    let mut all = nn::checkpoint::read_tensors(&nn::checkpoint::parts::module_path(&p, "descriptor")).unwrap();
    all.extend(nn::checkpoint::read_tensors(&nn::checkpoint::parts::state_path(&p)).unwrap());
    names.iter().map(|&n| (n.to_string(), all[n].to_vec().iter().map(|&v| f64::from(v)).sum())).collect()
}

/// The default texture recipe as it was at ea5a5cb: 0–255 minus 128, the reference padding,
/// end to end, T = 10, σ = 1.
fn texture_at_ea5a5cb() -> RunConfig {
    let mut cfg = presets::texture();
    cfg.data.scaling = datasets::Scaling::ScalarMean(128.0);
    cfg.descriptor_mut().net = DescriptorNetConfig::texture();
    cfg.descriptor_mut().learn.growth = models::descriptor::Growth::EndToEnd;
    cfg.descriptor_mut().learn.rate_schedule = models::RateSchedule::Constant;
    cfg.descriptor_mut().learn.step_size = 0.3;
    cfg.descriptor_mut().learn.langevin_steps = 10;
    cfg.descriptor_mut().reference_sigma = 1.0;
    cfg
}

fn check(cfg: &RunConfig, name: &str, f: &[(f32, f32)], tensors: &[(&str, f64)]) {
    let out = tmp(name);
    coopnets_cli::train::train(cfg, &out, false, false).unwrap();
    let rows = coopnets_cli::stats::read(&out, &["f_obs", "f_syn"], usize::MAX).unwrap();
    let got: Vec<(f32, f32)> = rows.iter().map(|r| (r.values[0], r.values[1])).collect();
    assert_eq!(got, f, "{name}: f(obs), f(syn) per iteration, bit for bit");
    let names: Vec<&str> = tensors.iter().map(|t| t.0).collect();
    for ((n, s), (_, want)) in sums(&out, &names).iter().zip(tensors) {
        assert!((s - want).abs() <= 1e-12 * want.abs().max(1.0), "{name}: sum of {n} is {s}, pinned {want}");
    }
}

#[test]
fn the_default_texture_recipe_computes_what_it_did_before_the_generic_core() {
    let mut cfg = texture_at_ea5a5cb();
    cfg.run.iterations = 3;
    let f = [(5553.2466, 167.8639), (16020.791, 384.1612), (73040.8, 1214.4364)];
    let tensors = [
        ("conv1.weight", -21.610865467931035),
        ("conv2.weight", 33.122288675530854),
        ("conv3.weight", 17.651681280701894),
        ("conv3.bias", 6.802723783039255e-05),
        ("extra.chains", -518.4912803466432),
    ];
    check(&cfg, "texture", &f, &tensors);
}

#[test]
fn a_small_descriptor_with_momentum_computes_what_it_did_before_the_generic_core() {
    let mut cfg = texture_at_ea5a5cb();
    cfg.data.size = 24;
    let d = cfg.descriptor_mut();
    d.learn.optim = Optim::Matconvnet { lr: 5e-4, momentum: 0.5, weight_decay: 1e-4, cap: 20.0 };
    d.net = DescriptorNetConfig {
        layers: vec![ConvSpec::new(8, 5, 2, 2), ConvSpec::new(4, 3, 1, 1)],
        fc_top: None,
        init_std: 0.01,
    };
    (cfg.run.iterations, cfg.run.chains, cfg.run.checkpoint_every) = (6, 2, 2);
    let f = [
        (17.72125, 0.47047052),
        (23.07218, 0.6704214),
        (33.09887, 0.8605784),
        (48.980732, 1.0928061),
        (73.81888, 1.3384948),
        (113.62068, 1.6381385),
    ];
    let tensors = [
        ("conv1.weight", -0.22662300657248124),
        ("conv2.bias", 0.001853190260590054),
        ("extra.chains", 75.36705133318901),
        ("optim.descriptor.sgd.velocity.conv1.weight", 195.34205453656614),
        ("optim.descriptor.sgd.velocity.conv2.weight", -279.46531185344793),
    ];
    check(&cfg, "small", &f, &tensors);
}
