//! Elementwise kernels: unary maps and broadcasting binary ops over strided inputs.

use rayon::prelude::*;

use super::PAR_MIN;
use crate::layout::Layout;
use crate::op::{BinaryOp, UnaryOp};

/// `$run(args.., f)` with `f = |v| op.apply(v)` for a unary `op` that is a constant inside
/// `f`: `apply`'s `match` folds away and the loop over the elements vectorises. (With the op a
/// run-time value the `match` runs per element through a jump table: leaky relu, tanh and the
/// relu derivative ran at a fraction of memory speed, 10% of a CoopNets iteration.)
macro_rules! per_unary_op {
    ($op:expr, $run:ident($($arg:expr),*)) => {{
        use $crate::op::UnaryOp::*;
        match $op {
            Neg => $run($($arg,)* |v| Neg.apply(v)),
            Exp => $run($($arg,)* |v| Exp.apply(v)),
            Log => $run($($arg,)* |v| Log.apply(v)),
            Sqrt => $run($($arg,)* |v| Sqrt.apply(v)),
            Square => $run($($arg,)* |v| Square.apply(v)),
            Abs => $run($($arg,)* |v| Abs.apply(v)),
            Relu => $run($($arg,)* |v| Relu.apply(v)),
            LeakyRelu(s) => $run($($arg,)* move |v| LeakyRelu(s).apply(v)),
            Tanh => $run($($arg,)* |v| Tanh.apply(v)),
            Sigmoid => $run($($arg,)* |v| Sigmoid.apply(v)),
            Affine { mul, add } => $run($($arg,)* move |v| Affine { mul, add }.apply(v)),
            Powf(p) => $run($($arg,)* move |v| Powf(p).apply(v)),
            Clamp(lo, hi) => $run($($arg,)* move |v| Clamp(lo, hi).apply(v)),
            Step => $run($($arg,)* |v| Step.apply(v)),
            Sign => $run($($arg,)* |v| Sign.apply(v)),
            Recip => $run($($arg,)* |v| Recip.apply(v)),
        }
    }};
}

/// `out[i] = op(x[i])`.
pub fn unary(x: &[f32], op: UnaryOp) -> Vec<f32> {
    per_unary_op!(op, unary_with(x))
}

/// `x[i] = op(x[i])`, in place.
pub fn map_in_place(x: &mut [f32], op: UnaryOp) {
    per_unary_op!(op, map_with(x))
}

fn map_with<F: Fn(f32) -> f32 + Sync + Send>(x: &mut [f32], op: F) {
    if x.len() >= PAR_MIN {
        x.par_iter_mut().for_each(|v| *v = op(*v));
    } else {
        x.iter_mut().for_each(|v| *v = op(*v));
    }
}

fn unary_with<F: Fn(f32) -> f32 + Sync + Send>(x: &[f32], op: F) -> Vec<f32> {
    // collected, not written into a zeroed buffer: no memset pass before the map's own pass
    if x.len() >= PAR_MIN {
        x.par_iter().map(|&v| op(v)).collect()
    } else {
        x.iter().map(|&v| op(v)).collect()
    }
}

/// `out = op(a, b)` where `a` and `b` are already broadcast to the same shape (strides may be 0).
///
/// The output is contiguous. The innermost axis is a tight loop with the two input strides;
/// the outer axes are walked per row, rows in parallel. The op is matched once, outside the
/// loops, so each loop is compiled for one op and vectorised (a `match` per element is not;
/// see `per_unary_op!` above).
pub fn binary(a: (&[f32], &Layout), b: (&[f32], &Layout), op: BinaryOp) -> Vec<f32> {
    use BinaryOp::*;
    match op {
        Add => binary_with(a, b, |x, y| Add.apply(x, y)),
        Sub => binary_with(a, b, |x, y| Sub.apply(x, y)),
        Mul => binary_with(a, b, |x, y| Mul.apply(x, y)),
        Div => binary_with(a, b, |x, y| Div.apply(x, y)),
        Maximum => binary_with(a, b, |x, y| Maximum.apply(x, y)),
        Minimum => binary_with(a, b, |x, y| Minimum.apply(x, y)),
        Gt => binary_with(a, b, |x, y| Gt.apply(x, y)),
        Eq => binary_with(a, b, |x, y| Eq.apply(x, y)),
        MaskPositive => binary_with(a, b, |x, y| MaskPositive.apply(x, y)),
    }
}

fn binary_with<F: Fn(f32, f32) -> f32 + Sync>(a: (&[f32], &Layout), b: (&[f32], &Layout), op: F) -> Vec<f32> {
    let (da, la) = a;
    let (db, lb) = b;
    let shape = la.shape();
    let n = la.numel();
    if la.is_contiguous() && lb.is_contiguous() {
        let (sa, sb) = (&da[la.offset()..la.offset() + n], &db[lb.offset()..lb.offset() + n]);
        let f = |(&x, &y): (&f32, &f32)| op(x, y);
        return if n >= PAR_MIN { sa.par_iter().zip(sb).map(f).collect() } else { sa.iter().zip(sb).map(f).collect() };
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

/// `y ← a·y + b·x` (BLAS axpby), in place; with `a = 1` the bits of `y += b·x` (axpy).
pub fn axpby(y: &mut [f32], a: f32, b: f32, x: &[f32]) {
    let f = |(yi, &xi): (&mut f32, &f32)| *yi = a * *yi + b * xi;
    if y.len() >= PAR_MIN {
        y.par_iter_mut().zip(x.par_iter()).for_each(f);
    } else {
        y.iter_mut().zip(x).for_each(f);
    }
}
