//! The result of `backward`: one gradient per requested `Var`.

use std::collections::HashMap;

use tensor::Tensor;

use crate::var::Var;

/// Gradients keyed by the node of the `Var` they belong to.
#[derive(Default)]
pub struct Gradients {
    by_node: HashMap<usize, Tensor>,
}

impl Gradients {
    pub(crate) fn insert(&mut self, node: usize, g: Tensor) {
        self.by_node.insert(node, g);
    }

    /// dL/dv, or `None` if `v` does not influence the output (or was not requested).
    pub fn get(&self, v: &Var) -> Option<&Tensor> {
        v.node.and_then(|n| self.by_node.get(&n))
    }

    /// dL/dv, with zeros where `v` does not influence the output.
    pub fn get_or_zeros(&self, v: &Var) -> Tensor {
        self.get(v).cloned().unwrap_or_else(|| v.value().zeros_like())
    }

    pub fn len(&self) -> usize {
        self.by_node.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_node.is_empty()
    }
}
