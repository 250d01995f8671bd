//! The generator: its inference gradient against finite differences, Langevin inference on a
//! linear generator (factor analysis) against the closed-form posterior, and ABP recovering
//! the subspace of data drawn from a known linear-Gaussian model.

use autodiff::{GradCheck, Tape};
use models::generator::learn::LatentInit;
use models::generator::{
    Activation, DeconvSpec, FcSpec, Generator, GeneratorLearnConfig, GeneratorLearner, GeneratorNet,
    GeneratorNetConfig, GeneratorPosterior,
};
use models::{Batch, Learner, Optim};
use nn::Module;
use sampler::{Langevin, LogDensity};
use tensor::{rng_for, rng_from_seed, Tensor};

/// `g(Z) = W Z + b`: a linear generator, `[k] → [1, d]`.
fn linear(k: usize, d: usize) -> GeneratorNetConfig {
    GeneratorNetConfig {
        latent: vec![k],
        fc: Some(FcSpec { reshape: vec![1, d], batch_norm: false, activation: Activation::None }),
        coarse: None,
        layers: vec![],
        init_std: 0.5,
        bn_eps: 1e-3,
        output_scale: 1.0,
    }
}

/// A small conv generator `[3] → [1, 8, 8]` with BatchNorm and tanh.
fn small_conv() -> GeneratorNetConfig {
    let layer = |c, bn, act| DeconvSpec {
        out_channels: c,
        kernel: 4,
        stride: 2,
        crop: [1, 1],
        batch_norm: bn,
        activation: act,
        identity: false,
    };
    GeneratorNetConfig {
        latent: vec![3],
        fc: Some(FcSpec { reshape: vec![6, 2, 2], batch_norm: false, activation: Activation::LeakyRelu }),
        coarse: None,
        layers: vec![layer(4, true, Activation::Relu), layer(0, false, Activation::Tanh)],
        init_std: 0.3,
        bn_eps: 1e-3,
        output_scale: 1.0,
    }
}

#[test]
fn the_latent_gradient_matches_finite_differences() {
    let net = GeneratorNet::new(&small_conv(), &[1, 8, 8], &mut rng_from_seed(1)).unwrap();
    let g = Generator::new(net, 0.5, 1.2);
    let y = Tensor::randn(&[3, 1, 8, 8], 0.0, 0.5, &mut rng_from_seed(2)).unwrap();
    let mask = Tensor::rand_uniform(&[3, 1, 8, 8], 0.0, 1.0, &mut rng_from_seed(3))
        .unwrap()
        .gt(&Tensor::full(&[3, 1, 8, 8], 0.3))
        .unwrap();
    let z = Tensor::randn(&[3, 3], 0.0, 1.0, &mut rng_from_seed(4)).unwrap();
    let mut post = GeneratorPosterior::new(&g, &y, Some(&mask));
    let vg = post.log_density_and_grad(&z).unwrap();
    let logp = |z: &Tensor| -> f64 {
        let t = Tape::new();
        let e = g.residual_energy(&t.constant(z.clone()), &y, Some(&mask)).unwrap().value().to_vec();
        let zz = z.square().sum_all().to_scalar().unwrap();
        -e.iter().map(|&v| f64::from(v)).sum::<f64>() - f64::from(zz) / (2.0 * 1.44)
    };
    let total: f64 = vg.value.to_vec().iter().map(|&v| f64::from(v)).sum();
    assert!((total - logp(&z)).abs() < 1e-3 * (1.0 + total.abs()), "value {total} vs {}", logp(&z));
    let eps = 1e-2;
    for j in 0..z.numel() {
        let bump = |d: f32| {
            let mut v = z.to_vec();
            v[j] += d;
            Tensor::from_vec(v, z.shape()).unwrap()
        };
        let num = (logp(&bump(eps)) - logp(&bump(-eps))) / (2.0 * f64::from(eps));
        let ana = f64::from(vg.grad.to_vec()[j]);
        assert!((ana - num).abs() < 3e-3 * (1.0 + num.abs()), "element {j}: analytic {ana}, numeric {num}");
    }
}

#[test]
fn g_passes_the_gradient_checker() {
    let net = GeneratorNet::new(&small_conv(), &[1, 8, 8], &mut rng_from_seed(5)).unwrap();
    let z = Tensor::randn(&[2, 3], 0.0, 1.0, &mut rng_from_seed(6)).unwrap();
    // a small step: BatchNorm over 2 examples amplifies a change of Z, and a step of 1e-2
    // moves many ReLU units across their kink (the checker then compares against a
    // difference quotient of a different linear piece)
    let check = GradCheck { eps: 1e-3, ..GradCheck::default() };
    let report = check.check(&[z], |v| Ok(net.forward(&v[0]).expect("forward"))).unwrap();
    assert_eq!(report.checked, 6);
}

/// Inverse of a small symmetric positive definite matrix (Gauss–Jordan, f64).
fn inverse(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = a.len();
    let mut m: Vec<Vec<f64>> = a
        .iter()
        .enumerate()
        .map(|(i, r)| [r.clone(), (0..n).map(|j| f64::from(u8::from(i == j))).collect()].concat())
        .collect();
    for c in 0..n {
        let p = m[c][c];
        m[c].iter_mut().for_each(|v| *v /= p);
        for r in (0..n).filter(|&r| r != c) {
            let f = m[r][c];
            let row_c = m[c].clone();
            m[r].iter_mut().zip(row_c).for_each(|(v, pc)| *v -= f * pc);
        }
    }
    m.into_iter().map(|r| r[n..].to_vec()).collect()
}

/// Factor analysis `Y = W Z + b + ε`: the posterior of Z given Y is Gaussian with covariance
/// `Σ = (WᵀW/s² + I/σ_z²)⁻¹` and mean `Σ Wᵀ(Y − b)/s²`. 4000 Langevin chains on one Y must
/// reach that mean within 0.04 and that covariance within 0.04 per entry. (Monte Carlo error
/// of the mean ≈ √(0.4/4000) = 0.01; the O(δ²) bias of unadjusted Langevin at δ = 0.1 is about
/// δ²/4·λ_max(Σ⁻¹) ≈ 1% of Σ.)
#[test]
fn langevin_inference_on_a_linear_generator_matches_the_closed_form_posterior() {
    let (k, d, s, sz) = (2usize, 6usize, 0.8f32, 1.0f32);
    let net = GeneratorNet::new(&linear(k, d), &[1, d], &mut rng_from_seed(7)).unwrap();
    let w: Vec<f64> = net.named_parameters()[0].1.value.to_vec().into_iter().map(f64::from).collect(); // [d, k]
    let g = Generator::new(net, s, sz);
    let y1 = Tensor::randn(&[1, 1, d], 0.0, 1.0, &mut rng_from_seed(8)).unwrap();
    let m = 4000;
    let y = y1.broadcast_to(&[m, 1, d]).unwrap().contiguous();
    let mut z = Tensor::zeros(&[m, k]);
    g.infer(&y, None, &mut z, &Langevin::new(0.1, 3000), &mut rng_from_seed(9)).unwrap();
    // closed form (bias is 0 at init)
    let s2 = f64::from(s * s);
    let prec: Vec<Vec<f64>> = (0..k)
        .map(|a| {
            (0..k)
                .map(|b| (0..d).map(|i| w[i * k + a] * w[i * k + b]).sum::<f64>() / s2 + f64::from(u8::from(a == b)))
                .collect()
        })
        .collect();
    let cov = inverse(&prec);
    let yv: Vec<f64> = y1.to_vec().into_iter().map(f64::from).collect();
    let wty: Vec<f64> = (0..k).map(|a| (0..d).map(|i| w[i * k + a] * yv[i]).sum::<f64>() / s2).collect();
    let mean: Vec<f64> = (0..k).map(|a| (0..k).map(|b| cov[a][b] * wty[b]).sum()).collect();
    let zs: Vec<f64> = z.to_vec().into_iter().map(f64::from).collect();
    let emp_mean: Vec<f64> = (0..k).map(|a| (0..m).map(|c| zs[c * k + a]).sum::<f64>() / m as f64).collect();
    for a in 0..k {
        assert!((emp_mean[a] - mean[a]).abs() < 0.04, "mean[{a}]: Langevin {} vs closed form {}", emp_mean[a], mean[a]);
        for b in 0..k {
            let c: f64 =
                (0..m).map(|i| (zs[i * k + a] - emp_mean[a]) * (zs[i * k + b] - emp_mean[b])).sum::<f64>() / m as f64;
            assert!((c - cov[a][b]).abs() < 0.04, "cov[{a}][{b}]: Langevin {c} vs closed form {}", cov[a][b]);
        }
    }
}

/// Cosines of the principal angles between the column spaces of two `[d, k]` matrices (k = 2).
fn principal_cosines(a: &[f64], b: &[f64], d: usize) -> [f64; 2] {
    let orth = |m: &[f64]| {
        let col = |j: usize| (0..d).map(|i| m[i * 2 + j]).collect::<Vec<f64>>();
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let (c0, c1) = (col(0), col(1));
        let q0: Vec<f64> = c0.iter().map(|x| x / norm(&c0)).collect();
        let p: f64 = q0.iter().zip(&c1).map(|(x, y)| x * y).sum();
        let r: Vec<f64> = c1.iter().zip(&q0).map(|(y, x)| y - p * x).collect();
        let q1: Vec<f64> = r.iter().map(|x| x / norm(&r)).collect();
        [q0, q1]
    };
    let (qa, qb) = (orth(a), orth(b));
    let m: Vec<f64> = (0..4).map(|t| qa[t / 2].iter().zip(&qb[t % 2]).map(|(x, y)| x * y).sum()).collect();
    // singular values of the 2×2 matrix m: eigenvalues of mᵀm
    let (p, q, r) = (m[0] * m[0] + m[2] * m[2], m[0] * m[1] + m[2] * m[3], m[1] * m[1] + m[3] * m[3]);
    let disc = (((p - r) / 2.0).powi(2) + q * q).sqrt();
    [((p + r) / 2.0 + disc).sqrt(), ((p + r) / 2.0 - disc).max(0.0).sqrt()]
}

/// Data from `Y = A Z + ε`, `A` a random 8×2 matrix, `s` = 0.1: alternating back-propagation
/// must find the plane of `A`: both principal angles between col(W) and col(A) below 5°
/// (cos > 0.996). At the start they are those of a random plane (typically 30–80°).
#[test]
fn abp_recovers_the_subspace_of_a_linear_gaussian_model() {
    let (k, d, n) = (2usize, 8usize, 400usize);
    let a = Tensor::randn(&[d, k], 0.0, 1.0, &mut rng_from_seed(10)).unwrap();
    let z = Tensor::randn(&[n, k], 0.0, 1.0, &mut rng_from_seed(11)).unwrap();
    let y = z.matmul(&a.transpose(0, 1).unwrap()).unwrap();
    let y =
        y.add(&Tensor::randn(&[n, d], 0.0, 0.1, &mut rng_from_seed(12)).unwrap()).unwrap().reshape(&[n, 1, d]).unwrap();
    let net = GeneratorNet::new(&linear(k, d), &[1, d], &mut rng_from_seed(13)).unwrap();
    let learn = GeneratorLearnConfig {
        langevin_steps: 20,
        step_size: 0.1,
        noise: true,
        latent_init: LatentInit::Zeros,
        optim: Optim::Adam { lr: 0.02, beta1: 0.5 },
        ema: 0.0,
    };
    let mut l = GeneratorLearner::new(Generator::new(net, 0.1, 1.0), learn, n, &mut rng_from_seed(14)).unwrap();
    let w0 = l.generator.net.named_parameters()[0].1.value.to_vec();
    let av: Vec<f64> = a.to_vec().into_iter().map(f64::from).collect();
    let start = principal_cosines(&av, &w0.into_iter().map(f64::from).collect::<Vec<_>>(), d);
    let index: Vec<usize> = (0..n).collect();
    for it in 0..300 {
        l.iteration(
            &Batch { data: &y, index: &index, mask: None, iteration: it as usize, slot: 0 },
            &mut rng_for(15, it),
        )
        .unwrap();
    }
    let w: Vec<f64> = l.generator.net.named_parameters()[0].1.value.to_vec().into_iter().map(f64::from).collect();
    let cos = principal_cosines(&av, &w, d);
    println!("principal cosines: start {start:?}, learned {cos:?}");
    assert!(start[1] < 0.99, "the test starts away from the answer: {start:?}");
    assert!(cos[0] > 0.996 && cos[1] > 0.996, "principal angles above 5°: cosines {cos:?}");
}

#[test]
fn the_reference_nets_make_the_reference_sizes() {
    // (net, data channels, output shape), as models.md §4.3 and §5.2 give them
    let cases = [
        (GeneratorNetConfig::mnist(100, 512), 1, vec![1, 28, 28]),
        (GeneratorNetConfig::scene(100), 3, vec![3, 64, 64]),
        (GeneratorNetConfig::object64(100), 3, vec![3, 64, 64]),
        (GeneratorNetConfig::texture(7, 5), 3, vec![3, 224, 224]),
        (GeneratorNetConfig::texture(14, 5), 3, vec![3, 448, 448]),
        (GeneratorNetConfig::audio(60), 1, vec![1, 60000]),
        (GeneratorNetConfig::audio_sequence(16, 6000, 64, 255), 1, vec![1, 6000]),
    ];
    for (cfg, c, want) in cases {
        assert_eq!(cfg.output_shape(c).unwrap(), want, "{cfg:?}");
    }
}

#[test]
fn a_net_that_does_not_make_the_data_shape_is_a_clear_error() {
    let err =
        GeneratorNet::new(&small_conv(), &[1, 28, 28], &mut rng_from_seed(0)).err().expect("8×8 net on 28×28 data");
    assert!(err.to_string().contains("produces [1, 8, 8] but the data are [1, 28, 28]"), "{err}");
    let mut middle_zero = small_conv();
    middle_zero.layers[0].out_channels = 0;
    let err = GeneratorNet::new(&middle_zero, &[1, 8, 8], &mut rng_from_seed(0)).err().expect("0 channels mid-net");
    assert!(err.to_string().contains("only for the last layer"), "{err}");
    // a layer started as the identity must keep the length: stride 1, odd kernel, half cropped
    let mut identity = small_conv();
    identity.layers[1].identity = true;
    let err = GeneratorNet::new(&identity, &[1, 8, 8], &mut rng_from_seed(0)).err().expect("identity with stride 2");
    assert!(err.to_string().contains("identity = true needs stride 1"), "{err}");
    let mut no_latent = small_conv();
    no_latent.latent.clear();
    assert!(GeneratorNet::new(&no_latent, &[1, 8, 8], &mut rng_from_seed(0)).is_err(), "empty latent");
    assert!(GeneratorNet::new(&small_conv(), &[], &mut rng_from_seed(0)).is_err(), "empty data shape");
    let net = GeneratorNet::new(&small_conv(), &[1, 8, 8], &mut rng_from_seed(0)).unwrap();
    let learn = GeneratorLearnConfig {
        langevin_steps: 1,
        step_size: 0.1,
        noise: true,
        latent_init: LatentInit::Zeros,
        optim: Optim::Adam { lr: 0.01, beta1: 0.5 },
        ema: 0.0,
    };
    let mut l = GeneratorLearner::new(Generator::new(net, 0.3, 1.0), learn, 2, &mut rng_from_seed(0)).unwrap();
    let y = Tensor::zeros(&[2, 1, 8, 8]);
    let hidden = Tensor::zeros(&[2, 1, 8, 8]);
    let err = l
        .iteration(
            &Batch { data: &y, index: &[0, 1], mask: Some(&hidden), iteration: 0, slot: 0 },
            &mut rng_from_seed(0),
        )
        .unwrap_err();
    assert!(err.to_string().contains("hides every pixel"), "{err}");
}

/// `ema = β`: after every update the average is `W̄ ← β·W̄ + (1 − β)·W`, computed here by hand
/// from the live weights of each iteration; it survives a checkpoint's state, and samples come
/// from it, not from the live weights.
#[test]
fn the_weight_average_follows_the_updates_and_draws_the_samples() {
    let (k, d, n, beta) = (2usize, 8usize, 16usize, 0.75f32);
    let y = Tensor::randn(&[n, 1, d], 0.0, 1.0, &mut rng_from_seed(20)).unwrap();
    let learn = GeneratorLearnConfig {
        langevin_steps: 5,
        step_size: 0.1,
        noise: true,
        latent_init: LatentInit::Zeros,
        optim: Optim::Adam { lr: 0.05, beta1: 0.5 },
        ema: beta,
    };
    let build = |seed| {
        let net = || GeneratorNet::new(&linear(k, d), &[1, d], &mut rng_from_seed(seed)).unwrap();
        let l = GeneratorLearner::new(Generator::new(net(), 0.3, 1.0), learn.clone(), n, &mut rng_from_seed(22));
        l.unwrap().with_average(Generator::new(net(), 0.3, 1.0)).unwrap()
    };
    let mut l = build(21);
    let weights = |g: &Generator| -> Vec<f32> {
        g.net.named_parameters().iter().flat_map(|(_, p)| p.value.to_vec()).collect::<Vec<f32>>()
    };
    let mut expected = weights(&l.generator);
    let index: Vec<usize> = (0..n).collect();
    for it in 0..4 {
        l.iteration(
            &Batch { data: &y, index: &index, mask: None, iteration: it, slot: 0 },
            &mut rng_for(23, it as u64),
        )
        .unwrap();
        let live = weights(&l.generator);
        expected = expected.iter().zip(&live).map(|(a, w)| beta * a + (1.0 - beta) * w).collect();
    }
    let average = weights(l.for_sampling());
    let (live, gap) = (weights(&l.generator), |a: &[f32], b: &[f32]| {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max)
    });
    assert!(gap(&average, &expected) < 1e-6, "average {average:?} against {expected:?}");
    assert!(gap(&average, &live) > 1e-3, "the average must differ from the live weights");
    let mut restored = build(99);
    restored.load_state(&l.state()).unwrap();
    assert_eq!(weights(restored.for_sampling()), average);
    let drawn = l.samples(3, &mut rng_from_seed(24)).unwrap();
    let z = l.for_sampling().sample_latents(3, &[k], &mut rng_from_seed(24)).unwrap();
    assert_eq!(drawn.to_vec(), l.for_sampling().generate_tensor(&z).unwrap().to_vec());
}
