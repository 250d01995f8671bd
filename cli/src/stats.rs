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

/// How much statistic `k` jumps from one iteration to the next over the last tenth of `rows`
/// (at least 10 rows): `mean |v(t) − v(t−1)| / mean |v(t)|`. A learning that settles reads
/// near 0; one that oscillates from iteration to iteration (a learning rate past the
/// stability limit: each update overshoots, the next comes back) reads 0.1–1.5, and its
/// final samples then depend on which side of the swing the last iteration fell. NaN for
/// fewer than 10 rows.
pub fn jitter(rows: &[StatsRow], k: usize) -> f32 {
    let n = rows.len();
    if n < 10 {
        return f32::NAN;
    }
    let tail: Vec<f64> = rows[n - (n / 10).max(10)..].iter().map(|r| f64::from(r.values[k])).collect();
    let steps: f64 = tail.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (tail.len() - 1) as f64;
    let size: f64 = tail.iter().map(|v| v.abs()).sum::<f64>() / tail.len() as f64;
    (steps / size) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: impl Iterator<Item = f32>) -> Vec<StatsRow> {
        values.enumerate().map(|(i, v)| StatsRow { iteration: i, values: vec![v], seconds: 0.0 }).collect()
    }

    /// A curve that settles reads 0, a period-2 swing of ±50% about its mean reads 1.
    #[test]
    fn jitter_reads_the_iteration_to_iteration_swing() {
        assert_eq!(jitter(&rows((0..200).map(|_| 5.0)), 0), 0.0);
        let swing = jitter(&rows((0..200).map(|i| if i % 2 == 0 { 1.5 } else { 0.5 })), 0);
        assert!((swing - 1.0).abs() < 1e-6, "{swing}");
        // only the last tenth counts: a swing that has died down reads 0
        let settled = jitter(&rows((0..200).map(|i| if i < 150 && i % 2 == 0 { 9.0 } else { 1.0 })), 0);
        assert_eq!(settled, 0.0);
        assert!(jitter(&rows((0..5).map(|v| v as f32)), 0).is_nan());
    }
}
