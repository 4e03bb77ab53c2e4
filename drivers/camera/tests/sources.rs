//! Frame sources as the terminal uses them: replay from files, lying fourccs, missing devices, and the
//! profile's device strings.

use std::path::Path;
use std::sync::Arc;

use banshi_camera::{open_device, FileSource, FrameSource, HealthStatus, PixelFormat};
use banshi_core::{Clock, ErrorCode, ManualClock};
use image::{Rgb, RgbImage};
use time::{Duration, OffsetDateTime};

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(OffsetDateTime::UNIX_EPOCH))
}

fn solid(colour: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(64, 48, Rgb(colour))
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    banshi_camera::page::encode_jpeg(image, 90).expect("encode")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write fixture");
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// The JPEG with its Huffman tables removed, as many UVC cameras send MJPEG frames.
fn without_dht(jpeg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut at = 2;
    loop {
        let marker = jpeg[at + 1];
        if marker == 0xDA {
            out.extend_from_slice(&jpeg[at..]);
            return out;
        }
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if marker != 0xC4 {
            out.extend_from_slice(&jpeg[at..at + 2 + length]);
        }
        at += 2 + length;
    }
}

fn dominant(image: &RgbImage) -> [u8; 3] {
    image.get_pixel(32, 24).0
}

#[test]
fn file_source_replays_jpeg_and_png_in_name_order_and_loops() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "02-green.png", &png(&solid([0, 200, 0])));
    write(dir.path(), "01-red.jpg", &jpeg(&solid([220, 0, 0])));
    write(
        dir.path(),
        "03-blue-no-dht.jpg",
        &without_dht(&jpeg(&solid([0, 0, 220]))),
    );
    write(dir.path(), "notes.txt", b"not a frame");
    let clock = clock();
    let mut camera = FileSource::new(dir.path(), clock.clone());
    assert_eq!(
        camera.next_frame().expect_err("closed").code(),
        "camera.not_open"
    );
    camera.open().expect("open");
    assert_eq!(camera.status().status, HealthStatus::Ok);

    let mut seen = Vec::new();
    for _ in 0..4 {
        let frame = camera.next_frame().expect("frame");
        assert_eq!(frame.timestamp, clock.now());
        assert_eq!((frame.width, frame.height), (64, 48));
        seen.push((frame.format, dominant(&frame.to_rgb().expect("decode"))));
        clock.advance(Duration::milliseconds(40));
    }
    let close = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) < 12);
    let expected = [
        (PixelFormat::Mjpeg, [220, 0, 0]),
        (PixelFormat::Rgb24, [0, 200, 0]),
        (PixelFormat::Mjpeg, [0, 0, 220]),
        (PixelFormat::Mjpeg, [220, 0, 0]),
    ];
    for ((format, colour), (want_format, want_colour)) in seen.iter().zip(expected) {
        assert_eq!(*format, want_format);
        assert!(close(*colour, want_colour), "{colour:?} vs {want_colour:?}");
    }
    camera.close();
    assert_eq!(
        camera.next_frame().expect_err("closed").code(),
        "camera.not_open"
    );
}

#[test]
fn mjpeg_frame_without_huffman_tables_is_stored_as_a_standalone_jpeg() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "frame.jpg",
        &without_dht(&jpeg(&solid([10, 120, 240]))),
    );
    let mut camera = FileSource::new(dir.path(), clock());
    camera.open().expect("open");
    let frame = camera.next_frame().expect("frame");
    assert!(
        image::load_from_memory(&frame.bytes).is_err(),
        "raw frame lacks DHT"
    );
    let stored = frame.to_jpeg().expect("repaired");
    let decoded = image::load_from_memory(&stored)
        .expect("standalone JPEG")
        .to_rgb8();
    assert_eq!(decoded.dimensions(), (64, 48));
}

#[test]
fn a_camera_that_lies_about_its_fourcc_gives_format_mismatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "frame.jpg", &jpeg(&solid([50, 50, 50])));
    let mut camera = FileSource::new(dir.path(), clock()).declaring(PixelFormat::Yuyv);
    camera.open().expect("open");
    let frame = camera.next_frame().expect("frame");
    assert_eq!(frame.format, PixelFormat::Yuyv);
    let err = frame.to_rgb().expect_err("mismatch");
    assert_eq!(err.code(), "camera.format_mismatch");
    assert!(err.to_string().contains("YUYV"), "{err}");

    // The nokhwa #19 case the other way round: MJPEG declared, raw pixels delivered.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "frame.png", &png(&solid([50, 50, 50])));
    let mut camera = FileSource::new(dir.path(), clock()).declaring(PixelFormat::Mjpeg);
    camera.open().expect("open");
    let err = camera
        .next_frame()
        .expect("frame")
        .to_rgb()
        .expect_err("mismatch");
    assert_eq!(err.code(), "camera.format_mismatch");
}

#[test]
fn missing_or_empty_frame_directories_are_offline_or_degraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    let mut camera = FileSource::new(&missing, clock());
    assert_eq!(camera.status().status, HealthStatus::Offline);
    assert_eq!(camera.open().expect_err("missing").code(), "camera.offline");

    let mut camera = FileSource::new(dir.path(), clock());
    assert_eq!(camera.status().status, HealthStatus::Degraded);
    assert_eq!(camera.open().expect_err("empty").code(), "camera.no_frames");
}

#[test]
fn corrupt_frame_file_is_a_bad_frame_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut truncated = jpeg(&solid([1, 2, 3]));
    truncated.truncate(40);
    write(dir.path(), "a.jpg", &truncated);
    write(dir.path(), "b.png", b"\x89PNG\r\n\x1a\n garbage");
    let mut camera = FileSource::new(dir.path(), clock());
    camera.open().expect("open");
    assert_eq!(
        camera
            .next_frame()
            .expect("frame")
            .to_rgb()
            .expect_err("bad")
            .code(),
        "camera.bad_frame"
    );
    assert_eq!(
        camera.next_frame().expect_err("bad png").code(),
        "camera.bad_frame"
    );
}

#[test]
fn profile_device_strings_open_the_right_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.jpg", &jpeg(&solid([9, 9, 9])));
    let mut files = open_device(&format!("file:{}", dir.path().display()), clock()).expect("file");
    files.open().expect("open");
    assert_eq!(
        files.formats().first().map(|f| f.pixel_format),
        Some(PixelFormat::Mjpeg)
    );

    let mut synthetic = open_device("synthetic", clock()).expect("synthetic");
    synthetic.open().expect("open");
    assert_eq!(
        synthetic.next_frame().expect("frame").format,
        PixelFormat::Mjpeg
    );

    #[cfg(not(feature = "uvc"))]
    assert_eq!(
        open_device("/dev/video0", clock())
            .expect_err("no uvc")
            .code(),
        "camera.unsupported_device"
    );
}
