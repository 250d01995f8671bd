//! Choosing a convolution's path by timing ([`ConvAlgorithms::Tuned`](super::ConvAlgorithms::Tuned), the default): on the
//! first call of each geometry and pass, im2col + cuBLAS and cuDNN's fastest usable algorithm
//! are timed on the real buffers, and the faster is kept (`cudnn::Cudnn::tuned`) for every
//! later call, like PyTorch's `cudnn.benchmark`. The choices go into checkpoints
//! ([`CudaDevice::conv_choices`]), so a resumed run computes with the same algorithms.

use super::cudnn::{self, Pass};
use super::launch::cuda_err;
use super::CudaDevice;
use crate::error::Result;
use crate::op::ConvGeom;

/// cuDNN is chosen only when it takes less than this share of im2col's time: near-ties go to
/// im2col (no library call overhead, and the same choice on most runs).
const CUDNN_MARGIN: f32 = 0.8;

/// Passes whose im2col takes less than this (ms) stay on im2col without trying cuDNN. On an
/// H100, the batch-1 texture layers (0.02–0.05 ms) timed faster on cuDNN alone but ran 2–4×
/// slower inside a Langevin step (0.12 ms per call in the profile), which made the whole
/// batch-1 iteration 20–40% slower.
const MIN_TUNED_MS: f32 = 0.1;

/// First use of `pass` of `g` under `ConvAlgorithms::Tuned`: time im2col; if it takes at
/// least [`MIN_TUNED_MS`], find cuDNN's fastest usable algorithm (`find`) and time it alike
/// ([`timed`]: between two events on the stream, so host-side launch overhead counts too);
/// keep the faster for this geometry, and leave the chosen path's result in the output.
pub(crate) fn tune(
    dev: &CudaDevice,
    st: &mut cudnn::Cudnn,
    g: &ConvGeom,
    pass: Pass,
    ptrs: [u64; 3],
    mut im2col: impl FnMut() -> Result<()>,
) -> Result<()> {
    let stream = dev.stream().clone();
    let im2col_ms = timed(dev, &mut im2col)?;
    let cudnn_ms = if im2col_ms < MIN_TUNED_MS {
        Err(format!("not tried (im2col under {MIN_TUNED_MS} ms)"))
    } else {
        match st.find(&stream, g, pass, ptrs) {
            Ok((a, _)) => Ok((a, timed(dev, || st.execute(&stream, g, pass, ptrs, a))?)),
            Err(e) => Err(e),
        }
    };
    let chosen = match &cudnn_ms {
        Ok((a, ms)) if *ms < CUDNN_MARGIN * im2col_ms => Some(*a),
        _ => None,
    };
    let cudnn = match &cudnn_ms {
        Ok(((id, bytes), ms)) => format!("cuDNN algo {id} ({bytes} B) {ms:.3} ms"),
        Err(e) => format!("cuDNN: {e}"),
    };
    let winner = if chosen.is_some() { "cuDNN" } else { "im2col" };
    st.tuned_log.push(format!("{g:?} {pass:?}: im2col {im2col_ms:.3} ms, {cudnn} -> {winner}"));
    st.tuned.insert((cudnn::key(g), pass), chosen);
    match chosen {
        Some(a) => {
            st.execute(&stream, g, pass, ptrs, a)?;
            dev.count_cudnn_pass();
        }
        // cuDNN may have written the output while it was timed: the result is im2col's
        None if im2col_ms >= MIN_TUNED_MS => im2col()?,
        None => {}
    }
    Ok(())
}

/// Runs of each path that [`tune`] times (after one untimed run).
const TUNE_RUNS: usize = 5;

/// Mean milliseconds of `run` over [`TUNE_RUNS`] runs after one untimed run (which allocates
/// its buffers), between two events on the device's stream.
fn timed(dev: &CudaDevice, mut run: impl FnMut() -> Result<()>) -> Result<f32> {
    let err = |e: cudarc::driver::DriverError| cuda_err("timing a convolution", e);
    let flags = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
    run()?;
    let start = dev.stream().record_event(flags).map_err(err)?;
    for _ in 0..TUNE_RUNS {
        run()?;
    }
    let end = dev.stream().record_event(flags).map_err(err)?;
    Ok(start.elapsed_ms(&end).map_err(err)? / TUNE_RUNS as f32)
}
