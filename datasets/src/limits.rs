//! How much a loader may decode: a small compressed file must not become gigabytes in memory
//! (a 249 KB PNG can declare 16000 × 16000 pixels; a 3 MB gzip can inflate to 3 GiB).
//!
//! The limit is `$COOPNETS_MAX_DECODED_MB` megabytes of decoded data per file (default 1024),
//! checked against what a file's header declares before the data are decoded.

use std::path::Path;

use crate::error::{DatasetError, Result};

/// The most bytes one file may decode to.
pub fn max_decoded_bytes() -> u64 {
    let mb = std::env::var("COOPNETS_MAX_DECODED_MB").ok().and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(1024);
    mb.saturating_mul(1 << 20)
}

/// An error unless `bytes` (what `path` declares it decodes to) is within the limit.
pub fn check_decoded(path: &Path, what: &str, bytes: u64) -> Result<()> {
    let max = max_decoded_bytes();
    if bytes > max {
        return Err(DatasetError::decode(
            path,
            format!(
                "{what} would decode to {} MB, more than the limit of {} MB (raise it with COOPNETS_MAX_DECODED_MB)",
                bytes >> 20,
                max >> 20
            ),
        ));
    }
    Ok(())
}

/// An error if `bytes` is a JPEG whose main image has no end-of-image marker: a file cut short
/// (the decoder would fill the rest with grey). The marker `FF D9` must follow the last
/// start-of-scan `FF DA` (an embedded thumbnail's markers come before it; in the compressed
/// data an `FF` byte is always followed by `00` or a restart marker `D0`–`D7`).
pub fn check_jpeg_complete(path: &Path, bytes: &[u8]) -> Result<()> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Ok(());
    }
    let last = |m: u8| bytes.windows(2).rposition(|w| w == [0xFF, m]);
    match (last(0xDA), last(0xD9)) {
        (Some(sos), Some(eoi)) if eoi > sos => Ok(()),
        _ => Err(DatasetError::decode(path, "JPEG ends before its end-of-image marker (truncated file?)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_sizes_over_the_limit_and_cut_jpegs_are_refused() {
        let p = Path::new("big.png");
        let max = max_decoded_bytes();
        assert!(check_decoded(p, "an image", max).is_ok());
        let e = check_decoded(p, "a 16000×16000 image", max + 1).unwrap_err().to_string();
        assert!(e.contains("big.png") && e.contains("COOPNETS_MAX_DECODED_MB"), "{e}");
        // SOI, a start of scan, data, and the end marker; then the same without the end
        let whole = [0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 0xFF, 0x00, 3, 0xFF, 0xD9];
        assert!(check_jpeg_complete(p, &whole).is_ok());
        assert!(check_jpeg_complete(p, &whole[..9]).is_err());
        // a thumbnail's end marker before the main scan does not count
        let thumb_only = [0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xDA, 1, 2];
        assert!(check_jpeg_complete(p, &thumb_only).is_err());
        assert!(check_jpeg_complete(p, b"\\x89PNG").is_ok(), "not a JPEG: not this check's business");
    }
}
