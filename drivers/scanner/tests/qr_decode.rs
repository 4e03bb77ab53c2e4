//! QR codes rendered by the `qrcode` crate (as our tickets print them) must come back out of camera-like frames:
//! scaled, rotated by right angles and by a skew angle, on a larger grey background.

use banshi_scanner::decode_qr;
use image::{DynamicImage, GrayImage, Luma};
use qrcode::{Color, QrCode};

/// Render `data` with `scale` pixels per module and a 4-module quiet zone, on a `pad`-pixel grey margin.
fn render(data: &[u8], scale: u32, pad: u32) -> GrayImage {
    let code = QrCode::new(data).unwrap();
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let side = (modules + 8) * scale + 2 * pad;
    let mut image = GrayImage::from_pixel(side, side, Luma([200]));
    let quiet = 4 * scale;
    for y in 0..side - 2 * pad {
        for x in 0..side - 2 * pad {
            let (mx, my) = (x.checked_sub(quiet), y.checked_sub(quiet));
            let dark = match (mx, my) {
                (Some(mx), Some(my)) if mx / scale < modules && my / scale < modules => {
                    colors[((my / scale) * modules + mx / scale) as usize] == Color::Dark
                }
                _ => false,
            };
            image.put_pixel(x + pad, y + pad, Luma([if dark { 20 } else { 245 }]));
        }
    }
    image
}

/// Nearest-neighbour rotation by `degrees` about the centre, background grey: a code held at an angle.
fn rotate(image: &GrayImage, degrees: f64) -> GrayImage {
    let (w, h) = image.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f64 - cx, y as f64 - cy);
        let sx = cos * dx + sin * dy + cx;
        let sy = -sin * dx + cos * dy + cy;
        if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
            *image.get_pixel(sx as u32, sy as u32)
        } else {
            Luma([200])
        }
    })
}

const URL: &str = "https://banshi.example.gov.cn/rate?case=HN20261124-0042&w=3";

#[test]
fn a_rendered_code_decodes() {
    let frame = DynamicImage::ImageLuma8(render(URL.as_bytes(), 4, 40));
    assert_eq!(decode_qr(&frame), vec![URL]);
}

#[test]
fn a_colour_frame_decodes_too() {
    let frame = DynamicImage::ImageLuma8(render(URL.as_bytes(), 5, 10)).to_rgb8();
    assert_eq!(decode_qr(&DynamicImage::ImageRgb8(frame)), vec![URL]);
}

#[test]
fn rotated_and_scaled_codes_decode() {
    let base = render(URL.as_bytes(), 6, 60);
    let cases = [
        ("rotated 90", image::imageops::rotate90(&base)),
        ("rotated 180", image::imageops::rotate180(&base)),
        ("rotated 15 degrees", rotate(&base, 15.0)),
        ("rotated -30 degrees", rotate(&base, -30.0)),
        (
            "scaled down",
            image::imageops::resize(&base, 300, 300, image::imageops::FilterType::Triangle),
        ),
        (
            "scaled up",
            image::imageops::resize(&base, 900, 900, image::imageops::FilterType::Nearest),
        ),
    ];
    for (name, image) in cases {
        assert_eq!(
            decode_qr(&DynamicImage::ImageLuma8(image)),
            vec![URL],
            "{name}"
        );
    }
}

#[test]
fn gbk_content_is_returned_as_chinese_text() {
    let (gbk, _, _) = encoding_rs::GBK.encode("办事大厅");
    let frame = DynamicImage::ImageLuma8(render(&gbk, 5, 20));
    assert_eq!(decode_qr(&frame), vec!["办事大厅"]);
}

#[test]
fn noise_without_a_code_gives_nothing() {
    let mut state: u32 = 12345;
    let noise = GrayImage::from_fn(320, 240, |_, _| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        Luma([(state >> 24) as u8])
    });
    assert!(decode_qr(&DynamicImage::ImageLuma8(noise)).is_empty());
}
