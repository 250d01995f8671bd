//! Convolutions that pad more after than before, on cuDNN: the input extended by zeros.
//!
//! cuDNN pads symmetrically: padding `p` on both sides of an axis of length `x` gives
//! `⌊(x + 2p − k)/s⌋ + 1` outputs. A [`ConvGeom`] pads `pad` before and whatever its `output`
//! implies after, which may be more than `p`: TF `SAME` with an odd total padding (1 before,
//! 2 after), and the transposed convolutions of ABP's generators, which crop `[1, 2]`
//! (their backward-data geometry pads 1 before and 2 after). Appending `e` zeros to the input
//! changes nothing that the windows read (the zeros stand where the padding was) and, for the
//! right `e`, makes cuDNN's count the geometry's own ([`extension`]). So a pass runs on cuDNN
//! with the geometry [`extended`], on buffers [`Staged`] for it:
//!
//! * forward and backward filter read `x`: they read a copy of it with the zeros appended;
//! * backward data writes `dx`: cuDNN writes a larger `dx'`, and `dx` is its leading block
//!   (the appended positions' gradients belong to no input and are dropped).
//!
//! Padding more *before* than after (e.g. `(2, 0)` where cuDNN's `(2, 2)` would add an output)
//! would need the output cropped instead; those stay on im2col.

use super::cudnn::Pass;
use super::elementwise::{copy_into, pad};
use super::storage::CudaStorage;
use crate::error::Result;
use crate::layout::Layout;
use crate::op::ConvGeom;

/// The zeros to append to each input axis of `g` so that cuDNN's symmetric padding `g.pad`
/// reads exactly `g`'s windows, or `None` if no number does (or a tensor would be empty or
/// too large for cuDNN's C `int` indices). `Some([0, 0, 0])`: cuDNN takes `g` as it is.
pub(crate) fn extension(g: &ConvGeom) -> Option<[usize; 3]> {
    let mut ext = [0; 3];
    for (i, e) in ext.iter_mut().enumerate() {
        let (x, k, s, p, o) = (g.input[i], g.kernel[i], g.stride[i], g.pad[i], g.output[i]);
        if s == 0 || o == 0 {
            return None;
        }
        // cuDNN's outputs grow with the zeros appended: take the fewest that reach `o`
        *e = ((o - 1) * s + k).saturating_sub(x + 2 * p);
        let outputs = (x + *e + 2 * p).checked_sub(k).map(|r| r / s + 1);
        if outputs != Some(o) {
            return None;
        }
    }
    let fits = |n: usize| n > 0 && n <= i32::MAX as usize;
    let gc = extended(g, ext);
    (fits(g.n * gc.input_len()) && fits(g.n * g.c_out * g.p()) && fits(g.c_out * g.k())).then_some(ext)
}

/// `g` with `ext` zeros appended to each input axis.
pub(crate) fn extended(g: &ConvGeom, ext: [usize; 3]) -> ConvGeom {
    let mut gc = g.clone();
    (0..3).for_each(|i| gc.input[i] += ext[i]);
    gc
}

/// The buffers cuDNN runs one pass of `g` on: the caller's, or (when the input is extended)
/// a zero-padded copy of `x` or a larger `dx'`, which [`Staged::finish`] crops into `dx`.
pub(super) struct Staged {
    /// cuDNN's geometry: [`extended`].
    pub gc: ConvGeom,
    /// [x, w, y] for cuDNN.
    pub ptrs: [u64; 3],
    /// The padded `x` or the larger `dx'`, when the input is extended.
    scratch: Option<CudaStorage>,
}

impl Staged {
    /// Stage `pass` of `g` on `ptrs` = [x, w, y], `io` being the buffer at `ptrs[0]` (x, or dx
    /// for backward data), for cuDNN's geometry with `ext` zeros appended.
    pub(super) fn new(g: &ConvGeom, ext: [usize; 3], pass: Pass, io: &CudaStorage, ptrs: [u64; 3]) -> Result<Staged> {
        let gc = extended(g, ext);
        if ext == [0; 3] {
            return Ok(Staged { gc, ptrs, scratch: None });
        }
        let scratch = match pass {
            Pass::Forward | Pass::Filter => {
                let shape = [g.n, g.c_in, g.input[0], g.input[1], g.input[2]];
                let pads = [(0, 0), (0, 0), (0, ext[0]), (0, ext[1]), (0, ext[2])];
                pad(io, &shape, &pads, 0.0)?
            }
            Pass::Data => CudaStorage::alloc(io.cuda_device(), g.n * gc.input_len())?,
        };
        Ok(Staged { gc, ptrs: [scratch.ptr(), ptrs[1], ptrs[2]], scratch: Some(scratch) })
    }

    /// After cuDNN ran: for backward data on an extended input, copy the leading block of
    /// `dx'` into `dx` (`io`).
    pub(super) fn finish(&self, g: &ConvGeom, pass: Pass, io: &CudaStorage) -> Result<()> {
        let (Pass::Data, Some(dx_ext)) = (pass, &self.scratch) else { return Ok(()) };
        let full = [g.n, g.c_in, self.gc.input[0], self.gc.input[1], self.gc.input[2]];
        let mut block = Layout::contiguous(&full);
        for i in 0..3 {
            block = block.narrow(2 + i, 0, g.input[i])?;
        }
        copy_into(io.ptr(), dx_ext, &block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1-d geometry: `input` long, padded `pad.0` before and `pad.1` after.
    fn geom(input: usize, kernel: usize, stride: usize, pad: (usize, usize)) -> ConvGeom {
        let output = (input + pad.0 + pad.1 - kernel) / stride + 1;
        ConvGeom {
            n: 2,
            c_in: 3,
            c_out: 4,
            input: [1, 1, input],
            kernel: [1, 1, kernel],
            output: [1, 1, output],
            stride: [1, 1, stride],
            pad: [0, 0, pad.0],
        }
    }

    #[test]
    fn cudnn_takes_as_they_are_the_geometries_its_symmetric_padding_expresses() {
        assert_eq!(extension(&geom(17, 5, 2, (1, 1))), Some([0; 3]));
        assert_eq!(extension(&geom(64, 15, 3, (0, 0))), Some([0; 3]));
        // (2, 1) with stride 2: the pixel after is never reached, so (2, 2) is the same conv
        assert_eq!(extension(&geom(16, 5, 2, (2, 1))), Some([0; 3]));
        let mut g3 = geom(9, 3, 3, (1, 1));
        (g3.input[0], g3.kernel[0], g3.output[0], g3.stride[0], g3.pad[0]) = (9, 3, 3, 3, 1);
        assert_eq!(extension(&g3), Some([0; 3]));
    }

    #[test]
    fn more_padding_after_is_zeros_appended_to_the_input() {
        // TF SAME, odd total padding: (1, 2) gives 10 outputs, cuDNN's (1, 1) 9, and 10 with one zero more
        assert_eq!(extension(&geom(10, 4, 1, (1, 2))), Some([0, 0, 1]));
        assert_eq!(extension(&geom(11, 3, 1, (0, 2))), Some([0, 0, 2]));
        // 5 outputs, (0, 0) gives 4
        assert_eq!(extension(&geom(10, 3, 2, (0, 1))), Some([0, 0, 1]));
        // ABP's convT 5×5 up 2 crop [1, 2], 8 → 16: backward data of a conv padded (1, 2)
        let g = geom(16, 5, 2, (1, 2));
        assert_eq!((g.output[2], extension(&g)), (8, Some([0, 0, 1])));
        let gc = extended(&g, [0, 0, 1]);
        assert_eq!((gc.input[2] + 2 * gc.pad[2] - gc.kernel[2]) / gc.stride[2] + 1, 8, "cuDNN's count");
    }

    #[test]
    fn more_padding_before_or_nothing_to_compute_stays_on_im2col() {
        assert_eq!(extension(&geom(8, 3, 2, (2, 0))), None); // (2, 2) would add an output
        assert_eq!(extension(&geom(10, 3, 1, (1, 0))), None);
        assert_eq!(extension(&ConvGeom { n: 0, ..geom(17, 5, 2, (1, 1)) }), None); // empty batch
        assert_eq!(extension(&ConvGeom { c_out: 0, ..geom(17, 5, 2, (1, 1)) }), None);
    }
}
