//! Learning-rate schedules: the factor that multiplies the base learning rate at iteration t.

/// How the learning rate changes over training.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    Constant,
    /// Multiply by `gamma` every `every` iterations.
    Step {
        every: usize,
        gamma: f32,
    },
    /// The MatConvNet CoopNets schedule: `stages` log-spaced factors from `start` to `end`
    /// (`logspace(-2,-4,80)·100` = 1.0 → 0.01 over 80 stages), each held for
    /// `floor(total/stages)` iterations, the last one thereafter.
    LogSpaced {
        start: f32,
        end: f32,
        stages: usize,
        total: usize,
    },
}

impl LrSchedule {
    /// The reference CoopNets schedule for a run of `total` iterations.
    pub fn coopnets(total: usize) -> Self {
        LrSchedule::LogSpaced { start: 1.0, end: 0.01, stages: 80, total }
    }

    /// Factor at iteration `t` (0-based).
    pub fn factor(&self, t: usize) -> f32 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Step { every, gamma } => gamma.powi((t / every.max(1)) as i32),
            LrSchedule::LogSpaced { start, end, stages, total } => {
                let stages = stages.max(1);
                let per = (total / stages).max(1);
                let k = (t / per).min(stages - 1);
                if stages == 1 {
                    return start;
                }
                let frac = k as f32 / (stages - 1) as f32;
                (start.ln() + frac * (end.ln() - start.ln())).exp()
            }
        }
    }
}
