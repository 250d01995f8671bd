//! Frame folders and animated GIFs, on the shipped tree video.

mod common;

use std::path::PathBuf;

use common::{mean_abs_diff, temp_dir, truncated_copy};
use coopnets_datasets::*;
use tensor::Tensor;

fn tree() -> PathBuf {
    data_dir().join("video/tree_opencv")
}

#[test]
fn tree_frames_load_in_order_with_known_pixels() -> Result<()> {
    let v = load_frames(&tree(), &LoadOptions::new(Channels::Rgb))?;
    assert_eq!(v.shape(), &[12, 3, 240, 320]);
    let f0 = v.get(0)?.to_vec();
    let plane = 240 * 320;
    assert_eq!([f0[0], f0[plane], f0[2 * plane]], [124.0, 103.0, 94.0]);
    let f11 = v.get(11)?.to_vec();
    let last = plane - 1;
    assert_eq!([f11[last], f11[plane + last], f11[2 * plane + last]], [134.0, 138.0, 116.0]);
    let small = load_video(&tree(), &LoadOptions::new(Channels::Grey).resized(60, 80))?;
    assert_eq!(small.shape(), &[12, 1, 60, 80]);
    Ok(())
}

#[test]
fn frame_folders_sort_naturally() -> Result<()> {
    let scratch = temp_dir("natural");
    let dir = scratch.path();
    for k in [1usize, 2, 10] {
        let img = Tensor::full(&[1, 4, 4], k as f32);
        save_image(&dir.join(format!("frame_{k}.png")), &img, &Scaling::Raw)?;
    }
    let v = load_frames(dir, &LoadOptions::new(Channels::Grey))?;
    let firsts: Vec<f32> = (0..3).map(|t| v.get(t).map(|f| f.to_vec()[0])).collect::<tensor::Result<_>>()?;
    assert_eq!(firsts, vec![1.0, 2.0, 10.0]);
    Ok(())
}

#[test]
fn grey_gif_round_trip_is_exact_and_keeps_the_delay() -> Result<()> {
    let scratch = temp_dir("gif-grey");
    let dir = scratch.path();
    let v = load_frames(&tree(), &LoadOptions::new(Channels::Grey).resized(60, 80))?;
    let s = Scaling::Symmetric;
    let p = dir.join("tree.gif");
    save_gif(&p, &s.apply(&v)?, &s, 70)?;
    let back = load_gif(&p, &LoadOptions::new(Channels::Grey))?;
    assert_eq!(back.shape(), &[12, 1, 60, 80]);
    let rounded: Vec<f32> = v.to_vec().iter().map(|x| x.round()).collect();
    assert_eq!(back.to_vec(), rounded);
    assert_eq!(load_gif_delays_ms(&p)?, vec![70; 12]);
    Ok(())
}

#[test]
fn rgb_gif_round_trip_is_close_and_frames_are_exact() -> Result<()> {
    let scratch = temp_dir("gif-rgb");
    let dir = scratch.path();
    let v = load_frames(&tree(), &LoadOptions::new(Channels::Rgb).resized(48, 64))?;
    let v: Vec<f32> = v.to_vec().iter().map(|x| x.round()).collect();
    let v = Tensor::from_vec(v, &[12, 3, 48, 64])?;
    let p = dir.join("tree.gif");
    save_gif(&p, &v, &Scaling::Raw, 67)?;
    let back = load_video(&p, &LoadOptions::new(Channels::Rgb))?;
    assert_eq!(back.shape(), &[12, 3, 48, 64]);
    let d = mean_abs_diff(&back.to_vec(), &v.to_vec());
    assert!(d < 4.0, "GIF palette error {d}");
    assert_eq!(load_gif_delays_ms(&p)?[0], 70); // rounded up to hundredths of a second

    let paths = save_frames(&dir.join("frames"), &v, &Scaling::Raw)?;
    assert_eq!(paths.len(), 12);
    assert!(paths[11].ends_with("frame_011.png"));
    let again = load_frames(&dir.join("frames"), &LoadOptions::new(Channels::Rgb))?;
    assert_eq!(again.to_vec(), v.to_vec());
    Ok(())
}

#[test]
fn batches_are_n_c_t_h_w_and_scaling_is_per_frame_or_global() -> Result<()> {
    let v = load_frames(&tree(), &LoadOptions::new(Channels::Rgb).resized(24, 32))?;
    let b = batch_videos(&[v.clone(), v.clone()])?;
    assert_eq!(b.shape(), &[2, 3, 12, 24, 32]);
    assert_eq!(unbatch_video(&b, 1)?.to_vec(), v.to_vec());
    // per frame: every frame spans exactly [-1, 1]
    let per = Scaling::MinMax.apply(&v)?;
    for t in 0..12 {
        let f = per.get(t)?.to_vec();
        assert_eq!(f.iter().copied().fold(f32::MAX, f32::min), -1.0);
        assert_eq!(f.iter().copied().fold(f32::MIN, f32::max), 1.0);
    }
    // global: only the clip as a whole does; the per-video min-max of a batch agrees with it
    let global = Scaling::MinMax.apply_global(&v)?.to_vec();
    let batch_scaled = Scaling::MinMax.apply(&b)?;
    let lo = global.iter().copied().fold(f32::MAX, f32::min);
    assert_eq!(lo, -1.0);
    assert!(mean_abs_diff(&unbatch_video(&batch_scaled, 0)?.to_vec(), &global) < 1e-6);
    assert!(batch_videos(&[v.clone(), v.get(0)?]).is_err());
    Ok(())
}

#[test]
fn broken_videos_are_typed_errors() -> Result<()> {
    let scratch = temp_dir("video-errors");
    let dir = scratch.path();
    // frames of two sizes
    save_image(&dir.join("mixed/frame_0.png"), &Tensor::zeros(&[1, 4, 4]), &Scaling::Raw)?;
    save_image(&dir.join("mixed/frame_1.png"), &Tensor::zeros(&[1, 5, 4]), &Scaling::Raw)?;
    let err = load_frames(&dir.join("mixed"), &LoadOptions::new(Channels::Grey)).unwrap_err();
    assert!(matches!(err, DatasetError::MixedSizes { found_h: 5, expected_h: 4, .. }), "{err}");
    assert!(err.to_string().contains("frame_1.png"));
    // a folder without frames
    std::fs::create_dir_all(dir.join("none")).unwrap();
    let err = load_frames(&dir.join("none"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, DatasetError::EmptyFolder { .. }), "{err}");
    // a truncated GIF
    let v = load_frames(&tree(), &LoadOptions::new(Channels::Grey).resized(30, 40))?;
    let p = dir.join("tree.gif");
    save_gif(&p, &v, &Scaling::Raw, 100)?;
    let len = std::fs::metadata(&p).unwrap().len() as usize;
    let cut = truncated_copy(&p, dir, "tree-cut.gif", len / 2);
    let err = load_gif(&cut, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, DatasetError::Decode { .. }), "{err}");
    assert!(err.to_string().contains("tree-cut.gif"));
    // missing
    let err = load_video(&dir.join("absent"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, DatasetError::NotFound { .. }));
    Ok(())
}
