//! Per-channel sums and affine maps over contiguous `[n, c, s]` buffers (see
//! `ops/channel.rs`). Channels run in parallel; each channel's sum runs in one fixed order in
//! f64, so the result does not depend on the number of threads.

use rayon::prelude::*;

/// `[Σ a, Σ a·(b − shift)]` per channel, `[2, c]`.
pub fn channel_sums(a: &[f32], b: &[f32], shift: &[f32], (n, c, s): (usize, usize, usize)) -> Vec<f32> {
    let sums: Vec<(f64, f64)> = (0..c)
        .into_par_iter()
        .map(|k| {
            let sh = f64::from(shift[k]);
            let (mut sa, mut sab) = (0.0f64, 0.0f64);
            for i in 0..n {
                let o = (i * c + k) * s;
                for (&av, &bv) in a[o..o + s].iter().zip(&b[o..o + s]) {
                    let av = f64::from(av);
                    sa += av;
                    sab += av * (f64::from(bv) - sh);
                }
            }
            (sa, sab)
        })
        .collect();
    sums.iter().map(|p| p.0 as f32).chain(sums.iter().map(|p| p.1 as f32)).collect()
}

/// `p[k]·x + q[k]·y + r[k]` on channel `k`, with `coef` = rows p, q, r.
pub fn channel_affine(x: &[f32], y: &[f32], coef: &[f32], (_n, c, s): (usize, usize, usize)) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    out.par_chunks_mut(s.max(1)).enumerate().for_each(|(row, o)| {
        let k = row % c;
        let (p, q, r) = (coef[k], coef[c + k], coef[2 * c + k]);
        let at = row * s;
        for ((o, &xv), &yv) in o.iter_mut().zip(&x[at..at + s]).zip(&y[at..at + s]) {
            *o = p * xv + q * yv + r;
        }
    });
    out
}
