//! What a sampler samples from: a differentiable log-density (or energy) of a batch of chains.
//!
//! The state is one [`Tensor`] whose first axis indexes independent chains: a state of shape
//! `[N, d]` is `N` points in ℝᵈ, a state of shape `[N, C, H, W]` is `N` images. A target
//! evaluates all chains at once and returns, per chain, the (unnormalised) log-density and
//! its gradient with respect to the state:
//!
//! ```text
//! value[n] = log p(x[n])            shape [N]
//! grad[n]  = ∇ₓ log p(x[n])         shape of x
//! ```
//!
//! Normalising constants do not matter: every sampler here only uses differences of
//! log-densities and gradients. Three ways to provide a target:
//!
//! * implement [`LogDensity`] on your own type;
//! * wrap a closure with [`from_fn`];
//! * describe an energy `U(x) = −log p(x)` with [`Energy`] or [`energy_from_fn`] and wrap it
//!   in [`FromEnergy`] (energy-based models, including the CoopNets descriptor, are usually
//!   written this way).

use tensor::Tensor;

/// The error a target may return: any error type converts into it with `?`.
pub type TargetError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A log-density (or energy) and its gradient for a batch of chains.
#[derive(Clone, Debug)]
pub struct ValueAndGrad {
    /// One number per chain, shape `[N]`.
    pub value: Tensor,
    /// Gradient with respect to the state, same shape as the state.
    pub grad: Tensor,
}

impl ValueAndGrad {
    pub fn new(value: Tensor, grad: Tensor) -> Self {
        ValueAndGrad { value, grad }
    }
}

/// A differentiable, unnormalised log-density `log p(x)` evaluated on a batch of chains.
///
/// `&mut self` lets a target keep buffers or a computation graph between calls.
pub trait LogDensity {
    /// `log p(x[n])` for every chain `n` (shape `[N]`) and `∇ₓ log p(x)` (shape of `x`).
    fn log_density_and_grad(&mut self, x: &Tensor) -> Result<ValueAndGrad, TargetError>;
}

/// A differentiable energy `U(x) = −log p(x) + const`, evaluated on a batch of chains.
pub trait Energy {
    /// `U(x[n])` for every chain `n` (shape `[N]`) and `∇ₓ U(x)` (shape of `x`).
    fn energy_and_grad(&mut self, x: &Tensor) -> Result<ValueAndGrad, TargetError>;
}

/// The log-density `log p = −U` of an [`Energy`]: the samplers take this.
#[derive(Clone, Debug)]
pub struct FromEnergy<E>(pub E);

impl<E: Energy> LogDensity for FromEnergy<E> {
    fn log_density_and_grad(&mut self, x: &Tensor) -> Result<ValueAndGrad, TargetError> {
        let ValueAndGrad { value, grad } = self.0.energy_and_grad(x)?;
        // negate in place when we hold the only reference (the usual case: no copy)
        let (mut value, mut grad) = (value, grad);
        value.scale_(-1.0);
        grad.scale_(-1.0);
        Ok(ValueAndGrad { value, grad })
    }
}

/// A closure `x ↦ (log p(x), ∇ log p(x))` as a [`LogDensity`]; build it with [`from_fn`].
pub struct FnTarget<F>(pub F);

impl<F> LogDensity for FnTarget<F>
where
    F: FnMut(&Tensor) -> Result<(Tensor, Tensor), TargetError>,
{
    fn log_density_and_grad(&mut self, x: &Tensor) -> Result<ValueAndGrad, TargetError> {
        let (value, grad) = (self.0)(x)?;
        Ok(ValueAndGrad { value, grad })
    }
}

/// A closure `x ↦ (U(x), ∇U(x))` as an [`Energy`]; build it with [`energy_from_fn`].
pub struct FnEnergy<F>(pub F);

impl<F> Energy for FnEnergy<F>
where
    F: FnMut(&Tensor) -> Result<(Tensor, Tensor), TargetError>,
{
    fn energy_and_grad(&mut self, x: &Tensor) -> Result<ValueAndGrad, TargetError> {
        let (value, grad) = (self.0)(x)?;
        Ok(ValueAndGrad { value, grad })
    }
}

/// A log-density target from a closure returning `(log p(x) [N], ∇ log p(x))`.
///
/// ```
/// use sampler::{from_fn, LogDensity};
/// use tensor::Tensor;
/// // standard normal in any dimension: log p = −‖x‖²/2, ∇ log p = −x
/// let mut target = from_fn(|x: &Tensor| {
///     let value = x.square().sum_per_example()?.mul_scalar(-0.5);
///     Ok((value, x.neg()))
/// });
/// let x = Tensor::from_vec(vec![1.0, 2.0], &[2, 1])?;
/// let vg = target.log_density_and_grad(&x)?;
/// assert_eq!(vg.value.to_vec(), vec![-0.5, -2.0]);
/// # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
/// ```
pub fn from_fn<F>(f: F) -> FnTarget<F>
where
    F: FnMut(&Tensor) -> Result<(Tensor, Tensor), TargetError>,
{
    FnTarget(f)
}

/// A log-density target `log p = −U` from a closure returning `(U(x) [N], ∇U(x))`.
pub fn energy_from_fn<F>(f: F) -> FromEnergy<FnEnergy<F>>
where
    F: FnMut(&Tensor) -> Result<(Tensor, Tensor), TargetError>,
{
    FromEnergy(FnEnergy(f))
}
