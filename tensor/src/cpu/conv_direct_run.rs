//! The tasks of [`super::conv_direct`]: with the weights packed ([`super::conv_direct_panels`]),
//! each task pads the window of the map that its positions read and runs the tiles over it.
//!
//! A task is a range of whole tiles of positions (16V each) of one image's grid. It copies
//! only the window its positions read (their span plus the reach of the last tap) into its own
//! scratch, a few hundred KiB that stay in L2 beside one panel of weights, then runs every
//! panel of rows over its positions. Every output is one chain of FMAs in the order taps, then
//! grid channels, whatever the task split: results do not depend on the number of threads, and
//! an image gives the same bits alone as in a batch (tested).

use rayon::prelude::*;

use super::conv::with_scratch;
use super::conv_direct::{Direct, Pair};
use super::tile::{tile_for, T};
use super::{part_range, SendPtr};

/// Floats of a task's window, about (384 KiB; each window also holds the reach of the last tap).
const WINDOW_FLOATS: usize = 96 * 1024;
/// The window with the AVX2 tiles (128 KiB): their panels of up to 32 rows of weights
/// (250 KiB for 25 rows of the texture net's 5×5 layer over 100 channels) share a Zen 3's
/// 512 KiB L2 with it; texture-128-c16 3–4% faster than with 96 Ki floats (stop 43).
const WINDOW_FLOATS_AVX2: usize = 32 * 1024;
/// Tasks per image at least, for batch-1 calls on two threads.
const MIN_TASKS: usize = 4;

/// The convolution of every image of `src` (N × its channels × `read.dims`) with the packed
/// `panels`, into N × `write` channels × `write.dims`.
pub(super) fn run(
    n: usize,
    d: &Direct,
    pairs: &[Vec<Pair>],
    src: &[f32],
    panels: &[f32],
    bias: Option<&[f32]>,
) -> Vec<f32> {
    let offsets = d.offsets();
    let (span, reach) = (d.span(), offsets.last().copied().unwrap_or(0));
    // tasks per image: windows of at most WINDOW_FLOATS, at least MIN_TASKS for small batches
    let lanes = d.lanes();
    let window = if super::tile::wide() { WINDOW_FLOATS } else { WINDOW_FLOATS_AVX2 };
    let per_image = (d.c_src * (span + reach)).div_ceil(window).max(MIN_TASKS.div_ceil(n));
    let per_image = even_split(n, per_image, rayon::current_num_threads()).min(span.div_ceil(lanes));
    let src_len = d.c_src / d.read.phases() * d.read.len();
    let dst_len = d.c_dst / d.write.phases() * d.write.len();
    // not zeroed: every output is written once (in place, or once per phase); a debug build
    // fills it with NaN first, so that the tests against naive loops would see a missed one
    let mut out = Vec::<f32>::with_capacity(n * dst_len);
    if cfg!(debug_assertions) {
        out.resize(n * dst_len, f32::NAN);
    }
    let yp = SendPtr(out.as_mut_ptr());
    let reads: Vec<Reads> = pairs.iter().map(|pp| Reads::new(d, pp)).collect();
    (0..n * per_image).into_par_iter().for_each(|task| {
        let (image, part) = (task / per_image, task % per_image);
        let tiles_here = part_range(span.div_ceil(lanes), per_image, part);
        let (f0, f1) = (tiles_here.start * lanes, (tiles_here.end * lanes).min(span));
        let x = &src[image * src_len..(image + 1) * src_len];
        // SAFETY: each task writes the outputs of its own positions of its own image only.
        unsafe { task_tiles(d, (pairs, &reads, &offsets), x, (panels, bias), (f0, f1), yp.get().add(image * dst_len)) };
    });
    // SAFETY: the tasks have written every one of the n·dst_len outputs.
    unsafe { out.set_len(n * dst_len) };
    out
}

/// Tasks per image, at least `per_image`, such that the `n` images' tasks split evenly over
/// `threads`: a batch-1 layer of 5 or 11 tasks kept one of two threads idle for a sixth or a
/// twelfth of it (the task split changes no result).
fn even_split(n: usize, per_image: usize, threads: usize) -> usize {
    (per_image..per_image + threads).find(|&p| (n * p).is_multiple_of(threads.max(1))).unwrap_or(per_image)
}

/// The tiles of grid positions `f0..f1` of one image, for every panel of rows (`offsets`: each
/// tap's flat offset in the grid, [`Direct::offsets`]).
///
/// # Safety
/// `y` must be valid for writes of one image's output, no other task writing these positions;
/// the tile kernel must be available (checked by `conv_direct::takes`).
unsafe fn task_tiles(
    d: &Direct,
    (pairs, reads, offsets): (&[Vec<Pair>], &[Reads], &[usize]),
    x: &[f32],
    (panels, bias): (&[f32], Option<&[f32]>),
    (f0, f1): (usize, usize),
    y: *mut f32,
) {
    let reach = offsets.last().copied().unwrap_or(0);
    // the window: grid positions f0 .. f0 + ld, each channel ld apart (up to 16V − 1 more than
    // the span, for the last tile's lanes beyond f1, and up to 31 more: [`spread`])
    let (lanes, ld) = (d.lanes(), spread((f1 - f0).next_multiple_of(d.lanes()) + reach));
    let [_, ph, pw] = d.padded();
    with_scratch(d.c_src * ld, |window| {
        fill_window(d, x, f0, ld, window);
        let tile = tile_for(d.rows, d.vectors);
        let most = pairs.iter().map(Vec::len).max().unwrap_or(0);
        let (mut first, mut triples) = (Vec::with_capacity(most), Vec::with_capacity(most));
        let mut acc = [0.0f32; T * 32];
        for (q, (panel_pairs, reads)) in pairs.iter().zip(reads).enumerate() {
            // each product at the task's first position; a tile f − f0 positions later
            first.clear();
            first.extend(panel_pairs.iter().map(|p| {
                let b = p.channel * ld + offsets[p.tap];
                (panels[p.a..].as_ptr(), window[b..].as_ptr(), p.k)
            }));
            for f in (f0..f1).step_by(lanes) {
                let (lines, shift) = (f / pw..=(f + lanes - 1) / pw, f - f0);
                triples.clear();
                if reads.every(lines.clone(), ph) {
                    triples.extend_from_slice(&first);
                } else {
                    let reached = first.iter().enumerate().filter(|&(j, _)| reads.reads(j, lines.clone(), ph));
                    triples.extend(reached.map(|(_, &t)| t));
                }
                triples.iter_mut().for_each(|t| t.1 = t.1.add(shift));
                // SAFETY: CPU checked by `takes`; a pair's weights are k·R floats of its
                // panel, and its k channels of the window hold f − f0 + reach + 16V floats each.
                tile(&triples, ld, &mut acc);
                let rows = q * d.rows..d.c_dst.min((q + 1) * d.rows);
                if d.writes_in_place() {
                    store(d, &acc, rows, (f, f1.min(f + lanes)), bias, y);
                } else {
                    store_phases(d, &acc, rows, (f, f1.min(f + lanes)), y);
                }
            }
        }
    });
}

/// The grid lines (depth, height) from which each product of a panel reads the map: its tap
/// reaches a map line from them in at least one phase of its channels. A tile whose lanes
/// lie on the first or last lines of the grid reads only the padding above or below the map
/// with its first or last taps (the texture net's 5×5 layer: 6 of every 200 line taps; the
/// stride-3 input gradient, dy padded by 4 lines: 20 of 220), and those products are
/// skipped. A skipped product adds `w · 0` to the chain: no finite result changes but, at
/// most, the sign of a zero. Lanes of a tile past a line's outputs read beyond the line; the
/// sums they stand for are not stored, and the wrap into the next line lands on its left
/// padding ([`super::conv_direct::grid_width`]).
struct Reads {
    lines: Vec<[std::ops::Range<usize>; 2]>,
    /// The lines from which every product reads the map.
    all: [std::ops::Range<usize>; 2],
}

impl Reads {
    fn new(d: &Direct, pairs: &[Pair]) -> Reads {
        let [_, kh, kw] = d.taps;
        let per_phase = d.c_src / d.read.phases();
        // per phase of the map, the grid lines whose map line lies inside it
        let inside: Vec<[std::ops::Range<usize>; 2]> =
            (0..d.read.phases()).map(|a| [0, 1].map(|axis| d.read.inside(axis, d.read.phase(a)[axis]))).collect();
        let lines: Vec<_> = pairs
            .iter()
            .map(|p| {
                let t = [p.tap / (kh * kw), p.tap / kw % kh];
                let phases = &inside[p.channel / per_phase..=(p.channel + p.k - 1) / per_phase];
                [0, 1].map(|axis| {
                    let lo = phases.iter().map(|r| r[axis].start).min().unwrap_or(0);
                    let hi = phases.iter().map(|r| r[axis].end).max().unwrap_or(0);
                    lo.saturating_sub(t[axis])..hi.saturating_sub(t[axis])
                })
            })
            .collect();
        let all = [0, 1].map(|axis| {
            let lo = lines.iter().map(|l| l[axis].start).max().unwrap_or(0);
            lo..lines.iter().map(|l| l[axis].end).min().unwrap_or(0)
        });
        Reads { lines, all }
    }

    /// Whether every product reads the map from each of grid lines `lines` (`ph` lines per
    /// depth).
    fn every(&self, mut lines: std::ops::RangeInclusive<usize>, ph: usize) -> bool {
        lines.all(|line| on(&self.all, line, ph))
    }

    /// Whether product `j` reads the map from any of grid lines `lines`.
    fn reads(&self, j: usize, mut lines: std::ops::RangeInclusive<usize>, ph: usize) -> bool {
        lines.any(|line| on(&self.lines[j], line, ph))
    }
}

/// Whether grid line `line` (`ph` lines per depth) lies in `r` = (depths, heights).
fn on(r: &[std::ops::Range<usize>; 2], line: usize, ph: usize) -> bool {
    r[0].contains(&(line / ph)) && r[1].contains(&(line % ph))
}

/// The channels of a window `len` floats long, or a few more: an odd number of 64-byte
/// lines apart. A tile reads one row of 16 floats from each of 64 channels in a turn; rows a
/// multiple of 256 bytes apart crowd into a quarter of the L1's sets or fewer (4096 bytes: one
/// set), and the AVX2 `tile_rows` ran 3–4% slower at 320 or 448 floats than at 336 or 464
/// (44% at 1024), a throw-away timing on a Zen 3.
fn spread(len: usize) -> usize {
    len.next_multiple_of(16) | 16
}

/// `window[c·ld + j]` = grid channel c at flat grid position f0 + j (zero where the grid
/// reads padding, and beyond the grid).
pub(super) fn fill_window(d: &Direct, x: &[f32], f0: usize, ld: usize, window: &mut [f32]) {
    let [_, ph, pw] = d.padded();
    let (side, channels) = (&d.read, d.c_src / d.read.phases());
    let [_, sh, sw] = side.dims;
    let plane = side.len();
    for (c, win) in window.chunks_exact_mut(ld).enumerate() {
        // `win[..zeroed]` is written: each gap before a copied run is zeroed as it is passed
        let mut zeroed = 0;
        let (xc, a) = (&x[c % channels * plane..(c % channels + 1) * plane], side.phase(c / channels));
        // grid columns whose source column is inside: stride·q + a − before ∈ [0, sw)
        let cols = side.inside(2, a[2]);
        let (lo_q, hi_q) = (cols.start, cols.end.min(pw));
        for line in f0 / pw..(f0 + ld).div_ceil(pw) {
            let (Some(id), Some(ih)) = (side.coord(0, line / ph, a[0]), side.coord(1, line % ph, a[1])) else {
                continue;
            };
            let (lo, hi) = ((line * pw + lo_q).max(f0), (line * pw + hi_q).min(f0 + ld));
            if lo >= hi {
                continue;
            }
            let row = &xc[(id * sh + ih) * sw..(id * sh + ih + 1) * sw];
            let first = side.stride[2] * (lo - line * pw) + a[2] - side.before[2];
            win[zeroed..lo - f0].fill(0.0);
            zeroed = hi - f0;
            let dst = &mut win[lo - f0..hi - f0];
            if side.stride[2] == 1 {
                dst.copy_from_slice(&row[first..first + dst.len()]);
            } else {
                dst.iter_mut().enumerate().for_each(|(j, v)| *v = row[first + j * side.stride[2]]);
            }
        }
        win[zeroed..].fill(0.0);
    }
}

/// Store rows `rows` of the tile at grid positions `f..end` where they are the written map's
/// own positions: the lanes inside `out` on every axis, plus the channel's bias.
///
/// # Safety
/// `y` must be valid for writes of one image's output.
unsafe fn store(
    d: &Direct,
    acc: &[f32; T * 32],
    rows: std::ops::Range<usize>,
    (f, end): (usize, usize),
    bias: Option<&[f32]>,
    y: *mut f32,
) {
    let [_, oh, ow] = d.out;
    let p = d.write.len();
    output_runs(d, (f, end), |lane, [qd, qh, col], run| {
        let o = (qd * oh + qh) * ow + col;
        for (i, co) in rows.clone().enumerate() {
            let b = bias.map_or(0.0, |b| b[co]);
            let dst = std::slice::from_raw_parts_mut(y.add(co * p + o), run);
            let from = i * d.lanes() + lane;
            dst.iter_mut().zip(&acc[from..from + run]).for_each(|(d, &v)| *d = v + b);
        }
    });
}

/// The runs of grid positions `f..end` that hold outputs, one grid line each: `visit(lane,
/// [qd, qh, col], run)` for the `run` positions from column `col` of grid line (qd, qh), the
/// first of them `lane` positions after f. The last `taps − 1` columns of a padded line, and
/// lines beyond the outputs, are skipped.
fn output_runs(d: &Direct, (f, end): (usize, usize), mut visit: impl FnMut(usize, [usize; 3], usize)) {
    let [_, ph, pw] = d.padded();
    let [od, oh, ow] = d.out;
    let mut at = f;
    while at < end {
        let (line, col) = (at / pw, at % pw);
        let (qd, qh) = (line / ph, line % ph);
        if col >= ow || qd >= od || qh >= oh {
            at = (line + 1) * pw; // the rest of this padded row holds no output
            continue;
        }
        let run = (ow - col).min(end - at);
        visit(at - f, [qd, qh, col], run);
        at += run;
    }
}

/// Store rows `rows` (grid channels: phase · map channels + map channel) of the tile at grid
/// positions `f..end` onto the written map, each at `stride·q + phase − before` when inside.
/// Like [`store`], it walks the runs of lanes that lie on one grid line: per row and run, the
/// destination line is found once and the run's columns land `stride` floats apart.
///
/// # Safety
/// `y` must be valid for writes of one image's output.
unsafe fn store_phases(
    d: &Direct,
    acc: &[f32; T * 32],
    rows: std::ops::Range<usize>,
    (f, end): (usize, usize),
    y: *mut f32,
) {
    let (side, channels) = (&d.write, d.c_dst / d.write.phases());
    let [_, dh, dw] = side.dims;
    let (s, before) = (side.stride[2], side.before[2]);
    output_runs(d, (f, end), |lane, [qd, qh, col], run| {
        for (i, r) in rows.clone().enumerate() {
            let a = side.phase(r / channels);
            let (Some(cd), Some(ch)) = (side.coord(0, qd, a[0]), side.coord(1, qh, a[1])) else {
                continue;
            };
            // grid columns q of the run whose map column s·q + a − before lies in 0..dw
            let lo = before.saturating_sub(a[2]).div_ceil(s).max(col);
            let hi = (dw + before).saturating_sub(a[2]).div_ceil(s).min(col + run);
            let line_start = y.add((r % channels) * side.len() + (cd * dh + ch) * dw);
            // grid column q is lane `lane + q − col` of the tile
            let from = i * d.lanes() + lane;
            for q in lo..hi {
                *line_start.add(s * q + a[2] - before) = acc[from + q - col];
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::conv_direct::Side;

    /// A grid of `out` lines and columns read from a 40 × 40 map through `read`, 25 products
    /// of taps 5 × 5 over `c` channels.
    fn reads(read: Side, out: usize, c: usize) -> Reads {
        let d = Direct {
            c_src: c,
            c_dst: 16,
            taps: [1, 5, 5],
            out: [1, out, out],
            read,
            write: Side { dims: [1, out, out], stride: [1; 3], before: [0; 3] },
            rows: 16,
            vectors: 1,
            width: out + 4,
        };
        let pairs: Vec<Pair> = (0..25).map(|tap| Pair { tap, a: 0, channel: 0, k: c }).collect();
        Reads::new(&d, &pairs)
    }

    /// A 5×5 'same' layer (padding 2, 44 lines of 44 columns): from line 0 the taps of kernel
    /// rows 0 and 1 read only the padding above the map, from line 39 those of rows 3 and 4
    /// only the padding below; from lines 2–37 every tap reads the map. Over the 9 phases of a
    /// stride-3 map nothing is skipped: phase 2 reads map line 0 from grid line 0.
    #[test]
    fn products_that_read_only_padding_are_skipped_on_the_first_and_last_lines() {
        let same = reads(Side { dims: [1, 40, 40], stride: [1; 3], before: [0, 2, 2] }, 40, 8);
        let ph = 44;
        for j in 0..25 {
            assert_eq!(same.reads(j, 0..=0, ph), j / 5 >= 2, "tap {j} from line 0");
            assert_eq!(same.reads(j, 39..=39, ph), j / 5 <= 2, "tap {j} from line 39");
            assert!(same.reads(j, 0..=39, ph), "tap {j} from every line");
        }
        assert!(same.every(2..=37, ph));
        assert!(!same.every(1..=2, ph) && !same.every(37..=38, ph));
        let phases = reads(Side { dims: [1, 128, 128], stride: [1, 3, 3], before: [0, 2, 2] }, 40, 27);
        assert!(phases.every(0..=39, ph));
    }
}
