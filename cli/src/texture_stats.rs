//! Two checks of a synthesized texture that a texture-statistics distance can miss.
//!
//! * **Border band**: zero padding leaves the outer pixels under fewer filters, so Langevin
//!   pulls them less towards the texture and the reference prior pulls them to the mean: a
//!   flat band. [`border_ratio`] = std of the outer `band` pixels / std of the interior
//!   (≥ 0.5 required; about 1 for a stationary texture).
//! * **Stride grid**: a first layer with stride s sees the image on an s-pixel lattice and can
//!   leave a periodic pattern of period s. [`grid_power`] is the fraction of the image's
//!   variance at the lattice's frequencies (k/s cycles per pixel along each axis and both
//!   diagonals, by a direct DFT at those frequencies); the report compares it with the
//!   observed image's.
//!
//! And one that the distance weighs heavily: **contrast and brightness**. texdist's pixel
//! term is the Wasserstein distance between grey-level histograms, divided by that of white
//! noise with the observed mean and standard deviation, which matches the first two moments by
//! construction; a sample 10% too contrasted or too flat already scores 1–2 there, however
//! good its spectrum and filter statistics. [`contrast`] gives the sample's std over the
//! observed's and its mean shift in observed stds.

use std::f64::consts::PI;

/// Mean and standard deviation of `v`.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n).sqrt())
}

/// Std of the outer `band` pixels of an `h × w` image over the std of the pixels inside them.
pub fn border_ratio(img: &[f32], h: usize, w: usize, band: usize) -> f32 {
    let (mut outer, mut inner) = (Vec::new(), Vec::new());
    for i in 0..h {
        for j in 0..w {
            let edge = i < band || j < band || i + band >= h || j + band >= w;
            (if edge { &mut outer } else { &mut inner }).push(f64::from(img[i * w + j]));
        }
    }
    let (_, so) = mean_std(&outer);
    let (_, si) = mean_std(&inner);
    if si > 0.0 {
        (so / si) as f32
    } else {
        f32::NAN
    }
}

/// `(std(sample) / std(observed), (mean(sample) − mean(observed)) / std(observed))`: 1 and 0
/// for a sample with the observed's grey-level moments (NaN for a constant observed image).
pub fn contrast(sample: &[f32], observed: &[f32]) -> (f32, f32) {
    let f = |v: &[f32]| mean_std(&v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
    let ((ms, ss), (mo, so)) = (f(sample), f(observed));
    if so > 0.0 {
        ((ss / so) as f32, ((ms - mo) / so) as f32)
    } else {
        (f32::NAN, f32::NAN)
    }
}

/// Fraction of the variance of an `h × w` image at the frequencies of a stride-`s` lattice:
/// `Σ_f |X(f)|² / (n · Σ (x − x̄)²)` over f = (a/s, b/s) cycles per pixel, a, b in
/// 0..s, not both 0, counting each ± pair once (NaN for a constant image or s < 2).
pub fn grid_power(img: &[f32], h: usize, w: usize, s: usize) -> f32 {
    if s < 2 {
        return f32::NAN;
    }
    let n = (h * w) as f64;
    let mean = img.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var: f64 = img.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum();
    if var == 0.0 {
        return f32::NAN;
    }
    let mut power = 0.0;
    for a in 0..s {
        for b in 0..s {
            // (a, b) and (s − a, s − b) are the same frequency pair (a real image's conjugate)
            if (a, b) == (0, 0) || (a, b) > ((s - a) % s, (s - b) % s) {
                continue;
            }
            let (fu, fv) = (a as f64 / s as f64, b as f64 / s as f64);
            let (mut re, mut im) = (0.0, 0.0);
            for i in 0..h {
                for j in 0..w {
                    let phase = -2.0 * PI * (fu * i as f64 + fv * j as f64);
                    let x = f64::from(img[i * w + j]) - mean;
                    re += x * phase.cos();
                    im += x * phase.sin();
                }
            }
            let both = if (a, b) == ((s - a) % s, (s - b) % s) { 1.0 } else { 2.0 };
            power += both * (re * re + im * im) / n;
        }
    }
    (power / var) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn noise(h: usize, w: usize, seed: u64) -> Vec<f32> {
        let mut r = tensor::rng_from_seed(seed);
        (0..h * w).map(|_| r.random_range(-1.0..1.0)).collect()
    }

    #[test]
    fn a_flat_band_scores_low_and_noise_scores_one() {
        let (h, w) = (40, 48);
        let mut img = noise(h, w, 1);
        assert!((border_ratio(&img, h, w, 8) - 1.0).abs() < 0.1);
        for i in 0..h {
            for j in 0..w {
                if i < 8 || j < 8 || i >= h - 8 || j >= w - 8 {
                    img[i * w + j] = 0.1;
                }
            }
        }
        assert!(border_ratio(&img, h, w, 8) < 1e-3);
    }

    #[test]
    fn a_period_3_lattice_holds_its_variance_at_the_grid_frequencies() {
        let (h, w) = (30, 33);
        // white noise spreads its variance: 4 of its h·w frequency pairs are lattice ones
        let white = grid_power(&noise(h, w, 2), h, w, 3);
        assert!(white < 0.05, "{white}");
        // a pattern of period 3 along both axes has all its variance there
        let lattice: Vec<f32> =
            (0..h * w).map(|k| if (k / w) % 3 == 0 && (k % w) % 3 == 0 { 1.0 } else { 0.0 }).collect();
        let p = grid_power(&lattice, h, w, 3);
        assert!((p - 1.0).abs() < 1e-3, "{p}");
    }

    /// A sample scaled by 1.2 about another mean reads as 1.2 times the contrast, shifted by
    /// the difference of the means in observed stds; the observed itself reads (1, 0).
    #[test]
    fn contrast_reads_the_std_ratio_and_the_mean_shift() {
        let obs = noise(20, 20, 3);
        let (m, s) = mean_std(&obs.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
        let sample: Vec<f32> = obs.iter().map(|&x| ((f64::from(x) - m) * 1.2 + m + 0.5 * s) as f32).collect();
        let (ratio, shift) = contrast(&sample, &obs);
        assert!((ratio - 1.2).abs() < 1e-4 && (shift - 0.5).abs() < 1e-4, "{ratio} {shift}");
        assert_eq!(contrast(&obs, &obs), (1.0, 0.0));
        assert!(contrast(&obs, &[0.3; 4]).0.is_nan());
    }
}
