//! WAV reading (all encodings), resampling, segments and the 16-bit writer.

mod common;

use std::path::{Path, PathBuf};

use common::{temp_dir, truncated_copy, write_bytes};
use coopnets_datasets::*;

fn clip(name: &str) -> PathBuf {
    data_dir().join("audio").join(name)
}

fn write_with<S: hound::Sample + Copy>(path: &Path, spec: hound::WavSpec, samples: &[S]) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    samples.iter().for_each(|&s| w.write_sample(s).unwrap());
    w.finalize().unwrap();
}

fn spec(channels: u16, bits: u16, format: hound::SampleFormat) -> hound::WavSpec {
    hound::WavSpec { channels, sample_rate: 8000, bits_per_sample: bits, sample_format: format }
}

#[test]
fn shipped_clips_load_with_their_rates_and_samples() -> Result<()> {
    let rain = load_wav(&clip("tuxpaint_rain.wav"))?;
    assert_eq!((rain.sample_rate, rain.len()), (44100, 45881));
    let head: Vec<f32> = [0.0, 2.0, 0.0, 0.0, 1.0].iter().map(|v| v / 32768.0).collect();
    assert_eq!(&rain.samples.to_vec()[..5], &head[..]);
    assert!((rain.duration_secs() - 1.04).abs() < 0.01);

    let voice = load_wav(&clip("puredata_voice.wav"))?;
    assert_eq!((voice.sample_rate, voice.len()), (44100, 62079));
    assert_eq!(voice.samples.to_vec()[0], -182.0 / 32768.0);

    let alsa = load_wav(&clip("alsa_front_center.wav"))?;
    assert_eq!((alsa.sample_rate, alsa.len()), (48000, 68545));
    assert!(alsa.samples.to_vec().iter().all(|v| (-1.0..=1.0).contains(v)));
    Ok(())
}

#[test]
fn sixteen_bit_round_trip_is_exact() -> Result<()> {
    let scratch = temp_dir("wav-roundtrip");
    let dir = scratch.path();
    let voice = load_wav(&clip("puredata_voice.wav"))?;
    let p = dir.join("out/voice.wav");
    save_wav(&p, &voice.samples, voice.sample_rate)?;
    let back = load_wav(&p)?;
    assert_eq!(back.sample_rate, 44100);
    assert_eq!(back.samples.to_vec(), voice.samples.to_vec());
    // [1, 1, L] is accepted too, and out-of-range values are clamped
    let loud = tensor::Tensor::from_vec(vec![2.0, -2.0, 0.5], &[1, 1, 3])?;
    save_wav(&p, &loud, 8000)?;
    assert_eq!(load_wav(&p)?.samples.to_vec(), vec![32767.0 / 32768.0, -1.0, 0.5]);
    Ok(())
}

#[test]
fn every_supported_encoding_reads_to_the_same_scale() -> Result<()> {
    use hound::SampleFormat::{Float, Int};
    let scratch = temp_dir("wav-encodings");
    let dir = scratch.path();
    let p = dir.join("a.wav");
    write_with(&p, spec(1, 8, Int), &[-128i8, 0, 64, 127]);
    assert_eq!(load_wav(&p)?.samples.to_vec(), vec![-1.0, 0.0, 0.5, 127.0 / 128.0]);
    write_with(&p, spec(1, 24, Int), &[-8_388_608i32, 4_194_304]);
    assert_eq!(load_wav(&p)?.samples.to_vec(), vec![-1.0, 0.5]);
    write_with(&p, spec(1, 32, Int), &[i32::MIN, 1 << 30]);
    assert_eq!(load_wav(&p)?.samples.to_vec(), vec![-1.0, 0.5]);
    write_with(&p, spec(1, 32, Float), &[0.25f32, -0.75]);
    assert_eq!(load_wav(&p)?.samples.to_vec(), vec![0.25, -0.75]);
    // stereo is averaged to mono
    write_with(&p, spec(2, 16, Int), &[16384i16, 0, -16384, -16384]);
    let w = load_wav(&p)?;
    assert_eq!((w.len(), w.sample_rate), (2, 8000));
    assert_eq!(w.samples.to_vec(), vec![0.25, -0.5]);
    Ok(())
}

#[test]
fn resampling_and_segments_on_a_real_clip() -> Result<()> {
    let alsa = load_wav(&clip("alsa_front_center.wav"))?;
    let low = alsa.resampled(16000)?;
    assert_eq!((low.sample_rate, low.len()), (16000, 22848)); // round(68545 / 3)
                                                              // 48 kHz → 16 kHz is an exact factor 3: linear interpolation picks every third sample
    let (a, l) = (alsa.samples.to_vec(), low.samples.to_vec());
    assert_eq!(l[1000], a[3000]);
    assert!((low.duration_secs() - alsa.duration_secs()).abs() < 1e-3);
    let up = resample(&low.samples, 16000, 48000)?;
    assert_eq!(up.numel(), 68544);
    let segs = low.segments(4096, 2048)?;
    assert_eq!(segs.shape(), &[10, 1, 4096]); // (22848 - 4096) / 2048 + 1
    assert_eq!(segs.get(1)?.to_vec()[0], l[2048]);
    Ok(())
}

#[test]
fn broken_wavs_are_typed_errors() {
    let scratch = temp_dir("wav-errors");
    let dir = scratch.path();
    let err = load_wav(&dir.join("absent.wav")).unwrap_err();
    assert!(matches!(err, DatasetError::NotFound { .. }), "{err}");

    // data chunk cut short
    let cut = truncated_copy(&clip("tuxpaint_rain.wav"), dir, "rain-cut.wav", 1000);
    let err = load_wav(&cut).unwrap_err();
    assert!(matches!(err, DatasetError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("rain-cut.wav"), "{err}");

    // a corrupt data-chunk length far beyond the file: no huge allocation, a Truncated error
    let mut bytes = std::fs::read(clip("tuxpaint_rain.wav")).unwrap();
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes[data + 4..data + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let p = write_bytes(dir, "rain-huge.wav", &bytes);
    let err = load_wav(&p).unwrap_err();
    assert!(matches!(err, DatasetError::Truncated { .. } | DatasetError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("rain-huge.wav"));

    // header cut short
    let cut = truncated_copy(&clip("tuxpaint_rain.wav"), dir, "rain-head.wav", 20);
    let err = load_wav(&cut).unwrap_err();
    assert!(matches!(err, DatasetError::Decode { .. }), "{err}");

    // format tag 2 (Microsoft ADPCM) instead of 1 (PCM)
    let mut bytes = std::fs::read(clip("puredata_voice.wav")).unwrap();
    assert_eq!(&bytes[12..16], b"fmt ");
    bytes[20] = 2;
    let p = write_bytes(dir, "voice-adpcm.wav", &bytes);
    let err = load_wav(&p).unwrap_err();
    assert!(matches!(err, DatasetError::UnsupportedWav { .. }), "{err}");
    assert!(err.to_string().contains("voice-adpcm.wav"));

    // not a WAV at all
    let p = write_bytes(dir, "junk.wav", b"RIFX this is not audio");
    let err = load_wav(&p).unwrap_err();
    assert!(matches!(err, DatasetError::Decode { .. }), "{err}");

    // writer refuses a batch of several signals
    let batch = tensor::Tensor::zeros(&[2, 1, 4]);
    assert!(save_wav(&dir.join("b.wav"), &batch, 8000).is_err());
}

/// A sample rate of 0 and float samples that are NaN, ±Inf or absurdly large are refused,
/// naming the file and the sample.
#[test]
fn zero_rates_and_garbage_float_samples_are_refused() {
    let scratch = temp_dir("wav-garbage");
    let dir = scratch.path();
    let float = spec(1, 32, hound::SampleFormat::Float);
    for (name, bad) in [("nan", f32::NAN), ("inf", f32::INFINITY), ("huge", 1e30)] {
        let p = dir.join(format!("{name}.wav"));
        write_with(&p, float, &[0.1f32, -0.2, bad, 0.3]);
        let e = load_wav(&p).unwrap_err().to_string();
        assert!(e.contains(&format!("{name}.wav")) && e.contains("sample 2"), "{e}");
    }
    let ok = dir.join("loud.wav");
    write_with(&ok, float, &[0.1f32, -1.5, 2.0]); // louder than full scale, still audio
    assert_eq!(load_wav(&ok).unwrap().len(), 3);
    // the header's rate and byte rate patched to 0 (bytes 24..32 of a canonical WAV header)
    let mut bytes = std::fs::read(&ok).unwrap();
    bytes[24..32].copy_from_slice(&[0; 8]);
    let zero = write_bytes(dir, "zero-rate.wav", &bytes);
    let e = load_wav(&zero).unwrap_err().to_string();
    assert!(e.contains("zero-rate.wav") && e.contains("0 Hz"), "{e}");
}
