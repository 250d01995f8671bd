//! Errors of the data loaders and writers.
//!
//! Real files go wrong in a handful of ways: the path is not there, a folder holds no data,
//! a file is cut short or is not what its name says, images in one folder disagree in size,
//! a WAV uses an encoding we do not read, an IDX file has the wrong magic number. Each is a
//! variant of [`DatasetError`] whose message names the file and what is wrong, so a failed
//! experiment says *which* file to look at. No loader panics on bad input.

use std::path::{Path, PathBuf};

/// Everything the loaders and writers of this crate can refuse.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The path does not exist. A relative path is taken from the working directory; the
    /// message says where that was.
    #[error("{}: no such file or folder{}", .path.display(), looked_in(.path))]
    NotFound { path: PathBuf },

    /// A folder that should hold data files holds none of the kind asked for.
    #[error("{}: folder holds no {what}", .path.display())]
    EmptyFolder { path: PathBuf, what: &'static str },

    /// Reading or writing failed at the operating-system level.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file could not be decoded (corrupt, truncated, or not the format it claims).
    #[error("{}: cannot decode: {msg}", .path.display())]
    Decode { path: PathBuf, msg: String },

    /// The file ends before the data its header announces.
    #[error("{}: truncated: header announces {expected} bytes of data, file has {found}", .path.display())]
    Truncated { path: PathBuf, expected: usize, found: usize },

    /// Images (or frames) of different sizes were to be stacked and no resize was asked for.
    #[error(
        "{}: image is {found_h}x{found_w} (HxW) but {} is {expected_h}x{expected_w}; pass a resize to load images of mixed sizes",
        .path.display(), .first.display()
    )]
    MixedSizes { path: PathBuf, first: PathBuf, expected_h: usize, expected_w: usize, found_h: usize, found_w: usize },

    /// A WAV file whose sample encoding is not one we read.
    #[error("{}: unsupported WAV encoding: {msg}", .path.display())]
    UnsupportedWav { path: PathBuf, msg: String },

    /// An IDX file whose magic number is not the one expected.
    #[error("{}: wrong IDX magic number 0x{found:08x}, expected 0x{expected:08x} ({what})", .path.display())]
    BadIdxMagic { path: PathBuf, found: u32, expected: u32, what: &'static str },

    /// A line of a CSV file that does not parse.
    #[error("{}: line {line}: {msg}", .path.display())]
    Csv { path: PathBuf, line: usize, msg: String },

    /// Encoding an output file failed.
    #[error("{}: cannot encode: {msg}", .path.display())]
    Encode { path: PathBuf, msg: String },

    /// A tensor or argument that does not fit the operation (wrong rank, channel count, ...).
    #[error("{op}: {msg}")]
    InvalidArgument { op: &'static str, msg: String },

    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(#[from] tensor::TensorError),
}

/// For a relative path: where it was looked for, and how the shipped data are found.
fn looked_in(path: &Path) -> String {
    if path.is_absolute() {
        return String::new();
    }
    let at = std::path::absolute(path).map_or_else(|_| path.display().to_string(), |p| p.display().to_string());
    format!(
        " (looked for {at}: relative paths are taken from the working directory; the presets find the shipped \
         data in ./data, or in $COOPNETS_DATA if set)"
    )
}

/// `Result` with [`DatasetError`].
pub type Result<T> = std::result::Result<T, DatasetError>;

impl DatasetError {
    /// Map an I/O error on `path`: "not found" becomes [`DatasetError::NotFound`], an early
    /// end of file becomes [`DatasetError::Decode`] (a truncated file), anything else
    /// [`DatasetError::Io`].
    pub fn io(path: &Path, source: std::io::Error) -> DatasetError {
        match source.kind() {
            std::io::ErrorKind::NotFound => DatasetError::NotFound { path: path.to_path_buf() },
            std::io::ErrorKind::UnexpectedEof => DatasetError::Decode {
                path: path.to_path_buf(),
                msg: format!("unexpected end of file (truncated?): {source}"),
            },
            _ => DatasetError::Io { path: path.to_path_buf(), source },
        }
    }

    /// A [`DatasetError::Decode`] for `path`.
    pub fn decode(path: &Path, msg: impl std::fmt::Display) -> DatasetError {
        DatasetError::Decode { path: path.to_path_buf(), msg: msg.to_string() }
    }

    /// A [`DatasetError::InvalidArgument`].
    pub fn invalid(op: &'static str, msg: impl Into<String>) -> DatasetError {
        DatasetError::InvalidArgument { op, msg: msg.into() }
    }
}

/// Fail with [`DatasetError::NotFound`] unless `path` exists.
pub(crate) fn require_exists(path: &Path) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(DatasetError::NotFound { path: path.to_path_buf() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_relative_path_says_where_it_was_looked_for() {
        let e = DatasetError::NotFound { path: "data/nope.png".into() }.to_string();
        let at = std::env::current_dir().unwrap().join("data/nope.png");
        assert!(e.contains(&at.display().to_string()) && e.contains("COOPNETS_DATA"), "{e}");
        let abs = DatasetError::NotFound { path: "/x/nope.png".into() }.to_string();
        assert_eq!(abs, "/x/nope.png: no such file or folder");
    }
}
