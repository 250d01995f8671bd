//! Occlusion masks: 1 = observed, 0 = missing; `missing()` is the sampler's update mask.

use coopnets_datasets::*;
use tensor::Tensor;

fn count_zero(v: &[f32]) -> usize {
    v.iter().filter(|&&m| m == 0.0).count()
}

#[test]
fn square_masks_hide_one_k_by_k_square_per_image() -> Result<()> {
    let mut rng = tensor::rng_from_seed(0);
    let m = square_mask(&[4, 3, 64, 64], 30, &mut rng)?; // M30
    assert_eq!(m.shape(), &[4, 3, 64, 64]);
    let v = m.to_vec();
    assert!(v.iter().all(|&x| x == 0.0 || x == 1.0));
    for i in 0..4 {
        let img = m.get(i)?;
        let ch0 = img.get(0)?.to_vec();
        assert_eq!(count_zero(&ch0), 900);
        // all channels share the pattern
        assert_eq!(img.get(2)?.to_vec(), ch0);
        // the missing pixels form a 30x30 square: bounding box is 30x30
        let rows: Vec<usize> = (0..4096).filter(|&p| ch0[p] == 0.0).map(|p| p / 64).collect();
        let cols: Vec<usize> = (0..4096).filter(|&p| ch0[p] == 0.0).map(|p| p % 64).collect();
        assert_eq!(rows.iter().max().unwrap() - rows.iter().min().unwrap(), 29);
        assert_eq!(cols.iter().max().unwrap() - cols.iter().min().unwrap(), 29);
    }
    // images get different positions, and the same seed gives the same masks
    assert_ne!(m.get(0)?.to_vec(), m.get(1)?.to_vec());
    assert_eq!(square_mask(&[4, 3, 64, 64], 30, &mut tensor::rng_from_seed(0))?.to_vec(), v);
    // the complement is the sampler's update mask: nonzero exactly where missing
    let upd = missing(&m)?.to_vec();
    assert_eq!(upd.iter().filter(|&&u| u != 0.0).count(), 4 * 3 * 900);
    assert!(upd.iter().zip(&v).all(|(u, m)| u + m == 1.0));
    assert!(square_mask(&[1, 1, 8, 8], 9, &mut rng).is_err());
    Ok(())
}

#[test]
fn square_at_a_given_place() -> Result<()> {
    let m = square_mask_at(&[4, 4], 1, 2, 2)?.to_vec();
    #[rustfmt::skip]
    let expect = [1.0, 1.0, 1.0, 1.0,
                  1.0, 1.0, 0.0, 0.0,
                  1.0, 1.0, 0.0, 0.0,
                  1.0, 1.0, 1.0, 1.0];
    assert_eq!(m, expect);
    Ok(())
}

#[test]
fn salt_and_pepper_hides_an_exact_fraction_of_cells() -> Result<()> {
    let mut rng = tensor::rng_from_seed(5);
    // P50 with single pixels
    let m = salt_pepper_mask(&[2, 1, 64, 64], 1, 0.5, &mut rng)?;
    assert_eq!(observed_fraction(&m), 0.5);
    assert_eq!(count_zero(&m.get(0)?.to_vec()), 2048);
    // 4x4 cells on 10x10: 3x3 = 9 cells (edge cells 2 wide), round(0.3*9) = 3 missing
    let m = salt_pepper_mask(&[1, 10, 10], 4, 0.3, &mut rng)?.to_vec();
    let cell_of = |p: usize| (p / 10 / 4) * 3 + (p % 10) / 4;
    let mut cell_state = [None; 9];
    for (p, &x) in m.iter().enumerate() {
        // every pixel of a cell has the same state
        let c = cell_of(p);
        assert!(cell_state[c].is_none_or(|s| s == x));
        cell_state[c] = Some(x);
    }
    assert_eq!(cell_state.iter().filter(|s| **s == Some(0.0)).count(), 3);
    assert!(salt_pepper_mask(&[4, 4], 1, 1.5, &mut rng).is_err());
    Ok(())
}

#[test]
fn missing_frames_blank_whole_frames() -> Result<()> {
    let m = missing_frames_mask(&[2, 3, 12, 4, 4], &[3, 5])?;
    let v = m.to_vec();
    // video 1, channel 2, frame 5 is missing; frame 4 is observed
    let at = |n: usize, c: usize, t: usize| v[(((n * 3 + c) * 12 + t) * 4) * 4];
    assert_eq!((at(1, 2, 5), at(1, 2, 4), at(0, 0, 3)), (0.0, 1.0, 0.0));
    assert_eq!(observed_fraction(&m), 10.0 / 12.0);
    let r = random_missing_frames_mask(&[12, 3, 4, 4], 4, &mut tensor::rng_from_seed(1))?;
    let frames_missing = (0..12).filter(|&t| r.get(t).map(|f| f.to_vec()[0] == 0.0).unwrap_or(false)).count();
    assert_eq!(frames_missing, 4);
    assert!(missing_frames_mask(&[12, 3, 4, 4], &[12]).is_err());
    Ok(())
}

#[test]
fn apply_mask_fills_missing_values() -> Result<()> {
    let x = Tensor::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[1, 2, 2])?;
    let m = square_mask_at(&[1, 2, 2], 0, 0, 1)?;
    assert_eq!(apply_mask(&x, &m, 0.0)?.to_vec(), vec![0.0, 6.0, 7.0, 8.0]);
    assert!(apply_mask(&x, &Tensor::ones(&[4]), 0.0).is_err());
    Ok(())
}
