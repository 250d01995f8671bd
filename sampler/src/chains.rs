//! Per-chain bookkeeping shared by the samplers: the state is one tensor whose axis 0
//! indexes chains, so "chain of element i" is `i / (elements per chain)`.
//!
//! Also here: calling the target with every check (shape, NaN/Inf), per-chain squared norms,
//! per-chain selection (accept/reject), and the mask that freezes coordinates.

use tensor::{FiniteChecks, Tensor};

use crate::error::{Quantity, Result, SamplerError};
use crate::target::{LogDensity, ValueAndGrad};

/// Number of chains (size of axis 0); the state must have at least one axis and one chain.
pub(crate) fn n_chains(x: &Tensor) -> Result<usize> {
    match x.shape().first() {
        Some(&n) if n > 0 && x.numel() > 0 => Ok(n),
        _ => Err(SamplerError::Config(format!(
            "the state needs shape [n_chains, ...] with n_chains > 0, got {:?}",
            x.shape()
        ))),
    }
}

/// The chain that holds row-major element `index` of a tensor with chains on axis 0.
pub fn chain_of(index: usize, t: &Tensor) -> usize {
    index / per_chain(t)
}

/// Elements per chain of a tensor with chains on axis 0 (at least 1).
fn per_chain(t: &Tensor) -> usize {
    let n = t.shape().first().copied().unwrap_or(1).max(1);
    (t.numel() / n).max(1)
}

/// `Err(NonFinite)` naming the step and chain of the first NaN/±Inf in `t`.
pub(crate) fn check_finite(t: &Tensor, quantity: Quantity, step: usize) -> Result<()> {
    match t.first_non_finite() {
        None => Ok(()),
        Some(index) => Err(SamplerError::NonFinite { step, chain: chain_of(index, t), quantity, index }),
    }
}

/// Evaluate the target at `x` and check what comes back: value of shape `[N]`, gradient of
/// the state's shape, no NaN or ±Inf in either.
pub(crate) fn evaluate<T: LogDensity + ?Sized>(target: &mut T, x: &Tensor, step: usize) -> Result<ValueAndGrad> {
    let vg = evaluate_shapes(target, x, step)?;
    check_finite(&vg.value, Quantity::LogDensity, step)?;
    check_finite(&vg.grad, Quantity::Gradient, step)?;
    Ok(vg)
}

/// What a queued check looked at: the quantity, the step and the elements per chain.
pub(crate) type Checked = (Quantity, usize, usize);

/// NaN/±Inf checks queued on the state's device (`tensor::FiniteChecks`): a GPU is not made
/// to wait at every step, and [`Checks::finish`] names the same step, chain and quantity as
/// checking at once would.
#[derive(Default)]
pub(crate) struct Checks(FiniteChecks<Checked>);

impl Checks {
    /// Queue a check of `quantity` `t` at `step` (`Err` if a full queue found a NaN or ±Inf).
    pub(crate) fn queue(&mut self, t: &Tensor, quantity: Quantity, step: usize) -> Result<()> {
        self.0.push(t, (quantity, step, per_chain(t)))?.map_or(Ok(()), |hit| Err(non_finite(hit)))
    }

    /// [`evaluate`] with the value and gradient checks queued.
    pub(crate) fn evaluate<T: LogDensity + ?Sized>(
        &mut self,
        target: &mut T,
        x: &Tensor,
        step: usize,
    ) -> Result<ValueAndGrad> {
        let vg = evaluate_shapes(target, x, step)?;
        self.queue(&vg.value, Quantity::LogDensity, step)?;
        self.queue(&vg.grad, Quantity::Gradient, step)?;
        Ok(vg)
    }

    /// Wait for the queued checks: `Err(NonFinite)` for the first that found a NaN or ±Inf.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.0.first()?.map_or(Ok(()), |hit| Err(non_finite(hit)))
    }
}

fn non_finite(((quantity, step, per_chain), index): (Checked, usize)) -> SamplerError {
    SamplerError::NonFinite { step, chain: index / per_chain, quantity, index }
}

/// Evaluate the target at a proposal `x` of MALA or HMC. A NaN or ±Inf there is not an error
/// (the proposal is rejected instead): returns the value and gradient, and per chain whether
/// the state, its log-density and its gradient are all finite. Shape errors stay errors.
pub(crate) fn evaluate_proposal<T: LogDensity + ?Sized>(
    target: &mut T,
    x: &Tensor,
    step: usize,
) -> Result<(ValueAndGrad, Vec<bool>)> {
    let vg = evaluate_shapes(target, x, step)?;
    let (xs, gs) = (finite_per_chain(x)?, finite_per_chain(&vg.grad)?);
    let ok = vg.value.to_vec().iter().zip(xs.iter().zip(&gs)).map(|(v, (&a, &b))| v.is_finite() && a && b).collect();
    Ok((vg, ok))
}

/// The target at `x`, checked for shape: value `[N]`, gradient of the state's shape.
fn evaluate_shapes<T: LogDensity + ?Sized>(target: &mut T, x: &Tensor, step: usize) -> Result<ValueAndGrad> {
    let vg = target.log_density_and_grad(x).map_err(|source| SamplerError::Target { step, source })?;
    let n = x.shape()[0];
    if vg.value.shape() != [n] {
        return Err(SamplerError::TargetShape {
            step,
            what: "a log-density",
            got: vg.value.shape().to_vec(),
            expected: vec![n],
        });
    }
    if vg.grad.shape() != x.shape() {
        return Err(SamplerError::TargetShape {
            step,
            what: "a gradient",
            got: vg.grad.shape().to_vec(),
            expected: x.shape().to_vec(),
        });
    }
    Ok(vg)
}

/// Per chain: are all its elements finite? One pass without allocating when everything is
/// (the common case); otherwise a chain's sum of |x| is finite exactly when its elements are,
/// short of an overflow above 3·10³⁸ that counts as non-finite too.
pub(crate) fn finite_per_chain(t: &Tensor) -> Result<Vec<bool>> {
    if t.first_non_finite().is_none() {
        return Ok(vec![true; t.shape().first().copied().unwrap_or(1)]);
    }
    let sums = if t.rank() == 1 { t.abs() } else { t.abs().sum_per_example()? };
    Ok(sums.to_vec().iter().map(|v| v.is_finite()).collect())
}

/// `‖t[n]‖²` for every chain `n`, in f64.
pub(crate) fn sq_norm_per_chain(t: &Tensor) -> Result<Vec<f64>> {
    let sq = t.square();
    let sums = if t.rank() == 1 { sq } else { sq.sum_per_example()? };
    Ok(sums.to_vec().into_iter().map(f64::from).collect())
}

/// One value per chain as a tensor of shape `[N, 1, …, 1]` that broadcasts against `shape`.
pub(crate) fn per_chain_column(values: Vec<f32>, like: &Tensor) -> Result<Tensor> {
    let mut col = vec![1; like.rank()];
    col[0] = values.len();
    Ok(Tensor::from_vec_on(values, &col, &like.device())?)
}

/// `dst[n] ← src[n]` for the chains with `take[n]`, on state-shaped tensors or `[N]` vectors.
pub(crate) fn take_chains(dst: &mut Tensor, src: &Tensor, take: &[bool]) -> Result<()> {
    let flags = take.iter().map(|&a| if a { 1.0 } else { 0.0 }).collect();
    let mask = per_chain_column(flags, dst)?.broadcast_to(dst.shape())?;
    dst.masked_assign_(&mask, src)?;
    Ok(())
}

/// A mask that freezes coordinates: `mask ≠ 0` may be updated, `mask = 0` keeps its value.
///
/// Frozen coordinates are restored bit for bit from a copy of the initial state after each
/// update (`restore`), so they are exactly unchanged whatever the update did to them.
pub(crate) struct Freeze {
    /// 1 where frozen (`mask = 0`), 0 elsewhere.
    frozen: Tensor,
    /// 1 where free (`mask ≠ 0`), 0 elsewhere.
    pub free: Tensor,
    /// The initial state (its frozen entries are the values to keep).
    original: Tensor,
}

impl Freeze {
    pub fn new(mask: &Tensor, x: &Tensor) -> Result<Freeze> {
        if mask.shape() != x.shape() {
            return Err(SamplerError::Config(format!(
                "mask of shape {:?} for a state of shape {:?}",
                mask.shape(),
                x.shape()
            )));
        }
        let frozen = mask.eq_mask(&mask.scalar_beside(0.0))?;
        let free = frozen.affine(-1.0, 1.0);
        // a clone shares storage: the first in-place update of `x` copies it (copy-on-write)
        Ok(Freeze { frozen, free, original: x.clone() })
    }

    /// Put the frozen coordinates of `x` back to their initial values.
    pub fn restore(&self, x: &mut Tensor) -> Result<()> {
        x.masked_assign_(&self.frozen, &self.original)?;
        Ok(())
    }

    /// `t ⊙ free`: zero the frozen coordinates of a state-shaped tensor.
    pub fn zero_frozen(&self, t: &Tensor) -> Result<Tensor> {
        Ok(t.mul(&self.free)?)
    }
}

/// `Freeze` for an optional mask.
pub(crate) fn freeze(mask: Option<&Tensor>, x: &Tensor) -> Result<Option<Freeze>> {
    mask.map(|m| Freeze::new(m, x)).transpose()
}
