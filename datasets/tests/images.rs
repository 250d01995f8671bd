//! Image loading, transforms, writers and grids, on the shipped textures.

mod common;

use common::{max_abs_diff, mean_abs_diff, temp_dir, truncated_copy, write_bytes};
use coopnets_datasets::*;

fn textures() -> std::path::PathBuf {
    data_dir().join("textures")
}

#[test]
fn grey_texture_loads_with_known_size_and_pixels() -> Result<()> {
    let x = load_image(&textures().join("skimage_brick.png"), Channels::Grey)?;
    assert_eq!(x.shape(), &[1, 512, 512]);
    let v = x.to_vec();
    assert_eq!(&v[..4], &[99.0, 98.0, 99.0, 99.0]);
    assert_eq!(&v[512 * 512 - 2..], &[183.0, 176.0]);
    // a grey file loaded as RGB repeats the channel
    let rgb = load_image(&textures().join("skimage_brick.png"), Channels::Rgb)?;
    assert_eq!(rgb.shape(), &[3, 512, 512]);
    assert_eq!(rgb.get(1)?.to_vec(), v);
    Ok(())
}

#[test]
fn rgb_texture_is_planar_chw() -> Result<()> {
    // gimp_stone_rock.png is 127 wide and 80 high
    let x = load_image(&textures().join("gimp_stone_rock.png"), Channels::Rgb)?;
    assert_eq!(x.shape(), &[3, 80, 127]);
    let px = |c: usize, y: usize, xx: usize| x.to_vec()[(c * 80 + y) * 127 + xx];
    assert_eq!([px(0, 0, 0), px(1, 0, 0), px(2, 0, 0)], [156.0, 149.0, 130.0]);
    assert_eq!([px(0, 0, 1), px(1, 0, 1), px(2, 0, 1)], [153.0, 146.0, 127.0]);
    assert_eq!([px(0, 79, 126), px(1, 79, 126), px(2, 79, 126)], [163.0, 155.0, 132.0]);
    Ok(())
}

#[test]
fn folder_needs_resize_when_sizes_differ() -> Result<()> {
    let err = load_images(&textures(), &LoadOptions::new(Channels::Rgb)).unwrap_err();
    assert!(matches!(err, DatasetError::MixedSizes { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("gimp_plant_leaves.png") && msg.contains("gimp_fabric_burlap.png"), "{msg}");
    let x = load_images(&textures(), &LoadOptions::new(Channels::Rgb).resized(64, 48))?;
    assert_eq!(x.shape(), &[9, 3, 64, 48]);
    assert!(x.to_vec().iter().all(|v| (0.0..=255.0).contains(v)));
    Ok(())
}

#[test]
fn resize_and_crops_on_a_real_texture() -> Result<()> {
    let x = load_image(&textures().join("gimp_stone_brick.png"), Channels::Rgb)?; // 96x96
    let half = resize(&x, 48, 48)?;
    // bilinear halving = mean of each 2x2 block
    let v = x.to_vec();
    let expect = (v[0] + v[1] + v[96] + v[97]) / 4.0;
    assert!((half.to_vec()[0] - expect).abs() < 1e-3);
    let c = center_crop(&x, 64, 64)?;
    assert_eq!(c.to_vec()[0], v[16 * 96 + 16]);
    let mut rng = tensor::rng_from_seed(3);
    let r = random_crop(&x, 32, 32, &mut rng)?;
    assert_eq!(r.shape(), &[3, 32, 32]);
    assert_eq!(random_crop(&x, 32, 32, &mut tensor::rng_from_seed(3))?.to_vec(), r.to_vec());
    Ok(())
}

#[test]
fn png_round_trip_is_exact_in_every_scaling() -> Result<()> {
    let scratch = temp_dir("png-roundtrip");
    let dir = scratch.path();
    let x = load_image(&textures().join("gimp_stone_rock.png"), Channels::Rgb)?;
    for (i, s) in [Scaling::Symmetric, Scaling::Unit, Scaling::vgg(), Scaling::ScalarMean(120.0)].iter().enumerate() {
        let p = dir.join(format!("rock_{i}.png"));
        save_image(&p, &s.apply(&x)?, s)?;
        let back = load_image(&p, Channels::Rgb)?;
        assert_eq!(back.to_vec(), x.to_vec(), "{s:?}");
    }
    let g = load_image(&textures().join("skimage_grass.png"), Channels::Grey)?;
    let p = dir.join("sub/grass.png"); // parent folder is created
    save_image(&p, &g, &Scaling::Raw)?;
    assert_eq!(load_image(&p, Channels::Grey)?.to_vec(), g.to_vec());
    Ok(())
}

#[test]
fn jpeg_round_trip_is_close() -> Result<()> {
    let scratch = temp_dir("jpeg");
    let dir = scratch.path();
    let x = load_image(&textures().join("gimp_stone_pink_marble.png"), Channels::Rgb)?;
    let p = dir.join("marble.jpg");
    save_image(&p, &x, &Scaling::Raw)?;
    let back = load_image(&p, Channels::Rgb)?;
    assert_eq!(back.shape(), &[3, 128, 128]);
    let d = mean_abs_diff(&back.to_vec(), &x.to_vec());
    assert!(d < 6.0, "JPEG mean error {d}");
    Ok(())
}

/// A JPEG cut anywhere before its end marker is an error naming the file, not an image with
/// its lower part filled grey.
#[test]
fn truncated_jpegs_are_refused() -> Result<()> {
    let scratch = temp_dir("jpeg-cut");
    let dir = scratch.path();
    let x = load_image(&textures().join("gimp_stone_pink_marble.png"), Channels::Rgb)?;
    let p = dir.join("whole.jpg");
    save_image(&p, &x, &Scaling::Raw)?;
    let len = std::fs::metadata(&p).unwrap().len() as usize;
    for percent in [25, 60, 99] {
        let cut = truncated_copy(&p, dir, &format!("cut{percent}.jpg"), len * percent / 100);
        let err = load_image(&cut, Channels::Rgb).unwrap_err().to_string();
        assert!(err.contains(&format!("cut{percent}.jpg")) && err.contains("truncated"), "{percent}%: {err}");
    }
    // without its last two bytes (the end marker itself)
    let cut = truncated_copy(&p, dir, "no-eoi.jpg", len - 2);
    assert!(load_image(&cut, Channels::Rgb).is_err());
    assert_eq!(load_image(&p, Channels::Rgb)?.shape(), &[3, 128, 128]);
    Ok(())
}

#[test]
fn gif_gives_its_first_frame() -> Result<()> {
    let scratch = temp_dir("gif-first");
    let dir = scratch.path();
    let g = load_image(&textures().join("gimp_plant_leaves.png"), Channels::Grey)?;
    let dark: Vec<f32> = g.to_vec().iter().map(|v| (v / 2.0).round()).collect();
    let dark = tensor::Tensor::from_vec(dark, g.shape())?;
    let video = tensor::Tensor::stack(&[&g, &dark], 0)?;
    let p = dir.join("two.gif");
    save_gif(&p, &video, &Scaling::Raw, 100)?;
    assert_eq!(load_image(&p, Channels::Grey)?.to_vec(), g.to_vec());
    Ok(())
}

#[test]
fn grid_png_holds_each_image_in_its_cell() -> Result<()> {
    let scratch = temp_dir("grid");
    let dir = scratch.path();
    let x = load_images(&textures(), &LoadOptions::new(Channels::Rgb).resized(32, 32))?;
    let s = Scaling::Symmetric;
    let opts = GridOptions::new(3, 3);
    let p = dir.join("grid.png");
    save_grid(&p, &s.apply(&x)?, &s, &opts)?;
    let g = load_image(&p, Channels::Rgb)?;
    assert_eq!(g.shape(), &[3, 3 * 32 + 4 * 2, 3 * 32 + 4 * 2]);
    // the cell at row 1, col 2 is image 5, rounded to bytes
    let cell = coopnets_datasets::crop(&g, 2 + 34, 2 + 2 * 34, 32, 32)?;
    let img5: Vec<f32> = x.get(5)?.to_vec().iter().map(|v| v.round()).collect();
    assert!(max_abs_diff(&cell.to_vec(), &img5) <= 1.0);
    // padding is black
    assert_eq!(g.to_vec()[0], 0.0);
    Ok(())
}

#[test]
fn contrast_stretch_for_display_uses_full_range() -> Result<()> {
    let scratch = temp_dir("stretch");
    let dir = scratch.path();
    let x = load_images(&textures().join("skimage_grass.png"), &LoadOptions::new(Channels::Grey).resized(64, 64))?;
    let faint = tensor::Tensor::from_vec(x.to_vec().iter().map(|v| v * 0.01 - 1.0).collect(), x.shape())?;
    let opts = GridOptions { stretch: true, padding: 0, ..GridOptions::new(1, 1) };
    let p = dir.join("stretched.png");
    save_grid(&p, &faint, &Scaling::Symmetric, &opts)?;
    let v = load_image(&p, Channels::Grey)?.to_vec();
    assert_eq!(v.iter().copied().fold(f32::MAX, f32::min), 0.0);
    assert_eq!(v.iter().copied().fold(f32::MIN, f32::max), 255.0);
    let paths = save_images(&dir.join("each"), "s", &faint, &Scaling::Symmetric, true)?;
    assert_eq!(paths.len(), 1);
    assert_eq!(load_image(&paths[0], Channels::Grey)?.to_vec(), v);
    Ok(())
}

#[test]
fn missing_empty_truncated_and_garbage_images_are_typed_errors() {
    let scratch = temp_dir("img-errors");
    let dir = scratch.path();
    let missing = dir.join("nope.png");
    let err = load_image(&missing, Channels::Rgb).unwrap_err();
    assert!(matches!(err, DatasetError::NotFound { .. }));
    assert!(err.to_string().contains("nope.png"));

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    write_bytes(&empty, "notes.txt", b"no images here");
    let err = load_images(&empty, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, DatasetError::EmptyFolder { .. }), "{err}");

    let cut = truncated_copy(&textures().join("skimage_brick.png"), dir, "cut.png", 2000);
    let err = load_image(&cut, Channels::Grey).unwrap_err();
    assert!(matches!(err, DatasetError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("cut.png"), "{err}");

    let junk = write_bytes(dir, "junk.png", b"this is not an image at all");
    let err = load_image(&junk, Channels::Grey).unwrap_err();
    assert!(matches!(err, DatasetError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("junk.png"));

    // writers refuse a shape they cannot encode
    let bad = tensor::Tensor::zeros(&[2, 4, 4]);
    let err = save_image(&dir.join("x.png"), &bad, &Scaling::Raw).unwrap_err();
    assert!(matches!(err, DatasetError::InvalidArgument { .. }), "{err}");
}
