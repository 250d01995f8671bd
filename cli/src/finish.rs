//! The end-of-run files, the same for every model: the final samples (`final.png` and
//! `final/<k>`; other sets such as CoopNets' generator proposals as `final_<name>.png` and
//! `final_<name>/<k>`), the learning curves (`stats.svg`), `metrics.json` and `report.html`.

use std::path::Path;

use anyhow::Result;
use models::Learner;
use tensor::rng_for;

use crate::config::RunConfig;
use crate::media::Media;
use crate::plot::{Panel, Series};
use crate::stats::StatsRow;
use crate::train::{Summary, SAMPLE_STREAM};

/// Write the final files; `spi` is the measured seconds per iteration of this process.
pub fn finish<L: Learner + ?Sized>(
    cfg: &RunConfig,
    out: &Path,
    learner: &L,
    rows: &[StatsRow],
    spi: f64,
    iterations: usize,
) -> Result<Summary> {
    let media = Media::of(&cfg.data);
    let x = learner.samples(cfg.run.chains.max(1), &mut rng_for(cfg.run.seed, SAMPLE_STREAM))?;
    media.save_all(out, "final", &x)?;
    media.save_each(&out.join("final"), &x)?;
    for (name, x) in learner.extra_samples(cfg.run.chains.max(1), &mut rng_for(cfg.run.seed, SAMPLE_STREAM))? {
        media.save_all(out, &format!("final_{name}"), &x)?;
        media.save_each(&out.join(format!("final_{name}")), &x)?;
    }
    plot_stats(out, learner, rows)?;
    let spi =
        if spi > 0.0 { spi } else { rows.iter().map(|r| f64::from(r.seconds)).sum::<f64>() / rows.len().max(1) as f64 };
    let names: Vec<String> = learner.stats().iter().map(|s| s.name.to_string()).collect();
    let last: Vec<f32> = rows.last().map_or_else(|| vec![f32::NAN; names.len()], |r| r.values.clone());
    let stats: Vec<(String, f32)> = names.into_iter().zip(last).collect();
    let finals: serde_json::Map<String, serde_json::Value> =
        stats.iter().map(|(n, v)| (n.clone(), serde_json::json!(v))).collect();
    let jitters: serde_json::Map<String, serde_json::Value> = stats
        .iter()
        .enumerate()
        .map(|(k, (n, _))| (n.clone(), serde_json::json!(crate::stats::jitter(rows, k))))
        .collect();
    let metrics = serde_json::json!({
        "model": cfg.model.kind(),
        "iterations": iterations,
        "seconds_per_iteration": spi,
        "final": finals,
        "jitter": jitters,
        "seed": cfg.run.seed,
        "threads": rayon_threads(),
        "config": cfg,
    });
    crate::metrics::write(out, &metrics)?;
    Ok(Summary { out: out.to_path_buf(), iterations, seconds_per_iteration: spi, stats })
}

/// `stats.svg`: one chart per panel of the model's statistics.
fn plot_stats<L: Learner + ?Sized>(out: &Path, learner: &L, rows: &[StatsRow]) -> Result<()> {
    let specs = learner.stats();
    let x: Vec<usize> = rows.iter().map(|r| r.iteration).collect();
    let columns: Vec<Vec<f32>> = (0..specs.len()).map(|i| rows.iter().map(|r| r.values[i]).collect()).collect();
    let mut panels: Vec<Panel<'_>> = Vec::new();
    for (spec, y) in specs.iter().zip(&columns) {
        let series = Series { label: spec.label, x: &x, y };
        match panels.iter_mut().find(|p| p.y_title == spec.panel) {
            Some(p) => p.series.push(series),
            None => panels.push(Panel { y_title: spec.panel, series: vec![series] }),
        }
    }
    crate::plot::line_plot(&out.join("stats.svg"), &panels)
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
