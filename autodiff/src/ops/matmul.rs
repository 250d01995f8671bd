//! Matrix product.

use super::sum_to_shape;
use crate::error::Result;
use crate::var::Var;

impl Var {
    /// `Y = A·B`; `∂L/∂A = G·Bᵀ`, `∂L/∂B = Aᵀ·G` (batched: per batch entry, then summed over
    /// broadcast batch axes).
    pub fn matmul(&self, rhs: &Var) -> Result<Var> {
        let (a, b) = (self.value().clone(), rhs.value().clone());
        let y = a.matmul(&b)?;
        self.tape.record("matmul", y, &[self, rhs], move |g, n| {
            let t = |x: &tensor::Tensor| x.transpose(x.rank() - 2, x.rank() - 1);
            let ga = if n[0] { Some(sum_to_shape(&g.matmul(&t(&b)?)?, a.shape())?) } else { None };
            let gb = if n[1] { Some(sum_to_shape(&t(&a)?.matmul(g)?, b.shape())?) } else { None };
            Ok(vec![ga, gb])
        })
    }
}
