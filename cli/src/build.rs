//! Building a run's learner from its configuration and the shape of its data. The weights
//! are drawn from the seed's stream 0, the initial chains or latents from stream `u64::MAX`,
//! iteration t from stream t + 1: every random draw of a run comes from its seed.

use anyhow::{bail, Context, Result};
use models::descriptor::DescriptorNet;
use models::generator::{Generator, GeneratorLearner, GeneratorNet, LatentPrior};
use models::{CoopNetsLearner, Descriptor, DescriptorLearner, Learner};
use tensor::{rng_for, rng_from_seed, Tensor};

use crate::config::{
    CoopNetsConfig, DescriptorConfig, GeneratorConfig, ModelConfig, OutputBias, RunConfig, RunSettings,
};

/// The stream the initial chains or latents are drawn from.
pub const INIT_STREAM: u64 = u64::MAX;
/// The stream a learned latent prior's weights are drawn from.
const PRIOR_STREAM: u64 = u64::MAX - 80_000;

/// The learner of `cfg` for `n` examples of shape `example` (`[C, spatial…]`).
pub fn learner(cfg: &RunConfig, obs: &crate::data::Observed) -> Result<Box<dyn Learner>> {
    let (n, example) = crate::train::split_shape(&obs.data)?;
    crate::memory::check(cfg, n, &example)?;
    learner_for(cfg, obs, &example).with_context(|| for_data(cfg, &example))
}

/// "for the data of FILE (examples of shape …)": which data a model did not fit.
pub fn for_data(cfg: &RunConfig, example: &[usize]) -> String {
    let path = crate::data::source_path(&cfg.data.source).display();
    format!("building the {} for the data of {path} (examples of shape {example:?})", cfg.model.kind())
}

fn learner_for(cfg: &RunConfig, obs: &crate::data::Observed, example: &[usize]) -> Result<Box<dyn Learner>> {
    let example = example.to_vec();
    Ok(match &cfg.model {
        ModelConfig::Descriptor(_) | ModelConfig::Coopnets(_) if cfg.data.missing.is_some() => {
            bail!("data.missing: the descriptor does not learn from incomplete data (the generator does)")
        }
        ModelConfig::Descriptor(d) => {
            let slots = crate::train::batches_per_epoch(obs.data.shape()[0], cfg.run.batch_size);
            Box::new(descriptor(d, &cfg.run, &example, slots)?)
        }
        ModelConfig::Generator(_) => Box::new(generator_for(cfg, obs)?),
        ModelConfig::Coopnets(c) => Box::new(coopnets(c, &cfg.run, &example)?),
    })
}

/// CoopNets: the descriptor and the generator, each with `run.chains` synthesized examples.
pub fn coopnets(c: &CoopNetsConfig, run: &RunSettings, example: &[usize]) -> Result<CoopNetsLearner> {
    if !c.descriptor.learn.rate_schedule.is_constant() {
        bail!("in [model.descriptor.learn]: rate_schedule is for a descriptor learned alone; CoopNets schedules both nets with [model.rate_schedule]");
    }
    let d = descriptor(&c.descriptor, run, example, 1).context("in [model.descriptor]")?;
    if c.generator.output_bias != OutputBias::Zero {
        bail!("in [model.generator]: output_bias = \"data_mean\" is for a generator learned alone from incomplete data; CoopNets does not use it");
    }
    if c.generator.latent_prior.is_some() {
        bail!("in [model.generator]: latent_prior is for a generator learned alone (ABP); CoopNets' generator learns from the descriptor's revisions of its own proposals");
    }
    let g = generator(&c.generator, run, example, run.chains.max(1)).context("in [model.generator]")?;
    c.rate_schedule.check().map_err(anyhow::Error::msg).context("in [model.rate_schedule]")?;
    let mut learner = CoopNetsLearner::new(d, g)?;
    learner.schedule = c.rate_schedule.clone();
    Ok(learner)
}

/// The descriptor and its chains `[slots · chains, C, spatial…]`: `run.chains` persistent
/// chains for each of `slots` batch slots.
pub fn descriptor(
    d: &DescriptorConfig,
    run: &RunSettings,
    example: &[usize],
    slots: usize,
) -> Result<DescriptorLearner> {
    let net = DescriptorNet::new(&d.net, example, &mut rng_from_seed(run.seed))?;
    let shape = [&[run.chains.max(1) * slots][..], example].concat();
    let chains = if run.chain_init_std > 0.0 {
        Tensor::randn(&shape, 0.0, run.chain_init_std, &mut rng_for(run.seed, INIT_STREAM))?
    } else {
        Tensor::zeros(&shape)
    };
    let l =
        DescriptorLearner::new(Descriptor::new(net, d.reference_sigma), d.learn.clone(), chains).with_slots(slots)?;
    l.check_growth()?;
    Ok(l)
}

/// The generator and the persistent latents of `n` training examples (its numbers are
/// checked by [`crate::validate`] before).
pub fn generator(g: &GeneratorConfig, run: &RunSettings, example: &[usize], n: usize) -> Result<GeneratorLearner> {
    let net = || GeneratorNet::new(&g.net, example, &mut rng_from_seed(run.seed));
    let generator = Generator::new(net()?, g.noise_sigma, g.latent_sigma);
    let mut l = GeneratorLearner::new(generator, g.learn.clone(), n, &mut rng_for(run.seed, INIT_STREAM))?;
    if let Some(p) = &g.latent_prior {
        let batch = if run.batch_size == 0 { n } else { run.batch_size.min(n) };
        let mut rng = rng_for(run.seed, PRIOR_STREAM);
        let prior =
            LatentPrior::new(p, &g.net.latent, batch, g.latent_sigma, &mut rng).context("in [model.latent_prior]")?;
        l = l.with_prior(prior);
    }
    if g.learn.ema == 0.0 {
        return Ok(l);
    }
    Ok(l.with_average(Generator::new(net()?, g.noise_sigma, g.latent_sigma))?)
}

/// [`OutputBias::DataMean`]: set the bias of the generator's last layer so that g(Z) starts
/// at the mean m of the observed (visible) pixels: `b = atanh(m / output_scale)` under a tanh
/// output (clamped to ±0.95 inside the atanh), `b = m / output_scale` under none.
fn start_output_at_data_mean(l: &mut GeneratorLearner, g: &GeneratorConfig, obs: &crate::data::Observed) -> Result<()> {
    use nn::Module;
    let m = match &obs.mask {
        Some(mask) => obs.data.mul(mask)?.sum_all().to_scalar()? / mask.sum_all().to_scalar()?.max(1.0),
        None => obs.data.mean_all().to_scalar()?,
    };
    let last = g.net.layers.last().context("the generator has no layers")?;
    let unit = m / g.net.output_scale;
    let b = match last.activation {
        models::Activation::Tanh => unit.clamp(-0.95, 0.95).atanh(),
        models::Activation::None => unit,
        other => bail!("output_bias = \"data_mean\" needs a tanh or linear output layer, not {other:?}"),
    };
    let mut params = l.generator.net.named_parameters_mut();
    // the output layer is the net's last module with parameters (no BatchNorm after it)
    let bias = match params.last_mut() {
        Some((name, p)) if name.ends_with("bias") => p,
        _ => bail!("output_bias = \"data_mean\": the generator's output layer has no bias"),
    };
    bias.value = Tensor::full_on(bias.value.shape(), b, &bias.value.device())?;
    Ok(())
}

/// The latent shape of a patch-trained, fully convolutional generator's samples: each spatial
/// axis scaled by (whole image) / patch, so that samples have the whole image's size.
pub fn sample_latent(latent: &[usize], patch: usize, whole: &[usize]) -> Vec<usize> {
    let spatial = latent[1..].iter().zip(whole).map(|(&s, &w)| s * (w / patch.max(1)).max(1));
    [&latent[..1], &spatial.collect::<Vec<_>>()].concat()
}

/// [`generator`] for a run's data: a fully convolutional generator learned on patches draws
/// its samples at the size of the whole image (the latent map scaled by image / patch).
pub fn generator_for(cfg: &RunConfig, obs: &crate::data::Observed) -> Result<GeneratorLearner> {
    let ModelConfig::Generator(g) = &cfg.model else {
        bail!("this run's model is a {}, not a generator", cfg.model.kind())
    };
    let (n, example) = crate::train::split_shape(&obs.data)?;
    crate::memory::check(cfg, n, &example)?;
    let mut l = generator(g, &cfg.run, &example, n)?;
    if g.output_bias == OutputBias::DataMean {
        start_output_at_data_mean(&mut l, g, obs)?;
        if let Some(a) = &mut l.average {
            a.reset(&l.generator)?;
        }
    }
    if let (Some(whole), None) = (&obs.whole, &g.net.fc) {
        l.sample_latent = sample_latent(&l.sample_latent, cfg.data.patch, &whole.shape()[2..]);
    }
    Ok(l)
}
