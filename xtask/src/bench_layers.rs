//! The `layers` workloads: every conv layer of the bench models alone, forward, backward-data
//! and backward-weight, exactly as `coopnets_bench.py --workloads layers` (its `layer_specs`
//! with the default texture configs: the 224² texture net at batch 1, the CoopNets `mnist` nets
//! at 144 chains, the ABP generator at batch 64). A transposed layer's forward is
//! `conv_transpose`, its backward-data a `conv`, its backward-weight the weight gradient of the
//! conv that runs the other way.

use anyhow::Result;
use tensor::{ConvParams, Device, Rng, Tensor};

use crate::bench::Workload;

/// One layer as PyTorch's `layer_specs` writes it.
pub struct Spec {
    name: &'static str,
    transposed: bool,
    /// input N, C_in, H (= W)
    n: usize,
    c_in: usize,
    hw: usize,
    c_out: usize,
    k: usize,
    stride: usize,
    /// PyTorch's `padding` and `output_padding`
    pad: usize,
    out_pad: usize,
}

#[rustfmt::skip]
pub const SPECS: [Spec; 17] = [
    Spec { name: "texture224.conv1 n1", transposed: false, n: 1, c_in: 3, hw: 224, c_out: 100, k: 15, stride: 3, pad: 2, out_pad: 0 },
    Spec { name: "texture224.conv2 n1", transposed: false, n: 1, c_in: 100, hw: 72, c_out: 64, k: 5, stride: 1, pad: 2, out_pad: 0 },
    Spec { name: "texture224.conv3 n1", transposed: false, n: 1, c_in: 64, hw: 72, c_out: 30, k: 3, stride: 1, pad: 2, out_pad: 0 },
    Spec { name: "texture128.conv1 n16", transposed: false, n: 16, c_in: 3, hw: 128, c_out: 100, k: 15, stride: 3, pad: 2, out_pad: 0 },
    Spec { name: "texture128.conv2 n16", transposed: false, n: 16, c_in: 100, hw: 40, c_out: 64, k: 5, stride: 1, pad: 2, out_pad: 0 },
    Spec { name: "texture128.conv3 n16", transposed: false, n: 16, c_in: 64, hw: 40, c_out: 30, k: 3, stride: 1, pad: 2, out_pad: 0 },
    Spec { name: "mnist_des.conv1 n144", transposed: false, n: 144, c_in: 1, hw: 28, c_out: 64, k: 4, stride: 2, pad: 1, out_pad: 0 },
    Spec { name: "mnist_des.conv2 n144", transposed: false, n: 144, c_in: 64, hw: 14, c_out: 128, k: 4, stride: 2, pad: 1, out_pad: 0 },
    Spec { name: "mnist_des.conv3 n144", transposed: false, n: 144, c_in: 128, hw: 10, c_out: 256, k: 4, stride: 2, pad: 0, out_pad: 0 },
    Spec { name: "mnist_gen.convt1 n144", transposed: true, n: 144, c_in: 100, hw: 1, c_out: 512, k: 4, stride: 1, pad: 0, out_pad: 0 },
    Spec { name: "mnist_gen.convt2 n144", transposed: true, n: 144, c_in: 512, hw: 4, c_out: 256, k: 4, stride: 2, pad: 1, out_pad: 0 },
    Spec { name: "mnist_gen.convt3 n144", transposed: true, n: 144, c_in: 256, hw: 7, c_out: 128, k: 4, stride: 2, pad: 1, out_pad: 0 },
    Spec { name: "mnist_gen.convt4 n144", transposed: true, n: 144, c_in: 128, hw: 14, c_out: 1, k: 4, stride: 2, pad: 1, out_pad: 0 },
    Spec { name: "abp_gen.convt1 n64", transposed: true, n: 64, c_in: 512, hw: 4, c_out: 256, k: 5, stride: 2, pad: 2, out_pad: 1 },
    Spec { name: "abp_gen.convt2 n64", transposed: true, n: 64, c_in: 256, hw: 8, c_out: 128, k: 5, stride: 2, pad: 2, out_pad: 1 },
    Spec { name: "abp_gen.convt3 n64", transposed: true, n: 64, c_in: 128, hw: 16, c_out: 64, k: 5, stride: 2, pad: 2, out_pad: 1 },
    Spec { name: "abp_gen.convt4 n64", transposed: true, n: 64, c_in: 64, hw: 32, c_out: 3, k: 5, stride: 2, pad: 2, out_pad: 1 },
];

/// The names of `s`'s three passes.
pub fn names(s: &Spec) -> Vec<String> {
    PASSES.iter().map(|pass| format!("{} {pass}", s.name)).collect()
}

const PASSES: [&str; 3] = ["forward", "backward data", "backward weight"];

/// The three passes of layer `s`, on inputs drawn from a seed of its own.
pub fn layer(s: &Spec, dev: &Device) -> Result<Vec<Workload>> {
    let mut rng = tensor::rng_from_seed(0);
    if s.transposed {
        transposed(s, &mut rng, dev)
    } else {
        plain(s, &mut rng, dev)
    }
}

fn label(s: &Spec, pass: usize) -> &'static str {
    Box::leak(format!("{} {}", s.name, PASSES[pass]).into_boxed_str())
}

fn workload(name: &'static str, gflop: f64, mut f: impl FnMut() -> tensor::Result<Tensor> + 'static) -> Workload {
    Workload {
        heavy: None,
        name,
        gflop,
        run: Box::new(move || {
            std::hint::black_box(f()?);
            Ok(())
        }),
    }
}

/// `y = w ⋆ x`; FLOPs `2·N·C_out·C_in·k²·|y|`.
fn plain(s: &Spec, rng: &mut Rng, dev: &Device) -> Result<Vec<Workload>> {
    let x = Tensor::randn(&[s.n, s.c_in, s.hw, s.hw], 0.0, 1.0, rng)?.to_device(dev)?;
    let w = Tensor::randn(&[s.c_out, s.c_in, s.k, s.k], 0.0, 0.05, rng)?.to_device(dev)?;
    let p = ConvParams::new(s.stride, s.pad);
    let y = x.conv2d(&w, None, &p)?;
    let dy = Tensor::randn(y.shape(), 0.0, 1.0, rng)?.to_device(dev)?;
    let gflop = 2.0 * (s.n * s.c_out * s.c_in * s.k * s.k * y.shape()[2] * y.shape()[3]) as f64 / 1e9;
    let (x1, w1, p1) = (x.clone(), w.clone(), p.clone());
    let (dy2, w2, p2, xs) = (dy.clone(), w.clone(), p.clone(), x.shape().to_vec());
    let ws = w.shape().to_vec();
    Ok(vec![
        workload(label(s, 0), gflop, move || x1.conv2d(&w1, None, &p1)),
        workload(label(s, 1), gflop, move || dy2.conv_backward_data(&w2, &xs, &p2)),
        workload(label(s, 2), gflop, move || x.conv_backward_weight(&dy, &ws, &p)),
    ])
}

/// `y = conv_transpose(x, w)` with w `[C_in, C_out, k, k]`; FLOPs `2·N·C_in·C_out·k²·|x|`.
fn transposed(s: &Spec, rng: &mut Rng, dev: &Device) -> Result<Vec<Workload>> {
    let x = Tensor::randn(&[s.n, s.c_in, s.hw, s.hw], 0.0, 1.0, rng)?.to_device(dev)?;
    let w = Tensor::randn(&[s.c_in, s.c_out, s.k, s.k], 0.0, 0.05, rng)?.to_device(dev)?;
    // PyTorch's padding p and output_padding op crop (p, p − op) of the full output
    let p = ConvParams::asymmetric(&[s.stride], &[(s.pad, s.pad - s.out_pad)]);
    let y = x.conv_transpose2d(&w, None, &p)?;
    let dy = Tensor::randn(y.shape(), 0.0, 1.0, rng)?.to_device(dev)?;
    let gflop = 2.0 * (s.n * s.c_in * s.c_out * s.k * s.k * s.hw * s.hw) as f64 / 1e9;
    let (x1, w1, p1) = (x.clone(), w.clone(), p.clone());
    let (dy2, w2, p2) = (dy.clone(), w.clone(), p.clone());
    let ws = w.shape().to_vec();
    Ok(vec![
        workload(label(s, 0), gflop, move || x1.conv_transpose2d(&w1, None, &p1)),
        // the adjoint of conv_transpose is the conv with the same weight
        workload(label(s, 1), gflop, move || dy2.conv2d(&w2, None, &p2)),
        // conv_transpose(x, w) = conv_backward_data(x, w), so dW is the weight gradient of
        // the conv from dy to x
        workload(label(s, 2), gflop, move || dy.conv_backward_weight(&x, &ws, &p)),
    ])
}
