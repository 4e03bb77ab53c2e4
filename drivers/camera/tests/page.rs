//! The page pipeline on rendered 高拍仪 photos with known geometry: skewed, keystoned pages must come
//! out upright, cropped to the page and A4-shaped.

use std::sync::{Arc, OnceLock};

use banshi_camera::page::{find_page, scan_frame, scan_page, PageMode, PageOptions};
use banshi_camera::synthetic::{render, SyntheticPhoto, SyntheticScene, A4_ASPECT};
use banshi_camera::{FrameSource, SyntheticSource};
use banshi_core::{ErrorCode, ManualClock};
use image::GrayImage;

/// Rendered once and shared by the tests of this file (rendering dominates a debug-build test run).
fn photos() -> &'static [(SyntheticScene, SyntheticPhoto)] {
    static PHOTOS: OnceLock<Vec<(SyntheticScene, SyntheticPhoto)>> = OnceLock::new();
    PHOTOS.get_or_init(|| {
        scenes()
            .into_iter()
            .map(|scene| {
                let photo = render(&scene);
                (scene, photo)
            })
            .collect()
    })
}

fn scenes() -> Vec<SyntheticScene> {
    let cases = [
        (1, -15.0, 0.06, (0.0, 0.0)),
        (2, -8.5, 0.12, (0.03, 0.02)),
        (3, 0.0, 0.15, (-0.04, 0.0)),
        (4, 4.0, 0.0, (0.0, -0.02)),
        (5, 11.0, 0.10, (0.05, 0.01)),
        (6, 15.0, 0.14, (-0.02, 0.03)),
    ];
    cases
        .into_iter()
        .map(|(seed, rotation_deg, keystone, offset)| SyntheticScene {
            width: 1280,
            height: 960,
            page_fill: 0.78,
            rotation_deg,
            keystone,
            offset,
            seed,
            ..SyntheticScene::default()
        })
        .collect()
}

fn options() -> PageOptions {
    // 100 DPI keeps the debug-build test quick; the geometry does not depend on it.
    PageOptions {
        dpi: 100,
        ..PageOptions::default()
    }
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

fn mean_grey(page: &GrayImage, x: (f32, f32), y: (f32, f32)) -> f32 {
    let (w, h) = (page.width() as f32, page.height() as f32);
    let (x0, x1) = ((x.0 * w) as u32, (x.1 * w) as u32);
    let (y0, y1) = ((y.0 * h) as u32, (y.1 * h) as u32);
    let mut sum = 0u64;
    let mut count = 0u64;
    for yy in y0..y1 {
        for xx in x0..x1 {
            sum += u64::from(page.get_pixel(xx, yy).0[0]);
            count += 1;
        }
    }
    sum as f32 / count.max(1) as f32
}

#[test]
fn skewed_and_keystoned_pages_are_found_within_one_and_a_half_percent_of_the_diagonal() {
    for (scene, photo) in photos() {
        let truth = photo.corners.expect("scene has a page");
        let found = find_page(&photo.image).expect("page found");
        let diagonal = distance(truth[0], truth[2]).max(distance(truth[1], truth[3]));
        for (corner, (want, got)) in truth.iter().zip(found).enumerate() {
            let error = distance(*want, got) / diagonal;
            assert!(
                error <= 0.015,
                "seed {} corner {corner}: {want:?} vs {got:?} ({:.2} % of the diagonal)",
                scene.seed,
                error * 100.0
            );
        }
    }
}

#[test]
fn pages_come_out_upright_cropped_and_a4_shaped() {
    for (scene, photo) in photos() {
        let page = scan_page(&photo.image, &options()).expect("page");
        let decoded = image::load_from_memory(&page.jpeg)
            .expect("valid JPEG")
            .to_luma8();
        assert_eq!(decoded.dimensions(), (page.width, page.height));
        let aspect = page.height as f32 / page.width as f32;
        assert!(
            (aspect - A4_ASPECT).abs() < 0.01,
            "seed {}: aspect {aspect}",
            scene.seed
        );
        // At 100 DPI A4 is 827 × 1169.
        assert_eq!((page.width, page.height), (827, 1169));

        // The marker printed in the page's top-left corner is in the output's top-left corner ...
        let marker = mean_grey(&decoded, (0.10, 0.16), (0.07, 0.11));
        assert!(
            marker < 90.0,
            "seed {}: marker area grey {marker}",
            scene.seed
        );
        // ... and not where a half-turn or an upside-down flip would put it.
        let turned = mean_grey(&decoded, (0.84, 0.90), (0.89, 0.93));
        let flipped = mean_grey(&decoded, (0.10, 0.16), (0.89, 0.93));
        assert!(
            turned > 170.0 && flipped > 170.0,
            "seed {}: {turned} {flipped}",
            scene.seed
        );
        // Cropped to the page and whitened: no desk left along the borders, paper is white.
        let border_strips = [
            mean_grey(&decoded, (0.0, 1.0), (0.0, 0.02)),
            mean_grey(&decoded, (0.0, 1.0), (0.98, 1.0)),
            mean_grey(&decoded, (0.0, 0.02), (0.2, 0.8)),
            mean_grey(&decoded, (0.98, 1.0), (0.2, 0.8)),
        ];
        for strip in border_strips {
            assert!(strip > 225.0, "seed {}: border grey {strip}", scene.seed);
        }
        // Text printed parallel to the page edges needs no deskew once perspective is corrected.
        assert!(
            page.deskew_deg.abs() < 0.5,
            "seed {}: deskew {}",
            scene.seed,
            page.deskew_deg
        );
    }
}

#[test]
fn a_desk_without_a_page_is_camera_no_page() {
    for seed in [1, 2, 3] {
        let photo = render(&SyntheticScene {
            with_page: false,
            seed,
            ..SyntheticScene::default()
        });
        let err = scan_page(&photo.image, &options()).expect_err("no page");
        assert_eq!(err.code(), "camera.no_page");
    }
    let blank = image::RgbImage::from_pixel(800, 600, image::Rgb([128, 128, 128]));
    assert_eq!(
        find_page(&blank).expect_err("blank").code(),
        "camera.no_page"
    );
}

#[test]
fn black_and_white_and_grey_modes_give_single_channel_pages() {
    let photo = render(&SyntheticScene::default());
    for mode in [PageMode::Grey, PageMode::BlackAndWhite] {
        let page = scan_page(&photo.image, &PageOptions { mode, ..options() }).expect("page");
        let decoded = image::load_from_memory(&page.jpeg).expect("JPEG");
        assert_eq!(decoded.color(), image::ColorType::L8, "{mode:?}");
        if mode == PageMode::BlackAndWhite {
            // Binarised then JPEG-compressed: nearly every pixel is near black or near white.
            let grey = decoded.to_luma8();
            let mid = grey
                .pixels()
                .filter(|p| (60..=195).contains(&p.0[0]))
                .count();
            assert!(mid * 20 < grey.pixels().len(), "{mid} mid-grey pixels");
        }
    }
}

#[test]
fn synthetic_camera_frames_go_through_mjpeg_decoding_into_the_pipeline() {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let mut camera = SyntheticSource::new(SyntheticScene::default(), clock);
    camera.open().expect("open");
    let truth = camera.ground_truth().expect("page in scene");
    let frame = camera.next_frame().expect("frame");
    assert_eq!(frame.format, banshi_camera::PixelFormat::Mjpeg);
    let page = scan_frame(&frame, &options()).expect("page");
    for (want, got) in truth.iter().zip(page.corners) {
        assert!(distance(*want, got) < 15.0, "{want:?} vs {got:?}");
    }
}
