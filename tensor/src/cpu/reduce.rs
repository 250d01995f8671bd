//! Reductions (sum, max) over a set of axes of a contiguous tensor.

use rayon::prelude::*;

use super::{part_range, PAR_MIN};
use crate::op::ReduceOp;

/// Reduce all elements to one number. Accumulates in f64 over fixed chunks, so the result
/// does not depend on the number of threads.
pub fn reduce_all(x: &[f32], op: ReduceOp) -> f32 {
    const CHUNK: usize = 1 << 14;
    let chunk = |c: &[f32]| c.iter().fold(op.init(), |a, &v| op.combine(a, f64::from(v)));
    let partials: Vec<f64> = if x.len() >= PAR_MIN {
        x.par_chunks(CHUNK).map(chunk).collect()
    } else {
        x.chunks(CHUNK).map(chunk).collect()
    };
    partials.into_iter().fold(op.init(), |a, v| op.combine(a, v)) as f32
}

/// Reduce the axes marked in `reduced` (same length as `shape`); the output keeps every axis,
/// with size 1 on reduced ones. Accumulates in f64.
pub fn reduce_axes(x: &[f32], shape: &[usize], reduced: &[bool], op: ReduceOp) -> Vec<f32> {
    let rank = shape.len();
    let out_shape: Vec<usize> = shape.iter().zip(reduced).map(|(&d, &r)| if r { 1 } else { d }).collect();
    let out_strides = crate::layout::contiguous_strides(&out_shape);
    // stride in the output for each input axis (0 on reduced axes)
    let map: Vec<usize> = (0..rank).map(|a| if reduced[a] { 0 } else { out_strides[a] }).collect();
    let out_len: usize = out_shape.iter().product();
    let inner = if rank == 0 { 1 } else { shape[rank - 1] };
    let inner_reduced = rank > 0 && reduced[rank - 1];
    let rows = x.len().checked_div(inner).unwrap_or(0);

    // Split the output's outer rows? The general walk below is over input rows; to stay
    // deterministic and parallel we split the *input rows* into fixed parts with private
    // accumulators, then combine the parts in order.
    let work = |range: std::ops::Range<usize>| {
        let mut acc = vec![op.init(); out_len];
        for r in range {
            let (mut rem, mut dst) = (r, 0);
            for ax in (0..rank.saturating_sub(1)).rev() {
                let c = rem % shape[ax];
                rem /= shape[ax];
                dst += c * map[ax];
            }
            let row = &x[r * inner..(r + 1) * inner];
            if inner_reduced {
                acc[dst] = row.iter().fold(acc[dst], |a, &v| op.combine(a, f64::from(v)));
            } else {
                for (a, &v) in acc[dst..dst + inner].iter_mut().zip(row) {
                    *a = op.combine(*a, f64::from(v));
                }
            }
        }
        acc
    };
    // a fixed number of parts: the combination order does not depend on the thread count
    let n_parts = if x.len() >= PAR_MIN { 4.min(rows).max(1) } else { 1 };
    let partials: Vec<Vec<f64>> = (0..n_parts).into_par_iter().map(|i| work(part_range(rows, n_parts, i))).collect();
    let mut out = vec![op.init(); out_len];
    for p in partials {
        for (o, v) in out.iter_mut().zip(p) {
            *o = op.combine(*o, v);
        }
    }
    out.into_iter().map(|v| v as f32).collect()
}
