//! Packed weights kept between calls, per thread.
//!
//! The convolution kernels multiply weights that they first pack into the panels their tiles
//! stream ([`super::conv_direct_panels`], [`super::conv_classes`]): every weight gathered from
//! a scattered place, done by the calling thread alone while the other threads wait. Yet the
//! weights do not change between calls: the Langevin steps of a learning iteration run every
//! layer, forward and backward, with the same weights (the texture net: 65 packings per
//! iteration; the ABP generator: 180, 4% of its time at one thread). So each thread keeps its
//! last few packings of each kind, each with the layout that made it and a copy of the weights
//! it was made from, and a call whose layout is the same and whose weights are the same bit for
//! bit uses the packing again (comparing the weights is one sequential read). A call with other
//! weights in any bit packs anew: the panels are always exactly those of this call's weights.

use std::cell::RefCell;
use std::thread::LocalKey;

/// Packings kept per thread and kind at most (the texture net uses six: three layers forward
/// and backward; the ABP generator six of tap classes). A net that cycles through more than
/// this many (layer, pass) packings gets no reuse and pays a copy of the weights per call
/// besides the packing.
const KEEP: usize = 8;
/// Floats kept per thread and kind at most, weights and panels together (80 MiB): the least
/// recently used packings go first, before a new one is made. The ABP generator keeps 17 M
/// (its first layer has 3.3 M weights, packed for both passes), the texture net 1 M. A
/// packing larger than this is made for its call only, into a buffer of the thread's own.
const BUDGET: usize = 20 << 20;

/// One packing: the layout that made it, the weights it was made from, the panels.
struct Packing {
    layout: Vec<usize>,
    weights: Vec<f32>,
    panels: Vec<f32>,
}

impl Packing {
    /// Floats held: the weights' copy and the panels.
    fn floats(&self) -> usize {
        self.weights.len() + self.panels.len()
    }
}

/// A thread's packings of one kind, the most recently used first, and the buffer of the
/// packings that are not kept (reused across calls).
#[derive(Default)]
pub(super) struct Kept {
    packings: Vec<Packing>,
    scratch: Vec<f32>,
}

/// Run `f` on the panels that `pack` makes of weights `w` (it fills the buffer it is given,
/// whatever that held, and returns it), reusing this thread's packing of the same `layout`
/// (everything besides the weights that the panels depend on) and the same weights when `kept`
/// has one.
pub(super) fn with_kept<R>(
    kept: &'static LocalKey<RefCell<Kept>>,
    layout: impl Iterator<Item = usize> + Clone,
    w: &[f32],
    pack: impl FnOnce(Vec<f32>) -> Vec<f32>,
    f: impl FnOnce(&[f32]) -> R,
) -> R {
    with_budget(kept, BUDGET, (layout, w), pack, f)
}

/// [`with_kept`] with at most `budget` floats kept.
fn with_budget<R>(
    kept: &'static LocalKey<RefCell<Kept>>,
    budget: usize,
    (layout, w): (impl Iterator<Item = usize> + Clone, &[f32]),
    pack: impl FnOnce(Vec<f32>) -> Vec<f32>,
    f: impl FnOnce(&[f32]) -> R,
) -> R {
    kept.with(|cell| {
        // a call from inside `f` on this thread (none today) packs for itself
        let Ok(mut kept) = cell.try_borrow_mut() else {
            return f(&pack(Vec::new()));
        };
        if 2 * w.len() > budget {
            let panels = pack(std::mem::take(&mut kept.scratch));
            let r = f(&panels);
            kept.scratch = panels;
            return r;
        }
        let list = &mut kept.packings;
        let found =
            list.iter().position(|k| layout.clone().eq(k.layout.iter().copied()) && bits(&k.weights) == bits(w));
        let entry = match found {
            Some(i) => list.remove(i),
            None => {
                // make room first (a packing is about twice its weights): drop the least
                // recently used packings until this one fits the count and the budget; the
                // last one dropped lends its buffers
                let mut old = None;
                while !list.is_empty()
                    && (list.len() == KEEP || list.iter().map(Packing::floats).sum::<usize>() + 2 * w.len() > budget)
                {
                    old = list.pop();
                }
                let (mut weights, panels) = old.map_or((Vec::new(), Vec::new()), |k| (k.weights, k.panels));
                weights.clear();
                weights.extend_from_slice(w);
                Packing { layout: layout.collect(), weights, panels: pack(panels) }
            }
        };
        list.insert(0, entry);
        // panels larger than estimated: drop more (never the one just used)
        while list.len() > 1 && list.iter().map(Packing::floats).sum::<usize>() > budget {
            list.pop();
        }
        f(&list[0].panels)
    })
}

/// The bits of `v` (so that −0 and 0 differ, and a NaN equals itself).
fn bits(v: &[f32]) -> &[u32] {
    // SAFETY: f32 and u32 have the same size and alignment, and every bit pattern is a u32.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u32>(), v.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static TEST: RefCell<Kept> = RefCell::new(Kept::default());
    }

    /// Packs by copying, and counts the packings made.
    fn run(budget: usize, w: &[f32], made: &mut usize) -> Vec<f32> {
        let pack = |mut buf: Vec<f32>| {
            *made += 1;
            buf.clear();
            buf.extend_from_slice(w);
            buf
        };
        with_budget(&TEST, budget, ([w.len()].into_iter(), w), pack, |p| p.to_vec())
    }

    #[test]
    fn packings_are_reused_for_the_same_weights_within_the_budget() {
        let (a, b, big) = (vec![1.0f32; 10], vec![2.0f32; 10], vec![3.0f32; 30]);
        let mut made = 0;
        assert_eq!(run(50, &a, &mut made), a);
        assert_eq!(run(50, &a, &mut made), a);
        assert_eq!(made, 1, "the same weights: packed once");
        assert_eq!(run(50, &b, &mut made), b);
        assert_eq!(run(50, &a, &mut made), a);
        assert_eq!(made, 2, "two packings of 20 floats each fit 50 floats");
        // a packing of 60 floats is more than the budget: made for its call only, twice
        assert_eq!(run(50, &big, &mut made), big);
        assert_eq!(run(50, &big, &mut made), big);
        assert_eq!(made, 4, "larger than the budget: never kept");
        // a third packing of 20: the least recently used (b) goes, a stays
        let c = vec![4.0f32; 10];
        assert_eq!(run(50, &c, &mut made), c);
        assert_eq!(run(50, &a, &mut made), a);
        assert_eq!(made, 5, "a was used last before c came: still kept");
        assert_eq!(run(50, &b, &mut made), b);
        assert_eq!(made, 6, "b was dropped for c: packed again");
    }
}
