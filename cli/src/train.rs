//! `coopnets train descriptor`: the learning loop, with snapshots, checkpoints, resume and
//! the run folder described in [`crate::run_dir`].
//!
//! Reproducibility: the model is initialised from `seed`, and iteration `t` draws all its
//! random numbers from the independent stream `(seed, t + 1)`. A run resumed from the
//! checkpoint at iteration `t` restores weights, optimizer state and chains exactly, so it
//! reaches the same numbers as a run that was never interrupted.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use datasets::{GridOptions, Scaling};
use indicatif::{ProgressBar, ProgressStyle};
use models::descriptor::{DescriptorLearner, DescriptorNet};
use models::Descriptor;
use nn::optim::Optimizer;
use nn::Module;
use tensor::{rng_for, rng_from_seed, Tensor};

use crate::config::RunConfig;
use crate::run_dir::{self, EnergyRow};

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct Summary {
    pub out: PathBuf,
    pub iterations: usize,
    pub seconds_per_iteration: f64,
    pub f_obs: f32,
    pub f_syn: f32,
}

/// Build the learner for data of shape `[C, H, W]` (weights from the seed).
pub fn build_learner(cfg: &RunConfig, c: usize, h: usize, w: usize) -> Result<DescriptorLearner> {
    let net = DescriptorNet::new(&cfg.model.net, c, h, w, &mut rng_from_seed(cfg.run.seed))?;
    Ok(DescriptorLearner::new(Descriptor::new(net, cfg.model.reference_sigma), cfg.learn.clone()))
}

/// Save a grid of `x` (model scale) to `path`.
pub fn save_grid(path: &Path, x: &Tensor, scaling: &Scaling) -> Result<()> {
    let n = x.shape()[0];
    let opts = GridOptions { padding: 2, pad_value: 255.0, ..GridOptions::fit(n) };
    datasets::save_grid(path, &x.clamp(-1e4, 1e4), scaling, &opts)
        .with_context(|| format!("writing {}", path.display()))
}

fn checkpoint(
    out: &Path,
    it: usize,
    learner: &DescriptorLearner,
    chains: &Tensor,
    cfg: &RunConfig,
    data_shape: &[usize],
) -> Result<()> {
    let extras = [("chains".to_string(), chains.clone())].into();
    let meta = serde_json::json!({ "iteration": it, "data_shape": data_shape, "config": cfg });
    let opt: &dyn Optimizer = learner.optimizer.as_ref();
    nn::checkpoint::save(
        &run_dir::checkpoint_path(out, it),
        &learner.descriptor.net,
        &[("descriptor", opt)],
        &extras,
        &meta,
    )?;
    run_dir::prune_checkpoints(out, cfg.run.keep_checkpoints)
}

/// Train a descriptor as configured, writing the run folder `out`. With `resume`, continue
/// from the newest checkpoint in `out`.
pub fn train(cfg: &RunConfig, out: &Path, resume: bool, progress: bool) -> Result<Summary> {
    let started = !run_dir::checkpoints(out).is_empty();
    if started && !resume {
        bail!("{} already holds a run; pass --resume to continue it or choose another --out", out.display());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let obs = crate::data::load_observed(&cfg.data)?;
    let &[n_obs, c, h, w] = obs.shape() else {
        bail!("observed data has shape {:?}, expected [N, C, H, W]", obs.shape())
    };
    let mut learner = build_learner(cfg, c, h, w)?;
    let chain_shape = [cfg.run.chains.max(1), c, h, w];
    let mut chains = if cfg.run.chain_init_std > 0.0 {
        // its own stream: 0 initialises the weights, t + 1 drives iteration t
        Tensor::randn(&chain_shape, 0.0, cfg.run.chain_init_std, &mut rng_for(cfg.run.seed, u64::MAX))?
    } else {
        Tensor::zeros(&chain_shape)
    };
    let mut start = 0;
    let mut rows = Vec::new();
    if resume {
        if let Some((it, path)) = run_dir::checkpoints(out).pop() {
            check_resumable(&path, cfg)?;
            let opt: &mut dyn Optimizer = learner.optimizer.as_mut();
            let loaded = nn::checkpoint::load(&path, &mut learner.descriptor.net, &mut [("descriptor", opt)])?;
            chains =
                loaded.extras.get("chains").cloned().with_context(|| format!("{}: no chains saved", path.display()))?;
            if chains.shape() != [cfg.run.chains.max(1), c, h, w] {
                bail!(
                    "{}: saved chains have shape {:?}; the configuration asks for {:?}",
                    path.display(),
                    chains.shape(),
                    [cfg.run.chains, c, h, w]
                );
            }
            start = it;
            rows = run_dir::read_energy(out, it)?;
            eprintln!("resuming from {} (iteration {it})", path.display());
        }
    }
    nn::checkpoint::write_atomic(&out.join("config.toml"), cfg.to_toml()?.as_bytes())?;
    save_grid(&out.join("observed.png"), &obs, &cfg.data.scaling)?;

    let bar = if progress { ProgressBar::new(cfg.run.iterations as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} it, ETA {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(start as u64);
    let batch = if cfg.run.batch_size == 0 { n_obs } else { cfg.run.batch_size.min(n_obs) };
    let t_run = Instant::now();
    for it in start..cfg.run.iterations {
        let t0 = Instant::now();
        let mut rng = rng_for(cfg.run.seed, it as u64 + 1);
        let first = (it * batch) % n_obs;
        let obs_batch = if batch == n_obs { obs.clone() } else { obs.narrow(0, first.min(n_obs - batch), batch)? };
        let stats = learner.step(&obs_batch, &mut chains, &mut rng).with_context(|| {
            format!("iteration {it}; the last good checkpoint is kept in {}", run_dir::checkpoint_dir(out).display())
        })?;
        if !stats.f_obs.is_finite() || !stats.f_syn.is_finite() {
            bail!(
                "iteration {it}: f(obs) = {}, f(syn) = {}; the last good checkpoint is kept in {}",
                stats.f_obs,
                stats.f_syn,
                run_dir::checkpoint_dir(out).display()
            );
        }
        let params = learner.descriptor.net.named_parameters();
        if let Some((name, _)) = params.iter().find(|(_, p)| p.value.first_non_finite().is_some()) {
            bail!(
                "iteration {it}: parameter {name} is not finite after the update; the last good checkpoint is kept in {}",
                run_dir::checkpoint_dir(out).display()
            );
        }
        rows.push(EnergyRow {
            iteration: it,
            f_obs: stats.f_obs,
            f_syn: stats.f_syn,
            seconds: t0.elapsed().as_secs_f32(),
        });
        let done = it + 1;
        if done % cfg.run.snapshot_every.max(1) == 0 || done == cfg.run.iterations {
            save_grid(&out.join(format!("synthesis_{done:05}.png")), &chains, &cfg.data.scaling)?;
        }
        if done % cfg.run.checkpoint_every.max(1) == 0 || done == cfg.run.iterations {
            run_dir::write_energy(out, &rows)?;
            checkpoint(out, done, &learner, &chains, cfg, &[c, h, w])?;
        }
        bar.set_message(format!("f(obs) {:.4e}  f(syn) {:.4e}", stats.f_obs, stats.f_syn));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let ran = cfg.run.iterations.saturating_sub(start);
    let spi = if ran > 0 { t_run.elapsed().as_secs_f64() / ran as f64 } else { 0.0 };
    finish(cfg, out, &chains, &rows, spi)
}

/// A run may be resumed with a different length and output cadence, nothing else: the
/// numbers it reaches would otherwise not be the ones of an uninterrupted run.
fn check_resumable(checkpoint: &Path, cfg: &RunConfig) -> Result<()> {
    let side = nn::checkpoint::sidecar_path(checkpoint);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&side).with_context(|| format!("reading {}", side.display()))?)
            .with_context(|| format!("{} is not valid JSON", side.display()))?;
    let saved: RunConfig = serde_json::from_value(meta["config"].clone())
        .with_context(|| format!("{}: no run configuration", side.display()))?;
    let cadence_free = |c: &RunConfig| {
        let mut c = c.clone();
        (c.run.iterations, c.run.snapshot_every, c.run.checkpoint_every, c.run.keep_checkpoints) = (0, 0, 0, 0);
        c
    };
    if cadence_free(&saved) != cadence_free(cfg) {
        bail!(
            "--resume: the configuration differs from the one this run was started with ({}); only iterations, \
             snapshot_every, checkpoint_every and keep_checkpoints may change. Saved configuration:\n{}",
            side.display(),
            saved.to_toml()?
        );
    }
    Ok(())
}

/// The end-of-run files: final grid and chains, the energy plot, metrics and the report.
fn finish(cfg: &RunConfig, out: &Path, chains: &Tensor, rows: &[EnergyRow], spi: f64) -> Result<Summary> {
    save_grid(&out.join("final.png"), chains, &cfg.data.scaling)?;
    let dir = out.join("final");
    std::fs::create_dir_all(&dir)?;
    for k in 0..chains.shape()[0] {
        let p = dir.join(format!("chain_{k}.png"));
        datasets::save_image(&p, &chains.get(k)?.clamp(-1e4, 1e4), &cfg.data.scaling)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    let f_obs: Vec<f32> = rows.iter().map(|r| r.f_obs).collect();
    let f_syn: Vec<f32> = rows.iter().map(|r| r.f_syn).collect();
    crate::plot::line_plot(
        &out.join("energy.png"),
        &[
            // f(syn) first, so f(obs) is drawn on top where they overlap
            crate::plot::Series { values: &f_syn, color: [214, 39, 40] },
            crate::plot::Series { values: &f_obs, color: [31, 119, 180] },
        ],
    )?;
    let last =
        rows.last().copied().unwrap_or(EnergyRow { iteration: 0, f_obs: f32::NAN, f_syn: f32::NAN, seconds: 0.0 });
    let measured: Vec<f32> = rows.iter().map(|r| r.seconds).collect();
    let spi = if spi > 0.0 {
        spi
    } else {
        measured.iter().map(|&s| f64::from(s)).sum::<f64>() / measured.len().max(1) as f64
    };
    let metrics = serde_json::json!({
        "iterations": rows.len(),
        "seconds_per_iteration": spi,
        "final_f_obs": last.f_obs,
        "final_f_syn": last.f_syn,
        "seed": cfg.run.seed,
        "threads": rayon_threads(),
        "config": cfg,
    });
    nn::checkpoint::write_atomic(&out.join("metrics.json"), serde_json::to_string_pretty(&metrics)?.as_bytes())?;
    crate::report::write(out, cfg, &metrics)?;
    Ok(Summary {
        out: out.to_path_buf(),
        iterations: rows.len(),
        seconds_per_iteration: spi,
        f_obs: last.f_obs,
        f_syn: last.f_syn,
    })
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
