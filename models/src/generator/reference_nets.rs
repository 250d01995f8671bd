//! The reference generators as configurations: the TF CoopNets `mnist` and `scene` nets,
//! MatConvNet's 64² object and texture nets, and the sound nets (models.md §1, §4, §5.2).

use super::net::{Activation, DeconvSpec, FcSpec, GeneratorNetConfig};

/// A stride-1 layer of `taps` (odd) cropped to its input's length, no batch norm and no
/// activation, that starts as the identity: a filter that learning shapes from there.
fn identity_filter(out_channels: usize, taps: usize) -> DeconvSpec {
    let crop = [taps / 2; 2];
    DeconvSpec {
        identity: true,
        activation: Activation::None,
        batch_norm: false,
        ..deconv(out_channels, taps, 1, crop, false)
    }
}

fn deconv(out_channels: usize, kernel: usize, stride: usize, crop: [usize; 2], last: bool) -> DeconvSpec {
    let (batch_norm, activation) = if last { (false, Activation::Tanh) } else { (true, Activation::Relu) };
    DeconvSpec { out_channels, kernel, stride, crop, batch_norm, activation, identity: false }
}

impl GeneratorNetConfig {
    /// The TF CoopNets `mnist` generator (28×28): z (`z_dim`) as a 1×1 map → convT 4×4 → 4×4×512
    /// → 7×7×256 → 14×14×128 (BN + LeakyReLU 0.2 each) → 28×28 tanh. `width` is the first
    /// layer's channels (512 in the reference; each later layer has half of the one before).
    pub fn mnist(z_dim: usize, width: usize) -> Self {
        let l = |c, s, crop, last| DeconvSpec {
            activation: if last { Activation::Tanh } else { Activation::LeakyRelu },
            ..deconv(c, 4, s, crop, last)
        };
        GeneratorNetConfig {
            latent: vec![z_dim, 1, 1],
            fc: None,
            coarse: None,
            layers: vec![
                l(width, 1, [0, 0], false),
                l(width / 2, 2, [1, 2], false),
                l(width / 4, 2, [1, 1], false),
                l(0, 2, [1, 1], true),
            ],
            init_std: 0.005,
            bn_eps: 1e-3,
            output_scale: 1.0,
        }
    }

    /// The TF CoopNets `scene` generator (64×64): z (`z_dim`) as a 1×1 map → convT 4×4 →
    /// 4×4×512 → convT 5×5 up 2 (TF `SAME`: crop [1, 2]) → 8×8×256 → 16×16×128 → 32×32×64
    /// (BN + LeakyReLU 0.2 each) → 64×64×C tanh.
    pub fn scene(z_dim: usize) -> Self {
        let l = |c, k, s, crop, last| DeconvSpec {
            activation: if last { Activation::Tanh } else { Activation::LeakyRelu },
            ..deconv(c, k, s, crop, last)
        };
        GeneratorNetConfig {
            latent: vec![z_dim, 1, 1],
            fc: None,
            coarse: None,
            layers: vec![
                l(512, 4, 1, [0, 0], false),
                l(256, 5, 2, [1, 2], false),
                l(128, 5, 2, [1, 2], false),
                l(64, 5, 2, [1, 2], false),
                l(0, 5, 2, [1, 2], true),
            ],
            init_std: 0.005,
            bn_eps: 1e-3,
            output_scale: 1.0,
        }
    }

    /// ABP's object `generatorNet` (64×64, BN + ReLU variant, as `../shared/bench`'s `abp`
    /// workload): fc z → 4×4×512, then 4 × convT 5×5 up 2 (512 → 256 → 128 → 64 → C), tanh.
    pub fn object64(z_dim: usize) -> Self {
        GeneratorNetConfig {
            latent: vec![z_dim],
            fc: Some(FcSpec { reshape: vec![512, 4, 4], batch_norm: true, activation: Activation::Relu }),
            coarse: None,
            layers: [256, 128, 64, 0].iter().enumerate().map(|(i, &c)| deconv(c, 5, 2, [1, 2], i == 3)).collect(),
            init_std: 0.005,
            bn_eps: 1e-4,
            output_scale: 1.0,
        }
    }

    /// ABP's `textureGeneratorNet224`, fully convolutional: a `side`×`side` latent map with one
    /// channel → `layers` × convT 5×5 up 2 crop [1, 2] (512 → 256 → … → C), BN + ReLU, tanh.
    /// `side` 7 and 5 layers give 224×224; a latent map twice as large gives a texture twice as
    /// large from the same weights.
    pub fn texture(side: usize, layers: usize) -> Self {
        let chans: Vec<usize> = (0..layers).map(|i| if i + 1 == layers { 0 } else { 512 >> i }).collect();
        GeneratorNetConfig {
            latent: vec![1, side, side],
            fc: None,
            coarse: None,
            layers: chans.iter().enumerate().map(|(i, &c)| deconv(c, 5, 2, [1, 2], i + 1 == layers)).collect(),
            init_std: 0.005,
            bn_eps: 1e-4,
            output_scale: 1.0,
        }
    }

    /// A sound generator whose latent is itself a sequence: `channels` × (length / 16) numbers
    /// → 2 × convT 1×8 up 4 crop [2, 2] (`channels` → `width` → 1), BN + ReLU, tanh. The
    /// reference's 60-number latent cannot carry a noise-like waveform of thousands of samples
    /// (g(Z), the mean of Y given Z, then explains nothing of a rain and its samples are 13–19 dB
    /// too quiet); here Z carries the waveform's fine structure and g learns how to colour it,
    /// so that Z ~ N(0, I) gives the sound's spectrum. It produces 16·⌈length / 16⌉ samples:
    /// for another length, building the net is refused with both lengths named.
    ///
    /// With `filter` > 0 (odd), a last stride-1 layer of `filter` taps, one channel in and out,
    /// no activation, that starts as the identity (`identity`): each latent number reaches
    /// only 36 output samples through the two up-sampling layers, so their spectrum is smooth
    /// over 14 bins of a 512-point Welch spectrum, while a rain's ripples by 1 dB over 30–300
    /// Hz; a filter of 255 taps (16 ms) can follow that ripple (README, "Sound").
    pub fn audio_sequence(channels: usize, length: usize, width: usize, filter: usize) -> Self {
        let mut layers = vec![deconv(width, 8, 4, [2, 2], false), deconv(0, 8, 4, [2, 2], true)];
        if filter > 0 {
            layers[1].out_channels = 1;
            layers.push(identity_filter(0, filter));
        }
        GeneratorNetConfig {
            latent: vec![channels, length.div_ceil(16)],
            fc: None,
            coarse: None,
            layers,
            init_std: 0.005,
            bn_eps: 1e-4,
            output_scale: 1.0,
        }
    }

    /// ABP's `audioGeneratorNet_60`: a 1×60 latent → 3 × convT 1×25 up 10 crop [7, 8]
    /// (1 → 256 → 128 → 1), BN + ReLU, tanh: 60 → 600 → 6000 → 60000 samples.
    pub fn audio(latent_len: usize) -> Self {
        GeneratorNetConfig {
            latent: vec![1, latent_len],
            fc: None,
            coarse: None,
            layers: vec![
                deconv(256, 25, 10, [7, 8], false),
                deconv(128, 25, 10, [7, 8], false),
                deconv(0, 25, 10, [7, 8], true),
            ],
            init_std: 0.005,
            bn_eps: 1e-4,
            output_scale: 1.0,
        }
    }
}
