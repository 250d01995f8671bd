//! A grid of images in one PNG: the usual way to look at a batch of synthesized samples.
//!
//! `[N, C, H, W]` images are laid out row by row in `rows × cols` cells with `padding`
//! pixels of `pad_value` between cells and around the border (as torchvision's
//! `make_grid`). Missing cells (N < rows·cols) are filled with `pad_value`; extra images are
//! left out. With `stretch`, each image is contrast-stretched to 0..255 first, as the
//! reference code does before saving samples.

use std::path::Path;

use tensor::Tensor;

use crate::error::{DatasetError, Result};
use crate::save::{contrast_stretch, to_dynamic_image, write_dynamic};
use crate::scaling::Scaling;

/// Layout of an image grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridOptions {
    /// Number of rows of cells.
    pub rows: usize,
    /// Number of columns of cells.
    pub cols: usize,
    /// Pixels between cells and around the border.
    pub padding: usize,
    /// Value (pixel scale 0..255) of padding and empty cells.
    pub pad_value: f32,
    /// Contrast-stretch each image to 0..255 before placing it.
    pub stretch: bool,
}

impl GridOptions {
    /// `rows × cols` cells, 2 pixels of black padding, no stretch.
    pub fn new(rows: usize, cols: usize) -> GridOptions {
        GridOptions { rows, cols, padding: 2, pad_value: 0.0, stretch: false }
    }

    /// The smallest square-ish grid (`cols = ceil(sqrt(n))`) that holds `n` images.
    pub fn fit(n: usize) -> GridOptions {
        let cols = (n as f64).sqrt().ceil().max(1.0) as usize;
        GridOptions::new(n.div_ceil(cols).max(1), cols)
    }
}

/// Tile `x` (`[N, C, H, W]`, pixel scale 0..255) into one `[C, H', W']` image with
/// `H' = rows·H + (rows+1)·padding` and `W' = cols·W + (cols+1)·padding`.
pub fn make_grid(x: &Tensor, opts: &GridOptions) -> Result<Tensor> {
    let [n, c, h, w] = *x.shape() else {
        return Err(DatasetError::invalid("make_grid", format!("need [N, C, H, W], got shape {:?}", x.shape())));
    };
    if opts.rows == 0 || opts.cols == 0 {
        return Err(DatasetError::invalid("make_grid", "rows and cols must be positive"));
    }
    let x = if opts.stretch { contrast_stretch(x)? } else { x.clone() };
    let v = x.to_vec();
    let p = opts.padding;
    let (gh, gw) = (opts.rows * (h + p) + p, opts.cols * (w + p) + p);
    let mut out = vec![opts.pad_value; c * gh * gw];
    for i in 0..n.min(opts.rows * opts.cols) {
        let (r, col) = (i / opts.cols, i % opts.cols);
        let (y0, x0) = (p + r * (h + p), p + col * (w + p));
        for ch in 0..c {
            for y in 0..h {
                let src = ((i * c + ch) * h + y) * w;
                let dst = (ch * gh + y0 + y) * gw + x0;
                out[dst..dst + w].copy_from_slice(&v[src..src + w]);
            }
        }
    }
    Ok(Tensor::from_vec(out, &[c, gh, gw])?)
}

/// Save `x` (`[N, C, H, W]` in scale `scaling`, C = 1 or 3) as a grid image at `path`.
pub fn save_grid(path: &Path, x: &Tensor, scaling: &Scaling, opts: &GridOptions) -> Result<()> {
    let pixels = scaling.invert(x)?;
    let grid = make_grid(&pixels, opts)?;
    write_dynamic(path, &to_dynamic_image(&grid)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_places_images_row_by_row_with_padding() -> Result<()> {
        // three 1x2x2 images with constant values 10, 20, 30 in a 2x2 grid, padding 1
        let v: Vec<f32> = [10.0, 20.0, 30.0].iter().flat_map(|&a| [a; 4]).collect();
        let x = Tensor::from_vec(v, &[3, 1, 2, 2])?;
        let opts = GridOptions { padding: 1, pad_value: 255.0, ..GridOptions::new(2, 2) };
        let g = make_grid(&x, &opts)?;
        assert_eq!(g.shape(), &[1, 7, 7]);
        let g = g.to_vec();
        assert_eq!(g[0], 255.0); // border
        assert_eq!(g[7 + 1], 10.0); // row 1, col 1: image 0
        assert_eq!(g[7 + 4], 20.0); // row 1, col 4: image 1
        assert_eq!(g[4 * 7 + 1], 30.0); // row 4, col 1: image 2
        assert_eq!(g[4 * 7 + 4], 255.0); // empty fourth cell
        assert_eq!(GridOptions::fit(10).rows * GridOptions::fit(10).cols, 12);
        Ok(())
    }
}
