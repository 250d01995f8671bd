//! `cargo xtask bench` on a GPU: the GPU time per kernel of each workload
//! (`COOPNETS_CUDA_PROFILE=1`, see `tensor/src/cuda/profile.rs`) and the convolution choices the
//! tuned default made, printed under the workload's rows; nothing on the CPU, or without the
//! `cuda` feature.

use anyhow::Result;
use tensor::Device;

#[cfg(feature = "cuda")]
pub fn take(device: &Device) -> Result<Vec<tensor::cuda::ProfileRow>> {
    match device {
        Device::Cuda(c) => Ok(c.profile_take()?),
        _ => Ok(Vec::new()),
    }
}

#[cfg(not(feature = "cuda"))]
pub fn take(_device: &Device) -> Result<Vec<()>> {
    Ok(Vec::new())
}

/// The spans of the `iters` timed runs, per run: the 40 longest names and the total.
#[cfg(feature = "cuda")]
pub fn report(device: &Device, iters: usize, wall_ms: f64) -> Result<()> {
    let rows = take(device)?;
    if rows.is_empty() {
        return Ok(());
    }
    let per = |v: f64| v / iters as f64;
    let total: f64 = rows.iter().map(|r| r.ms).sum();
    println!("|   GPU time per iteration: {:.2} ms of {wall_ms:.2} ms wall (profiled) | | | | |", per(total));
    for r in rows.iter().take(40) {
        println!("|   {} | | {:.3} | ×{:.0} | {:.1}% |", r.name, per(r.ms), per(r.count as f64), 100.0 * r.ms / total);
    }
    Ok(())
}

#[cfg(not(feature = "cuda"))]
pub fn report(_device: &Device, _iters: usize, _wall_ms: f64) -> Result<()> {
    Ok(())
}

#[cfg(feature = "cuda")]
pub fn tuning_log(device: &Device) {
    if let Device::Cuda(c) = device {
        for line in c.conv_tuning_log() {
            println!("tuned: {line}");
        }
    }
}

#[cfg(not(feature = "cuda"))]
pub fn tuning_log(_device: &Device) {}
