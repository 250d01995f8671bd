//! Every tensor op against a naive reference loop written here, on random inputs of several
//! shapes (including views, broadcasting, batch 1 and odd sizes).

use tensor::{rng_from_seed, Tensor, UnaryOp};

fn close(a: &[f32], b: &[f32], tol: f32) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()) || (x.is_nan() && y.is_nan()))
}

fn rand(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut rng_from_seed(seed)).unwrap()
}

/// Row-major index → coordinates.
fn coords(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut c = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        c[a] = i % shape[a];
        i /= shape[a];
    }
    c
}
fn index(c: &[usize], shape: &[usize]) -> usize {
    c.iter().zip(shape).fold(0, |acc, (&ci, &d)| acc * d + ci)
}

const SHAPES: &[&[usize]] = &[&[1], &[7], &[3, 5], &[2, 3, 4], &[1, 3, 5, 7], &[2, 2, 3, 3, 5], &[40, 1000]];

#[test]
fn unary_ops_match_scalar_formulas() {
    let ops: Vec<(UnaryOp, fn(f32) -> f32)> = vec![
        (UnaryOp::Neg, |x| -x),
        (UnaryOp::Exp, f32::exp),
        (UnaryOp::Log, |x| x.abs().ln()),
        (UnaryOp::Sqrt, |x| x.abs().sqrt()),
        (UnaryOp::Square, |x| x * x),
        (UnaryOp::Abs, f32::abs),
        (UnaryOp::Relu, |x| if x > 0.0 { x } else { 0.0 }),
        (UnaryOp::LeakyRelu(0.2), |x| if x > 0.0 { x } else { 0.2 * x }),
        (UnaryOp::Tanh, f32::tanh),
        (UnaryOp::Sigmoid, |x| 1.0 / (1.0 + (-x).exp())),
        (UnaryOp::Affine { mul: 3.0, add: -1.0 }, |x| 3.0 * x - 1.0),
        (UnaryOp::Clamp(-0.5, 0.5), |x| x.clamp(-0.5, 0.5)),
        (UnaryOp::Step, |x| if x > 0.0 { 1.0 } else { 0.0 }),
    ];
    for (s, shape) in SHAPES.iter().enumerate() {
        let x = rand(shape, s as u64);
        for (op, f) in &ops {
            // log and sqrt are checked on |x|
            let input = if matches!(op, UnaryOp::Log | UnaryOp::Sqrt) { x.abs() } else { x.clone() };
            let want: Vec<f32> = x.to_vec().iter().map(|&v| f(v)).collect();
            assert!(close(&input.map(*op).to_vec(), &want, 1e-6), "{op:?} on {shape:?}");
        }
        assert!(close(
            &x.abs().powf(1.5).to_vec(),
            &x.to_vec().iter().map(|v| v.abs().powf(1.5)).collect::<Vec<_>>(),
            1e-6
        ));
    }
}

#[test]
fn binary_ops_broadcast_like_numpy() {
    let pairs: &[(&[usize], &[usize])] = &[
        (&[3, 5], &[3, 5]),
        (&[3, 5], &[5]),
        (&[3, 1], &[1, 5]),
        (&[2, 3, 4], &[3, 1]),
        (&[2, 3, 4, 5], &[1, 3, 1, 1]),
        (&[4], &[]),
        (&[64, 600], &[64, 1]),
    ];
    for (k, (sa, sb)) in pairs.iter().enumerate() {
        let a = rand(sa, 10 + k as u64);
        let b = rand(sb, 20 + k as u64).add_scalar(3.0); // away from 0 for div
        let out_shape: Vec<usize> = {
            let r = sa.len().max(sb.len());
            (0..r)
                .map(|i| {
                    let da = if i + sa.len() >= r { sa[i + sa.len() - r] } else { 1 };
                    let db = if i + sb.len() >= r { sb[i + sb.len() - r] } else { 1 };
                    da.max(db)
                })
                .collect()
        };
        let (av, bv) = (a.to_vec(), b.to_vec());
        let pick = |v: &[f32], s: &[usize], c: &[usize]| {
            let lead = c.len() - s.len();
            let cc: Vec<usize> = s.iter().enumerate().map(|(i, &d)| if d == 1 { 0 } else { c[lead + i] }).collect();
            v[index(&cc, s)]
        };
        let n: usize = out_shape.iter().product();
        let refs: Vec<(f32, f32)> = (0..n)
            .map(|i| {
                let c = coords(i, &out_shape);
                (pick(&av, sa, &c), pick(&bv, sb, &c))
            })
            .collect();
        let check = |got: Tensor, f: fn(f32, f32) -> f32, name: &str| {
            assert_eq!(got.shape(), &out_shape[..], "{name} shape");
            let want: Vec<f32> = refs.iter().map(|&(x, y)| f(x, y)).collect();
            assert!(close(&got.to_vec(), &want, 1e-6), "{name} {sa:?} {sb:?}");
        };
        check(a.add(&b).unwrap(), |x, y| x + y, "add");
        check(a.sub(&b).unwrap(), |x, y| x - y, "sub");
        check(a.mul(&b).unwrap(), |x, y| x * y, "mul");
        check(a.div(&b).unwrap(), |x, y| x / y, "div");
        check(a.maximum(&b.add_scalar(-3.0)).unwrap(), |x, y| x.max(y - 3.0), "maximum");
        check(a.gt(&b.add_scalar(-3.0)).unwrap(), |x, y| if x > y - 3.0 { 1.0 } else { 0.0 }, "gt");
    }
    assert!(rand(&[3, 4], 0).add(&rand(&[4, 3], 1)).is_err(), "incompatible shapes are an error");
}

#[test]
fn binary_ops_on_strided_views() {
    let a = rand(&[4, 6], 1);
    let b = rand(&[6, 4], 2);
    let bt = b.transpose(0, 1).unwrap(); // non-contiguous view
    let want: Vec<f32> = (0..24)
        .map(|i| {
            let (r, c) = (i / 6, i % 6);
            a.to_vec()[i] + b.to_vec()[c * 4 + r]
        })
        .collect();
    assert!(close(&a.add(&bt).unwrap().to_vec(), &want, 1e-6));
    let n = a.narrow(1, 2, 3).unwrap();
    assert_eq!(n.to_vec(), (0..12).map(|i| a.to_vec()[(i / 3) * 6 + 2 + i % 3]).collect::<Vec<_>>());
}

#[test]
fn reductions_match_loops() {
    for (s, shape) in SHAPES.iter().enumerate() {
        let x = rand(shape, 30 + s as u64);
        let xv = x.to_vec();
        let total: f64 = xv.iter().map(|&v| f64::from(v)).sum();
        assert!((x.sum_all().to_scalar().unwrap() as f64 - total).abs() < 1e-4 * (1.0 + total.abs()));
        let mx = xv.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(x.max_all().to_scalar().unwrap(), mx);
        // every subset of axes
        let rank = shape.len();
        for mask in 1..(1u32 << rank) {
            let axes: Vec<usize> = (0..rank).filter(|a| mask & (1 << a) != 0).collect();
            let out_shape: Vec<usize> =
                shape.iter().enumerate().map(|(a, &d)| if axes.contains(&a) { 1 } else { d }).collect();
            let mut sum = vec![0.0f64; out_shape.iter().product()];
            let mut max = vec![f32::NEG_INFINITY; sum.len()];
            for (i, &v) in xv.iter().enumerate() {
                let mut c = coords(i, shape);
                for &a in &axes {
                    c[a] = 0;
                }
                let o = index(&c, &out_shape);
                sum[o] += f64::from(v);
                max[o] = max[o].max(v);
            }
            let sum: Vec<f32> = sum.into_iter().map(|v| v as f32).collect();
            let got = x.sum(&axes, true).unwrap();
            assert_eq!(got.shape(), &out_shape[..]);
            assert!(close(&got.to_vec(), &sum, 1e-5), "sum {shape:?} over {axes:?}");
            assert!(close(&x.max(&axes, false).unwrap().to_vec(), &max, 0.0), "max {shape:?} over {axes:?}");
            let count: usize = axes.iter().map(|&a| shape[a]).product();
            let mean: Vec<f32> = sum.iter().map(|v| v / count as f32).collect();
            assert!(close(&x.mean(&axes, true).unwrap().to_vec(), &mean, 1e-5));
        }
    }
}

fn naive_matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| f64::from(a[i * k + p]) * f64::from(b[p * n + j])).sum::<f64>() as f32;
        }
    }
    c
}

#[test]
fn matmul_matches_triple_loop() {
    // the last two are large enough (m·n·k ≥ 2²¹) for the row-block split over threads
    for &(m, k, n) in
        &[(1, 1, 1), (3, 5, 2), (17, 33, 9), (64, 130, 70), (200, 64, 150), (301, 120, 90), (129, 257, 65)]
    {
        let a = rand(&[m, k], 1);
        let b = rand(&[k, n], 2);
        assert!(
            close(&a.matmul(&b).unwrap().to_vec(), &naive_matmul(&a.to_vec(), &b.to_vec(), m, k, n), 1e-4),
            "{m}x{k}x{n}"
        );
        // transposed views go straight to sgemm with swapped strides
        let at = rand(&[k, m], 3).transpose(0, 1).unwrap();
        assert!(close(&at.matmul(&b).unwrap().to_vec(), &naive_matmul(&at.to_vec(), &b.to_vec(), m, k, n), 1e-4));
    }
    // batched with a broadcast batch axis
    let a = rand(&[3, 4, 5], 4);
    let b = rand(&[1, 5, 2], 5);
    let c = a.matmul(&b).unwrap();
    assert_eq!(c.shape(), &[3, 4, 2]);
    for i in 0..3 {
        let want = naive_matmul(&a.get(i).unwrap().to_vec(), &b.get(0).unwrap().to_vec(), 4, 5, 2);
        assert!(close(&c.get(i).unwrap().to_vec(), &want, 1e-5));
    }
    assert!(a.matmul(&rand(&[4, 5], 0)).is_err());
}

#[test]
fn cat_stack_pad_and_views() {
    let a = rand(&[2, 3, 4], 1);
    let b = rand(&[2, 1, 4], 2);
    let c = Tensor::cat(&[&a, &b], 1).unwrap();
    assert_eq!(c.shape(), &[2, 4, 4]);
    for i in 0..32 {
        let co = coords(i, &[2, 4, 4]);
        let want = if co[1] < 3 {
            a.to_vec()[index(&co, &[2, 3, 4])]
        } else {
            b.to_vec()[index(&[co[0], 0, co[2]], &[2, 1, 4])]
        };
        assert_eq!(c.to_vec()[i], want);
    }
    let s = Tensor::stack(&[&a, &a], 0).unwrap();
    assert_eq!(s.shape(), &[2, 2, 3, 4]);
    assert_eq!(s.get(1).unwrap().to_vec(), a.to_vec());
    // pad: (before, after) on the last two axes
    let p = a.pad(&[(1, 0), (2, 1)], -1.0).unwrap();
    assert_eq!(p.shape(), &[2, 4, 7]);
    for i in 0..p.numel() {
        let co = coords(i, &[2, 4, 7]);
        let want = if co[1] >= 1 && co[2] >= 2 && co[2] < 6 {
            a.to_vec()[index(&[co[0], co[1] - 1, co[2] - 2], &[2, 3, 4])]
        } else {
            -1.0
        };
        assert_eq!(p.to_vec()[i], want);
    }
    // permute + contiguous copy
    let t = a.permute(&[2, 0, 1]).unwrap();
    assert_eq!(t.shape(), &[4, 2, 3]);
    for i in 0..24 {
        let co = coords(i, &[4, 2, 3]);
        assert_eq!(t.to_vec()[i], a.to_vec()[index(&[co[1], co[2], co[0]], &[2, 3, 4])]);
    }
    assert_eq!(t.reshape(&[4, usize::MAX]).unwrap().shape(), &[4, 6]);
    assert!(a.reshape(&[5, 5]).is_err());
    assert!(Tensor::from_vec(vec![1.0; 5], &[2, 3]).is_err());
    assert!(a.permute(&[0, 0, 1]).is_err());
    assert!(a.narrow(2, 3, 2).is_err());
}

#[test]
fn in_place_updates_and_copy_on_write() {
    let mut y = rand(&[100, 500], 1);
    let keep = y.clone(); // shares storage: axpy_ must not change it
    let x = rand(&[100, 500], 2);
    y.axpy_(0.5, &x).unwrap();
    let want: Vec<f32> = keep.to_vec().iter().zip(x.to_vec()).map(|(a, b)| a + 0.5 * b).collect();
    assert!(close(&y.to_vec(), &want, 1e-6));
    assert_eq!(keep.to_vec(), rand(&[100, 500], 1).to_vec(), "the other owner is untouched");
    y.scale_(2.0);
    assert!(close(&y.to_vec(), &want.iter().map(|v| 2.0 * v).collect::<Vec<_>>(), 1e-6));
    let mask = Tensor::from_vec(vec![1.0, 0.0, 1.0], &[3]).unwrap();
    let mut z = Tensor::zeros(&[3]);
    z.masked_assign_(&mask, &Tensor::full(&[3], 5.0)).unwrap();
    assert_eq!(z.to_vec(), vec![5.0, 0.0, 5.0]);
    assert!(z.axpy_(1.0, &Tensor::zeros(&[4])).is_err());
    // axpby_: a·y + b·x, from a strided x, the bits of scale_ then axpy_
    let (y0, xt) = (rand(&[30, 40], 3), rand(&[40, 30], 4).transpose(0, 1).unwrap());
    let mut y = y0.clone();
    y.axpby_(0.9, 0.3, &xt).unwrap();
    let want: Vec<f32> = y0.to_vec().iter().zip(xt.to_vec()).map(|(a, b)| 0.9 * a + 0.3 * b).collect();
    assert_eq!(y.to_vec(), want);
    let mut two_ops = y0.clone();
    two_ops.scale_(0.9);
    two_ops.axpy_(0.3, &xt).unwrap();
    assert_eq!(y.to_vec(), two_ops.to_vec());
    assert!(z.axpby_(1.0, 1.0, &Tensor::zeros(&[4])).is_err());
}

#[test]
fn random_draws_are_seeded_and_have_the_right_moments() {
    let a = Tensor::randn(&[100_000], 1.0, 2.0, &mut rng_from_seed(7)).unwrap();
    let b = Tensor::randn(&[100_000], 1.0, 2.0, &mut rng_from_seed(7)).unwrap();
    assert_eq!(a.to_vec(), b.to_vec(), "same seed, same numbers");
    let v = a.to_vec();
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / v.len() as f64;
    // standard errors: mean 2/√1e5 ≈ 0.0063, variance 4·√(2/1e5) ≈ 0.018; allow ~5 of them
    assert!((mean - 1.0).abs() < 0.03, "mean {mean}");
    assert!((var - 4.0).abs() < 0.1, "var {var}");
    let u = Tensor::rand_uniform(&[100_000], -1.0, 3.0, &mut rng_from_seed(8)).unwrap().to_vec();
    assert!(u.iter().all(|&x| (-1.0..3.0).contains(&x)));
    let um = u.iter().map(|&x| f64::from(x)).sum::<f64>() / u.len() as f64;
    assert!((um - 1.0).abs() < 0.02, "uniform mean {um}");
    let mut n = Tensor::zeros(&[50_000]);
    n.add_randn_(0.5, &mut rng_from_seed(9));
    let nv = n.to_vec();
    let nvar = nv.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / nv.len() as f64;
    assert!((nvar - 0.25).abs() < 0.01, "add_randn_ variance {nvar}");
    assert_ne!(tensor::rng_for(1, 0).clone().next_u64_for_test(), tensor::rng_for(1, 1).next_u64_for_test());
}

trait NextU64 {
    fn next_u64_for_test(&mut self) -> u64;
}
impl NextU64 for tensor::Rng {
    fn next_u64_for_test(&mut self) -> u64 {
        rand::RngCore::next_u64(self)
    }
}

#[test]
fn non_finite_values_are_found() {
    let t = Tensor::from_vec(vec![0.0, 1.0, f32::NAN, f32::INFINITY], &[4]).unwrap();
    assert_eq!(t.first_non_finite(), Some(2));
    assert_eq!(Tensor::ones(&[3]).first_non_finite(), None);
}

#[test]
fn devices_are_parsed_and_missing_ones_named() {
    use tensor::Device;
    assert_eq!(Device::parse("cpu").unwrap(), Device::Cpu);
    let bad = Device::parse("gpu").unwrap_err().to_string();
    assert!(bad.contains("expected cpu, cuda or cuda:N"), "{bad}");
    assert!(Device::parse("cuda:x").is_err());
    #[cfg(not(feature = "cuda"))]
    {
        let e = Device::parse("cuda:0").unwrap_err().to_string();
        assert!(e.contains("--features cuda"), "{e}");
    }
}

#[test]
fn tensors_move_between_devices_and_keep_their_numbers() {
    use tensor::Device;
    let x = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap().transpose(0, 1).unwrap();
    let y = x.to_device(&Device::Cpu).unwrap();
    assert_eq!(y.to_vec(), x.to_vec());
    let z = Tensor::zeros_on(&[2, 2], &Device::Cpu).unwrap();
    assert_eq!(z.device(), Device::Cpu);
    assert_eq!(x.zeros_beside(&[4]).shape(), &[4]);
}

/// The fused optimizer updates give the same bits as the separate ops they replace.
#[test]
fn fused_sgd_and_adam_match_the_separate_ops() {
    let mut rng = rng_from_seed(11);
    let p0 = Tensor::randn(&[40_000], 0.0, 1.0, &mut rng).unwrap();
    let m0 = Tensor::randn(&[40_000], 0.0, 0.1, &mut rng).unwrap();
    let v0 = Tensor::rand_uniform(&[40_000], 0.0, 0.1, &mut rng).unwrap();
    let g =
        Tensor::randn(&[200, 200], 0.0, 1.0, &mut rng).unwrap().transpose(0, 1).unwrap().reshape(&[40_000]).unwrap();

    let (mut p, mut v) = (p0.clone(), m0.clone());
    p.sgd_momentum_(&mut v, &g, 0.5, -0.01).unwrap();
    let mut v_ref = m0.clone();
    v_ref.scale_(0.5);
    v_ref.axpy_(1.0, &g).unwrap();
    let mut p_ref = p0.clone();
    p_ref.axpy_(-0.01, &v_ref).unwrap();
    assert_eq!(p.to_vec(), p_ref.to_vec());
    assert_eq!(v.to_vec(), v_ref.to_vec());

    let s = tensor::AdamStep { beta1: 0.5, beta2: 0.999, eps: 1e-8, c1: 2.0, c2: 1000.5, step: -1e-3 };
    let (mut p, mut m, mut v) = (p0.clone(), m0.clone(), v0.clone());
    p.adam_(&mut m, &mut v, &g, &s).unwrap();
    let (mut m_ref, mut v_ref) = (m0.clone(), v0.clone());
    m_ref.scale_(s.beta1);
    m_ref.axpy_(1.0 - s.beta1, &g).unwrap();
    v_ref.scale_(s.beta2);
    v_ref.axpy_(1.0 - s.beta2, &g.square()).unwrap();
    let mhat = m_ref.mul_scalar(s.c1);
    let denom = v_ref.mul_scalar(s.c2).sqrt().add_scalar(s.eps);
    let mut p_ref = p0.clone();
    p_ref.axpy_(s.step, &mhat.div(&denom).unwrap()).unwrap();
    assert_eq!(m.to_vec(), m_ref.to_vec());
    assert_eq!(v.to_vec(), v_ref.to_vec());
    assert_eq!(p.to_vec(), p_ref.to_vec());
    // the moments' storage was not shared with the starting tensors (copy-on-write)
    assert_ne!(m.to_vec(), m0.to_vec());
    assert!(p.clone().sgd_momentum_(&mut v, &Tensor::zeros(&[3]), 0.5, 0.1).is_err());
}

/// `channel_sums` and `channel_affine` against loops over (i, k, j) of `[n, c, s]`, for 2-d to
/// 5-d shapes, a non-contiguous input (made contiguous first), and wrong shapes refused.
#[test]
fn per_channel_sums_and_affine_maps_match_loops() {
    for (t, shape) in [&[4, 3][..], &[2, 5, 7], &[3, 4, 5, 6], &[2, 3, 2, 3, 4], &[1, 2, 33, 33]].iter().enumerate() {
        let seed = 900 + 10 * t as u64;
        let (a, b) = (rand(shape, seed), rand(shape, seed + 1));
        let (n, c) = (shape[0], shape[1]);
        let s: usize = shape[2..].iter().product();
        let shift = rand(&[c], seed + 2);
        let coef = rand(&[3, c], seed + 3);
        let (av, bv, sh, k) = (a.to_vec(), b.to_vec(), shift.to_vec(), coef.to_vec());
        let mut want_sums = vec![0.0f64; 2 * c];
        let mut want_affine = vec![0.0f32; av.len()];
        for i in 0..n {
            for ch in 0..c {
                for j in 0..s {
                    let e = (i * c + ch) * s + j;
                    want_sums[ch] += f64::from(av[e]);
                    want_sums[c + ch] += f64::from(av[e]) * (f64::from(bv[e]) - f64::from(sh[ch]));
                    want_affine[e] = k[ch] * av[e] + k[c + ch] * bv[e] + k[2 * c + ch];
                }
            }
        }
        let want_sums: Vec<f32> = want_sums.into_iter().map(|v| v as f32).collect();
        let got = a.channel_sums(&b, &shift).unwrap();
        assert_eq!(got.shape(), &[2, c]);
        assert!(close(&got.to_vec(), &want_sums, 1e-5), "{shape:?}: {:?} vs {want_sums:?}", got.to_vec());
        let got = a.channel_affine(&b, &coef).unwrap();
        assert_eq!(got.to_vec(), want_affine, "{shape:?}: affine");
        // central: Σ (a − shift)², the variance's numerator when the shift is the mean
        let mut want_sq = vec![0.0f64; c];
        for (e, &v) in av.iter().enumerate() {
            want_sq[(e / s) % c] += (f64::from(v) - f64::from(sh[(e / s) % c])).powi(2);
        }
        let got = a.channel_central_sums(&shift).unwrap().to_vec();
        let want: Vec<f32> = want_sums[..c].iter().copied().chain(want_sq.iter().map(|&v| v as f32)).collect();
        assert!(close(&got, &want, 1e-5), "{shape:?}: central {got:?} vs {want:?}");
        // moments: Σ a and Σ (a − μ)², μ = Σ a / m, against a naive loop, and bit for bit the
        // three ops it replaces (sums, the mean by mul_scalar, central sums)
        let m = av.len() / c;
        let mean: Vec<f64> = want_sums[..c].iter().map(|&v| f64::from(v) / m as f64).collect();
        let mut want_var = vec![0.0f64; c];
        for (e, &v) in av.iter().enumerate() {
            want_var[(e / s) % c] += (f64::from(v) - mean[(e / s) % c]).powi(2);
        }
        let got = a.channel_moments().unwrap();
        assert_eq!(got.shape(), &[2, c]);
        let want: Vec<f32> = want_sums[..c].iter().copied().chain(want_var.iter().map(|&v| v as f32)).collect();
        assert!(close(&got.to_vec(), &want, 1e-5), "{shape:?}: moments {:?} vs {want:?}", got.to_vec());
        let sums = a.channel_sums(&a, &Tensor::zeros(&[c])).unwrap();
        let mu = sums.narrow(0, 0, 1).unwrap().reshape(&[c]).unwrap().mul_scalar(1.0 / m as f32);
        assert_eq!(got.to_vec(), a.channel_central_sums(&mu).unwrap().to_vec(), "{shape:?}: moments' bits");
    }
    // a transposed view gives the numbers of its contiguous copy
    let v = rand(&[3, 4, 5], 990).permute(&[1, 0, 2]).unwrap();
    let (z, one) = (Tensor::zeros(&[3]), Tensor::ones(&[3, 3]));
    assert_eq!(
        v.channel_sums(&v, &z).unwrap().to_vec(),
        v.contiguous().channel_sums(&v.contiguous(), &z).unwrap().to_vec()
    );
    assert_eq!(v.channel_affine(&v, &one).unwrap().to_vec(), v.contiguous().channel_affine(&v, &one).unwrap().to_vec());
    // wrong shapes are errors
    let x = rand(&[2, 3, 4], 991);
    assert!(x.channel_sums(&x, &Tensor::zeros(&[4])).is_err(), "shift of the wrong length");
    assert!(x.channel_sums(&rand(&[2, 3, 5], 992), &Tensor::zeros(&[3])).is_err(), "b of another shape");
    assert!(x.channel_affine(&x, &Tensor::zeros(&[2, 3])).is_err(), "two rows of coefficients");
    assert!(rand(&[5], 993).channel_sums(&rand(&[5], 994), &Tensor::zeros(&[5])).is_err(), "no channel axis");
}

/// Batch norm's coefficient kernels against the closed forms written out with loops here:
/// `y = γ·(x − μ)/√(σ² + ε) + β` and `∂L/∂x = γ/√(σ² + ε)·(g − mean g − x̂·mean(g·x̂))`.
#[test]
fn batch_norm_coefficients_give_the_closed_forms() {
    let (n, c, s, eps) = (3, 4, 10, 1e-3f32);
    let x = rand(&[n, c, s], 1000).affine(2.0, 0.5);
    let g = rand(&[n, c, s], 1001);
    let (gamma, beta) = (rand(&[c], 1002), rand(&[c], 1003));
    let m = (n * s) as f32;
    let mean_t = x
        .channel_sums(&x, &Tensor::zeros(&[c]))
        .unwrap()
        .narrow(0, 0, 1)
        .unwrap()
        .reshape(&[c])
        .unwrap()
        .mul_scalar(1.0 / m);
    let fwd =
        Tensor::batch_norm_coefficients(&x.channel_central_sums(&mean_t).unwrap(), &gamma, &beta, m, eps).unwrap();
    let y = x.channel_affine(&x, &fwd).unwrap().to_vec();
    let back = Tensor::batch_norm_grad_coefficients(&g.channel_sums(&x, &mean_t).unwrap(), &fwd, m).unwrap();
    let dx = g.channel_affine(&x, &back).unwrap().to_vec();
    let (xv, gv, gam, bet, back) = (x.to_vec(), g.to_vec(), gamma.to_vec(), beta.to_vec(), back.to_vec());
    for k in 0..c {
        let idx: Vec<usize> = (0..n).flat_map(|i| (0..s).map(move |j| (i * c + k) * s + j)).collect();
        let mean = idx.iter().map(|&e| f64::from(xv[e])).sum::<f64>() / f64::from(m);
        let var = idx.iter().map(|&e| (f64::from(xv[e]) - mean).powi(2)).sum::<f64>() / f64::from(m);
        let inv = 1.0 / (var + f64::from(eps)).sqrt();
        let xhat = |e: usize| (f64::from(xv[e]) - mean) * inv;
        let mg = idx.iter().map(|&e| f64::from(gv[e])).sum::<f64>() / f64::from(m);
        let mgx = idx.iter().map(|&e| f64::from(gv[e]) * xhat(e)).sum::<f64>() / f64::from(m);
        for &e in &idx {
            let want_y = f64::from(gam[k]) * xhat(e) + f64::from(bet[k]);
            let want_dx = f64::from(gam[k]) * inv * (f64::from(gv[e]) - mg - xhat(e) * mgx);
            assert!((f64::from(y[e]) - want_y).abs() < 1e-4 * (1.0 + want_y.abs()), "y[{e}] {} vs {want_y}", y[e]);
            assert!(
                (f64::from(dx[e]) - want_dx).abs() < 1e-4 * (1.0 + want_dx.abs()),
                "dx[{e}] {} vs {want_dx}",
                dx[e]
            );
        }
        // rows 3 and 4 of the backward: ∂L/∂γ = Σ g·x̂, ∂L/∂β = Σ g
        let (dgamma, dbeta) = (mgx * f64::from(m), mg * f64::from(m));
        assert!((f64::from(back[3 * c + k]) - dgamma).abs() < 1e-4 * (1.0 + dgamma.abs()), "dγ[{k}]");
        assert!((f64::from(back[4 * c + k]) - dbeta).abs() < 1e-4 * (1.0 + dbeta.abs()), "dβ[{k}]");
    }
    assert!(
        Tensor::batch_norm_coefficients(&Tensor::zeros(&[3, c]), &gamma, &beta, m, eps).is_err(),
        "three rows of sums"
    );
    assert!(Tensor::batch_norm_grad_coefficients(&Tensor::zeros(&[2, c]), &Tensor::zeros(&[5, c]), m).is_err());
    // a constant channel far from 0: the variance is 0, not a negative rounding error (NaN)
    let x = Tensor::full(&[3, 2, 10], 100.0);
    let sums = x.channel_sums(&x, &Tensor::zeros(&[2])).unwrap();
    let mean = sums.narrow(0, 0, 1).unwrap().reshape(&[2]).unwrap().mul_scalar(1.0 / 30.0);
    let (g2, b2) = (gamma.narrow(0, 0, 2).unwrap(), beta.narrow(0, 0, 2).unwrap());
    let fwd = Tensor::batch_norm_coefficients(&x.channel_central_sums(&mean).unwrap(), &g2, &b2, 30.0, 1e-5).unwrap();
    assert!(fwd.to_vec().iter().all(|v| v.is_finite()), "{:?}", fwd.to_vec());
    assert!(fwd.narrow(0, 4, 1).unwrap().to_vec().iter().all(|&v| v >= 0.0), "variance below 0");
}
