//! A labelled image set and its seeded split into train and test parts.
//!
//! MNIST-style files and the digits CSV load into [`LabeledImages`]: images `[N, 1, H, W]`,
//! one `u8` label per image, and the value that stands for full intensity (255 for IDX
//! files, 16 for the digits CSV) so the set can be brought to the common 0..255 pixel
//! scale with [`LabeledImages::scaled_to_255`]. [`LabeledImages::split`] shuffles the
//! indices with a seeded generator, so a split is the same on every run with the same seed.

use rand::seq::SliceRandom;
use rand::Rng;
use tensor::Tensor;

use crate::error::{DatasetError, Result};

/// Images `[N, C, H, W]` with one label each.
#[derive(Clone, Debug)]
pub struct LabeledImages {
    /// `[N, C, H, W]`, values in `0..=max_value`.
    pub images: Tensor,
    /// `labels[i]` is the class of image `i`.
    pub labels: Vec<u8>,
    /// The value of full intensity in `images` (255 for IDX files, 16 for the digits CSV).
    pub max_value: f32,
}

impl LabeledImages {
    /// Pair images and labels, checking that there is one label per image.
    pub fn new(images: Tensor, labels: Vec<u8>, max_value: f32) -> Result<LabeledImages> {
        if images.rank() != 4 || images.shape()[0] != labels.len() {
            return Err(DatasetError::invalid(
                "LabeledImages::new",
                format!(
                    "need images [N, C, H, W] and N labels, got shape {:?} and {} labels",
                    images.shape(),
                    labels.len()
                ),
            ));
        }
        Ok(LabeledImages { images, labels, max_value })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images rescaled so that `max_value` becomes 255 (the pixel scale of
    /// [`Scaling`](crate::Scaling)).
    pub fn scaled_to_255(&self) -> Result<Tensor> {
        let k = 255.0 / self.max_value;
        let v = self.images.to_vec().into_iter().map(|p| p * k).collect();
        Ok(Tensor::from_vec(v, self.images.shape())?)
    }

    /// The items at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Result<LabeledImages> {
        let mut imgs = Vec::with_capacity(indices.len());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            let label = *self.labels.get(i).ok_or_else(|| {
                DatasetError::invalid(
                    "LabeledImages::select",
                    format!("index {i} out of range for {} items", self.len()),
                )
            })?;
            imgs.push(self.images.get(i)?);
            labels.push(label);
        }
        let images = if imgs.is_empty() {
            let mut s = self.images.shape().to_vec();
            s[0] = 0;
            Tensor::zeros(&s)
        } else {
            let refs: Vec<&Tensor> = imgs.iter().collect();
            Tensor::stack(&refs, 0)?
        };
        LabeledImages::new(images, labels, self.max_value)
    }

    /// The first `n` items (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Result<LabeledImages> {
        let idx: Vec<usize> = (0..n.min(self.len())).collect();
        self.select(&idx)
    }

    /// Shuffle with `rng` and split into (train, test), the test part holding
    /// `round(test_fraction · N)` items.
    pub fn split<R: Rng + ?Sized>(&self, test_fraction: f32, rng: &mut R) -> Result<(LabeledImages, LabeledImages)> {
        let (train, test) = split_indices(self.len(), test_fraction, rng)?;
        Ok((self.select(&train)?, self.select(&test)?))
    }
}

/// A seeded random split of `0..n` into (train, test) index lists; the test list holds
/// `round(test_fraction · n)` indices. Both lists are in shuffled order.
pub fn split_indices<R: Rng + ?Sized>(n: usize, test_fraction: f32, rng: &mut R) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(0.0..=1.0).contains(&test_fraction) {
        return Err(DatasetError::invalid("split", format!("test fraction {test_fraction} is not in [0, 1]")));
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    let n_test = ((n as f64) * f64::from(test_fraction)).round() as usize;
    let train = idx.split_off(n_test.min(n));
    Ok((train, idx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_a_seeded_partition() -> Result<()> {
        let (train, test) = split_indices(10, 0.3, &mut tensor::rng_from_seed(1))?;
        assert_eq!((train.len(), test.len()), (7, 3));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        let again = split_indices(10, 0.3, &mut tensor::rng_from_seed(1))?;
        assert_eq!(again, (train, test));
        assert!(split_indices(10, 1.5, &mut tensor::rng_from_seed(1)).is_err());
        Ok(())
    }

    #[test]
    fn select_keeps_images_and_labels_together() -> Result<()> {
        let x = Tensor::from_vec(vec![0.0, 1.0, 2.0], &[3, 1, 1, 1])?;
        let set = LabeledImages::new(x, vec![10, 11, 12], 2.0)?;
        let s = set.select(&[2, 0])?;
        assert_eq!(s.images.to_vec(), vec![2.0, 0.0]);
        assert_eq!(s.labels, vec![12, 10]);
        assert_eq!(set.scaled_to_255()?.to_vec(), vec![0.0, 127.5, 255.0]);
        assert!(set.select(&[3]).is_err());
        Ok(())
    }
}
