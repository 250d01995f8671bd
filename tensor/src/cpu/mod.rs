//! CPU backend: plain loops over contiguous `f32` slices, parallel with rayon, GEMM from
//! `matrixmultiply` (single-threaded calls inside rayon loops).
//!
//! Every parallel reduction here splits its work into a fixed number of parts (not one per
//! thread) and adds them in a fixed order, and every other parallel loop writes disjoint
//! outputs, so results are bit-identical from run to run and on any number of threads
//! (resumed training depends on it).

pub mod channel;
pub mod conv;
mod conv_batched;
mod conv_classes;
mod conv_classes_images;
mod conv_classes_weight;
mod conv_direct;
mod conv_direct_grid;
mod conv_direct_panels;
mod conv_direct_run;
mod conv_direct_weight;
mod conv_filter;
pub mod copy;
pub mod elementwise;
mod gemm;
#[cfg(target_arch = "x86_64")]
mod gemm_avx2;
mod kept;
pub mod matmul;
mod normal;
pub mod reduce;
mod storage;
mod tap_classes;
mod tile;
#[cfg(target_arch = "x86_64")]
mod tile_avx2;
mod tile_taps;
mod unfold;

pub use storage::CpuStorage;

/// Below this many elements an elementwise loop runs on one thread.
pub const PAR_MIN: usize = 1 << 15;

/// A raw pointer that rayon tasks may share; each task writes a disjoint part.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub *mut f32);
// SAFETY: used only to hand disjoint output regions to parallel tasks (documented at each use).
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    /// The pointer. A method (not `.0`) so that closures capture the whole `Send` wrapper.
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

/// Range of part `i` of `n` parts over `items`.
pub(crate) fn part_range(items: usize, n: usize, i: usize) -> std::ops::Range<usize> {
    let (q, r) = (items / n, items % n);
    let start = i * q + i.min(r);
    start..start + q + usize::from(i < r)
}
