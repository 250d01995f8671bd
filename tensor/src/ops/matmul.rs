//! Matrix multiply: `[M, K]·[K, N]` and batched `[.., M, K]·[.., K, N]` with broadcast batches.

use crate::backend::{BackendStorage, MatmulDims};
use crate::device::dispatch2;
use crate::error::{invalid_shape, Result, TensorError};
use crate::layout::broadcast_shapes;
use crate::Tensor;

impl Tensor {
    /// Matrix product. Rank-2 operands may be any strided view (a transpose costs nothing);
    /// higher ranks are batches of matrices whose leading axes broadcast.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        let (ra, rb) = (self.rank(), rhs.rank());
        if ra < 2 || rb < 2 {
            return Err(invalid_shape(
                "matmul",
                format!("needs rank ≥ 2, got {:?} and {:?}", self.shape(), rhs.shape()),
            ));
        }
        let (m, k) = (self.shape()[ra - 2], self.shape()[ra - 1]);
        let (k2, n) = (rhs.shape()[rb - 2], rhs.shape()[rb - 1]);
        if k != k2 {
            return Err(TensorError::ShapeMismatch {
                op: "matmul",
                lhs: self.shape().to_vec(),
                rhs: rhs.shape().to_vec(),
            });
        }
        // broadcast the batch axes (none for two matrices); each backend walks the strides
        let batch = broadcast_shapes("matmul", &self.shape()[..ra - 2], &rhs.shape()[..rb - 2])?;
        let la = self.layout.broadcast_to(&[batch.as_slice(), &[m, k]].concat())?;
        let lb = rhs.layout.broadcast_to(&[batch.as_slice(), &[k, n]].concat())?;
        let dims = MatmulDims { batch: batch.clone(), m, k, n };
        let out = dispatch2!("matmul", &*self.storage, &*rhs.storage, (a, b) => wrap a.matmul(&la, b, &lb, &dims))?;
        Ok(Tensor::from_storage(out, &[batch.as_slice(), &[m, n]].concat()))
    }
}
