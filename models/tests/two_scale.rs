//! The two-scale latent ([`models::generator::TwoScale`]): the coarse channels reach g only
//! through their block sums, gradients pass the checker, and configurations that do not fit
//! are clear errors.

use autodiff::{GradCheck, Tape};
use models::generator::{Activation, CoarseSpec, DeconvSpec, GeneratorNet, GeneratorNetConfig};
use nn::Module;
use tensor::{rng_from_seed, Tensor};

fn up(out_channels: usize, bn: bool, activation: Activation) -> DeconvSpec {
    DeconvSpec { out_channels, kernel: 5, stride: 2, crop: [1, 2], batch_norm: bn, activation, identity: false }
}

/// Z = 2 dense + 1 coarse channel on a 4×4 grid (the coarse one summed over 2×2 blocks and
/// brought back up by one layer of 3 features) → one 8×8 channel.
fn two_scale() -> GeneratorNetConfig {
    GeneratorNetConfig {
        latent: vec![3, 4, 4],
        fc: None,
        coarse: Some(CoarseSpec { channels: 1, factor: 2, layers: vec![up(3, false, Activation::Relu)] }),
        layers: vec![up(0, false, Activation::Tanh)],
        init_std: 0.3,
        bn_eps: 1e-3,
        output_scale: 1.0,
    }
}

fn g(net: &GeneratorNet, z: &Tensor) -> Vec<f32> {
    net.forward(&Tape::new().constant(z.clone())).unwrap().value().to_vec()
}

#[test]
fn the_coarse_channels_reach_g_only_through_their_block_sums() {
    let net = GeneratorNet::new(&two_scale(), &[1, 8, 8], &mut rng_from_seed(1)).unwrap();
    let z = Tensor::randn(&[2, 3, 4, 4], 0.0, 1.0, &mut rng_from_seed(2)).unwrap();
    let base = g(&net, &z);
    // channel 2 is coarse: +0.5 and −0.5 inside one 2×2 block keep its sum, +0.5 alone does not
    let bumped = |cells: &[(usize, f32)]| {
        let mut v = z.to_vec();
        cells.iter().for_each(|&(i, d)| v[2 * 16 + i] += d);
        g(&net, &Tensor::from_vec(v, z.shape()).unwrap())
    };
    let diff = |a: &[f32]| a.iter().zip(&base).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff(&bumped(&[(0, 0.5), (5, -0.5)])) < 1e-5, "a change within a block reached g");
    assert!(diff(&bumped(&[(0, 0.5)])) > 1e-3, "the block sum did not reach g");
    // the dense channels reach g cell by cell
    let mut v = z.to_vec();
    v[5] += 0.5;
    assert!(diff(&g(&net, &Tensor::from_vec(v, z.shape()).unwrap())) > 1e-3, "a dense cell did not reach g");
}

#[test]
fn g_with_a_two_scale_latent_passes_the_gradient_checker() {
    let net = GeneratorNet::new(&two_scale(), &[1, 8, 8], &mut rng_from_seed(3)).unwrap();
    let z = Tensor::randn(&[1, 3, 4, 4], 0.0, 1.0, &mut rng_from_seed(4)).unwrap();
    let check = GradCheck { eps: 1e-3, ..GradCheck::default() };
    let report = check.check(&[z], |v| Ok(net.forward(&v[0]).expect("forward"))).unwrap();
    assert_eq!(report.checked, 48);
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.coarse.0.weight", "0.coarse.0.bias", "1.weight", "1.bias"]);
}

#[test]
fn a_two_scale_latent_that_does_not_fit_is_a_clear_error() {
    let err = |edit: fn(&mut GeneratorNetConfig)| {
        let mut cfg = two_scale();
        edit(&mut cfg);
        GeneratorNet::new(&cfg, &[1, 8, 8], &mut rng_from_seed(0)).err().expect("a misfit").to_string()
    };
    let all_coarse = err(|c| c.coarse.as_mut().unwrap().channels = 3);
    assert!(all_coarse.contains("channels = 3 of the latent's 3"), "{all_coarse}");
    let factor = err(|c| c.coarse.as_mut().unwrap().factor = 3);
    assert!(factor.contains("the grid [4, 4] is not a multiple of factor = 3"), "{factor}");
    let size = err(|c| c.coarse.as_mut().unwrap().factor = 4);
    assert!(size.contains("its layers produce [3, 2, 2]"), "{size}");
    let last_zero = err(|c| c.coarse.as_mut().unwrap().layers[0].out_channels = 0);
    assert!(last_zero.contains("must end with features"), "{last_zero}");
}
