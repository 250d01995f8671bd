//! Which cuDNN algorithm a convolution pass may use, and which one is chosen: by cuDNN's
//! heuristics ([`choose`]) or by timing them all on the real buffers ([`find`]). Only
//! deterministic FP32 (FMA math) algorithms within [`MAX_WORKSPACE`] that are not Winograd
//! ([`usable`]).

use std::ffi::{c_int, c_void};

use cudarc::cudnn::sys;

use super::cudnn::{algo, why, Algo, AlgoPerf, Pass, Plan, Res, MAX_WORKSPACE};

/// cuDNN's Winograd algorithms for each pass (`CUDNN_CONVOLUTION_*_ALGO_WINOGRAD` and
/// `_WINOGRAD_NONFUSED`). Never used: on an H100 the non-fused one for a 5×5 layer (the
/// 16-chain texture net's second) was the fastest deterministic algorithm, but its outputs were
/// off by up to 5.7% of their RMS (2.75 against 48.5), where im2col and FFT stay within 1e-4.
fn winograd(pass: Pass) -> [u32; 2] {
    use sys::{
        cudnnConvolutionBwdDataAlgo_t as D, cudnnConvolutionBwdFilterAlgo_t as F, cudnnConvolutionFwdAlgo_t as Fw,
    };
    match pass {
        Pass::Forward => [Fw::CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, Fw::CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED]
            .map(|a| a as u32),
        Pass::Data => {
            [D::CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD, D::CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED]
                .map(|a| a as u32)
        }
        Pass::Filter => {
            [F::CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD, F::CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED]
                .map(|a| a as u32)
        }
    }
}

/// Whether cuDNN's result `r` for `pass` may be used here: status success, deterministic,
/// FP32 FMA math, an algorithm these bindings know, and not Winograd ([`winograd`]).
pub(super) fn usable(r: &AlgoPerf, pass: Pass) -> bool {
    use sys::{
        cudnnConvolutionBwdDataAlgo_t as D, cudnnConvolutionBwdFilterAlgo_t as F, cudnnConvolutionFwdAlgo_t as Fw,
    };
    let count = [
        Fw::CUDNN_CONVOLUTION_FWD_ALGO_COUNT as u32,
        D::CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT as u32,
        F::CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT as u32,
    ][pass as usize];
    let deterministic = sys::cudnnDeterminism_t::CUDNN_DETERMINISTIC as u32;
    let fma = sys::cudnnMathType_t::CUDNN_FMA_MATH as u32;
    let accurate = !winograd(pass).contains(&r.0);
    r.1 == 0 && r.4 == deterministic && r.5 == fma && r.0 < count && accurate
}

/// The workspace of result `r` (usable): the larger of cuDNN's estimate and the size query for
/// the algorithm (which also confirms that it supports these descriptors), if within
/// [`MAX_WORKSPACE`].
fn workspace(h: sys::cudnnHandle_t, p: &Plan, pass: Pass, r: &AlgoPerf) -> Option<usize> {
    use Pass::{Data, Filter, Forward};
    let (x, y, w, c) = (p.x.raw, p.y.raw, p.w.raw, p.conv.raw);
    let (mut b, id) = (0usize, r.0);
    // SAFETY: live handle and descriptors; `id` < the pass's count (checked by `usable`).
    let status = unsafe {
        match pass {
            Forward => sys::cudnnGetConvolutionForwardWorkspaceSize(h, x, w, c, y, algo(id), &mut b),
            Data => sys::cudnnGetConvolutionBackwardDataWorkspaceSize(h, w, y, c, x, algo(id), &mut b),
            Filter => sys::cudnnGetConvolutionBackwardFilterWorkspaceSize(h, x, y, c, w, algo(id), &mut b),
        }
    };
    status.result().ok().map(|()| b.max(r.3)).filter(|&b| b <= MAX_WORKSPACE)
}

/// The first usable result of `perfs` (cuDNN's ranking) with its workspace.
fn first_usable(h: sys::cudnnHandle_t, p: &Plan, pass: Pass, perfs: &[AlgoPerf]) -> Res<(Algo, f32)> {
    perfs
        .iter()
        .filter(|r| usable(r, pass))
        .find_map(|r| workspace(h, p, pass, r).map(|b| ((r.0, b), r.2)))
        .ok_or_else(|| format!("no deterministic FP32 (FMA) algorithm with at most {MAX_WORKSPACE} bytes of workspace"))
}

/// The fastest usable algorithm for `pass` by cuDNN's heuristics (`_v7`), and its workspace.
pub(super) fn choose(h: sys::cudnnHandle_t, p: &Plan, pass: Pass) -> Res<Algo> {
    use Pass::{Data, Filter, Forward};
    let mut perfs = [AlgoPerf::default(); 8];
    let (mut n, cap) = (0 as c_int, perfs.len() as c_int);
    let (x, y, w, c, out) = (p.x.raw, p.y.raw, p.w.raw, p.conv.raw, perfs.as_mut_ptr());
    // SAFETY: live handle and descriptors; `perfs` has room for `cap` results of this layout.
    unsafe {
        match pass {
            Forward => sys::cudnnGetConvolutionForwardAlgorithm_v7(h, x, w, c, y, cap, &mut n, out.cast()),
            Data => sys::cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w, y, c, x, cap, &mut n, out.cast()),
            Filter => sys::cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, x, y, c, w, cap, &mut n, out.cast()),
        }
    }
    .result()
    .map_err(why("cudnnGetConvolution*Algorithm_v7"))?;
    first_usable(h, p, pass, &perfs[..n.clamp(0, cap) as usize]).map(|(a, _)| a)
}

/// The fastest usable algorithm for `pass` by timing them all on the buffers at `ptrs` with
/// the workspace `ws` (`cudnnFind*AlgorithmEx`, which returns them fastest first), and its
/// time in ms.
pub(super) fn find(
    h: sys::cudnnHandle_t,
    p: &Plan,
    pass: Pass,
    ptrs: [u64; 3],
    ws: (*mut c_void, usize),
) -> Res<(Algo, f32)> {
    use Pass::{Data, Filter, Forward};
    let mut perfs = [AlgoPerf::default(); 8];
    let (mut n, cap) = (0 as c_int, perfs.len() as c_int);
    let (xd, yd, wd, cd, out) = (p.x.raw, p.y.raw, p.w.raw, p.conv.raw, perfs.as_mut_ptr());
    let [x, w, y] = ptrs.map(|q| q as *mut c_void);
    // SAFETY: live handle and descriptors describing the buffers at `ptrs`; `perfs` has room
    // for `cap` results; the workspace holds `ws.1` bytes.
    unsafe {
        match pass {
            Forward => sys::cudnnFindConvolutionForwardAlgorithmEx(
                h,
                xd,
                x,
                wd,
                w,
                cd,
                yd,
                y,
                cap,
                &mut n,
                out.cast(),
                ws.0,
                ws.1,
            ),
            Data => sys::cudnnFindConvolutionBackwardDataAlgorithmEx(
                h,
                wd,
                w,
                yd,
                y,
                cd,
                xd,
                x,
                cap,
                &mut n,
                out.cast(),
                ws.0,
                ws.1,
            ),
            Filter => sys::cudnnFindConvolutionBackwardFilterAlgorithmEx(
                h,
                xd,
                x,
                yd,
                y,
                cd,
                wd,
                w,
                cap,
                &mut n,
                out.cast(),
                ws.0,
                ws.1,
            ),
        }
    }
    .result()
    .map_err(why("cudnnFind*AlgorithmEx"))?;
    first_usable(h, p, pass, &perfs[..n.clamp(0, cap) as usize])
}
