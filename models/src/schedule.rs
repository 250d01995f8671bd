//! Learning-rate schedules over iterations, as factors of an optimizer's base rate.
//!
//! MatConvNet's CoopNets (`learn_dualNets.m`, `../shared/reference/models.md` §5.1) multiplies
//! both nets' rates by `r_t`, the 80 values of `logspace(−2, −4, 80)·100` (1 down to 0.01,
//! evenly spaced in log scale), each kept for `⌊iterations / 80⌋` iterations, the last one
//! thereafter. The TF family keeps the rate constant.

use serde::{Deserialize, Serialize};

/// The factor of the base learning rate at each iteration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RateSchedule {
    /// Always 1 (the TF family).
    #[default]
    Constant,
    /// `from` until iteration `start` (default 0), then `values` factors from `from` to `to`,
    /// evenly spaced in log scale, each for `⌊(iterations − start) / values⌋` iterations (at
    /// least 1), the last one thereafter.
    LogSpaced {
        #[serde(serialize_with = "crate::serde_f32::short")]
        from: f32,
        #[serde(serialize_with = "crate::serde_f32::short")]
        to: f32,
        values: usize,
        iterations: usize,
        #[serde(default, skip_serializing_if = "is_zero")]
        start: usize,
    },
}

impl RateSchedule {
    /// MatConvNet CoopNets' schedule for a run of `iterations`: 1 → 0.01 in 80 steps.
    pub fn matconvnet(iterations: usize) -> Self {
        RateSchedule::LogSpaced { from: 1.0, to: 0.01, values: 80, iterations, start: 0 }
    }

    /// `values` factors from `from` to `to` over a run of `iterations`, from its start.
    pub fn log_spaced(from: f32, to: f32, values: usize, iterations: usize) -> Self {
        RateSchedule::LogSpaced { from, to, values, iterations, start: 0 }
    }

    /// Whether this is the constant schedule (configs leave it out).
    pub fn is_constant(&self) -> bool {
        *self == RateSchedule::Constant
    }

    /// The same schedule spread over a run of `iterations`, its `start` moved in proportion (the
    /// constant one is unchanged).
    pub fn over(&self, iterations: usize) -> Self {
        match *self {
            RateSchedule::LogSpaced { from, to, values, iterations: old, start } => {
                let start = (start as u128 * iterations as u128 / old.max(1) as u128) as usize;
                RateSchedule::LogSpaced { from, to, values, iterations, start }
            }
            RateSchedule::Constant => RateSchedule::Constant,
        }
    }

    /// The factor at iteration `t` (from 0).
    pub fn factor(&self, t: usize) -> f32 {
        match *self {
            RateSchedule::Constant => 1.0,
            RateSchedule::LogSpaced { from, to, values, iterations, start } => {
                let values = values.max(1);
                let span = iterations.saturating_sub(start);
                let k = (t.saturating_sub(start) / (span / values).max(1)).min(values - 1);
                let frac = if values == 1 { 0.0 } else { k as f64 / (values - 1) as f64 };
                let (a, b) = (f64::from(from).log10(), f64::from(to).log10());
                10f64.powf(a + frac * (b - a)) as f32
            }
        }
    }

    /// An error naming what is wrong, for schedules that cannot work.
    pub fn check(&self) -> Result<(), String> {
        match *self {
            RateSchedule::LogSpaced { from, to, values, .. }
                if !(from > 0.0 && to > 0.0 && from.is_finite() && to.is_finite()) || values == 0 =>
            {
                Err(format!("rate_schedule: from {from} and to {to} must be positive and values ({values}) ≥ 1"))
            }
            RateSchedule::LogSpaced { iterations, start, .. } if start >= iterations && start > 0 => Err(format!(
                "rate_schedule: start = {start} must be before the end of the schedule (iterations = {iterations})"
            )),
            _ => Ok(()),
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matconvnet_schedule_steps_down_two_decades_in_80_values() {
        let s = RateSchedule::matconvnet(8000); // each value for 100 iterations
        assert_eq!(s.factor(0), 1.0);
        assert_eq!(s.factor(99), 1.0);
        // logspace(−2, −4, 80)·100, second value: 10^(−2/79)
        assert!((s.factor(100) - 10f32.powf(-2.0 / 79.0)).abs() < 1e-6);
        assert!((s.factor(7900) - 0.01).abs() < 1e-6);
        assert!((s.factor(1_000_000) - 0.01).abs() < 1e-6, "the last value thereafter");
        // fewer iterations than values: one iteration per value
        assert!((RateSchedule::matconvnet(10).factor(79) - 0.01).abs() < 1e-6);
        assert_eq!(RateSchedule::Constant.factor(123), 1.0);
        assert!(RateSchedule::log_spaced(0.0, 1.0, 3, 9).check().is_err());
    }

    #[test]
    fn a_late_start_keeps_the_rate_until_it_then_falls_over_the_rest() {
        // 1 until iteration 600, then 1, 0.5, 0.25 for 100 iterations each
        let s = RateSchedule::LogSpaced { from: 1.0, to: 0.25, values: 3, iterations: 900, start: 600 };
        assert_eq!(s.check(), Ok(()));
        assert_eq!(s.factor(0), 1.0);
        assert_eq!(s.factor(699), 1.0);
        assert!((s.factor(700) - 0.5).abs() < 1e-6);
        assert!((s.factor(899) - 0.25).abs() < 1e-6);
        assert!((s.factor(5000) - 0.25).abs() < 1e-6, "the last value thereafter");
        // a run twice as long moves the start with it
        assert_eq!(
            s.over(1800),
            RateSchedule::LogSpaced { from: 1.0, to: 0.25, values: 3, iterations: 1800, start: 1200 }
        );
        let late = RateSchedule::LogSpaced { from: 1.0, to: 0.5, values: 2, iterations: 10, start: 10 };
        assert!(late.check().unwrap_err().contains("start = 10"));
    }
}
