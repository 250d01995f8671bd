//! The NCCL communicator in a world of one process (feature `dist`): joining needs no
//! rendezvous, and the all-reduce of one rank returns its own buffer, bit for bit. Skipped,
//! with the reason printed, without a GPU or without libnccl.
#![cfg(feature = "dist")]

use std::collections::BTreeMap;

use nn::dist::{mean_grads_, Communicator, LaunchEnv, Nccl};
use tensor::{Device, Tensor};

fn gpu() -> Option<Device> {
    match Device::parse("cuda:0") {
        Ok(d) => Some(d),
        Err(e) => {
            println!("skipped: no CUDA device: {e}");
            None
        }
    }
}

#[test]
fn a_world_of_one_all_reduces_to_itself() {
    let Some(dev) = gpu() else { return };
    let env = LaunchEnv { rank: 0, world_size: 1, local_rank: 0, master: None };
    let comm = match Nccl::new(&env, &dev) {
        Ok(c) => c,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    assert_eq!((comm.rank(), comm.world_size()), (0, 1));
    let values: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5 - 3.0).collect();
    let mut buf = Tensor::from_vec_on(values.clone(), &[1000], &dev).unwrap();
    comm.all_reduce_sum_(&mut buf).unwrap();
    assert_eq!(buf.to_vec(), values);
    // the gradient hook: one rank's mean is its own gradient
    let mut grads = BTreeMap::new();
    grads.insert("w".to_string(), Tensor::from_vec_on(values[..6].to_vec(), &[2, 3], &dev).unwrap());
    mean_grads_(&comm, &mut grads).unwrap();
    assert_eq!(grads["w"].to_vec(), values[..6].to_vec());
}
