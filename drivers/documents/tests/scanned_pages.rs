//! Scanned JPEG pages become one PDF whose images are the original JPEG bytes.

mod common;

use std::io::Cursor;

use banshi_core::ErrorCode;
use banshi_documents::{pdf_from_jpeg_pages, JpegPage, PageSize};
use common::{path_str, run};

fn jpeg(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[test]
fn jpeg_pages_are_embedded_unchanged_one_per_page() {
    let portrait = jpeg(620, 877, 10);
    let landscape = jpeg(877, 620, 120);
    let at_dpi = jpeg(300, 150, 240);
    let pdf = pdf_from_jpeg_pages(&[
        JpegPage::a4(portrait.clone()),
        JpegPage::a4(landscape.clone()),
        JpegPage {
            jpeg: at_dpi.clone().into(),
            size: PageSize::Dpi(150.0),
        },
    ])
    .unwrap();
    for original in [&portrait, &landscape, &at_dpi] {
        assert!(
            pdf.windows(original.len())
                .any(|w| w == original.as_slice()),
            "JPEG bytes not embedded verbatim"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.pdf");
    std::fs::write(&path, &pdf).unwrap();
    assert_eq!(common::page_count(&path), 3);

    // pdfimages -list: page num type width height color comp bpc enc ...
    let list = run("pdfimages", &["-list", path_str(&path)]);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3, "{list}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string(), "one image per page: {list}");
        assert_eq!(row[8], "jpeg", "DCT-encoded: {list}");
    }
    assert_eq!((rows[1][3], rows[1][4]), ("877", "620"));

    // pdfinfo prints `Page    1 size:  595.276 x 841.89 pts (A4)`.
    let info = run("pdfinfo", &["-f", "1", "-l", "3", path_str(&path)]);
    let sizes: Vec<(f32, f32)> = info
        .lines()
        .filter(|l| l.starts_with("Page "))
        .filter_map(|l| l.split_once(" size:"))
        .map(|(_, rest)| {
            let numbers: Vec<f32> = rest
                .split_whitespace()
                .filter_map(|t| t.parse().ok())
                .collect();
            (numbers[0], numbers[1])
        })
        .collect();
    let close =
        |(w, h): (f32, f32), (ew, eh): (f32, f32)| (w - ew).abs() < 0.1 && (h - eh).abs() < 0.1;
    assert_eq!(sizes.len(), 3, "{info}");
    assert!(close(sizes[0], (595.28, 841.89)), "A4 portrait: {info}");
    assert!(close(sizes[1], (841.89, 595.28)), "A4 landscape: {info}");
    // 300 × 150 px at 150 dpi is 2 × 1 inches.
    assert!(close(sizes[2], (144.0, 72.0)), "{info}");
}

#[test]
fn non_jpeg_pages_and_empty_scans_are_rejected() {
    let err = pdf_from_jpeg_pages(&[JpegPage::a4(b"\x89PNG\r\n\x1a\n".to_vec())]).unwrap_err();
    assert_eq!(err.code(), "document.bad_jpeg");
    let err = pdf_from_jpeg_pages(&[JpegPage::a4(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 1])]).unwrap_err();
    assert_eq!(err.code(), "document.bad_jpeg");
    let err = pdf_from_jpeg_pages(&[]).unwrap_err();
    assert_eq!(err.code(), "document.invalid_page");
}
