//! Convolutions through cuDNN: the fast path of `conv.rs` (forward, backward data, backward
//! filter) when the library is there and the geometry fits; im2col + cuBLAS otherwise.
//!
//! * **Loading.** cudarc opens `libcudnn` at run time (`dynamic-loading`), trying `libcudnn.so`,
//!   `libcudnn.so.13`, `.so.12` … `.so.9` in `LD_LIBRARY_PATH` and the `ldconfig` cache. pip's
//!   `nvidia-cudnn-cu13` puts `libcudnn.so.9` (and the `libcudnn_*.so.9` it opens in turn) in
//!   `site-packages/nvidia/cudnn/lib`: add that folder to `LD_LIBRARY_PATH`. [`Cudnn::open`]
//!   runs once per device; if it fails (no library, a symbol missing, cuDNN < 9,
//!   `COOPNETS_CUDNN=0`) the device keeps the reason and uses im2col. Never an error.
//! * **Geometry.** cuDNN pads symmetrically: padding `p` on both sides gives an axis
//!   `⌊(in + 2p − k)/stride⌋ + 1` outputs. A [`ConvGeom`] pads `pad` before and whatever `output`
//!   implies after; if that count equals `output` on every axis, cuDNN reads exactly our windows
//!   (extra padding after is never reached). When the geometry pads more after than before (TF
//!   `SAME` with an odd total padding, ABP's transposed convolutions), `extend.rs` appends zeros
//!   to the input until the counts agree. Depth-1 geometries (all 1-d and 2-d convs) get 4-d descriptors `[N, C, H, W]`
//!   (cuDNN has the most algorithms for those), the others 5-d `[N, C, D, H, W]`.
//! * **Precision.** FP32 data and compute, `CUDNN_FMA_MATH`: TF32 is off, as for our GEMMs.
//!   (`CUDNN_DEFAULT_MATH` would *permit* TF32 tensor cores on A100/H100: 10-bit mantissas.)
//! * **Choice.** Only algorithms that are `CUDNN_DETERMINISTIC`, run in FMA math, need at most
//!   [`MAX_WORKSPACE`] and are not Winograd ([`winograd`]) are used. [`Cudnn::heuristic`] takes
//!   the first of those that `cudnnGetConvolution*Algorithm_v7` ranks (same GPU and cuDNN: same
//!   choice, same bits); [`Cudnn::find`] times them all on the real buffers
//!   (`cudnnFind*AlgorithmEx`), for the tuned default (`tune.rs`), whose choices depend on
//!   timings and are therefore stored in checkpoints.
//! * **Plans.** Descriptors and algorithms are cached per geometry (a Langevin loop plans once);
//!   one workspace per device grows to the largest need. All work is queued on the device's one
//!   stream (`cudnnSetStream`), under the device's mutex.

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::sync::Arc;

use cudarc::cudnn::result::{self, CudnnError};
use cudarc::cudnn::sys;
use cudarc::driver::{CudaContext, CudaSlice, CudaStream, DevicePtr};

use super::cudnn_algos::{self, choose};
use super::launch::cuda_err;
use crate::error::Result as TResult;
use crate::op::ConvGeom;

/// Why cuDNN cannot do something (the caller then uses im2col).
pub(super) type Res<T> = Result<T, String>;

/// The most workspace (bytes) an algorithm may ask for.
pub(crate) const MAX_WORKSPACE: usize = 512 << 20;

/// The workspace (bytes) the algorithms get while they are timed (`find`).
const FIND_WORKSPACE: usize = 256 << 20;

/// A cuDNN algorithm of one pass: its number and the workspace (bytes) it needs.
pub(crate) type Algo = (u32, usize);

/// The three passes of a convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pass {
    Forward = 0, // y = W ⋆ x
    Data = 1,    // backward data: dx from dy and W (also the transposed convolution)
    Filter = 2,  // backward filter: dW from x and dy
}

/// Every cuDNN function this module calls, checked once at [`Cudnn::open`] (cudarc would
/// panic at the first call of a symbol the library lacks).
const SYMBOLS: &str = "cudnnGetVersion cudnnCreate cudnnDestroy cudnnSetStream cudnnCreateTensorDescriptor \
    cudnnSetTensorNdDescriptor cudnnDestroyTensorDescriptor cudnnCreateFilterDescriptor cudnnSetFilterNdDescriptor \
    cudnnDestroyFilterDescriptor cudnnCreateConvolutionDescriptor cudnnSetConvolutionNdDescriptor \
    cudnnSetConvolutionMathType cudnnDestroyConvolutionDescriptor cudnnGetConvolutionNdForwardOutputDim \
    cudnnGetConvolutionForwardAlgorithm_v7 cudnnGetConvolutionBackwardDataAlgorithm_v7 \
    cudnnGetConvolutionBackwardFilterAlgorithm_v7 cudnnGetConvolutionForwardWorkspaceSize \
    cudnnGetConvolutionBackwardDataWorkspaceSize cudnnGetConvolutionBackwardFilterWorkspaceSize \
    cudnnConvolutionForward cudnnConvolutionBackwardData cudnnConvolutionBackwardFilter \
    cudnnFindConvolutionForwardAlgorithmEx cudnnFindConvolutionBackwardDataAlgorithmEx \
    cudnnFindConvolutionBackwardFilterAlgorithmEx";

/// A cuDNN handle or descriptor, destroyed on drop.
pub(super) struct Owned<T: Copy> {
    pub raw: T,
    destroy: unsafe fn(T) -> Result<(), CudnnError>,
}

impl<T: Copy> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from the matching create call and is destroyed only here.
        let _ = unsafe { (self.destroy)(self.raw) };
    }
}

// SAFETY: cuDNN objects may move between threads; they are only used under the device's
// mutex, so never from two threads at once.
unsafe impl<T: Copy> Send for Owned<T> {}

/// `cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t`, which share this layout: (algo, status,
/// time, memory, determinism, mathType, reserved), the enums read as plain numbers (a status
/// code newer than these bindings stays a number).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(super) struct AlgoPerf(pub u32, pub u32, pub f32, pub usize, pub u32, pub u32, pub [c_int; 3]);
const _: () = assert!(std::mem::size_of::<AlgoPerf>() == std::mem::size_of::<sys::cudnnConvolutionFwdAlgoPerf_t>());

/// The descriptors of one geometry and, per pass, the algorithm and its workspace (bytes), or
/// why cuDNN cannot run it (`None`: not asked yet).
pub(super) struct Plan {
    pub x: Owned<sys::cudnnTensorDescriptor_t>,
    pub y: Owned<sys::cudnnTensorDescriptor_t>,
    pub w: Owned<sys::cudnnFilterDescriptor_t>,
    pub conv: Owned<sys::cudnnConvolutionDescriptor_t>,
    algos: [Option<Res<Algo>>; 3],
}

/// A device's cuDNN state: the handle (bound to the device's stream), the plans by geometry
/// and the shared workspace.
pub(crate) struct Cudnn {
    handle: Owned<sys::cudnnHandle_t>,
    plans: HashMap<Key, Res<Plan>>,
    workspace: Option<CudaSlice<u8>>,
    /// Why geometries or passes were turned down (they run as im2col), for diagnostics.
    pub(crate) declined: Vec<String>,
    /// Tuned choices by (geometry, pass): a cuDNN algorithm, or `None` for im2col.
    pub(crate) tuned: HashMap<(Key, Pass), Option<Algo>>,
    /// One line per tuned choice: the geometry, the pass, both times and the winner.
    pub(crate) tuned_log: Vec<String>,
}

/// A geometry's numbers, the key of the plan and choice caches (an array: looking a
/// convolution up allocates nothing).
pub(crate) type Key = [usize; 18];

/// The key of geometry `g`.
pub(crate) fn key(g: &ConvGeom) -> Key {
    let [a, b, c, d, e] = [g.input, g.kernel, g.output, g.stride, g.pad];
    [g.n, g.c_in, g.c_out, a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2], d[0], d[1], d[2], e[0], e[1], e[2]]
}

/// Algorithm number `id` as one of cuDNN's algorithm enums. Safety: `T` is a
/// `cudnnConvolution*Algo_t` (`repr(u32)`, discriminants 0..COUNT) and `id` < its `COUNT`.
pub(super) unsafe fn algo<T: Copy>(id: u32) -> T {
    std::mem::transmute_copy(&id)
}

/// A created cuDNN object (`made`), destroyed by `destroy` when dropped.
fn owned<T: Copy>(made: Result<T, CudnnError>, destroy: unsafe fn(T) -> Result<(), CudnnError>) -> Res<Owned<T>> {
    made.map(|raw| Owned { raw, destroy }).map_err(|e| format!("creating a cuDNN handle or descriptor: {e}"))
}

/// `what: error` as text.
pub(super) fn why(what: &'static str) -> impl Fn(CudnnError) -> String {
    move |e| format!("{what}: {e}")
}

impl Cudnn {
    /// Load cuDNN, check it, and create a handle on `stream`; `Err` says why cuDNN is not used.
    pub(crate) fn open(ctx: &Arc<CudaContext>, stream: &Arc<CudaStream>) -> Res<Cudnn> {
        if std::env::var("COOPNETS_CUDNN").is_ok_and(|v| v.trim() == "0") {
            return Err("disabled by COOPNETS_CUDNN=0".into());
        }
        // SAFETY: only tries to dlopen the candidate file names.
        if !unsafe { sys::is_culib_present() } {
            let mut tried = cudarc::get_lib_name_candidates("cudnn");
            tried.retain(|f| f.starts_with("libcudnn.so"));
            return Err(format!("library libcudnn not found (tried {})", tried.join(", ")));
        }
        // SAFETY: the library is present, so `culib` opens it; `get` only looks symbols up.
        let lib = unsafe { sys::culib() };
        let missing = SYMBOLS.split_whitespace().find(|s| unsafe { lib.get::<fn()>(s.as_bytes()) }.is_err());
        missing.map_or(Ok(()), |s| Err(format!("libcudnn lacks {s}")))?;
        let version = result::get_version(); // 9.19.0 is 91900
        (version >= 90000).then_some(()).ok_or_else(|| format!("cuDNN {version} is older than 9.0"))?;
        ctx.bind_to_thread().map_err(|e| format!("binding the context: {e}"))?;
        let handle = owned(result::create_handle(), result::destroy_handle)?;
        // SAFETY: a live handle and the device's stream, which outlives it (both owned by the device).
        unsafe { result::set_stream(handle.raw, stream.cu_stream() as sys::cudaStream_t) }
            .map_err(why("cudnnSetStream"))?;
        Ok(Cudnn {
            handle,
            plans: HashMap::new(),
            workspace: None,
            declined: Vec::new(),
            tuned: HashMap::new(),
            tuned_log: Vec::new(),
        })
    }

    /// The plan of `g`, made on first use; `None` (noted in `declined`) if cuDNN cannot take it.
    fn plan_of(&mut self, g: &ConvGeom) -> Option<&mut Plan> {
        let declined = &mut self.declined;
        let made =
            self.plans.entry(key(g)).or_insert_with(|| plan(g).inspect_err(|e| declined.push(format!("{g:?}: {e}"))));
        made.as_mut().ok()
    }

    /// The algorithm cuDNN's heuristics rank first among the usable ones for `pass` of `g`
    /// (cached per geometry), or `None`: the caller uses im2col.
    pub(crate) fn heuristic(&mut self, g: &ConvGeom, pass: Pass) -> Option<Algo> {
        let h = self.handle.raw;
        let plan = self.plan_of(g)?;
        let slot = pass as usize;
        let mut refused = None;
        if plan.algos[slot].is_none() {
            let chosen = choose(h, plan, pass);
            refused = chosen.as_ref().err().map(|e| format!("{g:?}, {pass:?}: {e}"));
            plan.algos[slot] = Some(chosen);
        }
        let algo = plan.algos[slot].as_ref().and_then(|r| r.as_ref().ok().copied());
        self.declined.extend(refused);
        algo
    }

    /// Time every algorithm of `pass` on the real buffers `ptrs` (`cudnnFind*AlgorithmEx`, which
    /// writes the pass's output) and return the fastest usable one with its time in ms.
    pub(crate) fn find(
        &mut self,
        stream: &Arc<CudaStream>,
        g: &ConvGeom,
        pass: Pass,
        ptrs: [u64; 3],
    ) -> Res<(Algo, f32)> {
        let (ws, wl) = self.workspace_of(stream, FIND_WORKSPACE).map_err(|e| e.to_string())?;
        let h = self.handle.raw;
        let plan = self.plan_of(g).ok_or("no cuDNN plan for this geometry")?;
        cudnn_algos::find(h, plan, pass, ptrs, (ws, wl))
    }

    /// Queue `pass` of `g` with algorithm `a` on `ptrs` = [x, w, y] (device addresses; the
    /// pass's output among them is written, the others read).
    pub(crate) fn execute(
        &mut self,
        stream: &Arc<CudaStream>,
        g: &ConvGeom,
        pass: Pass,
        ptrs: [u64; 3],
        a: Algo,
    ) -> TResult<()> {
        use Pass::{Data, Filter, Forward};
        let (ws, wl) = self.workspace_of(stream, a.1)?;
        let h = self.handle.raw;
        let what = || format!("cuDNN {pass:?} convolution {g:?}");
        let plan = self.plan_of(g).ok_or_else(|| cuda_err(&what(), "no plan"))?;
        let (xd, yd, wd, cd) = (plan.x.raw, plan.y.raw, plan.w.raw, plan.conv.raw);
        let (one, zero) = (1.0f32, 0.0f32); // y = 1·result + 0·y
        let (al, be) = ((&one as *const f32).cast::<c_void>(), (&zero as *const f32).cast::<c_void>());
        let [x, w, y] = ptrs.map(|p| p as *mut c_void);
        let id = a.0;
        // SAFETY: the descriptors describe the contiguous buffers at these addresses (the
        // caller's contract); `id` is a valid algorithm of the pass (checked by `choose`/`find`).
        let status = unsafe {
            match pass {
                Forward => sys::cudnnConvolutionForward(h, al, xd, x, wd, w, cd, algo(id), ws, wl, be, yd, y),
                Data => sys::cudnnConvolutionBackwardData(h, al, wd, w, yd, y, cd, algo(id), ws, wl, be, xd, x),
                Filter => sys::cudnnConvolutionBackwardFilter(h, al, xd, x, yd, y, cd, algo(id), ws, wl, be, wd, w),
            }
        };
        status.result().map_err(|e| cuda_err(&what(), e))
    }

    /// The shared workspace, grown to at least `bytes`: (address, size), null for 0 bytes.
    /// Earlier users of a smaller buffer are earlier on the same stream, so freeing it is safe.
    fn workspace_of(&mut self, stream: &Arc<CudaStream>, bytes: usize) -> TResult<(*mut c_void, usize)> {
        if bytes == 0 {
            return Ok((std::ptr::null_mut(), 0));
        }
        if self.workspace.as_ref().is_none_or(|w| w.len() < bytes) {
            // Free first, so the old and new buffers need not coexist. SAFETY (alloc): a
            // workspace is scratch that cuDNN writes before it reads.
            self.workspace = None;
            let buf = unsafe { stream.alloc::<u8>(bytes) }.map_err(|e| cuda_err("cuDNN workspace", e))?;
            self.workspace = Some(buf);
        }
        let ws = self.workspace.as_ref().expect("allocated above");
        let (ptr, _no_event) = ws.device_ptr(stream);
        Ok((ptr as *mut c_void, ws.len()))
    }
}

/// Descriptors for `g` as cuDNN takes it (already extended: its
/// [`extension`](super::extend::extension) is `[0, 0, 0]`), checked against cuDNN's output size.
fn plan(g: &ConvGeom) -> Res<Plan> {
    // Skip the depth axis when it is trivial: 4-d descriptors, else 5-d.
    let s = usize::from(g.input[0] == 1 && g.kernel[0] == 1 && g.output[0] == 1 && g.pad[0] == 0);
    let ints = |v: &[usize]| -> Vec<c_int> { v.iter().map(|&v| v as c_int).collect() };
    let dims = |a: usize, b: usize, sp: [usize; 3]| ints(&[&[a, b][..], &sp[s..]].concat());
    let (float, nchw) = (sys::cudnnDataType_t::CUDNN_DATA_FLOAT, sys::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW);
    let tensor = |d: &[c_int]| -> Res<_> {
        let t = owned(result::create_tensor_descriptor(), result::destroy_tensor_descriptor)?;
        let strides: Vec<c_int> = (0..d.len()).map(|i| d[i + 1..].iter().product()).collect();
        // SAFETY: a live descriptor; both arrays (sizes, row-major strides) hold d.len() entries.
        unsafe { result::set_tensornd_descriptor(t.raw, float, d.len() as c_int, d.as_ptr(), strides.as_ptr()) }
            .map_err(why("cudnnSetTensorNdDescriptor"))?;
        Ok(t)
    };
    let (xd, yd, wd) = (dims(g.n, g.c_in, g.input), dims(g.n, g.c_out, g.output), dims(g.c_out, g.c_in, g.kernel));
    let (x, y) = (tensor(&xd)?, tensor(&yd)?);
    let w = owned(result::create_filter_descriptor(), result::destroy_filter_descriptor)?;
    // SAFETY: a live descriptor and wd.len() dimensions.
    unsafe { result::set_filternd_descriptor(w.raw, float, nchw, wd.len() as c_int, wd.as_ptr()) }
        .map_err(why("cudnnSetFilterNdDescriptor"))?;
    let c = owned(result::create_convolution_descriptor(), result::destroy_convolution_descriptor)?;
    let (pad, stride, dil, n) = (ints(&g.pad[s..]), ints(&g.stride[s..]), vec![1 as c_int; 3 - s], 3 - s as c_int);
    // cross-correlation: no kernel flip, like im2col
    let mode = sys::cudnnConvolutionMode_t::CUDNN_CROSS_CORRELATION;
    // SAFETY: a live descriptor; the three arrays hold n = 3 − s entries.
    unsafe { result::set_convolutionnd_descriptor(c.raw, n, pad.as_ptr(), stride.as_ptr(), dil.as_ptr(), mode, float) }
        .map_err(why("cudnnSetConvolutionNdDescriptor"))?;
    // SAFETY: a live descriptor.
    unsafe { result::set_convolution_math_type(c.raw, sys::cudnnMathType_t::CUDNN_FMA_MATH) }
        .map_err(why("cudnnSetConvolutionMathType"))?;
    let mut out = vec![0 as c_int; yd.len()];
    // SAFETY: live descriptors; `out` holds one entry per dimension.
    unsafe { sys::cudnnGetConvolutionNdForwardOutputDim(c.raw, x.raw, w.raw, out.len() as c_int, out.as_mut_ptr()) }
        .result()
        .map_err(why("cudnnGetConvolutionNdForwardOutputDim"))?;
    if out != yd {
        return Err(format!("cuDNN's output {out:?} is not ours {yd:?}"));
    }
    Ok(Plan { x, y, w, conv: c, algos: [None, None, None] })
}
