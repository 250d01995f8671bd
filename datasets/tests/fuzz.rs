//! A fuzz target per loader, on stable Rust: seeded byte mutations of the small valid files in
//! `tests/fuzz_corpus/` (one or more per format), each fed to its loader. Every input must
//! give `Ok` or a typed error: no panic, and no more memory than the cap.
//!
//! * **Mutations** and the **memory cap** (512 MiB of live heap, or the process aborts): see
//!   `common/fuzz.rs`. The loaders' own limit (`COOPNETS_MAX_DECODED_MB`) is set to 64 MB here, so a file that declares a
//!   huge size must be refused from its header, before it is decoded.
//! * **Bounded time**: [`CASES`] mutations per corpus file, and at most `COOPNETS_FUZZ_SECONDS`
//!   (default 4) per loader, shared by its files (each must run at least 50 cases);
//!   `COOPNETS_FUZZ_SEED` explores other seeds (default 0: the same inputs on every run, so CI
//!   is reproducible).
//! * **A failure** writes its input to `target/fuzz-failures/` and names it: add it to the
//!   corpus once fixed.

#[path = "common/fuzz.rs"]
mod fuzz_support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coopnets_datasets::{Channels, LoadOptions};
use fuzz_support::{mutate, Capped};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Mutations per corpus file (`COOPNETS_FUZZ_CASES` to change).
const CASES: usize = 2000;

#[global_allocator]
static ALLOCATOR: Capped = Capped;

type Loader = fn(&Path) -> Result<(), String>;

fn loaders() -> Vec<(&'static str, &'static [&'static str], Loader)> {
    fn ok<T>(r: coopnets_datasets::Result<T>) -> Result<(), String> {
        r.map(|_| ()).map_err(|e| e.to_string())
    }
    vec![
        ("image", &["tiny.png", "tiny_rgb.jpg", "tiny_video.gif"], |p| {
            ok(coopnets_datasets::load_image(p, Channels::Rgb))
        }),
        ("gif video", &["tiny_video.gif"], |p| ok(coopnets_datasets::load_gif(p, &LoadOptions::new(Channels::Grey)))),
        ("idx images", &["images.idx3", "images.idx3.gz"], |p| ok(coopnets_datasets::load_idx_images(p))),
        ("idx labels", &["labels.idx1"], |p| ok(coopnets_datasets::load_idx_labels(p))),
        ("wav", &["tiny_pcm16.wav", "tiny_float.wav"], |p| ok(coopnets_datasets::load_wav(p))),
        ("digits csv", &["digits.csv"], |p| ok(coopnets_datasets::load_digits_csv(p))),
    ]
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus").join(name)
}

/// Write `bytes` where a failure can be found again, and say where.
fn keep(bytes: &[u8], loader: &str, case: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{}-{case}", loader.replace(' ', "_")));
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn every_loader_survives_mutated_files_within_the_memory_cap() {
    // the only test of this binary: no other thread reads the environment meanwhile
    std::env::set_var("COOPNETS_MAX_DECODED_MB", "64");
    let seed: u64 = std::env::var("COOPNETS_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let cases_per_file = std::env::var("COOPNETS_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(CASES);
    let budget = std::env::var("COOPNETS_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(4.0);
    let scratch = tempfile::Builder::new().prefix("coopnets-fuzz-").tempdir().unwrap();
    let dir = scratch.path();
    for (name, files, load) in loaders() {
        let (start, mut cases, mut refused) = (Instant::now(), 0, 0);
        for file in files {
            let (file_start, file_cases) = (Instant::now(), cases);
            let original = std::fs::read(corpus(file)).unwrap();
            assert_eq!(load(&corpus(file)), Ok(()), "{name}: the corpus file {file} itself must load");
            let ext = Path::new(file).extension().and_then(|e| e.to_str()).unwrap_or("bin");
            let input = dir.join(format!("input.{ext}"));
            let mut rng = StdRng::seed_from_u64(seed ^ (cases as u64) << 32 ^ name.len() as u64);
            for case in 0..cases_per_file {
                // the loader's budget, shared evenly by its corpus files
                if file_start.elapsed() > Duration::from_secs_f64(budget / files.len() as f64) {
                    break;
                }
                let bytes = mutate(&original, &mut rng);
                std::fs::write(&input, &bytes).unwrap();
                match std::panic::catch_unwind(|| load(&input)) {
                    Ok(Ok(())) => {}
                    Ok(Err(msg)) => {
                        refused += 1;
                        let named = msg.contains(&input.display().to_string());
                        assert!(named, "{name}: an error that does not name the file: {msg}");
                    }
                    Err(_) => {
                        panic!("{name} panicked on {} (a mutation of {file})", keep(&bytes, name, case).display())
                    }
                }
                cases += 1;
            }
            assert!(
                cases - file_cases >= 50,
                "{name}: only {} cases of {file} within the time budget",
                cases - file_cases
            );
        }
        println!(
            "{name}: {cases} mutated files in {:.1} s, {refused} refused with an error",
            start.elapsed().as_secs_f64()
        );
    }
}
