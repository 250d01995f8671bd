//! Saving a run's checkpoint and resuming from one, for any model (the files are described in
//! `nn::checkpoint::parts`). The sidecar holds the iteration, the shape of one example, the
//! configuration and a fingerprint of the observed data, so a resume can refuse what would
//! not continue the same run.

use std::path::Path;

use anyhow::{bail, Context, Result};
use models::Learner;
use tensor::Tensor;

use crate::config::RunConfig;
use crate::run_dir;
use crate::stats::StatsRow;

/// FNV-1a over the bits of every value and the shape: the observed data's fingerprint.
pub fn fingerprint(x: &Tensor) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let shape = x.shape().iter().map(|&d| d as u32);
    for v in shape.chain(x.to_vec().into_iter().map(f32::to_bits)) {
        for b in v.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Write the checkpoint of iteration `it` and prune old ones.
pub fn save<L: Learner + ?Sized>(out: &Path, it: usize, learner: &L, cfg: &RunConfig, data: &Tensor) -> Result<()> {
    let mut meta = serde_json::json!({
        "iteration": it,
        "model": cfg.model.kind(),
        "data_shape": &data.shape()[1..],
        "examples": data.shape()[0],
        "data_fingerprint": fingerprint(data),
        "config": cfg,
    });
    // the convolution algorithms a GPU chose by timing (see `pin_conv_choices`)
    let choices = data.device().conv_choices();
    if !choices.is_empty() {
        meta["conv_choices"] = choices.into();
    }
    nn::checkpoint::parts::save(&run_dir::checkpoint_prefix(out, it), &learner.parts(), &learner.state(), &meta)?;
    run_dir::prune_checkpoints(out, cfg.run.keep_checkpoints)
}

/// Restore `learner` from the newest checkpoint in `out` that loads (if any); returns the
/// iteration to continue from and the statistics rows before it. A checkpoint that cannot be
/// read, does not fit the model or holds non-finite weights is skipped (said on stderr) for
/// the next older one; a changed configuration or changed data stop the resume.
pub fn resume<L: Learner + ?Sized>(
    out: &Path,
    cfg: &RunConfig,
    learner: &mut L,
    names: &[&str],
    data: &Tensor,
) -> Result<(usize, Vec<StatsRow>)> {
    let all = run_dir::checkpoints(out);
    let mut skipped = Vec::new();
    for (it, prefix) in all.iter().rev() {
        let meta_path = nn::checkpoint::parts::meta_path(prefix);
        let meta = match nn::checkpoint::read_json(&meta_path) {
            Ok(m) => m,
            Err(e) => {
                skipped.push(format!("{e}"));
                continue;
            }
        };
        check_run(&meta_path, &meta, cfg, data)?;
        if let Err(e) = restore(prefix, learner) {
            skipped.push(format!("{e:#}"));
            continue;
        }
        for s in &skipped {
            eprintln!("--resume: skipped a checkpoint that does not load: {s}");
        }
        let rows = crate::stats::read(out, names, *it)?;
        if rows.len() != *it {
            eprintln!(
                "--resume: {} holds {} of the {it} rows before this checkpoint (deleted or edited?); the \
                 learning curves will miss the others",
                out.join("stats.csv").display(),
                rows.len()
            );
        }
        eprintln!("resuming from {} (iteration {it})", prefix.display());
        return Ok((*it, rows));
    }
    if !skipped.is_empty() {
        bail!("--resume: no checkpoint in {} loads:\n  {}", out.display(), skipped.join("\n  "));
    }
    Ok((0, vec![]))
}

/// Make `device` compute with the convolution algorithms stored in the checkpoint of
/// iteration `it` (a GPU run picks them by timing: the same ones give the same bits, so that
/// `--resume` continues exactly). Checkpoints without them (CPU runs) change nothing.
pub fn pin_conv_choices(out: &Path, it: usize, device: &tensor::Device) -> Result<()> {
    let meta_path = nn::checkpoint::parts::meta_path(&run_dir::checkpoint_prefix(out, it));
    let meta = nn::checkpoint::read_json(&meta_path)?;
    match meta.get("conv_choices").and_then(|c| c.as_str()) {
        Some(text) => device.pin_conv_choices(text).with_context(|| format!("{}: conv_choices", meta_path.display())),
        None => Ok(()),
    }
}

/// Load weights, optimizer state and run state of the checkpoint at `prefix` into `learner`,
/// refusing non-finite weights.
pub fn restore<L: Learner + ?Sized>(prefix: &Path, learner: &mut L) -> Result<()> {
    let loaded = nn::checkpoint::parts::load(prefix, &mut learner.parts_mut())?;
    learner.load_state(&loaded.extras).with_context(|| format!("restoring the run state of {}", prefix.display()))?;
    if let Some(name) = learner.non_finite_parameter() {
        bail!("{}: parameter {name} is not finite", prefix.display());
    }
    Ok(())
}

/// The saved run must be this one: same configuration (but its cadence) and same data.
fn check_run(meta_path: &Path, meta: &serde_json::Value, cfg: &RunConfig, data: &Tensor) -> Result<()> {
    check_config(meta_path, meta, cfg)?;
    let (saved, now) = (meta["data_fingerprint"].as_str().unwrap_or("none"), fingerprint(data));
    if saved != now {
        bail!(
            "--resume: the observed data differ from the data this run was started with (fingerprint {saved} in {}, \
             {now} now): a data file was replaced or changed",
            meta_path.display()
        );
    }
    Ok(())
}

/// A run may be resumed with a different length and output cadence, nothing else: the
/// numbers it reaches would otherwise not be the ones of an uninterrupted run.
fn check_config(side: &Path, meta: &serde_json::Value, cfg: &RunConfig) -> Result<()> {
    let saved = meta.get("config").cloned().with_context(|| format!("{}: no run configuration", side.display()))?;
    let cadence_free = |mut v: serde_json::Value| {
        for k in [
            "iterations",
            "snapshot_every",
            "checkpoint_every",
            "keep_checkpoints",
            "device",
            "log_every",
            "conv_algorithms",
        ] {
            v["run"][k] = serde_json::Value::Null;
        }
        v
    };
    let (a, b) = (cadence_free(saved), cadence_free(serde_json::to_value(cfg)?));
    let mut diffs = Vec::new();
    differences("", &a, &b, &mut diffs);
    if !diffs.is_empty() {
        bail!(
            "--resume: the configuration differs from the one this run was started with ({}): {}; only \
             run.iterations, snapshot_every, checkpoint_every, keep_checkpoints, log_every, device and conv_algorithms may change",
            side.display(),
            diffs.join("; ")
        );
    }
    Ok(())
}

/// The dotted paths where `a` (saved) and `b` (now) differ, as `path: saved → now`.
fn differences(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value::Object;
    match (a, b) {
        (Object(x), Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let null = serde_json::Value::Null;
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                differences(&p, x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null), out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} → {b}")),
        _ => {}
    }
}
