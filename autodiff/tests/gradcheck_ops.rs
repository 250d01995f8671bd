#![allow(clippy::cloned_ref_to_slice_refs)] // `&[x.clone()]` reads better in a table of checks
//! Every differentiable op against central differences (the gradient checker), over shapes
//! that include batch 1, odd sizes, stride > 1, asymmetric padding, 1-d/2-d/3-d.

use autodiff::{GradCheck, Var};
use tensor::{rng_from_seed, ConvParams, Tensor};

fn rand(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut rng_from_seed(seed)).unwrap()
}

/// Values whose magnitude is at least 0.1, so kinks (relu, abs, max) are never within ε.
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let v: Vec<f32> =
        rand(shape, seed).to_vec().into_iter().map(|x| if x.abs() < 0.1 { x.signum() * 0.1 + x } else { x }).collect();
    Tensor::from_vec(v, shape).unwrap()
}

fn check(inputs: &[Tensor], f: impl Fn(&[Var]) -> autodiff::Result<Var>) {
    let report = GradCheck::default().check(inputs, f).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.checked > 0);
}

const SHAPES: &[&[usize]] = &[&[1], &[5], &[3, 4], &[1, 3, 5], &[2, 3, 2, 3]];

#[test]
fn unary_ops() {
    for (i, s) in SHAPES.iter().enumerate() {
        let x = away_from_zero(s, i as u64);
        let pos = x.abs().add_scalar(0.5);
        check(&[x.clone()], |v| v[0].neg());
        check(&[x.clone()], |v| v[0].exp());
        check(&[pos.clone()], |v| v[0].log());
        check(&[pos.clone()], |v| v[0].sqrt());
        check(&[x.clone()], |v| v[0].square());
        check(&[x.clone()], |v| v[0].abs());
        check(&[x.clone()], |v| v[0].relu());
        check(&[x.clone()], |v| v[0].leaky_relu(0.2));
        check(&[x.clone()], |v| v[0].tanh());
        check(&[x.clone()], |v| v[0].sigmoid());
        check(&[pos.clone()], |v| v[0].powf(1.7));
        check(&[x.clone()], |v| v[0].affine(-2.5, 0.3));
        // clamp: move values off the two kinks by more than ε
        let xc = Tensor::from_vec(
            x.to_vec()
                .iter()
                .map(|&v| if (v + 0.55).abs() < 0.05 || (v - 0.65).abs() < 0.05 { v + 0.2 } else { v })
                .collect(),
            x.shape(),
        )
        .unwrap();
        check(&[xc], |v| v[0].clamp(-0.55, 0.65));
    }
}

#[test]
fn binary_ops_with_broadcasting() {
    let pairs: &[(&[usize], &[usize])] =
        &[(&[3], &[3]), (&[2, 3], &[3]), (&[2, 1, 4], &[3, 1]), (&[1, 3, 2, 2], &[1, 3, 1, 1]), (&[4], &[])];
    for (i, (sa, sb)) in pairs.iter().enumerate() {
        let a = away_from_zero(sa, 10 + i as u64);
        let b = away_from_zero(sb, 20 + i as u64);
        let bpos = b.abs().add_scalar(0.5);
        check(&[a.clone(), b.clone()], |v| v[0].add(&v[1]));
        check(&[a.clone(), b.clone()], |v| v[0].sub(&v[1]));
        check(&[a.clone(), b.clone()], |v| v[0].mul(&v[1]));
        check(&[a.clone(), bpos.clone()], |v| v[0].div(&v[1]));
        // shift b so that no pair is within ε of a tie
        let bm = b.add_scalar(0.05);
        check(&[a.clone(), bm.clone()], |v| v[0].maximum(&v[1]));
        check(&[a.clone(), bm.clone()], |v| v[0].minimum(&v[1]));
    }
}

#[test]
fn reductions() {
    for (i, s) in SHAPES.iter().enumerate() {
        let x = rand(s, 30 + i as u64);
        check(&[x.clone()], |v| v[0].sum_all());
        check(&[x.clone()], |v| v[0].mean_all());
        let rank = s.len();
        for mask in 1..(1u32 << rank) {
            let axes: Vec<usize> = (0..rank).filter(|a| mask & (1 << a) != 0).collect();
            check(&[x.clone()], |v| v[0].sum(&axes, false));
            check(&[x.clone()], |v| v[0].mean(&axes, true));
            check(&[x.clone()], |v| v[0].max(&axes, false));
        }
    }
}

#[test]
fn matmul_plain_transposed_and_batched() {
    for &(m, k, n) in &[(1, 1, 1), (3, 5, 2), (7, 4, 9)] {
        check(&[rand(&[m, k], 1), rand(&[k, n], 2)], |v| v[0].matmul(&v[1]));
        check(&[rand(&[k, m], 3), rand(&[k, n], 4)], |v| v[0].transpose(0, 1)?.matmul(&v[1]));
    }
    check(&[rand(&[3, 2, 4], 5), rand(&[1, 4, 3], 6)], |v| v[0].matmul(&v[1]));
    check(&[rand(&[2, 3, 4], 7), rand(&[4, 2], 8)], |v| v[0].matmul(&v[1]));
}

struct ConvCase {
    x: &'static [usize],
    w: &'static [usize],
    stride: &'static [usize],
    pad: &'static [(usize, usize)],
}

const CONVS: &[ConvCase] = &[
    ConvCase { x: &[1, 2, 9], w: &[3, 2, 3], stride: &[2], pad: &[(1, 0)] },
    ConvCase { x: &[2, 1, 7], w: &[2, 1, 4], stride: &[1], pad: &[(0, 2)] },
    ConvCase { x: &[1, 2, 7, 6], w: &[3, 2, 3, 3], stride: &[1], pad: &[(1, 1)] },
    ConvCase { x: &[2, 3, 9, 8], w: &[2, 3, 5, 3], stride: &[2, 3], pad: &[(1, 2), (0, 1)] },
    ConvCase { x: &[1, 2, 4, 5, 5], w: &[2, 2, 2, 3, 3], stride: &[1, 2, 2], pad: &[(1, 0), (1, 1), (0, 2)] },
];

#[test]
fn conv_1d_2d_3d_with_bias() {
    for (i, c) in CONVS.iter().enumerate() {
        let p = ConvParams::asymmetric(c.stride, c.pad);
        let inputs = [rand(c.x, 40 + i as u64), rand(c.w, 50 + i as u64), rand(&[c.w[0]], 60 + i as u64)];
        check(&inputs, |v| v[0].conv(&v[1], Some(&v[2]), &p));
        check(&inputs[..2], |v| v[0].conv(&v[1], None, &p));
    }
}

#[test]
fn conv_transpose_1d_2d_3d_with_bias() {
    for (i, c) in CONVS.iter().enumerate() {
        let p = ConvParams::asymmetric(c.stride, c.pad);
        // the transposed conv maps the conv's output shape back to (about) its input shape
        let y = Tensor::zeros(c.x).conv(&Tensor::zeros(c.w), None, &p).unwrap();
        let wt: Vec<usize> = [&[c.w[0], c.w[1]][..], &c.w[2..]].concat();
        let inputs = [rand(y.shape(), 70 + i as u64), rand(&wt, 80 + i as u64), rand(&[c.w[1]], 90 + i as u64)];
        check(&inputs, |v| v[0].conv_transpose(&v[1], Some(&v[2]), &p));
    }
    // PyTorch ConvTranspose2d(k5, s2, p2, output_padding 1) = crop (2, 1)
    let p = ConvParams::asymmetric(&[2], &[(2, 1)]);
    check(&[rand(&[1, 2, 3, 3], 1), rand(&[2, 3, 5, 5], 2)], |v| v[0].conv_transpose2d(&v[1], None, &p));
}

#[test]
fn shape_ops() {
    let x = rand(&[2, 3, 4], 1);
    check(&[x.clone()], |v| v[0].reshape(&[4, 6]));
    check(&[x.clone()], |v| v[0].permute(&[2, 0, 1])?.mul(&v[0].permute(&[2, 0, 1])?));
    check(&[x.clone()], |v| v[0].narrow(2, 1, 2));
    check(&[x.clone()], |v| v[0].pad(&[(1, 0), (2, 1)], 0.5));
    check(&[rand(&[3, 1], 2)], |v| v[0].broadcast_to(&[2, 3, 4]));
    check(&[x.clone(), rand(&[2, 1, 4], 3)], |v| Var::cat(&[&v[0], &v[1]], 1));
    check(&[x.clone(), rand(&[2, 3, 4], 4)], |v| Var::stack(&[&v[0], &v[1]], 0));
    check(&[x.clone()], |v| v[0].flatten_from(1)?.unsqueeze(0)?.squeeze(0));
}

#[test]
fn batch_norm_in_batch_statistics_mode() {
    for (i, s) in [&[4, 3][..], &[2, 3, 5], &[2, 2, 3, 3], &[1, 2, 2, 2, 3]].iter().enumerate() {
        let c = s[1];
        let x = rand(s, 100 + i as u64);
        let gamma = rand(&[c], 110 + i as u64);
        let beta = rand(&[c], 120 + i as u64);
        let opts = GradCheck { atol: 2e-3, rtol: 2e-2, eps: 1e-2, ..Default::default() };
        opts.check(&[x.clone(), gamma.clone(), beta.clone()], |v| {
            Ok(v[0].batch_norm(Some(&v[1]), Some(&v[2]), 1e-5)?.0)
        })
        .unwrap_or_else(|e| panic!("{s:?}: {e}"));
        opts.check(&[x.clone()], |v| Ok(v[0].batch_norm(None, None, 1e-3)?.0)).unwrap_or_else(|e| panic!("{s:?}: {e}"));
    }
}

#[test]
fn the_checker_catches_a_wrong_gradient() {
    // x·x recorded with the rule of x (gradient 1 instead of 2x): must be rejected
    let x = rand(&[5], 1);
    let wrong = GradCheck::default().check(&[x], |v| v[0].square()?.detach().add(&v[0])?.sub(&v[0].detach()));
    assert!(wrong.is_err(), "a gradient of 1 where 2x is right must fail the check");
}
