//! Differentiable ops on [`crate::Var`], one family per file. Each op computes its value with
//! the `tensor` op of the same name and records its chain rule, stated in a doc comment:
//! for `y = f(x)` with incoming gradient `g = ∂L/∂y`, the rule gives `∂L/∂x`.

mod batch_norm;
pub use batch_norm::BatchStats;
mod binary;
mod conv;
mod matmul;
mod reduce;
mod shape;
mod unary;

use tensor::Tensor;

use crate::error::Result;

/// Sum a broadcast gradient back to the shape of the input it came from: sum the leading
/// axes the input did not have and the axes where it had size 1.
pub(crate) fn sum_to_shape(g: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g.clone());
    }
    let lead = g.rank() - shape.len();
    let axes: Vec<usize> = (0..g.rank()).filter(|&a| a < lead || (shape[a - lead] == 1 && g.shape()[a] != 1)).collect();
    Ok(g.sum(&axes, true)?.reshape(shape)?)
}
