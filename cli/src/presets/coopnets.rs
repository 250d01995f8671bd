//! The CoopNets presets: the TF CoopNets family (Adam β1 0.5 for both nets, σ_d 0.016,
//! δ_d 0.002, s 0.3, no inference of Z; `../shared/reference/models.md` §5.2).

use datasets::{Channels, Scaling};
use models::descriptor::{ChainInit, ConvSpec, DescriptorNetConfig, Growth, LearnConfig, Optim};
use models::generator::learn::LatentInit;
use models::generator::{Activation, GeneratorLearnConfig, GeneratorNetConfig};
use models::RateSchedule;

use super::{adam, data, fashion_mnist, mnist, settings};
use crate::config::{
    CoopNetsConfig, DataConfig, DescriptorConfig, GeneratorConfig, ModelConfig, OutputBias, RunConfig,
};

/// Both nets of the TF family: the descriptor with `T_d` steps at lr `d_lr`, the generator at
/// lr `g_lr` without inference (T_g = 0).
pub fn tf_coopnets(d: DescriptorNetConfig, g: GeneratorNetConfig, t_d: usize, d_lr: f32, g_lr: f32) -> ModelConfig {
    ModelConfig::Coopnets(CoopNetsConfig {
        descriptor: DescriptorConfig {
            reference_sigma: 0.016,
            net: d,
            learn: LearnConfig {
                langevin_steps: t_d,
                step_size: 0.002,
                chain_init: ChainInit::Persistent,
                optim: adam(d_lr),
                growth: Growth::EndToEnd,
                rate_schedule: Default::default(),
            },
        },
        generator: GeneratorConfig {
            noise_sigma: 0.3,
            latent_sigma: 1.0,
            net: g,
            learn: GeneratorLearnConfig {
                langevin_steps: 0,
                step_size: 0.1,
                noise: true,
                latent_init: LatentInit::Prior,
                optim: adam(g_lr),
                ema: 0.0,
            },
            output_bias: OutputBias::Zero,
            latent_prior: None,
        },
        rate_schedule: models::RateSchedule::Constant,
    })
}

/// `coopnets-mnist --preset paper`: the TF `mnist` nets (descriptor 64/128/256 + fc 100,
/// generator z 100 → 512/256/128 → 28²) with the reference's settings (§5.2): batches of 100,
/// 144 synthesized digits per iteration, T_d 15, Adam lr 0.007 (descriptor) and 1e-4
/// (generator), 80 000 iterations (the reference's 1000 epochs, of our 8000 training digits).
/// The data: the shipped 10 000 MNIST digits, 2000 of them held out by a seeded split (1000
/// validation, 1000 test for the Parzen evaluation); pixels in [−1, 1].
pub fn coopnets_mnist_paper() -> RunConfig {
    RunConfig {
        data: DataConfig { holdout: 2000, ..data(mnist(-1, 10_000), 0, Channels::Grey, Scaling::Symmetric) },
        model: tf_coopnets(DescriptorNetConfig::mnist(), GeneratorNetConfig::mnist(100, 512), 15, 0.007, 1e-4),
        run: crate::config::RunSettings { batch_size: 100, ..settings(80_000, 144, 1000) },
    }
}

/// `coopnets-mnist`: the paper preset's nets, data and Langevin settings, with a recipe that
/// learns within 30 minutes on 2 cores: batches of 16 digits, 16 synthesized digits per
/// iteration, the generator at Adam 2e-3 (the descriptor keeps 0.007), both rates falling
/// tenfold over the run (log-spaced, 70 values), samples drawn from a moving average of the
/// generator's weights (β 0.999), 7000 iterations (14 epochs). Measured on one core
/// (README, "CoopNets"): in 12 minutes the reference's 144 proposals and 1e-4 reach a Parzen
/// log-likelihood of −55, 16 proposals at 2e-3 139; 8 proposals were no better, twice the
/// generator's rate or twice or half the descriptor's was worse, and T_d 10 (more iterations
/// in the same time) tied. Over whole runs (Parzen of g(Z) / Ỹ): constant rates for 6000
/// iterations 164 / 177; rates falling tenfold over 7000 195 / 211, a hundredfold 176 / 185;
/// tenfold with samples from the moving average 203 / 220 (29 minutes on 2 cores).
pub fn coopnets_mnist() -> RunConfig {
    let mut c = coopnets_mnist_paper();
    let iterations = 7000;
    c.generator_mut().learn.optim = adam(2e-3);
    c.generator_mut().learn.ema = 0.999;
    if let ModelConfig::Coopnets(m) = &mut c.model {
        m.rate_schedule = RateSchedule::log_spaced(1.0, 0.1, 70, iterations);
    }
    c.run = crate::config::RunSettings { batch_size: 16, ..settings(iterations, 16, 500) };
    c
}

/// LeakyReLU 0.2 after every batch-normalised layer (the CoopNets generators).
fn leaky(g: &mut GeneratorNetConfig) {
    for l in g.layers.iter_mut().filter(|l| l.batch_norm) {
        l.activation = Activation::LeakyRelu;
    }
}

/// `coopnets-texture`: one texture image (the shipped brick photograph, a 256×256 centre crop
/// at 128×128, grey), about 3.5 minutes on 2 cores.
/// * The descriptor learns as in the `texture` experiment (whose recipe was measured on all
///   nine shipped textures): the image minus its mean grey level, the `frame_3` net with full
///   padding, T_d = 20, MatConvNet updates (lr 5e-4, cap 20, decay 1e-4), the rate × 0.35 per
///   layer-wise stage, but σ = 1.5 (the texture experiment's 2 made the revisions of the whole
///   brick 1.5 times too contrasted at seed 1; 1 missed stone33 and gravel at some seeds),
///   δ = 0.3 and shorter: stages of 250 (layers 1, 2), the 3-layer one to iteration 1000.
/// * Both nets settle: CoopNets' schedule (it scales the descriptor's and the generator's rates
///   alike) is the texture experiment's falling rate over 1000 iterations: constant until
///   iteration 722, then five log-spaced drops, every 55 iterations, to a tenth at 942. With
///   the former 3 × 334 iterations, rate halved per stage and constant, the descriptor swung
///   from one iteration to the next to the end and the median texdist missed 0.6 on grass,
///   burlap and stone33; with the texture experiment's full length (3 × 450, 1800 iterations,
///   the fall from 1200) the brick's revisions ran away to twice the observed contrast
///   (README, "Textures").
/// * The generator is fully convolutional (an 8×8 latent map, 4 × convT 5×5 up 2,
///   128 → 64 → 32 channels, BN + LeakyReLU 0.2, tanh; `abp-texture`'s net before stop 35)
///   with a gain of 128 after its tanh, so that it draws in the descriptor's units; s = 0.3 ×
///   128, no inference of Z (T_g = 0). Its weights start at N(0, 0.05²), so that the first
///   proposals have about the data's contrast, and it learns with Adam 1e-4. With ABP's start
///   (0.005: a contrast of 6 grey levels) and Adam 1e-3, on a photograph of a tree the generator
///   followed the reference Gaussian's pull towards 0 within 20 iterations: its flat
///   proposals gave the descriptor nothing to move but their mean, f(obs) ran away and the
///   chains blew up. Either change alone still failed so; both together keep the proposals
///   textured while the descriptor learns.
/// * 2 proposals per iteration.
pub fn coopnets_texture() -> RunConfig {
    let texture = super::texture();
    let ModelConfig::Descriptor(descriptor) = texture.model else { unreachable!("the texture preset is a descriptor") };
    let mut g = GeneratorNetConfig::texture(8, 4);
    for (l, c) in g.layers.iter_mut().zip([128, 64, 32, 0]) {
        l.out_channels = c;
    }
    leaky(&mut g);
    g.output_scale = GAIN;
    g.init_std = 0.05;
    let ModelConfig::Coopnets(mut model) = tf_coopnets(descriptor.net.clone(), g, 10, 5e-4, 1e-4) else {
        unreachable!("tf_coopnets builds CoopNets")
    };
    model.descriptor = descriptor;
    // δ and σ as measured (README; the texture preset has 0.2 and 2), and the shorter growth
    model.descriptor.learn.step_size = 0.3;
    model.descriptor.reference_sigma = 1.5;
    model.descriptor.learn.growth = Growth::LayerWise { stage_iterations: 250, rate_factor: 0.35 };
    // CoopNets schedules both nets: the texture descriptor's falling rate on 1000 iterations
    // (start 667, as measured; `over(1000)` would give 666)
    model.descriptor.learn.rate_schedule = RateSchedule::Constant;
    model.rate_schedule = RateSchedule::LogSpaced { from: 1.0, to: 0.1, values: 6, iterations: 1000, start: 667 };
    model.generator.noise_sigma = 0.3 * GAIN;
    RunConfig { data: texture.data, model: ModelConfig::Coopnets(model), run: settings(1000, 2, 200) }
}

/// The generator's gain in [`coopnets_texture`]: tanh's ±1 to about ±128 grey levels.
const GAIN: f32 = 128.0;

/// `coopnets-texture --preset paper`: the MatConvNet CoopNets texture setting (§5.1) in
/// colour at 224×224: descriptor `convNet_texture` (15×15/3 → 100, 9×9 → 70, 7×7 → 30, ReLU,
/// no top), T_d 30, δ_d 0.0023, σ_d 0.00767, lr 0.02, cap 20/255; generator `frame_gan` (7×7
/// latent map, 5 × convT 5×5 up 2, 512 → … → 64, BN + LeakyReLU 0.2, tanh), lr 1e-6, cap 30;
/// both with per-layer scaling, momentum 0.5 and the log-spaced rate schedule; one
/// proposal per iteration, 5000 iterations (many hours on 2 cores).
pub fn coopnets_texture_paper() -> RunConfig {
    let mut c = coopnets_texture();
    (c.data.crop, c.data.size, c.data.channels, c.data.scaling) = (0, 224, Channels::Rgb, Scaling::MinMax);
    let d = DescriptorNetConfig {
        layers: vec![ConvSpec::new(100, 15, 3, 7), ConvSpec::new(70, 9, 1, 4), ConvSpec::new(30, 7, 1, 3)],
        fc_top: None,
        init_std: 0.01,
    };
    let mut g = GeneratorNetConfig::texture(7, 5);
    leaky(&mut g);
    let mut model = tf_coopnets(d, g, 30, 0.02, 1e-6);
    if let ModelConfig::Coopnets(m) = &mut model {
        (m.descriptor.reference_sigma, m.descriptor.learn.step_size) = (0.00767, 0.0023);
        m.descriptor.learn.optim = Optim::Matconvnet { lr: 0.02, momentum: 0.5, weight_decay: 1e-4, cap: 20.0 / 255.0 };
        m.generator.learn.optim = Optim::Matconvnet { lr: 1e-6, momentum: 0.5, weight_decay: 0.0, cap: 30.0 };
        m.rate_schedule = RateSchedule::matconvnet(5000);
    }
    c.model = model;
    c.run = settings(5000, 1, 500);
    c
}

/// `coopnets-object`: one class of the shipped Fashion-MNIST images (class 7, sneakers, 200 of
/// the 2000; `--class` picks another), `coopnets-mnist`'s nets and the reference's settings
/// with 64 proposals per iteration, batches of 100, 300 iterations (150 epochs); 11.5 minutes
/// on one core.
pub fn coopnets_object() -> RunConfig {
    let mut c = coopnets_mnist_paper();
    c.data = data(fashion_mnist(7, 200), 0, Channels::Grey, Scaling::Symmetric);
    c.run = crate::config::RunSettings { batch_size: 100, ..settings(300, 64, 100) };
    c
}

/// `coopnets-object --preset paper`: the TF settings in full, 144 proposals per iteration and
/// 3000 iterations (the MatConvNet object setting's count).
pub fn coopnets_object_paper() -> RunConfig {
    let mut c = coopnets_object();
    (c.run.chains, c.run.iterations) = (144, 3000);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coopnets_texture_settles_both_nets_within_its_last_stage() {
        let c = coopnets_texture();
        let ModelConfig::Coopnets(m) = &c.model else { panic!("coopnets-texture is CoopNets") };
        let learn = &m.descriptor.learn;
        // the descriptor's rate per stage times CoopNets' schedule (both nets)
        let rate = |t: usize| learn.growth.at(t, 3).1 * m.rate_schedule.factor(t);
        let want = [(0, 1.0), (249, 1.0), (250, 0.35), (500, 0.1225), (666, 0.1225), (999, 0.01225)];
        for (t, r) in want {
            assert!((rate(t) - r).abs() < 1e-6, "iteration {t}: rate factor {} against {r}", rate(t));
        }
        // six log-spaced values of 55 iterations from 667: the first drop at 722, a tenth from 942
        assert!(rate(667) == rate(721) && rate(722) < rate(721) && rate(941) > rate(942));
        assert!((m.rate_schedule.factor(942) - 0.1).abs() < 1e-6);
        assert_eq!(c.run.iterations, 1000);
        // and it builds (a descriptor's own schedule is refused under CoopNets)
        crate::build::coopnets(m, &c.run, &[1, 128, 128]).expect("coopnets-texture builds");
    }
}
