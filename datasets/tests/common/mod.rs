//! Helpers shared by the integration tests: unique temp folders and corrupted copies.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
/// A fresh, empty folder under the system temp dir, removed when the returned value is dropped
/// (the test ends, passed or failed); `COOPNETS_KEEP_TEST_DIRS` set (to any value) keeps it for a look.
pub fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("coopnets-datasets-{tag}-"))
        .disable_cleanup(std::env::var_os("COOPNETS_KEEP_TEST_DIRS").is_some())
        .tempdir()
        .expect("create temp dir")
}

/// Copy the first `keep` bytes of `src` to `dir/name` (a truncated file).
pub fn truncated_copy(src: &Path, dir: &Path, name: &str, keep: usize) -> PathBuf {
    let bytes = std::fs::read(src).expect("read test source");
    let dst = dir.join(name);
    std::fs::write(&dst, &bytes[..keep.min(bytes.len())]).expect("write truncated copy");
    dst
}

/// Write `bytes` to `dir/name`.
pub fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let dst = dir.join(name);
    std::fs::write(&dst, bytes).expect("write test file");
    dst
}

/// Largest absolute difference between two equal-length slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Mean absolute difference between two equal-length slices.
pub fn mean_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}
