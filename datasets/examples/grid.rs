//! Load the shipped textures, bring them to model scale and back, and write a grid PNG.
//!
//! Run with `cargo run -p coopnets-datasets --example grid`; the grid is written to
//! `coopnets_textures_grid.png` in the system temp folder, or to the path given as the
//! first argument.

use coopnets_datasets::{data_dir, load_images, save_grid, Channels, GridOptions, LoadOptions, Scaling};

fn main() -> Result<(), coopnets_datasets::DatasetError> {
    // all nine textures, resized to 64x64 RGB, pixels in 0..255: [9, 3, 64, 64]
    let opts = LoadOptions::new(Channels::Rgb).resized(64, 64);
    let x = load_images(&data_dir().join("textures"), &opts)?;
    // what a model would see: [-1, 1]
    let scaling = Scaling::Symmetric;
    let y = scaling.apply(&x)?;
    // a 3x3 grid with 2 pixels of padding; the writer inverts the scaling
    let out = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("coopnets_textures_grid.png"));
    save_grid(&out, &y, &scaling, &GridOptions::new(3, 3))?;
    println!("wrote {} ({} images {:?})", out.display(), x.shape()[0], &x.shape()[1..]);
    Ok(())
}
