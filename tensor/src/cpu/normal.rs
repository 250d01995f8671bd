//! Standard normal numbers for the Langevin noise: the same numbers as
//! `rng.sample(StandardNormal)` one at a time, drawn faster.
//!
//! The random generator reaches the tensor as `&mut dyn RngCore`, so each of the ziggurat's
//! 64-bit words was a call through a vtable, and the ziggurat itself could not be inlined
//! around it (1.6% of a 16-chain texture iteration). Here the words are fetched in blocks
//! with one `fill_bytes` call and handed out from a buffer, and the ziggurat runs on the
//! buffer's concrete type. The blocks never run ahead of the words the draws consume: each
//! normal number takes at least one word, so with `n` numbers still to draw at least `n`
//! words are still to be taken, and a block is never longer than that. The generator is
//! left exactly where the one-at-a-time draws leave it (tested).

use rand::{Rng, RngCore};
use rand_distr::StandardNormal;

/// Words per block (2 KiB).
const BLOCK: usize = 256;

/// The next words of `rng`, fetched a block at a time.
struct Words<'a> {
    rng: &'a mut dyn RngCore,
    buf: [u64; BLOCK],
    at: usize,
    len: usize,
    /// Words certainly still to be taken (the numbers still to draw, this one included).
    due: usize,
}

impl Words<'_> {
    fn refill(&mut self) {
        let len = self.due.clamp(1, BLOCK);
        let mut bytes = [0u8; 8 * BLOCK];
        self.rng.fill_bytes(&mut bytes[..8 * len]);
        for (w, b) in self.buf.iter_mut().zip(bytes.chunks_exact(8)).take(len) {
            *w = u64::from_le_bytes(b.try_into().expect("8 bytes"));
        }
        (self.at, self.len) = (0, len);
    }
}

impl RngCore for Words<'_> {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        if self.at == self.len {
            self.refill();
        }
        self.at += 1;
        self.buf[self.at - 1]
    }
    /// Not used by the ziggurat (which takes whole words); a word's low half.
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    /// Not used by the ziggurat; whole words, little-endian.
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
        }
    }
}

/// `each(i, z_i)` for i = 0 … n − 1, where z_i are the standard normal numbers that `n` calls
/// of `rng.sample::<f32, _>(StandardNormal)` would draw, in order; `rng` ends where those calls
/// would leave it.
pub fn standard_normals(rng: &mut dyn RngCore, n: usize, mut each: impl FnMut(usize, f32)) {
    let mut words = Words { rng, buf: [0; BLOCK], at: 0, len: 0, due: 0 };
    for i in 0..n {
        words.due = n - i;
        each(i, words.sample(StandardNormal));
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn the_same_numbers_as_one_at_a_time_and_the_generator_left_where_they_leave_it() {
        // lengths around the block size and the generator's own 64-word blocks
        for (seed, n) in [(1, 0), (2, 1), (3, 255), (4, 256), (5, 257), (6, 10_000), (7, 100_003)] {
            let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(seed), ChaCha8Rng::seed_from_u64(seed));
            let want: Vec<f32> = (0..n).map(|_| a.sample(StandardNormal)).collect();
            let mut got = vec![0.0f32; n];
            standard_normals(&mut b, n, |i, z| got[i] = z);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "n = {n}");
            // the generator continues from the same word (also after an odd number of u32s)
            assert_eq!(a.next_u64(), b.next_u64(), "n = {n}: the next word");
            assert_eq!(a.next_u32(), b.next_u32(), "n = {n}: the next half word");
            let mut again = vec![0.0f32; 3];
            standard_normals(&mut b, 3, |i, z| again[i] = z);
            let want: Vec<f32> = (0..3).map(|_| a.sample(StandardNormal)).collect();
            assert_eq!(bits(&again), bits(&want), "n = {n}: three more from a misaligned start");
            assert_eq!(a.next_u64(), b.next_u64(), "n = {n}: after a misaligned start");
        }
    }
}
