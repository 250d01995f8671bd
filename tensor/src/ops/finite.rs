//! Checks for NaN and ±Inf that do not wait for the device.
//!
//! [`Tensor::first_non_finite`] answers at once, so on a GPU it waits for every queued kernel:
//! the host stops feeding the device until the answer comes back. A Langevin step that checks
//! its log-density, gradient and state so would wait three times per step (on an H100 the ABP
//! iteration took 6% longer and a batch-1 texture iteration 25%). [`FiniteChecks`] queues the
//! checks instead: each [`push`](FiniteChecks::push) records, on the device and in order with the
//! rest of its work, where the first non-finite element of a tensor is, and
//! [`first`](FiniteChecks::first) waits once and names the first check (in push order) that
//! found one. The answer is the same as checking each tensor when it was pushed; only the
//! moment it arrives is later. On the CPU every check is done at once (no waiting to save),
//! and `push` returns its hit.

use crate::backend::BackendStorage;
use crate::device::dispatch2;
#[cfg(test)]
use crate::device::Device;
use crate::error::Result;
use crate::Tensor;

/// Checks queued before [`FiniteChecks::push`] waits for them itself.
const CAPACITY: usize = 1024;

/// "Nothing found" in a slot: `u32::MAX` as the bits of an `f32`.
const NONE: u32 = u32::MAX;

/// Queued NaN/±Inf checks, each with a label `L` (what was checked, at which step).
pub struct FiniteChecks<L> {
    /// One slot per queued check on the checked tensors' device: the first non-finite index
    /// as `u32` bits in an `f32`, [`NONE`] if none.
    slots: Option<Tensor>,
    labels: Vec<L>,
}

impl<L> Default for FiniteChecks<L> {
    fn default() -> Self {
        FiniteChecks { slots: None, labels: Vec::new() }
    }
}

impl<L> FiniteChecks<L> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Check `t` under `label`: on the CPU at once (`Some((label, index))` if it holds a NaN or
    /// ±Inf), elsewhere queued (`None`). When [`CAPACITY`] checks are queued, or `t` is on
    /// another device than they are, the queue is read first; if it holds a hit, that hit
    /// (the earliest) is returned and `t` is not checked. The caller stops at any hit.
    pub fn push(&mut self, t: &Tensor, label: L) -> Result<Option<(L, usize)>> {
        let device = t.device();
        let moved = self.slots.as_ref().is_some_and(|s| s.device() != device);
        if moved || self.labels.len() == CAPACITY {
            if let Some(hit) = self.first()? {
                return Ok(Some(hit));
            }
        }
        if device.is_cpu() {
            return Ok(t.first_non_finite().map(|i| (label, i))); // nothing to wait for
        }
        if moved || self.slots.is_none() {
            self.slots = Some(Tensor::full_on(&[CAPACITY], f32::from_bits(NONE), &device)?);
        }
        let slot = self.labels.len();
        let slots = self.slots.as_mut().expect("made above");
        dispatch2!("first_non_finite_into", slots.storage_mut(), &*t.storage, (s, x) =>
            x.first_non_finite_into(&t.layout, s, slot))?;
        self.labels.push(label);
        Ok(None)
    }

    /// Wait for the queued checks and return the first (in push order) that found a NaN or
    /// ±Inf, with the row-major index of the first such element; empties the queue.
    pub fn first(&mut self) -> Result<Option<(L, usize)>> {
        let labels = std::mem::take(&mut self.labels);
        let Some(slots) = self.slots.as_mut() else { return Ok(None) };
        if labels.is_empty() {
            return Ok(None);
        }
        let hits = slots.narrow(0, 0, labels.len())?.to_vec();
        let found = labels.into_iter().zip(hits).find(|(_, h)| h.to_bits() != NONE);
        if found.is_some() {
            // the hits stay in the slots: new slots on the next push
            self.slots = None;
        }
        Ok(found.map(|(l, h)| (l, h.to_bits() as usize)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
    }

    #[test]
    fn on_the_cpu_a_check_answers_at_once() {
        let mut checks = FiniteChecks::new();
        assert!(checks.first().unwrap().is_none(), "nothing queued");
        assert_eq!(checks.push(&t(&[1.0, 2.0]), "a").unwrap(), None);
        assert_eq!(checks.push(&t(&[1.0, f32::INFINITY, f32::NAN]), "b").unwrap(), Some(("b", 1)));
        assert_eq!(checks.push(&t(&[0.0, 0.0, 0.0, f32::NEG_INFINITY]), "c").unwrap(), Some(("c", 3)));
        assert_eq!(checks.first().unwrap(), None, "nothing was queued on the CPU");
    }

    /// The queue itself (what a GPU uses), driven through the CPU backend's slots.
    #[test]
    fn queued_checks_name_the_first_hit_and_a_full_queue_answers_first() {
        let mut checks = FiniteChecks::new();
        checks.slots = Some(Tensor::full_on(&[CAPACITY], f32::from_bits(NONE), &Device::Cpu).unwrap());
        let queue = |checks: &mut FiniteChecks<usize>, v: f32, label: usize| {
            let x = t(&[0.0, v]);
            let slots = checks.slots.as_mut().unwrap();
            dispatch2!("test", slots.storage_mut(), &*x.storage, (s, xs) =>
                xs.first_non_finite_into(&x.layout, s, label))
            .unwrap();
            checks.labels.push(label);
        };
        for i in 0..CAPACITY {
            queue(&mut checks, if i == 7 || i == 9 { f32::NAN } else { 0.0 }, i);
        }
        // full: the queue is read first, its earliest hit returned, and the new tensor not checked
        assert_eq!(checks.push(&t(&[f32::NAN]), CAPACITY).unwrap(), Some((7, 1)));
        assert!(checks.labels.is_empty() && checks.slots.is_none(), "emptied, and new slots next time");
    }
}
