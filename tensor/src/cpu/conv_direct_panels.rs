//! The weights of [`super::conv_direct`], packed into the panels its tiles stream, and kept
//! between calls ([`super::kept`]): packing gathers every weight from a scattered place (rows
//! of W a whole filter apart, taps split by phase), about 0.1 ms per call for the texture
//! net's layers, as long as a tenth of a batch-1 layer (texture-128-c1: 65 packings per
//! iteration, 6.3 ms of 70 at two threads before they were kept).

use std::cell::RefCell;

use super::conv_direct::{Direct, Packing};
use super::kept::{with_kept, Kept};

thread_local! {
    /// This thread's packings of the direct convolutions.
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// Run `f` on the weights packed as `panels[((q·taps + t)·c_src + c)·R + i]` = the entry
/// (row Rq + i, grid channel c, tap t) of `packing` (zero for rows beyond `c_dst`), reusing
/// this thread's packing of the same layout and weights when it has one.
pub(super) fn with_panels<R>(d: &Direct, packing: &Packing, w: &[f32], f: impl FnOnce(&[f32]) -> R) -> R {
    with_kept(&KEPT, layout(d, packing), w, |buf| pack(d, packing, w, buf), f)
}

/// The panels of `packing` for weights `w`, in `buf`'s memory.
fn pack(d: &Direct, packing: &Packing, w: &[f32], mut buf: Vec<f32>) -> Vec<f32> {
    buf.clear();
    buf.resize(d.panels() * d.tap_count() * d.c_src * d.rows, 0.0);
    let mut lines = buf.chunks_exact_mut(d.rows);
    for q in 0..d.panels() {
        let rows = d.panel_rows(packing, q);
        for (tap, inside) in &packing.taps {
            for &(src, src_phase) in &packing.src {
                let line = lines.next().expect("the buffer holds every line");
                for (v, &(row, row_phase)) in line.iter_mut().zip(rows) {
                    if inside[row_phase + src_phase] {
                        *v = w[row + src + tap];
                    }
                }
            }
        }
    }
    buf
}

/// Everything besides the weights that the panels depend on, as one sequence of numbers
/// (compared as it is made: a call that finds its packing allocates nothing).
fn layout<'a>(d: &Direct, packing: &'a Packing) -> impl Iterator<Item = usize> + Clone + 'a {
    let sizes = [d.rows, d.c_dst, d.c_src, packing.row.len(), packing.src.len(), packing.taps.len()];
    let pairs = packing.row.iter().chain(&packing.src).flat_map(|&(a, b)| [a, b]);
    let taps = packing
        .taps
        .iter()
        .flat_map(|(tap, inside)| [*tap, inside.len()].into_iter().chain(inside.iter().map(|&b| usize::from(b))));
    sizes.into_iter().chain(pairs).chain(taps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::conv_direct::Side;

    fn direct() -> (Direct, Packing) {
        let side = Side { dims: [1, 4, 4], stride: [1; 3], before: [0; 3] };
        let d = Direct {
            c_src: 2,
            c_dst: 3,
            taps: [1, 1, 2],
            out: [1, 4, 4],
            read: side,
            write: side,
            rows: 16,
            vectors: 1,
            width: 5,
        };
        let packing = Packing {
            row: (0..3).map(|co| (co * 4, 0)).collect(),
            src: (0..2).map(|ci| (ci * 2, 0)).collect(),
            taps: vec![(0, vec![true]), (1, vec![true])],
        };
        (d, packing)
    }

    #[test]
    fn panels_follow_the_weights_of_every_call() {
        let (d, packing) = direct();
        let w: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let first = with_panels(&d, &packing, &w, |p| p.to_vec());
        // the line (tap 1, channel 1) starts at (1·2 + 1)·16; its row co holds W[co, 1, 1] =
        // w[co·4 + 1·2 + 1], and its rows past the 3 channels are zero
        assert_eq!(first[48..51], [3.0, 7.0, 11.0], "tap 1, channel 1");
        assert!(first[51..64].iter().all(|&v| v == 0.0), "{:?}", &first[51..64]);
        assert_eq!(with_panels(&d, &packing, &w, |p| p.to_vec()), first, "the same weights: the same panels");
        // one weight changed, and only in its sign bit: the panels change with it
        let mut w2 = w.clone();
        w2[0] = -0.0;
        let second = with_panels(&d, &packing, &w2, |p| p.to_vec());
        assert_eq!(second[0].to_bits(), (-0.0f32).to_bits(), "W[0, 0, 0] = −0 packed anew");
        assert_eq!(with_panels(&d, &packing, &w, |p| p.to_vec()), first, "the first weights again");
        // more weights than are kept (8): every call still gets its own weights' panels
        for shift in 0..20 {
            let w3: Vec<f32> = w.iter().map(|v| v + shift as f32).collect();
            let p = with_panels(&d, &packing, &w3, |p| p.to_vec());
            assert_eq!(p[0], shift as f32, "W[0, 0, 0] + {shift}");
        }
    }
}
