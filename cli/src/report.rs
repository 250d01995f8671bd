//! `report.html`: one page with the observed and synthesized images, the learning curves,
//! the metrics and the configuration. Images are linked by relative path, so the folder can
//! be moved or served as is.

use std::path::Path;

use anyhow::Result;

use crate::config::RunConfig;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Write `out/report.html`.
pub fn write(out: &Path, cfg: &RunConfig, metrics: &serde_json::Value) -> Result<()> {
    let mut snaps: Vec<String> = std::fs::read_dir(out)?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.starts_with("synthesis_") && n.ends_with(".png"))
        .collect();
    snaps.sort();
    let mut finals: Vec<String> = std::fs::read_dir(out.join("final"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    finals.sort_by_key(|n| n.trim_start_matches("chain_").trim_end_matches(".png").parse::<usize>().unwrap_or(0));
    let row = |k: &str, v: String| format!("<tr><th>{k}</th><td>{}</td></tr>", escape(&v));
    let m = |k: &str| metrics.get(k).map(|v| v.to_string()).unwrap_or_default();
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coopnets run: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
img {{ image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; }}
.pair {{ display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }}
.top img {{ width: 320px; }} .snaps img {{ width: 160px; }} .finals img {{ width: 256px; }}
figure {{ margin: 0; }} figcaption {{ font-size: 0.85em; color: #555; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 2px 12px 2px 0; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}
.obs {{ color: #1f77b4; }} .syn {{ color: #d62728; }}
</style></head><body>
<h1>Descriptor run: {title}</h1>
<p>The descriptor p(Y) ∝ exp(f(Y; W))·N(0, σ²I) learned from the observed image(s) by maximum likelihood;
the synthesized images are its Langevin chains.</p>
<div class="pair top">
<figure><img src="observed.png" alt="observed"><figcaption>observed</figcaption></figure>
<figure><img src="final.png" alt="synthesized"><figcaption>synthesized, after {iters} iterations</figcaption></figure>
</div>
<h2>Learning curves</h2>
<p>Mean <span class="obs">f(observed)</span> and mean <span class="syn">f(synthesized)</span> per iteration
(x: iteration). Learning pushes f up on the data and down on the samples; the samples catch up, so the two curves
approach each other as the model's statistics match the data's.</p>
<img src="energy.png" alt="energy curves"> <p><a href="energy.csv">energy.csv</a></p>
<h2>Metrics</h2>
<table>{metrics_rows}</table>
<h2>Synthesis over training</h2>
<div class="pair snaps">{snaps}</div>
<h2>Final chains (full size)</h2>
<div class="pair finals">{finals}</div>
<h2>Configuration</h2>
<pre>{config}</pre>
<p>Checkpoints: <code>checkpoints/</code> (safetensors + JSON). Continue with <code>--resume</code>.</p>
</body></html>
"#,
        title = escape(&match &cfg.data.source {
            crate::config::Source::Images { path } =>
                path.file_name().and_then(|n| n.to_str()).unwrap_or("images").to_string(),
            crate::config::Source::Idx { class, .. } => format!("IDX class {class}"),
        }),
        iters = m("iterations"),
        metrics_rows = [
            row("iterations", m("iterations")),
            row("seconds per iteration", m("seconds_per_iteration")),
            row("final mean f(obs)", m("final_f_obs")),
            row("final mean f(syn)", m("final_f_syn")),
            row("seed", m("seed")),
            row("threads", m("threads"))
        ]
        .join(""),
        snaps = snaps
            .iter()
            .map(|s| format!(
                r#"<figure><img src="{s}" alt="{s}"><figcaption>{}</figcaption></figure>"#,
                s.trim_start_matches("synthesis_").trim_end_matches(".png").trim_start_matches('0')
            ))
            .collect::<String>(),
        finals = finals
            .iter()
            .map(|s| format!(r#"<figure><img src="final/{s}" alt="{s}"><figcaption>{s}</figcaption></figure>"#))
            .collect::<String>(),
        config = escape(&cfg.to_toml()?),
    );
    nn::checkpoint::write_atomic(&out.join("report.html"), html.as_bytes())?;
    Ok(())
}
