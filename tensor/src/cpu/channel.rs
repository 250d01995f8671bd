//! Per-channel sums and affine maps over contiguous `[n, c, s]` buffers (see
//! `ops/channel.rs`). Channels run in parallel; each channel's sum runs in one fixed order in
//! f64 (eight interleaved partial sums, so that it vectorises), so the result does not depend
//! on the number of threads.

use rayon::prelude::*;

/// Partial sums per channel sum: one per f64 lane of an AVX-512 register.
const LANES: usize = 8;

/// `[Σ a, Σ a'·(b − sh)]` per channel, `[2, c]`, `sh = shift[k]·scale` for `shift =
/// Some((shift, scale))` (else 0), `a' = a − sh` if `center`, else `a`.
pub fn channel_sums(
    a: &[f32],
    b: &[f32],
    shift: Option<(&[f32], f32)>,
    center: bool,
    (n, c, s): (usize, usize, usize),
) -> Vec<f32> {
    let sums: Vec<(f64, f64)> = (0..c)
        .into_par_iter()
        .map(|k| {
            let sh = shift.map_or(0.0, |(t, scale)| f64::from(t[k] * scale));
            let sh_a = if center { sh } else { 0.0 };
            // eight running sums per quantity (one per lane of a vector), added up at the end
            let (mut sa, mut sab) = ([0.0f64; LANES], [0.0f64; LANES]);
            let mut add = |lane: usize, av: f32, bv: f32| {
                let av = f64::from(av);
                sa[lane] += av;
                sab[lane] += (av - sh_a) * (f64::from(bv) - sh);
            };
            for i in 0..n {
                let o = (i * c + k) * s;
                let (ar, br) = (&a[o..o + s], &b[o..o + s]);
                let (ac, bc) = (ar.chunks_exact(LANES), br.chunks_exact(LANES));
                let (at, bt) = (ac.remainder(), bc.remainder());
                for (av, bv) in ac.zip(bc) {
                    (0..LANES).for_each(|l| add(l, av[l], bv[l]));
                }
                at.iter().zip(bt).enumerate().for_each(|(l, (&av, &bv))| add(l, av, bv));
            }
            (sa.iter().sum::<f64>(), sab.iter().sum::<f64>())
        })
        .collect();
    sums.iter().map(|p| p.0 as f32).chain(sums.iter().map(|p| p.1 as f32)).collect()
}

/// `p[k]·x + q[k]·y + r[k]` on channel `k`, with `coef`'s first rows p, q, r.
pub fn channel_affine(x: &[f32], y: &[f32], coef: &[f32], (_n, c, s): (usize, usize, usize)) -> Vec<f32> {
    // written into the uninitialised buffer: no memset pass before this one
    let mut out = Vec::with_capacity(x.len());
    out.spare_capacity_mut()[..x.len()].par_chunks_mut(s.max(1)).enumerate().for_each(|(row, o)| {
        let k = row % c;
        let (p, q, r) = (coef[k], coef[c + k], coef[2 * c + k]);
        let at = row * s;
        for ((o, &xv), &yv) in o.iter_mut().zip(&x[at..at + s]).zip(&y[at..at + s]) {
            o.write(p * xv + q * yv + r);
        }
    });
    // SAFETY: the chunks cover all x.len() elements, and each element was written above.
    unsafe { out.set_len(x.len()) };
    out
}

/// See [`crate::backend::BackendStorage::batch_norm_coefficients`]: one loop over channels.
pub fn batch_norm_coefficients(sums: &[f32], gamma: &[f32], beta: &[f32], c: usize, m: f32, eps: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; 6 * c];
    let inv_m = 1.0 / m;
    for k in 0..c {
        let mean = sums[k] * inv_m;
        let var = sums[c + k] * inv_m;
        let s = 1.0 / (var + eps).sqrt();
        let p = gamma[k] * s;
        for (row, v) in [p, 0.0, beta[k] - p * mean, mean, var, s].into_iter().enumerate() {
            out[row * c + k] = v;
        }
    }
    out
}

/// See [`crate::backend::BackendStorage::batch_norm_grad_coefficients`].
pub fn batch_norm_grad_coefficients(sums: &[f32], fwd: &[f32], c: usize, m: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; 5 * c];
    let inv_m = 1.0 / m;
    for k in 0..c {
        let (p, mean, s) = (fwd[k], fwd[3 * c + k], fwd[5 * c + k]);
        let (dgamma, dbeta) = (sums[c + k] * s, sums[k]);
        let q = p * s * dgamma * -inv_m;
        let r = p * dbeta * -inv_m - q * mean;
        for (row, v) in [p, q, r, dgamma, dbeta].into_iter().enumerate() {
            out[row * c + k] = v;
        }
    }
    out
}
