//! Where the GPU's time goes: an optional per-kernel timeline (`COOPNETS_CUDA_PROFILE=1`).
//!
//! Each kernel launch, SGEMM and cuDNN pass is bracketed by two CUDA events recorded on the
//! device's stream ([`Span`]); [`CudaDevice::profile_take`] waits for them and sums the elapsed
//! time per name. The events cost a few microseconds of host time each, so a launch-bound
//! workload runs slower with the profile on, but the GPU time per name stays true. Comparing the
//! sum of all rows with the wall-clock time of an iteration tells whether a workload is bound by
//! the GPU's arithmetic (sum ≈ wall) or by launching work from the host (sum ≪ wall).
//!
//! Off (the default), a span is one relaxed load of a `OnceLock` and nothing else. On, it is
//! meant for `cargo xtask bench`, which takes the spans after each workload; elsewhere (a
//! training run with the variable set) at most [`MAX_SPANS`] are kept, later ones dropped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use cudarc::driver::{sys::CUevent_flags, CudaEvent};

use super::CudaDevice;
use crate::error::Result;

/// Whether `COOPNETS_CUDA_PROFILE=1` was set when the first span was made.
pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("COOPNETS_CUDA_PROFILE").is_ok_and(|v| v.trim() == "1"))
}

/// The most spans kept between two [`CudaDevice::profile_take`] calls (two events each).
pub(crate) const MAX_SPANS: usize = 1 << 20;

/// Finished spans of one device, waiting to be summed.
#[derive(Default)]
pub(crate) struct Timeline {
    spans: Mutex<Vec<(Cow<'static, str>, CudaEvent, CudaEvent)>>,
}

/// GPU time spent under one name since the last [`CudaDevice::profile_take`].
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileRow {
    /// The kernel's name (`im2col`, `langevin`, ...), with the op and size for elementwise,
    /// copy and per-channel kernels (`unary_contig Relu n4194304`), `sgemm MxNxK bB` or
    /// `cudnn PASS nN CIN->COUT in[..] k[..]`.
    pub name: String,
    /// How many times it ran.
    pub count: usize,
    /// Milliseconds on the GPU, summed.
    pub ms: f64,
}

/// A start event recorded on the device's stream; the end event is recorded when it drops.
pub(crate) struct Span<'a> {
    dev: &'a CudaDevice,
    open: Option<(Cow<'static, str>, CudaEvent)>,
}

/// An event that can time, recorded now on `dev`'s stream (`None` if the driver refuses).
fn mark(dev: &CudaDevice) -> Option<CudaEvent> {
    dev.stream().record_event(Some(CUevent_flags::CU_EVENT_DEFAULT)).ok()
}

impl CudaDevice {
    /// Time the GPU work queued until the returned span drops, under `name` (evaluated only
    /// when profiling is on).
    pub(crate) fn span<N: Into<Cow<'static, str>>>(&self, name: impl FnOnce() -> N) -> Span<'_> {
        let open = if enabled() { mark(self).map(|e| (name().into(), e)) } else { None };
        Span { dev: self, open }
    }

    /// The GPU time per name of every span since the last call, longest first (empty unless
    /// `COOPNETS_CUDA_PROFILE=1`). Waits for the queued work.
    pub fn profile_take(&self) -> Result<Vec<ProfileRow>> {
        self.synchronize()?;
        let spans = std::mem::take(&mut *self.timeline().spans.lock().unwrap_or_else(|e| e.into_inner()));
        let mut by_name: HashMap<Cow<'static, str>, (usize, f64)> = HashMap::new();
        for (name, start, end) in spans {
            let ms = start.elapsed_ms(&end).map_err(|e| super::launch::cuda_err("profile events", e))?;
            let e = by_name.entry(name).or_default();
            *e = (e.0 + 1, e.1 + f64::from(ms));
        }
        let mut rows: Vec<ProfileRow> =
            by_name.into_iter().map(|(n, (count, ms))| ProfileRow { name: n.into_owned(), count, ms }).collect();
        rows.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        Ok(rows)
    }
}

impl Drop for Span<'_> {
    fn drop(&mut self) {
        if let Some((name, start)) = self.open.take() {
            let mut spans = self.dev.timeline().spans.lock().unwrap_or_else(|e| e.into_inner());
            if spans.len() < MAX_SPANS {
                if let Some(end) = mark(self.dev) {
                    spans.push((name, start, end));
                }
            }
        }
    }
}
