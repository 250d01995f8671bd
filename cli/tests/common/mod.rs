//! Scratch folders for the integration tests, removed when the test ends (passed or failed),
//! so that `cargo test` leaves nothing behind in the system's temp folder. Set
//! `COOPNETS_KEEP_TEST_DIRS` (to any value) to keep them for a look after a failure.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

/// The path `<fresh temp folder>/<name>`, not yet created (a run folder is created by the code
/// under test, as it is for a user); the fresh folder goes when this value is dropped.
pub struct Scratch {
    _root: tempfile::TempDir,
    path: PathBuf,
}

/// A [`Scratch`] path named `name` (the name shows in error messages the tests read).
pub fn scratch(name: &str) -> Scratch {
    let keep = std::env::var_os("COOPNETS_KEEP_TEST_DIRS").is_some();
    let root = tempfile::Builder::new()
        .prefix("coopnets-test-")
        .disable_cleanup(keep)
        .tempdir()
        .expect("a scratch folder in the system's temp folder");
    let path = root.path().join(name);
    Scratch { _root: root, path }
}

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}

/// The `metrics.json` of run folder `out`.
pub fn metrics(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).expect("metrics.json")).expect("JSON")
}
