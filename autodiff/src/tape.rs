//! The tape: a list of recorded ops, in the order they ran (which is a topological order).
//!
//! Reverse mode in one paragraph: every op that depends on something we differentiate pushes
//! a [`Node`] holding its parents and a closure that maps the gradient of its output to the
//! gradients of its inputs (the chain rule for that op, with whatever it saved from the
//! forward pass). `backward` seeds the output's gradient and walks the nodes from last to
//! first, handing each gradient to its node's closure and adding the results into the
//! parents' gradients. Ops that depend on nothing differentiable record nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tensor::Tensor;

use crate::error::{AutodiffError, Result};
use crate::gradients::Gradients;
use crate::var::Var;

/// The chain rule of one op: given dL/d(output) and which inputs need a gradient, return
/// dL/d(input) for each input (`None` where not needed).
pub type BackwardFn = Box<dyn Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>>>;

pub(crate) struct Node {
    pub parents: Vec<usize>,
    /// `None` for leaves.
    pub backward: Option<BackwardFn>,
    pub shape: Vec<usize>,
}

pub(crate) struct TapeInner {
    pub nodes: Vec<Node>,
    /// Incremented by `clear`, so stale `Var`s are caught.
    pub generation: u64,
    /// `no_grad` nesting depth; recording is off while > 0.
    pub paused: usize,
    /// Leaves registered under a caller's key (parameters), so each gets one node per pass:
    /// the node (`None` for a constant) and the value. Never a [`Var`]: a `Var` holds the tape,
    /// and a tape that held its own `Var`s would keep itself alive (an `Rc` cycle) after its
    /// last handle is dropped, with every saved activation in it.
    pub keyed: HashMap<u64, (Option<usize>, Tensor)>,
}

// Number of tapes alive in this thread (see `Tape::live_count`).
thread_local! {
    static LIVE_TAPES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Drop for TapeInner {
    fn drop(&mut self) {
        LIVE_TAPES.with(|n| n.set(n.get() - 1));
    }
}

/// A recording of operations, shared by the [`Var`]s built on it (cheap to clone).
#[derive(Clone)]
pub struct Tape {
    pub(crate) inner: Rc<RefCell<TapeInner>>,
}

impl Default for Tape {
    fn default() -> Self {
        Tape::new()
    }
}

impl Tape {
    pub fn new() -> Tape {
        LIVE_TAPES.with(|n| n.set(n.get() + 1));
        Tape {
            inner: Rc::new(RefCell::new(TapeInner {
                nodes: Vec::new(),
                generation: 0,
                paused: 0,
                keyed: HashMap::new(),
            })),
        }
    }

    /// A leaf we may differentiate with respect to (an input or a parameter).
    pub fn var(&self, value: Tensor) -> Var {
        let mut t = self.inner.borrow_mut();
        let id = t.nodes.len();
        t.nodes.push(Node { parents: vec![], backward: None, shape: value.shape().to_vec() });
        Var::new(self.clone(), Some(id), t.generation, value)
    }

    /// A value that is never differentiated (data, masks, detached tensors).
    pub fn constant(&self, value: Tensor) -> Var {
        let gen = self.inner.borrow().generation;
        Var::new(self.clone(), None, gen, value)
    }

    /// The leaf registered under `key` in this pass, created from `value()` on first use.
    /// `nn` uses this so that a parameter used twice in one forward is one leaf.
    pub fn keyed_var(&self, key: u64, requires_grad: bool, value: impl FnOnce() -> Tensor) -> Var {
        let t = self.inner.borrow();
        if let Some((node, value)) = t.keyed.get(&key) {
            return Var::new(self.clone(), *node, t.generation, value.clone());
        }
        drop(t);
        let v = if requires_grad { self.var(value()) } else { self.constant(value()) };
        self.inner.borrow_mut().keyed.insert(key, (v.node, v.value().clone()));
        v
    }

    /// Tapes alive in the calling thread. A tape is freed, with everything it recorded, when
    /// its last handle (the `Tape` or a `Var` on it) is dropped; a count that grows across
    /// iterations of a loop is a leak. Tests use this to prove memory stays flat.
    pub fn live_count() -> usize {
        LIVE_TAPES.with(|n| n.get())
    }

    /// Forget every recorded op (and the saved tensors they hold). Call between steps so
    /// that a long loop runs in constant memory; `Var`s from before become stale.
    pub fn clear(&self) {
        let mut t = self.inner.borrow_mut();
        t.nodes.clear();
        t.keyed.clear();
        t.generation += 1;
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.inner.borrow().nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether operations are recorded now (false inside [`Tape::no_grad`]).
    pub fn is_recording(&self) -> bool {
        self.inner.borrow().paused == 0
    }

    /// Run `f` without recording: every Var it creates is a constant (PyTorch's `no_grad`).
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        self.inner.borrow_mut().paused += 1;
        struct Resume<'a>(&'a Tape);
        impl Drop for Resume<'_> {
            fn drop(&mut self) {
                self.0.inner.borrow_mut().paused -= 1;
            }
        }
        let _resume = Resume(self);
        f()
    }

    pub(crate) fn same_as(&self, other: &Tape) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Record the result of an op. `backward` is stored only if some parent is tracked and
    /// recording is on; otherwise the result is a constant.
    pub(crate) fn record(
        &self,
        op: &'static str,
        value: Tensor,
        parents: &[&Var],
        backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
    ) -> Result<Var> {
        let mut t = self.inner.borrow_mut();
        for p in parents {
            if !self.same_as(&p.tape) {
                return Err(AutodiffError::ForeignVar(op));
            }
            if p.generation != t.generation {
                return Err(AutodiffError::StaleVar(op));
            }
        }
        let gen = t.generation;
        let tracked = t.paused == 0 && parents.iter().any(|p| p.node.is_some());
        if !tracked {
            drop(t);
            return Ok(Var::new(self.clone(), None, gen, value));
        }
        let id = t.nodes.len();
        t.nodes.push(Node {
            // untracked parents get usize::MAX: never needed, never receive a gradient
            parents: parents.iter().map(|p| p.node.unwrap_or(usize::MAX)).collect(),
            backward: Some(Box::new(backward)),
            shape: value.shape().to_vec(),
        });
        drop(t);
        Ok(Var::new(self.clone(), Some(id), gen, value))
    }

    /// Gradients of `Σ output` (i.e. seed of ones) with respect to `wrt`.
    pub fn backward(&self, output: &Var, wrt: &[&Var]) -> Result<Gradients> {
        self.backward_with_seed(output, &output.value().ones_like(), wrt)
    }

    /// Gradients of `Σ seed ⊙ output` with respect to `wrt`: the vector-Jacobian product.
    ///
    /// Only nodes on a path from a `wrt` leaf to `output` are visited, each gradient is freed
    /// as soon as it has been passed on, and ops are told which inputs need a gradient (so
    /// a Langevin step asking for ∂f/∂Y never computes weight gradients).
    pub fn backward_with_seed(&self, output: &Var, seed: &Tensor, wrt: &[&Var]) -> Result<Gradients> {
        if seed.shape() != output.value().shape() {
            return Err(AutodiffError::SeedShape {
                seed: seed.shape().to_vec(),
                output: output.value().shape().to_vec(),
            });
        }
        let t = self.inner.borrow();
        for v in wrt.iter().copied().chain(std::iter::once(output)) {
            if !self.same_as(&v.tape) {
                return Err(AutodiffError::ForeignVar("backward"));
            }
            if v.generation != t.generation {
                return Err(AutodiffError::StaleVar("backward"));
            }
        }
        let mut result = Gradients::default();
        let Some(out_id) = output.node else {
            return Ok(result); // output does not depend on anything tracked
        };
        let wanted: Vec<usize> = wrt.iter().filter_map(|v| v.node).collect();
        // needed[i]: node i lies on a path from a wanted leaf (forward sweep, ids are topological)
        let mut needed = vec![false; out_id + 1];
        for i in 0..=out_id {
            let n = &t.nodes[i];
            needed[i] = wanted.contains(&i) || n.parents.iter().any(|&p| p != usize::MAX && needed[p]);
        }
        let mut grads: Vec<Option<Tensor>> = vec![None; out_id + 1];
        grads[out_id] = Some(seed.clone());
        for i in (0..=out_id).rev() {
            if !needed[i] {
                continue;
            }
            let Some(g) = grads[i].take() else { continue };
            let node = &t.nodes[i];
            if let Some(bw) = &node.backward {
                let needs: Vec<bool> = node.parents.iter().map(|&p| p != usize::MAX && needed[p]).collect();
                let pg = bw(&g, &needs)?;
                for ((&p, need), pg) in node.parents.iter().zip(needs).zip(pg) {
                    let (true, Some(pg)) = (need, pg) else {
                        continue;
                    };
                    debug_assert_eq!(pg.shape(), t.nodes[p].shape.as_slice(), "gradient shape of node {p}");
                    grads[p] = Some(match grads[p].take() {
                        Some(acc) => acc.add(&pg)?,
                        None => pg,
                    });
                }
            }
            if wanted.contains(&i) {
                result.insert(i, g);
            }
        }
        Ok(result)
    }
}
