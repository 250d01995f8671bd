//! # coopnets-datasets
//!
//! Real data in, synthesized data out. The descriptor, generator and CoopNets models learn
//! from real images, sounds and videos, and people look at and listen to what they
//! synthesize. This crate moves data between files and [`tensor::Tensor`]s in PyTorch's
//! layouts — images `[C, H, W]` / `[N, C, H, W]`, video `[T, C, H, W]` / `[N, C, T, H, W]`,
//! audio `[L]` / `[N, 1, L]` — and makes the occlusion masks of the pattern-completion
//! experiments. Read in this order:
//!
//! 1. [`error`]: every failure is a [`DatasetError`] naming the file and what is wrong.
//! 2. [`paths`]: deterministic (natural) file order.
//! 3. [`images`], [`transform`]: image files → tensors in the pixel scale 0..255; resize, crops.
//! 4. [`scaling`]: [`Scaling`], pixel scale ↔ model scale.
//! 5. [`save`], [`grid`]: tensors → PNG, one image or a grid of samples.
//! 6. [`idx`], [`digits_csv`], [`split`]: labelled digit sets and seeded train/test splits.
//! 7. [`audio`]: WAV in and out, resampling, segments.
//! 8. [`video`]: frame folders and animated GIFs in and out.
//! 9. [`masks`]: occlusion masks (1 = observed, 0 = missing).
//!
//! The data shipped with the repository lives in [`data_dir()`] (see `data/SOURCES.md`).
//!
//! ```
//! use coopnets_datasets::{data_dir, load_images, LoadOptions, Channels, Scaling};
//! let x = load_images(&data_dir().join("textures/gimp_stone_brick.png"),
//!                     &LoadOptions::new(Channels::Rgb).resized(64, 64))?;
//! assert_eq!(x.shape(), &[1, 3, 64, 64]);
//! let y = Scaling::Symmetric.apply(&x)?; // model scale [-1, 1]
//! assert!(y.to_vec().iter().all(|v| (-1.0..=1.0).contains(v)));
//! # Ok::<(), coopnets_datasets::DatasetError>(())
//! ```

use std::path::PathBuf;

pub mod audio;
pub mod digits_csv;
pub mod error;
pub mod grid;
pub mod idx;
pub mod images;
pub mod limits;
pub mod masks;
pub mod paths;
pub mod save;
pub mod scaling;
pub mod split;
pub mod transform;
pub mod video;

pub use audio::{load_wav, resample, save_wav, segments, Waveform};
pub use digits_csv::load_digits_csv;
pub use error::{DatasetError, Result};
pub use grid::{make_grid, save_grid, GridOptions};
pub use idx::{load_idx_images, load_idx_labels, load_mnist, read_maybe_gzip};
pub use images::{load_image, load_image_with, load_images, Channels, LoadOptions};
pub use masks::{
    apply_mask, missing, missing_frames_mask, observed_fraction, random_missing_frames_mask, salt_pepper_mask,
    square_mask, square_mask_at,
};
pub use paths::{list_files, list_images, natural_cmp};
pub use save::{contrast_stretch, save_image, save_images, to_dynamic_image};
pub use scaling::{Scaling, VGG_MEAN};
pub use split::{split_indices, LabeledImages};
pub use transform::{center_crop, crop, random_crop, resize};
pub use video::{
    batch_videos, load_frames, load_gif, load_gif_delays_ms, load_video, save_frames, save_gif, unbatch_video,
};

/// The repository's `data/` folder, where the shipped textures, digits, audio clips and video
/// frames live: `$COOPNETS_DATA` if set, else `data/` under the working directory. No path
/// is compiled in, so an installed or moved binary behaves as the one in the build tree.
/// Cargo sets `COOPNETS_DATA` to the checkout's `data/` for everything it runs (`cargo
/// xtask`, `cargo run`, `cargo test`; `[env]` in `.cargo/config.toml`), so those work from
/// any folder of the checkout; a value you set yourself wins.
pub fn data_dir() -> PathBuf {
    std::env::var_os("COOPNETS_DATA").map_or_else(|| PathBuf::from("data"), PathBuf::from)
}

/// The README's example, compiled as a doctest (`no_run`: it writes a file).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
