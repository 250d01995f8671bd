//! Each layer's forward against a naive reference, and its backward (input and parameter
//! gradients) against central differences.

use autodiff::Tape;
use nn::layers::*;
use nn::{Init, Module};
use tensor::{rng_from_seed, ConvParams, Tensor};

fn rand(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut rng_from_seed(seed)).unwrap()
}

/// Check ∂(Σ r⊙layer(x))/∂x and /∂θ for every parameter θ against central differences.
fn check_layer(layer: &mut dyn Module, x: &Tensor, tol: f64) {
    let eps = 1e-2f32;
    let tape = Tape::new();
    let xv = tape.var(x.clone());
    let y = layer.forward(&xv).unwrap();
    let r = rand(y.shape(), 99);
    let names: Vec<String> = layer.named_parameters().iter().map(|(n, _)| n.clone()).collect();
    let pvars: Vec<autodiff::Var> = layer.named_parameters().iter().map(|(_, p)| p.var(&tape)).collect();
    let mut wrt: Vec<&autodiff::Var> = vec![&xv];
    wrt.extend(pvars.iter());
    let g = tape.backward_with_seed(&y, &r, &wrt).unwrap();
    let loss = |layer: &dyn Module, x: &Tensor| -> f64 {
        let t = Tape::new();
        let y = layer.forward(&t.constant(x.clone())).unwrap().value().to_vec();
        y.iter().zip(r.to_vec()).map(|(&a, b)| f64::from(a) * f64::from(b)).sum()
    };
    let compare = |what: &str, analytic: f64, numeric: f64| {
        assert!(
            (analytic - numeric).abs() <= tol * (1.0 + numeric.abs()),
            "{what}: analytic {analytic}, numeric {numeric}"
        );
    };
    // input
    let gx = g.get(&xv).unwrap().to_vec();
    for j in (0..x.numel()).step_by((x.numel() / 40).max(1)) {
        let mut num = 0.0;
        for (s, sign) in [(eps, 1.0), (-eps, -1.0)] {
            let mut d = x.to_vec();
            d[j] += s;
            num += sign * loss(layer, &Tensor::from_vec(d, x.shape()).unwrap());
        }
        compare(&format!("input element {j}"), f64::from(gx[j]), num / (2.0 * f64::from(eps)));
    }
    // parameters
    for (k, name) in names.iter().enumerate() {
        let ga = g.get(&pvars[k]).unwrap().to_vec();
        let n = ga.len();
        for j in (0..n).step_by((n / 30).max(1)) {
            let mut num = 0.0;
            for (s, sign) in [(eps, 1.0), (-eps, -1.0)] {
                let mut params = layer.named_parameters_mut();
                let p = &mut params[k].1;
                let mut d = p.value.to_vec();
                d[j] += s;
                p.value = Tensor::from_vec(d, p.value.shape()).unwrap();
                drop(params);
                num += sign * loss(layer, x);
                let mut params = layer.named_parameters_mut();
                let p = &mut params[k].1;
                let mut d = p.value.to_vec();
                d[j] -= s;
                p.value = Tensor::from_vec(d, p.value.shape()).unwrap();
            }
            compare(&format!("{name}[{j}]"), f64::from(ga[j]), num / (2.0 * f64::from(eps)));
        }
    }
}

#[test]
fn conv_layers_forward_and_backward() {
    let mut rng = rng_from_seed(1);
    let mut c1 = Conv1d::new(2, 3, &[3], ConvOptions::new(2, 1).init(Init::Normal { std: 0.5 }), &mut rng).unwrap();
    let mut c2 = Conv2d::new(
        3,
        4,
        &[3, 2],
        ConvOptions::new(1, 1)
            .init(Init::Normal { std: 0.5 })
            .params(ConvParams::asymmetric(&[2, 1], &[(1, 2), (0, 1)])),
        &mut rng,
    )
    .unwrap();
    let mut c3 = Conv3d::new(2, 2, &[2], ConvOptions::new(1, 0).init(Init::Normal { std: 0.5 }), &mut rng).unwrap();
    // biases non-zero so the bias path is exercised
    for c in [&mut c1.bias, &mut c2.bias, &mut c3.bias].into_iter().flatten() {
        c.value = rand(c.shape(), 5);
    }
    // forward = tensor conv + bias (the kernel itself is tested against loops in tensor/)
    let x2 = rand(&[2, 3, 7, 6], 2);
    let want = x2.conv(&c2.weight.value, Some(&c2.bias.as_ref().unwrap().value), &c2.params).unwrap();
    assert_eq!(c2.forward(&Tape::new().constant(x2.clone())).unwrap().value().to_vec(), want.to_vec());
    assert_eq!(c2.weight.shape(), &[4, 3, 3, 2], "PyTorch layout [out, in, kh, kw]");
    check_layer(&mut c1, &rand(&[1, 2, 9], 3), 2e-2);
    check_layer(&mut c2, &x2, 2e-2);
    check_layer(&mut c3, &rand(&[1, 2, 3, 4, 4], 4), 2e-2);
    assert!(c2.forward(&Tape::new().constant(rand(&[1, 3, 7], 0))).is_err(), "wrong rank is an error");
}

#[test]
fn conv_transpose_layers_forward_and_backward() {
    let mut rng = rng_from_seed(2);
    // PyTorch ConvTranspose2d(3, 2, 5, stride 2, padding 2, output_padding 1): crop (2, 1)
    let mut t2 =
        ConvTranspose2d::new(3, 2, &[5], ConvOptions::transposed(2, (2, 1)).init(Init::Normal { std: 0.3 }), &mut rng)
            .unwrap();
    t2.bias.as_mut().unwrap().value = rand(&[2], 7);
    let x = rand(&[2, 3, 4, 4], 8);
    let y = t2.forward(&Tape::new().constant(x.clone())).unwrap();
    assert_eq!(y.shape(), &[2, 2, 8, 8]);
    assert_eq!(t2.weight.shape(), &[3, 2, 5, 5], "PyTorch layout [in, out, kh, kw]");
    check_layer(&mut t2, &x, 2e-2);
    let mut t1 =
        ConvTranspose1d::new(2, 3, &[4], ConvOptions::transposed(3, (1, 0)).init(Init::Normal { std: 0.3 }), &mut rng)
            .unwrap();
    check_layer(&mut t1, &rand(&[1, 2, 5], 9), 2e-2);
    let mut t3 = ConvTranspose3d::new(
        2,
        1,
        &[2, 3, 3],
        ConvOptions::transposed(2, (0, 0)).init(Init::Normal { std: 0.3 }),
        &mut rng,
    )
    .unwrap();
    check_layer(&mut t3, &rand(&[1, 2, 2, 3, 3], 10), 2e-2);
}

#[test]
fn linear_forward_matches_loops_and_backward_checks() {
    let mut rng = rng_from_seed(3);
    let mut l = Linear::new(5, 3, true, Init::XavierNormal, &mut rng).unwrap();
    l.bias.as_mut().unwrap().value = rand(&[3], 1);
    let x = rand(&[4, 5], 2);
    let y = l.forward(&Tape::new().constant(x.clone())).unwrap().value().to_vec();
    let (w, b, xv) = (l.weight.value.to_vec(), l.bias.as_ref().unwrap().value.to_vec(), x.to_vec());
    for i in 0..4 {
        for o in 0..3 {
            let want: f32 = b[o] + (0..5).map(|k| xv[i * 5 + k] * w[o * 5 + k]).sum::<f32>();
            assert!((y[i * 3 + o] - want).abs() < 1e-5);
        }
    }
    check_layer(&mut l, &x, 1e-2);
}

#[test]
fn batch_norm_forward_matches_loops_and_backward_checks() {
    for shape in [&[6, 3][..], &[2, 3, 5], &[2, 3, 4, 4], &[1, 3, 2, 3, 3]] {
        let mut bn = BatchNorm::new(3);
        bn.weight.as_mut().unwrap().value = rand(&[3], 1);
        bn.bias.as_mut().unwrap().value = rand(&[3], 2);
        let x = rand(shape, 3).affine(2.0, 1.0);
        let y = bn.forward(&Tape::new().constant(x.clone())).unwrap().value().to_vec();
        // naive: per channel, over every other axis
        let inner: usize = shape[2..].iter().product();
        let xv = x.to_vec();
        let (g, b) = (bn.weight.as_ref().unwrap().value.to_vec(), bn.bias.as_ref().unwrap().value.to_vec());
        for c in 0..3 {
            let idx: Vec<usize> =
                (0..shape[0]).flat_map(|n| (0..inner).map(move |i| (n * 3 + c) * inner + i)).collect();
            let m = idx.iter().map(|&i| xv[i] as f64).sum::<f64>() / idx.len() as f64;
            let v = idx.iter().map(|&i| (xv[i] as f64 - m).powi(2)).sum::<f64>() / idx.len() as f64;
            for &i in &idx {
                let want = g[c] as f64 * (xv[i] as f64 - m) / (v + 1e-5).sqrt() + b[c] as f64;
                assert!((y[i] as f64 - want).abs() < 1e-4, "{shape:?} channel {c}");
            }
        }
        check_layer(&mut bn, &x, 3e-2);
    }
    // running statistics move toward the batch statistics
    let bn = BatchNorm::new(2);
    let x = rand(&[64, 2], 5).affine(1.0, 3.0);
    bn.forward(&Tape::new().constant(x)).unwrap();
    let (m, _) = bn.running_stats();
    assert!(m.to_vec().iter().all(|&v| (v - 0.3).abs() < 0.05), "running mean after one step with momentum 0.1: {m:?}");
    // a forward under no_grad (drawing samples to look at) leaves them unchanged
    let t = Tape::new();
    let y = t.no_grad(|| bn.forward(&t.constant(rand(&[64, 2], 6).affine(1.0, -7.0))).unwrap());
    assert!(y.value().mean_all().to_scalar().unwrap().abs() < 1e-4, "still normalised by the batch");
    assert_eq!(bn.running_stats().0.to_vec(), m.to_vec());
}

#[test]
fn activations_and_sequential_names() {
    let x = Tensor::from_vec(vec![-2.0, -0.5, 0.5, 2.0], &[1, 4]).unwrap();
    let t = Tape::new();
    let run = |m: &dyn Module| m.forward(&t.constant(x.clone())).unwrap().value().to_vec();
    assert_eq!(run(&ReLU), vec![0.0, 0.0, 0.5, 2.0]);
    assert_eq!(run(&LeakyReLU::default()), vec![-0.4, -0.1, 0.5, 2.0], "reference slope 0.2");
    assert!((run(&Tanh)[3] - 2f32.tanh()).abs() < 1e-6);
    assert!((run(&Sigmoid)[0] - 1.0 / (1.0 + 2f32.exp())).abs() < 1e-6);
    assert_eq!(run(&Scale(128.0)), vec![-256.0, -64.0, 64.0, 256.0]);
    check_layer(&mut Scale(-3.0), &rand(&[2, 5], 4), 1e-3);
    let mut rng = rng_from_seed(0);
    let mut net = Sequential::new()
        .push(Linear::new(4, 3, true, Init::HeNormal, &mut rng).unwrap())
        .push(ReLU)
        .push(BatchNorm::new(3))
        .push(Linear::new(3, 1, false, Init::Zeros, &mut rng).unwrap());
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["0.weight", "0.bias", "2.weight", "2.bias", "3.weight"]);
    let mut bufs = Vec::new();
    net.collect_buffers("", &mut bufs);
    assert_eq!(bufs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), vec!["2.running_mean", "2.running_var"]);
    assert_eq!(net.num_parameters(), 12 + 3 + 3 + 3 + 3);
    net.set_requires_grad(false);
    assert!(net.named_parameters().iter().all(|(_, p)| !p.requires_grad));
    // Reshape / Flatten keep the batch axis
    let z = t.constant(rand(&[2, 3, 4], 1));
    assert_eq!(Flatten.forward(&z).unwrap().shape(), &[2, 12]);
    assert_eq!(Reshape(vec![4, 3]).forward(&z).unwrap().shape(), &[2, 4, 3]);
}

#[test]
fn initialisers_have_the_stated_spread() {
    let mut rng = rng_from_seed(4);
    let std = |t: &Tensor| {
        let v = t.to_vec();
        (v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let w = Init::CONV.tensor(&[100, 3, 15, 15], (675, 22500), &mut rng).unwrap();
    assert!((std(&w) - 0.01).abs() < 0.0005);
    let w = Init::CONV_TRANSPOSE.tensor(&[64, 64, 5, 5], (1, 1), &mut rng).unwrap();
    assert!((std(&w) - 0.005).abs() < 0.0002);
    let w = Init::HeNormal.tensor(&[256, 512], (512, 256), &mut rng).unwrap();
    assert!((std(&w) - (2.0f64 / 512.0).sqrt()).abs() < 0.003);
    let w = Init::XavierUniform.tensor(&[256, 512], (512, 256), &mut rng).unwrap();
    let a = (6.0f32 / 768.0).sqrt();
    assert!(w.to_vec().iter().all(|v| v.abs() <= a));
    // U[−a, a] has std a/√3; with 131 072 draws the estimate is within 0.5 % (its relative
    // s.e. is ≈ 0.2 %), so all zeros or a wrong bound fail
    assert!((std(&w) - f64::from(a) / 3f64.sqrt()).abs() < 0.005 * f64::from(a) / 3f64.sqrt(), "{}", std(&w));
    assert_eq!(Init::Zeros.tensor(&[3], (1, 1), &mut rng).unwrap().to_vec(), vec![0.0; 3]);
}

/// `Init::Dirac` with std 0 is PyTorch's `dirac_`: a 1 at the centre of the kernel for each
/// pair of matching channels, zeros elsewhere; a stride-1 convolution so started, cropped by
/// (k − 1)/2, passes its input through unchanged. With std > 0 the noise lies on top.
#[test]
fn a_dirac_start_is_the_identity() {
    let mut rng = rng_from_seed(5);
    let w = Init::Dirac { std: 0.0 }.tensor(&[3, 2, 5], (1, 1), &mut rng).unwrap().to_vec();
    let ones: Vec<usize> = (0..w.len()).filter(|&i| w[i] != 0.0).collect();
    assert_eq!(ones, vec![2, (2 + 1) * 5 + 2], "w[0, 0, 2] and w[1, 1, 2]");
    assert!(ones.iter().all(|&i| w[i] == 1.0));
    let w = Init::Dirac { std: 0.0 }.tensor(&[1, 1, 3, 3], (1, 1), &mut rng).unwrap().to_vec();
    assert_eq!(w, vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let opts = ConvOptions::new(1, 0).params(ConvParams::asymmetric(&[1], &[(3, 3)])).init(Init::Dirac { std: 0.0 });
    let layer = ConvTranspose1d::new(1, 1, &[7], opts.bias(false), &mut rng).unwrap();
    let t = Tape::new();
    let x = rand(&[2, 1, 30], 6);
    let y = layer.forward(&t.constant(x.clone())).unwrap().value().to_vec();
    assert_eq!(y, x.to_vec(), "a Dirac-started filter passes its input through");
    let w = Init::Dirac { std: 0.01 }.tensor(&[1, 1, 201], (1, 1), &mut rng).unwrap().to_vec();
    assert!((w[100] - 1.0).abs() < 0.05 && w.iter().filter(|v| v.abs() > 0.0).count() == 201);
}
