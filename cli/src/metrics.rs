//! `metrics.json`: what a run measured. The loop writes it at the end; experiments add their
//! own measurements (reconstruction errors, recovery, texture scores) with [`merge`]. Every
//! write also rewrites `report.html`, so the page always shows the latest numbers.

use std::path::Path;

use anyhow::{Context, Result};

/// Write `metrics.json` and the report.
pub fn write(out: &Path, metrics: &serde_json::Value) -> Result<()> {
    nn::checkpoint::write_atomic(&out.join("metrics.json"), serde_json::to_string_pretty(metrics)?.as_bytes())?;
    crate::report::write(out, metrics)
}

/// Read `metrics.json`.
pub fn read(out: &Path) -> Result<serde_json::Value> {
    let p = out.join("metrics.json");
    let text = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{} is not valid JSON", p.display()))
}

/// Add the top-level entries of `extra` to `metrics.json` (replacing those of the same name).
pub fn merge(out: &Path, extra: serde_json::Value) -> Result<()> {
    let mut m = read(out)?;
    if let (Some(m), serde_json::Value::Object(e)) = (m.as_object_mut(), extra) {
        m.extend(e);
    }
    write(out, &m)
}
