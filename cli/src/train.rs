//! `coopnets train`: the one learning loop of every model, with snapshots, checkpoints,
//! resume and the run folder described in [`crate::run_dir`].
//!
//! Reproducibility: the model is initialised from `seed`, and iteration `t` draws all its
//! random numbers from the independent stream `(seed, t + 1)`. A run resumed from the
//! checkpoint at iteration `t` restores weights, optimizer state, chains and latents exactly,
//! so it reaches the same numbers as a run that was never interrupted.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use models::rows::gather;
use models::{Batch, Learner};
use rand::seq::SliceRandom;
use tensor::{rng_for, Tensor};

use crate::config::RunConfig;
use crate::data::Observed;
use crate::media::Media;
use crate::stats::StatsRow;
use crate::{build, checkpoint, finish, run_dir};

/// The stream of the samples shown in snapshots and `final/` (the same draws every time, so
/// snapshots show the model changing, not the draw).
pub const SAMPLE_STREAM: u64 = u64::MAX - 2;
/// The streams of the epoch orders start here (epoch e uses `SHUFFLE_STREAM − e`).
const SHUFFLE_STREAM: u64 = u64::MAX - 1000;

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct Summary {
    pub out: PathBuf,
    pub iterations: usize,
    pub seconds_per_iteration: f64,
    /// The last iteration's statistics, by name.
    pub stats: Vec<(String, f32)>,
}

/// How progress is reported without a progress bar: one line of text, or one JSON object per
/// line (`{"iteration": …, "iterations": …, "seconds_per_iteration": …, "stats": {…}}`) for
/// programs. Chosen once per process (`--log-format`), like the terminal it writes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// Set the process's [`LogFormat`] (the first call wins). With JSON the progress bar is off and
/// every `run.log_every` iterations print one JSON line on stderr, terminal or not.
pub fn set_log_format(f: LogFormat) {
    let _ = LOG_FORMAT.set(f);
}

fn log_format() -> LogFormat {
    LOG_FORMAT.get().copied().unwrap_or_default()
}

/// How the loop runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Continue from the newest checkpoint in the run folder.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
}

/// Train the model of `cfg` on its data, writing the run folder `out`.
pub fn train(cfg: &RunConfig, out: &Path, resume: bool, progress: bool) -> Result<Summary> {
    crate::validate::validate(cfg)?; // before the data are loaded
    let mut cfg = cfg.clone();
    crate::data::resolve_scaling(&mut cfg.data, cfg.run.seed)?;
    let obs = crate::data::load(&cfg.data, cfg.run.seed)?;
    let mut learner = build::learner(&cfg, &obs)?;
    train_learner(&cfg, out, Options { resume, progress }, &obs, learner.as_mut(), &mut |_, _| Ok(()))
}

/// `[N, rest…]` → (N, rest).
pub fn split_shape(x: &Tensor) -> Result<(usize, Vec<usize>)> {
    match x.shape() {
        [n, rest @ ..] if *n > 0 && !rest.is_empty() => Ok((*n, rest.to_vec())),
        s => bail!("observed data have shape {s:?}; expected [N, C, …] with N ≥ 1"),
    }
}

/// The loop, for any learner; `after` runs after every iteration (experiments record their
/// own curves there).
pub fn train_learner<L: Learner + ?Sized>(
    cfg: &RunConfig,
    out: &Path,
    opts: Options,
    obs: &Observed,
    learner: &mut L,
    after: &mut dyn FnMut(usize, &mut L) -> Result<()>,
) -> Result<Summary> {
    if cfg.data.scaling == datasets::Scaling::DataMean {
        bail!("data.scaling = \"data_mean\" must be resolved first (crate::data::resolve_scaling), so that samples map back to pixels");
    }
    crate::validate::validate(cfg)?;
    let launch = nn::dist::LaunchEnv::from_env()?;
    if launch.world_size > 1 {
        bail!(
            "launched as rank {} of {} (RANK/WORLD_SIZE): data-parallel training is designed (docs/distributed.md) \
             and its gradient all-reduce is in nn::dist, but `train` does not shard the data yet; run one process",
            launch.rank,
            launch.world_size
        );
    }
    let device = crate::data::device(&cfg.run)?;
    let _lock = run_dir::lock(out)?; // held until this function returns
    if !run_dir::checkpoints(out).is_empty() && !opts.resume {
        bail!("{} already holds a run; pass --resume to continue it or choose another --out", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let names: Vec<&str> = learner.stats().iter().map(|s| s.name).collect();
    let (start, mut rows) =
        if opts.resume { checkpoint::resume(out, cfg, learner, &names, &obs.data)? } else { (0, vec![]) };
    if start > 0 {
        checkpoint::pin_conv_choices(out, start, &device)?;
    }
    if !device.is_cpu() {
        // learners are built on the CPU (from the seed); elsewhere they move once, here
        learner.to_device(&device).with_context(|| format!("moving the model to {device}"))?;
    }
    let on_device;
    let obs = if device.is_cpu() {
        obs
    } else {
        on_device = obs.to_device(&device)?;
        &on_device
    };
    nn::checkpoint::write_atomic(&out.join("config.toml"), cfg.to_toml()?.as_bytes())?;
    let media = Media::of(&cfg.data);
    media.save_all(out, "observed", obs.whole.as_ref().unwrap_or(&obs.data))?;
    if let Some(m) = &obs.mask {
        media.save_all(out, "observed_incomplete", &datasets::apply_mask(&obs.data, m, 0.0)?)?;
    }
    let json = log_format() == LogFormat::Json;
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr()) && !json;
    let bar = progress_bar(opts.progress && terminal, cfg.run.iterations, start);
    let t_run = Instant::now();
    for it in start..cfg.run.iterations {
        let t0 = Instant::now();
        let values = iterate(cfg, out, obs, learner, it)?;
        bar.set_message(names.iter().zip(&values).map(|(n, v)| format!("{n} {v:.4e}")).collect::<Vec<_>>().join("  "));
        rows.push(StatsRow { iteration: it, values, seconds: t0.elapsed().as_secs_f32() });
        after(it, learner)?;
        let done = it + 1;
        if opts.progress && !terminal && done % cfg.run.log_every.max(1) == 0 {
            let spi = t_run.elapsed().as_secs_f64() / (done - start) as f64;
            if json {
                let stats: serde_json::Map<_, _> =
                    names.iter().zip(&values_of(&rows)).map(|(n, v)| (n.to_string(), serde_json::json!(v))).collect();
                let line = serde_json::json!({"iteration": done, "iterations": cfg.run.iterations,
                    "seconds_per_iteration": spi, "stats": stats});
                eprintln!("{line}");
            } else {
                eprintln!("iteration {done}/{}: {}  ({spi:.3} s/iteration)", cfg.run.iterations, bar.message());
            }
            crate::stats::write(out, &names, &rows)?;
        }
        if done % cfg.run.snapshot_every.max(1) == 0 || done == cfg.run.iterations {
            let x = learner.samples(cfg.run.chains.max(1), &mut rng_for(cfg.run.seed, SAMPLE_STREAM))?;
            media.save_all(out, &format!("synthesis_{done:05}"), &x)?;
        }
        if done % cfg.run.checkpoint_every.max(1) == 0 || done == cfg.run.iterations {
            crate::stats::write(out, &names, &rows)?;
            checkpoint::save(out, done, &*learner, cfg, &obs.data)?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let ran = cfg.run.iterations.saturating_sub(start);
    let spi = if ran > 0 { t_run.elapsed().as_secs_f64() / ran as f64 } else { 0.0 };
    // the model's iteration count: a finished run resumed with fewer iterations stays where it was
    finish::finish(cfg, out, &*learner, &rows, spi, cfg.run.iterations.max(start))
}

/// The statistics of the last row (empty before the first).
fn values_of(rows: &[StatsRow]) -> Vec<f32> {
    rows.last().map(|r| r.values.clone()).unwrap_or_default()
}

/// One iteration `it` on its batch, with the non-finite checks.
fn iterate<L: Learner + ?Sized>(
    cfg: &RunConfig,
    out: &Path,
    obs: &Observed,
    learner: &mut L,
    it: usize,
) -> Result<Vec<f32>> {
    let kept = || match run_dir::checkpoints(out).last() {
        Some((_, p)) => format!("the last good checkpoint is {}", p.display()),
        None => "no checkpoint was written yet".to_string(),
    };
    let index = batch_index(obs.data.shape()[0], cfg.run.batch_size, it, cfg.run.seed);
    let data = gather(&obs.data, &index)?;
    let mask = obs.mask.as_ref().map(|m| gather(m, &index)).transpose()?;
    let slot = it % batches_per_epoch(obs.data.shape()[0], cfg.run.batch_size);
    let batch = Batch { data: &data, index: &index, mask: mask.as_ref(), iteration: it, slot };
    let mut rng = rng_for(cfg.run.seed, it as u64 + 1);
    let values = learner.iteration(&batch, &mut rng).with_context(|| format!("iteration {it}; {}", kept()))?;
    let names = learner.stats();
    if let Some((s, v)) = names.iter().zip(&values).find(|(_, v)| !v.is_finite()) {
        bail!("iteration {it}: {} = {v} ({}); {}", s.name, s.label, kept());
    }
    if let Some(name) = learner.non_finite_parameter() {
        bail!("iteration {it}: parameter {name} is not finite after the update; {}", kept());
    }
    Ok(values)
}

/// Batches per epoch of `n` examples: `n / batch_size` (a remainder is left out), or 1 when
/// every batch holds all the data (`batch_size` 0 or ≥ n).
pub fn batches_per_epoch(n: usize, batch_size: usize) -> usize {
    if batch_size == 0 || batch_size >= n {
        1
    } else {
        n / batch_size
    }
}

/// The examples of iteration `it`: all of them, or batch `it mod b` of a seeded random order
/// of the data that changes every epoch (`b` batches per epoch; a remainder is left out).
pub fn batch_index(n: usize, batch_size: usize, it: usize, seed: u64) -> Vec<usize> {
    if batch_size == 0 || batch_size >= n {
        return (0..n).collect();
    }
    let per_epoch = batches_per_epoch(n, batch_size);
    let (epoch, k) = (it / per_epoch, it % per_epoch);
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng_for(seed, SHUFFLE_STREAM - epoch as u64));
    order[k * batch_size..(k + 1) * batch_size].to_vec()
}

fn progress_bar(on: bool, iterations: usize, start: usize) -> ProgressBar {
    let bar = if on { ProgressBar::new(iterations as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} it, ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(start as u64);
    bar
}
