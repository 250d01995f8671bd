//! The fuzz targets' shared parts (included by path from `datasets/tests/fuzz.rs` and
//! `nn/tests/fuzz_checkpoint.rs`): byte mutations, and an allocator that caps the heap.
//!
//! * **Mutations**: flipped bits, bytes set to 0x00 / 0xFF / random, 32-bit fields set to
//!   extreme sizes (most often in the first 64 bytes, where the formats keep their sizes),
//!   truncation, duplicated and inserted runs, emptied files.
//! * **Memory cap**: [`Capped`] refuses any allocation that would take the live heap above
//!   [`CAP`]; Rust then aborts the process, and the test fails.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::StdRng;
use rand::Rng;

/// The most live heap a fuzz test may hold.
pub const CAP: usize = 512 << 20;

/// The system allocator, refusing to go above [`CAP`].
pub struct Capped;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size() > CAP {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            return std::ptr::null_mut(); // the allocation error aborts the test
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// `original` changed by 1 to 4 random mutations.
pub fn mutate(original: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        mutate_once(&mut bytes, rng);
    }
    bytes
}

/// One random change to `b`.
pub fn mutate_once(b: &mut Vec<u8>, rng: &mut StdRng) {
    let n = b.len().max(1);
    // header fields most of the time: the first 64 bytes hold the sizes of every format here
    let at =
        |rng: &mut StdRng| if rng.random_bool(0.6) { rng.random_range(0..n.min(64)) } else { rng.random_range(0..n) };
    match rng.random_range(0..7) {
        0 if !b.is_empty() => {
            let i = at(rng);
            b[i] ^= 1 << rng.random_range(0..8);
        }
        1 if !b.is_empty() => {
            let i = at(rng);
            b[i] = [0x00, 0xFF, rng.random()][rng.random_range(0..3)];
        }
        2 if b.len() >= 4 => {
            let i = at(rng).min(b.len() - 4);
            let v: u32 = [u32::MAX, 0x7FFF_FFFF, 0x0100_0000, 0, 65_535][rng.random_range(0..5)];
            let bytes = if rng.random_bool(0.5) { v.to_be_bytes() } else { v.to_le_bytes() };
            b[i..i + 4].copy_from_slice(&bytes);
        }
        3 => b.truncate(rng.random_range(0..n)),
        4 if !b.is_empty() => {
            let (i, len) = (rng.random_range(0..b.len()), rng.random_range(1..64));
            let run: Vec<u8> = b[i..(i + len).min(b.len())].to_vec();
            let j = rng.random_range(0..=b.len());
            b.splice(j..j, run);
        }
        5 => {
            let j = rng.random_range(0..=b.len());
            let run: Vec<u8> = (0..rng.random_range(1..32)).map(|_| rng.random()).collect();
            b.splice(j..j, run);
        }
        _ => b.clear(),
    }
}
