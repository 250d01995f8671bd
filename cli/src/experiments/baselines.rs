//! Three inpainting baselines that use no learned model, to read the generator's recovery
//! errors against. Each fills the missing pixels (mask 0) of every image plane from its
//! visible pixels (mask 1) and leaves the visible ones as they are.
//!
//! * **mean fill**: the mean of the plane's visible pixels;
//! * **nearest**: the value of the nearest visible pixel (Euclidean distance; ties go to the
//!   first in row-major order);
//! * **harmonic**: the solution of Laplace's equation Δu = 0 on the missing pixels with the
//!   visible ones as boundary values (zero normal derivative at the image border), solved by
//!   Gauss–Seidel with over-relaxation until the largest change is below 1e-5.

use anyhow::{bail, Result};
use tensor::Tensor;

/// Apply `fill` to every `H×W` plane of `x` (`[N, C, H, W]`) with its plane of `mask`.
fn per_plane(x: &Tensor, mask: &Tensor, fill: impl Fn(&mut [f32], &[f32], usize, usize)) -> Result<Tensor> {
    let &[_, _, h, w] = x.shape() else { bail!("inpainting needs [N, C, H, W], got {:?}", x.shape()) };
    if mask.shape() != x.shape() {
        bail!("mask shape {:?} is not the image shape {:?}", mask.shape(), x.shape());
    }
    let (mut v, m) = (x.to_vec(), mask.to_vec());
    for (plane, mplane) in v.chunks_mut(h * w).zip(m.chunks(h * w)) {
        if mplane.iter().all(|&k| k == 0.0) {
            bail!("a mask hides every pixel of an image: nothing to fill from");
        }
        fill(plane, mplane, h, w);
    }
    Ok(Tensor::from_vec(v, x.shape())?)
}

/// Missing pixels set to the mean of the visible ones.
pub fn mean_fill(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    per_plane(x, mask, |p, m, _, _| {
        let (s, n) = p
            .iter()
            .zip(m)
            .filter(|(_, &k)| k != 0.0)
            .fold((0.0f64, 0.0f64), |(s, n), (&v, _)| (s + f64::from(v), n + 1.0));
        let mean = (s / n) as f32;
        p.iter_mut().zip(m).filter(|(_, &k)| k == 0.0).for_each(|(v, _)| *v = mean);
    })
}

/// Missing pixels set to the value of the nearest visible pixel.
pub fn nearest(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    per_plane(x, mask, |p, m, _, w| {
        let visible: Vec<(usize, f32)> =
            m.iter().enumerate().filter(|(_, &k)| k != 0.0).map(|(i, _)| (i, p[i])).collect();
        for i in (0..p.len()).filter(|&i| m[i] == 0.0) {
            let (r, c) = ((i / w) as i64, (i % w) as i64);
            let d2 = |j: usize| ((j / w) as i64 - r).pow(2) + ((j % w) as i64 - c).pow(2);
            p[i] = visible.iter().min_by_key(|(j, _)| d2(*j)).map_or(0.0, |v| v.1);
        }
    })
}

/// Missing pixels from Laplace's equation with the visible pixels as boundary values.
pub fn harmonic(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let init = mean_fill(x, mask)?;
    per_plane(&init, mask, |p, m, h, w| {
        let missing: Vec<usize> = (0..p.len()).filter(|&i| m[i] == 0.0).collect();
        for _ in 0..20_000 {
            let mut change = 0.0f32;
            for &i in &missing {
                let (r, c) = (i / w, i % w);
                let nb =
                    [(r > 0, i.wrapping_sub(w)), (r + 1 < h, i + w), (c > 0, i.wrapping_sub(1)), (c + 1 < w, i + 1)];
                let (sum, n) = nb.iter().filter(|(ok, _)| *ok).fold((0.0, 0.0), |(s, n), &(_, j)| (s + p[j], n + 1.0));
                let avg = sum / n;
                let new = p[i] + 1.8 * (avg - p[i]); // successive over-relaxation, ω = 1.8
                change = change.max((new - p[i]).abs());
                p[i] = new;
            }
            if change < 1e-5 {
                break;
            }
        }
    })
}
