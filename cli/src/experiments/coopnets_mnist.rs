//! `coopnets-mnist`: CoopNets with the TF `mnist` nets on the shipped MNIST digits, measured by
//! the Parzen-window log-likelihood of held-out digits ([`crate::parzen`]): 10 000 samples as
//! kernel centres, σ chosen on 1000 validation digits, the mean ± standard error on 1000 test
//! digits (both from the run's seeded 2000-digit hold-out). Three sets of centres: the
//! generator's proposals g(Z), their revisions Ỹ by the descriptor (T_d steps, as in
//! learning), and the training digits themselves (a reference to read the others against).
//! `metrics.json`: `parzen.{generator, descriptor, training_set}`, each `{mean, se, sigma}`.

use std::path::Path;

use anyhow::{Context, Result};
use models::CoopNetsLearner;
use tensor::{rng_for, Tensor};

use crate::config::RunConfig;
use crate::parzen;
use crate::train::Summary;

/// Kernel centres drawn from the model.
pub const CENTRES: usize = 10_000;
const PARZEN_STREAM: u64 = u64::MAX - 60_000;

pub fn run(cfg: &RunConfig, out: &Path, resume: bool) -> Result<Summary> {
    let (summary, obs, learner) = super::coopnets::train(cfg, out, resume)?;
    let held = obs.held_out.context("coopnets-mnist needs held-out digits (data.holdout)")?;
    let half = held.shape()[0] / 2;
    let unit = |x: &Tensor| unit(x, &cfg.data.scaling);
    let (valid, test) = (unit(&held.narrow(0, 0, half)?)?, unit(&held.narrow(0, half, held.shape()[0] - half)?)?);
    println!("Parzen: drawing {CENTRES} samples …");
    let (generator, descriptor) = centres(cfg, &learner, CENTRES)?;
    let result = serde_json::json!({
        "generator": parzen::evaluate(&generator, &valid, &test)?,
        "descriptor": parzen::evaluate(&descriptor, &valid, &test)?,
        "training_set": parzen::evaluate(&unit(&obs.data)?, &valid, &test)?,
        "centres": CENTRES,
        "validation": valid.shape()[0],
        "test": test.shape()[0],
    });
    println!("Parzen log-likelihood of the test digits: {result}");
    crate::metrics::merge(out, serde_json::json!({ "parzen": result }))?;
    Ok(summary)
}

/// `[N, C, H, W]` in model scale → `[N, C·H·W]` pixels in [0, 1], clipped (data: uint8 / 255;
/// samples in [−1, 1]: (x + 1)/2 under the reference's symmetric scaling).
fn unit(x: &Tensor, scaling: &datasets::Scaling) -> Result<Tensor> {
    let n = x.shape()[0];
    let pixels = scaling.invert(x)?.mul_scalar(1.0 / 255.0).clamp(0.0, 1.0);
    Ok(pixels.contiguous().reshape(&[n, x.numel() / n.max(1)])?)
}

/// `n` proposals g(Z) and their revisions Ỹ, in [0, 1]; drawn in batches of the run's chain
/// count as in learning (BatchNorm uses the batch's statistics), the last batch cut short.
fn centres(cfg: &RunConfig, l: &CoopNetsLearner, n: usize) -> Result<(Tensor, Tensor)> {
    let mut rng = rng_for(cfg.run.seed, PARZEN_STREAM);
    let (mut gen, mut rev) = (Vec::new(), Vec::new());
    let batch = cfg.run.chains.max(1);
    for start in (0..n).step_by(batch) {
        let k = batch.min(n - start);
        let (_, p) = l.draw(batch, &mut rng)?;
        let r = l.revise(p.clone(), &mut rng)?;
        rev.push(unit(&r.narrow(0, 0, k)?, &cfg.data.scaling)?);
        gen.push(unit(&p.narrow(0, 0, k)?, &cfg.data.scaling)?);
    }
    let cat = |v: &[Tensor]| Tensor::cat(&v.iter().collect::<Vec<_>>(), 0);
    Ok((cat(&gen)?, cat(&rev)?))
}
