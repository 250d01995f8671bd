//! Elementwise kernels: unary maps and broadcasting binary ops over strided inputs.

use rayon::prelude::*;

use super::PAR_MIN;
use crate::layout::Layout;
use crate::op::{BinaryOp, UnaryOp};

/// `out[i] = op(x[i])`.
pub fn unary(x: &[f32], op: UnaryOp) -> Vec<f32> {
    match op {
        UnaryOp::Square => unary_with(x, |v| v * v),
        UnaryOp::Relu => unary_with(x, |v| v.max(0.0)),
        UnaryOp::Affine { mul, add } => unary_with(x, move |v| mul * v + add),
        other => unary_with(x, move |v| other.apply(v)),
    }
}

fn unary_with<F: Fn(f32) -> f32 + Sync + Send>(x: &[f32], op: F) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    let f = |(o, &v): (&mut f32, &f32)| *o = op(v);
    if x.len() >= PAR_MIN {
        out.par_iter_mut().zip(x.par_iter()).for_each(f);
    } else {
        out.iter_mut().zip(x.iter()).for_each(f);
    }
    out
}

/// `out = op(a, b)` where `a` and `b` are already broadcast to the same shape (strides may be 0).
///
/// The output is contiguous. The innermost axis is a tight loop with the two input strides;
/// the outer axes are walked per row, rows in parallel. The op is matched once, outside the
/// loops, so each loop is compiled for one op and vectorised (a `match` per element is not).
pub fn binary(a: (&[f32], &Layout), b: (&[f32], &Layout), op: BinaryOp) -> Vec<f32> {
    match op {
        BinaryOp::Add => binary_with(a, b, |x, y| x + y),
        BinaryOp::Sub => binary_with(a, b, |x, y| x - y),
        BinaryOp::Mul => binary_with(a, b, |x, y| x * y),
        BinaryOp::Div => binary_with(a, b, |x, y| x / y),
        other => binary_with(a, b, move |x, y| other.apply(x, y)),
    }
}

fn binary_with<F: Fn(f32, f32) -> f32 + Sync>(a: (&[f32], &Layout), b: (&[f32], &Layout), op: F) -> Vec<f32> {
    let (da, la) = a;
    let (db, lb) = b;
    let shape = la.shape();
    let n = la.numel();
    if la.is_contiguous() && lb.is_contiguous() {
        let (sa, sb) = (&da[la.offset()..la.offset() + n], &db[lb.offset()..lb.offset() + n]);
        let mut out = vec![0.0; n];
        let f = |((o, &x), &y): ((&mut f32, &f32), &f32)| *o = op(x, y);
        if n >= PAR_MIN {
            out.par_iter_mut().zip(sa.par_iter()).zip(sb.par_iter()).for_each(f);
        } else {
            out.iter_mut().zip(sa).zip(sb).for_each(f);
        }
        return out;
    }
    let rank = shape.len();
    let inner = if rank == 0 { 1 } else { shape[rank - 1] };
    let (ia, ib) = if rank == 0 { (0, 0) } else { (la.strides()[rank - 1], lb.strides()[rank - 1]) };
    let mut out = vec![0.0; n];
    if n == 0 {
        return out;
    }
    let row = |(r, orow): (usize, &mut [f32])| {
        // offsets of row r in a and b: decompose r over the outer axes
        let (mut oa, mut ob, mut rem) = (la.offset(), lb.offset(), r);
        for ax in (0..rank.saturating_sub(1)).rev() {
            let c = rem % shape[ax];
            rem /= shape[ax];
            oa += c * la.strides()[ax];
            ob += c * lb.strides()[ax];
        }
        // the common cases as slice loops: a contiguous row against a contiguous row or a
        // broadcast scalar (a per-channel parameter)
        match (ia, ib) {
            (1, 1) => orow
                .iter_mut()
                .zip(&da[oa..oa + inner])
                .zip(&db[ob..ob + inner])
                .for_each(|((o, &x), &y)| *o = op(x, y)),
            (1, 0) => {
                let y = db[ob];
                orow.iter_mut().zip(&da[oa..oa + inner]).for_each(|(o, &x)| *o = op(x, y));
            }
            (0, 1) => {
                let x = da[oa];
                orow.iter_mut().zip(&db[ob..ob + inner]).for_each(|(o, &y)| *o = op(x, y));
            }
            _ => orow.iter_mut().enumerate().for_each(|(j, o)| *o = op(da[oa + j * ia], db[ob + j * ib])),
        }
    };
    if n >= PAR_MIN {
        out.par_chunks_mut(inner).enumerate().for_each(row);
    } else {
        out.chunks_mut(inner).enumerate().for_each(row);
    }
    out
}

/// Copy the elements of a strided layout into a new contiguous buffer, row by row (the
/// innermost axis is a tight loop with its stride; rows in parallel for large tensors).
pub fn strided_copy(data: &[f32], l: &Layout) -> Vec<f32> {
    let shape = l.shape();
    let n = l.numel();
    let rank = shape.len();
    let mut out = vec![0.0; n];
    if n == 0 {
        return out;
    }
    let inner = if rank == 0 { 1 } else { shape[rank - 1] };
    let is = if rank == 0 { 0 } else { l.strides()[rank - 1] };
    let row = |(r, orow): (usize, &mut [f32])| {
        let (mut o, mut rem) = (l.offset(), r);
        for ax in (0..rank.saturating_sub(1)).rev() {
            o += (rem % shape[ax]) * l.strides()[ax];
            rem /= shape[ax];
        }
        if is == 1 {
            orow.copy_from_slice(&data[o..o + inner]);
        } else {
            for (j, v) in orow.iter_mut().enumerate() {
                *v = data[o + j * is];
            }
        }
    };
    if n >= PAR_MIN {
        out.par_chunks_mut(inner).enumerate().for_each(row);
    } else {
        out.chunks_mut(inner).enumerate().for_each(row);
    }
    out
}

/// `y += alpha · x` (BLAS axpy), in place.
pub fn axpy(y: &mut [f32], alpha: f32, x: &[f32]) {
    let f = |(yi, &xi): (&mut f32, &f32)| *yi += alpha * xi;
    if y.len() >= PAR_MIN {
        y.par_iter_mut().zip(x.par_iter()).for_each(f);
    } else {
        y.iter_mut().zip(x).for_each(f);
    }
}
