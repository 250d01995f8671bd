//! Loading the observed images of a run as one `[N, C, H, W]` tensor in model scale.

use anyhow::{bail, Context, Result};
use datasets::LoadOptions;
use tensor::Tensor;

use crate::config::{DataConfig, Source};

/// The observed images, already scaled.
pub fn load_observed(cfg: &DataConfig) -> Result<Tensor> {
    let pixels = match &cfg.source {
        Source::Images { path } => {
            let mut opts = LoadOptions::new(cfg.channels);
            if cfg.size > 0 && cfg.crop == 0 {
                opts = opts.resized(cfg.size, cfg.size);
            }
            let x = datasets::load_images(path, &opts)
                .with_context(|| format!("loading observed images from {}", path.display()))?;
            match (cfg.crop, cfg.size) {
                (0, _) => x,
                (c, 0) => datasets::center_crop(&x, c, c)?,
                (c, s) => datasets::resize(&datasets::center_crop(&x, c, c)?, s, s)?,
            }
        }
        Source::Idx { images, labels, class, count } => {
            let set = datasets::load_mnist(images, labels).context("loading the IDX data set")?;
            let idx: Vec<usize> =
                set.labels.iter().enumerate().filter(|(_, &l)| l == *class).map(|(i, _)| i).take(*count).collect();
            if idx.is_empty() {
                bail!("no image of class {class} in {}", labels.display());
            }
            let x = set.select(&idx)?.scaled_to_255()?;
            if cfg.size > 0 {
                datasets::resize(&x, cfg.size, cfg.size)?
            } else {
                x
            }
        }
    };
    Ok(cfg.scaling.apply(&pixels)?)
}
