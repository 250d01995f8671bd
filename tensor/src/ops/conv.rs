//! Convolution and transposed convolution in 1, 2 and 3 spatial dimensions.
//!
//! Layouts are PyTorch's: input `[N, C_in, (D,) (H,) W]`; conv weight `[C_out, C_in, k..]`;
//! conv-transpose weight `[C_in, C_out, k..]`. Padding is per axis and may be asymmetric
//! (`(before, after)`), which covers TensorFlow `SAME` (extra pixel after, see
//! [`tf_same_padding`]) and MatConvNet's asymmetric crops. For a transposed convolution the
//! padding is the crop taken off the full output `(in − 1)·stride + k`; PyTorch's
//! `output_padding = op` is a crop of `(p, p − op)`.

use crate::backend::BackendStorage;
use crate::device::{dispatch2, Storage};
use crate::error::{invalid_shape, Result, TensorError};
use crate::op::ConvGeom;
use crate::Tensor;

/// Stride and padding of a convolution (candle-style per-op parameter struct).
///
/// A single entry applies to every spatial axis; otherwise give one entry per axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvParams {
    pub stride: Vec<usize>,
    /// `(before, after)` per spatial axis; for conv-transpose, the crop.
    pub padding: Vec<(usize, usize)>,
}

impl Default for ConvParams {
    fn default() -> Self {
        ConvParams { stride: vec![1], padding: vec![(0, 0)] }
    }
}

impl ConvParams {
    /// Same stride and symmetric padding on every axis (PyTorch's `stride=s, padding=p`).
    pub fn new(stride: usize, padding: usize) -> Self {
        ConvParams { stride: vec![stride], padding: vec![(padding, padding)] }
    }
    /// Per-axis strides and `(before, after)` paddings.
    pub fn asymmetric(stride: &[usize], padding: &[(usize, usize)]) -> Self {
        ConvParams { stride: stride.to_vec(), padding: padding.to_vec() }
    }
    /// TensorFlow `padding='SAME'` for a convolution of `input` (spatial sizes) with `kernel`.
    pub fn tf_same(input: &[usize], kernel: &[usize], stride: &[usize]) -> Self {
        let padding =
            (0..input.len()).map(|i| tf_same_padding(input[i], kernel[i], stride[i.min(stride.len() - 1)])).collect();
        ConvParams { stride: stride.to_vec(), padding }
    }

    /// Per-axis (strides, paddings) for `dims` spatial axes.
    #[allow(clippy::type_complexity)]
    fn resolve(&self, dims: usize, op: &'static str) -> Result<(Vec<usize>, Vec<(usize, usize)>)> {
        let per_axis = |len: usize| -> Result<()> {
            if len == 1 || len == dims {
                Ok(())
            } else {
                Err(invalid_shape(op, format!("{len} stride/padding entries for {dims} spatial axes")))
            }
        };
        per_axis(self.stride.len())?;
        per_axis(self.padding.len())?;
        let stride: Vec<usize> = (0..dims).map(|i| self.stride[i.min(self.stride.len() - 1)]).collect();
        if stride.contains(&0) {
            return Err(invalid_shape(op, "stride 0"));
        }
        Ok((stride, (0..dims).map(|i| self.padding[i.min(self.padding.len() - 1)]).collect()))
    }
}

/// TensorFlow `SAME` padding of one axis: output `ceil(in/stride)`, total padding
/// `max((out − 1)·s + k − in, 0)`, the odd pixel after.
pub fn tf_same_padding(input: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let stride = stride.max(1); // stride 0 is rejected when the conv runs
    let out = input.div_ceil(stride);
    let total = (out.saturating_sub(1) * stride + kernel).saturating_sub(input);
    (total / 2, total - total / 2)
}

/// Pad the spatial sizes of an `[N, C, s..]` shape to 3 axes (leading 1s).
fn to3(s: &[usize], fill: usize) -> [usize; 3] {
    let mut a = [fill; 3];
    a[3 - s.len()..].copy_from_slice(s);
    a
}

/// Geometry of the convolution that maps `input` (spatial) to its output, checked.
fn conv_geom(
    op: &'static str,
    x_shape: &[usize],
    w_shape: &[usize],
    p: &ConvParams,
    transposed: bool,
) -> Result<ConvGeom> {
    let dims = x_shape.len().saturating_sub(2);
    if !(1..=3).contains(&dims) || w_shape.len() != x_shape.len() {
        return Err(invalid_shape(op, format!("input {x_shape:?} and weight {w_shape:?}: need [N, C, spatial..] of rank 3-5 and a weight of the same rank")));
    }
    let (stride, pad) = p.resolve(dims, op)?;
    let kernel = &w_shape[2..];
    if kernel.contains(&0) {
        return Err(invalid_shape(op, format!("empty kernel {kernel:?}")));
    }
    let (n, c) = (x_shape[0], x_shape[1]);
    let mismatch = || TensorError::ShapeMismatch { op, lhs: x_shape.to_vec(), rhs: w_shape.to_vec() };
    let spatial = &x_shape[2..];
    let mut other = vec![0; dims];
    for i in 0..dims {
        let (b, e) = pad[i];
        other[i] = if transposed {
            // full output (in − 1)·s + k, minus the crops
            ((spatial[i].max(1) - 1) * stride[i] + kernel[i]).checked_sub(b + e).filter(|&o| o > 0 && spatial[i] > 0)
        } else {
            (spatial[i] + b + e).checked_sub(kernel[i]).map(|v| v / stride[i] + 1)
        }
        .ok_or_else(|| {
            invalid_shape(
                op,
                format!("kernel {kernel:?} with stride {stride:?} and padding {pad:?} does not fit input {x_shape:?}"),
            )
        })?;
    }
    if transposed {
        // y = conv-adjoint: the conv this is the adjoint of maps y (C_out of convT) → x (C_in)
        if w_shape[0] != c {
            return Err(mismatch());
        }
        Ok(ConvGeom {
            n,
            c_in: w_shape[1],
            c_out: c,
            input: to3(&other, 1),
            kernel: to3(kernel, 1),
            output: to3(spatial, 1),
            stride: to3(&stride, 1),
            pad: to3(&pad.iter().map(|p| p.0).collect::<Vec<_>>(), 0),
        })
    } else {
        if w_shape[1] != c {
            return Err(mismatch());
        }
        Ok(ConvGeom {
            n,
            c_in: c,
            c_out: w_shape[0],
            input: to3(spatial, 1),
            kernel: to3(kernel, 1),
            output: to3(&other, 1),
            stride: to3(&stride, 1),
            pad: to3(&pad.iter().map(|p| p.0).collect::<Vec<_>>(), 0),
        })
    }
}

fn check_bias(op: &'static str, bias: Option<&Tensor>, channels: usize) -> Result<()> {
    match bias {
        Some(b) if b.shape() != [channels] => {
            Err(invalid_shape(op, format!("bias of shape {:?}, expected [{channels}]", b.shape())))
        }
        _ => Ok(()),
    }
}

fn spatial_of(g: &ConvGeom, dims: usize) -> Vec<usize> {
    g.output[3 - dims..].to_vec()
}

impl Tensor {
    /// Convolution of any spatial rank (1-3), dispatched on `self.rank()`.
    pub fn conv(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        let g = conv_geom("conv", self.shape(), weight.shape(), p, false)?;
        check_bias("conv", bias, g.c_out)?;
        let dims = self.rank() - 2;
        let (x, w) = (self.contiguous_storage(), weight.contiguous_storage());
        let b = bias.map(|b| b.contiguous_storage());
        let y = match (&*x, &*w, b.as_deref()) {
            (Storage::Cpu(x), Storage::Cpu(w), None) => x.conv_forward(w, None, &g).map(Storage::Cpu),
            (Storage::Cpu(x), Storage::Cpu(w), Some(Storage::Cpu(b))) => {
                x.conv_forward(w, Some(b), &g).map(Storage::Cpu)
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(x), Storage::Cuda(w), None) => x.conv_forward(w, None, &g).map(Storage::Cuda),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(x), Storage::Cuda(w), Some(Storage::Cuda(b))) => {
                x.conv_forward(w, Some(b), &g).map(Storage::Cuda)
            }
            #[allow(unreachable_patterns)]
            (x, w, _) => Err(TensorError::DeviceMismatch {
                op: "conv",
                lhs: x.device().to_string(),
                rhs: format!("{} (weight or bias)", w.device()),
            }),
        }?;
        let shape = [&[g.n, g.c_out][..], &spatial_of(&g, dims)].concat();
        Ok(Tensor::from_storage(y, &shape))
    }

    /// `[N, C_in, L]` ⋆ `[C_out, C_in, k]`.
    pub fn conv1d(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        self.expect_rank("conv1d", 3)?;
        self.conv(weight, bias, p)
    }
    /// `[N, C_in, H, W]` ⋆ `[C_out, C_in, kh, kw]`.
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        self.expect_rank("conv2d", 4)?;
        self.conv(weight, bias, p)
    }
    /// `[N, C_in, D, H, W]` ⋆ `[C_out, C_in, kd, kh, kw]`.
    pub fn conv3d(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        self.expect_rank("conv3d", 5)?;
        self.conv(weight, bias, p)
    }

    /// Transposed convolution (the adjoint of `conv`), any spatial rank; weight
    /// `[C_in, C_out, k..]`. Output size `(in − 1)·stride + k − crop_before − crop_after`.
    pub fn conv_transpose(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        let g = conv_geom("conv_transpose", self.shape(), weight.shape(), p, true)?;
        check_bias("conv_transpose", bias, g.c_in)?;
        let dims = self.rank() - 2;
        let (x, w) = (self.contiguous_storage(), weight.contiguous_storage());
        let y = dispatch2!("conv_transpose", &*x, &*w, (x, w) => wrap x.conv_backward_data(w, &g))?;
        let spatial: Vec<usize> = g.input[3 - dims..].to_vec();
        let y = Tensor::from_storage(y, &[&[g.n, g.c_in][..], &spatial].concat());
        match bias {
            // + b[c] on every position of channel c
            Some(b) => y.add(&b.reshape(&[[1, g.c_in].as_slice(), &vec![1; dims]].concat())?),
            None => Ok(y),
        }
    }
    pub fn conv_transpose1d(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        self.expect_rank("conv_transpose1d", 3)?;
        self.conv_transpose(weight, bias, p)
    }
    pub fn conv_transpose2d(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        self.expect_rank("conv_transpose2d", 4)?;
        self.conv_transpose(weight, bias, p)
    }
    pub fn conv_transpose3d(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        self.expect_rank("conv_transpose3d", 5)?;
        self.conv_transpose(weight, bias, p)
    }

    /// Gradient of `conv(x, w)` with respect to `x`, given the output gradient `self` = dy:
    /// `dx = conv_transposeᵀ…` computed as col2im(Wᵀ·dy). `input_shape` is x's shape.
    pub fn conv_backward_data(&self, weight: &Tensor, input_shape: &[usize], p: &ConvParams) -> Result<Tensor> {
        let g = conv_geom("conv_backward_data", input_shape, weight.shape(), p, false)?;
        if self.shape() != [&[g.n, g.c_out][..], &spatial_of(&g, input_shape.len() - 2)].concat() {
            return Err(TensorError::ShapeMismatch {
                op: "conv_backward_data",
                lhs: self.shape().to_vec(),
                rhs: input_shape.to_vec(),
            });
        }
        let (dy, w) = (self.contiguous_storage(), weight.contiguous_storage());
        let dx = dispatch2!("conv_backward_data", &*dy, &*w, (dy, w) => wrap dy.conv_backward_data(w, &g))?;
        Ok(Tensor::from_storage(dx, input_shape))
    }

    /// Gradient of `conv(x, w)` with respect to `w` (shape `weight_shape`), given dy = `dy`
    /// and the input x = `self`: `dW = Σ_n dy_n · im2col(x_n)ᵀ`.
    pub fn conv_backward_weight(&self, dy: &Tensor, weight_shape: &[usize], p: &ConvParams) -> Result<Tensor> {
        let g = conv_geom("conv_backward_weight", self.shape(), weight_shape, p, false)?;
        if dy.shape() != [&[g.n, g.c_out][..], &spatial_of(&g, self.rank() - 2)].concat() {
            return Err(TensorError::ShapeMismatch {
                op: "conv_backward_weight",
                lhs: dy.shape().to_vec(),
                rhs: self.shape().to_vec(),
            });
        }
        let (x, dy) = (self.contiguous_storage(), dy.contiguous_storage());
        let dw = dispatch2!("conv_backward_weight", &*x, &*dy, (x, dy) => wrap x.conv_backward_weight(dy, &g))?;
        Ok(Tensor::from_storage(dw, weight_shape))
    }

    fn expect_rank(&self, op: &'static str, rank: usize) -> Result<()> {
        if self.rank() != rank {
            return Err(invalid_shape(op, format!("expected a rank-{rank} input, got shape {:?}", self.shape())));
        }
        Ok(())
    }
}
