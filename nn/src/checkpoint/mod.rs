//! Checkpoints: parameters, buffers and optimizer state in one **safetensors** file, plus a
//! small JSON sidecar (run config, step counter).
//!
//! * Layout is PyTorch's (`Conv2d.weight` is `[out, in, kh, kw]`), names are the module's
//!   hierarchical names, so `safetensors.torch.load_file` gives a ready `state_dict`.
//!   Optimizer state is stored under `optim.<label>.<name>`, other run state (e.g. persistent
//!   Langevin chains) under `extra.<name>`.
//! * Writes are atomic: write a temporary file, fsync it, rename it over the target, fsync the
//!   folder. The sidecar is written after the tensors, so a sidecar always has its tensors.
//! * [`parts`]: a checkpoint of several modules (generator and descriptor), one strict
//!   `state_dict` file per module and the optimizer state and run state beside them.
//! * Loading checks everything before changing anything: a missing name, an unexpected name or
//!   a wrong shape is an error listing every mismatch; a truncated or corrupt file is an error.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use tensor::Tensor;

use crate::error::{io_err, NnError, Result};
use crate::module::Module;
use crate::optim::Optimizer;

pub mod parts;

/// The JSON sidecar next to `path` (`x.safetensors` → `x.json`).
pub fn sidecar_path(path: &Path) -> PathBuf {
    path.with_extension("json")
}

/// Write `bytes` to `path` so that readers see the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("checkpoint"),
        std::process::id()
    ));
    let written = (|| {
        let mut f = fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, path).map_err(io_err(path))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp); // a full disk must not fill up with half-written copies
    }
    written?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all(); // make the rename durable where the platform allows it
    }
    Ok(())
}

/// Everything that goes into the safetensors file, by name.
fn collect(
    module: &dyn Module,
    optimizers: &[(&str, &dyn Optimizer)],
    extras: &BTreeMap<String, Tensor>,
) -> BTreeMap<String, Tensor> {
    let mut all: BTreeMap<String, Tensor> =
        module.named_parameters().into_iter().map(|(n, p)| (n, p.value.clone())).collect();
    let mut buffers = Vec::new();
    module.collect_buffers("", &mut buffers);
    all.extend(buffers);
    for (label, opt) in optimizers {
        for (k, v) in opt.state_dict() {
            all.insert(format!("optim.{label}.{k}"), v);
        }
    }
    for (k, v) in extras {
        all.insert(format!("extra.{k}"), v.clone());
    }
    all
}

#[derive(Debug)]
/// What [`load`] returns besides the restored module and optimizers.
pub struct Loaded {
    /// The sidecar JSON.
    pub meta: serde_json::Value,
    /// The `extra.*` tensors, without the prefix.
    pub extras: BTreeMap<String, Tensor>,
}

/// Save `module`, the optimizers' state, extra tensors and `meta` (the sidecar JSON) at `path`.
pub fn save(
    path: &Path,
    module: &dyn Module,
    optimizers: &[(&str, &dyn Optimizer)],
    extras: &BTreeMap<String, Tensor>,
    meta: &serde_json::Value,
) -> Result<()> {
    write_tensors(path, &collect(module, optimizers, extras))?;
    write_json(&sidecar_path(path), meta)
}

/// Write `tensors` as one safetensors file at `path` (atomically).
pub fn write_tensors(path: &Path, tensors: &BTreeMap<String, Tensor>) -> Result<()> {
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.to_vec().iter().flat_map(|v| v.to_le_bytes()).collect(), t.shape().to_vec()))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, b, s)| {
            Ok((
                n.clone(),
                TensorView::new(Dtype::F32, s.clone(), b)
                    .map_err(|e| NnError::Corrupt { path: path.to_path_buf(), msg: e.to_string() })?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut info = std::collections::HashMap::new();
    info.insert("format".to_string(), "coopnets-checkpoint-v1".to_string());
    let data = safetensors::tensor::serialize(views, Some(info))
        .map_err(|e| NnError::Corrupt { path: path.to_path_buf(), msg: e.to_string() })?;
    write_atomic(path, &data)
}

/// Write `value` as pretty JSON at `path` (atomically).
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let json = serde_json::to_vec_pretty(value)
        .map_err(|e| NnError::Corrupt { path: path.to_path_buf(), msg: e.to_string() })?;
    write_atomic(path, &json)
}

/// Read a JSON file (a checkpoint's sidecar).
pub fn read_json(path: &Path) -> Result<serde_json::Value> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    serde_json::from_slice(&bytes).map_err(|e| NnError::Corrupt { path: path.to_path_buf(), msg: e.to_string() })
}

/// A module's `state_dict`: parameters and buffers by hierarchical name (what PyTorch's
/// `load_state_dict(strict=True)` expects of the same net).
pub fn state_dict(module: &dyn Module) -> BTreeMap<String, Tensor> {
    collect(module, &[], &BTreeMap::new())
}

/// Every mismatch between `tensors` and `module` (missing, wrong shape; with `strict`, also
/// names the module does not have, except `optim.*` and `extra.*`).
fn mismatches(module: &dyn Module, tensors: &BTreeMap<String, Tensor>, strict: bool) -> Vec<String> {
    let mut out = Vec::new();
    let expected = state_dict(module);
    for (name, t) in &expected {
        match tensors.get(name) {
            None => out.push(format!("missing {name} (expected shape {:?})", t.shape())),
            Some(s) if s.shape() != t.shape() => {
                out.push(format!("{name}: checkpoint shape {:?}, model shape {:?}", s.shape(), t.shape()))
            }
            _ => {}
        }
    }
    let ours = |n: &str| expected.contains_key(n) || (!strict && (n.starts_with("optim.") || n.starts_with("extra.")));
    out.extend(tensors.keys().filter(|n| !ours(n)).map(|n| format!("unexpected {n} (not in the model)")));
    out
}

/// Check `tensors` against `module` without changing anything (see [`assign`]).
pub fn check_module(path: &Path, module: &dyn Module, tensors: &BTreeMap<String, Tensor>, strict: bool) -> Result<()> {
    let m = mismatches(module, tensors, strict);
    if m.is_empty() {
        Ok(())
    } else {
        Err(NnError::Mismatch { path: path.to_path_buf(), mismatches: m })
    }
}

/// Assign the parameters and buffers of `module` from `tensors` (checked by [`check_module`]).
pub fn assign(path: &Path, module: &mut dyn Module, tensors: &BTreeMap<String, Tensor>) -> Result<()> {
    for (name, p) in module.named_parameters_mut() {
        if let Some(t) = tensors.get(&name) {
            p.value = t.clone();
        }
    }
    let mut buffers = Vec::new();
    module.collect_buffers("", &mut buffers);
    for (name, _) in buffers {
        if let Some(t) = tensors.get(&name) {
            if !module.load_buffer(&name, t) {
                let msg = format!("buffer {name} could not be restored");
                return Err(NnError::Corrupt { path: path.to_path_buf(), msg });
            }
        }
    }
    Ok(())
}

/// The `<prefix>*` entries of `tensors`, without the prefix.
pub fn strip_prefix(tensors: &BTreeMap<String, Tensor>, prefix: &str) -> BTreeMap<String, Tensor> {
    tensors.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|s| (s.to_string(), v.clone()))).collect()
}

/// Read every tensor of a safetensors file.
pub fn read_tensors(path: &Path) -> Result<BTreeMap<String, Tensor>> {
    let data = fs::read(path).map_err(io_err(path))?;
    let corrupt = |msg: String| NnError::Corrupt { path: path.to_path_buf(), msg };
    let st = SafeTensors::deserialize(&data).map_err(|e| corrupt(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(corrupt(format!("tensor {name} has dtype {:?}, expected F32", view.dtype())));
        }
        let floats: Vec<f32> =
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        out.insert(name, Tensor::from_vec(floats, view.shape()).map_err(|e| corrupt(e.to_string()))?);
    }
    Ok(out)
}

/// Load a checkpoint into `module` and the optimizers; returns the sidecar JSON and extras.
pub fn load(path: &Path, module: &mut dyn Module, optimizers: &mut [(&str, &mut dyn Optimizer)]) -> Result<Loaded> {
    let tensors = read_tensors(path)?;
    let meta = read_json(&sidecar_path(path))?;
    // check everything first: the module and the optimizers are changed only if all is well
    check_module(path, module, &tensors, false)?;
    for (label, opt) in optimizers.iter_mut() {
        let state = strip_prefix(&tensors, &format!("optim.{label}."));
        opt.load_state_dict(&state).map_err(|msg| NnError::Corrupt { path: path.to_path_buf(), msg })?;
    }
    assign(path, module, &tensors)?;
    Ok(Loaded { meta, extras: strip_prefix(&tensors, "extra.") })
}
