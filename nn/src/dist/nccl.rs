//! The NCCL communicator (feature `dist`): one process per GPU, gradients summed on the GPUs
//! by `ncclAllReduce` through `cudarc::nccl`.
//!
//! Rendezvous: rank 0 makes the NCCL unique id (128 bytes) and hands it to every other rank
//! over TCP at `MASTER_ADDR`, port `COOPNETS_RDZV_PORT` (default `MASTER_PORT + 1`, since
//! torchrun's agent holds `MASTER_PORT` itself); then every rank joins the communicator, and
//! NCCL opens its own connections. A world of one needs no socket.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cudarc::nccl::safe::{Comm, Id, ReduceOp};
use tensor::{Device, Tensor};

use super::{launch_err, Communicator, LaunchEnv};
use crate::error::Result;

/// Ranks that are not up yet are waited for this long.
const RENDEZVOUS_TIMEOUT: Duration = Duration::from_secs(300);

/// A group of GPUs, one per process, that sum buffers with NCCL.
pub struct Nccl {
    comm: Mutex<Comm>,
    rank: usize,
    world_size: usize,
}

// SAFETY: the communicator is only used behind the mutex, one call at a time, and NCCL
// communicators may be used from any host thread.
unsafe impl Send for Nccl {}
unsafe impl Sync for Nccl {}

impl Nccl {
    /// Join the launch `env` with the GPU `device` (every collective runs on its stream).
    pub fn new(env: &LaunchEnv, device: &Device) -> Result<Nccl> {
        let Device::Cuda(dev) = device else {
            return Err(launch_err(format!("NCCL needs a CUDA device, not {device}")));
        };
        let id = if env.world_size == 1 || env.rank == 0 { new_id()? } else { receive_id(env)? };
        if env.rank == 0 && env.world_size > 1 {
            send_id(env, &id)?;
        }
        let comm = Comm::from_rank(dev.stream().clone(), env.rank, env.world_size, id)
            .map_err(|e| launch_err(format!("NCCL: joining as rank {} of {}: {e:?}", env.rank, env.world_size)))?;
        Ok(Nccl { comm: Mutex::new(comm), rank: env.rank, world_size: env.world_size })
    }
}

impl Communicator for Nccl {
    fn rank(&self) -> usize {
        self.rank
    }
    fn world_size(&self) -> usize {
        self.world_size
    }
    fn all_reduce_sum_(&self, buf: &mut Tensor) -> Result<()> {
        let comm = self.comm.lock().unwrap_or_else(|p| p.into_inner());
        let mut slice = buf.cuda_slice_mut().map_err(|e| launch_err(format!("NCCL all-reduce: {e}")))?;
        comm.all_reduce_in_place(&mut slice, &ReduceOp::Sum)
            .map_err(|e| launch_err(format!("NCCL all-reduce of {} floats: {e:?}", buf_len(&slice))))?;
        Ok(())
    }
}

fn buf_len(s: &cudarc::driver::CudaViewMut<'_, f32>) -> usize {
    s.len()
}

fn new_id() -> Result<Id> {
    if !unsafe { cudarc::nccl::sys::is_culib_present() } {
        return Err(launch_err(
            "NCCL: libnccl.so.2 not found (set LD_LIBRARY_PATH to the folder that holds it)".into(),
        ));
    }
    Id::new().map_err(|e| launch_err(format!("NCCL: making the unique id: {e:?}")))
}

fn rendezvous(env: &LaunchEnv) -> Result<(String, u16)> {
    let (addr, port) =
        env.master.clone().ok_or_else(|| launch_err("MASTER_ADDR and MASTER_PORT must be set".into()))?;
    let port = match std::env::var("COOPNETS_RDZV_PORT") {
        Ok(p) => p.parse().map_err(|_| launch_err(format!("COOPNETS_RDZV_PORT = {p:?} is not a port")))?,
        Err(_) => port.checked_add(1).ok_or_else(|| launch_err("MASTER_PORT + 1 is not a port".into()))?,
    };
    Ok((addr, port))
}

/// Rank 0: accept the other ranks and send each the id's 128 bytes.
fn send_id(env: &LaunchEnv, id: &Id) -> Result<()> {
    let (_, port) = rendezvous(env)?;
    let io = |e: std::io::Error| launch_err(format!("rendezvous on port {port}: {e}"));
    let listener = TcpListener::bind(("0.0.0.0", port)).map_err(io)?;
    let bytes: Vec<u8> = id.internal().iter().map(|&c| c as u8).collect();
    for _ in 1..env.world_size {
        let (mut peer, _) = listener.accept().map_err(io)?;
        peer.write_all(&bytes).map_err(io)?;
    }
    Ok(())
}

/// Other ranks: connect to rank 0 (retrying while it starts) and read the id.
fn receive_id(env: &LaunchEnv) -> Result<Id> {
    let (addr, port) = rendezvous(env)?;
    let start = Instant::now();
    let mut stream = loop {
        match TcpStream::connect((addr.as_str(), port)) {
            Ok(s) => break s,
            Err(e) if start.elapsed() > RENDEZVOUS_TIMEOUT => {
                return Err(launch_err(format!("rendezvous with rank 0 at {addr}:{port}: {e}")))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    let mut bytes = [0u8; 128];
    stream.read_exact(&mut bytes).map_err(|e| launch_err(format!("rendezvous with rank 0: {e}")))?;
    Ok(Id::uninit(bytes.map(|b| b as std::ffi::c_char)))
}
