//! Listing data files in a folder, in a deterministic *natural* order.
//!
//! Frame folders are often named `frame_1.png … frame_10.png`; a plain string sort would put
//! `frame_10` before `frame_2` and scramble the video. [`natural_cmp`] compares runs of
//! digits by their numeric value, so `frame_2 < frame_10`, and ties fall back to the plain
//! string order so the result never depends on the file system's listing order.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::error::{require_exists, DatasetError, Result};

/// Image file extensions the image loaders accept (lower case).
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "gif"];

/// Compare two strings "naturally": digit runs by value, everything else by character.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a_it, mut b_it) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a_it.peek().copied(), b_it.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let na = take_digits(&mut a_it);
                let nb = take_digits(&mut b_it);
                // compare by value: strip leading zeros, then shorter is smaller
                let (ta, tb) = (na.trim_start_matches('0'), nb.trim_start_matches('0'));
                let ord = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                a_it.next();
                b_it.next();
            }
        }
    }
}

fn take_digits(it: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut s = String::new();
    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
        s.push(c);
        it.next();
    }
    s
}

/// The files in `dir` whose extension (case-insensitive) is one of `extensions`, in natural
/// order of their file names. Sub-folders and other files are skipped.
///
/// Errors: [`DatasetError::NotFound`] if `dir` does not exist, [`DatasetError::EmptyFolder`]
/// if no file matches.
pub fn list_files(dir: &Path, extensions: &[&str], what: &'static str) -> Result<Vec<PathBuf>> {
    require_exists(dir)?;
    let entries = std::fs::read_dir(dir).map_err(|e| DatasetError::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DatasetError::io(dir, e))?.path();
        if path.is_file() && has_extension(&path, extensions) {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(DatasetError::EmptyFolder { path: dir.to_path_buf(), what });
    }
    files.sort_by(|a, b| natural_cmp(&file_name(a), &file_name(b)));
    Ok(files)
}

/// The image files of `dir` (PNG, JPEG, GIF) in natural order.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    list_files(dir, IMAGE_EXTENSIONS, "image files (png, jpg, jpeg, gif)")
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).is_some_and(|e| extensions.contains(&e.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_puts_2_before_10() {
        let mut v = vec!["frame_10.png", "frame_2.png", "frame_1.png", "frame_02.png"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["frame_1.png", "frame_02.png", "frame_2.png", "frame_10.png"]);
        assert_eq!(natural_cmp("a", "b"), Ordering::Less);
        assert_eq!(natural_cmp("img9", "img10"), Ordering::Less);
    }

    #[test]
    fn lists_shipped_textures_in_order() -> Result<()> {
        let files = list_images(&crate::data_dir().join("textures"))?;
        let names: Vec<String> = files.iter().map(|p| file_name(p)).collect();
        assert_eq!(names.len(), 9);
        assert_eq!(names[0], "gimp_fabric_burlap.png");
        assert_eq!(names[8], "skimage_grass.png");
        Ok(())
    }

    #[test]
    fn missing_and_empty_folders_are_errors() {
        let missing = crate::data_dir().join("no_such_folder");
        let err = list_images(&missing).unwrap_err();
        assert!(matches!(err, DatasetError::NotFound { .. }));
        assert!(err.to_string().contains("no_such_folder"));
        // data/audio holds WAVs only: no images there
        let err = list_images(&crate::data_dir().join("audio")).unwrap_err();
        assert!(matches!(err, DatasetError::EmptyFolder { .. }), "{err}");
        assert!(err.to_string().contains("audio"));
    }
}
