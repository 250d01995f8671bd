#![cfg(feature = "cuda")]
//! The CUDA backend against the CPU backend: every op and every backward (the conv gradients;
//! the other rules are built from these ops), on random inputs that include views
//! (transposed, narrowed, permuted), broadcasting, odd sizes and empty tensors.
//!
//! Tolerance: `|cuda − cpu| ≤ 1e-4·(1 + |cpu|)` elementwise (FP32 GEMMs summing in another
//! order, `expf`/`tanhf` within a few ulp); NaN matches NaN. Random numbers are not the
//! CPU's (Philox on the device, see `tensor::cuda`), so those tests check moments instead:
//! with n = 2²⁰ samples the standard error of a mean is 1e-3·σ, and the bounds below are
//! more than 10 standard errors wide.
//!
//! Without a GPU (or without the CUDA libraries) each test prints
//! `skipped: no CUDA device: <reason>` and passes.
//!
//! Convolutions have two paths (cuDNN when loaded and the geometry fits its symmetric padding,
//! else im2col + cuBLAS): each conv case says which one it expects and checks it through
//! [`CudaDevice::cudnn_passes`]. The conv tests hold [`CONV`] because switching cuDNN off
//! affects the whole device (and the tests run in parallel).

use std::sync::{Mutex, MutexGuard};

use tensor::cuda::{ConvAlgorithms, CudaDevice};
use tensor::{rng_from_seed, BinaryOp, ConvParams, Device, FiniteChecks, Tensor, UnaryOp};

/// Held by every test that runs convolutions.
static CONV: Mutex<()> = Mutex::new(());

fn conv_lock() -> MutexGuard<'static, ()> {
    CONV.lock().unwrap_or_else(|e| e.into_inner())
}

/// The CUDA device inside `dev`.
fn cuda(dev: &Device) -> &CudaDevice {
    match dev {
        Device::Cuda(c) => c,
        other => panic!("{other} is not a CUDA device"),
    }
}

/// Which convolution path a case must take when cuDNN is loaded and enabled.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    Cudnn,
    Im2col,
    /// Either (tuned: the faster one on this GPU).
    Any,
}

/// Check that the convolutions run since `before` (cuDNN passes) took `path`, `passes` of them.
fn assert_path(what: &str, dev: &Device, before: u64, path: Path, passes: u64) {
    let c = cuda(dev);
    if path == Path::Any {
        return;
    }
    let ran = c.cudnn_passes() - before;
    let want = if path == Path::Cudnn && c.cudnn_enabled() { passes } else { 0 };
    assert_eq!(
        ran,
        want,
        "{what}: {ran} cuDNN passes, expected {want} ({path:?}); cuDNN declined: {:?}",
        c.cudnn_declined()
    );
}

/// The GPU, or `None` (after saying why) when there is none.
/// GPU 0, or `None` (the test is skipped, with the reason printed) where there is none. With
/// `COOPNETS_REQUIRE_GPU=1` (the scripts of a GPU machine set it) a GPU that cannot be used
/// fails the test instead: there a missing kernel or library is a defect, not a reason to skip.
fn gpu() -> Option<Device> {
    match CudaDevice::available() {
        Ok(()) => Some(Device::cuda(0).expect("available() said yes")),
        Err(e) if std::env::var("COOPNETS_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("COOPNETS_REQUIRE_GPU=1 but CUDA cannot be used: {e}")
        }
        Err(e) => {
            println!("skipped: no CUDA device: {e}");
            None
        }
    }
}

const TOL: f32 = 1e-4;

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= TOL * (1.0 + w.abs()) || (g.is_nan() && w.is_nan()) || g == w;
        assert!(ok, "{what}: element {i}: cuda {g} vs cpu {w}");
    }
}

/// Tolerance of [`assert_close_rms`]: relative to the RMS of the CPU's result.
const RMS_TOL: f32 = 3e-3;

/// Like [`assert_close`] with a tolerance relative to the whole result's RMS, for the tuned
/// convolutions: cuDNN's FFT algorithms, which a tuned device may pick (as PyTorch's
/// `cudnn.benchmark` does), spread their rounding over the output. (Its Winograd algorithms
/// are never used: one was off by 5.7% of the RMS on an H100, which this check caught.)
fn assert_close_rms(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let rms = (want.iter().map(|w| w * w).sum::<f32>() / want.len().max(1) as f32).sqrt();
    let worst = got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0f32, f32::max);
    assert!(worst <= RMS_TOL * (1.0 + rms), "{what}: largest difference {worst} against an RMS of {rms}");
}

/// Same tensor on the CPU and on `dev`.
fn both(shape: &[usize], seed: u64, dev: &Device) -> (Tensor, Tensor) {
    let c = Tensor::randn(shape, 0.0, 1.0, &mut rng_from_seed(seed)).unwrap();
    let g = c.to_device(dev).unwrap();
    (c, g)
}

/// Compare `f` run on the CPU pair member with `f` run on the GPU one.
fn check(what: &str, c: &Tensor, g: &Tensor, f: impl Fn(&Tensor) -> Tensor) {
    let (want, got) = (f(c), f(g));
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    assert!(!got.device().is_cpu(), "{what}: result left the GPU");
    assert_close(what, &got.to_vec(), &want.to_vec());
}

#[test]
fn asking_for_cuda_without_it_names_cuda() {
    match CudaDevice::available() {
        Err(reason) => {
            println!("no GPU here ({reason}): checking the error");
            let e = Device::parse("cuda:0").unwrap_err().to_string();
            assert!(e.contains("CUDA"), "{e}");
        }
        Ok(()) => {
            println!("a GPU is present: checking a missing ordinal instead");
            let e = Device::parse("cuda:999").unwrap_err().to_string();
            assert!(e.contains("CUDA"), "{e}");
            assert_eq!(Device::parse("cuda").unwrap().to_string(), "cuda:0");
        }
    }
}

#[test]
fn unary_every_variant() {
    let Some(dev) = gpu() else { return };
    let ops = [
        UnaryOp::Neg,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Square,
        UnaryOp::Abs,
        UnaryOp::Relu,
        UnaryOp::LeakyRelu(0.2),
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Affine { mul: 3.0, add: -1.0 },
        UnaryOp::Powf(1.5),
        UnaryOp::Clamp(-0.5, 0.5),
        UnaryOp::Step,
        UnaryOp::Sign,
        UnaryOp::Recip,
    ];
    for (s, shape) in [&[7][..], &[3, 5], &[40, 1000], &[2, 3, 4, 5, 6]].iter().enumerate() {
        let (c, g) = both(shape, s as u64, &dev);
        for op in ops {
            let positive = matches!(op, UnaryOp::Log | UnaryOp::Sqrt | UnaryOp::Powf(_));
            let prep = |t: &Tensor| if positive { t.abs() } else { t.clone() };
            check(&format!("{op:?} on {shape:?}"), &prep(&c), &prep(&g), |t| t.map(op));
            // a strided view: the last two axes swapped
            if shape.len() >= 2 {
                let r = shape.len();
                let tv = |t: &Tensor| prep(t).transpose(r - 2, r - 1).unwrap();
                check(&format!("{op:?} on a transposed {shape:?}"), &tv(&c), &tv(&g), |t| t.map(op));
            }
        }
    }
}

#[test]
fn binary_broadcast_and_strided() {
    let Some(dev) = gpu() else { return };
    let ops = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Maximum,
        BinaryOp::Minimum,
        BinaryOp::Gt,
        BinaryOp::Eq,
        BinaryOp::MaskPositive,
    ];
    let pairs: &[(&[usize], &[usize])] = &[
        (&[3, 5], &[3, 5]),
        (&[3, 5], &[5]),
        (&[3, 1], &[1, 5]),
        (&[2, 3, 4, 5], &[1, 3, 1, 1]),
        (&[4], &[]),
        (&[16, 64, 30, 30], &[64, 1, 1]),
    ];
    for (k, (sa, sb)) in pairs.iter().enumerate() {
        let (ca, ga) = both(sa, 10 + k as u64, &dev);
        let (cb, gb) = both(sb, 20 + k as u64, &dev);
        for op in ops {
            let (want, got) = (ca.zip_with(&cb, op).unwrap(), ga.zip_with(&gb, op).unwrap());
            assert_close(&format!("{op:?} {sa:?} {sb:?}"), &got.to_vec(), &want.to_vec());
        }
    }
    // views: a transposed and a narrowed operand, and Eq on equal values
    let (ca, ga) = both(&[6, 9], 30, &dev);
    let (cb, gb) = both(&[9, 10], 31, &dev);
    let a_view = |t: &Tensor| t.transpose(0, 1).unwrap();
    let b_view = |t: &Tensor| t.narrow(1, 2, 6).unwrap();
    for op in ops {
        let want = a_view(&ca).zip_with(&b_view(&cb), op).unwrap();
        let got = a_view(&ga).zip_with(&b_view(&gb), op).unwrap();
        assert_close(&format!("{op:?} on views"), &got.to_vec(), &want.to_vec());
    }
    assert_eq!(ga.eq_mask(&ga).unwrap().sum_all().to_scalar().unwrap(), 54.0);
}

#[test]
fn reductions_over_axes_and_all() {
    let Some(dev) = gpu() else { return };
    let cases: &[(&[usize], &[usize])] = &[
        (&[2, 3, 4, 5], &[1]),
        (&[2, 3, 4, 5], &[0, 2]),
        (&[2, 3, 4, 5], &[3]),
        (&[2, 3, 4, 5], &[0, 1, 2, 3]),
        (&[16, 3, 50, 50], &[1, 2, 3]), // per example: one block per output
        (&[16, 8, 30, 30], &[0, 2, 3]), // per channel
        (&[200, 10000], &[0]),          // many outputs, short strided sums: one thread each
        (&[7], &[0]),
    ];
    for (s, (shape, axes)) in cases.iter().enumerate() {
        let (c, g) = both(shape, 40 + s as u64, &dev);
        for keep in [false, true] {
            check(&format!("sum {shape:?} {axes:?}"), &c, &g, |t| t.sum(axes, keep).unwrap());
            check(&format!("max {shape:?} {axes:?}"), &c, &g, |t| t.max(axes, keep).unwrap());
        }
        check(&format!("sum of a permuted {shape:?}"), &c, &g, |t| {
            let perm: Vec<usize> = (0..t.rank()).rev().collect();
            t.permute(&perm).unwrap().sum(&[0], true).unwrap()
        });
        check(&format!("sum_all {shape:?}"), &c, &g, |t| t.sum_all());
        check(&format!("mean_all {shape:?}"), &c, &g, |t| t.mean_all());
        check(&format!("max_all {shape:?}"), &c, &g, |t| t.max_all());
        check(&format!("sum_all of a view {shape:?}"), &c, &g, |t| t.narrow(0, 0, 1).unwrap().sum_all());
    }
    // NaN propagates through max, like the CPU
    let mut v = vec![1.0f32; 3000];
    v[1234] = f32::NAN;
    let g = Tensor::from_vec_on(v.clone(), &[3, 1000], &dev).unwrap();
    let c = Tensor::from_vec(v, &[3, 1000]).unwrap();
    check("max with NaN", &c, &g, |t| t.max(&[1], false).unwrap());
    assert!(g.max_all().to_scalar().unwrap().is_nan());
    // empty: sum 0, max −∞
    let e = Tensor::zeros_on(&[0, 3], &dev).unwrap();
    assert_eq!(e.sum_all().to_scalar().unwrap(), 0.0);
    assert_eq!(e.max_all().to_scalar().unwrap(), f32::NEG_INFINITY);
    assert_eq!(e.sum(&[0], false).unwrap().to_vec(), vec![0.0; 3]);
    // deterministic: the same bits twice
    let (_, g) = both(&[1 << 20], 49, &dev);
    assert_eq!(g.sum_all().to_scalar().unwrap().to_bits(), g.sum_all().to_scalar().unwrap().to_bits());
}

#[test]
fn first_non_finite_finds_the_first() {
    let Some(dev) = gpu() else { return };
    let mut v = vec![0.5f32; 100_000];
    let g = Tensor::from_vec_on(v.clone(), &[100, 1000], &dev).unwrap();
    assert_eq!(g.first_non_finite(), None);
    v[50_000] = f32::NAN;
    v[12_345] = f32::INFINITY;
    v[99_999] = f32::NEG_INFINITY;
    let g = Tensor::from_vec_on(v.clone(), &[100, 1000], &dev).unwrap();
    let c = Tensor::from_vec(v, &[100, 1000]).unwrap();
    assert_eq!(g.first_non_finite(), Some(12_345));
    let view = |t: &Tensor| t.transpose(0, 1).unwrap();
    assert_eq!(view(&g).first_non_finite(), view(&c).first_non_finite());
    // queued: the same answers, named by the first check that found one, after one wait
    let finite = Tensor::from_vec_on(vec![1.0; 3000], &[3, 1000], &dev).unwrap();
    let mut checks = FiniteChecks::new();
    checks.push(&finite, "finite").unwrap();
    assert_eq!(checks.first().unwrap(), None);
    checks.push(&finite, "finite").unwrap();
    checks.push(&view(&g), "view").unwrap();
    checks.push(&g, "plain").unwrap();
    assert_eq!(checks.first().unwrap(), Some(("view", view(&c).first_non_finite().unwrap())));
    checks.push(&g, "plain").unwrap();
    assert_eq!(checks.first().unwrap(), Some(("plain", 12_345)), "slots reset after a hit");
}

#[test]
fn matmul_plain_views_and_batches() {
    let Some(dev) = gpu() else { return };
    let mm = |a: &[usize], b: &[usize], seed: u64, fa: &dyn Fn(&Tensor) -> Tensor, fb: &dyn Fn(&Tensor) -> Tensor| {
        let (ca, ga) = both(a, seed, &dev);
        let (cb, gb) = both(b, seed + 1, &dev);
        let want = fa(&ca).matmul(&fb(&cb)).unwrap();
        let got = fa(&ga).matmul(&fb(&gb)).unwrap();
        assert_eq!(got.shape(), want.shape());
        assert_close(&format!("matmul {a:?} {b:?}"), &got.to_vec(), &want.to_vec());
    };
    let id = |t: &Tensor| t.clone();
    let t2 = |t: &Tensor| t.transpose(t.rank() - 2, t.rank() - 1).unwrap();
    mm(&[33, 47], &[47, 29], 50, &id, &id);
    mm(&[47, 33], &[47, 29], 52, &t2, &id); // Aᵀ: row stride 1
    mm(&[33, 47], &[29, 47], 54, &id, &t2); // Bᵀ
    mm(&[33, 60], &[47, 29], 56, &|t| t.narrow(1, 5, 47).unwrap(), &id); // rows 60 apart
    mm(&[1, 47], &[47, 1], 58, &id, &id);
    mm(&[4, 8, 16], &[4, 16, 5], 60, &id, &id); // strided batched
    mm(&[2, 3, 8, 16], &[16, 7], 62, &id, &id); // B shared by the batch (stride 0)
    mm(&[3, 1, 8, 16], &[1, 5, 16, 7], 64, &id, &id); // broadcast batch: one GEMM per entry
    mm(&[4, 16, 8], &[4, 16, 5], 66, &t2, &id); // batched transposed views
                                                // neither stride 1: copied first
    let odd = |t: &Tensor| t.narrow(2, 1, 1).unwrap().permute(&[2, 0, 1]).unwrap();
    mm(&[9, 11, 2], &[11, 4], 68, &odd, &|t| t.unsqueeze(0).unwrap());
    mm(&[0, 5], &[5, 3], 70, &id, &id);
    mm(&[4, 0], &[0, 3], 72, &id, &id);
}

/// Conv and its two gradients for one geometry, against the CPU, on `path` (`Any`: within
/// [`assert_close_rms`]); each pass twice must give the same bits.
fn conv_case(dev: &Device, x: &[usize], w: &[usize], p: &ConvParams, seed: u64, path: Path) {
    let before = cuda(dev).cudnn_passes();
    let assert_close = if path == Path::Any { assert_close_rms } else { assert_close };
    let (cx, gx) = both(x, seed, dev);
    let (cw, gw) = both(w, seed + 1, dev);
    let (cb, gb) = both(&[w[0]], seed + 2, dev);
    let what = format!("conv x{x:?} w{w:?} {p:?}");
    let want = cx.conv(&cw, Some(&cb), p).unwrap();
    let got = gx.conv(&gw, Some(&gb), p).unwrap();
    assert_close(&format!("{what} forward"), &got.to_vec(), &want.to_vec());
    assert_eq!(gx.conv(&gw, Some(&gb), p).unwrap().to_vec(), got.to_vec(), "{what}: y bits");
    let (cdy, gdy) = both(want.shape(), seed + 3, dev);
    let dx_c = cdy.conv_backward_data(&cw, x, p).unwrap();
    let dx_g = gdy.conv_backward_data(&gw, x, p).unwrap();
    assert_close(&format!("{what} backward data"), &dx_g.to_vec(), &dx_c.to_vec());
    let dw_c = cx.conv_backward_weight(&cdy, w, p).unwrap();
    let dw_g = gx.conv_backward_weight(&gdy, w, p).unwrap();
    assert_close(&format!("{what} backward weight"), &dw_g.to_vec(), &dw_c.to_vec());
    // deterministic: the gradients' bits do not change from run to run
    assert_eq!(gx.conv_backward_weight(&gdy, w, p).unwrap().to_vec(), dw_g.to_vec(), "{what}: dW bits");
    assert_eq!(gdy.conv_backward_data(&gw, x, p).unwrap().to_vec(), dx_g.to_vec(), "{what}: dx bits");
    assert_path(&what, dev, before, path, 6);
}

#[test]
fn conv_forward_and_backward_1d_2d_3d() {
    let Some(dev) = gpu() else { return };
    let _conv = conv_lock();
    let c = cuda(&dev);
    println!("cuDNN: {}", c.cudnn_unavailable_reason().unwrap_or("loaded"));
    let _on = CudnnSetting::new(c, true);
    use Path::{Cudnn, Im2col};
    conv_case(&dev, &[2, 3, 17], &[4, 3, 5], &ConvParams::new(2, 1), 100, Cudnn);
    // padding more after than before: cuDNN on the input with zeros appended (`extend.rs`)
    conv_case(&dev, &[1, 2, 11], &[3, 2, 3], &ConvParams::asymmetric(&[1], &[(0, 2)]), 110, Cudnn);
    conv_case(&dev, &[3, 3, 13, 12], &[5, 3, 3, 3], &ConvParams::new(1, 1), 120, Cudnn);
    let p = ConvParams::asymmetric(&[2, 1], &[(1, 0), (0, 1)]);
    conv_case(&dev, &[2, 4, 10, 9], &[6, 4, 3, 2], &p, 130, Cudnn);
    conv_case(&dev, &[2, 3, 64, 64], &[8, 3, 15, 15], &ConvParams::new(3, 0), 140, Cudnn); // texture-like
    conv_case(&dev, &[2, 5, 20, 17], &[4, 5, 5, 5], &ConvParams::new(3, 1), 145, Cudnn); // stride 3, padded
    conv_case(&dev, &[4, 16, 5, 5], &[8, 16, 1, 1], &ConvParams::new(1, 0), 150, Cudnn); // pointwise

    // TF SAME with an odd total padding (1 before, 2 after): one zero appended on each axis
    let same = ConvParams::tf_same(&[10, 9], &[4, 4], &[1]);
    conv_case(&dev, &[2, 3, 10, 9], &[4, 3, 4, 4], &same, 155, Cudnn);
    // ABP's transposed convolutions crop [1, 2]: their conv pads 1 before and 2 after
    conv_case(&dev, &[2, 3, 16, 16], &[4, 3, 5, 5], &ConvParams::asymmetric(&[2], &[(1, 2)]), 157, Cudnn);
    // pad (2, 1) with stride 2: the pixel after is never reached, so cuDNN's (2, 2) is the same
    conv_case(&dev, &[2, 3, 16, 16], &[4, 3, 5, 5], &ConvParams::asymmetric(&[2], &[(2, 1)]), 158, Cudnn);
    conv_case(&dev, &[2, 2, 5, 6, 7], &[3, 2, 3, 2, 3], &ConvParams::new(1, 1), 160, Cudnn);
    // 3-d stride 3
    conv_case(&dev, &[2, 3, 9, 10, 11], &[4, 3, 3, 3, 3], &ConvParams::new(3, 1), 165, Cudnn);
    // padding more before than after on the last axis: cuDNN's (2, 2) would add an output
    let p = ConvParams::asymmetric(&[2, 1, 2], &[(0, 1), (1, 1), (2, 0)]);
    conv_case(&dev, &[1, 3, 6, 8, 8], &[2, 3, 2, 3, 3], &p, 170, Im2col);
}

/// Switches cuDNN on (heuristic) or off for a while; the previous setting comes back when
/// dropped (also when a check fails). The default (tuned) picks paths by timing, so the cases
/// that expect one path set it.
struct CudnnSetting<'a>(&'a CudaDevice, ConvAlgorithms);
impl<'a> CudnnSetting<'a> {
    fn new(c: &'a CudaDevice, on: bool) -> Self {
        Self::to(c, if on { ConvAlgorithms::CudnnHeuristic } else { ConvAlgorithms::Im2col })
    }
    fn to(c: &'a CudaDevice, how: ConvAlgorithms) -> Self {
        let before = c.conv_algorithms();
        c.set_conv_algorithms(how);
        CudnnSetting(c, before)
    }
}
impl Drop for CudnnSetting<'_> {
    fn drop(&mut self) {
        self.0.set_conv_algorithms(self.1);
    }
}

/// Tuned: each pass of each geometry is timed once on both paths (one log line each), the
/// faster is kept, and the results match the CPU and stay bit-identical from call to call.
#[test]
fn conv_tuned_times_each_pass_once_and_keeps_its_choice() {
    let Some(dev) = gpu() else { return };
    let _conv = conv_lock();
    let c = cuda(&dev);
    let _tuned = CudnnSetting::to(c, ConvAlgorithms::Tuned);
    let before = c.conv_tuning_log().len();
    conv_case(&dev, &[2, 3, 64, 64], &[8, 3, 15, 15], &ConvParams::new(3, 0), 300, Path::Any);
    conv_case(&dev, &[3, 3, 13, 12], &[5, 3, 3, 3], &ConvParams::new(1, 1), 310, Path::Any);
    // large enough for cuDNN to be tried (the 16-chain texture net's second layer)
    conv_case(&dev, &[16, 100, 40, 40], &[64, 100, 5, 5], &ConvParams::new(1, 2), 315, Path::Any);
    // ABP's convT3 as a conv (pads 1 before, 2 after): cuDNN on the input extended by zeros
    conv_case(&dev, &[8, 64, 32, 32], &[128, 64, 5, 5], &ConvParams::asymmetric(&[2], &[(1, 2)]), 318, Path::Any);
    // padding more before than after: not expressible, so im2col and never tuned
    let p = ConvParams::asymmetric(&[2], &[(2, 0)]);
    conv_case(&dev, &[2, 3, 8, 8], &[4, 3, 3, 3], &p, 320, Path::Im2col);
    let log = c.conv_tuning_log();
    let tuned = log.len() - before;
    println!("{}", log[before..].join("\n"));
    assert_eq!(tuned, if c.has_cudnn() { 12 } else { 0 }, "three passes of four geometries");
    // a second run of the same geometry reuses the choice
    conv_case(&dev, &[3, 3, 13, 12], &[5, 3, 3, 3], &ConvParams::new(1, 1), 330, Path::Any);
    assert_eq!(c.conv_tuning_log().len(), log.len(), "tuned again");
    // the choices go to text (a checkpoint) and come back; a bad line is refused
    let text = c.conv_choices();
    assert!(text.lines().count() >= tuned, "{text}");
    c.pin_conv_choices(&text).expect("own choices pin");
    assert_eq!(c.conv_choices(), text);
    if c.has_cudnn() {
        assert!(c.pin_conv_choices("Forward 1,2 cudnn 0 0").is_err());
    }
}

#[test]
fn conv_im2col_when_cudnn_is_switched_off() {
    let Some(dev) = gpu() else { return };
    let _conv = conv_lock();
    let c = cuda(&dev);
    let _on = CudnnSetting::new(c, true);
    // the same inputs on both paths agree within the tolerance
    let (_, gx) = both(&[2, 3, 12, 11], 180, &dev);
    let (_, gw) = both(&[5, 3, 3, 3], 181, &dev);
    let p = ConvParams::new(2, 1);
    let on = gx.conv(&gw, None, &p).unwrap().to_vec();
    let off = {
        let _off = CudnnSetting::new(c, false);
        assert!(!c.cudnn_enabled());
        conv_case(&dev, &[3, 3, 13, 12], &[5, 3, 3, 3], &ConvParams::new(1, 1), 120, Path::Im2col);
        conv_case(&dev, &[2, 2, 5, 6, 7], &[3, 2, 3, 2, 3], &ConvParams::new(1, 1), 160, Path::Im2col);
        gx.conv(&gw, None, &p).unwrap().to_vec()
    };
    assert_close("cuDNN against im2col", &on, &off);
    assert_eq!(c.cudnn_enabled(), c.has_cudnn(), "switched back on");
}

#[test]
fn conv_transpose_with_stride_and_crops() {
    let Some(dev) = gpu() else { return };
    let _conv = conv_lock();
    let _on = CudnnSetting::new(cuda(&dev), true);
    use Path::{Cudnn, Im2col};
    let cases: &[(&[usize], &[usize], ConvParams, Path)] = &[
        (&[2, 4, 5], &[4, 3, 4], ConvParams::new(2, 1), Cudnn),
        // PyTorch's output_padding = 1: 5×5 stride 2, 4 → 8 (the ABP generator's layers)
        (&[2, 8, 4, 4], &[8, 3, 5, 5], ConvParams::asymmetric(&[2], &[(2, 1)]), Cudnn),
        (&[1, 6, 3, 4, 4], &[6, 2, 4, 4, 4], ConvParams::new(2, 1), Cudnn),
        // ABP's crop [1, 2], 4 → 8, and a crop after only: cuDNN with zeros appended (`extend.rs`)
        (&[2, 8, 4, 4], &[8, 3, 5, 5], ConvParams::asymmetric(&[2], &[(1, 2)]), Cudnn),
        (&[2, 3, 5], &[3, 2, 3], ConvParams::asymmetric(&[2], &[(0, 1)]), Cudnn),
        // a crop before only, stride 1: its conv pads more before than after, so im2col
        (&[2, 3, 5], &[3, 2, 3], ConvParams::asymmetric(&[1], &[(2, 0)]), Im2col),
    ];
    for (s, (x, w, p, path)) in cases.iter().enumerate() {
        let before = cuda(&dev).cudnn_passes();
        let (cx, gx) = both(x, 200 + s as u64, &dev);
        let (cw, gw) = both(w, 210 + s as u64, &dev);
        let (cb, gb) = both(&[w[1]], 220 + s as u64, &dev);
        check(&format!("conv_transpose x{x:?} w{w:?}"), &cx, &gx, |t| {
            let (w, b) = if t.device().is_cpu() { (&cw, &cb) } else { (&gw, &gb) };
            t.conv_transpose(w, Some(b), p).unwrap()
        });
        let again = |t: &Tensor| t.conv_transpose(&gw, Some(&gb), p).unwrap().to_vec();
        assert_eq!(again(&gx), again(&gx), "conv_transpose x{x:?} w{w:?}: bits");
        assert_path(&format!("conv_transpose x{x:?} w{w:?}"), &dev, before, *path, 3);
    }
}

#[test]
fn copies_cat_pad_contiguous() {
    let Some(dev) = gpu() else { return };
    let (ca, ga) = both(&[2, 3, 4], 300, &dev);
    let (cb, gb) = both(&[2, 5, 4], 301, &dev);
    let (cc, gc) = both(&[2, 3, 4], 302, &dev);
    let want = Tensor::cat(&[&ca, &cb], 1).unwrap();
    let got = Tensor::cat(&[&ga, &gb], 1).unwrap();
    assert_close("cat axis 1", &got.to_vec(), &want.to_vec());
    for axis in [0, 2] {
        let want = Tensor::cat(&[&ca, &cc, &ca], axis).unwrap();
        let got = Tensor::cat(&[&ga, &gc, &ga], axis).unwrap();
        assert_close(&format!("cat axis {axis}"), &got.to_vec(), &want.to_vec());
    }
    let want = Tensor::stack(&[&ca.transpose(0, 2).unwrap(), &cc.transpose(0, 2).unwrap()], 0).unwrap();
    let got = Tensor::stack(&[&ga.transpose(0, 2).unwrap(), &gc.transpose(0, 2).unwrap()], 0).unwrap();
    assert_close("stack of views", &got.to_vec(), &want.to_vec());
    check("pad", &ca, &ga, |t| t.pad(&[(1, 2), (0, 3)], -7.0).unwrap());
    check("pad every axis", &ca, &ga, |t| t.pad(&[(1, 0), (2, 1), (0, 1)], 0.5).unwrap());
    check("contiguous of a permuted view", &ca, &ga, |t| t.permute(&[2, 0, 1]).unwrap().contiguous());
    check("reshape of a narrowed view", &ca, &ga, |t| t.narrow(2, 1, 2).unwrap().reshape(&[12]).unwrap());
    let e = Tensor::zeros_on(&[0, 4], &dev).unwrap();
    assert_eq!(e.relu().to_vec(), Vec::<f32>::new());
    assert_eq!(Tensor::cat(&[&e, &ga.get(0).unwrap()], 0).unwrap().shape(), &[3, 4]);
}

#[test]
fn in_place_updates() {
    let Some(dev) = gpu() else { return };
    let (cy, gy) = both(&[30, 40], 400, &dev);
    let (cx, gx) = both(&[40, 30], 401, &dev);
    let run = |y: &Tensor, x: &Tensor| {
        let mut y = y.clone(); // shared storage: copy-on-write
        y.axpy_(0.7, &x.transpose(0, 1).unwrap()).unwrap();
        y.axpby_(0.9, -0.4, &x.transpose(0, 1).unwrap()).unwrap();
        y.map_(UnaryOp::Tanh);
        let mut z = y.clone();
        z.masked_assign_(&x.transpose(0, 1).unwrap().gt(&y).unwrap(), &x.transpose(0, 1).unwrap()).unwrap();
        let mut w = Tensor::zeros_on(&[30, 30], &y.device()).unwrap();
        w.assign_(&x.narrow(0, 5, 30).unwrap()).unwrap();
        (y, z, w)
    };
    let (c1, c2, c3) = run(&cy, &cx);
    let (g1, g2, g3) = run(&gy, &gx);
    assert_close("axpy_ + axpby_ + map_", &g1.to_vec(), &c1.to_vec());
    assert_close("masked_assign_", &g2.to_vec(), &c2.to_vec());
    assert_close("assign_", &g3.to_vec(), &c3.to_vec());
    assert_close("copy-on-write left the original", &gy.to_vec(), &cy.to_vec());
}

#[test]
fn fused_sgd_and_adam_updates() {
    let Some(dev) = gpu() else { return };
    let (cp, gp) = both(&[50, 60], 410, &dev);
    let (cg, gg) = both(&[60, 50], 411, &dev);
    let (cm, gm) = both(&[50, 60], 412, &dev);
    let run = |p: &Tensor, g: &Tensor, m: &Tensor| {
        let g = g.transpose(0, 1).unwrap(); // a strided gradient
        let (mut p1, mut v1) = (p.clone(), m.clone());
        p1.sgd_momentum_(&mut v1, &g, 0.5, -0.01).unwrap();
        let s = tensor::AdamStep { beta1: 0.5, beta2: 0.999, eps: 1e-8, c1: 2.0, c2: 1000.5, step: -1e-3 };
        let (mut p2, mut m2, mut v2) = (p.clone(), m.clone(), m.square());
        p2.adam_(&mut m2, &mut v2, &g, &s).unwrap();
        [p1, v1, p2, m2, v2]
    };
    let (want, got) = (run(&cp, &cg, &cm), run(&gp, &gg, &gm));
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert!(!g.device().is_cpu());
        assert_close(&format!("optimizer update, tensor {i}"), &g.to_vec(), &w.to_vec());
    }
}

/// Mean and variance of `v`, in f64.
fn moments(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

#[test]
fn langevin_noise_has_the_right_moments_and_repeats() {
    let Some(dev) = gpu() else { return };
    let n = 1 << 20;
    let (_, x0) = both(&[n], 500, &dev);
    let (_, g) = both(&[n], 501, &dev);
    let (a, b) = (0.3f32, 0.5f32);
    let step = |seed: u64| {
        let mut x = x0.clone();
        x.langevin_(a, &g, b, &mut rng_from_seed(seed)).unwrap();
        x.to_vec()
    };
    let (s1, s2, s3) = (step(7), step(7), step(8));
    assert_eq!(s1, s2, "same seed, same numbers");
    assert_ne!(s1, s3, "another seed, other numbers");
    // ξ = (x1 − x0 − a·g) / b
    let (x0v, gv) = (x0.to_vec(), g.to_vec());
    let xi: Vec<f32> = s1.iter().zip(&x0v).zip(&gv).map(|((&x1, &x), &gg)| (x1 - x - a * gg) / b).collect();
    let (m, v) = moments(&xi);
    assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.01, "noise mean {m}, variance {v}");
    // without a gradient
    let mut y = Tensor::zeros_on(&[n], &dev).unwrap();
    y.add_randn_(2.0, &mut rng_from_seed(9));
    let (m, v) = moments(&y.to_vec());
    assert!(m.abs() < 0.02 && (v - 4.0).abs() < 0.04, "add_randn_ mean {m}, variance {v}");
}

#[test]
fn random_tensors_have_the_right_moments() {
    let Some(dev) = gpu() else { return };
    let n = 1 << 20;
    let r = Tensor::randn_on(&[1024, 1024], 2.0, 3.0, &mut rng_from_seed(1), &dev).unwrap().to_vec();
    let (m, v) = moments(&r);
    assert!((m - 2.0).abs() < 0.03 && (v - 9.0).abs() < 0.09, "randn mean {m}, variance {v}");
    let r2 = Tensor::randn_on(&[1024, 1024], 2.0, 3.0, &mut rng_from_seed(1), &dev).unwrap().to_vec();
    assert_eq!(r, r2, "same seed, same numbers");
    let u = Tensor::rand_uniform_on(&[n], -1.0, 3.0, &mut rng_from_seed(2), &dev).unwrap().to_vec();
    let (m, v) = moments(&u);
    assert!((m - 1.0).abs() < 0.012 && (v - 16.0 / 12.0).abs() < 0.012, "uniform mean {m}, variance {v}");
    assert!(u.iter().all(|&x| (-1.0..3.0).contains(&x)), "uniform out of [-1, 3)");
    // odd sizes fill every element
    let odd = Tensor::rand_uniform_on(&[7], 5.0, 6.0, &mut rng_from_seed(3), &dev).unwrap().to_vec();
    assert!(odd.iter().all(|&x| (5.0..6.0).contains(&x)), "{odd:?}");
}

/// Per-channel sums (split into parts per channel on the GPU) and affine maps against the CPU,
/// on the batch-norm shapes of the ABP generator and small odd ones; the affine map rounds
/// exactly as the CPU (no fused multiply-add).
#[test]
fn channel_sums_and_affine_maps() {
    let Some(dev) = gpu() else { return };
    for (t, shape) in [&[64, 64, 32, 32][..], &[64, 512, 4, 4], &[3, 5, 7], &[2, 3], &[1, 1, 1000]].iter().enumerate() {
        let seed = 400 + 10 * t as u64;
        let ((ca, ga), (cb, gb)) = (both(shape, seed, &dev), both(shape, seed + 1, &dev));
        let (cs, gs) = both(&[shape[1]], seed + 2, &dev);
        let (ck, gk) = both(&[3, shape[1]], seed + 3, &dev);
        let sums = |a: &Tensor, b: &Tensor, s: &Tensor| a.channel_sums(b, s).unwrap().to_vec();
        assert_close(&format!("channel_sums {shape:?}"), &sums(&ga, &gb, &gs), &sums(&ca, &cb, &cs));
        let affine = |a: &Tensor, b: &Tensor, k: &Tensor| a.channel_affine(b, k).unwrap().to_vec();
        assert_eq!(affine(&ga, &gb, &gk), affine(&ca, &cb, &ck), "channel_affine {shape:?}: bits");
        assert_eq!(sums(&ga, &gb, &gs), sums(&ga, &gb, &gs), "channel_sums {shape:?}: bits");
        let central = |a: &Tensor, s: &Tensor| a.channel_central_sums(s).unwrap().to_vec();
        assert_close(&format!("channel_central_sums {shape:?}"), &central(&ga, &gs), &central(&ca, &cs));
        let moments = |a: &Tensor| a.channel_moments().unwrap().to_vec();
        assert_close(&format!("channel_moments {shape:?}"), &moments(&ga), &moments(&ca));
    }
}

/// Batch norm's coefficient kernels round exactly as the CPU's (f32, same order, no FMA).
#[test]
fn batch_norm_coefficients_match_the_cpu_bits() {
    let Some(dev) = gpu() else { return };
    let c = 37;
    let ((cs, gs), (cg, gg), (cb, gb)) = (both(&[2, c], 500, &dev), both(&[c], 501, &dev), both(&[c], 502, &dev));
    let (cs, gs) = (cs.abs().affine(50.0, 1.0), gs.abs().affine(50.0, 1.0)); // positive sums of squares
    let fwd = |s: &Tensor, g: &Tensor, b: &Tensor| Tensor::batch_norm_coefficients(s, g, b, 50.0, 1e-5).unwrap();
    let (cf, gf) = (fwd(&cs, &cg, &cb), fwd(&gs, &gg, &gb));
    assert_eq!(gf.to_vec(), cf.to_vec(), "forward coefficients");
    let back = |s: &Tensor, f: &Tensor| Tensor::batch_norm_grad_coefficients(s, f, 50.0).unwrap().to_vec();
    assert_eq!(back(&gs, &gf), back(&cs, &cf), "backward coefficients");
}
