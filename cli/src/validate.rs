//! Every number of a run configuration checked before any work starts, each error naming the
//! field (`model.descriptor.learn.step_size = -0.3: must be > 0`). Shapes are checked when
//! the nets are built against the data (they name the layer); these are the values that
//! would otherwise run silently wrong or fail late.

use anyhow::{bail, Result};
use models::descriptor::{Axes, DescriptorNetConfig, LearnConfig, Padding};
use models::generator::{GeneratorLearnConfig, GeneratorNetConfig};
use models::Optim;

use crate::config::{DescriptorConfig, GeneratorConfig, ModelConfig, RunConfig};

/// Chains, batch and layer widths above this are refused as typos (memory for 10⁶ chains of
/// a 28² digit is already 3 GB); raise it by editing the code if you mean it.
const MAX_COUNT: usize = 1_000_000;

/// Check every field of `cfg`; the first problem is the error.
pub fn validate(cfg: &RunConfig) -> Result<()> {
    let r = &cfg.run;
    count("run.chains", r.chains, 1)?;
    count("run.iterations", r.iterations, 0)?;
    count("run.batch_size", r.batch_size, 0)?;
    finite_at_least("run.chain_init_std", r.chain_init_std, 0.0)?;
    count("data.size", cfg.data.size, 0)?;
    if let crate::config::Source::Wav { loudness: crate::config::Loudness::Rms(r), .. } = cfg.data.source {
        if !(r.is_finite() && r > 0.0 && r <= 1.0) {
            bail!("data.source.loudness.rms = {r}: must be in (0, 1] (WAV samples lie in [−1, 1])");
        }
    }
    let resized = (cfg.data.size as u64)
        .checked_pow(2)
        .and_then(|a| a.checked_mul(4 * cfg.data.channels.count() as u64))
        .unwrap_or(u64::MAX);
    if resized > datasets::limits::max_decoded_bytes() {
        bail!(
            "data.size = {}: one resized image would take {} MB, more than the limit of {} MB (COOPNETS_MAX_DECODED_MB)",
            cfg.data.size,
            resized >> 20,
            datasets::limits::max_decoded_bytes() >> 20
        );
    }
    match &cfg.model {
        ModelConfig::Descriptor(d) => descriptor("model", d),
        ModelConfig::Generator(g) => generator("model", g),
        ModelConfig::Coopnets(c) => {
            descriptor("model.descriptor", &c.descriptor)?;
            generator("model.generator", &c.generator)
        }
    }
}

fn descriptor(at: &str, d: &DescriptorConfig) -> Result<()> {
    positive(&format!("{at}.reference_sigma"), d.reference_sigma)?;
    descriptor_net(&format!("{at}.net"), &d.net)?;
    learn(&format!("{at}.learn"), &d.learn)
}

fn descriptor_net(at: &str, n: &DescriptorNetConfig) -> Result<()> {
    if n.layers.is_empty() {
        bail!("{at}.layers is empty: the descriptor needs at least one convolution");
    }
    for (i, l) in n.layers.iter().enumerate() {
        count(&format!("{at}.layers[{i}].out_channels"), l.out_channels, 1)?;
        padding(&format!("{at}.layers[{i}]"), &l.kernel, &l.padding)?;
    }
    if let Some(k) = n.fc_top {
        count(&format!("{at}.fc_top"), k, 1)?;
    }
    positive(&format!("{at}.init_std"), n.init_std)
}

/// Explicit padding at most the kernel's size on each axis (the reference nets pad up to it;
/// more only adds outputs that see nothing but zeros, and `padding = 1000` ran for minutes).
/// A kernel of 0 (the whole extent) and `"same"` are not limited.
fn padding(at: &str, kernel: &Axes, padding: &Padding) -> Result<()> {
    let Padding::Explicit(p) = padding else { return Ok(()) };
    let (k, p) = (axes(kernel), axes(p));
    for i in 0..k.len().max(p.len()) {
        let (ki, pi) = (k[i.min(k.len() - 1)], p[i.min(p.len() - 1)]);
        if ki > 0 && pi > ki {
            bail!(
                "{at}.padding = {pi} on axis {i}: more than the kernel's {ki} (only zeros would reach those outputs)"
            );
        }
    }
    Ok(())
}

fn axes(a: &Axes) -> Vec<usize> {
    match a {
        Axes::All(n) => vec![*n],
        Axes::Each(v) if !v.is_empty() => v.clone(),
        Axes::Each(_) => vec![0],
    }
}

fn learn(at: &str, l: &LearnConfig) -> Result<()> {
    count(&format!("{at}.langevin_steps"), l.langevin_steps, 1)?;
    positive(&format!("{at}.step_size"), l.step_size)?;
    optim(&format!("{at}.optim"), &l.optim)
}

fn generator(at: &str, g: &GeneratorConfig) -> Result<()> {
    positive(&format!("{at}.noise_sigma"), g.noise_sigma)?;
    positive(&format!("{at}.latent_sigma"), g.latent_sigma)?;
    generator_net(&format!("{at}.net"), &g.net)?;
    generator_learn(&format!("{at}.learn"), &g.learn)?;
    if let Some(p) = &g.latent_prior {
        descriptor_net(&format!("{at}.latent_prior.net"), &p.net)?;
        learn(&format!("{at}.latent_prior.learn"), &p.learn)?;
    }
    Ok(())
}

fn generator_net(at: &str, n: &GeneratorNetConfig) -> Result<()> {
    if n.latent.is_empty() || n.latent.contains(&0) {
        bail!("{at}.latent = {:?}: every axis of the latent needs size ≥ 1", n.latent);
    }
    for (i, l) in n.layers.iter().enumerate() {
        // 0 on the last layer: the data's channels (the net checks where a 0 may stand)
        count(&format!("{at}.layers[{i}].out_channels"), l.out_channels, 0)?;
        count(&format!("{at}.layers[{i}].kernel"), l.kernel, 1)?;
        count(&format!("{at}.layers[{i}].stride"), l.stride, 1)?;
    }
    positive(&format!("{at}.output_scale"), n.output_scale)?;
    positive(&format!("{at}.init_std"), n.init_std)?;
    positive(&format!("{at}.bn_eps"), n.bn_eps)
}

fn generator_learn(at: &str, l: &GeneratorLearnConfig) -> Result<()> {
    // T_g = 0 is CoopNets' "no inference of Z"; the step size only matters when T_g > 0
    if l.langevin_steps > 0 {
        positive(&format!("{at}.step_size"), l.step_size)?;
    }
    optim(&format!("{at}.optim"), &l.optim)
}

fn optim(at: &str, o: &Optim) -> Result<()> {
    match *o {
        Optim::Matconvnet { lr, momentum, weight_decay, cap } => {
            positive(&format!("{at}.lr"), lr)?;
            unit_interval(&format!("{at}.momentum"), momentum)?;
            finite_at_least(&format!("{at}.weight_decay"), weight_decay, 0.0)?;
            positive(&format!("{at}.cap"), cap)
        }
        Optim::Adam { lr, beta1 } => {
            positive(&format!("{at}.lr"), lr)?;
            unit_interval(&format!("{at}.beta1"), beta1)
        }
    }
}

fn positive(field: &str, v: f32) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        bail!("{field} = {v}: must be a finite number > 0");
    }
    Ok(())
}

fn finite_at_least(field: &str, v: f32, lo: f32) -> Result<()> {
    if !(v.is_finite() && v >= lo) {
        bail!("{field} = {v}: must be a finite number ≥ {lo}");
    }
    Ok(())
}

fn unit_interval(field: &str, v: f32) -> Result<()> {
    if !(0.0..1.0).contains(&v) {
        bail!("{field} = {v}: must be in [0, 1)");
    }
    Ok(())
}

fn count(field: &str, v: usize, lo: usize) -> Result<()> {
    if v < lo || v > MAX_COUNT {
        bail!("{field} = {v}: must be between {lo} and {MAX_COUNT}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    fn err(f: impl Fn(&mut RunConfig)) -> String {
        let mut c = presets::texture();
        f(&mut c);
        validate(&c).unwrap_err().to_string()
    }

    #[test]
    fn every_preset_is_valid() {
        for name in presets::NAMES {
            validate(&presets::preset(name).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn bad_numbers_name_their_field() {
        assert!(err(|c| c.run.chains = 0).starts_with("run.chains = 0"));
        assert!(err(|c| c.run.chain_init_std = f32::NAN).starts_with("run.chain_init_std = NaN"));
        assert!(err(|c| c.descriptor_mut().reference_sigma = -1.0).starts_with("model.reference_sigma = -1"));
        assert!(err(|c| c.descriptor_mut().learn.step_size = 0.0).starts_with("model.learn.step_size = 0"));
        assert!(err(|c| c.descriptor_mut().learn.langevin_steps = 0).starts_with("model.learn.langevin_steps = 0"));
        assert!(err(|c| c.descriptor_mut().net.layers.clear()).starts_with("model.net.layers is empty"));
        assert!(err(|c| c.descriptor_mut().net.fc_top = Some(0)).starts_with("model.net.fc_top = 0"));
        assert!(err(|c| c.descriptor_mut().net.init_std = -0.01).starts_with("model.net.init_std"));
        let lr = err(|c| c.descriptor_mut().learn.optim = Optim::Adam { lr: -1e-3, beta1: 0.5 });
        assert!(lr.starts_with("model.learn.optim.lr = -0.001"), "{lr}");
        let cap = err(|c| {
            c.descriptor_mut().learn.optim =
                Optim::Matconvnet { lr: 1e-3, momentum: 0.5, weight_decay: 0.0, cap: -20.0 }
        });
        assert!(cap.starts_with("model.learn.optim.cap = -20"), "{cap}");
        assert!(err(|c| c.run.chains = 1_000_000_000).contains("between 1 and 1000000"));
        let pad = err(|c| c.descriptor_mut().net.layers[0].padding = Padding::Explicit(Axes::All(1000)));
        assert!(pad.starts_with("model.net.layers[0].padding = 1000 on axis 0: more than the kernel's 15"), "{pad}");
        let mut c = presets::coopnets_mnist();
        c.generator_mut().noise_sigma = 0.0;
        assert!(validate(&c).unwrap_err().to_string().starts_with("model.generator.noise_sigma = 0"));
    }
}
