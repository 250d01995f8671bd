//! The run machinery end to end on a tiny configuration: the run folder, resume determinism
//! (a run interrupted and resumed reaches the same numbers as one that was not), NaN
//! handling, and clear errors for bad input.

mod common;
use common::scratch as tmp;
use std::path::Path;

use coopnets_cli::config::{RunConfig, Source};
use coopnets_cli::stats::StatsRow;
use coopnets_cli::{presets, run_dir};
use models::descriptor::{ConvSpec, DescriptorNetConfig, Optim};

/// A texture run small enough for a test: 24×24, a 2-layer net, 6 iterations, SGD momentum
/// 0.5 (so the optimizer has state to save and restore).
fn tiny() -> RunConfig {
    let mut c = presets::texture();
    c.data.size = 24;
    let d = c.descriptor_mut();
    d.learn.optim = Optim::Matconvnet { lr: 5e-4, momentum: 0.5, weight_decay: 1e-4, cap: 20.0 };
    d.net = DescriptorNetConfig {
        layers: vec![ConvSpec::new(8, 5, 2, 2), ConvSpec::new(4, 3, 1, 1)],
        fc_top: None,
        init_std: 0.01,
    };
    c.run.iterations = 6;
    c.run.chains = 2;
    c.run.snapshot_every = 3;
    c.run.checkpoint_every = 2;
    c.run.keep_checkpoints = 10;
    c
}

/// Every tensor of the newest checkpoint: the network's file and the state file.
fn final_checkpoint(out: &Path) -> std::collections::BTreeMap<String, tensor::Tensor> {
    let (_, p) = run_dir::checkpoints(out).pop().expect("a checkpoint");
    let mut all = nn::checkpoint::read_tensors(&nn::checkpoint::parts::module_path(&p, "descriptor")).unwrap();
    let state = nn::checkpoint::read_tensors(&nn::checkpoint::parts::state_path(&p)).unwrap();
    let optim = ["optim.descriptor.sgd.velocity.", "optim.descriptor.adam.m."];
    assert!(
        state.keys().any(|k| optim.iter().any(|o| k.starts_with(o))),
        "optimizer state is saved: {:?}",
        state.keys()
    );
    assert!(state.contains_key("extra.chains"), "chains are saved");
    all.extend(state);
    all
}

fn stats(out: &Path) -> Vec<StatsRow> {
    coopnets_cli::stats::read(out, &["f_obs", "f_syn"], usize::MAX).unwrap()
}

fn strip(v: Vec<StatsRow>) -> Vec<(usize, Vec<f32>)> {
    v.into_iter().map(|r| (r.iteration, r.values)).collect()
}

#[test]
fn a_run_writes_its_folder() {
    let out = tmp("folder");
    let s = coopnets_cli::train::train(&tiny(), &out, false, false).unwrap();
    assert_eq!(s.iterations, 6);
    for f in [
        "observed.png",
        "synthesis_00003.png",
        "synthesis_00006.png",
        "final.png",
        "final/0.png",
        "final/1.png",
        "stats.csv",
        "stats.svg",
        "metrics.json",
        "config.toml",
        "report.html",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let metrics: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["iterations"], 6);
    assert!(metrics["seconds_per_iteration"].as_f64().unwrap() > 0.0);
    assert_eq!(metrics["seed"], 0);
    assert!(metrics["final"]["f_obs"].as_f64().unwrap().is_finite());
    let rows = stats(&out);
    assert_eq!(rows.iter().map(|r| r.iteration).collect::<Vec<_>>(), (0..6).collect::<Vec<_>>());
    // the written config reads back as the same configuration, the data's mean resolved
    let back = RunConfig::from_toml(&std::fs::read_to_string(out.join("config.toml")).unwrap()).unwrap();
    let mut want = tiny();
    coopnets_cli::data::resolve_scaling(&mut want.data, 0).unwrap();
    assert!(matches!(want.data.scaling, datasets::Scaling::ScalarMean(m) if m > 50.0 && m < 200.0));
    assert_eq!(back, want);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("final.png") && html.contains("stats.svg") && html.contains("synthesis_00003.png"));
    let svg = std::fs::read_to_string(out.join("stats.svg")).unwrap();
    assert!(svg.contains("iteration") && svg.contains("mean f(observed)"), "axis title and legend in the plot");
    // a second run into the same folder without --resume is refused
    assert!(coopnets_cli::train::train(&tiny(), &out, false, false).is_err());
}

/// Run `cfg` straight, and again interrupted after the checkpoint at iteration 4 and resumed:
/// every saved tensor (weights, optimizer state, chains) and every statistic must agree.
fn resumes_exactly(cfg: &RunConfig, name: &str) {
    let straight = tmp(&format!("{name}-straight"));
    coopnets_cli::train::train(cfg, &straight, false, false).unwrap();
    let resumed = tmp(&format!("{name}-resumed"));
    let mut first = cfg.clone();
    first.run.iterations = 4;
    coopnets_cli::train::train(&first, &resumed, false, false).unwrap();
    coopnets_cli::train::train(cfg, &resumed, true, false).unwrap();

    let (a, b) = (final_checkpoint(&straight), final_checkpoint(&resumed));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, t) in &a {
        assert_eq!(t.to_vec(), b[k].to_vec(), "{name}: {k} differs after resume");
    }
    assert_eq!(strip(stats(&straight)), strip(stats(&resumed)), "{name}: stats.csv differs after resume");
}

#[test]
fn a_resumed_run_reaches_the_same_numbers_as_an_uninterrupted_one() {
    resumes_exactly(&tiny(), "persistent-momentum");
}

#[test]
fn restarting_chains_noisy_starts_minibatches_and_an_fc_top_resume_exactly() {
    // chains restarted from reference noise every iteration, first drawn with std 0.5
    let mut noisy = tiny();
    noisy.descriptor_mut().learn.chain_init = models::descriptor::ChainInit::RestartNoise;
    noisy.run.chain_init_std = 0.5;
    resumes_exactly(&noisy, "restart-noise");
    // the object net's fc top on 24 Fashion-MNIST images in minibatches of 8 (three batch
    // slots of persistent chains), Adam (two moments per parameter to save)
    let mut object = presets::object();
    object.data.source = presets::fashion_mnist(7, 24);
    let d = object.descriptor_mut();
    d.learn.langevin_steps = 3;
    d.learn.optim = Optim::Adam { lr: 1e-3, beta1: 0.5 };
    object.run = coopnets_cli::config::RunSettings { batch_size: 8, ..tiny().run };
    assert!(object.descriptor().unwrap().net.fc_top.is_some());
    resumes_exactly(&object, "object-minibatches");
}

#[test]
fn a_chain_that_goes_non_finite_stops_the_run_and_keeps_the_last_good_checkpoint() {
    // an absurd learning rate: after the first update f explodes and the chains overflow
    let out = tmp("nan");
    let mut cfg = tiny();
    cfg.run.iterations = 40;
    cfg.run.checkpoint_every = 1;
    cfg.descriptor_mut().learn.optim = Optim::Adam { lr: 1e30, beta1: 0.5 };
    let err = coopnets_cli::train::train(&cfg, &out, false, false).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("iteration") && msg.contains("step") && msg.contains("chain"), "{msg}");
    assert!(msg.contains("last good checkpoint"), "{msg}");
    let (it, p) = run_dir::checkpoints(&out).pop().expect("a checkpoint before the failure");
    let ok = nn::checkpoint::read_tensors(&nn::checkpoint::parts::module_path(&p, "descriptor")).unwrap();
    assert!(ok.values().all(|t| t.first_non_finite().is_none()), "checkpoint {it} is finite");
}

#[test]
fn resuming_with_a_different_configuration_is_refused() {
    let out = tmp("resume-config");
    coopnets_cli::train::train(&tiny(), &out, false, false).unwrap();
    let mut longer = tiny();
    longer.run.iterations = 8; // allowed, like the other cadence settings
    longer.run.log_every = 3;
    coopnets_cli::train::train(&longer, &out, true, false).unwrap();
    let mut other = longer.clone();
    other.descriptor_mut().learn.step_size = 0.1; // not allowed
    let msg = format!("{:#}", coopnets_cli::train::train(&other, &out, true, false).unwrap_err());
    assert!(msg.contains("model.learn.step_size: 0.2 → 0.1"), "the differing field is named: {msg}");
    let mut saved = RunConfig::from_toml(&std::fs::read_to_string(out.join("config.toml")).unwrap()).unwrap();
    assert_eq!(saved.descriptor_mut().learn.step_size, 0.2, "config.toml is not overwritten by a refused resume");
}

#[test]
fn bad_input_is_a_clear_error() {
    let mut cfg = tiny();
    cfg.data.source = Source::Images { path: "/no/such/texture.png".into() };
    let msg = format!("{:#}", coopnets_cli::train::train(&cfg, &tmp("missing"), false, false).unwrap_err());
    assert!(msg.contains("/no/such/texture.png"), "{msg}");
    // an image too small for the net (the reference padding: 15×15 kernels need 11 pixels)
    let mut cfg = presets::texture();
    cfg.descriptor_mut().net = DescriptorNetConfig::texture();
    cfg.data.size = 8;
    let msg = format!("{:#}", coopnets_cli::train::train(&cfg, &tmp("small"), false, false).unwrap_err());
    assert!(msg.contains("does not fit"), "{msg}");
    assert!(RunConfig::from_toml("[data]\nsize = \"big\"").is_err());
    // a device this build or machine does not have: named, never a silent CPU run
    let mut cfg = tiny();
    cfg.run.device = "cuda:7".into();
    if tensor::Device::parse("cuda:7").is_err() {
        let msg = format!("{:#}", coopnets_cli::train::train(&cfg, &tmp("nocuda"), false, false).unwrap_err());
        assert!(msg.contains("run.device") && msg.contains("cuda:7"), "{msg}");
    }
    // a crop larger than the image names the field and the file
    let mut big = tiny();
    big.data.crop = 5000;
    let msg = format!("{:#}", coopnets_cli::train::train(&big, &tmp("crop"), false, false).unwrap_err());
    assert!(msg.contains("data.crop = 5000") && msg.contains("skimage_brick.png"), "{msg}");
    cfg.run.device = "tpu".into();
    let msg = format!("{:#}", coopnets_cli::train::train(&cfg, &tmp("tpu"), false, false).unwrap_err());
    assert!(msg.contains("expected cpu, cuda or cuda:N"), "{msg}");
}

#[test]
fn flat_data_and_colour_from_grey_sources_are_refused() {
    // a 2×2 image of one grey level, resized up to 24×24: nothing to learn
    let dir = tmp("flat");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("flat.png");
    datasets::save_image(&png, &tensor::Tensor::full(&[1, 2, 2], 100.0), &datasets::Scaling::Raw).unwrap();
    let mut cfg = tiny();
    (cfg.data.source, cfg.data.crop) = (Source::Images { path: png.clone() }, 0);
    let msg = format!("{:#}", coopnets_cli::train::train(&cfg, &dir.join("run"), false, false).unwrap_err());
    assert!(msg.contains("flat.png") && msg.contains("are flat, every value 100"), "{msg}");
    // colour asked of grey digits
    let mut object = presets::object();
    object.data.channels = datasets::Channels::Rgb;
    let msg = format!("{:#}", coopnets_cli::train::train(&object, &tmp("rgb-idx"), false, false).unwrap_err());
    assert!(msg.contains("data.channels = \"rgb\"") && msg.contains("use \"grey\""), "{msg}");
}

#[test]
fn sampling_from_a_checkpoint() {
    let out = tmp("sample");
    coopnets_cli::train::train(&tiny(), &out, false, false).unwrap();
    let (_, ck) = run_dir::checkpoints(&out).pop().unwrap();
    let png = out.join("samples.png");
    use coopnets_cli::sample::{sample, Request, Start};
    let req = Request { steps: 5, chains: Some(3), start: Start::Zeros, seed: 1, device: None };
    let y = sample(&ck.with_extension("json"), req.clone(), &png).unwrap();
    assert_eq!(y.shape(), &[3, 1, 24, 24]); // the default texture is grey
    assert!(png.exists());
    // from the saved chains: with 0 steps exactly the checkpoint's chains come back
    let saved = nn::checkpoint::read_tensors(&nn::checkpoint::parts::state_path(&ck)).unwrap()["extra.chains"].clone();
    let y = sample(&ck, Request { steps: 0, chains: None, start: Start::Chains, seed: 1, device: None }, &png).unwrap();
    assert_eq!(y.to_vec(), saved.to_vec(), "sampling starts from the loaded chains");
    let refused = sample(&ck, Request { steps: 1, chains: Some(5), start: Start::Chains, seed: 1, device: None }, &png);
    assert!(format!("{:#}", refused.unwrap_err()).contains("holds 2 chains"));
    assert!(sample(&out.join("nope.json"), req.clone(), &png).is_err());
    // the weights come from the checkpoint's file: other weights there, other samples
    let weights = nn::checkpoint::parts::module_path(&ck, "descriptor");
    let original = nn::checkpoint::read_tensors(&weights).unwrap();
    let before = sample(&ck, req.clone(), &png).unwrap().to_vec();
    let scaled = original.iter().map(|(k, t)| (k.clone(), t.mul_scalar(3.0))).collect();
    nn::checkpoint::write_tensors(&weights, &scaled).unwrap();
    assert_ne!(sample(&ck, req.clone(), &png).unwrap().to_vec(), before, "sampling used the file's weights");
    nn::checkpoint::write_tensors(&weights, &original).unwrap();
    assert_eq!(sample(&ck, req, &png).unwrap().to_vec(), before);
}

#[test]
fn a_run_killed_with_sigkill_resumes_to_the_same_numbers() {
    // the real binary, killed (SIGKILL) as soon as its first checkpoint is on disk
    let mut cfg = tiny();
    cfg.run.iterations = 120;
    cfg.run.checkpoint_every = 5;
    cfg.run.snapshot_every = 1000;
    let straight = tmp("sigkill-straight");
    coopnets_cli::train::train(&cfg, &straight, false, false).unwrap();

    let killed = tmp("sigkill-killed");
    std::fs::create_dir_all(&killed).unwrap();
    let config = killed.with_extension("toml");
    std::fs::write(&config, cfg.to_toml().unwrap()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coopnets"))
        .args(["train", "descriptor", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&killed)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while run_dir::checkpoints(&killed).is_empty() && start.elapsed().as_secs() < 120 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix: no chance to clean up
    child.wait().unwrap();
    let (at, _) = run_dir::checkpoints(&killed).pop().expect("a checkpoint before the kill");
    assert!(at < cfg.run.iterations, "the kill landed mid-run (newest checkpoint {at} of {})", cfg.run.iterations);

    coopnets_cli::train::train(&cfg, &killed, true, false).unwrap();
    let (a, b) = (final_checkpoint(&straight), final_checkpoint(&killed));
    for (k, t) in &a {
        assert_eq!(t.to_vec(), b[k].to_vec(), "{k} differs after kill -9 and resume");
    }
    assert_eq!(strip(stats(&straight)), strip(stats(&killed)));
}

/// A run folder held by a live run refuses a second run at once, naming the holder; once the
/// holder is gone the folder is free again.
#[test]
fn a_second_run_into_a_folder_in_use_is_refused() {
    let out = tmp("locked");
    let held = coopnets_cli::run_dir::lock(&out).unwrap();
    let msg = format!("{:#}", coopnets_cli::train::train(&tiny(), &out, false, false).unwrap_err());
    assert!(msg.contains("in use by another run") && msg.contains(&std::process::id().to_string()), "{msg}");
    assert!(coopnets_cli::run_dir::checkpoints(&out).is_empty(), "the refused run wrote nothing");
    drop(held);
    coopnets_cli::train::train(&tiny(), &out, false, false).unwrap();
}

/// A newest checkpoint that is cut short, or that holds NaN weights, is skipped: the run
/// resumes from the one before and still reaches the numbers of an uninterrupted run.
#[test]
fn resume_falls_back_past_a_corrupt_or_non_finite_newest_checkpoint() {
    let straight = tmp("fallback-straight");
    coopnets_cli::train::train(&tiny(), &straight, false, false).unwrap();
    for damage in ["truncate", "nan"] {
        let out = tmp(&format!("fallback-{damage}"));
        let mut first = tiny();
        first.run.iterations = 4; // checkpoints at 2 and 4
        coopnets_cli::train::train(&first, &out, false, false).unwrap();
        let (it, newest) = run_dir::checkpoints(&out).pop().unwrap();
        assert_eq!(it, 4);
        let weights = nn::checkpoint::parts::module_path(&newest, "descriptor");
        match damage {
            "truncate" => {
                let bytes = std::fs::read(&weights).unwrap();
                std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
            }
            _ => {
                let mut t = nn::checkpoint::read_tensors(&weights).unwrap();
                let w = t.get_mut("conv1.weight").unwrap();
                *w = w.mul_scalar(f32::NAN);
                nn::checkpoint::write_tensors(&weights, &t).unwrap();
            }
        }
        coopnets_cli::train::train(&tiny(), &out, true, false).unwrap();
        let (a, b) = (final_checkpoint(&straight), final_checkpoint(&out));
        for (k, t) in &a {
            assert_eq!(t.to_vec(), b[k].to_vec(), "{damage}: {k} differs after the fallback");
        }
    }
    // every checkpoint damaged: the resume says so instead of starting over
    let out = tmp("fallback-none");
    coopnets_cli::train::train(&tiny(), &out, false, false).unwrap();
    for (_, p) in run_dir::checkpoints(&out) {
        std::fs::write(nn::checkpoint::parts::module_path(&p, "descriptor"), b"garbage").unwrap();
    }
    let msg = format!("{:#}", coopnets_cli::train::train(&tiny(), &out, true, false).unwrap_err());
    assert!(msg.contains("no checkpoint in") && msg.contains("loads"), "{msg}");
}

/// `coopnets train ARGS --config CONFIG --out OUT` with stderr piped; its stderr, after it succeeded.
fn train_binary(args: &[&str], config: &Path, out: &Path) -> String {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_coopnets"))
        .arg("train")
        .args(args)
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{err}");
    err
}

/// Without a terminal (stderr piped) the binary prints a progress line every `log_every`
/// iterations and the statistics CSV grows with them, not only at checkpoints.
#[test]
fn without_a_terminal_progress_is_logged_every_n_iterations() {
    let mut cfg = tiny();
    (cfg.run.iterations, cfg.run.checkpoint_every, cfg.run.log_every) = (6, 100, 2);
    let out = tmp("log-lines");
    let config = out.with_extension("toml");
    std::fs::write(&config, cfg.to_toml().unwrap()).unwrap();
    let err = train_binary(&[], &config, &out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("iteration ")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].starts_with("iteration 2/6: f_obs") && lines[2].contains("s/iteration"), "{err}");

    // --log-format json: one object per line, for programs
    let err = train_binary(&["--log-format", "json"], &config, &tmp("log-json"));
    let objects: Vec<serde_json::Value> =
        err.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 3, "{err}");
    assert_eq!((objects[2]["iteration"].as_u64(), objects[2]["iterations"].as_u64()), (Some(6), Some(6)));
    assert!(objects[0]["stats"]["f_obs"].is_number() && objects[0]["seconds_per_iteration"].is_number(), "{err}");
}

/// The loop's own non-finite checks, each made to fire: a rate so large that the first update
/// overflows the weights, and observed data so large that f(observed) overflows.
#[test]
fn non_finite_weights_and_statistics_stop_the_run_naming_them() {
    let mut cfg = tiny();
    cfg.descriptor_mut().learn.optim = Optim::Matconvnet { lr: 1e38, momentum: 0.0, weight_decay: 0.0, cap: 20.0 };
    let msg = format!("{:#}", coopnets_cli::train::train(&cfg, &tmp("huge-lr"), false, false).unwrap_err());
    assert!(msg.contains("iteration 0: parameter") && msg.contains("is not finite after the update"), "{msg}");

    let mut cfg = tiny();
    coopnets_cli::data::resolve_scaling(&mut cfg.data, 0).unwrap();
    let mut obs = coopnets_cli::data::load(&cfg.data, 0).unwrap();
    obs.data = obs.data.full_like(3e38);
    let mut learner = coopnets_cli::build::learner(&cfg, &obs).unwrap();
    let opts = coopnets_cli::train::Options { resume: false, progress: false };
    let err =
        coopnets_cli::train::train_learner(&cfg, &tmp("huge-data"), opts, &obs, learner.as_mut(), &mut |_, _| Ok(()));
    let msg = format!("{:#}", err.unwrap_err());
    assert!(msg.contains("iteration 0: f_obs = inf"), "{msg}");
}

/// What a resumed run reports is the model's iteration count: a finished run resumed with a
/// smaller `iterations` stays at its own, and a deleted stats.csv does not shrink it.
#[test]
fn a_resumed_run_reports_the_models_iteration_count() {
    let out = tmp("report-count");
    coopnets_cli::train::train(&tiny(), &out, false, false).unwrap(); // 6 iterations
    let mut shorter = tiny();
    shorter.run.iterations = 4;
    let s = coopnets_cli::train::train(&shorter, &out, true, false).unwrap();
    assert_eq!(s.iterations, 6);
    let m = common::metrics(&out);
    assert_eq!(m["iterations"], 6);
    std::fs::remove_file(out.join("stats.csv")).unwrap();
    let mut longer = tiny();
    longer.run.iterations = 8;
    assert_eq!(coopnets_cli::train::train(&longer, &out, true, false).unwrap().iterations, 8);
}

/// No path is compiled in: run by hand outside cargo (no `COOPNETS_DATA`), a preset's data
/// are under `./data` of the working directory, and a missing file says where it was looked for.
#[test]
fn presets_take_the_data_from_the_working_directory() {
    let dir = tmp("outside");
    std::fs::create_dir_all(&dir).unwrap();
    let coopnets = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_coopnets"));
        c.env_remove("COOPNETS_DATA").current_dir(&dir);
        c
    };
    let config = coopnets().args(["config", "texture"]).output().unwrap();
    let text = String::from_utf8(config.stdout).unwrap();
    assert!(text.contains("path = \"data/textures/skimage_brick.png\""), "{text}");
    std::fs::write(dir.join("texture.toml"), &text).unwrap();
    let run = coopnets().args(["train", "--config", "texture.toml", "--out", "run"]).output().unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    let looked = dir.canonicalize().unwrap().join("data/textures/skimage_brick.png");
    assert!(!run.status.success() && err.contains(&looked.display().to_string()), "{err}");
}

/// Every preset (default and paper) finds its shipped data, and its model fits them (every
/// net is built for the data's shape, and the memory check passes: the largest estimate,
/// `coopnets-texture-paper`'s, is 0.5 GiB); nothing is trained.
/// (`coopnets-object` once asked for 2000 sneakers of the 200 shipped.)
#[test]
fn every_preset_loads_its_data_and_builds_its_model() {
    for name in presets::NAMES {
        let mut cfg = presets::preset(name).unwrap();
        let built = (|| {
            coopnets_cli::data::resolve_scaling(&mut cfg.data, 0)?;
            let obs = coopnets_cli::data::load(&cfg.data, 0)?;
            coopnets_cli::build::learner(&cfg, &obs).map(|_| ())
        })();
        built.unwrap_or_else(|e| panic!("preset {name}: {e:#}"));
    }
}
