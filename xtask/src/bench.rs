//! `cargo xtask bench`: GFLOP/s of the kernels every model is made of, with 1 and 2 threads.
//!
//! Workloads (the same shapes as `../shared/bench/torch_ref/coopnets_bench.py --workloads kernels`):
//! sgemm 1024³; conv2d 3×3 64→64 on 16×64×64×64 (stride 1, pad 1) forward and
//! forward+backward (data and weight); conv-transpose2d 5×5 stride 2, 64×256×16×16 → 64×128×32×32.
//! Each timing is the median of `--iters` runs after `--warmup` runs.

use std::time::Instant;

use anyhow::Result;
use clap::Args;
use tensor::{rng_from_seed, ConvParams, Device, Tensor};

use crate::{bench_layers, bench_models, bench_profile as profile};

#[derive(Args)]
pub struct BenchArgs {
    /// Timed repetitions per measurement (median reported).
    #[arg(long, default_value_t = 10)]
    iters: usize,
    /// Untimed warm-up repetitions.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Thread counts to run with.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 2])]
    threads: Vec<usize>,
    /// Only run workloads whose name contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Where to run: cpu, cuda or cuda:N (a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// Wait until `device` has finished the work queued so far (a GPU runs asynchronously).
fn sync(device: &Device) -> Result<()> {
    Ok(device.synchronize()?)
}

/// Median seconds of `f` over `iters` runs after `warmup` runs.
fn time<F: FnMut() -> Result<()>>(device: &Device, warmup: usize, iters: usize, mut f: F) -> Result<(f64, f64, f64)> {
    for _ in 0..warmup {
        f()?;
    }
    sync(device)?;
    profile::take(device)?; // the warm-up's spans are not reported
    let mut t = Vec::with_capacity(iters);
    for _ in 0..iters.max(1) {
        let s = Instant::now();
        f()?;
        sync(device)?;
        t.push(s.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    Ok((t[t.len() / 2], t[0], t[t.len() - 1]))
}

pub(crate) struct Workload {
    pub name: &'static str,
    pub gflop: f64,
    pub run: Box<dyn FnMut() -> Result<()>>,
    /// At most this many timed repetitions (and one warm-up) for workloads of seconds.
    pub heavy: Option<usize>,
}

/// Workloads built together (they share their inputs), known by the names they will have, so
/// that a filtered run builds only what it times and its peak RSS is the workload's own.
struct Group {
    names: Vec<String>,
    build: Box<dyn FnOnce(&Device) -> Result<Vec<Workload>>>,
}

impl Group {
    fn new(names: Vec<String>, build: impl FnOnce(&Device) -> Result<Vec<Workload>> + 'static) -> Self {
        Group { names, build: Box::new(build) }
    }
}

/// Every workload, in the order they run.
fn groups() -> Vec<Group> {
    let kernel_names = [
        "sgemm 1024^3",
        "conv2d 3x3 64->64 16x64x64 forward",
        "conv2d 3x3 64->64 16x64x64 backward data",
        "conv2d 3x3 64->64 16x64x64 backward weight",
        "conv2d 3x3 64->64 16x64x64 forward+backward",
        "conv_transpose2d 5x5 s2 256->128 64x16x16",
    ];
    let mut g = vec![Group::new(kernel_names.map(String::from).to_vec(), kernels)];
    for (size, chains) in [(128, 1), (224, 1), (128, 16), (224, 16)] {
        g.push(Group::new(vec![texture_name(size, chains)], move |dev| Ok(vec![texture(size, chains, dev)?])));
    }
    g.push(Group::new(vec![bench_models::ABP.into()], |dev| Ok(vec![bench_models::abp(dev)?])));
    g.push(Group::new(vec![bench_models::COOPNETS_MNIST.into()], |dev| Ok(vec![bench_models::coopnets_mnist(dev)?])));
    for spec in bench_layers::SPECS.iter() {
        g.push(Group::new(bench_layers::names(spec), move |dev| bench_layers::layer(spec, dev)));
    }
    g
}

/// sgemm, the 3×3 conv's passes and the DCGAN conv-transpose.
fn kernels(dev: &Device) -> Result<Vec<Workload>> {
    let mut rng = rng_from_seed(0);
    let mut v = Vec::new();

    let a = Tensor::randn(&[1024, 1024], 0.0, 1.0, &mut rng)?.to_device(dev)?;
    let b = Tensor::randn(&[1024, 1024], 0.0, 1.0, &mut rng)?.to_device(dev)?;
    v.push(Workload {
        heavy: None,
        name: "sgemm 1024^3",
        gflop: 2.0 * 1024f64.powi(3) / 1e9,
        run: Box::new(move || {
            std::hint::black_box(a.matmul(&b)?);
            Ok(())
        }),
    });

    // conv2d 3×3, 64→64, 16×64×64: 2·N·Cout·Cin·k²·H·W per pass
    let x = Tensor::randn(&[16, 64, 64, 64], 0.0, 1.0, &mut rng)?.to_device(dev)?;
    let w = Tensor::randn(&[64, 64, 3, 3], 0.0, 0.05, &mut rng)?.to_device(dev)?;
    let pass = 2.0 * 16.0 * 64.0 * 64.0 * 9.0 * 64.0 * 64.0 / 1e9;
    let p = ConvParams::new(1, 1);
    let (x1, w1, p1) = (x.clone(), w.clone(), p.clone());
    v.push(Workload {
        heavy: None,
        name: "conv2d 3x3 64->64 16x64x64 forward",
        gflop: pass,
        run: Box::new(move || {
            std::hint::black_box(x1.conv2d(&w1, None, &p1)?);
            Ok(())
        }),
    });
    let dy = Tensor::randn(&[16, 64, 64, 64], 0.0, 1.0, &mut rng)?.to_device(dev)?;
    let (x2, w2, p2, dy2) = (x.clone(), w.clone(), p.clone(), dy.clone());
    v.push(Workload {
        heavy: None,
        name: "conv2d 3x3 64->64 16x64x64 backward data",
        gflop: pass,
        run: Box::new(move || {
            std::hint::black_box(dy2.conv_backward_data(&w2, x2.shape(), &p2)?);
            Ok(())
        }),
    });
    let (x3, p3, dy3) = (x.clone(), p.clone(), dy.clone());
    v.push(Workload {
        heavy: None,
        name: "conv2d 3x3 64->64 16x64x64 backward weight",
        gflop: pass,
        run: Box::new(move || {
            std::hint::black_box(x3.conv_backward_weight(&dy3, &[64, 64, 3, 3], &p3)?);
            Ok(())
        }),
    });
    v.push(Workload {
        heavy: None,
        name: "conv2d 3x3 64->64 16x64x64 forward+backward",
        gflop: 3.0 * pass,
        run: Box::new(move || {
            let y = x.conv2d(&w, None, &p)?;
            std::hint::black_box(y.conv_backward_data(&w, x.shape(), &p)?);
            std::hint::black_box(x.conv_backward_weight(&y, w.shape(), &p)?);
            Ok(())
        }),
    });

    // DCGAN-style conv-transpose: 64×256×16×16 → 64×128×32×32, 5×5 stride 2 (crop 2,1)
    let xt = Tensor::randn(&[64, 256, 16, 16], 0.0, 1.0, &mut rng)?.to_device(dev)?;
    let wt = Tensor::randn(&[256, 128, 5, 5], 0.0, 0.02, &mut rng)?.to_device(dev)?;
    let pt = ConvParams::asymmetric(&[2], &[(2, 1)]);
    let gt = 2.0 * 64.0 * 256.0 * 128.0 * 25.0 * 16.0 * 16.0 / 1e9;
    v.push(Workload {
        heavy: None,
        name: "conv_transpose2d 5x5 s2 256->128 64x16x16",
        gflop: gt,
        run: Box::new(move || {
            std::hint::black_box(xt.conv_transpose2d(&wt, None, &pt)?);
            Ok(())
        }),
    });
    Ok(v)
}

fn texture_name(size: usize, chains: usize) -> String {
    format!("texture-{size}-c{chains} iteration (10 Langevin steps + Adam update)")
}

/// One texture training iteration exactly as `coopnets_bench.py --workloads texture`: the
/// `frame_3` descriptor, 10 Langevin steps (δ = 0.3, σ = 1) on persistent chains started at
/// zeros, then one Adam update (lr 1e-4, β1 0.5) on mean f(syn) − mean f(obs); the observed
/// image is N(0, 50²) noise (speed only).
fn texture(size: usize, chains: usize, dev: &Device) -> Result<Workload> {
    use models::descriptor::{ChainInit, DescriptorLearner, DescriptorNet, DescriptorNetConfig, LearnConfig, Optim};
    let mut rng = rng_from_seed(1);
    let net = DescriptorNet::new(&DescriptorNetConfig::texture(), &[3, size, size], &mut rng)?;
    let learn = LearnConfig {
        langevin_steps: 10,
        step_size: 0.3,
        chain_init: ChainInit::Persistent,
        optim: Optim::Adam { lr: 1e-4, beta1: 0.5 },
        growth: Default::default(),
        rate_schedule: Default::default(),
    };
    let chains0 = Tensor::zeros(&[chains, 3, size, size]);
    let mut learner = DescriptorLearner::new(models::Descriptor::new(net, 1.0), learn, chains0);
    models::Learner::to_device(&mut learner, dev)?;
    let obs = Tensor::randn(&[1, 3, size, size], 0.0, 50.0, &mut rng)?.to_device(dev)?;
    // FLOPs per iteration (conv only, as PyTorch's flop counter counts them: 20.08 GFLOP for
    // 128-c1). Per image, a forward pass costs p1, of which conv1 is c1. A Langevin step is a
    // forward and a backward-data pass: 2·p1 per chain. The update runs the obs image and the
    // chains forward (p1 each) and backward for all weights (p1) and for the inputs of conv2
    // and conv3 (p1 − c1).
    let h1 = (size + 4 - 15) / 3 + 1;
    let conv = |c_in: usize, c_out: usize, k: usize, hw: usize| 2.0 * (c_in * c_out * k * k * hw * hw) as f64;
    let c1 = conv(3, 100, 15, h1);
    let p1 = c1 + conv(100, 64, 5, h1) + conv(64, 30, 3, h1 + 2);
    let gflop = (10.0 * 2.0 * p1 * chains as f64 + (1.0 + chains as f64) * (3.0 * p1 - c1)) / 1e9;
    let name: &'static str = Box::leak(texture_name(size, chains).into_boxed_str());
    Ok(Workload {
        heavy: (chains > 1).then_some(3),
        name,
        gflop,
        run: Box::new(move || {
            learner.step(&obs, &mut rng_from_seed(2))?;
            Ok(())
        }),
    })
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let device = Device::parse(&args.device)?;
    println!("| workload | threads | median ms | [min - max] ms | GFLOP/s |");
    println!("|---|---|---|---|---|");
    for &threads in &args.threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
        pool.install(|| -> Result<()> {
            let wanted = |name: &str| args.filter.as_deref().is_none_or(|f| name.contains(f));
            for group in groups().into_iter().filter(|g| g.names.iter().any(|n| wanted(n))) {
                let built = (group.build)(&device)?;
                let names: Vec<&str> = built.iter().map(|w| w.name).collect();
                anyhow::ensure!(names == group.names, "bench: a group announced {:?} but built {names:?}", group.names);
                for mut w in built.into_iter().filter(|w| wanted(w.name)) {
                    let (warmup, iters) = match w.heavy {
                        Some(k) => (args.warmup.min(1), args.iters.min(k)),
                        None => (args.warmup, args.iters),
                    };
                    let (med, lo, hi) = time(&device, warmup, iters, &mut w.run)?;
                    println!(
                        "| {} | {threads} | {:.2} | [{:.2} - {:.2}] | {:.1} |",
                        w.name,
                        med * 1e3,
                        lo * 1e3,
                        hi * 1e3,
                        w.gflop / med
                    );
                    profile::report(&device, iters.max(1), med * 1e3)?;
                }
            }
            Ok(())
        })?;
    }
    profile::tuning_log(&device);
    Ok(())
}
