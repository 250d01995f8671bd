//! Convolution kernels against naive reference loops written here, over random shapes that
//! include batch 1, odd sizes, stride > 1, asymmetric padding, 1-d/2-d/3-d, and shapes big
//! enough to be split into several tiles (the fast path) and several images per thread.

use tensor::{rng_from_seed, ConvParams, Tensor};

/// Reference: y[n,co,o] = b[co] + Σ_{ci,k} w[co,ci,k] · x[n,ci,o·s + k − pad_before].
/// Shapes are normalised to 3 spatial axes.
#[allow(clippy::too_many_arguments)]
fn naive_conv(
    x: &[f32],
    xs: [usize; 5],
    w: &[f32],
    ws: [usize; 5],
    b: Option<&[f32]>,
    s: [usize; 3],
    pb: [usize; 3],
    os: [usize; 3],
) -> Vec<f32> {
    let [n, ci_n, d, h, wd] = xs;
    let [co_n, _, kd, kh, kw] = ws;
    let mut y = vec![0.0f64; n * co_n * os[0] * os[1] * os[2]];
    let mut i = 0;
    for b_ in 0..n {
        for co in 0..co_n {
            for od in 0..os[0] {
                for oh in 0..os[1] {
                    for ow in 0..os[2] {
                        let mut acc = b.map_or(0.0, |b| f64::from(b[co]));
                        for ci in 0..ci_n {
                            for a in 0..kd {
                                for bb in 0..kh {
                                    for c in 0..kw {
                                        let id = (od * s[0] + a) as isize - pb[0] as isize;
                                        let ih = (oh * s[1] + bb) as isize - pb[1] as isize;
                                        let iw = (ow * s[2] + c) as isize - pb[2] as isize;
                                        if id < 0
                                            || ih < 0
                                            || iw < 0
                                            || id >= d as isize
                                            || ih >= h as isize
                                            || iw >= wd as isize
                                        {
                                            continue;
                                        }
                                        let xv = x[(((b_ * ci_n + ci) * d + id as usize) * h + ih as usize) * wd
                                            + iw as usize];
                                        let wv = w[(((co * ci_n + ci) * kd + a) * kh + bb) * kw + c];
                                        acc += f64::from(xv) * f64::from(wv);
                                    }
                                }
                            }
                        }
                        y[i] = acc;
                        i += 1;
                    }
                }
            }
        }
    }
    y.into_iter().map(|v| v as f32).collect()
}

/// Reference transposed conv as a scatter: every input element adds w·x onto the outputs
/// it touches: y[n,co,i·s + k − crop] += w[ci,co,k]·x[n,ci,i].
fn naive_conv_transpose(
    x: &[f32],
    xs: [usize; 5],
    w: &[f32],
    ws: [usize; 5],
    s: [usize; 3],
    crop: [usize; 3],
    os: [usize; 3],
) -> Vec<f32> {
    let [n, ci_n, d, h, wd] = xs;
    let [_, co_n, kd, kh, kw] = ws;
    let mut y = vec![0.0f64; n * co_n * os[0] * os[1] * os[2]];
    for b_ in 0..n {
        for ci in 0..ci_n {
            for id in 0..d {
                for ih in 0..h {
                    for iw in 0..wd {
                        let xv = f64::from(x[(((b_ * ci_n + ci) * d + id) * h + ih) * wd + iw]);
                        for co in 0..co_n {
                            for a in 0..kd {
                                for bb in 0..kh {
                                    for c in 0..kw {
                                        let od = (id * s[0] + a) as isize - crop[0] as isize;
                                        let oh = (ih * s[1] + bb) as isize - crop[1] as isize;
                                        let ow = (iw * s[2] + c) as isize - crop[2] as isize;
                                        if od < 0
                                            || oh < 0
                                            || ow < 0
                                            || od >= os[0] as isize
                                            || oh >= os[1] as isize
                                            || ow >= os[2] as isize
                                        {
                                            continue;
                                        }
                                        let wv = f64::from(w[(((ci * co_n + co) * kd + a) * kh + bb) * kw + c]);
                                        y[(((b_ * co_n + co) * os[0] + od as usize) * os[1] + oh as usize) * os[2]
                                            + ow as usize] += xv * wv;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    y.into_iter().map(|v| v as f32).collect()
}

fn to5(s: &[usize]) -> [usize; 5] {
    let mut a = [1; 5];
    a[0] = s[0];
    a[1] = s[1];
    a[5 - (s.len() - 2)..].copy_from_slice(&s[2..]);
    a
}
fn to3(s: &[usize], fill: usize) -> [usize; 3] {
    let mut a = [fill; 3];
    a[3 - s.len()..].copy_from_slice(s);
    a
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}: element {i}: got {g}, want {w}");
    }
}

struct Case {
    x: Vec<usize>,
    w: Vec<usize>,
    stride: Vec<usize>,
    pad: Vec<(usize, usize)>,
    bias: bool,
}

fn cases() -> Vec<Case> {
    let c = |x: &[usize], w: &[usize], stride: &[usize], pad: &[(usize, usize)], bias| Case {
        x: x.to_vec(),
        w: w.to_vec(),
        stride: stride.to_vec(),
        pad: pad.to_vec(),
        bias,
    };
    vec![
        // 1-d: batch 1, odd length, stride 3, asymmetric pad
        c(&[1, 2, 17], &[3, 2, 4], &[3], &[(0, 2)], true),
        c(&[3, 1, 9], &[2, 1, 1], &[1], &[(0, 0)], false),
        // 2-d
        c(&[1, 3, 7, 9], &[4, 3, 3, 3], &[1], &[(1, 1)], true),
        c(&[2, 3, 11, 10], &[5, 3, 5, 5], &[2], &[(1, 2)], false),
        c(&[1, 1, 8, 8], &[2, 1, 4, 4], &[2, 1], &[(1, 2), (0, 3)], true),
        // texture conv1 shape in small: 15×15 stride 3 pad 2
        c(&[1, 3, 32, 32], &[6, 3, 15, 15], &[3], &[(2, 2)], true),
        // many tiles and more images than threads (both backward-data paths)
        c(&[9, 8, 40, 40], &[6, 8, 3, 3], &[1], &[(1, 1)], true),
        c(&[1, 100, 20, 20], &[7, 100, 5, 5], &[1], &[(2, 2)], false),
        // long strided rows (row runs, not a patch table); a long 1-d row
        c(&[1, 2, 90, 90], &[3, 2, 5, 5], &[2], &[(2, 1)], true),
        c(&[2, 3, 50], &[2, 3, 3], &[1], &[(1, 1)], false),
        // small images, several per GEMM (one chunk; two uneven chunks)
        c(&[5, 6, 4, 4], &[7, 6, 3, 3], &[1], &[(1, 1)], true),
        c(&[40, 3, 4, 4], &[5, 3, 2, 2], &[1], &[(0, 1)], true),
        // 3-d: (time, h, w) with anisotropic stride
        c(&[2, 2, 5, 6, 7], &[3, 2, 2, 3, 3], &[1, 2, 2], &[(1, 0), (1, 1), (0, 2)], true),
        // ≥ 16 channels on small maps (16×16 register tiles over tap classes): a generator's
        // 8×8 → 4×4 with crop (2, 1), channel counts that are not multiples of 16, TF SAME on
        // 7×7, outputs that see only padding (pad 3 > kernel 2), and 3-d
        c(&[3, 17, 8, 8], &[18, 17, 5, 5], &[2], &[(2, 1)], true),
        c(&[2, 16, 7, 7], &[33, 16, 4, 4], &[2], &[(1, 2)], true),
        c(&[2, 16, 3], &[16, 16, 2], &[1], &[(3, 3)], true),
        c(&[3, 16, 6, 6], &[17, 16, 3, 3], &[1], &[(0, 0)], true), // no padding: one class
        c(&[2, 16, 9, 9], &[16, 16, 2, 2], &[3], &[(1, 1)], true), // stride > kernel
        c(&[2, 16, 3, 4, 4], &[20, 16, 2, 3, 3], &[1, 2, 2], &[(1, 0), (1, 1), (1, 1)], false),
        // batches of ≥ 16 images (the images-innermost blocks): a part-filled last block of 16,
        // maps whose size is not a multiple of 16 (36 outputs; the input gradient's 7×7)
        c(&[30, 16, 6, 6], &[16, 16, 3, 3], &[1], &[(1, 1)], true),
        c(&[32, 20, 7, 7], &[17, 20, 4, 4], &[2], &[(1, 2)], false),
        c(&[16, 16, 9, 9], &[16, 16, 2, 2], &[3], &[(1, 1)], true), // inputs that no tap reaches
        c(&[16, 16, 9], &[16, 16, 3], &[2], &[(1, 1)], false),
        c(&[16, 16, 3, 4, 4], &[17, 16, 2, 3, 3], &[1, 2, 2], &[(1, 0), (1, 1), (1, 1)], true),
        // stride 1 on large maps (read in place from padded windows): the texture net's full
        // padding, asymmetric padding, no padding, padding beyond the kernel (the input
        // gradient then takes im2col), a long 1-d row, and 3-d
        c(&[1, 30, 24, 24], &[24, 30, 5, 5], &[1], &[(4, 4)], true),
        c(&[2, 16, 20, 21], &[17, 16, 3, 3], &[1], &[(2, 1)], false),
        c(&[1, 16, 22, 22], &[16, 16, 3, 3], &[1], &[(0, 0)], true),
        c(&[1, 16, 20, 20], &[16, 16, 3, 3], &[1], &[(3, 3)], true),
        c(&[2, 16, 300], &[16, 16, 9], &[1], &[(4, 4)], true),
        c(&[1, 16, 4, 12, 12], &[16, 16, 3, 3, 3], &[1], &[(1, 1)], true),
        // strided, as stride 1 over the phases of the map (space to depth): the texture net's
        // 15×15 stride-3 first layer (its bench padding and its full padding), 4×4 stride 2,
        // a kernel of two phases with asymmetric padding, 1-d, and 3-d with stride (1, 2, 2)
        c(&[1, 3, 60, 60], &[24, 3, 15, 15], &[3], &[(2, 2)], true),
        c(&[1, 3, 40, 40], &[20, 3, 15, 15], &[3], &[(14, 14)], false),
        c(&[2, 8, 40, 40], &[16, 8, 4, 4], &[2], &[(1, 1)], true),
        c(&[1, 4, 50, 50], &[16, 4, 6, 6], &[3], &[(2, 1)], true),
        c(&[2, 16, 400], &[16, 16, 8], &[2], &[(3, 3)], false),
        c(&[1, 8, 4, 24, 24], &[16, 8, 3, 4, 4], &[1, 2, 2], &[(1, 1)], true),
        // 5×5 stride 2 (3×3 taps per phase, 2×2 for phase (1, 1): channels and rows grouped by
        // phase skip the taps past the kernel), 16 channels per phase; and 3 → 64 channels as
        // the ABP generator's last layer's gradient (3 per phase: left to im2col)
        c(&[1, 3, 64, 64], &[64, 3, 5, 5], &[2], &[(2, 1)], false),
        c(&[1, 16, 40, 40], &[24, 16, 5, 5], &[2], &[(2, 2)], true),
    ]
}

#[test]
fn conv_forward_matches_naive_loops() {
    let mut rng = rng_from_seed(1);
    for case in cases() {
        let x = Tensor::randn(&case.x, 0.0, 1.0, &mut rng).unwrap();
        let w = Tensor::randn(&case.w, 0.0, 1.0, &mut rng).unwrap();
        let b = Tensor::randn(&[case.w[0]], 0.0, 1.0, &mut rng).unwrap();
        let p = ConvParams::asymmetric(&case.stride, &case.pad);
        let y = x.conv(&w, case.bias.then_some(&b), &p).unwrap();
        let dims = case.x.len() - 2;
        let pads: Vec<usize> = (0..dims).map(|i| case.pad[i.min(case.pad.len() - 1)].0).collect();
        let strides: Vec<usize> = (0..dims).map(|i| case.stride[i.min(case.stride.len() - 1)]).collect();
        let want = naive_conv(
            &x.to_vec(),
            to5(&case.x),
            &w.to_vec(),
            to5(&case.w),
            case.bias.then_some(&b.to_vec()[..]),
            to3(&strides, 1),
            to3(&pads, 0),
            to3(&y.shape()[2..], 1),
        );
        assert_close(&y.to_vec(), &want, 1e-4, &format!("conv {:?} * {:?}", case.x, case.w));
    }
}

#[test]
fn conv_output_sizes_follow_the_formula() {
    // floor((in + pb + pe − k)/s) + 1
    let x = Tensor::zeros(&[1, 1, 64, 64]);
    let w = Tensor::zeros(&[1, 1, 5, 5]);
    let y = x.conv2d(&w, None, &ConvParams::tf_same(&[64, 64], &[5, 5], &[2, 2])).unwrap();
    assert_eq!(y.shape(), &[1, 1, 32, 32]);
    let x = Tensor::zeros(&[1, 3, 224, 224]);
    let w = Tensor::zeros(&[100, 3, 15, 15]);
    assert_eq!(x.conv2d(&w, None, &ConvParams::new(3, 2)).unwrap().shape(), &[1, 100, 72, 72]);
}

#[test]
fn conv_transpose_matches_naive_scatter() {
    let mut rng = rng_from_seed(2);
    for case in cases() {
        // reuse the conv cases: the transposed conv maps the conv's output shape back
        let (ci, co) = (case.w[1], case.w[0]);
        let p = ConvParams::asymmetric(&case.stride, &case.pad);
        let y_shape = Tensor::zeros(&case.x).conv(&Tensor::zeros(&case.w), None, &p).unwrap().shape().to_vec();
        let x = Tensor::randn(&y_shape, 0.0, 1.0, &mut rng).unwrap();
        let wt_shape: Vec<usize> = [&[co, ci][..], &case.w[2..]].concat();
        let w = Tensor::randn(&wt_shape, 0.0, 1.0, &mut rng).unwrap();
        let b = Tensor::randn(&[ci], 0.0, 1.0, &mut rng).unwrap();
        let out = x.conv_transpose(&w, case.bias.then_some(&b), &p).unwrap();
        let dims = case.x.len() - 2;
        let pads: Vec<usize> = (0..dims).map(|i| case.pad[i.min(case.pad.len() - 1)].0).collect();
        let strides: Vec<usize> = (0..dims).map(|i| case.stride[i.min(case.stride.len() - 1)]).collect();
        // the full output is (in − 1)·s + k minus crops; it may be smaller than case.x when
        // the conv dropped remainder pixels, so compare with the naive scatter at that size
        let mut want = naive_conv_transpose(
            &x.to_vec(),
            to5(&y_shape),
            &w.to_vec(),
            to5(&wt_shape),
            to3(&strides, 1),
            to3(&pads, 0),
            to3(&out.shape()[2..], 1),
        );
        if case.bias {
            let plane: usize = out.shape()[2..].iter().product();
            let bv = b.to_vec();
            for (i, v) in want.iter_mut().enumerate() {
                *v += bv[(i / plane) % ci];
            }
        }
        assert_close(&out.to_vec(), &want, 1e-4, &format!("conv_transpose of {y_shape:?}"));
    }
}

#[test]
fn conv_transpose_sizes_express_pytorch_tf_and_matconvnet() {
    let x = Tensor::zeros(&[1, 4, 16, 16]);
    let w = Tensor::zeros(&[4, 2, 5, 5]);
    // PyTorch ConvTranspose2d(k5, s2, p2, output_padding=1) = crop (2, 1): 16 → 32
    assert_eq!(
        x.conv_transpose2d(&w, None, &ConvParams::asymmetric(&[2], &[(2, 1)])).unwrap().shape(),
        &[1, 2, 32, 32]
    );
    // MatConvNet crop [1, 2]: 16 → 32 as well
    assert_eq!(
        x.conv_transpose2d(&w, None, &ConvParams::asymmetric(&[2], &[(1, 2)])).unwrap().shape(),
        &[1, 2, 32, 32]
    );
    // TF SAME 4×4 stride 2 from 4 → 7 (crop (1, 2)) as in the MNIST generator
    let x = Tensor::zeros(&[1, 3, 4, 4]);
    let w = Tensor::zeros(&[3, 2, 4, 4]);
    assert_eq!(
        x.conv_transpose2d(&w, None, &ConvParams::asymmetric(&[2], &[(1, 2)])).unwrap().shape(),
        &[1, 2, 9, 9][..2].iter().chain(&[7, 7]).copied().collect::<Vec<_>>()[..]
    );
}

#[test]
fn conv_gradients_are_adjoints_of_the_forward() {
    // <conv(x), dy> = <x, conv_backward_data(dy)> and = <w, conv_backward_weight(x, dy)>
    let mut rng = rng_from_seed(3);
    for case in cases() {
        let p = ConvParams::asymmetric(&case.stride, &case.pad);
        let x = Tensor::randn(&case.x, 0.0, 1.0, &mut rng).unwrap();
        let w = Tensor::randn(&case.w, 0.0, 1.0, &mut rng).unwrap();
        let y = x.conv(&w, None, &p).unwrap();
        let dy = Tensor::randn(y.shape(), 0.0, 1.0, &mut rng).unwrap();
        let dot = |a: &Tensor, b: &Tensor| {
            a.to_vec().iter().zip(b.to_vec()).map(|(p, q)| f64::from(*p) * f64::from(q)).sum::<f64>()
        };
        let lhs = dot(&y, &dy);
        let dx = dy.conv_backward_data(&w, &case.x, &p).unwrap();
        let dw = x.conv_backward_weight(&dy, &case.w, &p).unwrap();
        let tol = 1e-4 * (1.0 + lhs.abs());
        assert!((dot(&x, &dx) - lhs).abs() < tol, "data adjoint {:?}: {} vs {lhs}", case.x, dot(&x, &dx));
        assert!((dot(&w, &dw) - lhs).abs() < tol, "weight adjoint {:?}: {} vs {lhs}", case.x, dot(&w, &dw));
    }
}

#[test]
fn conv_rejects_bad_shapes_with_errors() {
    let x = Tensor::zeros(&[1, 3, 8, 8]);
    assert!(x.conv2d(&Tensor::zeros(&[4, 2, 3, 3]), None, &ConvParams::new(1, 0)).is_err(), "channel mismatch");
    assert!(x.conv2d(&Tensor::zeros(&[4, 3, 9, 9]), None, &ConvParams::new(1, 0)).is_err(), "kernel larger than input");
    assert!(
        x.conv2d(&Tensor::zeros(&[4, 3, 3, 3]), Some(&Tensor::zeros(&[3])), &ConvParams::new(1, 0)).is_err(),
        "bias size"
    );
    assert!(x.conv2d(&Tensor::zeros(&[4, 3, 3, 3]), None, &ConvParams::new(0, 0)).is_err(), "stride 0");
    assert!(x.conv1d(&Tensor::zeros(&[4, 3, 3]), None, &ConvParams::new(1, 0)).is_err(), "rank");
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    // resumed training must reach the same numbers on any machine: every conv kernel gives
    // bit-identical results with 1, 2 and 3 threads (batch 1 and a batch of 6)
    let mut rng = rng_from_seed(4);
    let shapes = [
        ([1, 3, 40, 40], [8, 3, 7, 7], 3, 2),
        ([6, 5, 17, 17], [4, 5, 3, 3], 1, 1),
        ([70, 4, 5, 5], [6, 4, 3, 3], 1, 1),
        ([37, 17, 8, 8], [18, 17, 5, 5], 2, 2),
        ([32, 16, 7, 7], [17, 16, 4, 4], 2, 1),
        ([1, 32, 30, 30], [24, 32, 5, 5], 1, 4),
        ([3, 16, 40, 33], [30, 16, 3, 3], 1, 2),
        ([1, 3, 60, 60], [24, 3, 15, 15], 3, 14),
    ];
    for (xs, ws, stride, pad) in shapes {
        let x = Tensor::randn(&xs, 0.0, 1.0, &mut rng).unwrap();
        let w = Tensor::randn(&ws, 0.0, 1.0, &mut rng).unwrap();
        let p = ConvParams::new(stride, pad);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let y = x.conv2d(&w, None, &p).unwrap();
                let dx = y.conv_backward_data(&w, x.shape(), &p).unwrap();
                let dw = x.conv_backward_weight(&y, w.shape(), &p).unwrap();
                let s = y.sum(&[0, 2, 3], false).unwrap();
                [y, dx, dw, s].map(|t| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>())
            })
        };
        let one = run(1);
        assert_eq!(one, run(2), "1 vs 2 threads, input {xs:?}");
        assert_eq!(one, run(3), "1 vs 3 threads, input {xs:?}");
    }
}

#[test]
fn small_images_batched_into_one_gemm_match_one_image_at_a_time() {
    // 70 images of 4×4 (P = 16): every pass puts up to 32 images in one GEMM;
    // each image alone (batch 1) takes the one-image kernels
    let mut rng = rng_from_seed(5);
    let x = Tensor::randn(&[70, 6, 4, 4], 0.0, 1.0, &mut rng).unwrap();
    let w = Tensor::randn(&[9, 6, 3, 3], 0.0, 1.0, &mut rng).unwrap();
    let b = Tensor::randn(&[9], 0.0, 1.0, &mut rng).unwrap();
    let p = ConvParams::new(1, 1);
    let y = x.conv2d(&w, Some(&b), &p).unwrap();
    assert_alone_as_in_the_batch(&x, &w, &b, &p, &[0, 31, 32, 69]);
    // the weight gradient sums over the images inside one GEMM: the same sum, rounded otherwise
    let dw = x.conv_backward_weight(&y, w.shape(), &p).unwrap();
    let mut want = vec![0.0f64; dw.numel()];
    for n in 0..70 {
        let xn = x.narrow(0, n, 1).unwrap();
        let dwn = xn.conv_backward_weight(&y.narrow(0, n, 1).unwrap(), w.shape(), &p).unwrap();
        want.iter_mut().zip(dwn.to_vec()).for_each(|(s, v)| *s += f64::from(v));
    }
    let want: Vec<f32> = want.iter().map(|&v| v as f32).collect();
    assert_close(&dw.to_vec(), &want, 1e-4, "backward weight of 70 images against the sum of each");
}

#[test]
fn tap_class_tiles_give_an_image_the_same_bits_alone_as_in_a_batch() {
    // ≥ 16 channels on a 4×4 output with crop (2, 1): the tap-class kernels on register tiles.
    // In a batch an image's positions share 16-column panels with other images' (a corner
    // class has one position per image); alone, they fill panels of their own
    let mut rng = rng_from_seed(6);
    let x = Tensor::randn(&[70, 17, 8, 8], 0.0, 1.0, &mut rng).unwrap();
    let w = Tensor::randn(&[20, 17, 5, 5], 0.0, 1.0, &mut rng).unwrap();
    let b = Tensor::randn(&[20], 0.0, 1.0, &mut rng).unwrap();
    assert_alone_as_in_the_batch(&x, &w, &b, &ConvParams::asymmetric(&[2], &[(2, 1)]), &[0, 1, 33, 69]);
}

#[test]
fn stride_one_windows_give_an_image_the_same_bits_alone_as_in_a_batch() {
    // large stride-1 maps: each image is split into tasks of its own, whatever the batch
    let mut rng = rng_from_seed(7);
    let x = Tensor::randn(&[3, 20, 30, 30], 0.0, 1.0, &mut rng).unwrap();
    let w = Tensor::randn(&[16, 20, 5, 5], 0.0, 1.0, &mut rng).unwrap();
    let b = Tensor::randn(&[16], 0.0, 1.0, &mut rng).unwrap();
    assert_alone_as_in_the_batch(&x, &w, &b, &ConvParams::new(1, 4), &[0, 2]);
}

/// The forward pass and the input gradient of each of `images`, alone, give the same bits as
/// its slice of the whole batch's.
fn assert_alone_as_in_the_batch(x: &Tensor, w: &Tensor, b: &Tensor, p: &ConvParams, images: &[usize]) {
    let y = x.conv2d(w, Some(b), p).unwrap();
    let dx = y.conv_backward_data(w, x.shape(), p).unwrap();
    for &n in images {
        let xn = x.narrow(0, n, 1).unwrap();
        let yn = xn.conv2d(w, Some(b), p).unwrap();
        assert_eq!(bits(&y.narrow(0, n, 1).unwrap()), bits(&yn), "forward, image {n}");
        let dxn = y.narrow(0, n, 1).unwrap().conv_backward_data(w, xn.shape(), p).unwrap();
        assert_eq!(bits(&dx.narrow(0, n, 1).unwrap()), bits(&dxn), "backward data, image {n}");
    }
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec().iter().map(|v| v.to_bits()).collect()
}
