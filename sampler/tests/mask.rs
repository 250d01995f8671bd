//! A mask freezes coordinates: `0` entries are bit-identical after any sampler, the rest move.

mod common;

use sampler::{Hmc, Langevin, Mala, SamplerError};
use tensor::{rng_from_seed, Tensor};

/// 8 "images" `[8, 1, 4, 4]` and an inpainting mask: the left two columns are missing (1).
fn images_and_mask() -> (Tensor, Tensor) {
    let mut rng = rng_from_seed(10);
    let x = Tensor::randn(&[8, 1, 4, 4], 0.0, 1.0, &mut rng).unwrap();
    let mask: Vec<f32> = (0..8 * 16).map(|i| if i % 4 < 2 { 1.0 } else { 0.0 }).collect();
    (x, Tensor::from_vec(mask, &[8, 1, 4, 4]).unwrap())
}

fn check_frozen(before: &Tensor, after: &Tensor, mask: &Tensor, who: &str) {
    let (b, a, m) = (before.to_vec(), after.to_vec(), mask.to_vec());
    let mut moved = 0;
    for i in 0..b.len() {
        if m[i] == 0.0 {
            assert_eq!(a[i].to_bits(), b[i].to_bits(), "{who}: frozen element {i} changed");
        } else if a[i] != b[i] {
            moved += 1;
        }
    }
    // every free coordinate moves (MALA/HMC: unless every proposal of its chain was
    // rejected, which does not happen at these acceptance rates)
    assert_eq!(moved, 8 * 8, "{who}: free coordinates that moved");
}

#[test]
fn frozen_coordinates_are_bit_identical() {
    // a standard normal on [8, 16] viewed as images; the target sees the whole state
    let mut target = common::diag_gaussian(&[0.3; 16], &[1.0; 16]);
    let mut target = sampler::from_fn(move |x: &Tensor| {
        let vg = target.log_density_and_grad(&x.reshape(&[8, 16])?)?;
        Ok((vg.value, vg.grad.reshape(x.shape())?))
    });
    use sampler::LogDensity;
    let mut rng = rng_from_seed(11);
    let (x0, mask) = images_and_mask();

    let mut x = x0.clone();
    let observe = &mut |_: &sampler::StepInfo<'_>| {};
    Langevin::new(0.3, 50).run_with(&mut target, &mut x, &mut rng, Some(&mask), observe).unwrap();
    check_frozen(&x0, &x, &mask, "Langevin");
    assert_eq!(x0.to_vec(), images_and_mask().0.to_vec(), "the caller's other handle is untouched");

    let mut x = x0.clone();
    Mala::new(0.8, 50).run_with(&mut target, &mut x, &mut rng, Some(&mask), observe).unwrap();
    check_frozen(&x0, &x, &mask, "MALA");

    let mut x = x0.clone();
    Hmc::new(0.2, 5, 20).run_with(&mut target, &mut x, &mut rng, Some(&mask), observe).unwrap();
    check_frozen(&x0, &x, &mask, "HMC");

    // a mask of the wrong shape is refused
    let mut x = x0.clone();
    let bad = Tensor::ones(&[8, 16]);
    let err = Langevin::new(0.3, 1).run_with(&mut target, &mut x, &mut rng, Some(&bad), observe).unwrap_err();
    assert!(matches!(err, SamplerError::Config(_)), "{err}");
}
