//! A small PNG line plot (no font files needed): the learning curves of a run.
//!
//! Axes, a light grid, one polyline per series and numeric tick labels drawn with a built-in
//! 3×5 pixel font. Titles and legends go in the HTML report, where text is text.

use std::path::Path;

use anyhow::Result;
use image::{Rgb, RgbImage};

/// A named series of y values (x = index) and its colour.
pub struct Series<'a> {
    pub values: &'a [f32],
    pub color: [u8; 3],
}

const W: u32 = 720;
const H: u32 = 360;
const LEFT: u32 = 70;
const RIGHT: u32 = 20;
const TOP: u32 = 15;
const BOTTOM: u32 = 30;

/// 3×5 glyphs for the characters of a number.
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '-' => [0, 0, 7, 0, 0],
        '.' => [0, 0, 0, 0, 2],
        'e' => [0, 7, 7, 4, 7],
        '+' => [0, 2, 7, 2, 0],
        _ => [0; 5],
    }
}

fn text(img: &mut RgbImage, x: u32, y: u32, s: &str, color: Rgb<u8>) {
    const SCALE: u32 = 2;
    for (i, c) in s.chars().enumerate() {
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..3 {
                if bits & (4 >> col) != 0 {
                    for dy in 0..SCALE {
                        for dx in 0..SCALE {
                            let (px, py) = (x + (i as u32 * 4 + col) * SCALE + dx, y + row as u32 * SCALE + dy);
                            if px < img.width() && py < img.height() {
                                img.put_pixel(px, py, color);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn line(img: &mut RgbImage, (x0, y0): (f32, f32), (x1, y1): (f32, f32), color: Rgb<u8>) {
    let n = ((x1 - x0).abs().max((y1 - y0).abs()).ceil() as usize).max(1);
    for i in 0..=n {
        let t = i as f32 / n as f32;
        let (x, y) = (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
        for (dx, dy) in [(0, 0), (1, 0), (0, 1)] {
            let (px, py) = (x.round() as i64 + dx, y.round() as i64 + dy);
            if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                img.put_pixel(px as u32, py as u32, color);
            }
        }
    }
}

fn label(v: f32) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-2) {
        format!("{v:.1e}")
    } else {
        format!("{v:.2}")
    }
}

/// Plot `series` against their index into a PNG at `path`.
pub fn line_plot(path: &Path, series: &[Series<'_>]) -> Result<()> {
    let mut img = RgbImage::from_pixel(W, H, Rgb([255, 255, 255]));
    let finite = series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() {
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        }
    } else {
        (0.0, 1.0)
    };
    let n = series.iter().map(|s| s.values.len()).max().unwrap_or(0).max(2);
    let (pw, ph) = ((W - LEFT - RIGHT) as f32, (H - TOP - BOTTOM) as f32);
    let to_px = |i: usize, v: f32| {
        (LEFT as f32 + pw * i as f32 / (n - 1) as f32, TOP as f32 + ph * (1.0 - (v - lo) / (hi - lo)))
    };
    let grey = Rgb([225, 225, 225]);
    for k in 0..=4 {
        let v = lo + (hi - lo) * k as f32 / 4.0;
        let y = to_px(0, v).1;
        line(&mut img, (LEFT as f32, y), ((W - RIGHT) as f32, y), grey);
        text(&mut img, 4, (y as u32).saturating_sub(5), &label(v), Rgb([60, 60, 60]));
    }
    for k in 0..=4 {
        let i = (n - 1) * k / 4;
        let x = to_px(i, lo).0;
        line(&mut img, (x, TOP as f32), (x, (H - BOTTOM) as f32), grey);
        text(&mut img, (x as u32).saturating_sub(8), H - BOTTOM + 8, &i.to_string(), Rgb([60, 60, 60]));
    }
    let black = Rgb([0, 0, 0]);
    line(&mut img, (LEFT as f32, TOP as f32), (LEFT as f32, (H - BOTTOM) as f32), black);
    line(&mut img, (LEFT as f32, (H - BOTTOM) as f32), ((W - RIGHT) as f32, (H - BOTTOM) as f32), black);
    for s in series {
        let pts: Vec<(f32, f32)> =
            s.values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, &v)| to_px(i, v)).collect();
        for w in pts.windows(2) {
            line(&mut img, w[0], w[1], Rgb(s.color));
        }
    }
    img.save(path)?;
    Ok(())
}
