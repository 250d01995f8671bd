//! The measuring code of the experiments against hand-computed cases: the inpainting
//! baselines, the recovery error and PSNR, texture patches, and the log-spectrum distance.

use coopnets_cli::experiments::baselines::{harmonic, mean_fill, nearest};
use tensor::Tensor;

fn t(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn mean_fill_uses_the_visible_pixels_of_each_plane() {
    let x = t(&[1.0, 2.0, 30.0, 40.0, 5.0, 7.0, 0.0, 0.0], &[2, 1, 2, 2]);
    let m = t(&[1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[2, 1, 2, 2]);
    let y = mean_fill(&x, &m).unwrap().to_vec();
    assert_eq!(y, vec![1.0, 2.0, 1.5, 1.5, 3.5, 7.0, 0.0, 3.5]);
}

#[test]
fn nearest_takes_the_closest_visible_pixel_first_in_row_order_on_ties() {
    let x = t(&[5.0, 0.0, 0.0, 0.0, 9.0], &[1, 1, 1, 5]);
    let m = t(&[1.0, 0.0, 0.0, 0.0, 1.0], &[1, 1, 1, 5]);
    assert_eq!(nearest(&x, &m).unwrap().to_vec(), vec![5.0, 5.0, 5.0, 9.0, 9.0]);
    // 2-d: the centre of a 3×3 ring is nearest to four pixels at distance 1: the first, (0, 1)
    let x = t(&[1.0, 2.0, 3.0, 4.0, 0.0, 6.0, 7.0, 8.0, 9.0], &[1, 1, 3, 3]);
    let m = t(&[1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0], &[1, 1, 3, 3]);
    assert_eq!(nearest(&x, &m).unwrap().to_vec()[4], 2.0);
}

#[test]
fn harmonic_fill_is_linear_between_two_ends_in_one_dimension() {
    // Laplace's equation on a line: u'' = 0, so the fill interpolates linearly
    let x = t(&[0.0, 0.0, 0.0, 0.0, 0.0, 6.0], &[1, 1, 1, 6]);
    let m = t(&[1.0, 0.0, 0.0, 0.0, 0.0, 1.0], &[1, 1, 1, 6]);
    let y = harmonic(&x, &m).unwrap().to_vec();
    for (i, v) in y.iter().enumerate() {
        assert!((v - 1.2 * i as f32).abs() < 1e-3, "pixel {i}: {v}");
    }
    assert!(harmonic(&x, &Tensor::zeros(&[1, 1, 1, 6])).is_err(), "nothing visible is an error");
}

#[test]
fn recovery_error_and_psnr_are_on_the_unit_scale_over_missing_pixels() {
    // data in [−1, 1]: truth −1 filled with 0 is an error of 0.5 on [0, 1]; the visible pixel
    // (wrong on purpose) does not count
    let y = t(&[-1.0, 1.0], &[1, 1, 1, 2]);
    let filled = t(&[0.0, -1.0], &[1, 1, 1, 2]);
    let mask = t(&[0.0, 1.0], &[1, 1, 1, 2]);
    let (mae, psnr) = coopnets_cli::experiments::recovery_error(&y, &filled, &mask).unwrap();
    assert!((mae - 0.5).abs() < 1e-6, "{mae}");
    assert!((psnr - 10.0 * 4f32.log10()).abs() < 1e-4, "{psnr}");
}

#[test]
fn patches_are_the_overlapping_crops_at_half_stride() {
    let x = t(&(0..36).map(|v| v as f32).collect::<Vec<_>>(), &[1, 1, 6, 6]);
    let p = coopnets_cli::data::patches(&x, 4).unwrap();
    assert_eq!(p.shape(), &[4, 1, 4, 4]);
    assert_eq!(p.get(3).unwrap().to_vec()[0], 14.0, "the crop at (2, 2) starts with pixel 2·6 + 2");
    assert!(coopnets_cli::data::patches(&x, 7).is_err());
}

#[test]
fn the_log_spectrum_distance_separates_a_tone_from_noise() {
    use coopnets_cli::spectrum::{log_distance, welch};
    let tone: Vec<f32> = (0..8000).map(|i| (0.2 * i as f32).sin()).collect();
    let noise = Tensor::randn(&[8000], 0.0, 0.7, &mut tensor::rng_from_seed(0)).unwrap().to_vec();
    let (pt, pn) = (welch(&[&tone]), welch(&[&noise]));
    assert_eq!(log_distance(&pt, &pt), 0.0);
    let other_noise = Tensor::randn(&[8000], 0.0, 0.7, &mut tensor::rng_from_seed(1)).unwrap().to_vec();
    let d_noise = log_distance(&welch(&[&other_noise]), &pn);
    let d_tone = log_distance(&pt, &pn);
    println!("noise vs noise {d_noise:.2} dB, tone vs noise {d_tone:.2} dB");
    assert!(d_noise < 1.5 && d_tone > 10.0 * d_noise, "{d_noise} {d_tone}");
}
