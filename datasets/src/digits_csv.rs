//! The scikit-learn digits CSV: 1797 handwritten digits of 8×8 pixels.
//!
//! Each line holds 64 integers 0..=16 (the pixels, row by row) and then the label 0..=9,
//! separated by commas (scikit-learn's `digits.csv`, from the UCI "Optical Recognition of
//! Handwritten Digits" set). The images load as `[N, 1, 8, 8]` with their raw values 0..16
//! (`max_value = 16`); use [`LabeledImages::scaled_to_255`] to get the common pixel scale.

use std::path::Path;

use tensor::Tensor;

use crate::error::{require_exists, DatasetError, Result};
use crate::split::LabeledImages;

/// Pixels per digit (8×8).
pub const DIGIT_PIXELS: usize = 64;

/// Load the digits CSV at `path` (blank lines are skipped; a `.gz` file is inflated).
pub fn load_digits_csv(path: &Path) -> Result<LabeledImages> {
    require_exists(path)?;
    let bytes = crate::idx::read_maybe_gzip(path)?;
    let text = String::from_utf8(bytes).map_err(|e| DatasetError::decode(path, format!("not UTF-8 text: {e}")))?;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |msg: String| DatasetError::Csv { path: path.to_path_buf(), line: i + 1, msg };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != DIGIT_PIXELS + 1 {
            return Err(bad(format!("{} fields, expected {} (64 pixels and a label)", fields.len(), DIGIT_PIXELS + 1)));
        }
        for f in &fields[..DIGIT_PIXELS] {
            // the file writes integers, possibly as "0.0"
            let v: f32 = f.parse().map_err(|_| bad(format!("pixel {f:?} is not a number")))?;
            if !(0.0..=16.0).contains(&v) {
                return Err(bad(format!("pixel {v} outside 0..=16")));
            }
            pixels.push(v);
        }
        let label_field = fields[DIGIT_PIXELS];
        let label: f32 = label_field.parse().map_err(|_| bad(format!("label {label_field:?} is not a number")))?;
        if !(0.0..=9.0).contains(&label) || label.fract() != 0.0 {
            return Err(bad(format!("label {label} is not a digit 0..9")));
        }
        labels.push(label as u8);
    }
    if labels.is_empty() {
        return Err(DatasetError::decode(path, "no digits in file"));
    }
    let images = Tensor::from_vec(pixels, &[labels.len(), 1, 8, 8])?;
    LabeledImages::new(images, labels, 16.0)
}
