//! Sound through its spectrum: Welch-averaged power spectra and the distance between their
//! logarithms (how the sound experiments measure quality), and spectrogram pictures.
//!
//! Welch: the signal is cut into Hann-windowed frames of `N = 512` samples with hop N/2; the
//! power spectrum `|FFT|²` of each frame is averaged. The distance between two sounds is the
//! RMS difference of their spectra in decibels, `sqrt(mean_f (10·log₁₀ P_a(f) − 10·log₁₀ P_b(f))²)`.

use std::path::Path;

use anyhow::{Context, Result};
use rustfft::{num_complex::Complex32, FftPlanner};

/// Frame length of the spectra.
pub const FRAME: usize = 512;

fn hann(n: usize) -> Vec<f32> {
    (0..n).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos()).collect()
}

/// Power spectra (`FRAME/2 + 1` bins) of the Hann-windowed frames of `x`, hop FRAME/2.
pub fn frames(x: &[f32]) -> Vec<Vec<f32>> {
    let fft = FftPlanner::<f32>::new().plan_fft_forward(FRAME);
    let win = hann(FRAME);
    let mut out = Vec::new();
    let mut start = 0;
    while start + FRAME <= x.len() {
        let mut buf: Vec<Complex32> =
            x[start..start + FRAME].iter().zip(&win).map(|(&v, &w)| Complex32::new(v * w, 0.0)).collect();
        fft.process(&mut buf);
        out.push(buf[..=FRAME / 2].iter().map(|c| c.norm_sqr()).collect());
        start += FRAME / 2;
    }
    out
}

/// The Welch-averaged power spectrum of several signals together.
pub fn welch(signals: &[&[f32]]) -> Vec<f32> {
    let all: Vec<Vec<f32>> = signals.iter().flat_map(|s| frames(s)).collect();
    let mut mean = vec![0.0f32; FRAME / 2 + 1];
    for f in &all {
        mean.iter_mut().zip(f).for_each(|(m, v)| *m += v / all.len().max(1) as f32);
    }
    mean
}

/// RMS difference of two power spectra in decibels.
pub fn log_distance(a: &[f32], b: &[f32]) -> f32 {
    let db = |p: f32| 10.0 * (p.max(1e-12)).log10();
    let sq: f32 = a.iter().zip(b).map(|(&x, &y)| (db(x) - db(y)).powi(2)).sum();
    (sq / a.len().max(1) as f32).sqrt()
}

/// A spectrogram of `x` as a grey PNG: time left to right, frequency bottom to top, dB
/// mapped from the loudest bin (white) down 80 dB (black). Each frame is a column at least
/// 256 / frames pixels wide, so that a short sound still makes a readable picture.
pub fn spectrogram_png(path: &Path, x: &[f32]) -> Result<()> {
    let f = frames(x);
    let scale = (256 / f.len().max(1)).max(1) as u32;
    let (w, h) = (f.len().max(1) as u32 * scale, (FRAME / 2 + 1) as u32);
    let db: Vec<Vec<f32>> = f.iter().map(|fr| fr.iter().map(|&p| 10.0 * p.max(1e-12).log10()).collect()).collect();
    let top = db.iter().flatten().copied().fold(f32::NEG_INFINITY, f32::max);
    let img = image::GrayImage::from_fn(w, h, |i, j| {
        let v = db.get((i / scale) as usize).map_or(top - 80.0, |c| c[(h - 1 - j) as usize]);
        image::Luma([(255.0 * ((v - top + 80.0) / 80.0).clamp(0.0, 1.0)) as u8])
    });
    img.save(path).with_context(|| format!("writing {}", path.display()))
}
