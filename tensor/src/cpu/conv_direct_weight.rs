//! The weight gradient of a convolution of large maps, read in place from the zero-padded grid
//! of [`super::conv_direct`]: no `cols` matrix, no packing.
//!
//! With the input split into its stride phases and padded (grid channel c = (phase, ci), taps
//! u per phase, the flat offset `off_u` of each tap), the gradient is a sum over the output
//! positions o of the grid, image by image:
//!
//! ```text
//! dW[co, ci, s·u + a] = Σ_n Σ_o dy[n, co, o] · xp_n[(a, ci), o + off_u]
//! ```
//!
//! Rows of the result are (grid channel, tap along depth and height) groups of W taps along
//! the width, columns the output channels: [`super::tile_taps`] holds G groups × W taps × 16V
//! channels in registers and streams dy transposed (position-major, one row of channels per
//! position) against broadcasts of the padded map, read where it lies. im2col + GEMM instead
//! copies every tap of every position into `cols` and packs it again for the GEMM: the texture
//! net's weight gradients ran at 100–155 GFLOP/s that way on a Zen 5 (BENCHMARKS.md, stop 37).
//!
//! Each tile's accumulators live in memory between pieces of work: the output rows are taken
//! in blocks whose rows of dyᵀ stay in L1, and each entry is one chain of FMAs over the
//! images and positions in order, so the result does not depend on the blocks nor on the
//! number of threads (tasks own whole tiles).

use rayon::prelude::*;

use super::conv::ConvGeom;
use super::conv_direct::{enabled, grid_width, kernel_offset, phase_taps, Direct, Side, USEFUL};
use super::conv_direct_run::fill_window;
use super::tile::{available, transpose16, T};
use super::tile_taps::{max_vectors, taps_for, TapsFn, OUT};

/// Bytes of dyᵀ a block of output rows may read per tile (within the 48 KiB of a Zen 5's L1).
const BLOCK_BYTES: usize = 24 * 1024;

/// One tile: registers `col` .. `col + V` of the output channels, groups `group` .. `group + G`
/// (fewer in the last), run by `kernel`.
struct Tile {
    col: usize,
    group: usize,
    groups: usize,
    taps: usize,
    vectors: usize,
    kernel: TapsFn,
}

/// `dW = Σ_n dy_n ⋆ x_n` (the gradient of `conv_forward` with respect to its weight) when this
/// kernel takes `g`, else `None`. x: N × C_in × D × H × W, dy: N × C_out × P.
pub fn backward_weight(g: &ConvGeom, x: &[f32], dy: &[f32]) -> Option<Vec<f32>> {
    let taps = phase_taps(g);
    let read = Side { dims: g.input, stride: g.stride, before: g.pad };
    let write = Side { dims: g.output, stride: [1; 3], before: [0; 3] };
    let c_src = g.c_in * read.phases();
    let width = grid_width(&read, g.output[2], taps[2]);
    let d = Direct { c_src, c_dst: g.c_out, taps, out: g.output, read, write, rows: 1, vectors: 1, width };
    let tiles = plan(g, &d)?;
    // the grid, and the columns the last line's reads wrap into ([`grid_width`])
    let ld = d.padded().iter().product::<usize>() + d.taps[2];
    let ldb = g.c_out.next_multiple_of(T);
    let mut acc = vec![[0.0f32; OUT]; tiles.len()];
    let (mut window, mut dyt) = (vec![0.0f32; c_src * ld], vec![0.0f32; g.p() * ldb]);
    let (il, p) = (g.input_len(), g.p());
    // each output row of the grid: its first flat position in the padded grid, and in dy
    let [_, ph, pw] = d.padded();
    let [od, oh, ow] = d.out;
    let lines: Vec<(usize, usize)> = (0..od * oh).map(|q| ((q / oh * ph + q % oh) * pw, q * ow)).collect();
    for n in 0..g.n {
        rayon::join(
            || fill_window(&d, &x[n * il..(n + 1) * il], 0, ld, &mut window),
            // SAFETY: CPU checked by `plan`; ldb and dyt as made above.
            || unsafe { transpose(&dy[n * g.c_out * p..(n + 1) * g.c_out * p], g.c_out, ldb, &mut dyt) },
        );
        let parts = acc.len().min(4 * rayon::current_num_threads()).max(1);
        let per = acc.len().div_ceil(parts);
        acc.par_chunks_mut(per).enumerate().for_each(|(i, accs)| {
            // SAFETY: CPU checked by `plan`; the window holds the whole padded grid and
            // dyᵀ every position's ldb channels, zero past c_out.
            unsafe { run(&d, &tiles[i * per..i * per + accs.len()], &lines, (&window, ld), (&dyt, ldb), accs) }
        });
    }
    Some(scatter(g, &d, &tiles, &acc))
}

/// The tiles of `g`'s gradient, or `None` when this kernel does not take it: no tiles on this
/// CPU ([`available`]), no kernel for the taps along the width ([`taps_for`]: 2–5), fewer
/// than 16 output channels or no input channel or image, output rows shorter than 16 or fewer
/// than 256 outputs per image (the tiles' runs are the rows), or tiles doing more than
/// 1/[`USEFUL`] times the multiply-adds of im2col + GEMM (taps beyond the kernel in some phases, padded channels).
fn plan(g: &ConvGeom, d: &Direct) -> Option<Vec<Tile>> {
    let w = d.taps[2];
    let groups = d.c_src * d.taps[0] * d.taps[1];
    let (registers, mut tiles, mut work) = (g.c_out.div_ceil(T), Vec::new(), 0usize);
    let widest = max_vectors();
    for col in (0..registers).step_by(widest) {
        let vectors = (registers - col).min(widest);
        let (per, kernel) = taps_for(w, vectors)?;
        for group in (0..groups).step_by(per) {
            tiles.push(Tile { col, group, groups: per.min(groups - group), taps: w, vectors, kernel });
            work += per * w * vectors * T;
        }
    }
    let useful = (g.c_out * g.k()) as f64 >= USEFUL * work as f64;
    let long = g.output[2] >= T && g.p() >= 16 * T;
    let channels = g.c_in > 0 && g.c_out >= T;
    (enabled() && available() && g.n > 0 && channels && useful && long).then_some(tiles)
}

/// `dyt[o·ldb + co] = dy[co·P + o]`, zero for co ≥ c_out; in parallel over blocks of 64
/// positions (the window is filled beside it), in 16 × 16 blocks transposed in registers
/// ([`transpose16`]): read one position at a time, the 64 rows of a 64²-map's dy lie 16 KiB
/// apart, all in one set of the L1, and the transpose took a quarter of the time.
///
/// # Safety
/// [`available`] holds; `ldb` is `c_out` rounded up to 16 (at least 16), and `dyt`
/// holds at least P·ldb floats.
unsafe fn transpose(dy: &[f32], c_out: usize, ldb: usize, dyt: &mut [f32]) {
    const BLOCK: usize = 64;
    let p = dy.len() / c_out.max(1);
    dyt[..p * ldb].par_chunks_mut(BLOCK * ldb).enumerate().for_each(|(b, rows)| {
        let (o0, len) = (b * BLOCK, rows.len() / ldb);
        let whole = if o0 + len == p { len / T * T } else { len };
        for co in (0..ldb).step_by(T) {
            for o in (0..whole).step_by(T) {
                // SAFETY: CPU by the contract; 16 positions of min(16, c_out − co) rows of
                // dy lie inside it, and 16 rows of ldb ≥ co + 16 inside this block of dyt.
                unsafe {
                    let src = dy.as_ptr().add(co * p + o0 + o);
                    transpose16(
                        src,
                        p,
                        c_out.saturating_sub(co).min(T),
                        rows[o * ldb + co..].as_mut_ptr(),
                        ldb,
                        T,
                        -0.0,
                    )
                }
            }
        }
        for (i, row) in rows.chunks_exact_mut(ldb).enumerate().skip(whole) {
            row.iter_mut().enumerate().for_each(|(co, v)| *v = if co < c_out { dy[co * p + o0 + i] } else { 0.0 });
        }
    });
}

/// Every tile of `tiles` over one image, its output rows (`lines`: each row's first flat
/// position in the padded grid and in dy) in blocks.
///
/// # Safety
/// [`available`] holds; `window` must hold the image's padded grid (`ld` per grid
/// channel) and `dyt` its transposed output gradient (`ldb` per position).
unsafe fn run(
    d: &Direct,
    tiles: &[Tile],
    lines: &[(usize, usize)],
    (window, ld): (&[f32], usize),
    (dyt, ldb): (&[f32], usize),
    acc: &mut [[f32; OUT]],
) {
    let ow = d.out[2];
    let [_, ph, pw] = d.padded();
    let vectors = tiles.iter().map(|t| t.vectors).max().unwrap_or(1);
    let block = (BLOCK_BYTES / (64 * vectors * ow)).max(1);
    let mut runs = Vec::with_capacity(block);
    let mut bases = [std::ptr::null::<f32>(); 4];
    for rows in lines.chunks(block) {
        for (tile, acc) in tiles.iter().zip(acc.iter_mut()) {
            runs.clear();
            runs.extend(rows.iter().map(|&(f, o)| (f, dyt[o * ldb + tile.col * T..].as_ptr(), ow)));
            for (j, base) in bases.iter_mut().enumerate() {
                // a group past the last repeats it (its sums are not read)
                let group = tile.group + j.min(tile.groups - 1);
                let (c, tap) = (group / (d.taps[0] * d.taps[1]), group % (d.taps[0] * d.taps[1]));
                *base = window[c * ld + (tap / d.taps[1] * ph + tap % d.taps[1]) * pw..].as_ptr();
            }
            (tile.kernel)(&bases, &runs, ldb, acc);
        }
    }
}

/// dW from the tiles' sums: group (grid channel (a, ci), taps td, th), tap tw along the width
/// and channel co hold dW[co, ci, s·(td, th, tw) + a] where that lies inside the kernel.
fn scatter(g: &ConvGeom, d: &Direct, tiles: &[Tile], acc: &[[f32; OUT]]) -> Vec<f32> {
    let k = g.kernel.iter().product::<usize>();
    let mut dw = vec![0.0f32; g.c_out * g.k()];
    for (tile, sums) in tiles.iter().zip(acc) {
        for j in 0..tile.groups {
            let group = tile.group + j;
            let (c, tap) = (group / (d.taps[0] * d.taps[1]), group % (d.taps[0] * d.taps[1]));
            let (ci, a) = (c % g.c_in, d.read.phase(c / g.c_in));
            for t in 0..tile.taps {
                let u = [tap / d.taps[1], tap % d.taps[1], t];
                let at = [0, 1, 2].map(|i| g.stride[i] * u[i] + a[i]);
                if (0..3).any(|i| at[i] >= g.kernel[i]) {
                    continue;
                }
                let row = ((j * tile.taps + t) * tile.vectors) * T;
                for (l, &v) in sums[row..row + tile.vectors * T].iter().enumerate() {
                    let co = tile.col * T + l;
                    if co < g.c_out {
                        dw[(co * g.c_in + ci) * k + kernel_offset(g, at)] = v;
                    }
                }
            }
        }
    }
    dw
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `dW[co, ci, kd, kh, kw] = Σ_n Σ_o dy[n, co, o] · x[n, ci, s·o + k − pad]`, in f64.
    fn naive(g: &ConvGeom, x: &[f32], dy: &[f32]) -> Vec<f64> {
        let (k, p, il) = (g.kernel.iter().product::<usize>(), g.p(), g.input_len());
        let [id, ih, iw] = g.input;
        let mut dw = vec![0.0f64; g.c_out * g.c_in * k];
        for (n, co, ci, t, o) in (0..g.n).flat_map(|n| {
            (0..g.c_out).flat_map(move |co| {
                (0..g.c_in).flat_map(move |ci| (0..k).flat_map(move |t| (0..p).map(move |o| (n, co, ci, t, o))))
            })
        }) {
            let kv = [t / (g.kernel[1] * g.kernel[2]), t / g.kernel[2] % g.kernel[1], t % g.kernel[2]];
            let ov = [o / (g.output[1] * g.output[2]), o / g.output[2] % g.output[1], o % g.output[2]];
            let at = [0, 1, 2].map(|a| (g.stride[a] * ov[a] + kv[a]).checked_sub(g.pad[a]));
            if let [Some(d), Some(h), Some(w)] = at {
                if d < id && h < ih && w < iw {
                    let xv = x[n * il + ((ci * id + d) * ih + h) * iw + w];
                    dw[(co * g.c_in + ci) * k + t] += f64::from(dy[(n * g.c_out + co) * p + o]) * f64::from(xv);
                }
            }
        }
        dw
    }

    fn geom(
        n: usize,
        c: [usize; 2],
        input: [usize; 3],
        kernel: [usize; 3],
        stride: [usize; 3],
        pad: [usize; 3],
    ) -> ConvGeom {
        let output = [0, 1, 2].map(|a| (input[a] + 2 * pad[a] - kernel[a]) / stride[a] + 1);
        ConvGeom { n, c_in: c[0], c_out: c[1], input, kernel, output, stride, pad }
    }

    /// Every entry against the naive sums: the texture net's strided first layer in small (15×15
    /// stride 3 over 9 phases, 100 channels: tiles of 4 and 3 registers), 5×5 and 3×3 stride 1
    /// (30 channels), a 4×4 stride-2 kernel (2 taps per phase), 7×7 stride 2 (a tap past the
    /// kernel in one phase, a last tile of fewer groups), padding past the formula's, 1-d and
    /// 3-d, two images; and zero or too few channels declined, not a panic.
    #[test]
    fn the_direct_weight_gradient_matches_naive_sums() {
        if !available() {
            eprintln!("skipped: this CPU has neither AVX-512F nor AVX2 with FMA");
            return;
        }
        let cases = [
            geom(2, [3, 100], [1, 60, 60], [1, 15, 15], [1, 3, 3], [0, 2, 2]),
            geom(1, [20, 64], [1, 24, 24], [1, 5, 5], [1, 1, 1], [0, 2, 2]),
            geom(2, [16, 30], [1, 20, 21], [1, 3, 3], [1, 1, 1], [0, 1, 1]),
            geom(1, [8, 16], [1, 40, 40], [1, 4, 4], [1, 2, 2], [0, 1, 1]),
            geom(2, [16, 16], [1, 1, 300], [1, 1, 5], [1, 1, 1], [0, 0, 2]),
            geom(1, [8, 16], [4, 24, 24], [3, 3, 3], [1, 1, 1], [1, 1, 1]),
            // 7×7 stride 2: tap 3 of phase 1 lies past the kernel; 80 groups in tiles of 3
            geom(1, [5, 32], [1, 40, 40], [1, 7, 7], [1, 2, 2], [0, 3, 3]),
            // padding past the formula's (outputs reading only padding on the far side)
            ConvGeom { output: [1, 31, 33], ..geom(2, [4, 16], [1, 30, 30], [1, 3, 3], [1, 1, 1], [0, 1, 1]) },
        ];
        for g in cases {
            let x: Vec<f32> = (0..g.n * g.input_len()).map(|i| ((i as f32) * 0.37).sin()).collect();
            let dy: Vec<f32> = (0..g.n * g.c_out * g.p()).map(|i| ((i as f32) * 0.21).cos()).collect();
            let got = backward_weight(&g, &x, &dy).unwrap_or_else(|| panic!("{g:?} not taken"));
            for (i, (&v, want)) in got.iter().zip(naive(&g, &x, &dy)).enumerate() {
                assert!((f64::from(v) - want).abs() < 1e-3 * (1.0 + want.abs()), "{g:?}: dW[{i}] {v} vs {want}");
            }
        }
        for c in [[0, 16], [16, 0], [16, 8]] {
            let g = geom(1, c, [1, 64, 64], [1, 3, 3], [1, 1, 1], [0, 1, 1]);
            let (x, dy) = (vec![1.0; g.input_len()], vec![1.0; g.c_out * g.p()]);
            assert!(backward_weight(&g, &x, &dy).is_none(), "{c:?} channels taken");
        }
    }
}
