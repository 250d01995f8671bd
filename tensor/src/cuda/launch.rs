//! Compiling the CUDA C sources in `kernels/` and launching their kernels.
//!
//! * [`Kernels::compile`]: NVRTC compiles the source once per device for the device's compute
//!   capability (`--gpu-architecture=compute_XY`, no fast math, no FMA contraction so that
//!   `a·x + b` rounds like the CPU's) into PTX, which the driver turns into machine code. The
//!   PTX is cached on disk (`$COOPNETS_CUDA_CACHE`, else `$XDG_CACHE_HOME/coopnets`, else
//!   `~/.cache/coopnets`), keyed by a hash of the source, the options and the architecture, so
//!   a second run skips NVRTC; a cache entry that does not load is recompiled.
//! * [`Lay`]: a strided layout as the kernels take it, by value, with mergeable axes merged.
//! * [`launch!`]: queue one kernel on the device's stream.

use std::collections::HashMap;
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaFunction, CudaModule, DeviceRepr, LaunchConfig};
use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions, Ptx};

use crate::error::{invalid_arg, Result, TensorError};
use crate::layout::Layout;

/// The CUDA C source of every kernel: the files of `kernels/`, one concept each, as one unit.
pub(crate) const SOURCE: &str = concat!(
    include_str!("kernels/common.cuh"),
    include_str!("kernels/elementwise.cu"),
    include_str!("kernels/random.cu"),
    include_str!("kernels/reduce.cu"),
    include_str!("kernels/channel.cu"),
    include_str!("kernels/conv.cu"),
    include_str!("kernels/optim.cu"),
);

/// Every `extern "C"` kernel in [`SOURCE`].
const NAMES: &[&str] = &[
    "unary_contig",
    "unary_strided",
    "unary_inplace",
    "binary_contig",
    "binary_strided",
    "copy_strided",
    "scatter",
    "fill",
    "axpby",
    "masked_assign",
    "bias_add",
    "randn",
    "rand_uniform",
    "langevin",
    "reduce_thread",
    "reduce_block",
    "reduce_split",
    "reduce_combine",
    "reduce_partials",
    "first_non_finite",
    "first_non_finite_slot",
    "channel_partials",
    "channel_combine",
    "channel_affine",
    "batch_norm_coefficients",
    "batch_norm_grad_coefficients",
    "im2col",
    "col2im",
    "sgd_momentum",
    "adam",
];

/// Threads per block of every launch (the reduction kernels assume exactly this many).
pub(crate) const BLOCK: u32 = 256;

/// The largest rank a kernel takes (after merging axes); the crate's tensors have ≤ 5.
pub(crate) const MAX_RANK: usize = 6;

/// A CUDA failure as this crate's error, naming CUDA and the operation.
pub(crate) fn cuda_err(op: &str, e: impl std::fmt::Display) -> TensorError {
    TensorError::DeviceUnavailable(format!("CUDA: {op}: {e}"))
}

/// Element counts travel to the kernels as `u32` and grid-stride indices must not overflow.
pub(crate) fn check_len(op: &'static str, n: usize) -> Result<u32> {
    u32::try_from(n)
        .ok()
        .filter(|&v| v <= i32::MAX as u32)
        .ok_or_else(|| invalid_arg(op, format!("{n} elements: the CUDA backend handles at most 2^31 - 1 per tensor")))
}

/// The loaded module and its functions.
pub(crate) struct Kernels {
    _module: Arc<CudaModule>,
    funcs: HashMap<&'static str, CudaFunction>,
}

impl Kernels {
    /// Compile (or read from the disk cache) and load every kernel for compute capability `cc`.
    pub(crate) fn compile(ctx: &Arc<CudaContext>, cc: (i32, i32)) -> std::result::Result<Kernels, String> {
        // `CompileOptions::arch` wants a `&'static str`: one small string per device, leaked once.
        let arch: &'static str = Box::leak(format!("compute_{}{}", cc.0, cc.1).into_boxed_str());
        let opts = CompileOptions {
            arch: Some(arch),
            use_fast_math: Some(false),
            fmad: Some(false),
            prec_div: Some(true),
            prec_sqrt: Some(true),
            ftz: Some(false),
            name: Some("coopnets_kernels.cu".into()),
            ..Default::default()
        };
        let cache = cache_path(&format!("{SOURCE}{opts:?}"), arch);
        let cached = cache.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
        let module = match cached.and_then(|ptx| ctx.load_module(Ptx::from_src(ptx)).ok()) {
            Some(m) => m,
            None => {
                let ptx =
                    compile_ptx_with_opts(SOURCE, opts).map_err(|e| format!("NVRTC compiling the kernels: {e}"))?;
                if let Some(p) = &cache {
                    // best effort: a read-only home only costs a compile per run
                    let _ = p.parent().map(std::fs::create_dir_all);
                    let _ = std::fs::write(p, ptx.to_src());
                }
                ctx.load_module(ptx).map_err(|e| format!("loading the compiled kernels: {e}"))?
            }
        };
        let mut funcs = HashMap::new();
        for &name in NAMES {
            let f = module.load_function(name).map_err(|e| format!("kernel {name}: {e}"))?;
            funcs.insert(name, f);
        }
        Ok(Kernels { _module: module, funcs })
    }

    /// The kernel called `name`.
    pub(crate) fn get(&self, name: &'static str) -> Result<&CudaFunction> {
        self.funcs.get(name).ok_or_else(|| cuda_err(name, "no such kernel"))
    }
}

/// Where the PTX for this source and architecture is cached, if a cache folder is known.
fn cache_path(key: &str, arch: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("COOPNETS_CUDA_CACHE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| std::path::PathBuf::from(d).join("coopnets")))
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache").join("coopnets")))?;
    // FNV-1a: stable across Rust versions (unlike `DefaultHasher`)
    let hash = key.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    Some(dir.join(format!("kernels-{hash:016x}-{arch}.ptx")))
}

/// One block of [`BLOCK`] threads per 256 items, at most 32 blocks per multiprocessor (the
/// kernels loop over the rest).
pub(crate) fn cfg_for(sm_count: u32, n: u32) -> LaunchConfig {
    let blocks = n.div_ceil(BLOCK).clamp(1, sm_count * 32);
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 }
}

/// A strided layout as the kernels take it (mirrors `struct Lay` in `kernels/common.cuh`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Lay {
    rank: u32,
    shape: [u32; MAX_RANK],
    strides: [i64; MAX_RANK],
    offset: i64,
}

// SAFETY: plain old data with the same repr(C) layout as the CUDA struct.
unsafe impl DeviceRepr for Lay {}

/// Merge neighbouring axes that every layout walks as one (outer stride = inner stride × inner
/// size) and drop axes of size 1: fewer divisions per element in the kernels. The row-major
/// order of the elements is unchanged. Never returns rank 0 (a scalar is `[1]`, stride 0).
pub(crate) fn coalesce(shape: &[usize], strides: &[&[usize]]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut dims: Vec<usize> = Vec::new();
    let mut st: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    for ax in 0..shape.len() {
        if shape[ax] == 1 {
            continue;
        }
        let merge = !dims.is_empty() && strides.iter().zip(&st).all(|(s, m)| *m.last().unwrap() == s[ax] * shape[ax]);
        if merge {
            *dims.last_mut().unwrap() *= shape[ax];
            for (m, s) in st.iter_mut().zip(strides) {
                *m.last_mut().unwrap() = s[ax];
            }
        } else {
            dims.push(shape[ax]);
            for (m, s) in st.iter_mut().zip(strides) {
                m.push(s[ax]);
            }
        }
    }
    if dims.is_empty() {
        dims.push(1);
        st.iter_mut().for_each(|m| m.push(0));
    }
    (dims, st)
}

impl Lay {
    /// A layout of already-merged axes.
    pub(crate) fn raw(shape: &[usize], strides: &[usize], offset: usize) -> Result<Lay> {
        if shape.len() > MAX_RANK {
            return Err(invalid_arg(
                "cuda",
                format!("shape {shape:?}: the CUDA kernels take at most {MAX_RANK} axes that cannot be merged"),
            ));
        }
        let mut l = Lay { rank: shape.len() as u32, offset: offset as i64, ..Lay::default() };
        for (i, (&d, &s)) in shape.iter().zip(strides).enumerate() {
            l.shape[i] = check_len("cuda", d)?;
            l.strides[i] = s as i64;
        }
        Ok(l)
    }

    /// `l` with its mergeable axes merged.
    pub(crate) fn of(l: &Layout) -> Result<Lay> {
        let (shape, st) = coalesce(l.shape(), &[l.strides()]);
        Lay::raw(&shape, &st[0], l.offset())
    }

    /// Two layouts of one shape, merged alike (so the kernels can share the index arithmetic).
    pub(crate) fn pair(a: &Layout, b: &Layout) -> Result<(Lay, Lay)> {
        let (shape, st) = coalesce(a.shape(), &[a.strides(), b.strides()]);
        Ok((Lay::raw(&shape, &st[0], a.offset())?, Lay::raw(&shape, &st[1], b.offset())?))
    }
}

/// Queue kernel `$name` of `kernels/` on `$dev`'s stream with launch config `$cfg` and the
/// given arguments, which must match the kernel's parameter types exactly (buffers as `u64`
/// device addresses, counts as `u32`, op codes as `i32`). Evaluates to `Result<()>`.
macro_rules! launch {
    ($dev:expr, $name:literal, $cfg:expr, $($arg:expr),+ $(,)?) => {
        $crate::cuda::launch::launch!(@span || $name; $dev, $name, $cfg, $($arg),+)
    };
    // the profile's name for this launch comes from `$span` (a closure, called only when profiling)
    (@span $span:expr; $dev:expr, $name:literal, $cfg:expr, $($arg:expr),+ $(,)?) => {{
        use cudarc::driver::PushKernelArg as _;
        let dev: &$crate::cuda::CudaDevice = $dev;
        let _span = dev.span($span);
        match dev.kernels().and_then(|k| k.get($name)) {
            // SAFETY: the argument list matches the kernel's signature in kernels/, every
            // address points into a live buffer of this device, and the kernels stay inside
            // the element counts they are given.
            Ok(f) => unsafe { dev.stream().launch_builder(f)$(.arg(&$arg))+.launch($cfg) }
                .map(|_| ())
                .map_err(|e| $crate::cuda::launch::cuda_err($name, e)),
            Err(e) => Err(e),
        }
    }};
}
pub(crate) use launch;

#[cfg(test)]
mod tests {
    use super::{NAMES, SOURCE};

    /// [`NAMES`] lists exactly the kernels of [`SOURCE`] (a renamed kernel otherwise fails only
    /// on a GPU, when the module is loaded).
    #[test]
    fn every_kernel_of_the_source_is_named_once() {
        let mut in_source: Vec<&str> = SOURCE
            .split("extern \"C\" __global__ void ")
            .skip(1)
            .map(|rest| rest.split('(').next().unwrap_or_default().trim())
            .collect();
        let mut named = NAMES.to_vec();
        in_source.sort_unstable();
        named.sort_unstable();
        assert_eq!(named, in_source);
    }
}
