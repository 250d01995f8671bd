//! Copies that move blocks of memory: concatenation and constant padding.

/// Concatenate contiguous tensors along `axis`. `shapes[i]` is the shape of `parts[i]`;
/// all agree except on `axis`.
pub fn cat(parts: &[&[f32]], shapes: &[Vec<usize>], axis: usize) -> Vec<f32> {
    let outer: usize = shapes[0][..axis].iter().product();
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(total);
    // each part contributes a block of (its axis size × inner) per outer index
    let blocks: Vec<usize> = shapes.iter().map(|s| s[axis..].iter().product()).collect();
    for o in 0..outer {
        for (p, &blk) in parts.iter().zip(&blocks) {
            out.extend_from_slice(&p[o * blk..(o + 1) * blk]);
        }
    }
    out
}

/// Pad a contiguous tensor with `value`: axis `i` gets `pads[i].0` before and `pads[i].1` after.
pub fn pad(x: &[f32], shape: &[usize], pads: &[(usize, usize)], value: f32) -> (Vec<f32>, Vec<usize>) {
    let out_shape: Vec<usize> = shape.iter().zip(pads).map(|(&d, &(b, e))| d + b + e).collect();
    let mut out = vec![value; out_shape.iter().product()];
    let rank = shape.len();
    if x.is_empty() {
        return (out, out_shape);
    }
    if rank == 0 {
        out[0] = x[0];
        return (out, out_shape);
    }
    let out_strides = crate::layout::contiguous_strides(&out_shape);
    let inner = shape[rank - 1];
    let rows = x.len() / inner;
    for r in 0..rows {
        // coordinates of row r of x, shifted by the "before" pads
        let (mut rem, mut dst) = (r, pads[rank - 1].0);
        for ax in (0..rank - 1).rev() {
            let c = rem % shape[ax];
            rem /= shape[ax];
            dst += (c + pads[ax].0) * out_strides[ax];
        }
        out[dst..dst + inner].copy_from_slice(&x[r * inner..(r + 1) * inner]);
    }
    (out, out_shape)
}
