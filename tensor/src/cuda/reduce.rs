//! Reductions: over axes (into a tensor), over everything (to the host), and the search for
//! the first non-finite element. All accumulate in f64 and combine in a fixed order, so the
//! result depends on the input and its shape only (not on the GPU's load or the grid size).

use cudarc::driver::LaunchConfig;

use super::launch::{cfg_for, check_len, coalesce, cuda_err, launch, Lay, BLOCK};
use super::storage::CudaStorage;
use crate::error::Result;
use crate::layout::Layout;
use crate::op::ReduceOp;

fn op_code(op: ReduceOp) -> i32 {
    match op {
        ReduceOp::Sum => 0,
        ReduceOp::Max => 1,
    }
}

/// Terms per block when a long reduction with few outputs is split over several blocks.
const SPLIT_CHUNK: u32 = 1 << 14;

/// Partial results for whole-tensor reductions: one per block of a grid whose size depends
/// only on the element count (so the combination order, and every bit, is fixed).
const MAX_PARTIALS: u32 = 1024;

fn partials_cfg(n: u32) -> LaunchConfig {
    let blocks = n.div_ceil(BLOCK).clamp(1, MAX_PARTIALS);
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 }
}

/// Reduce the axes marked in `reduced`; the output keeps every axis (size 1 where reduced).
///
/// The kept axes index the outputs, the reduced axes the terms of each. Short reductions
/// (or many outputs whose terms are far apart) run one thread per output, looping over the
/// terms in order; long ones (a sum per example or per channel) one block per output, its
/// 256 threads taking interleaved terms and a fixed tree combining them; and when those
/// blocks would be too few to fill the GPU, each output's terms are cut into chunks of
/// [`SPLIT_CHUNK`], one block each, whose partials are then added in order. Which path runs
/// depends on the shape and the GPU's size, never on timing.
pub(crate) fn reduce_axes(x: &CudaStorage, l: &Layout, reduced: &[bool], op: ReduceOp) -> Result<CudaStorage> {
    let dev = x.cuda_device();
    let pick = |want: bool| -> (Vec<usize>, Vec<usize>) {
        let axes = (0..l.shape().len()).filter(|&a| reduced[a] == want);
        axes.map(|a| (l.shape()[a], l.strides()[a])).unzip()
    };
    let (kept_shape, kept_strides) = pick(false);
    let (red_shape, red_strides) = pick(true);
    let n_out = check_len("reduce", kept_shape.iter().product())?;
    let n_red = check_len("reduce", red_shape.iter().product())?;
    let out = CudaStorage::alloc(dev, n_out as usize)?;
    if n_out == 0 {
        return Ok(out);
    }
    let (ks, kst) = coalesce(&kept_shape, &[&kept_strides]);
    let (rs, rst) = coalesce(&red_shape, &[&red_strides]);
    let kept = Lay::raw(&ks, &kst[0], l.offset())?;
    let red = Lay::raw(&rs, &rst[0], 0)?;
    let unit_inner = rst[0].last() == Some(&1);
    let code = op_code(op);
    let blocks = |jobs: u32| LaunchConfig {
        grid_dim: (jobs.clamp(1, dev.sm_count() * 32), 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    };
    if n_red >= 128 && (unit_inner || n_out <= 8192) {
        let splits = n_red.div_ceil(SPLIT_CHUNK);
        if splits == 1 || n_out >= 4 * dev.sm_count() {
            launch!(dev, "reduce_block", blocks(n_out), out.ptr(), x.ptr(), kept, red, n_out, n_red, code)?;
        } else {
            // SAFETY: every (output, chunk) block writes its partial.
            let partials =
                unsafe { dev.stream().alloc::<f64>((n_out * splits) as usize) }.map_err(|e| cuda_err("reduce", e))?;
            let (pp, _no_event) = cudarc::driver::DevicePtr::device_ptr(&partials, dev.stream());
            let (jobs, chunk) = (check_len("reduce", (n_out * splits) as usize)?, SPLIT_CHUNK);
            launch!(dev, "reduce_split", blocks(jobs), pp, x.ptr(), kept, red, n_out, n_red, splits, chunk, code)?;
            launch!(dev, "reduce_combine", cfg_for(dev.sm_count(), n_out), out.ptr(), pp, n_out, splits, code)?;
        }
    } else {
        let cfg = cfg_for(dev.sm_count(), n_out);
        launch!(dev, "reduce_thread", cfg, out.ptr(), x.ptr(), kept, red, n_out, n_red, code)?;
    }
    Ok(out)
}

/// Reduce every element to one number: per-block partials on the device (f64), combined in
/// block order on the host. Waits for the device.
pub(crate) fn reduce_all(x: &CudaStorage, l: &Layout, op: ReduceOp) -> Result<f32> {
    let n = check_len("reduce_all", l.numel())?;
    if n == 0 {
        return Ok(op.init() as f32);
    }
    let dev = x.cuda_device();
    let cfg = partials_cfg(n);
    let stream = dev.stream();
    // SAFETY: every block writes its partial.
    let partials = unsafe { stream.alloc::<f64>(cfg.grid_dim.0 as usize) }.map_err(|e| cuda_err("reduce_all", e))?;
    let (pp, _no_event) = cudarc::driver::DevicePtr::device_ptr(&partials, stream);
    launch!(dev, "reduce_partials", cfg, pp, x.ptr(), Lay::of(l)?, n, op_code(op))?;
    let host = stream.clone_dtoh(&partials).map_err(|e| cuda_err("reduce_all", e))?;
    stream.synchronize().map_err(|e| cuda_err("reduce_all", e))?;
    Ok(host.into_iter().fold(op.init(), |a, v| op.combine(a, v)) as f32)
}

/// [`first_non_finite`] queued without waiting: each block's smallest hit goes into
/// `slots[slot]` by `atomicMin` (a minimum, so the same result in any order).
pub(crate) fn first_non_finite_into(x: &CudaStorage, l: &Layout, slots: &mut CudaStorage, slot: usize) -> Result<()> {
    let n = check_len("first_non_finite", l.numel())?;
    if slot >= crate::BackendStorage::len(slots) {
        return Err(crate::error::TensorError::InvalidShape {
            op: "first_non_finite_into",
            msg: format!("slot {slot} of {} slots", crate::BackendStorage::len(slots)),
        });
    }
    let slot = check_len("first_non_finite", slot)?;
    if n == 0 {
        return Ok(());
    }
    let dev = x.cuda_device();
    launch!(dev, "first_non_finite_slot", partials_cfg(n), slots.ptr(), slot, x.ptr(), Lay::of(l)?, n)
}

/// Row-major index of the first NaN or ±Inf: the smallest hit of each block on the device, the
/// smallest of those on the host. Waits for the device.
pub(crate) fn first_non_finite(x: &CudaStorage, l: &Layout) -> Result<Option<usize>> {
    let n = check_len("first_non_finite", l.numel())?;
    if n == 0 {
        return Ok(None);
    }
    let dev = x.cuda_device();
    let cfg = partials_cfg(n);
    let stream = dev.stream();
    // SAFETY: every block writes its partial.
    let partials =
        unsafe { stream.alloc::<u32>(cfg.grid_dim.0 as usize) }.map_err(|e| cuda_err("first_non_finite", e))?;
    let (pp, _no_event) = cudarc::driver::DevicePtr::device_ptr(&partials, stream);
    launch!(dev, "first_non_finite", cfg, pp, x.ptr(), Lay::of(l)?, n)?;
    let host = stream.clone_dtoh(&partials).map_err(|e| cuda_err("first_non_finite", e))?;
    stream.synchronize().map_err(|e| cuda_err("first_non_finite", e))?;
    Ok(host.into_iter().min().filter(|&i| i != u32::MAX).map(|i| i as usize))
}
