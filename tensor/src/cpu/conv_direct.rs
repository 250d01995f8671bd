//! Convolutions of large maps read in place from a zero-padded window of the input: no `cols`
//! matrix, and every output is stored once.
//!
//! **Stride 1.** Pad the map that is read so that each axis is `out + kernel − 1` long (every
//! tap of every output then lies inside), and number the positions of that padded grid in
//! row-major order. A kernel tap t = (td, th, tw) is then one flat offset `off_t`, and for
//! every flat output position o of the grid
//!
//! ```text
//! y[co, o] = Σ_t Σ_ci W[co, ci, t] · xp[ci, o + off_t]
//! ```
//!
//! For 16V consecutive positions o, the numbers `xp[ci, o + off_t]`, ci = 0, 1, …, are rows of
//! 16V floats one padded plane apart: exactly the `b` operand that [`super::tile::tile_rows`]
//! streams, read where it lies. One tile is R output channels × 16V positions (V registers),
//! summed over all the taps in its registers (k = C_in per tap, C_in · taps in all), then
//! stored. The shape wastes the fewest rows and then loads the least per multiply-add
//! ([`shape_for`]): 20 panels of 5 × 64 positions for 100 channels, 8 of 8 × 48 for 64. Wide
//! tiles run 15–20% faster than the former 20 × 16 and 16 × 16 ones on the texture net's
//! layers (stop 36, BENCHMARKS.md). Every output is the same chain of FMAs whatever the shape,
//! up to multiply-adds by zero weights (a strided input gradient's panel multiplies the taps
//! any of its rows reaches), which change no finite result but the sign of a zero. Positions
//! run over the whole padded width, so a tile's lanes stay busy across the end of a row; the
//! lanes on the columns of a padded row past the outputs are not stored. Neighbouring rows
//! share their zero columns where they can ([`grid_width`]): a 5×5 'same' layer runs 42
//! columns per 40 outputs, not 44.
//!
//! **Input gradient.** With dy padded by `kernel − 1 − pad` before each axis and the kernel
//! flipped (tap t ↦ T − 1 − t), the same kernel, a forward convolution of dy with Wᵀ:
//!
//! ```text
//! dx[ci, i] = Σ_t Σ_co W[co, ci, t] · dy[co, i + pad − t] = Σ_t Σ_co W[co, ci, T−1−t] · dyp[co, i + t]
//! ```
//!
//! **Stride s.** Split every map into its s phases per axis (`x_a[i] = x[s·i + a]`, space to
//! depth): a stride-s convolution with kernel k is a stride-1 one with ⌈k/s⌉ taps over C·s
//! channels per axis, taps beyond k zero. The forward reads phases of x; the input gradient
//! writes phases of dx, `dx[s·i + a − pad] = Σ_u Σ_co W[co, ci, s·u + a] · dy[co, i − u]`. The
//! texture net's 15×15 stride-3 first layer becomes 5×5 taps over 3·9 = 27 channels. Where k
//! is not a multiple of s, some taps lie past the kernel in some phases (5×5 stride 2: 3×3
//! taps per phase, 25 of 36 inside): the channels read and the rows written are grouped by
//! phase, and each panel multiplies only the (tap, phase) blocks that reach the kernel.
//!
//! The tasks, windows and stores are in [`super::conv_direct_run`].

use super::conv::ConvGeom;
pub(super) use super::conv_direct_grid::grid_width;
pub(super) use super::conv_direct_grid::Side;
use super::conv_direct_panels::with_panels;
use super::conv_direct_run::run;
use super::tile::{loads_per_mille, tile_shapes, T};

/// A convolution as this kernel runs it: `c_dst` grid channels written from `c_src` read.
pub(super) struct Direct {
    pub c_src: usize,
    pub c_dst: usize,
    pub taps: [usize; 3],
    /// Grid positions computed along each axis.
    pub out: [usize; 3],
    pub read: Side,
    pub write: Side,
    /// Rows (grid channels written) per tile.
    pub rows: usize,
    /// Registers of 16 positions per tile ([`Direct::lanes`] positions).
    pub vectors: usize,
    /// Columns of a grid line ([`grid_width`]).
    pub width: usize,
}

impl Direct {
    pub fn tap_count(&self) -> usize {
        self.taps.iter().product()
    }
    /// Each axis of the padded grid: `out + taps − 1` along depth and height, [`Direct::width`]
    /// along the width.
    pub fn padded(&self) -> [usize; 3] {
        [self.out[0] + self.taps[0] - 1, self.out[1] + self.taps[1] - 1, self.width]
    }
    /// Flat offset of each tap in the padded grid, taps in order (td, th, tw).
    pub fn offsets(&self) -> Vec<usize> {
        let [_, ph, pw] = self.padded();
        let [kd, kh, kw] = self.taps;
        (0..kd).flat_map(|d| (0..kh).flat_map(move |h| (0..kw).map(move |w| (d * ph + h) * pw + w))).collect()
    }
    /// One past the last flat position of the grid that holds an output.
    pub fn span(&self) -> usize {
        let [_, ph, pw] = self.padded();
        ((self.out[0] - 1) * ph + self.out[1] - 1) * pw + self.out[2]
    }
    /// Grid positions per tile.
    pub fn lanes(&self) -> usize {
        self.vectors * T
    }
    pub fn panels(&self) -> usize {
        self.c_dst.div_ceil(self.rows)
    }
    /// The rows of `packing` that panel `q` holds (fewer in the last panel).
    pub fn panel_rows<'a>(&self, packing: &'a Packing, q: usize) -> &'a [(usize, usize)] {
        &packing.row[q * self.rows..self.c_dst.min((q + 1) * self.rows)]
    }
    /// Whether grid outputs are the written map's positions themselves (stride-1 writes).
    pub fn writes_in_place(&self) -> bool {
        self.write.identity() && self.write.dims == self.out
    }
}

/// The tile shape that pads `c` channels with the fewest zero rows; among equals the one with
/// the fewest loads per multiply-add, (R + V)/(R·V). 100 channels: 5 × 4; 64: 8 × 3; 30: 6 × 4;
/// the 27 of a stride-3 input gradient over 3 channels: 9 × 3 (with AVX2, one register wide:
/// 25, 32, 30 and 27 rows, run in blocks of 5–6).
fn shape_for(c: usize) -> (usize, usize) {
    let shapes = tile_shapes().iter().map(|&(r, v, _)| (r, v));
    shapes.min_by_key(|&(r, v)| (c.div_ceil(r) * r, loads_per_mille(r, v))).unwrap_or((T, 1))
}

/// `COOPNETS_DIRECT_CONV=0` turns this kernel off (im2col + GEMM instead), for A/B timing.
pub(super) fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("COOPNETS_DIRECT_CONV").map_or(true, |v| v != "0"))
}

/// Whether this kernel takes `d` for a convolution of geometry `g` with these `pairs`: a CPU
/// with AVX-512, at least 64 multiply-adds per output and 16 per pair (the ABP generator's
/// last layer, 3 channels per phase, ran 5% slower here than on im2col), and the tiles doing
/// at most 1/[`USEFUL`] of im2col + GEMM's multiply-adds (rows past the channels, lanes past a
/// grid row's outputs, grid outputs beyond the map).
fn takes(g: &ConvGeom, d: &Direct, pairs: &[Vec<Pair>]) -> bool {
    let [od, oh, _] = d.out;
    let k: usize = pairs.iter().map(|p| p.iter().map(|p| p.k).sum::<usize>()).sum();
    let tiles = (d.rows * k * od * oh * d.padded()[2]) as f64;
    let conv = (g.c_out * g.p() * g.k()) as f64;
    let enough = k >= 64 * d.panels() && k >= 16 * pairs.iter().map(Vec::len).sum::<usize>();
    enabled() && super::tile::available() && g.n > 0 && d.c_dst >= T && enough && conv >= USEFUL * tiles
}

/// The least ratio of im2col + GEMM's multiply-adds to the tiles'. The texture net's first
/// layer's input gradient at the bench's padding 2 scored 0.73 at 128² with 28-row tiles (27
/// of 28 rows, 44 of 48 lanes, 44² grid outputs for 128²/9, against im2col's 40² outputs;
/// 0.76 with the 9 × 3 tiles of stop 36, 27 of 27 rows) and 0.82 at 224²: on
/// a Zen 4 it ran at 0.95× the speed of im2col + GEMM at one thread; on a Zen 5 (stop 35),
/// at 224², 1.10× at one thread and 1.3× at two (im2col splits 3 input channels over the
/// threads, the tiles split positions), at 128² with 16 images 1.02–1.05×. Its other layers
/// score 0.91–0.95 and run 1.1–1.4× faster. With the texture preset's full padding (14)
/// im2col multiplies many padding zeros and the same layer scores 1.05. No other layer of the
/// bench's models scores between 0.7 and 0.85.
pub(super) const USEFUL: f64 = 0.7;

/// `y = W ⋆ x + b` when this kernel takes `g` (else `None`). x: N × C_in × D × H × W,
/// w: C_out × C_in × kd × kh × kw.
pub fn forward(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Option<Vec<f32>> {
    let taps = phase_taps(g);
    let read = Side { dims: g.input, stride: g.stride, before: g.pad };
    let write = Side { dims: g.output, stride: [1; 3], before: [0; 3] };
    let (phases, c_src) = (read.phases(), g.c_in * read.phases());
    let (rows, vectors) = shape_for(g.c_out);
    let width = grid_width(&read, g.output[2], taps[2]);
    let d = Direct { c_src, c_dst: g.c_out, taps, out: g.output, read, write, rows, vectors, width };
    // row co, grid channel (phase a, ci), tap u: W[co, ci, s·u + a]
    let (k, lin) = (g.kernel.iter().product::<usize>(), |v| kernel_offset(g, v));
    let packing = Packing {
        row: (0..g.c_out).map(|co| (co * g.c_in * k, 0)).collect(),
        src: (0..c_src).map(|c| ((c % g.c_in) * k + lin(read.phase(c / g.c_in)), c / g.c_in)).collect(),
        taps: tap_table(g, &d, phases, |u| u),
    };
    let pairs = plan_pairs(&d, &packing, phases);
    if !takes(g, &d, &pairs) {
        return None;
    }
    Some(with_panels(&d, &packing, w, |panels| run(g.n, &d, &pairs, x, panels, bias)))
}

/// `dx = Wᵀ ⋆ dy` (the input gradient of [`forward`]'s convolution) when this kernel takes
/// `g`. dy: N × C_out × P, w: C_out × C_in × kd × kh × kw.
pub fn backward_data(g: &ConvGeom, dy: &[f32], w: &[f32]) -> Option<Vec<f32>> {
    let taps = phase_taps(g);
    // dx[s·i + a − pad]: the grid starts ⌊pad/s⌋ outputs later, so dy is padded by taps − 1
    // less that many (the grid must not start beyond it)
    let skip = [0, 1, 2].map(|a| g.pad[a] / g.stride[a]);
    if (0..3).any(|a| skip[a] >= taps[a]) {
        return None;
    }
    let read = Side { dims: g.output, stride: [1; 3], before: [0, 1, 2].map(|a| taps[a] - 1 - skip[a]) };
    let write = Side { dims: g.input, stride: g.stride, before: [0, 1, 2].map(|a| g.pad[a] % g.stride[a]) };
    let out = [0, 1, 2].map(|a| (g.input[a] + write.before[a]).div_ceil(g.stride[a]));
    let (phases, c_dst) = (write.phases(), g.c_in * write.phases());
    let (rows, vectors) = shape_for(c_dst);
    let width = grid_width(&read, out[2], taps[2]);
    let d = Direct { c_src: g.c_out, c_dst, taps, out, read, write, rows, vectors, width };
    // row (phase a, ci), grid channel co, tap u: W[co, ci, s·(taps − 1 − u) + a] (flipped)
    let (k, lin) = (g.kernel.iter().product::<usize>(), |v| kernel_offset(g, v));
    let packing = Packing {
        row: (0..c_dst).map(|r| ((r % g.c_in) * k + lin(write.phase(r / g.c_in)), r / g.c_in)).collect(),
        src: (0..g.c_out).map(|co| (co * g.c_in * k, 0)).collect(),
        taps: tap_table(g, &d, phases, |u| [0, 1, 2].map(|a| taps[a] - 1 - u[a])),
    };
    let pairs = plan_pairs(&d, &packing, 1);
    if !takes(g, &d, &pairs) {
        return None;
    }
    Some(with_panels(&d, &packing, w, |panels| run(g.n, &d, &pairs, dy, panels, None)))
}

/// Taps per phase along each axis: ⌈k/s⌉.
pub(super) fn phase_taps(g: &ConvGeom) -> [usize; 3] {
    [0, 1, 2].map(|a| g.kernel[a].div_ceil(g.stride[a]))
}

/// The offset of kernel position `v` = (kd, kh, kw) in one (co, ci) block of the weights.
pub(super) fn kernel_offset(g: &ConvGeom, v: [usize; 3]) -> usize {
    (v[0] * g.kernel[1] + v[1]) * g.kernel[2] + v[2]
}

/// One product of a tile: tap `tap`, grid channels `channel .. channel + k`, whose weights
/// start at `a` in the packed panels.
pub(super) struct Pair {
    pub tap: usize,
    pub a: usize,
    pub channel: usize,
    pub k: usize,
}

/// Per panel of rows, the products it multiplies: for each tap, each run of source phases
/// that the tap reaches for at least one of the panel's rows (a stride-2 5×5 kernel has 3×3
/// taps per phase, of which phase (1, 1) reaches 2×2: rows grouped by phase skip the rest).
fn plan_pairs(d: &Direct, packing: &Packing, src_phases: usize) -> Vec<Vec<Pair>> {
    let block = d.c_src / src_phases;
    let taps = packing.taps.len();
    (0..d.panels())
        .map(|q| {
            let rows = d.panel_rows(packing, q);
            let mut pairs = Vec::new();
            for (tap, (_, inside)) in packing.taps.iter().enumerate() {
                let reached = |b: usize| rows.iter().any(|&(_, phase)| inside[phase + b]);
                let mut b = 0;
                while b < src_phases {
                    let b0 = b;
                    while b < src_phases && reached(b) {
                        b += 1;
                    }
                    if b > b0 {
                        let channel = b0 * block;
                        pairs.push(Pair {
                            tap,
                            a: ((q * taps + tap) * d.c_src + channel) * d.rows,
                            channel,
                            k: (b - b0) * block,
                        });
                    }
                    b += usize::from(b == b0);
                }
            }
            pairs
        })
        .collect()
}

/// Where the packed weights come from: panel entry (row r, grid channel c, tap t) is
/// `w[row[r].0 + src[c].0 + taps[t].0]`, or zero where the tap lies beyond the kernel in the
/// entry's phase (`!taps[t].1[row[r].1 + src[c].1]`; one of the two phases is always 0).
pub(super) struct Packing {
    pub row: Vec<(usize, usize)>,
    pub src: Vec<(usize, usize)>,
    pub taps: Vec<(usize, Vec<bool>)>,
}

/// For each tap u (in order td, th, tw): the kernel offset of `s·at(u)` and, per phase a,
/// whether `s·at(u) + a` lies inside the kernel.
fn tap_table(
    g: &ConvGeom,
    d: &Direct,
    phases: usize,
    at: impl Fn([usize; 3]) -> [usize; 3],
) -> Vec<(usize, Vec<bool>)> {
    let [_, th, tw] = d.taps;
    let side = Side { dims: g.kernel, stride: g.stride, before: [0; 3] };
    (0..d.tap_count())
        .map(|t| {
            let u = at([t / (th * tw), t / tw % th, t % tw]);
            let s = [0, 1, 2].map(|a| g.stride[a] * u[a]);
            let offset = kernel_offset(g, s);
            let inside = (0..phases)
                .map(|p| {
                    let a = side.phase(p);
                    (0..3).all(|i| s[i] + a[i] < g.kernel[i])
                })
                .collect();
            (offset, inside)
        })
        .collect()
}
