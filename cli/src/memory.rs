//! The memory a run will need, estimated before anything is built, and checked against what
//! the machine has: a run that cannot fit is refused at once, naming what to shrink, instead
//! of being killed by the operating system half-way (or aborting in the allocator).
//!
//! The estimate (f32 values, from each net's [`models::Footprint`]) is an upper bound:
//! * weights ×4: value, gradient, two optimizer moments;
//! * synthesized examples (descriptor chains, generator samples) ×3: value, gradient, noise;
//! * back-propagation through a batch of b examples: b × (activations ×3 + the largest
//!   unfolded input), for the Langevin steps and for the learning step;
//! * the observed data, and the generator's persistent latents.
//!
//! The machine's side is `MemAvailable` of `/proc/meminfo` (not checked where that cannot be
//! read, nor for runs on a GPU, whose memory is not the host's). `COOPNETS_SKIP_MEMORY_CHECK=1` skips the check.

use anyhow::{bail, Context, Result};
use models::Footprint;

use crate::config::{DescriptorConfig, GeneratorConfig, ModelConfig, RunConfig};

const F32: u64 = 4;

/// The estimate, by part: (what, bytes).
pub fn estimate(cfg: &RunConfig, n: usize, example: &[usize]) -> Result<Vec<(String, u64)>> {
    let numel = example.iter().fold(1u64, |a, &b| a.saturating_mul(b as u64));
    let m = cfg.run.chains.max(1) as u64;
    let batch = if cfg.run.batch_size == 0 { n } else { cfg.run.batch_size.min(n) } as u64;
    let mut parts = vec![("the observed data".to_string(), mul(&[n as u64, numel, F32]))];
    match &cfg.model {
        ModelConfig::Descriptor(d) => parts.extend(descriptor("model", d, example, m, batch, numel)?),
        ModelConfig::Generator(g) => parts.extend(generator("model", g, example, n as u64, batch)?),
        ModelConfig::Coopnets(c) => {
            parts.extend(descriptor("model.descriptor", &c.descriptor, example, m, batch, numel)?);
            parts.extend(generator("model.generator", &c.generator, example, m, m)?);
        }
    }
    Ok(parts)
}

fn mul(v: &[u64]) -> u64 {
    v.iter().fold(1u64, |a, &b| a.saturating_mul(b))
}

/// Back-propagation through `b` examples of a net.
fn backprop(fp: &Footprint, b: u64) -> u64 {
    mul(&[b, (fp.activations as u64).saturating_mul(3).saturating_add(fp.columns as u64), F32])
}

/// The weights, naming the layer (`net.layers[i]`, `net.fc`) that holds the most.
fn weights(at: &str, widest: &str, fp: &Footprint) -> (String, u64) {
    let what = format!("{at} weights ({} parameters; the most in {at}.{widest}: {})", fp.params, fp.widest_params);
    (what, mul(&[fp.params as u64, 4, F32]))
}

/// `net.layers[i]` for the 1-based layer `k` of `layers` layers; `top` past them, or at 0.
fn layer_name(k: usize, layers: usize, top: &str) -> String {
    if k == 0 || k > layers {
        top.to_string()
    } else {
        format!("net.layers[{}]", k - 1)
    }
}

fn descriptor(
    at: &str,
    d: &DescriptorConfig,
    example: &[usize],
    m: u64,
    batch: u64,
    numel: u64,
) -> Result<Vec<(String, u64)>> {
    let fp = d.net.footprint(example)?;
    Ok(vec![
        weights(at, &layer_name(fp.widest_layer, d.net.layers.len(), "net.fc_top"), &fp),
        (format!("{m} chains (run.chains)"), mul(&[m, numel, 3, F32])),
        (format!("{at}: Langevin and learning through {m} chains and {batch} observed"), backprop(&fp, m + batch)),
    ])
}

fn generator(at: &str, g: &GeneratorConfig, example: &[usize], latents: u64, batch: u64) -> Result<Vec<(String, u64)>> {
    let fp = g.net.footprint(example[0])?;
    let z = g.net.latent.iter().fold(1u64, |a, &b| a.saturating_mul(b as u64));
    let mut parts = vec![
        weights(at, &layer_name(fp.widest_layer, g.net.layers.len(), "net.fc"), &fp),
        (format!("{at}: {latents} latents"), mul(&[latents, z, 2, F32])),
        (format!("{at}: inference and learning through batches of {batch}"), backprop(&fp, batch)),
    ];
    if let Some(p) = &g.latent_prior {
        let at = format!("{at}.latent_prior");
        let fp = p.net.footprint(&g.net.latent).with_context(|| format!("in [{at}.net]"))?;
        parts.push(weights(&at, &layer_name(fp.widest_layer, p.net.layers.len(), "net.fc_top"), &fp));
        let what = format!("{at}: Langevin and learning through {batch} chains and {batch} latents");
        parts.push((what, backprop(&fp, 2 * batch)));
    }
    Ok(parts)
}

/// `MemAvailable` in bytes, where the system says.
fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuse `cfg` on `n` examples of shape `example` if its estimate exceeds what is available.
pub fn check(cfg: &RunConfig, n: usize, example: &[usize]) -> Result<()> {
    // a GPU run keeps its nets and chains in the GPU's memory, not checked here
    if std::env::var_os("COOPNETS_SKIP_MEMORY_CHECK").is_some_and(|v| v == "1") || cfg.run.device != "cpu" {
        return Ok(());
    }
    let Some(have) = available() else { return Ok(()) };
    refuse_over(cfg, n, example, have)
}

/// [`check`] against `have` bytes.
pub fn refuse_over(cfg: &RunConfig, n: usize, example: &[usize], have: u64) -> Result<()> {
    let mut parts = estimate(cfg, n, example)?;
    parts.sort_by_key(|p| std::cmp::Reverse(p.1));
    let need = parts.iter().fold(0u64, |a, (_, b)| a.saturating_add(*b));
    if need <= have {
        return Ok(());
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let lines: Vec<String> = parts.iter().map(|(what, b)| format!("  {:>10.3} GiB  {what}", gib(*b))).collect();
    bail!(
        "this run would need about {:.2} GiB, and the machine has {:.2} GiB available:\n{}\n\
         shrink what is largest (run.chains, run.batch_size, data.size, a layer's out_channels), \
         or set COOPNETS_SKIP_MEMORY_CHECK=1 if the estimate (an upper bound) is wrong for you",
        gib(need),
        gib(have),
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_texture_run_fits_and_a_typo_in_a_width_does_not() {
        let cfg = crate::presets::texture();
        let parts = estimate(&cfg, 1, &[1, 128, 128]).unwrap();
        let need: u64 = parts.iter().map(|(_, b)| b).sum();
        assert!(need < 256 << 20, "the texture run needs {need} B by the estimate: {parts:?}");
        assert!(refuse_over(&cfg, 1, &[1, 128, 128], 1 << 30).is_ok());
        let mut wide = cfg.clone();
        wide.descriptor_mut().net.layers[1].out_channels = 900_000;
        let e = refuse_over(&wide, 1, &[1, 128, 128], 1 << 30).unwrap_err().to_string();
        assert!(e.contains("model.net.layers[1]") && e.contains("GiB available"), "{e}");
    }

    #[test]
    fn chains_count_towards_the_estimate() {
        let mut cfg = crate::presets::coopnets_mnist();
        let one = estimate(&cfg, 8000, &[1, 28, 28]).unwrap().iter().map(|(_, b)| b).sum::<u64>();
        cfg.run.chains = 100_000;
        let many = estimate(&cfg, 8000, &[1, 28, 28]).unwrap().iter().map(|(_, b)| b).sum::<u64>();
        assert!(many > 100 * one, "{one} → {many}");
        let e = refuse_over(&cfg, 8000, &[1, 28, 28], 8 << 30).unwrap_err().to_string();
        assert!(e.contains("100000 chains (run.chains)"), "{e}");
    }
}
