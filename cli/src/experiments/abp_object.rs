//! `abp-object`: the generator learned on one MNIST digit class (ABP paper §4.1 and §4.3).
//!
//! Besides the run folder it writes `reconstruction.png` (rows of observed images above rows
//! of their g(Z): 8 training digits, 8 held-out digits, 8 Fashion-MNIST images), `interpolation.png` (a 9×9 grid over z₁, z₂ ∈ [−2, 2] when
//! z has two dimensions, else lines between the inferred Z of pairs of training images), and
//! the **train / test / negative reconstruction error** per evaluation (`reconstruction.csv`,
//! `reconstruction.svg`): the mean squared error per pixel on the [−1, 1] scale of g(Z) with Z
//! inferred by [`eval::infer`] and W fixed, on 200 training digits, the 200 held-out digits
//! and 200 Fashion-MNIST images (another category). The final values are in `metrics.json` as
//! `reconstruction.{train, test, negative}`.

use std::path::Path;

use anyhow::{Context, Result};
use models::generator::GeneratorLearner;
use tensor::Tensor;

use super::eval::{self, infer, interleave_rows, line_latents};
use crate::config::RunConfig;
use crate::data::Observed;
use crate::media::{save_grid_cols, Media};
use crate::plot::{Panel, Series};
use crate::stats::StatsRow;
use crate::train::{train_learner, Options, Summary};

/// The columns of `reconstruction.csv`.
const SETS: [&str; 3] = ["train", "test", "negative"];
/// Evaluations of the reconstruction error during the run.
const EVALUATIONS: usize = 5;
/// The random stream of evaluation `k` is `EVAL_STREAM − k`.
const EVAL_STREAM: u64 = u64::MAX - 10_000;

/// The three sets whose reconstruction error is followed.
struct Sets {
    train: Tensor,
    test: Tensor,
    negative: Tensor,
}

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let (obs, mut learner) = super::generator_run(cfg)?;
    let test = obs.held_out.clone().context("abp-object measures held-out examples: set data.holdout")?;
    let n = obs.data.shape()[0];
    let sets = Sets { train: obs.data.narrow(0, 0, 200.min(n))?, test, negative: negative(cfg)? };
    let every = (cfg.run.iterations / EVALUATIONS).max(1);
    let csv = out.join("reconstruction.csv");
    let mut rows = if resume { crate::stats::read_csv(&csv, &SETS, usize::MAX)? } else { vec![] };
    let mut after = |it: usize, l: &mut GeneratorLearner| -> Result<()> {
        if (it + 1).is_multiple_of(every) || it + 1 == cfg.run.iterations {
            let t0 = std::time::Instant::now();
            let values = measure(l, &sets, cfg.run.seed, (it + 1) as u64)?.to_vec();
            rows.retain(|r| r.iteration < it + 1);
            rows.push(StatsRow { iteration: it + 1, values, seconds: t0.elapsed().as_secs_f32() });
            crate::stats::write_csv(&csv, &SETS, &rows)?;
            plot(out, &rows)?;
        }
        Ok(())
    };
    let summary = train_learner(cfg, out, Options { resume, progress: true }, &obs, &mut learner, &mut after)?;
    let last = rows.last().map_or(vec![f32::NAN; 3], |r| r.values.clone());
    pictures(cfg, out, &learner, &sets, &obs)?;
    crate::metrics::merge(
        out,
        serde_json::json!({ "reconstruction": { "train": last[0], "test": last[1], "negative": last[2] } }),
    )?;
    Ok(summary)
}

/// 200 Fashion-MNIST images, in the scale of the run.
fn negative(cfg: &RunConfig) -> Result<Tensor> {
    let (images, labels) = crate::presets::fashion_mnist_files();
    let x = crate::data::load_idx(&images, &labels, -1, 0, 200)?;
    Ok(cfg.data.scaling.apply(&x)?)
}

/// [train, test, negative] mean squared reconstruction error per pixel.
fn measure(l: &GeneratorLearner, sets: &Sets, seed: u64, k: u64) -> Result<[f32; 3]> {
    let lang = l.langevin();
    let mut err = [0.0; 3];
    for (e, y) in err.iter_mut().zip([&sets.train, &sets.test, &sets.negative]) {
        let (_, recon) = infer(&l.generator, y, None, &lang, seed, EVAL_STREAM - k)?;
        *e = eval::mse(y, &recon, None)?;
    }
    Ok(err)
}

/// `reconstruction.svg`: the three curves.
fn plot(out: &Path, rows: &[StatsRow]) -> Result<()> {
    let x: Vec<usize> = rows.iter().map(|r| r.iteration).collect();
    let col = |i: usize| rows.iter().map(|r| r.values[i]).collect::<Vec<f32>>();
    let (a, b, c) = (col(0), col(1), col(2));
    let panel = Panel {
        y_title: "reconstruction MSE per pixel",
        series: vec![
            Series { label: "training digits", x: &x, y: &a },
            Series { label: "held-out digits", x: &x, y: &b },
            Series { label: "Fashion-MNIST (negative)", x: &x, y: &c },
        ],
    };
    crate::plot::line_plot(&out.join("reconstruction.svg"), &[panel])
}

/// `reconstruction.png` and `interpolation.png`.
fn pictures(cfg: &RunConfig, out: &Path, l: &GeneratorLearner, sets: &Sets, obs: &Observed) -> Result<()> {
    let Media::Image(scaling) = Media::of(&cfg.data) else { return Ok(()) };
    let lang = l.langevin();
    let mut blocks = Vec::new();
    for y in [&sets.train, &sets.test, &sets.negative] {
        let (_, recon) = infer(&l.generator, y, None, &lang, cfg.run.seed, EVAL_STREAM)?;
        let k = 8.min(y.shape()[0]);
        blocks.push(interleave_rows(&y.narrow(0, 0, k)?, &recon.narrow(0, 0, k)?, 8)?);
    }
    let all = Tensor::cat(&blocks.iter().collect::<Vec<_>>(), 0)?;
    save_grid_cols(&out.join("reconstruction.png"), &all, &scaling, 8)?;
    let latent = &l.generator.net.latent;
    let z = if latent.iter().product::<usize>() == 2 {
        grid_latents(latent)?
    } else {
        let pairs = obs.data.narrow(0, 0, 16.min(obs.data.shape()[0]))?;
        let (z, _) = infer(&l.generator, &pairs, None, &lang, cfg.run.seed, EVAL_STREAM)?;
        line_latents(&z, 8, 10)?
    };
    let cols = if z.shape()[0] == 81 { 9 } else { 10 };
    save_grid_cols(&out.join("interpolation.png"), &l.generator.generate_tensor(&z)?, &scaling, cols)
}

/// A 9×9 grid over z₁, z₂ ∈ [−2, 2].
fn grid_latents(latent: &[usize]) -> Result<Tensor> {
    let t: Vec<f32> = (0..9).map(|i| -2.0 + 0.5 * i as f32).collect();
    let v: Vec<f32> = t.iter().flat_map(|&a| t.iter().flat_map(move |&b| [a, b])).collect();
    Ok(Tensor::from_vec(v, &[&[81][..], latent].concat())?)
}
