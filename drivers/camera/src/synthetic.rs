//! A synthetic 高拍仪 photo with known geometry: the ground truth for the page pipeline's tests and
//! benchmark, and a frame source for demos without a camera.
//!
//! [`render`] draws an A4 page (white paper, a dark marker in its top-left corner, a title bar, lines of
//! word-like blocks, a ruled table and a red seal), maps it with a real homography (keystone tilt, then
//! rotation, then offset) onto a darker wood-grain desk under uneven light, then adds sensor noise and
//! lens blur. It returns the page's four corners in the photo, so a test can measure how far the
//! detected corners are from the truth. Everything is seeded: the same scene gives the same pixels.

use std::sync::Arc;

use banshi_core::Clock;
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_hollow_circle_mut, draw_line_segment_mut};
use imageproc::geometric_transformations::{warp_into, Border, Interpolation, Projection};
use imageproc::rect::Rect;

use crate::error::CameraError;
use crate::frame::{Frame, FrameFormat, FrameSource, Health, HealthStatus, PixelFormat};

/// A4 is 210 × 297 mm.
pub const A4_ASPECT: f32 = 297.0 / 210.0;

/// What the synthetic camera sees.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticScene {
    /// Photo width in pixels.
    pub width: u32,
    /// Photo height in pixels.
    pub height: u32,
    /// Whether a page lies on the desk at all.
    pub with_page: bool,
    /// Page height as a fraction of the photo height, before tilt and rotation.
    pub page_fill: f32,
    /// In-plane rotation of the page, degrees (positive = clockwise on screen).
    pub rotation_deg: f32,
    /// Keystone: how much narrower the page's top edge looks than its bottom edge (0 = none, 0.15 =
    /// 15 %), as when the camera arm leans.
    pub keystone: f32,
    /// Page centre offset from the photo centre, as fractions of width and height.
    pub offset: (f32, f32),
    /// Standard deviation of the Gaussian sensor noise, in grey levels.
    pub noise: f32,
    /// Gaussian blur sigma in pixels (focus).
    pub blur_sigma: f32,
    /// Seed for the page layout, the desk and the noise.
    pub seed: u64,
}

impl Default for SyntheticScene {
    fn default() -> Self {
        Self {
            width: 1600,
            height: 1200,
            with_page: true,
            page_fill: 0.8,
            rotation_deg: 6.0,
            keystone: 0.08,
            offset: (0.02, -0.01),
            noise: 6.0,
            blur_sigma: 0.8,
            seed: 1,
        }
    }
}

/// A rendered photo and, when a page is in it, the page's corners (top-left, top-right, bottom-right,
/// bottom-left of the page as printed, in photo pixels).
#[derive(Debug, Clone)]
pub struct SyntheticPhoto {
    /// The photo.
    pub image: RgbImage,
    /// Ground-truth page corners.
    pub corners: Option<[(f32, f32); 4]>,
}

/// Renders a scene.
pub fn render(scene: &SyntheticScene) -> SyntheticPhoto {
    let (width, height) = (scene.width.max(16), scene.height.max(16));
    let mut rng = SplitMix(scene.seed);
    let mut photo = desk(width, height, &mut rng);
    let mut corners = None;
    if scene.with_page {
        let quad = page_quad(scene, width, height);
        // The page raster need not exceed its size in the photo; capped so 10 MP scenes stay cheap.
        let page_height = (scene.page_fill * height as f32).clamp(64.0, 1754.0) as u32;
        let page_width = (page_height as f32 / A4_ASPECT) as u32;
        let page = page_raster(page_width, page_height, &mut rng);
        let from = [
            (0.0, 0.0),
            (page_width as f32, 0.0),
            (page_width as f32, page_height as f32),
            (0.0, page_height as f32),
        ];
        if let Some(projection) = Projection::from_control_points(from, quad) {
            let mut warped = RgbaImage::new(width, height);
            warp_into(
                &page,
                projection,
                Interpolation::Bilinear,
                Border::Constant(Rgba([0, 0, 0, 0])),
                &mut warped,
            );
            for (desk_pixel, page_pixel) in photo.pixels_mut().zip(warped.pixels()) {
                let alpha = f32::from(page_pixel.0[3]) / 255.0;
                for channel in 0..3 {
                    let blended = f32::from(page_pixel.0[channel]) * alpha
                        + f32::from(desk_pixel.0[channel]) * (1.0 - alpha);
                    desk_pixel.0[channel] = blended as u8;
                }
            }
            corners = Some(quad);
        }
    }
    light_unevenly(&mut photo);
    if scene.noise > 0.0 {
        imageproc::noise::gaussian_noise_mut(&mut photo, 0.0, f64::from(scene.noise), scene.seed);
    }
    if scene.blur_sigma > 0.0 {
        photo = imageproc::filter::gaussian_blur_f32(&photo, scene.blur_sigma);
    }
    SyntheticPhoto {
        image: photo,
        corners,
    }
}

/// The page corners in the photo: keystone, then rotation about the page centre, then offset.
fn page_quad(scene: &SyntheticScene, width: u32, height: u32) -> [(f32, f32); 4] {
    let page_h = scene.page_fill * height as f32;
    let page_w = page_h / A4_ASPECT;
    let top_half = page_w / 2.0 * (1.0 - scene.keystone);
    let bottom_half = page_w / 2.0;
    let local = [
        (-top_half, -page_h / 2.0),
        (top_half, -page_h / 2.0),
        (bottom_half, page_h / 2.0),
        (-bottom_half, page_h / 2.0),
    ];
    let centre = (
        width as f32 * (0.5 + scene.offset.0),
        height as f32 * (0.5 + scene.offset.1),
    );
    let (sin, cos) = scene.rotation_deg.to_radians().sin_cos();
    local.map(|(x, y)| (centre.0 + x * cos - y * sin, centre.1 + x * sin + y * cos))
}

/// Dark wood-grain desk with some random knots.
fn desk(width: u32, height: u32, rng: &mut SplitMix) -> RgbImage {
    let phase = rng.unit() * 6.0;
    let frequency = 0.02 + rng.unit() * 0.02;
    RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (x as f32, y as f32);
        let grain = ((x * frequency + (y * 0.004).sin() * 6.0 + phase).sin() * 0.5 + 0.5) * 28.0;
        let r = 78.0 + grain;
        Rgb([r as u8, (r * 0.72) as u8, (r * 0.5) as u8])
    })
}

/// Light falls off towards one corner, as under a 高拍仪's single LED.
fn light_unevenly(photo: &mut RgbImage) {
    let (width, height) = photo.dimensions();
    let diagonal = ((width * width + height * height) as f32).sqrt();
    for (x, y, pixel) in photo.enumerate_pixels_mut() {
        let distance = ((x * x + y * y) as f32).sqrt() / diagonal;
        let gain = 1.0 - 0.18 * distance;
        for channel in &mut pixel.0 {
            *channel = (f32::from(*channel) * gain) as u8;
        }
    }
}

/// The printed page, in page pixels. Opaque everywhere so the warp's alpha marks the page's extent.
fn page_raster(width: u32, height: u32, rng: &mut SplitMix) -> RgbaImage {
    let mut page = RgbaImage::from_pixel(width, height, Rgba([246, 244, 238, 255]));
    let unit = (width as f32 / 100.0).max(1.0);
    let ink = Rgba([30, 30, 35, 255]);
    let margin = (8.0 * unit) as i32;
    // The orientation marker the "upright" test looks for: a solid block in the top-left margin.
    let marker = (10.0 * unit) as u32;
    draw_filled_rect_mut(
        &mut page,
        Rect::at(margin, margin).of_size(marker, marker),
        ink,
    );
    // Title bar.
    let title_x = margin + marker as i32 + (6.0 * unit) as i32;
    draw_filled_rect_mut(
        &mut page,
        Rect::at(title_x, margin + (3.0 * unit) as i32).of_size(
            (width as i32 - title_x - margin).max(1) as u32,
            (4.0 * unit) as u32,
        ),
        ink,
    );
    // Lines of "words".
    let line_height = (3.2 * unit) as i32;
    let mut y = margin + marker as i32 + (8.0 * unit) as i32;
    let text_bottom = (height as f32 * 0.62) as i32;
    while y < text_bottom {
        let mut x = margin;
        let line_end = width as i32 - margin - (rng.unit() * 20.0 * unit) as i32;
        while x < line_end {
            let word = ((2.0 + rng.unit() * 9.0) * unit) as i32;
            let word = word.min(line_end - x).max(1);
            draw_filled_rect_mut(
                &mut page,
                Rect::at(x, y).of_size(word as u32, (1.6 * unit).max(1.0) as u32),
                ink,
            );
            x += word + (1.5 * unit) as i32;
        }
        y += line_height;
    }
    // A ruled table.
    let table_top = text_bottom as f32 + 4.0 * unit;
    let table_bottom = height as f32 * 0.85;
    let (left, right) = (margin as f32, (width as i32 - margin) as f32);
    let rows = 6;
    for row in 0..=rows {
        let ty = table_top + (table_bottom - table_top) * row as f32 / rows as f32;
        draw_line_segment_mut(&mut page, (left, ty), (right, ty), ink);
    }
    for column in 0..=3 {
        let tx = left + (right - left) * column as f32 / 3.0;
        draw_line_segment_mut(&mut page, (tx, table_top), (tx, table_bottom), ink);
    }
    // A red seal (公章) near the bottom right.
    let seal_centre = (
        (right - 14.0 * unit) as i32,
        (table_bottom + 6.0 * unit) as i32,
    );
    for ring in 0..(unit as i32).max(1) {
        draw_hollow_circle_mut(
            &mut page,
            seal_centre,
            (10.0 * unit) as i32 - ring,
            Rgba([200, 40, 40, 255]),
        );
    }
    page
}

/// A tiny seeded generator; the layout only needs "varied", not "random".
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A camera that delivers one synthetic scene as MJPEG frames (the profile's `device = "synthetic"`).
#[derive(Debug)]
pub struct SyntheticSource {
    scene: SyntheticScene,
    clock: Arc<dyn Clock>,
    frame: Option<EncodedScene>,
}

/// The scene's JPEG bytes and its page corners, made once on `open`.
type EncodedScene = (Vec<u8>, Option<[(f32, f32); 4]>);

impl SyntheticSource {
    /// A source showing `scene`; it is rendered once, on `open`.
    pub fn new(scene: SyntheticScene, clock: Arc<dyn Clock>) -> Self {
        Self {
            scene,
            clock,
            frame: None,
        }
    }

    /// The page corners in the frames (after `open`), for tests.
    pub fn ground_truth(&self) -> Option<[(f32, f32); 4]> {
        self.frame.as_ref().and_then(|(_, corners)| *corners)
    }
}

impl FrameSource for SyntheticSource {
    fn formats(&self) -> Vec<FrameFormat> {
        vec![FrameFormat {
            pixel_format: PixelFormat::Mjpeg,
            width: self.scene.width,
            height: self.scene.height,
        }]
    }

    fn open(&mut self) -> Result<(), CameraError> {
        let photo = render(&self.scene);
        let jpeg = crate::page::encode_jpeg(&photo.image, 90)?;
        self.frame = Some((jpeg, photo.corners));
        Ok(())
    }

    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        let (bytes, _) = self.frame.as_ref().ok_or(CameraError::NotOpen)?;
        Ok(Frame {
            format: PixelFormat::Mjpeg,
            width: self.scene.width,
            height: self.scene.height,
            bytes: bytes.clone(),
            timestamp: self.clock.now(),
        })
    }

    fn close(&mut self) {
        self.frame = None;
    }

    fn status(&self) -> Health {
        Health::new(
            HealthStatus::Ok,
            format!("synthetic {}x{}", self.scene.width, self.scene.height),
        )
    }
}
