//! How convolutions choose their path ([`ConvAlgorithms`]), and the default, choosing by
//! timing (`Tuned`): on the first call of each geometry and pass, im2col + cuBLAS and cuDNN's
//! fastest usable algorithm are timed on the real buffers, and the faster is kept
//! (`cudnn::Cudnn::tuned`) for every later call, like PyTorch's `cudnn.benchmark`. The choices
//! go into checkpoints ([`CudaDevice::conv_choices`], written by `export` and read back by
//! `import` below), so a resumed run computes with the same algorithms.

use std::sync::atomic::Ordering;

use cudarc::cudnn::sys;

use super::cudnn::{self, Algo, AlgoPerf, Key, Pass, Res, MAX_WORKSPACE};
use super::cudnn_algos::usable;
use super::launch::cuda_err;
use super::CudaDevice;
use crate::device::ConvAlgorithms;
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
/// `gs` = (g, gc): the convolution, whose key the choice is stored under, and cuDNN's geometry
/// for it (`extend.rs`: g's input with zeros appended), which cuDNN runs on `ptrs`. Returns
/// whether cuDNN was chosen (then its output is in `ptrs`' buffers, for the caller to finish).
/// The copies that stage an extended input are not timed: one pass over the input, against
/// a convolution's many.
pub(crate) fn tune(
    dev: &CudaDevice,
    st: &mut cudnn::Cudnn,
    (g, gc): (&ConvGeom, &ConvGeom),
    pass: Pass,
    ptrs: [u64; 3],
    mut im2col: impl FnMut() -> Result<()>,
) -> Result<bool> {
    let stream = dev.stream().clone();
    let im2col_ms = timed(dev, &mut im2col)?;
    let cudnn_ms = if im2col_ms < MIN_TUNED_MS {
        Err(format!("not tried (im2col under {MIN_TUNED_MS} ms)"))
    } else {
        match st.find(&stream, gc, pass, ptrs) {
            // a cuDNN failure here is a reason to keep im2col, not an error of the convolution
            Ok((a, _)) => {
                timed(dev, || st.execute(&stream, gc, pass, ptrs, a)).map(|ms| (a, ms)).map_err(|e| e.to_string())
            }
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
    let extended = if gc.input != g.input { format!(" (cuDNN on input {:?})", gc.input) } else { String::new() };
    st.tuned_log.push(format!("{g:?} {pass:?}: im2col {im2col_ms:.3} ms, {cudnn}{extended} -> {winner}"));
    st.tuned.insert((cudnn::key(g), pass), chosen);
    match chosen {
        Some(a) => {
            st.execute(&stream, gc, pass, ptrs, a)?;
            dev.count_cudnn_pass();
        }
        // cuDNN may have written the output while it was timed: the result is im2col's
        None if im2col_ms >= MIN_TUNED_MS => im2col()?,
        None => {}
    }
    Ok(chosen.is_some())
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

/// `COOPNETS_CUDNN`: `im2col` (or `0`, which does not even load cuDNN):
/// [`ConvAlgorithms::Im2col`]; `1` or `heuristic`: [`ConvAlgorithms::CudnnHeuristic`]; unset
/// or `tuned`: [`ConvAlgorithms::Tuned`].
pub(super) fn conv_algorithms_from_env() -> ConvAlgorithms {
    match std::env::var("COOPNETS_CUDNN").as_deref().map(str::trim) {
        Ok("im2col" | "0") => ConvAlgorithms::Im2col,
        Ok("1" | "heuristic") => ConvAlgorithms::CudnnHeuristic,
        _ => ConvAlgorithms::Tuned,
    }
}

impl CudaDevice {
    /// Let convolutions use cuDNN ([`ConvAlgorithms::CudnnHeuristic`]) or im2col + cuBLAS
    /// ([`ConvAlgorithms::Im2col`]); see [`Self::set_conv_algorithms`].
    pub fn set_cudnn_enabled(&self, on: bool) {
        self.set_conv_algorithms(if on { ConvAlgorithms::CudnnHeuristic } else { ConvAlgorithms::Im2col });
    }

    /// How convolutions pick their path, for every user of this device from the next
    /// convolution on (A/B timings, tests). Default: [`ConvAlgorithms::Tuned`], or what
    /// `COOPNETS_CUDNN` says (`im2col`, `1`/`heuristic`, `tuned`). The cuDNN modes act only
    /// where cuDNN is loaded.
    pub fn set_conv_algorithms(&self, how: ConvAlgorithms) {
        self.inner.conv_algorithms.store(how as u8, Ordering::SeqCst);
    }

    /// How convolutions pick their path ([`Self::set_conv_algorithms`]).
    pub fn conv_algorithms(&self) -> ConvAlgorithms {
        match self.inner.conv_algorithms.load(Ordering::SeqCst) {
            1 => ConvAlgorithms::CudnnHeuristic,
            2 => ConvAlgorithms::Tuned,
            _ => ConvAlgorithms::Im2col,
        }
    }

    /// Whether convolutions currently go to cuDNN when their geometry allows.
    pub fn cudnn_enabled(&self) -> bool {
        self.has_cudnn() && self.conv_algorithms() != ConvAlgorithms::Im2col
    }

    /// One line per convolution pass tuned so far ([`ConvAlgorithms::Tuned`]): geometry, pass,
    /// the time of im2col and of cuDNN's fastest usable algorithm, and the choice.
    pub fn conv_tuning_log(&self) -> Vec<String> {
        match &self.inner.cudnn {
            Ok(m) => m.lock().unwrap_or_else(|e| e.into_inner()).tuned_log.clone(),
            Err(_) => Vec::new(),
        }
    }

    /// The convolution choices made by timing so far ([`ConvAlgorithms::Tuned`]) as text, to
    /// store beside a checkpoint; empty without cuDNN.
    pub fn conv_choices(&self) -> String {
        match &self.inner.cudnn {
            Ok(m) => m.lock().unwrap_or_else(|e| e.into_inner()).export(),
            Err(_) => String::new(),
        }
    }

    /// Pin choices of [`Self::conv_choices`] (from a checkpoint): those geometries are not
    /// timed again, so a resumed run computes with the algorithms of the run it continues.
    /// Geometries first met after the checkpoint (a layer-wise stage that starts later) are
    /// timed afresh, and may choose otherwise than the interrupted run would have; a pinned
    /// cuDNN algorithm that this GPU or cuDNN version cannot run falls back to im2col (noted in
    /// [`Self::conv_tuning_log`]). Without cuDNN every convolution runs as im2col and the text
    /// is ignored.
    pub fn pin_conv_choices(&self, text: &str) -> Result<()> {
        match &self.inner.cudnn {
            Ok(m) => m
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .import(text)
                .map_err(|e| crate::error::invalid_arg("pin_conv_choices", e)),
            Err(_) => Ok(()),
        }
    }
}

// ------------------------------------------------------------- the choices as text (checkpoints)

impl cudnn::Cudnn {
    /// The tuned choices as text, one line each, sorted: `PASS KEY im2col` or
    /// `PASS KEY cudnn ALGO BYTES` (KEY: the geometry's numbers, comma-separated).
    pub(crate) fn export(&self) -> String {
        let mut lines: Vec<String> = self
            .tuned
            .iter()
            .map(|((key, pass), choice)| {
                let key: Vec<String> = key.iter().map(usize::to_string).collect();
                let how = choice.map_or("im2col".to_string(), |(id, bytes)| format!("cudnn {id} {bytes}"));
                format!("{pass:?} {} {how}", key.join(","))
            })
            .collect();
        lines.sort();
        lines.join("\n")
    }

    /// Pin the choices of [`Self::export`]'s text (a resumed run makes the choices of the run
    /// it continues); a malformed line is an error and pins nothing.
    pub(crate) fn import(&mut self, text: &str) -> Res<()> {
        let mut read = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            read.push(parse_choice(line).ok_or_else(|| format!("not a convolution choice: {line:?}"))?);
        }
        self.tuned.extend(read);
        Ok(())
    }
}

/// One line of [`cudnn::Cudnn::export`]: ((geometry key, pass), choice).
fn parse_choice(line: &str) -> Option<((Key, Pass), Option<Algo>)> {
    let w: Vec<&str> = line.split_whitespace().collect();
    let pass = match *w.first()? {
        "Forward" => Pass::Forward,
        "Data" => Pass::Data,
        "Filter" => Pass::Filter,
        _ => return None,
    };
    let key: Vec<usize> = w.get(1)?.split(',').map(str::parse).collect::<std::result::Result<_, _>>().ok()?;
    let key: Key = key.try_into().ok()?; // exactly 18 numbers
    let choice = match w[2..] {
        ["im2col"] => None,
        ["cudnn", id, bytes] => {
            let (id, bytes) = (id.parse().ok()?, bytes.parse().ok()?);
            // an algorithm these bindings know (the `AlgoPerf` of a deterministic FMA result)
            let det = sys::cudnnDeterminism_t::CUDNN_DETERMINISTIC as u32;
            let known =
                usable(&AlgoPerf(id, 0, 0.0, 0, det, sys::cudnnMathType_t::CUDNN_FMA_MATH as u32, [0; 3]), pass);
            Some((known && bytes <= MAX_WORKSPACE).then_some((id, bytes))?)
        }
        _ => return None,
    };
    Some(((key, pass), choice))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "16,100,64,1,40,40,1,5,5,1,40,40,1,1,1,0,2,2";

    #[test]
    fn stored_choices_parse_back_and_bad_lines_are_refused() {
        let key: Vec<usize> = KEY.split(',').map(|v| v.parse().unwrap()).collect();
        let key: Key = key.try_into().unwrap();
        let got = parse_choice(&format!("Forward {KEY} cudnn 1 48672000")).expect("a cuDNN choice");
        assert_eq!(got, ((key, Pass::Forward), Some((1, 48672000))));
        assert_eq!(parse_choice(&format!("Filter {KEY} im2col")), Some(((key, Pass::Filter), None)));
        for bad in [
            format!("Sideways {KEY} im2col"),               // no such pass
            format!("Data {KEY} cudnn 99 0"),               // no such algorithm
            format!("Data {KEY} cudnn 1 {}", 1usize << 40), // workspace beyond the limit
            "Data 1,2,3 im2col".to_string(),                // a short key
            format!("Data {KEY} cudnn 1"),                  // bytes missing
            format!("Data {KEY}"),
        ] {
            assert_eq!(parse_choice(&bad), None, "{bad}");
        }
    }
}
