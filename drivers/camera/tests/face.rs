//! Face capture gate on a real face photo, and the 1:1 comparison client against the simulator.

use std::time::Duration;

use banshi_camera::face::{
    FaceComparer, FaceGate, FaceGateConfig, FaceSimulator, SimulatorOptions,
};
use banshi_camera::synthetic::{render, SyntheticScene};
use banshi_camera::HealthStatus;
use banshi_core::ErrorCode;
use image::{imageops, RgbImage};

const ASTRONAUT: &[u8] = include_bytes!("fixtures/astronaut.png");

fn astronaut() -> RgbImage {
    image::load_from_memory(ASTRONAUT)
        .expect("fixture")
        .to_rgb8()
}

fn gate() -> FaceGate {
    FaceGate::new(FaceGateConfig::default()).expect("embedded model loads")
}

fn encode_png(image: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

#[test]
fn the_astronaut_passes_the_gate_with_her_face_found() {
    let quality = gate().check(&astronaut()).expect("good face photo");
    let face = quality.face;
    // Her face is in the upper middle of the 512×512 photo.
    let (cx, cy) = (face.x + face.width / 2, face.y + face.height / 2);
    assert!(
        (150..=300).contains(&cx) && (60..=200).contains(&cy),
        "{face:?}"
    );
    assert!(face.width >= 80, "{face:?}");
}

#[test]
fn a_blurred_copy_is_too_blurry() {
    let blurred = imageproc::filter::gaussian_blur_f32(&astronaut(), 3.0);
    let err = gate().check(&blurred).expect_err("blurred");
    assert_eq!(err.code(), "face.too_blurry", "{err}");
}

#[test]
fn images_without_a_face_are_no_face() {
    let page = render(&SyntheticScene {
        width: 640,
        height: 480,
        ..SyntheticScene::default()
    })
    .image;
    assert_eq!(
        gate().check(&page).expect_err("page").code(),
        "face.no_face"
    );
    let noise = imageproc::noise::gaussian_noise(
        &RgbImage::from_pixel(320, 240, image::Rgb([128; 3])),
        0.0,
        40.0,
        7,
    );
    assert_eq!(
        gate().check(&noise).expect_err("noise").code(),
        "face.no_face"
    );
}

#[test]
fn two_people_are_several_faces() {
    let one = astronaut();
    let mut two = RgbImage::new(1024, 512);
    imageops::replace(&mut two, &one, 0, 0);
    imageops::replace(&mut two, &one, 512, 0);
    assert_eq!(
        gate().check(&two).expect_err("two").code(),
        "face.several_faces"
    );
}

#[test]
fn a_distant_face_is_too_small() {
    let small = imageops::resize(&astronaut(), 200, 200, imageops::FilterType::Triangle);
    assert_eq!(
        gate().check(&small).expect_err("small").code(),
        "face.too_small"
    );
}

#[test]
fn a_dark_frame_is_bad_exposure() {
    let mut dark = astronaut();
    for pixel in dark.pixels_mut() {
        for channel in &mut pixel.0 {
            *channel /= 6;
        }
    }
    let err = gate().check(&dark).expect_err("dark");
    assert_eq!(err.code(), "face.bad_exposure", "{err}");
}

/// The same person photographed again: shifted a little, brighter, re-encoded as JPEG.
fn retaken_photo() -> Vec<u8> {
    let original = astronaut();
    let mut shifted = imageops::crop_imm(&original, 14, 10, 480, 480).to_image();
    for pixel in shifted.pixels_mut() {
        for channel in &mut pixel.0 {
            *channel = channel.saturating_add(25);
        }
    }
    banshi_camera::page::encode_jpeg(&shifted, 85).expect("jpeg")
}

fn comparer(url: &str) -> FaceComparer {
    FaceComparer::new(url, 70.0, Duration::from_secs(10)).expect("client")
}

#[tokio::test]
async fn same_person_passes_and_a_different_picture_fails() {
    let simulator = FaceSimulator::start(SimulatorOptions::default())
        .await
        .expect("start");
    let client = comparer(&simulator.url());
    assert_eq!(client.probe().await.status, HealthStatus::Ok);

    let same = client
        .compare(ASTRONAUT, &retaken_photo())
        .await
        .expect("compare");
    assert!(same.passed, "{same:?}");
    assert!(same.score >= 85.0, "{same:?}");

    let page = render(&SyntheticScene {
        width: 512,
        height: 512,
        ..SyntheticScene::default()
    })
    .image;
    let different = client
        .compare(ASTRONAUT, &encode_png(&page))
        .await
        .expect("compare");
    assert!(!different.passed, "{different:?}");
    assert_eq!(different.threshold, 70.0);

    let noise = imageproc::noise::gaussian_noise(
        &RgbImage::from_pixel(256, 256, image::Rgb([128; 3])),
        0.0,
        50.0,
        3,
    );
    let noisy = client
        .compare(ASTRONAUT, &encode_png(&noise))
        .await
        .expect("compare");
    assert!(!noisy.passed, "{noisy:?}");

    let err = client
        .compare(ASTRONAUT, b"not an image")
        .await
        .expect_err("bad image");
    assert_eq!(err.code(), "face.service_error");
    simulator.shutdown().await;
}

#[tokio::test]
async fn service_down_is_service_unreachable() {
    let simulator = FaceSimulator::start(SimulatorOptions::default())
        .await
        .expect("start");
    let url = simulator.url();
    simulator.shutdown().await;
    let client = comparer(&url);
    let err = client
        .compare(ASTRONAUT, ASTRONAUT)
        .await
        .expect_err("down");
    assert_eq!(err.code(), "face.service_unreachable");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert_eq!(client.probe().await.status, HealthStatus::Offline);
}

#[tokio::test]
async fn service_failure_is_reported_with_its_status() {
    let simulator = FaceSimulator::start(SimulatorOptions {
        fail_with_status: Some(503),
    })
    .await
    .expect("start");
    let err = comparer(&simulator.url())
        .compare(ASTRONAUT, ASTRONAUT)
        .await
        .expect_err("failing service");
    assert_eq!(err.code(), "face.service_error");
    assert!(err.to_string().contains("503"), "{err}");
    simulator.shutdown().await;
}
