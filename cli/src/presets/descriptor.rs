//! The descriptor presets: textures (2-D), objects, sound (1-D) and dynamic textures (3-D).

use datasets::{Channels, Scaling};
use models::descriptor::{ChainInit, DescriptorNetConfig, Growth, LearnConfig, Optim};
use models::RateSchedule;

use super::{abp_sound, data, data_dir, fashion_mnist, settings};
use crate::config::{DataConfig, DescriptorConfig, Loudness, ModelConfig, RunConfig, RunSettings, Source};

/// The default texture experiment, about 4 minutes on 2 cores: the shipped CC0 brick
/// photograph (`skimage_brick.png`, grey; a 256×256 centre crop resized to 128×128) minus its
/// mean grey level, the paper's `frame_3` net with full padding (see
/// [`DescriptorNetConfig::with_full_padding`]), the paper's learning settings (one persistent
/// chain from the mean image, MatConvNet-style updates with lr 5e-4, cap 20, weight decay
/// 1e-4) but a reference σ = 2 grey levels (the paper: 1), T = 20 Langevin steps per
/// iteration (the paper: 10) of δ = 0.2 (the paper: 0.3), and its layer-wise scheme
/// `mle_l2l` (stage k adds layer k) in stages of 450 iterations (the paper: 700) with the
/// rate multiplied by 0.35 per stage (the paper: 0.5), the last stage 900 iterations long and
/// its rate falling to a tenth over its last 600 (six log-spaced values of 100 iterations
/// each: 1 until 1300, then five drops).
/// The departures from the paper's Fig. 1 recipe were each measured on all shipped textures
/// and on textures outside the repository (README, "Textures it has never seen"): with δ = 0.3
/// grass and burlap failed at some seeds; with the rate halved per stage the last stage's
/// learning swung from one iteration to the next (f(obs) changing by 50–130% of itself per
/// iteration on eight of nine textures) and the final sample's contrast depended on where the
/// last swing ended (burlap 0.59 / 0.47 / 0.74 at seeds 0–2; with 0.35 and 3 × 450 0.45 /
/// 0.47 / 0.62). A rate that falls ends the swing; falling from iteration 1050 of 1350 it
/// stopped the learning short (samples 4–5% too flat, burlap 0.55 / 0.55 / 0.54 at seeds
/// 0–2); from 1200 of 1800 burlap scores 0.47 / 0.46 / 0.45. With 10 steps the persistent
/// chain lagged the model, the learning overshot the observed statistics, and once the rate
/// fell the chain caught up with an over-contrasted model (gravel, outside the repository:
/// 0.54 / 0.62 / 0.54 at seeds 0–2; rock 0.56); with 20 it keeps up (gravel 0.41 / 0.46 /
/// 0.42, rock 0.35). A sample is a pattern plus white noise of variance σ² (inside a linear
/// piece of the ReLU net, `exp(f)·N(0, σ²I)` is `N(σ²w, σ²I)`); with σ = 1 the pink marble's
/// samples lacked its fine grain (0.50 / 0.52 / 0.50), with σ = 2 it scores 0.37.
pub fn texture() -> RunConfig {
    RunConfig {
        data: DataConfig {
            source: Source::Images { path: data_dir().join("textures/skimage_brick.png") },
            crop: 256,
            size: 128,
            channels: Channels::Grey,
            scaling: Scaling::DataMean,
            missing: None,
            patch: 0,
            holdout: 0,
        },
        model: ModelConfig::Descriptor(DescriptorConfig {
            reference_sigma: 2.0,
            net: DescriptorNetConfig::texture().with_full_padding(),
            learn: LearnConfig {
                langevin_steps: 20,
                step_size: 0.2,
                chain_init: ChainInit::Persistent,
                optim: Optim::Matconvnet { lr: 5e-4, momentum: 0.0, weight_decay: 1e-4, cap: 20.0 },
                growth: Growth::LayerWise { stage_iterations: 450, rate_factor: 0.35 },
                rate_schedule: RateSchedule::LogSpaced { from: 1.0, to: 0.1, values: 6, iterations: 1800, start: 1200 },
            },
        }),
        run: settings(1800, 1, 100),
    }
}

/// The paper's Fig. 1 settings (`experiment_figure1.m`): 224×224 RGB minus the VGG mean,
/// σ = 1, T = 10 steps of δ = 0.3, one chain, the layer-wise scheme `mle_l2l`: 3 stages × 700
/// iterations, stage k adding layer k, at 5e-4 halved each stage.
pub fn texture_paper() -> RunConfig {
    let mut c = texture();
    c.data.crop = 0;
    c.data.size = 224;
    c.data.channels = Channels::Rgb;
    c.data.scaling = Scaling::vgg();
    c.descriptor_mut().net = DescriptorNetConfig::texture();
    c.descriptor_mut().learn.growth = Growth::LayerWise { stage_iterations: 700, rate_factor: 0.5 };
    c.descriptor_mut().learn.rate_schedule = RateSchedule::Constant;
    c.descriptor_mut().learn.step_size = 0.3; // the paper's δ
    c.descriptor_mut().learn.langevin_steps = 10; // the paper's T
    c.descriptor_mut().reference_sigma = 1.0; // the paper's σ
    c.run = settings(2100, 1, 100);
    c
}

/// One Fashion-MNIST class (default: class 7, sneakers) with the small object net.
///
/// Not the reference's object experiment (Fig. 3: the `frame_3` net with a full-size fc top,
/// grown layer by layer, on seven 224×224 egret photographs), for two documented reasons: the
/// shipped object data are 28×28 digits and clothes, on which `frame_3`'s 15×15 stride-3
/// first layer leaves a 6×6 map; and layer-wise growth with an fc top needs a new top per
/// stage (its kernel is the size of the stage's last map), which is refused as a config error
/// rather than approximated. The settings that do carry over are the reference's: σ = 1 on
/// 0–255, δ = 0.3, T = 30, lr 4e-3 constant, MatConvNet updates, persistent chains.
pub fn object() -> RunConfig {
    let d = DescriptorConfig {
        reference_sigma: 1.0,
        net: DescriptorNetConfig::object(),
        learn: LearnConfig {
            langevin_steps: 30,
            step_size: 0.3,
            chain_init: ChainInit::Persistent,
            optim: Optim::Matconvnet { lr: 4e-3, momentum: 0.0, weight_decay: 1e-4, cap: 20.0 },
            growth: Growth::EndToEnd,
            rate_schedule: Default::default(),
        },
    };
    RunConfig {
        data: DataConfig {
            source: fashion_mnist(7, 64),
            crop: 0,
            size: 0,
            channels: Channels::Grey,
            scaling: Scaling::ScalarMean(0.0),
            missing: None,
            patch: 0,
            holdout: 0,
        },
        model: ModelConfig::Descriptor(d),
        run: settings(300, 16, 25),
    }
}

/// `sound-descriptor`: the 1-D descriptor ([`DescriptorNetConfig::sound`]) on 16 segments of
/// 4000 samples (0.25 s at 16 kHz) of the shipped voice recording, made as loud as an RMS of
/// 0.25 (what the voice has when its peak is at ±1); Langevin T = 30 on 4 persistent chains,
/// TF-family Adam (β1 0.5) as STGConvNet at lr 3e-4 (1e-3 left a campfire's level 3–5 dB off
/// on one seed in two), constant until iteration 325, then falling to a tenth in five log-spaced
/// drops by iteration 425 of 450 (the `texture` experiment's settling: the learning swung from
/// one iteration to the next to the end, `jitter.f_obs` 0.08–0.27 on the rain and the campfire,
/// 0.003–0.017 now; pooled spectrum distance, seeds 0 / 1: rain 0.46 / 0.75 → 0.47 / 0.46,
/// campfire 0.88 / 0.82 → 0.71 / 0.61; seed 0: voice 0.31 → 0.29, bell 0.25 → 0.27; README,
/// "Sound"). A fall over the whole run had helped the rain and the campfire at seed 0 only and
/// cost the bell and the voice (0.26 → 0.37, 0.30 → 0.34). The reference
/// σ = 0.2 and δ = 0.02 here are placeholders: the experiment sets σ from the observed
/// spectrum and δ = σ/10 ([`crate::experiments::sound::sigma_from_spectrum`]); `--config`
/// keeps the file's values.
/// The rain of `abp-sound` is nearly white noise (its log spectrum is within 2.5 dB of white
/// noise's), so it cannot show whether a model learned a spectrum. No reference experiment
/// exists, so `--preset paper` is the same.
pub fn sound_descriptor() -> RunConfig {
    let mut c = abp_sound();
    if let Source::Wav { length, count, path, loudness, .. } = &mut c.data.source {
        (*length, *count, *loudness) = (4000, 16, Loudness::Rms(0.25));
        *path = data_dir().join("audio/puredata_voice.wav");
    }
    c.model = ModelConfig::Descriptor(DescriptorConfig {
        reference_sigma: 0.2,
        net: DescriptorNetConfig::sound(),
        learn: LearnConfig {
            langevin_steps: 30,
            step_size: 0.02,
            chain_init: ChainInit::Persistent,
            optim: Optim::Adam { lr: 3e-4, beta1: 0.5 },
            growth: Growth::EndToEnd,
            rate_schedule: RateSchedule::LogSpaced { from: 1.0, to: 0.1, values: 6, iterations: 450, start: 300 },
        },
    });
    c.run = settings(450, 4, 150);
    c
}

/// `dynamic-texture`: STGConvNet's `ST` net (§3 of the reference notes) on the shipped video
/// (12 frames of leaves in the wind), RGB at 64×64, minus the video's mean; σ = 1, T = 20,
/// δ = 0.3, 3 persistent chains from N(0, 1), Adam lr 1e-3 β1 0.5, as the reference.
pub fn dynamic_texture() -> RunConfig {
    RunConfig {
        data: data(
            Source::Video { path: data_dir().join("video/tree_opencv"), frames: 0 },
            64,
            Channels::Rgb,
            Scaling::DataMean,
        ),
        model: ModelConfig::Descriptor(DescriptorConfig {
            reference_sigma: 1.0,
            net: DescriptorNetConfig::st(),
            learn: LearnConfig {
                langevin_steps: 20,
                step_size: 0.3,
                chain_init: ChainInit::Persistent,
                optim: Optim::Adam { lr: 1e-3, beta1: 0.5 },
                growth: Growth::EndToEnd,
                rate_schedule: Default::default(),
            },
        }),
        run: RunSettings { chain_init_std: 1.0, ..settings(200, 3, 50) },
    }
}

/// `dynamic-texture --preset paper`: the reference's 100×100 frames and 500 epochs.
pub fn dynamic_texture_paper() -> RunConfig {
    let mut c = dynamic_texture();
    c.data.size = 100;
    c.run = RunSettings { chain_init_std: 1.0, ..settings(500, 3, 50) };
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default's σ and T are not the paper's; the paper preset, built from the default, must
    /// not inherit them, and CoopNets' texture recipe keeps the 20 steps with its own σ of 1.5.
    #[test]
    fn only_the_default_texture_recipe_has_sigma_2_and_20_steps() {
        let d = texture();
        let d = d.descriptor().unwrap();
        assert_eq!((d.reference_sigma, d.learn.langevin_steps), (2.0, 20));
        let p = texture_paper();
        let p = p.descriptor().unwrap();
        assert_eq!((p.reference_sigma, p.learn.langevin_steps), (1.0, 10));
        let ModelConfig::Coopnets(c) = super::super::coopnets_texture().model else { panic!("CoopNets") };
        assert_eq!((c.descriptor.reference_sigma, c.descriptor.learn.langevin_steps), (1.5, 20));
    }

    #[test]
    fn the_texture_rate_drops_per_stage_then_falls_to_a_tenth_in_the_last_stage() {
        let c = texture();
        let learn = &c.descriptor().unwrap().learn;
        let rate = |t: usize| learn.growth.at(t, 3).1 * learn.rate_schedule.factor(t);
        let want = [(0, 1.0), (449, 1.0), (450, 0.35), (900, 0.1225), (1199, 0.1225), (1799, 0.01225)];
        for (t, r) in want {
            assert!((rate(t) - r).abs() < 1e-6, "iteration {t}: rate factor {} against {r}", rate(t));
        }
        // six log-spaced values of 100 iterations from 1200: 1 until 1300, then five drops
        assert!(rate(1200) == rate(1299) && rate(1300) < rate(1299));
        assert_eq!(c.run.iterations, 1800);
        // the paper preset keeps the paper's schedule: halved per stage only
        assert!(texture_paper().descriptor().unwrap().learn.rate_schedule.is_constant());
    }

    #[test]
    fn the_sound_rate_is_constant_then_falls_to_a_tenth_in_the_last_third() {
        let c = sound_descriptor();
        let s = &c.descriptor().unwrap().learn.rate_schedule;
        // six values of 25 iterations from 300: 1 until 325, a tenth from 425
        assert!(s.factor(0) == 1.0 && s.factor(324) == 1.0 && s.factor(325) < 1.0);
        assert!((s.factor(425) - 0.1).abs() < 1e-6 && (s.factor(449) - 0.1).abs() < 1e-6);
        assert_eq!(c.run.iterations, 450);
    }
}
