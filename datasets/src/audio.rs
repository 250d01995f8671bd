//! WAV audio: read (any common integer or float encoding, down-mixed to mono, in [−1, 1]),
//! resample, cut into fixed-length segments, write 16-bit.
//!
//! Reading uses `hound`. Integer samples of `b` bits are divided by `2^(b−1)` (so 16-bit
//! −32768..32767 becomes −1..0.99997; 8-bit WAVs, stored unsigned, are re-centred by
//! `hound`); 32-bit float samples are taken as they are. Several channels are averaged into
//! one. Resampling is *linear interpolation* between neighbouring samples: simple and
//! adequate for the low-rate training signals used here, but with no anti-aliasing filter,
//! so downsampling by a large factor folds high frequencies back. Writing is 16-bit PCM
//! mono: values are clamped to [−1, 1] and scaled by 32768, so a 16-bit file read and
//! written again is bit-exact.

use std::path::Path;

use tensor::Tensor;

use crate::error::{require_exists, DatasetError, Result};

/// A mono signal `[L]` in [−1, 1] and its sample rate in Hz.
#[derive(Clone, Debug)]
pub struct Waveform {
    /// The samples, shape `[L]`.
    pub samples: Tensor,
    /// Samples per second.
    pub sample_rate: u32,
}

impl Waveform {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.numel()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.len() as f64 / f64::from(self.sample_rate)
    }

    /// The same sound at `rate` Hz (linear interpolation; see the module docs).
    pub fn resampled(&self, rate: u32) -> Result<Waveform> {
        Ok(Waveform { samples: resample(&self.samples, self.sample_rate, rate)?, sample_rate: rate })
    }

    /// Segments of `len` samples every `hop` samples, as `[N, 1, len]` (see [`segments`]).
    pub fn segments(&self, len: usize, hop: usize) -> Result<Tensor> {
        segments(&self.samples, len, hop)
    }
}

fn map_hound(path: &Path, e: hound::Error) -> DatasetError {
    let unsupported = |msg: String| DatasetError::UnsupportedWav { path: path.to_path_buf(), msg };
    match e {
        // the bytes are already in memory, so an I/O error means the header ran out
        hound::Error::IoError(io) => DatasetError::decode(path, format!("WAV header ends early (truncated?): {io}")),
        hound::Error::Unsupported => {
            unsupported("format tag is neither integer PCM nor IEEE float (e.g. ADPCM, A-law, mu-law)".into())
        }
        hound::Error::FormatError(m) if m.starts_with("bits per sample") => unsupported(m.into()),
        other => DatasetError::decode(path, format!("bad WAV file: {other}")),
    }
}

/// The largest magnitude a float WAV sample may have (full scale is 1; louder files exist,
/// 1e30 is corruption).
pub const MAX_FLOAT_SAMPLE: f32 = 64.0;

/// Read the WAV file at `path` as a mono [`Waveform`] in [−1, 1].
///
/// Supported: integer PCM of 8, 16, 24 or 32 bits and 32-bit float, any number of
/// channels (averaged). Anything else is [`DatasetError::UnsupportedWav`]; a data chunk
/// shorter than its header says is [`DatasetError::Truncated`]; a sample rate of 0 and float
/// samples that are NaN, ±Inf or beyond ±[`MAX_FLOAT_SAMPLE`] are decode errors.
pub fn load_wav(path: &Path) -> Result<Waveform> {
    require_exists(path)?;
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let file_len = bytes.len();
    let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|e| map_hound(path, e))?;
    let spec = reader.spec();
    if spec.sample_rate == 0 || spec.channels == 0 {
        return Err(DatasetError::decode(
            path,
            format!("WAV header says {} Hz and {} channels: both must be ≥ 1", spec.sample_rate, spec.channels),
        ));
    }
    let channels = usize::from(spec.channels);
    let announced = reader.len() as usize;
    let bytes_per_sample = usize::from(spec.bits_per_sample).div_ceil(8);
    // a corrupt header may announce far more samples than the file holds: cap the allocation
    let mut interleaved: Vec<f32> = Vec::with_capacity(announced.min(file_len));
    let mut push = |s: std::result::Result<f32, hound::Error>| -> Result<()> {
        match s {
            Ok(v) => {
                interleaved.push(v);
                Ok(())
            }
            // the bytes are in memory: an I/O error here means the data ran out
            Err(hound::Error::IoError(_)) => Err(DatasetError::Truncated {
                path: path.to_path_buf(),
                expected: announced * bytes_per_sample,
                found: interleaved.len() * bytes_per_sample,
            }),
            Err(e) => Err(map_hound(path, e)),
        }
    };
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (2f64).powi(i32::from(bits) - 1);
            for s in reader.samples::<i32>() {
                push(s.map(|v| (f64::from(v) * scale) as f32))?;
            }
        }
        (hound::SampleFormat::Float, 32) => {
            for (i, s) in reader.samples::<f32>().enumerate() {
                // float audio lives in [−1, 1]; allow headroom, refuse garbage
                if let Ok(v) = s {
                    if !v.is_finite() || v.abs() > MAX_FLOAT_SAMPLE {
                        return Err(DatasetError::decode(
                            path,
                            format!("sample {i} is {v}: float samples must be finite and within ±{MAX_FLOAT_SAMPLE}"),
                        ));
                    }
                }
                push(s)?;
            }
        }
        (fmt, bits) => {
            return Err(DatasetError::UnsupportedWav {
                path: path.to_path_buf(),
                msg: format!("{bits}-bit {fmt:?} samples (supported: 8/16/24/32-bit int, 32-bit float)"),
            })
        }
    }
    if interleaved.len() < announced {
        return Err(DatasetError::Truncated {
            path: path.to_path_buf(),
            expected: announced * bytes_per_sample,
            found: interleaved.len() * bytes_per_sample,
        });
    }
    let mono: Vec<f32> =
        interleaved.chunks_exact(channels.max(1)).map(|frame| frame.iter().sum::<f32>() / frame.len() as f32).collect();
    let len = mono.len();
    Ok(Waveform { samples: Tensor::from_vec(mono, &[len])?, sample_rate: spec.sample_rate })
}

/// Resample a signal `[L]` from `from` Hz to `to` Hz by linear interpolation; the output has
/// `round(L · to / from)` samples.
pub fn resample(x: &Tensor, from: u32, to: u32) -> Result<Tensor> {
    if from == 0 || to == 0 {
        return Err(DatasetError::invalid("resample", "sample rates must be positive"));
    }
    let v = x.to_vec();
    if from == to || v.is_empty() {
        return Ok(Tensor::from_vec(v.clone(), &[v.len()])?);
    }
    let n_out = ((v.len() as f64) * f64::from(to) / f64::from(from)).round() as usize;
    let step = f64::from(from) / f64::from(to);
    let last = v.len() - 1;
    let out: Vec<f32> = (0..n_out)
        .map(|i| {
            let t = i as f64 * step;
            let i0 = (t.floor() as usize).min(last);
            let i1 = (i0 + 1).min(last);
            let f = (t - i0 as f64).clamp(0.0, 1.0) as f32;
            v[i0] * (1.0 - f) + v[i1] * f
        })
        .collect();
    Ok(Tensor::from_vec(out, &[n_out])?)
}

/// Cut a signal `[L]` into windows of `len` samples starting every `hop` samples, as
/// `[N, 1, len]` with `N = (L − len) / hop + 1` (a partial last window is dropped).
pub fn segments(x: &Tensor, len: usize, hop: usize) -> Result<Tensor> {
    let v = x.to_vec();
    if len == 0 || hop == 0 || v.len() < len {
        return Err(DatasetError::invalid(
            "segments",
            format!("cannot cut windows of {len} samples (hop {hop}) from a signal of {}", v.len()),
        ));
    }
    let n = (v.len() - len) / hop + 1;
    let mut out = Vec::with_capacity(n * len);
    for i in 0..n {
        out.extend_from_slice(&v[i * hop..i * hop + len]);
    }
    Ok(Tensor::from_vec(out, &[n, 1, len])?)
}

/// Write a mono signal (`[L]`, `[1, L]` or `[1, 1, L]`, values in [−1, 1], clamped) as a
/// 16-bit PCM WAV at `sample_rate` Hz. Parent folders are created.
pub fn save_wav(path: &Path, x: &Tensor, sample_rate: u32) -> Result<()> {
    if x.shape().iter().rev().skip(1).any(|&d| d != 1) || x.rank() == 0 {
        return Err(DatasetError::invalid(
            "save_wav",
            format!("need a mono signal [L], [1, L] or [1, 1, L], got shape {:?}", x.shape()),
        ));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| DatasetError::io(parent, e))?;
    }
    let spec =
        hound::WavSpec { channels: 1, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let enc = |e: hound::Error| DatasetError::Encode { path: path.to_path_buf(), msg: e.to_string() };
    let mut w = hound::WavWriter::create(path, spec).map_err(enc)?;
    for s in x.to_vec() {
        let s = if s.is_nan() { 0.0 } else { s };
        let q = (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        w.write_sample(q).map_err(enc)?;
    }
    w.finalize().map_err(enc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resample_interpolates_linearly() -> Result<()> {
        let x = Tensor::from_vec(vec![0.0, 1.0, 0.0], &[3])?;
        assert_eq!(resample(&x, 1, 2)?.to_vec(), vec![0.0, 0.5, 1.0, 0.5, 0.0, 0.0]);
        assert_eq!(resample(&x, 2, 1)?.to_vec(), vec![0.0, 0.0]);
        Ok(())
    }

    #[test]
    fn segments_are_hopped_windows() -> Result<()> {
        let x = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10])?;
        let s = segments(&x, 4, 3)?;
        assert_eq!(s.shape(), &[3, 1, 4]);
        assert_eq!(s.to_vec()[4..8], [3.0, 4.0, 5.0, 6.0]);
        assert!(segments(&x, 11, 1).is_err());
        Ok(())
    }
}
