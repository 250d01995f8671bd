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
//! moment it arrives is later. On the CPU every check is done at once (no waiting to save).

use crate::backend::BackendStorage;
use crate::device::dispatch2;
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

    /// Queue a check of `t` under `label`. If [`CAPACITY`] checks are queued already, waits
    /// for them first and returns the first that found a non-finite element, if any (with
    /// its row-major index); the queue is empty again either way.
    /// A tensor on another device than the queued ones also waits for those first.
    pub fn push(&mut self, t: &Tensor, label: L) -> Result<Option<(L, usize)>> {
        let device = t.device();
        let moved = self.slots.as_ref().is_some_and(|s| s.device() != device);
        let found = if moved || self.labels.len() == CAPACITY { self.first()? } else { None };
        if moved || self.slots.is_none() {
            self.slots = Some(Tensor::full_on(&[CAPACITY], f32::from_bits(NONE), &device)?);
        }
        let slot = self.labels.len();
        let slots = self.slots.as_mut().expect("made above");
        dispatch2!("first_non_finite_into", slots.storage_mut(), &*t.storage, (s, x) =>
            x.first_non_finite_into(&t.layout, s, slot))?;
        self.labels.push(label);
        Ok(found)
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
            *slots = Tensor::full_on(&[CAPACITY], f32::from_bits(NONE), &slots.device())?;
            // reset
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
    fn the_first_check_that_found_a_non_finite_element_is_named_with_its_index() {
        let mut checks = FiniteChecks::new();
        assert!(checks.first().unwrap().is_none(), "nothing queued");
        checks.push(&t(&[1.0, 2.0]), "a").unwrap();
        checks.push(&t(&[1.0, f32::INFINITY, f32::NAN]), "b").unwrap();
        checks.push(&t(&[f32::NAN]), "c").unwrap();
        assert_eq!(checks.first().unwrap(), Some(("b", 1)));
        assert!(checks.first().unwrap().is_none(), "the queue is empty after first()");
        checks.push(&t(&[3.0]), "d").unwrap();
        checks.push(&t(&[0.0, 0.0, 0.0, f32::NEG_INFINITY]), "e").unwrap();
        assert_eq!(checks.first().unwrap(), Some(("e", 3)), "slots were reset");
        checks.push(&t(&[1.0]), "f").unwrap();
        assert_eq!(checks.first().unwrap(), None);
    }

    #[test]
    fn a_full_queue_answers_for_what_it_held() {
        let mut checks = FiniteChecks::new();
        for i in 0..CAPACITY {
            let v = if i == 7 { f32::NAN } else { 0.0 };
            assert_eq!(checks.push(&t(&[v]), i).unwrap(), None);
        }
        assert_eq!(checks.push(&t(&[0.0]), CAPACITY).unwrap(), Some((7, 0)));
        assert_eq!(checks.first().unwrap(), None, "the check pushed after the flush was finite");
    }
}
