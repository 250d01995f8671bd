//! Measuring a learned generator on examples it may not have seen: infer Z with the weights
//! fixed, then compare g(Z) with the examples.
//!
//! Protocol (the same for training, held-out and negative examples, so their errors compare):
//! Z starts at 0; `steps` Langevin steps as in learning (noise on), then `steps` noise-free
//! steps (gradient ascent to the posterior mode), all from the random stream `stream`.
//! Recovery of training images starts instead from their persistent latents ([`infer_from`]).

use anyhow::Result;
use models::generator::Generator;
use sampler::Langevin;
use tensor::{rng_for, Tensor};

/// Z inferred for `y` (only pixels where `mask` is 1 count), and g(Z).
pub fn infer(
    g: &Generator,
    y: &Tensor,
    mask: Option<&Tensor>,
    langevin: &Langevin,
    seed: u64,
    stream: u64,
) -> Result<(Tensor, Tensor)> {
    let z = Tensor::zeros_on(&g.latent_shape(y.shape()[0]), &g.device())?;
    infer_from(g, y, mask, z, langevin, seed, stream)
}

/// [`infer`] starting from `z` instead of 0 (e.g. the persistent latents of training examples).
pub fn infer_from(
    g: &Generator,
    y: &Tensor,
    mask: Option<&Tensor>,
    mut z: Tensor,
    langevin: &Langevin,
    seed: u64,
    stream: u64,
) -> Result<(Tensor, Tensor)> {
    let mut rng = rng_for(seed, stream);
    g.infer(y, mask, &mut z, langevin, &mut rng)?;
    g.infer(y, mask, &mut z, &langevin.clone().noise(false), &mut rng)?;
    let recon = g.generate_tensor(&z)?;
    Ok((z, recon))
}

/// Mean squared error per pixel between `a` and `b`, over the pixels where `mask` is 1 (all
/// pixels without a mask).
pub fn mse(a: &Tensor, b: &Tensor, mask: Option<&Tensor>) -> Result<f32> {
    let d = a.sub(b)?.square();
    Ok(match mask {
        None => d.mean_all().to_scalar()?,
        Some(m) => d.mul(m)?.sum_all().to_scalar()? / m.sum_all().to_scalar()?.max(1.0),
    })
}

/// Mean absolute error over the pixels where `weight` is 1.
pub fn mae(a: &Tensor, b: &Tensor, weight: &Tensor) -> Result<f32> {
    Ok(a.sub(b)?.abs().mul(weight)?.sum_all().to_scalar()? / weight.sum_all().to_scalar()?.max(1.0))
}

/// Interleave the rows of `a` and `b` (`[n, …]` each) as `[a₀…a₇, b₀…b₇, a₈…]` blocks of
/// `cols`: a picture grid whose rows alternate between the two.
pub fn interleave_rows(a: &Tensor, b: &Tensor, cols: usize) -> Result<Tensor> {
    let n = a.shape()[0].min(b.shape()[0]);
    let mut rows = Vec::new();
    for start in (0..n).step_by(cols) {
        let len = cols.min(n - start);
        rows.push(a.narrow(0, start, len)?);
        rows.push(b.narrow(0, start, len)?);
    }
    Ok(Tensor::cat(&rows.iter().collect::<Vec<_>>(), 0)?)
}

/// `pairs` lines of `steps` latents each, from z[2p] to z[2p + 1].
pub fn line_latents(z: &Tensor, pairs: usize, steps: usize) -> Result<Tensor> {
    let mut rows = Vec::new();
    for p in 0..pairs.min(z.shape()[0] / 2) {
        let (a, b) = (z.get(2 * p)?, z.get(2 * p + 1)?);
        for s in 0..steps {
            let t = s as f32 / (steps - 1) as f32;
            rows.push(a.mul_scalar(1.0 - t).add(&b.mul_scalar(t))?);
        }
    }
    Ok(Tensor::stack(&rows.iter().collect::<Vec<_>>(), 0)?)
}
