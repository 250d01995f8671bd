//! `report.html`: one page with the observed data and the samples, the learning curves, the
//! metrics, every other picture or sound of the run and the configuration, for any model.
//! Files are linked by relative path, so the folder can be moved or served as is.

use std::path::Path;

use anyhow::Result;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// How files are ordered: by the stem's text, then by the number that ends it, by value
/// (`final/2.png` before `final/10.png`, `spectrogram_final_2` before `spectrogram_final_10`).
fn order(name: &str) -> (String, usize, String) {
    let stem = name.rsplit('/').next().unwrap_or(name).split('.').next().unwrap_or("");
    let text = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    let number = stem[text.len()..].parse::<usize>().unwrap_or(usize::MAX);
    (text.to_string(), number, name.to_string())
}

/// The files of `dir` (relative to `out`) with one of `exts`, sorted by [`order`].
fn files(out: &Path, dir: &str, exts: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out.join(dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| exts.iter().any(|x| n.ends_with(&format!(".{x}"))))
        .map(|n| if dir.is_empty() { n } else { format!("{dir}/{n}") })
        .collect();
    v.sort_by_key(|n| order(n));
    v
}

/// A figure for a picture or a sound.
fn figure(src: &str, caption: &str) -> String {
    let media = if src.ends_with(".wav") {
        format!(r#"<audio controls src="{src}"></audio>"#)
    } else {
        format!(r#"<img src="{src}" alt="{src}">"#)
    };
    format!("<figure>{media}<figcaption>{}</figcaption></figure>", escape(caption))
}

/// The numbers of `metrics` (nested objects flattened to dotted names), config left out.
fn metric_rows(prefix: &str, v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m.iter().filter(|(k, _)| k.as_str() != "config") {
                metric_rows(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out);
            }
        }
        serde_json::Value::Number(n) => {
            let s =
                n.as_f64().map_or(n.to_string(), |f| if f.fract() == 0.0 { n.to_string() } else { format!("{f:.6}") });
            out.push_str(&format!("<tr><th>{}</th><td>{s}</td></tr>", escape(prefix)));
        }
        other => out.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", escape(prefix), escape(&other.to_string()))),
    }
}

/// Write `out/report.html` from the files in `out` and `metrics`.
pub fn write(out: &Path, metrics: &serde_json::Value) -> Result<()> {
    let kinds = ["png", "svg", "wav", "gif"];
    let top = files(out, "", &kinds);
    let pick = |stem: &str| {
        top.iter().filter(|n| n.starts_with(&format!("{stem}."))).map(|n| figure(n, stem)).collect::<String>()
    };
    let snaps: String = top.iter().filter(|n| n.starts_with("synthesis_")).map(|n| figure(n, n)).collect();
    let known = |n: &str| ["observed.", "final.", "synthesis_", "stats."].iter().any(|p| n.starts_with(p));
    let others: String = top.iter().filter(|n| !known(n)).map(|n| figure(n, n)).collect();
    let finals: String = files(out, "final", &kinds).iter().map(|n| figure(n, n)).collect();
    let mut rows = String::new();
    metric_rows("", metrics, &mut rows);
    let config = std::fs::read_to_string(out.join("config.toml")).unwrap_or_default();
    let model = metrics["model"].as_str().unwrap_or("model");
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>coopnets {model} run</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
img {{ image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; }}
.row {{ display: flex; gap: 1.5em; flex-wrap: wrap; align-items: flex-start; }}
.top img {{ width: 320px; }} .small img {{ width: 160px; }}
figure {{ margin: 0; }} figcaption {{ font-size: 0.85em; color: #555; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 2px 12px 2px 0; }}
pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}
</style></head><body>
<h1>coopnets: {model} run</h1>
<div class="row top">{observed}{final_}</div>
<h2>Learning curves</h2>
<img src="stats.svg" alt="learning curves" style="image-rendering:auto"> <p><a href="stats.csv">stats.csv</a></p>
<h2>Metrics</h2>
<table>{rows}</table>
<h2>More results</h2>
<div class="row top">{others}</div>
<h2>Samples over training</h2>
<div class="row small">{snaps}</div>
<h2>Final samples, one file each</h2>
<div class="row small">{finals}</div>
<h2>Configuration</h2>
<pre>{config}</pre>
<p>Checkpoints: <code>checkpoints/</code>, one safetensors file per network (a PyTorch <code>state_dict</code>),
optimizer and run state beside it, JSON sidecar. Continue with <code>--resume</code>.</p>
</body></html>
"#,
        observed = pick("observed"),
        final_ = pick("final"),
        config = escape(&config),
    );
    nn::checkpoint::write_atomic(&out.join("report.html"), html.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::order;

    #[test]
    fn numbered_files_go_in_the_order_of_their_numbers() {
        let mut names =
            ["spectrogram_final_10.png", "final/10.png", "spectrogram_final_2.png", "final/2.png", "waveform.svg"];
        names.sort_by_key(|n| order(n));
        assert_eq!(
            names,
            ["final/2.png", "final/10.png", "spectrogram_final_2.png", "spectrogram_final_10.png", "waveform.svg"]
        );
    }
}
