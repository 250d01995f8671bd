//! One-channel 1-d filters (one channel in, one out, stride 1): a long FIR filter such as the
//! sound generator's last layer (255 taps over 6000 samples), run as **sliding dot products**.
//!
//! im2col would unfold every sample 255 times (a 6000 × 255 matrix per signal, 6 MB) for a
//! product with a single row: memory-bound, about 7 GFLOP/s. All three passes of such a filter
//! are instead one kernel,
//!
//! ```text
//! out[j] = Σ_{t < T} a[t] · b[t + j]          (j < J)
//! ```
//!
//! with `b` a zero-padded copy of one signal (L = signal length, K = taps, O = L + 2·pad − K + 1):
//!
//! | pass | a (T) | b | J |
//! |---|---|---|---|
//! | forward `y[o] = Σ_k w[k]·x[o + k − pad]` | w (K) | x padded by pad before | O |
//! | input gradient `dx[i] = Σ_k w[k]·dy[i + pad − k]` | w reversed (K) | dy padded by K − 1 − pad | L |
//! | weight gradient `dw[k] = Σ_o dy[o]·x[o + k − pad]` | dy (O) | x padded by pad before | K |
//!
//! The kernel ([`slide`]) keeps 64 consecutive outputs in 8 registers; each step broadcasts
//! one `a[t]` and loads 64 floats of `b` from `t + j`, 8 fused multiply-adds on 8 loads
//! (two load ports keep the two FMA units busy; the window of `b` stays in L1). Each output
//! is one chain of FMAs in the order of t, the same whatever the thread count: tasks own
//! whole outputs (forward, input gradient: one signal's block of 64 outputs; weight gradient:
//! a block of 64 taps, summed over the signals in their order).

use rayon::prelude::*;

use super::conv::{with_scratch, ConvGeom};
use super::SendPtr;

/// Outputs per block of the kernel: 8 registers of 8 floats.
const BLOCK: usize = 64;

/// Whether this kernel takes `g`: one channel in and out, 1-d, stride 1, padding below the
/// kernel length, on a CPU with AVX2 and FMA.
fn takes(g: &ConvGeom) -> bool {
    let one_d = g.input[..2] == [1, 1] && g.kernel[..2] == [1, 1] && g.output[..2] == [1, 1];
    let fits = g.pad[2] < g.kernel[2] && g.output[2] + g.kernel[2] == g.input[2] + 2 * g.pad[2] + 1;
    g.c_in == 1 && g.c_out == 1 && one_d && g.stride[2] == 1 && fits && g.n > 0 && fast()
}

fn fast() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        super::tile::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `y = w ⋆ x (+ b)` when this kernel takes `g`. x: N × L, w: K.
pub fn forward(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Option<Vec<f32>> {
    if !takes(g) {
        return None;
    }
    let (l, o) = (g.input[2], g.output[2]);
    let mut y = per_signal(g.n, o, |n, out, j0| slide_padded(w, &x[n * l..(n + 1) * l], g.pad[2], out, j0));
    if let Some(&b) = bias.and_then(|b| b.first()) {
        y.iter_mut().for_each(|v| *v += b);
    }
    Some(y)
}

/// `dx = wᵀ ⋆ dy` (the input gradient of [`forward`], and the transposed filter's forward)
/// when this kernel takes `g`. dy: N × O, w: K.
pub fn backward_data(g: &ConvGeom, dy: &[f32], w: &[f32]) -> Option<Vec<f32>> {
    if !takes(g) {
        return None;
    }
    let (l, o, k) = (g.input[2], g.output[2], g.kernel[2]);
    let flipped: Vec<f32> = w.iter().rev().copied().collect();
    let before = k - 1 - g.pad[2];
    Some(per_signal(g.n, l, |n, out, j0| slide_padded(&flipped, &dy[n * o..(n + 1) * o], before, out, j0)))
}

/// `dw[k] = Σ_n Σ_o dy[n, o]·x[n, o + k − pad]` when this kernel takes `g`.
pub fn backward_weight(g: &ConvGeom, x: &[f32], dy: &[f32]) -> Option<Vec<f32>> {
    if !takes(g) {
        return None;
    }
    let (l, o, k) = (g.input[2], g.output[2], g.kernel[2]);
    let mut dw = vec![0.0f32; k];
    dw.par_chunks_mut(BLOCK).enumerate().for_each(|(i, out)| {
        let mut part = vec![0.0f32; out.len()];
        for n in 0..g.n {
            slide_padded(&dy[n * o..(n + 1) * o], &x[n * l..(n + 1) * l], g.pad[2], &mut part, i * BLOCK);
            out.iter_mut().zip(&part).for_each(|(d, p)| *d += p);
        }
    });
    Some(dw)
}

/// An N × `len` output, each signal's blocks of [`BLOCK`] outputs computed as parallel tasks
/// by `block(n, out, j0)`.
fn per_signal(n: usize, len: usize, block: impl Fn(usize, &mut [f32], usize) + Sync) -> Vec<f32> {
    let mut y = vec![0.0f32; n * len];
    let blocks = len.div_ceil(BLOCK);
    let yp = SendPtr(y.as_mut_ptr());
    (0..n * blocks).into_par_iter().for_each(|t| {
        let (s, j0) = (t / blocks, (t % blocks) * BLOCK);
        let m = BLOCK.min(len - j0);
        // SAFETY: task t writes y[s, j0 .. j0 + m] only; tasks are disjoint.
        let out = unsafe { std::slice::from_raw_parts_mut(yp.get().add(s * len + j0), m) };
        block(s, out, j0);
    });
    y
}

/// `out[j] = Σ_t a[t]·b[t + j0 + j]` for `j < out.len()` (at most [`BLOCK`]), where `b` is
/// `signal` with `before` zeros in front and zeros past its end.
fn slide_padded(a: &[f32], signal: &[f32], before: usize, out: &mut [f32], j0: usize) {
    let len = a.len() + BLOCK;
    with_scratch(len, |b| {
        // b[i] = signal[j0 + i − before], zero outside the signal
        let start = (j0 as isize) - (before as isize);
        b.iter_mut().enumerate().for_each(|(i, v)| {
            let at = start + i as isize;
            *v = if at >= 0 { signal.get(at as usize).copied().unwrap_or(0.0) } else { 0.0 };
        });
        let mut block = [0.0f32; BLOCK];
        slide(a, b, &mut block);
        out.copy_from_slice(&block[..out.len()]);
    });
}

/// `out[j] = Σ_t a[t]·b[t + j]` for the 64 j of one block; `b` holds `a.len() + 64` floats.
/// Reached only through [`takes`], which has checked the CPU.
fn slide(a: &[f32], b: &[f32], out: &mut [f32; BLOCK]) {
    assert!(b.len() >= a.len() + BLOCK);
    // SAFETY: AVX2 and FMA are present (checked by `takes`); b holds a.len() + 64 floats.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        slide_avx2(a, b, out)
    };
    // elsewhere `takes` declines every call; this is the same sum, for the build
    #[cfg(not(target_arch = "x86_64"))]
    for (j, o) in out.iter_mut().enumerate() {
        *o = a.iter().zip(&b[j..]).fold(0.0f32, |acc, (&x, &y)| x.mul_add(y, acc));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn slide_avx2(a: &[f32], b: &[f32], out: &mut [f32; BLOCK]) {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_setzero_ps(); BLOCK / 8];
    let bp = b.as_ptr();
    for (t, &at) in a.iter().enumerate() {
        let s = _mm256_set1_ps(at);
        for (v, r) in acc.iter_mut().enumerate() {
            *r = _mm256_fmadd_ps(s, _mm256_loadu_ps(bp.add(t + 8 * v)), *r);
        }
    }
    for (v, r) in acc.iter().enumerate() {
        _mm256_storeu_ps(out.as_mut_ptr().add(8 * v), *r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(n: usize, l: usize, k: usize, pad: usize) -> ConvGeom {
        let o = l + 2 * pad + 1 - k;
        ConvGeom {
            n,
            c_in: 1,
            c_out: 1,
            input: [1, 1, l],
            kernel: [1, 1, k],
            output: [1, 1, o],
            stride: [1; 3],
            pad: [0, 0, pad],
        }
    }

    fn numbers(len: usize, seed: u32) -> Vec<f32> {
        (0..len).map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 1000) as f32 / 500.0 - 1.0).collect()
    }

    /// x[n, i] for i inside the signal, 0 outside.
    fn at(x: &[f32], l: usize, n: usize, i: isize) -> f64 {
        if (0..l as isize).contains(&i) {
            x[n * l + i as usize] as f64
        } else {
            0.0
        }
    }

    fn close(got: &[f32], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!((g as f64 - w).abs() <= 1e-4 * (1.0 + w.abs()), "{what}[{i}]: {g} against {w}");
        }
    }

    /// All three passes against the loops of their definitions, on lengths that are not
    /// multiples of the block, with no, half and nearly full padding, and a tail of taps
    /// longer than a block.
    #[test]
    fn the_three_passes_are_their_definitions() {
        if !fast() {
            eprintln!("skipped: this CPU has no AVX2 + FMA, the filter kernel declines every call");
            return;
        }
        for &(n, l, k, pad) in &[(3, 200, 31, 15), (2, 130, 255, 127), (1, 70, 9, 0), (2, 100, 17, 16), (1, 5, 3, 1)] {
            let g = geom(n, l, k, pad);
            let o = g.output[2];
            let (x, w, dy) = (numbers(n * l, 1), numbers(k, 2), numbers(n * o, 3));
            let ip = pad as isize;
            let want_y: Vec<f64> = (0..n * o)
                .map(|i| {
                    (0..k).map(|t| w[t] as f64 * at(&x, l, i / o, (i % o) as isize + t as isize - ip)).sum::<f64>()
                        + 0.5
                })
                .collect();
            close(&forward(&g, &x, &w, Some(&[0.5])).unwrap(), &want_y, "forward");
            let want_dx: Vec<f64> = (0..n * l)
                .map(|i| (0..k).map(|t| w[t] as f64 * at(&dy, o, i / l, (i % l) as isize + ip - t as isize)).sum())
                .collect();
            close(&backward_data(&g, &dy, &w).unwrap(), &want_dx, "input gradient");
            let want_dw: Vec<f64> = (0..k)
                .map(|t| {
                    let per = |s: usize| {
                        (0..o).map(|j| dy[s * o + j] as f64 * at(&x, l, s, (j + t) as isize - ip)).sum::<f64>()
                    };
                    (0..n).map(per).sum()
                })
                .collect();
            close(&backward_weight(&g, &x, &dy).unwrap(), &want_dw, "weight gradient");
        }
    }

    /// Other geometries are left to the general kernels.
    #[test]
    fn it_declines_what_it_does_not_compute() {
        let mut g = geom(1, 100, 9, 4);
        g.c_out = 2;
        assert!(forward(&g, &[0.0; 100], &[0.0; 18], None).is_none());
        let mut g = geom(1, 100, 9, 4);
        g.stride[2] = 2;
        g.output[2] = 50;
        assert!(backward_data(&g, &[0.0; 50], &[0.0; 9]).is_none());
        let g = geom(1, 100, 9, 9);
        assert!(backward_weight(&g, &[0.0; 100], &[0.0; 110]).is_none(), "padding of the whole kernel");
    }

    /// Each output's bits do not depend on the number of threads.
    #[test]
    fn the_bits_do_not_depend_on_the_threads() {
        let g = geom(3, 500, 255, 127);
        let (x, w, dy) = (numbers(1500, 4), numbers(255, 5), numbers(1500, 6));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| (forward(&g, &x, &w, None), backward_data(&g, &dy, &w), backward_weight(&g, &x, &dy)))
        };
        let one = run(1);
        assert!(one.0.is_some() || !fast(), "the kernel takes a one-channel filter");
        assert_eq!(one, run(3));
    }
}
