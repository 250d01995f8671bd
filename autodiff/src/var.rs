//! `Var`: a tensor value plus its place on a tape.

use tensor::Tensor;

use crate::tape::Tape;

/// A value in a computation being recorded. Cloning is cheap.
///
/// `node` is `None` for constants (and for results that depend only on constants): they are
/// never differentiated and cost nothing on the tape.
#[derive(Clone)]
pub struct Var {
    pub(crate) tape: Tape,
    pub(crate) node: Option<usize>,
    pub(crate) generation: u64,
    value: Tensor,
}

impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var(node={:?}, {:?})", self.node, self.value)
    }
}

impl Var {
    pub(crate) fn new(tape: Tape, node: Option<usize>, generation: u64, value: Tensor) -> Var {
        Var { tape, node, generation, value }
    }

    /// The forward value.
    pub fn value(&self) -> &Tensor {
        &self.value
    }

    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }

    /// The tape this Var lives on.
    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    /// Whether gradients flow through this Var.
    pub fn requires_grad(&self) -> bool {
        self.node.is_some()
    }

    /// The same value cut off from the graph (PyTorch's `detach`).
    pub fn detach(&self) -> Var {
        Var::new(self.tape.clone(), None, self.generation, self.value.clone())
    }
}
