//! A checkpoint of several modules: what a run of CoopNets (descriptor + generator) or of any
//! one model saves at iteration `t`. For a prefix `dir/ckpt_000400`:
//!
//! ```text
//! ckpt_000400.<module>.safetensors   one per module: its state_dict only (parameters and
//!                                    buffers), so PyTorch's `load_state_dict(strict=True)`
//!                                    takes it into the same net
//! ckpt_000400.state.safetensors      optimizer state (`optim.<module>.*`) and run state
//!                                    (`extra.*`: chains, latents), kept apart from the weights
//! ckpt_000400.json                   the sidecar (config, iteration), written last
//! ```
//!
//! Every file is written atomically and the sidecar last, so a checkpoint whose sidecar exists
//! is complete. Loading reads and checks every file before it changes any module or optimizer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tensor::Tensor;

use super::{assign, check_module, read_json, read_tensors, state_dict, strip_prefix, write_json, write_tensors};
use crate::error::{NnError, Result};
use crate::module::Module;
use crate::optim::Optimizer;

/// One module of a checkpoint and its optimizer, by name (`descriptor`, `generator`).
pub struct Part<'a> {
    pub name: &'a str,
    pub module: &'a dyn Module,
    pub optimizer: &'a dyn Optimizer,
}

/// The mutable counterpart of [`Part`], for loading.
pub struct PartMut<'a> {
    pub name: &'a str,
    pub module: &'a mut dyn Module,
    pub optimizer: &'a mut dyn Optimizer,
}

/// `prefix.<name>.safetensors`.
pub fn module_path(prefix: &Path, name: &str) -> PathBuf {
    with_suffix(prefix, &format!(".{name}.safetensors"))
}

/// `prefix.state.safetensors`.
pub fn state_path(prefix: &Path) -> PathBuf {
    with_suffix(prefix, ".state.safetensors")
}

/// `prefix.json`: the sidecar, written last.
pub fn meta_path(prefix: &Path) -> PathBuf {
    with_suffix(prefix, ".json")
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Save the modules, their optimizers' state, `extras` and `meta` under `prefix`.
pub fn save(
    prefix: &Path,
    parts: &[Part<'_>],
    extras: &BTreeMap<String, Tensor>,
    meta: &serde_json::Value,
) -> Result<()> {
    let mut state: BTreeMap<String, Tensor> = extras.iter().map(|(k, v)| (format!("extra.{k}"), v.clone())).collect();
    for p in parts {
        write_tensors(&module_path(prefix, p.name), &state_dict(p.module))?;
        state.extend(p.optimizer.state_dict().into_iter().map(|(k, v)| (format!("optim.{}.{k}", p.name), v)));
    }
    write_tensors(&state_path(prefix), &state)?;
    write_json(&meta_path(prefix), meta)
}

/// What [`load`] returns besides the restored modules and optimizers.
#[derive(Debug)]
pub struct LoadedParts {
    pub meta: serde_json::Value,
    /// The `extra.*` tensors, without the prefix.
    pub extras: BTreeMap<String, Tensor>,
}

/// Load the checkpoint at `prefix` into `parts`. Every file is read and checked (strictly: no
/// missing, unexpected or misshapen tensor) before anything is changed; if one part's
/// optimizer state is refused, the optimizers already loaded get their old state back, so
/// an error leaves every part as it was.
pub fn load(prefix: &Path, parts: &mut [PartMut<'_>]) -> Result<LoadedParts> {
    let meta = read_json(&meta_path(prefix))?;
    let state_file = state_path(prefix);
    let state = read_tensors(&state_file)?;
    let mut weights = Vec::with_capacity(parts.len());
    for p in parts.iter() {
        let path = module_path(prefix, p.name);
        let tensors = read_tensors(&path)?;
        check_module(&path, p.module, &tensors, true)?;
        weights.push((path, tensors));
    }
    let before: Vec<_> = parts.iter().map(|p| p.optimizer.state_dict()).collect();
    for i in 0..parts.len() {
        let s = strip_prefix(&state, &format!("optim.{}.", parts[i].name));
        if let Err(msg) = parts[i].optimizer.load_state_dict(&s) {
            // the refused one too: a loader may have cleared its state before refusing
            for (p, old) in parts[..=i].iter_mut().zip(&before) {
                let _ = p.optimizer.load_state_dict(old); // its own state: loads
            }
            return Err(NnError::Corrupt { path: state_file, msg });
        }
    }
    for (p, (path, tensors)) in parts.iter_mut().zip(&weights) {
        assign(path, p.module, tensors)?;
    }
    Ok(LoadedParts { meta, extras: strip_prefix(&state, "extra.") })
}
