//! `dynamic-texture`: the 3-D descriptor of STGConvNet learned from one video (a dynamic
//! texture: leaves moving in the wind). Besides the run folder (`observed.gif`, `final.gif`
//! with every chain side by side, `final/<k>.gif`) it writes a strip of the frames of the
//! observed video and of each chain (`frames_observed.png`, `frames_<k>.png`) and measures
//! motion: the mean absolute change of a grey pixel from one frame to the next, read back
//! from the GIFs, for the observed video and each synthesized one (goal: at least half the
//! observed's; a frozen video scores 0).

use std::path::Path;

use anyhow::Result;
use datasets::{Channels, LoadOptions, Scaling};

use crate::config::RunConfig;
use crate::media::save_frame_strip;
use crate::train::Summary;

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let summary = crate::train::train(cfg, out, resume, true)?;
    let rgb = LoadOptions::new(cfg.data.channels);
    let observed = datasets::load_video(&out.join("observed.gif"), &rgb)?;
    save_frame_strip(&out.join("frames_observed.png"), &observed.permute(&[1, 0, 2, 3])?, &Scaling::Raw)?;
    let m_obs = motion(&out.join("observed.gif"))?;
    let mut m_syn = Vec::new();
    for k in 0..cfg.run.chains.max(1) {
        let gif = out.join("final").join(format!("{k}.gif"));
        let video = datasets::load_video(&gif, &rgb)?;
        save_frame_strip(&out.join(format!("frames_{k}.png")), &video.permute(&[1, 0, 2, 3])?, &Scaling::Raw)?;
        m_syn.push(motion(&gif)?);
    }
    let mean = m_syn.iter().sum::<f32>() / m_syn.len() as f32;
    let m = serde_json::json!({ "observed": m_obs, "synthesized": m_syn, "ratio": mean / m_obs });
    crate::metrics::merge(out, serde_json::json!({ "motion": m }))?;
    println!("motion (mean |frame t+1 − frame t|, grey levels): observed {m_obs:.2}, synthesized {mean:.2}");
    Ok(summary)
}

/// Mean absolute difference between consecutive grey frames of a GIF, in grey levels.
pub fn motion(gif: &Path) -> Result<f32> {
    let v = datasets::load_video(gif, &LoadOptions::new(Channels::Grey))?;
    let (t, frame) = (v.shape()[0], v.numel() / v.shape()[0].max(1));
    let x = v.to_vec();
    let total: f64 = (1..t)
        .map(|k| (0..frame).map(|i| f64::from((x[k * frame + i] - x[(k - 1) * frame + i]).abs())).sum::<f64>())
        .sum();
    Ok((total / ((t.max(2) - 1) * frame) as f64) as f32)
}
