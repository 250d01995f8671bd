//! `stats.csv`: one row per iteration, `iteration,<the model's statistics…>,seconds`. The same
//! format serves the curves experiments record themselves (`reconstruction.csv`).

use std::path::Path;

use anyhow::{bail, Result};

/// One row of `stats.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct StatsRow {
    pub iteration: usize,
    /// One value per statistic of the model, in the order of its `Learner::stats`.
    pub values: Vec<f32>,
    pub seconds: f32,
}

pub fn header(names: &[&str]) -> String {
    format!("iteration,{},seconds", names.join(","))
}

/// Read `stats.csv`, keeping rows with `iteration < upto` (what a checkpoint covers). A file
/// whose header is not the model's is an error (it belongs to another run).
pub fn read(out: &Path, names: &[&str], upto: usize) -> Result<Vec<StatsRow>> {
    read_csv(&out.join("stats.csv"), names, upto)
}

/// [`read`] for any file of this format (a missing file has no rows).
pub fn read_csv(path: &Path, names: &[&str], upto: usize) -> Result<Vec<StatsRow>> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(vec![]) };
    let want = header(names);
    let mut lines = text.lines();
    if lines.next() != Some(want.as_str()) {
        bail!("{}: the header is not `{want}`", path.display());
    }
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let nums: Option<Vec<f32>> = f.iter().skip(1).map(|v| v.parse().ok()).collect();
        let (Some(it), Some(nums)) = (f.first().and_then(|v| v.parse::<usize>().ok()), nums) else {
            bail!("{}: line {} is not `{want}`: {line:?}", path.display(), n + 2)
        };
        if nums.len() != names.len() + 1 {
            bail!("{}: line {} has {} columns, expected {}", path.display(), n + 2, f.len(), names.len() + 2);
        }
        if it < upto {
            rows.push(StatsRow { iteration: it, values: nums[..names.len()].to_vec(), seconds: nums[names.len()] });
        }
    }
    Ok(rows)
}

/// Write `stats.csv` atomically.
pub fn write(out: &Path, names: &[&str], rows: &[StatsRow]) -> Result<()> {
    write_csv(&out.join("stats.csv"), names, rows)
}

/// [`write`] to any file.
pub fn write_csv(path: &Path, names: &[&str], rows: &[StatsRow]) -> Result<()> {
    let mut s = header(names);
    s.push('\n');
    for r in rows {
        let vals: Vec<String> = r.values.iter().map(f32::to_string).collect();
        s.push_str(&format!("{},{},{}\n", r.iteration, vals.join(","), r.seconds));
    }
    nn::checkpoint::write_atomic(path, s.as_bytes())?;
    Ok(())
}
