//! [`CpuStorage`]: the CPU backend behind the seam. Each method hands its slices to a kernel
//! in this folder.

use ndarray::IxDyn;
use ndarray_rand::RandomExt;
use rand::RngCore;
use rand_distr::{Normal, Uniform};
use rayon::prelude::*;

use super::matmul::{self, MatRef};
use super::{channel, conv, copy, elementwise, normal, reduce, SendPtr, PAR_MIN};
use crate::backend::{BackendStorage, MatmulDims};
use crate::device::Device;
use crate::error::{invalid_arg, Result};
use crate::layout::Layout;
use crate::op::{AdamStep, BinaryOp, ConvGeom, ReduceOp, UnaryOp};

/// A row-major `f32` buffer in host memory.
#[derive(Clone, Debug, Default)]
pub struct CpuStorage(pub Vec<f32>);

impl CpuStorage {
    /// The elements `l` selects, borrowed when contiguous, copied otherwise.
    fn with_slice<R>(&self, l: &Layout, f: impl FnOnce(&[f32]) -> R) -> R {
        if l.is_contiguous() {
            f(&self.0[l.offset()..l.offset() + l.numel()])
        } else {
            f(&elementwise::strided_copy(&self.0, l))
        }
    }

    fn mat<'a>(&'a self, l: &Layout, offset: usize, axis: usize) -> MatRef<'a> {
        MatRef { data: &self.0, offset, row_stride: l.strides()[axis], col_stride: l.strides()[axis + 1] }
    }
}

/// Offset of batch entry `i` (row-major over `batch`) in a layout whose first axes are `batch`.
fn batch_offset(l: &Layout, batch: &[usize], mut i: usize) -> usize {
    let mut o = l.offset();
    for ax in (0..batch.len()).rev() {
        o += (i % batch[ax]) * l.strides()[ax];
        i /= batch[ax];
    }
    o
}

impl BackendStorage for CpuStorage {
    fn device(&self) -> Device {
        Device::Cpu
    }
    fn len(&self) -> usize {
        self.0.len()
    }

    fn from_host(_: &Device, data: Vec<f32>) -> Result<Self> {
        Ok(CpuStorage(data))
    }
    fn full(_: &Device, len: usize, v: f32) -> Result<Self> {
        Ok(CpuStorage(vec![v; len]))
    }
    fn to_host(&self, l: &Layout) -> Result<Vec<f32>> {
        Ok(self.with_slice(l, |s| s.to_vec()))
    }
    fn copy_strided(&self, l: &Layout) -> Result<Self> {
        self.to_host(l).map(CpuStorage)
    }

    fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Self> {
        Ok(CpuStorage(self.with_slice(l, |x| elementwise::unary(x, op))))
    }
    fn binary(&self, la: &Layout, rhs: &Self, lb: &Layout, op: BinaryOp) -> Result<Self> {
        Ok(CpuStorage(elementwise::binary((&self.0, la), (&rhs.0, lb), op)))
    }

    fn reduce_axes(&self, l: &Layout, reduced: &[bool], op: ReduceOp) -> Result<Self> {
        Ok(CpuStorage(self.with_slice(l, |x| reduce::reduce_axes(x, l.shape(), reduced, op))))
    }
    fn reduce_all(&self, l: &Layout, op: ReduceOp) -> Result<f32> {
        Ok(self.with_slice(l, |x| reduce::reduce_all(x, op)))
    }
    fn first_non_finite(&self, l: &Layout) -> Result<Option<usize>> {
        Ok(self.with_slice(l, |x| x.iter().position(|v| !v.is_finite())))
    }
    fn first_non_finite_into(&self, l: &Layout, slots: &mut Self, slot: usize) -> Result<()> {
        if let Some(i) = self.first_non_finite(l)? {
            let cell = &mut slots.0[slot];
            let index = u32::try_from(i).unwrap_or(u32::MAX - 1).min(u32::MAX - 1);
            *cell = f32::from_bits(cell.to_bits().min(index));
        }
        Ok(())
    }

    fn channel_sums(
        &self,
        b: &Self,
        shift: Option<(&Self, f32)>,
        center: bool,
        ncs: (usize, usize, usize),
    ) -> Result<Self> {
        let shift = shift.map(|(t, scale)| (t.0.as_slice(), scale));
        Ok(CpuStorage(channel::channel_sums(&self.0, &b.0, shift, center, ncs)))
    }
    fn channel_affine(&self, y: &Self, coef: &Self, n: usize, c: usize, s: usize) -> Result<Self> {
        Ok(CpuStorage(channel::channel_affine(&self.0, &y.0, &coef.0, (n, c, s))))
    }
    fn batch_norm_coefficients(&self, gamma: &Self, beta: &Self, c: usize, m: f32, eps: f32) -> Result<Self> {
        Ok(CpuStorage(channel::batch_norm_coefficients(&self.0, &gamma.0, &beta.0, c, m, eps)))
    }
    fn batch_norm_grad_coefficients(&self, fwd: &Self, c: usize, m: f32) -> Result<Self> {
        Ok(CpuStorage(channel::batch_norm_grad_coefficients(&self.0, &fwd.0, c, m)))
    }

    fn matmul(&self, la: &Layout, rhs: &Self, lb: &Layout, d: &MatmulDims) -> Result<Self> {
        let (m, k, n, r) = (d.m, d.k, d.n, d.batch.len());
        if r == 0 {
            let (a, b) = (self.mat(la, la.offset(), 0), rhs.mat(lb, lb.offset(), 0));
            return Ok(CpuStorage(matmul::matmul(m, k, n, a, b)));
        }
        // one single-threaded sgemm per batch entry, entries in parallel
        let nb: usize = d.batch.iter().product();
        let mut out = vec![0.0f32; nb * m * n];
        let op = SendPtr(out.as_mut_ptr());
        (0..nb).into_par_iter().for_each(|i| {
            let a = self.mat(la, batch_offset(la, &d.batch, i), r);
            let b = rhs.mat(lb, batch_offset(lb, &d.batch, i), r);
            // SAFETY: batch entry i writes its own m×n block of `out`.
            unsafe { matmul::sgemm_raw(m, k, n, 1.0, a, b, 0.0, op.get().add(i * m * n), n, 1) };
        });
        Ok(CpuStorage(out))
    }
    fn conv_forward(&self, w: &Self, bias: Option<&Self>, g: &ConvGeom) -> Result<Self> {
        Ok(CpuStorage(conv::conv_forward(g, &self.0, &w.0, bias.map(|b| b.0.as_slice()))))
    }
    fn conv_backward_data(&self, w: &Self, g: &ConvGeom) -> Result<Self> {
        Ok(CpuStorage(conv::conv_backward_data(g, &self.0, &w.0)))
    }
    fn conv_backward_weight(&self, dy: &Self, g: &ConvGeom) -> Result<Self> {
        Ok(CpuStorage(conv::conv_backward_weight(g, &self.0, &dy.0)))
    }

    fn cat(parts: &[&Self], shapes: &[Vec<usize>], axis: usize) -> Result<Self> {
        let slices: Vec<&[f32]> = parts.iter().map(|p| p.0.as_slice()).collect();
        Ok(CpuStorage(copy::cat(&slices, shapes, axis)))
    }
    fn pad(&self, shape: &[usize], pads: &[(usize, usize)], value: f32) -> Result<Self> {
        Ok(CpuStorage(copy::pad(&self.0, shape, pads, value).0))
    }

    fn axpby_(&mut self, a: f32, b: f32, x: &Self, lx: &Layout) -> Result<()> {
        x.with_slice(lx, |xs| elementwise::axpby(&mut self.0, a, b, xs));
        Ok(())
    }
    fn map_(&mut self, op: UnaryOp) -> Result<()> {
        elementwise::map_in_place(&mut self.0, op);
        Ok(())
    }
    fn assign_(&mut self, src: &Self, ls: &Layout) -> Result<()> {
        src.with_slice(ls, |s| self.0.copy_from_slice(s));
        Ok(())
    }
    fn masked_assign_(&mut self, mask: &Self, lm: &Layout, src: &Self, ls: &Layout) -> Result<()> {
        mask.with_slice(lm, |ms| {
            src.with_slice(ls, |ss| {
                for ((d, &mv), &sv) in self.0.iter_mut().zip(ms).zip(ss) {
                    if mv != 0.0 {
                        *d = sv;
                    }
                }
            })
        });
        Ok(())
    }
    /// The drift pass, then the noise drawn element by element in row-major order (one
    /// stream: the numbers do not depend on the thread count).
    fn langevin_(&mut self, a: f32, g: Option<(&Self, &Layout)>, b: f32, rng: &mut dyn RngCore) -> Result<()> {
        if let Some((g, lg)) = g {
            self.axpby_(1.0, a, g, lg)?;
        }
        let values = &mut self.0;
        normal::standard_normals(rng, values.len(), |i, z| values[i] += b * z);
        Ok(())
    }

    /// One pass: `v ← μ·v + g`, `p ← p + step·v`, element by element.
    fn sgd_momentum_(&mut self, v: &mut Self, g: &Self, lg: &Layout, momentum: f32, step: f32) -> Result<()> {
        g.with_slice(lg, |gs| {
            // the arithmetic of `scale_` then `axpy_` then `axpy_`, so that the fused update
            // gives the same bits as the separate ops
            let f = |((p, v), &g): ((&mut f32, &mut f32), &f32)| {
                *v = momentum * *v + 0.0;
                *v += 1.0 * g;
                *p += step * *v;
            };
            if gs.len() >= PAR_MIN {
                self.0.par_iter_mut().zip(v.0.par_iter_mut()).zip(gs.par_iter()).for_each(f);
            } else {
                self.0.iter_mut().zip(v.0.iter_mut()).zip(gs).for_each(f);
            }
        });
        Ok(())
    }
    /// One pass over the elements: [`AdamStep::apply`].
    fn adam_(&mut self, m: &mut Self, v: &mut Self, g: &Self, lg: &Layout, s: &AdamStep) -> Result<()> {
        g.with_slice(lg, |gs| {
            let f = |(((p, m), v), &g): (((&mut f32, &mut f32), &mut f32), &f32)| {
                (*p, *m, *v) = s.apply(*p, *m, *v, g);
            };
            if gs.len() >= PAR_MIN {
                self.0.par_iter_mut().zip(m.0.par_iter_mut()).zip(v.0.par_iter_mut()).zip(gs.par_iter()).for_each(f);
            } else {
                self.0.iter_mut().zip(m.0.iter_mut()).zip(v.0.iter_mut()).zip(gs).for_each(f);
            }
        });
        Ok(())
    }

    fn randn(_: &Device, shape: &[usize], mean: f32, std: f32, rng: &mut dyn RngCore) -> Result<Self> {
        let dist = Normal::new(mean, std).map_err(|e| invalid_arg("randn", format!("std {std}: {e}")))?;
        Ok(CpuStorage(ndarray::Array::random_using(IxDyn(shape), dist, rng).into_raw_vec_and_offset().0))
    }
    fn rand_uniform(_: &Device, shape: &[usize], lo: f32, hi: f32, rng: &mut dyn RngCore) -> Result<Self> {
        let dist = Uniform::new(lo, hi).map_err(|e| invalid_arg("rand_uniform", format!("[{lo}, {hi}): {e}")))?;
        Ok(CpuStorage(ndarray::Array::random_using(IxDyn(shape), dist, rng).into_raw_vec_and_offset().0))
    }
}
