//! Data-parallel training: the one collective every model needs (design:
//! `docs/distributed.md`).
//!
//! One process per GPU, each with a full copy of the weights. After backward and before the
//! optimizer step, every rank replaces its gradients by their mean over all ranks:
//!
//! ```text
//! g ← (1/p) Σ_r g_r        (one all-reduce of the flattened gradients of one net)
//! ```
//!
//! Every rank then takes the same step from the same weights, so the replicas stay identical
//! without ever sending weights. Chains, latents and data are sharded by rank and never sent.
//!
//! [`Local`] is the world of one process (nothing to do). The NCCL communicator lives behind
//! the `dist` feature; [`LaunchEnv`] reads rank and world size as torchrun and Slurm set them.

use std::collections::BTreeMap;

use tensor::Tensor;

use crate::error::{NnError, Result};

#[cfg(feature = "dist")]
mod nccl;
#[cfg(feature = "dist")]
pub use nccl::Nccl;

/// A group of processes that can sum a buffer across all of them.
pub trait Communicator: Send + Sync {
    /// This process's rank, 0 to `world_size() − 1`.
    fn rank(&self) -> usize;
    /// Number of processes.
    fn world_size(&self) -> usize;
    /// `buf ← Σ_r buf_r` over all ranks, in place; every rank ends with the same numbers.
    fn all_reduce_sum_(&self, buf: &mut Tensor) -> Result<()>;
}

/// The world of one process: the all-reduce is the identity.
#[derive(Clone, Copy, Debug, Default)]
pub struct Local;

impl Communicator for Local {
    fn rank(&self) -> usize {
        0
    }
    fn world_size(&self) -> usize {
        1
    }
    fn all_reduce_sum_(&self, _buf: &mut Tensor) -> Result<()> {
        Ok(())
    }
}

/// Replace every gradient by its mean over the ranks: flatten in name order (a `BTreeMap`, so
/// the same order on every rank), one all-reduce, ×1/p, cut back into the named shapes.
/// Each rank's loss is already a mean over its own examples, so the mean over equal shards is
/// the gradient of the whole batch: learning rates and clipping keep their one-GPU meaning.
pub fn mean_grads_(comm: &dyn Communicator, grads: &mut BTreeMap<String, Tensor>) -> Result<()> {
    let p = comm.world_size();
    if p == 1 || grads.is_empty() {
        return Ok(());
    }
    let flat: Vec<Tensor> = grads.values().map(|g| g.reshape(&[g.numel()])).collect::<tensor::Result<_>>()?;
    let mut buf = Tensor::cat(&flat.iter().collect::<Vec<_>>(), 0)?;
    comm.all_reduce_sum_(&mut buf)?;
    buf.scale_(1.0 / p as f32);
    let mut at = 0;
    for g in grads.values_mut() {
        let n = g.numel();
        *g = buf.narrow(0, at, n)?.reshape(g.shape())?;
        at += n;
    }
    Ok(())
}

/// Where this process sits in a launch: torchrun's variables (`RANK`, `WORLD_SIZE`,
/// `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`), or Slurm's (`SLURM_PROCID`, `SLURM_NTASKS`,
/// `SLURM_LOCALID`) when torchrun's are absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchEnv {
    pub rank: usize,
    pub world_size: usize,
    /// The GPU of this process on its node.
    pub local_rank: usize,
    /// Rendezvous address (needed when `world_size > 1`).
    pub master: Option<(String, u16)>,
}

impl LaunchEnv {
    /// Read the launch from the process environment.
    pub fn from_env() -> Result<LaunchEnv> {
        LaunchEnv::from_vars(|k| std::env::var(k).ok())
    }

    /// Read the launch from `var` (tests pass a map). Nothing set is a world of one; a
    /// partial or inconsistent set is an error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<LaunchEnv> {
        let num = |names: [&str; 2]| -> Result<Option<usize>> {
            let Some((name, v)) = names.iter().find_map(|n| var(n).map(|v| (*n, v))) else {
                return Ok(None);
            };
            v.trim().parse().map(Some).map_err(|_| launch_err(format!("{name} = {v:?} is not a number")))
        };
        let rank = num(["RANK", "SLURM_PROCID"])?;
        let world = num(["WORLD_SIZE", "SLURM_NTASKS"])?;
        let local = num(["LOCAL_RANK", "SLURM_LOCALID"])?.unwrap_or(0);
        let (rank, world_size) = match (rank, world) {
            (None, None) => (0, 1),
            (Some(r), Some(w)) if w >= 1 && r < w => (r, w),
            (Some(r), Some(w)) => return Err(launch_err(format!("rank {r} does not fit world size {w}"))),
            _ => return Err(launch_err("RANK and WORLD_SIZE must be set together".into())),
        };
        let master = match (var("MASTER_ADDR"), var("MASTER_PORT")) {
            (Some(a), Some(p)) => {
                Some((a, p.trim().parse().map_err(|_| launch_err(format!("MASTER_PORT = {p:?} is not a port")))?))
            }
            _ if world_size > 1 => return Err(launch_err("MASTER_ADDR and MASTER_PORT must be set".into())),
            _ => None,
        };
        Ok(LaunchEnv { rank, world_size, local_rank: local, master })
    }
}

fn launch_err(msg: String) -> NnError {
    NnError::Config { layer: "distributed launch", msg }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-rank world seen from rank 0: the other rank's buffer is known in advance.
    struct TwoRanks {
        other: Tensor,
    }
    impl Communicator for TwoRanks {
        fn rank(&self) -> usize {
            0
        }
        fn world_size(&self) -> usize {
            2
        }
        fn all_reduce_sum_(&self, buf: &mut Tensor) -> Result<()> {
            Ok(buf.axpy_(1.0, &self.other)?)
        }
    }

    fn grads() -> BTreeMap<String, Tensor> {
        let mut g = BTreeMap::new();
        g.insert("a.weight".to_string(), Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
        g.insert("a.bias".to_string(), Tensor::from_vec(vec![10.0, 20.0], &[2]).unwrap());
        g
    }

    #[test]
    fn a_world_of_one_leaves_gradients_alone() {
        let mut g = grads();
        mean_grads_(&Local, &mut g).unwrap();
        for (name, t) in grads() {
            assert_eq!(g[&name].to_vec(), t.to_vec(), "{name}");
        }
    }

    #[test]
    fn two_ranks_average_every_named_gradient() {
        // flat order is by name: a.bias (2) then a.weight (4)
        let other = Tensor::from_vec(vec![30.0, 40.0, 5.0, 6.0, 7.0, 8.0], &[6]).unwrap();
        let mut g = grads();
        mean_grads_(&TwoRanks { other }, &mut g).unwrap();
        assert_eq!(g["a.bias"].to_vec(), vec![20.0, 30.0]);
        assert_eq!(g["a.weight"].to_vec(), vec![3.0, 4.0, 5.0, 6.0]);
        assert_eq!(g["a.weight"].shape(), &[2, 2]);
    }

    #[test]
    fn launch_variables_of_torchrun_and_slurm() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(LaunchEnv::from_vars(env(&[])).unwrap().world_size, 1);
        let t = LaunchEnv::from_vars(env(&[
            ("RANK", "3"),
            ("WORLD_SIZE", "8"),
            ("LOCAL_RANK", "1"),
            ("MASTER_ADDR", "node0"),
            ("MASTER_PORT", "29500"),
        ]))
        .unwrap();
        assert_eq!((t.rank, t.world_size, t.local_rank), (3, 8, 1));
        assert_eq!(t.master, Some(("node0".to_string(), 29500)));
        let s = LaunchEnv::from_vars(env(&[
            ("SLURM_PROCID", "1"),
            ("SLURM_NTASKS", "2"),
            ("MASTER_ADDR", "n"),
            ("MASTER_PORT", "1"),
        ]));
        assert_eq!(s.unwrap().rank, 1);
        let err = |pairs| LaunchEnv::from_vars(env(pairs)).unwrap_err().to_string();
        assert!(err(&[("RANK", "0")]).contains("RANK and WORLD_SIZE"));
        assert!(err(&[("RANK", "4"), ("WORLD_SIZE", "2")]).contains("does not fit"));
        assert!(err(&[("RANK", "0"), ("WORLD_SIZE", "2")]).contains("MASTER_ADDR"));
        assert!(err(&[("RANK", "x"), ("WORLD_SIZE", "2")]).contains("not a number"));
    }
}
