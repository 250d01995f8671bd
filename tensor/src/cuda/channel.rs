//! Per-channel sums and affine maps (`kernels/channel.cu`; what they compute: `ops/channel.rs`).
//!
//! The sums are split so that the GPU is full: channel `k` is cut into `parts` blocks (enough
//! blocks for about [`BLOCKS_PER_SM`] per multiprocessor, a function of the shape and the GPU
//! only), each writes its two partial sums in double, and the channel's last block to finish
//! (found by a counter per channel, which the device keeps zeroed) adds the parts in order.
//! Deterministic: the atomic only says who adds, never in what order.

use cudarc::driver::LaunchConfig;

use super::launch::{cfg_for, check_len, cuda_err, launch, BLOCK};
use super::storage::CudaStorage;
use crate::error::Result;

/// Blocks per multiprocessor that [`channel_sums`] aims for: enough to hide memory latency
/// (with two, the 64-channel 4 Mi-entry sums of the ABP generator ran at a fifth of the
/// H100's bandwidth).
const BLOCKS_PER_SM: usize = 8;

/// `[Σ a, Σ a'·(b − sh)]` per channel of contiguous `[n, c, s]` buffers, `[2, c]`, with
/// `sh = shift[k]·scale` for `shift = Some((shift, scale))` (else 0) and `a' = a − sh` if
/// `center`, else `a`.
pub(crate) fn channel_sums(
    a: &CudaStorage,
    b: &CudaStorage,
    shift: Option<(&CudaStorage, f32)>,
    center: bool,
    (n, c, s): (usize, usize, usize),
) -> Result<CudaStorage> {
    let dev = a.cuda_device();
    let out = CudaStorage::alloc(dev, 2 * c)?;
    if c == 0 {
        return Ok(out);
    }
    let per_channel = check_len("channel_sums", n * s)?;
    check_len("channel_sums", n * c * s)?;
    let blocks_wanted = BLOCKS_PER_SM * dev.sm_count() as usize;
    let parts = blocks_wanted.div_ceil(c).clamp(1, (n * s).div_ceil(BLOCK as usize).max(1));
    let (cu, su, pu) = (check_len("channel_sums", c)?, check_len("channel_sums", s.max(1))?, parts as u32);
    // SAFETY: every (channel, part) block writes both of its partials before they are read.
    let partials = unsafe { dev.stream().alloc::<f64>(2 * c * parts) }.map_err(|e| cuda_err("channel_sums", e))?;
    let (pp, _no_event) = cudarc::driver::DevicePtr::device_ptr(&partials, dev.stream());
    let cfg = LaunchConfig { grid_dim: (cu, pu, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 };
    let center = i32::from(center);
    let span = || format!("channel_partials c{cu} n{per_channel}");
    // with the device's counters the last block of each channel combines (one launch)
    let counters = dev.channel_counters(c);
    let (o, cnt) = (out.ptr(), counters.unwrap_or(0));
    let (sp, scale) = shift.map_or((0, 0.0), |(t, scale)| (t.ptr(), scale)); // 0: a null pointer
    launch!(@span span; dev, "channel_partials", cfg, pp, a.ptr(), b.ptr(), sp, scale, cu, su, per_channel, pu, center, o, cnt)?;
    if counters.is_none() {
        launch!(dev, "channel_combine", cfg_for(dev.sm_count(), cu), out.ptr(), pp, cu, pu)?;
    }
    Ok(out)
}

/// `p[k]·x + q[k]·y + r[k]` on channel `k` of contiguous `[n, c, s]` buffers.
pub(crate) fn channel_affine(
    x: &CudaStorage,
    y: &CudaStorage,
    coef: &CudaStorage,
    (n, c, s): (usize, usize, usize),
) -> Result<CudaStorage> {
    let dev = x.cuda_device();
    let total = check_len("channel_affine", n * c * s)?;
    let out = CudaStorage::alloc(dev, total as usize)?;
    if total == 0 {
        return Ok(out);
    }
    let (cu, su) = (check_len("channel_affine", c)?, check_len("channel_affine", s)?);
    launch!(
        dev,
        "channel_affine",
        cfg_for(dev.sm_count(), total),
        out.ptr(),
        x.ptr(),
        y.ptr(),
        coef.ptr(),
        cu,
        su,
        total
    )?;
    Ok(out)
}

/// Batch norm's forward coefficients `[6, c]` (see the backend trait).
pub(crate) fn batch_norm_coefficients(
    sums: &CudaStorage,
    gamma: &CudaStorage,
    beta: &CudaStorage,
    c: usize,
    m: f32,
    eps: f32,
) -> Result<CudaStorage> {
    let dev = sums.cuda_device();
    let cu = check_len("batch_norm", c)?;
    let out = CudaStorage::alloc(dev, 6 * c)?;
    if c > 0 {
        let cfg = cfg_for(dev.sm_count(), cu);
        launch!(dev, "batch_norm_coefficients", cfg, out.ptr(), sums.ptr(), gamma.ptr(), beta.ptr(), cu, m, eps)?;
    }
    Ok(out)
}

/// Batch norm's backward coefficients `[5, c]` (see the backend trait).
pub(crate) fn batch_norm_grad_coefficients(
    sums: &CudaStorage,
    fwd: &CudaStorage,
    c: usize,
    m: f32,
) -> Result<CudaStorage> {
    let dev = sums.cuda_device();
    let cu = check_len("batch_norm", c)?;
    let out = CudaStorage::alloc(dev, 5 * c)?;
    if c > 0 {
        launch!(
            dev,
            "batch_norm_grad_coefficients",
            cfg_for(dev.sm_count(), cu),
            out.ptr(),
            sums.ptr(),
            fwd.ptr(),
            cu,
            m
        )?;
    }
    Ok(out)
}
