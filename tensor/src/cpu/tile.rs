//! Register tiles of a matrix product: R rows × V AVX-512 registers of 16 columns (on CPUs
//! with AVX2 only, the same sums in 256-bit registers: [`super::tile_avx2`]).
//!
//! The operands come in panels (`a[p·R + i]`, `b[p·ldb + l]` for p < k), so the loop over p
//! reads two sequential streams. Each step loads V registers of `b`'s row p and broadcasts the
//! R numbers of `a`'s row p one by one against them: R·V fused multiply-adds per step into R·V
//! accumulators, so the FMA units never wait on each other (latency 4, at least 16 chains):
//!
//! ```text
//! out[i, l] = Σ_(a, b) Σ_p a[p, i] · b[p, l]          i < R, l < 16V
//! ```
//!
//! The sum over several (a, b) pairs stays in the registers: a convolution passes one pair per
//! kernel tap ([`super::conv_classes`], [`super::conv_direct`]), so the output is stored once,
//! not once per tap. Each output is one chain of FMAs in the order of the pairs and of p: the
//! result does not depend on where the tile sits in a larger product, nor on R and V. The
//! tap-class kernels use 16 × 16 ([`tile`]); the direct convolutions and the GEMM pick a shape
//! from [`TILE_SHAPES`].

/// Rows and columns of a tile (and lanes of a register).
pub const T: usize = 16;

/// One tile of R rows × V registers of 16 columns ([`tile_rows`]).
pub type TileFn = unsafe fn(&[(*const f32, *const f32, usize)], usize, &mut [f32; T * 32]);

/// The tile shapes there are (rows R, registers V of 16 columns), with their kernels: each
/// holds R·V accumulators, V registers of `b` and one broadcast number in the 32 registers
/// (10 × 3 and 7 × 4 would need 34 and 33 and spill). V is at most [`MAX_VECTORS`].
#[rustfmt::skip]
pub const TILE_SHAPES: [(usize, usize, TileFn); 11] = [
    (6, 4, tile_rows::<6, 4>), (5, 4, tile_rows::<5, 4>), (4, 4, tile_rows::<4, 4>),
    (9, 3, tile_rows::<9, 3>), (8, 3, tile_rows::<8, 3>), (7, 3, tile_rows::<7, 3>),
    (14, 2, tile_rows::<14, 2>), (12, 2, tile_rows::<12, 2>),
    (30, 1, tile_rows::<30, 1>), (28, 1, tile_rows::<28, 1>), (16, 1, tile_rows::<16, 1>),
];

/// The widest tile, in registers of 16 columns.
pub const MAX_VECTORS: usize = 4;

/// The kernel of shape R × V, one of [`tile_shapes`] (its callers pick from that table).
pub fn tile_for(rows: usize, vectors: usize) -> TileFn {
    let shape = tile_shapes().iter().find(|s| (s.0, s.1) == (rows, vectors));
    shape.map(|s| s.2).expect("a tile shape from tile_shapes()")
}

/// Loads per thousand multiply-adds of an R × V tile: R broadcast numbers and V registers per
/// step of R·V multiply-adds.
pub fn loads_per_mille(r: usize, v: usize) -> usize {
    1000 * (r + v) / (r * v)
}

/// Whether this CPU runs the tiles: AVX-512F, or AVX2 with FMA ([`super::tile_avx2`], the
/// same sums in 256-bit registers); checked once.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ANY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ANY.get_or_init(|| {
            wide() || (std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"))
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the tiles run on AVX-512F (32 registers of 16 floats); otherwise, where
/// [`available`], on AVX2 (16 of 8).
pub fn wide() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX512: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX512.get_or_init(|| std::arch::is_x86_feature_detected!("avx512f"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The tile shapes of this CPU: [`TILE_SHAPES`] with AVX-512, [`super::tile_avx2::TILE_SHAPES`]
/// with AVX2.
pub fn tile_shapes() -> &'static [(usize, usize, TileFn)] {
    #[cfg(target_arch = "x86_64")]
    if !wide() {
        return &super::tile_avx2::TILE_SHAPES;
    }
    &TILE_SHAPES
}

/// `out[i·16 + l] = Σ_(a, b) ∈ pairs Σ_p<k a[p·16 + i] · b[p·16 + l]`.
///
/// # Safety
/// [`available`] must be true, and every pointer of `pairs` must be valid for `16·k` reads.
#[cfg(target_arch = "x86_64")]
pub unsafe fn tile(pairs: &[(*const f32, *const f32)], k: usize, out: &mut [f32; T * T]) {
    if wide() {
        tile512(pairs, k, out)
    } else {
        super::tile_avx2::tile(pairs, k, out)
    }
}

/// [`tile`] on AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tile512(pairs: &[(*const f32, *const f32)], k: usize, out: &mut [f32; T * T]) {
    tile_body::<T, 1>(pairs.iter().map(|&(a, b)| (a, b, k)), T, out.as_mut_ptr())
}

/// [`tile`] with the rows of `b` `ldb` floats apart (`b[p·ldb + l]`: a row-major matrix's
/// columns read in place, without packing), `R` rows and `V` registers of 16 columns each (R·V
/// accumulators and V rows of `b` in the 32 registers), and a length per pair:
/// `out[i·16V + l] = Σ_(a, b, k) Σ_p<k a[p·R + i]·b[p·ldb + l]` for i < R, l < 16V. The
/// shape fits a channel count that is not a multiple of 16 (100 channels: 20 panels of 5 rows;
/// 30: 5 panels of 6); wider tiles multiply each broadcast number of `a` by V registers of
/// `b`, so that a step loads R + V numbers for R·V fused multiply-adds (5 × 4: 9 for 20,
/// against 21 for 20 × 1; on a Zen 5 with the operands in L1, 260–270 GFLOP/s against
/// 225–240, the peak 270). A length per pair lets a convolution skip the channels a tap does
/// not reach.
///
/// # Safety
/// [`wide`] must be true; every `a` must be valid for `R·k` reads and every `b` for reads
/// of 16V floats at each `p·ldb`, p < k.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub unsafe fn tile_rows<const R: usize, const V: usize>(
    pairs: &[(*const f32, *const f32, usize)],
    ldb: usize,
    out: &mut [f32; T * 32],
) {
    tile_body::<R, V>(pairs.iter().copied(), ldb, out.as_mut_ptr())
}

/// Never called: [`available`] is false off x86-64.
///
/// # Safety
/// None needed; it panics.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn tile_rows<const R: usize, const V: usize>(
    _: &[(*const f32, *const f32, usize)],
    _: usize,
    _: &mut [f32; T * 32],
) {
    unreachable!("tile_rows() needs AVX-512")
}

/// `out[i·16V + l] = Σ_(a, b, k) Σ_p<k a[p·R + i] · b[p·ldb + l]`, i < R, l < 16V, in R·V
/// registers.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn tile_body<const R: usize, const V: usize>(
    pairs: impl Iterator<Item = (*const f32, *const f32, usize)>,
    ldb: usize,
    out: *mut f32,
) {
    use std::arch::x86_64::*;
    // the accumulators fit the output block, and the registers (with V of b and a broadcast)
    const { assert!(R * V <= 32 && R * V + V < 32 && V <= MAX_VECTORS) };
    let mut acc = [[_mm512_setzero_ps(); V]; R];
    for (a, b, k) in pairs {
        for p in 0..k {
            let bp = b.add(p * ldb);
            let bv: [__m512; V] = std::array::from_fn(|v| _mm512_loadu_ps(bp.add(v * T)));
            let ap = a.add(p * R);
            for (i, row) in acc.iter_mut().enumerate() {
                let ai = _mm512_set1_ps(*ap.add(i));
                for (c, &b) in row.iter_mut().zip(&bv) {
                    *c = _mm512_fmadd_ps(ai, b, *c);
                }
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        for (v, c) in row.iter().enumerate() {
            _mm512_storeu_ps(out.add((i * V + v) * T), *c);
        }
    }
}

/// Never called: [`available`] is false off x86-64.
///
/// # Safety
/// None needed; it panics.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn tile(_: &[(*const f32, *const f32)], _: usize, _: &mut [f32; T * T]) {
    unreachable!("tile() needs AVX-512")
}

/// `dst[r·16 + l] = src[r·stride + idx[l]]` for l < `width` (0 beyond) and r < `rows`: one
/// gather per row of a panel (16 columns at scattered offsets, the same for every row).
///
/// # Safety
/// [`available`] must be true; every `src[r·stride + idx[l]]` (l < width) must be readable
/// and `dst` valid for `rows·16` writes.
#[cfg(target_arch = "x86_64")]
pub unsafe fn gather_rows(src: *const f32, stride: usize, idx: &[i32; T], width: usize, rows: usize, dst: *mut f32) {
    if wide() {
        gather_rows512(src, stride, idx, width, rows, dst)
    } else {
        super::tile_avx2::gather_rows(src, stride, idx, width, rows, dst)
    }
}

/// [`gather_rows`] on AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gather_rows512(src: *const f32, stride: usize, idx: &[i32; T], width: usize, rows: usize, dst: *mut f32) {
    use std::arch::x86_64::*;
    let vidx = _mm512_loadu_si512(idx.as_ptr().cast());
    let mask: __mmask16 = if width >= T { 0xffff } else { (1u16 << width) - 1 };
    for r in 0..rows {
        let v = _mm512_mask_i32gather_ps::<4>(_mm512_setzero_ps(), mask, vidx, src.add(r * stride).cast());
        _mm512_storeu_ps(dst.add(r * T), v);
    }
}

/// Never called: [`available`] is false off x86-64.
///
/// # Safety
/// None needed; it panics.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn gather_rows(_: *const f32, _: usize, _: &[i32; T], _: usize, _: usize, _: *mut f32) {
    unreachable!("gather_rows() needs AVX-512")
}

/// `dst[j·dst_stride + i] = src[i·src_stride + j] + add` for a 16×16 block: row i < `rows` of
/// `src` (rows beyond are zero) becomes column i of `dst`, whose first `out_rows` rows are
/// stored. In registers: four rounds of shuffles, so every line is loaded and stored once.
/// `add` is a bias folded into the stores (−0.0 leaves every value as it is, a −0 included;
/// only a signalling NaN comes out quiet).
///
/// # Safety
/// [`available`] must be true; `src` must be readable for `rows` rows of 16 and `dst`
/// writable for `out_rows` rows of 16, at their strides.
#[cfg(target_arch = "x86_64")]
pub unsafe fn transpose16(
    src: *const f32,
    src_stride: usize,
    rows: usize,
    dst: *mut f32,
    dst_stride: usize,
    out_rows: usize,
    add: f32,
) {
    if wide() {
        transpose16_512(src, src_stride, rows, dst, dst_stride, out_rows, add)
    } else {
        super::tile_avx2::transpose16(src, src_stride, rows, dst, dst_stride, out_rows, add)
    }
}

/// [`transpose16`] on AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn transpose16_512(
    src: *const f32,
    src_stride: usize,
    rows: usize,
    dst: *mut f32,
    dst_stride: usize,
    out_rows: usize,
    add: f32,
) {
    use std::arch::x86_64::*;
    let mut r = [_mm512_setzero_ps(); T];
    for (i, v) in r.iter_mut().enumerate().take(rows) {
        *v = _mm512_loadu_ps(src.add(i * src_stride));
    }
    let mut t = [_mm512_setzero_ps(); T];
    // pairs of rows interleaved, then pairs of pairs: 4×4 blocks transposed within each lane
    for i in (0..T).step_by(2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for i in (0..T).step_by(4) {
        r[i] = _mm512_shuffle_ps::<0x44>(t[i], t[i + 2]);
        r[i + 1] = _mm512_shuffle_ps::<0xEE>(t[i], t[i + 2]);
        r[i + 2] = _mm512_shuffle_ps::<0x44>(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_shuffle_ps::<0xEE>(t[i + 1], t[i + 3]);
    }
    // then the 128-bit lanes: 4×4 blocks moved to their place
    for h in [0, 8] {
        for i in 0..4 {
            t[h + i] = _mm512_shuffle_f32x4::<0x88>(r[h + i], r[h + i + 4]);
            t[h + i + 4] = _mm512_shuffle_f32x4::<0xDD>(r[h + i], r[h + i + 4]);
        }
    }
    for i in 0..8 {
        r[i] = _mm512_shuffle_f32x4::<0x88>(t[i], t[i + 8]);
        r[i + 8] = _mm512_shuffle_f32x4::<0xDD>(t[i], t[i + 8]);
    }
    let add = _mm512_set1_ps(add);
    for (j, v) in r.iter().enumerate().take(out_rows) {
        _mm512_storeu_ps(dst.add(j * dst_stride), _mm512_add_ps(*v, add));
    }
}

/// Never called: [`available`] is false off x86-64.
///
/// # Safety
/// None needed; it panics.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn transpose16(_: *const f32, _: usize, _: usize, _: *mut f32, _: usize, _: usize, _: f32) {
    unreachable!("transpose16() needs AVX-512")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_is_the_sum_of_products_over_its_pairs() {
        if !available() {
            eprintln!("skipped: this CPU has neither AVX-512F nor AVX2 with FMA");
            return;
        }
        let k = 7;
        let panel = |seed: f32| (0..k * T).map(|i| ((i as f32 + seed) * 0.37).sin()).collect::<Vec<f32>>();
        let (a0, b0, a1, b1) = (panel(1.0), panel(2.0), panel(3.0), panel(4.0));
        let mut out = [0.0; T * T];
        // SAFETY: CPU checked above; every panel holds k·16 floats.
        unsafe { tile(&[(a0.as_ptr(), b0.as_ptr()), (a1.as_ptr(), b1.as_ptr())], k, &mut out) };
        for i in 0..T {
            for l in 0..T {
                let want: f64 = (0..k)
                    .map(|p| {
                        f64::from(a0[p * T + i]) * f64::from(b0[p * T + l])
                            + f64::from(a1[p * T + i]) * f64::from(b1[p * T + l])
                    })
                    .sum();
                assert!(
                    (f64::from(out[i * T + l]) - want).abs() < 1e-5,
                    "out[{i}, {l}] = {} against {want}",
                    out[i * T + l]
                );
            }
        }
    }

    #[test]
    fn every_tile_shape_sums_its_pairs_with_rows_ldb_apart() {
        if !available() {
            eprintln!("skipped: this CPU has neither AVX-512F nor AVX2 with FMA");
            return;
        }
        let ldb = 70; // rows of b 70 floats apart, wider than any tile (64)
        let data = |len: usize, seed: f32| (0..len).map(|i| ((i as f32 + seed) * 0.37).sin()).collect::<Vec<f32>>();
        for &(r, v, kernel) in tile_shapes() {
            // two pairs of different lengths, as a convolution's taps over phases
            let (k0, k1) = (5, 3);
            let (a0, a1, b0, b1) = (data(r * k0, 1.0), data(r * k1, 2.0), data(ldb * k0, 3.0), data(ldb * k1, 4.0));
            let pairs = [(a0.as_ptr(), b0.as_ptr(), k0), (a1.as_ptr(), b1.as_ptr(), k1)];
            let mut out = [f32::NAN; T * 32];
            // SAFETY: CPU checked above; each a holds R·k floats, each b k rows of ldb ≥ 16V.
            unsafe { kernel(&pairs, ldb, &mut out) };
            let w = v * T;
            for i in 0..r {
                for l in 0..w {
                    let sum = |a: &[f32], b: &[f32], k: usize| -> f64 {
                        (0..k).map(|p| f64::from(a[p * r + i]) * f64::from(b[p * ldb + l])).sum()
                    };
                    let want = sum(&a0, &b0, k0) + sum(&a1, &b1, k1);
                    let got = f64::from(out[i * w + l]);
                    assert!((got - want).abs() < 1e-5, "{r} × {v}: out[{i}, {l}] = {got} against {want}");
                }
            }
        }
    }

    /// This CPU's transpose and, on x86-64, the scalar one of the AVX2 path (which needs no
    /// vector instructions, so it is checked on every CPU).
    #[test]
    fn a_block_is_transposed_with_missing_rows_zero() {
        let mut kernels: Vec<Transpose> = Vec::new();
        if available() {
            kernels.push(transpose16);
        }
        #[cfg(target_arch = "x86_64")]
        kernels.push(super::super::tile_avx2::transpose16);
        for kernel in kernels {
            transposes_with_missing_rows_zero(kernel);
        }
    }

    /// A 16×16 transpose's signature (`transpose16`'s).
    type Transpose = unsafe fn(*const f32, usize, usize, *mut f32, usize, usize, f32);

    fn transposes_with_missing_rows_zero(kernel: Transpose) {
        let src: Vec<f32> = (0..20 * T).map(|i| i as f32).collect();
        let mut dst = vec![-1.0f32; 17 * T];
        // 11 rows of a matrix 20 wide, into 13 rows of a matrix 17 wide
        // SAFETY: only kernels this CPU runs; 11 rows of 20 and 13 rows of 17 lie inside both.
        unsafe { kernel(src.as_ptr(), 20, 11, dst.as_mut_ptr(), 17, 13, 0.5) };
        for j in 0..T {
            for i in 0..T {
                let want = if j >= 13 {
                    -1.0
                } else if i < 11 {
                    src[i * 20 + j] + 0.5
                } else {
                    0.5
                };
                assert_eq!(dst[j * 17 + i], want, "dst[{j}, {i}]");
            }
        }
    }
}
