//! Loss functions built from differentiable ops.

use autodiff::Var;
use tensor::Tensor;

use crate::error::{NnError, Result};

/// `log softmax` over axis 1: `x − logsumexp(x)`, with the max subtracted for stability
/// (`logsumexp(x) = m + log Σ exp(x − m)`, m constant).
pub fn log_softmax(logits: &Var) -> Result<Var> {
    let m = logits.tape().constant(logits.value().max(&[1], true)?);
    let shifted = logits.sub(&m)?;
    let lse = shifted.exp()?.sum(&[1], true)?.log()?;
    Ok(shifted.sub(&lse)?)
}

/// Mean cross-entropy of `[N, classes]` logits against integer labels.
pub fn cross_entropy(logits: &Var, labels: &[usize]) -> Result<Var> {
    let (n, k) = match logits.shape() {
        &[n, k] => (n, k),
        s => {
            return Err(NnError::Config {
                layer: "cross_entropy",
                msg: format!("logits must be [N, classes], got {s:?}"),
            })
        }
    };
    if labels.len() != n || labels.iter().any(|&l| l >= k) {
        return Err(NnError::Config {
            layer: "cross_entropy",
            msg: format!("{} labels in 0..{k} needed for {n} rows", labels.len()),
        });
    }
    let mut onehot = vec![0.0; n * k];
    for (i, &l) in labels.iter().enumerate() {
        onehot[i * k + l] = 1.0;
    }
    let onehot = logits.tape().constant(Tensor::from_vec_on(onehot, &[n, k], &logits.value().device())?);
    Ok(log_softmax(logits)?.mul(&onehot)?.sum_all()?.mul_scalar(-1.0 / n as f32)?)
}

/// Mean squared error `mean (a − b)²`.
pub fn mse(a: &Var, b: &Var) -> Result<Var> {
    Ok(a.sub(b)?.square()?.mean_all()?)
}
