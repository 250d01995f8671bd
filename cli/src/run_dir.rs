//! The layout of a run folder, the same for every model and experiment:
//!
//! ```text
//! config.toml             the full configuration, defaults written out
//! observed.png            the observed data at the model's size and scale (a grid when there
//!                         are several; observed.wav for sound)
//! synthesis_<iter>.png    the model's samples every `snapshot_every` iterations
//! final.png               a grid of all final samples
//! final/<k>.png           each final sample on its own (.wav for sound), k from 0
//! stats.csv, stats.svg    the statistics of every iteration, and their curves
//! metrics.json            iterations, seconds per iteration, final statistics, seed, config
//! checkpoints/            ckpt_<iter>.<module>.safetensors, ckpt_<iter>.state.safetensors,
//!                         ckpt_<iter>.json (see `nn::checkpoint::parts`)
//! report.html             all of the above on one page
//! ```
//!
//! Other pictures of an experiment (reconstructions, interpolations, larger textures) sit
//! beside these under their own names and appear in the report too.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub fn checkpoint_dir(out: &Path) -> PathBuf {
    out.join("checkpoints")
}

/// The prefix of the checkpoint at `iteration`: `checkpoints/ckpt_<iteration>`.
pub fn checkpoint_prefix(out: &Path, iteration: usize) -> PathBuf {
    checkpoint_dir(out).join(format!("ckpt_{iteration:06}"))
}

/// Complete checkpoints (their sidecar, written last, exists), oldest first, as
/// (iteration, prefix).
pub fn checkpoints(out: &Path) -> Vec<(usize, PathBuf)> {
    let mut v: Vec<(usize, PathBuf)> = fs::read_dir(checkpoint_dir(out))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let it = p.file_name()?.to_str()?.strip_prefix("ckpt_")?.strip_suffix(".json")?.parse().ok()?;
            Some((it, p.with_extension("")))
        })
        .collect();
    v.sort();
    v
}

/// The checkpoint prefix a user names by any of its files (`ckpt_000400.json`,
/// `ckpt_000400.generator.safetensors`) or by the prefix itself.
pub fn prefix_of(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let stem = match (name.strip_suffix(".json"), name.strip_suffix(".safetensors")) {
        (Some(s), _) => s,
        // `<prefix>.<part>.safetensors`, `<prefix>.state.safetensors`
        (_, Some(s)) => s.rsplit_once('.').map_or(s, |(prefix, _)| prefix),
        _ => return path.to_path_buf(),
    };
    path.with_file_name(stem)
}

/// Remove all but the newest `keep` checkpoints (every file of each).
pub fn prune_checkpoints(out: &Path, keep: usize) -> Result<()> {
    let all = checkpoints(out);
    for (_, prefix) in all.iter().take(all.len().saturating_sub(keep.max(1))) {
        let stem = format!("{}.", prefix.file_name().and_then(|n| n.to_str()).unwrap_or_default());
        // the sidecar first, so a half-removed checkpoint is never listed as complete
        let side = nn::checkpoint::parts::meta_path(prefix);
        fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        for e in fs::read_dir(checkpoint_dir(out))?.flatten() {
            if e.file_name().to_str().is_some_and(|n| n.starts_with(&stem)) {
                fs::remove_file(e.path()).with_context(|| format!("removing {}", e.path().display()))?;
            }
        }
    }
    Ok(())
}

/// An exclusive hold on a run folder for as long as it lives: a second run or resume into the
/// same folder fails at once instead of mixing its files and checkpoints with this one's. The
/// operating system drops the lock when the process ends, also after `kill -9`, so a killed
/// run's folder can be resumed right away.
#[derive(Debug)]
pub struct RunLock {
    _file: fs::File,
}

/// Take the lock of `out` (the file `out/.lock`, holding the holder's process id).
pub fn lock(out: &Path) -> Result<RunLock> {
    use std::io::{Read, Seek, Write};
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let path = out.join(".lock");
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            anyhow::bail!(
                "{} is in use by another run (process {}); wait for it to finish or choose another --out",
                out.display(),
                holder.trim()
            );
        }
        Err(fs::TryLockError::Error(e)) => return Err(e).with_context(|| format!("locking {}", path.display())),
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(RunLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_is_named_by_any_of_its_files_or_its_prefix() {
        for name in
            ["ckpt_000400.json", "ckpt_000400.generator.safetensors", "ckpt_000400.state.safetensors", "ckpt_000400"]
        {
            assert_eq!(
                prefix_of(Path::new("/r/checkpoints").join(name).as_path()),
                Path::new("/r/checkpoints/ckpt_000400")
            );
        }
        // any name: its sidecar is the file the user gave, not `mine.json.json`
        assert_eq!(prefix_of(Path::new("mine.json")), Path::new("mine"));
    }
}
