//! The document page pipeline: a 高拍仪 photo in, an upright, cropped, whitened A4 page JPEG out.
//!
//! Steps, and why each is done the way it is:
//!
//! 1. **Find the page** ([`find_page`]) on a grey copy reduced by an integer factor to at most 1000 px: detection does not need
//!    10 MP, and every step after it scales with pixel count. Grey → Gaussian blur (kills paper texture
//!    and sensor noise) → Canny edges → a small dilation (closes gaps where the page edge is faint) →
//!    contours. The outer contour with the largest convex hull is the page candidate. Its hull is
//!    simplified with Douglas–Peucker at 2 % of the perimeter; four vertices give the corners, anything
//!    else falls back to the minimum-area rectangle (a dog-eared or partly covered page). Each side is
//!    then re-fitted by least squares to the contour points along it and the corners are re-computed as
//!    intersections of the fitted sides, which is far more precise than the polygon's vertices (blur
//!    rounds corners). The dilation offset is taken back by moving each side inwards.
//! 2. **Order the corners** top-left, top-right, bottom-right, bottom-left: by angle around the centroid,
//!    starting from the corner nearest the photo's top-left. Good for the ±45° a page on a 高拍仪 base
//!    realistically has; a page lying sideways comes out landscape (we do not read the text to decide).
//! 3. **Deskew**: text may sit crooked on the sheet (a skewed photocopy). A 60 DPI grey warp of the page
//!    is analysed by projection profiles (the angle whose row histogram is most peaked is the text
//!    angle). The correction is folded into the same projection as the perspective correction, so the
//!    full-resolution page is resampled only once.
//! 4. **Perspective-correct** into an A4 raster at the requested DPI (bilinear).
//! 5. **Enhance**: the paper's brightness is estimated on the low-resolution warp (a max filter removes
//!    the text, a blur smooths it) and each pixel is divided by it: uneven LED light and shadows vanish
//!    and the paper becomes white. Optional black-and-white mode binarises with an adaptive (local mean)
//!    threshold, which survives the gradients a global Otsu threshold does not.
//! 6. **Encode** with `jpeg-encoder` (see [`encode_jpeg`] for why not `image`'s encoder), with the DPI in
//!    the JFIF header so printing and the PDF keep the physical size.

use image::{GrayImage, Luma, Rgb, RgbImage};
use imageproc::contours::{find_contours, BorderType};
use imageproc::geometric_transformations::{warp_into, Border, Interpolation, Projection};
use imageproc::geometry::{
    approximate_polygon_dp, arc_length, contour_area, convex_hull, min_area_rect,
};
use imageproc::point::Point;

use crate::error::CameraError;
use crate::frame::Frame;

/// Long side of the copy the page is searched on.
const DETECT_LONG_SIDE: u32 = 1000;
/// Dilation of the edge map, in detection pixels; taken back when the sides are fitted.
const EDGE_DILATION: u8 = 2;
/// A page must cover at least this share of the photo.
const MIN_PAGE_AREA: f64 = 0.12;
/// DPI of the analysis warp used for deskew and the background estimate.
const ANALYSIS_DPI: u32 = 60;
/// Largest text skew the deskew step corrects, degrees.
const MAX_DESKEW_DEG: f32 = 5.0;
/// Skews below this are left alone: resampling for less would only soften the text.
const MIN_DESKEW_DEG: f32 = 0.3;

/// Colour handling of the output page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageMode {
    /// Colour, paper whitened (keeps red seals red).
    Colour,
    /// Grey, paper whitened.
    Grey,
    /// Black and white "photocopy", adaptive threshold.
    BlackAndWhite,
}

/// How to produce the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageOptions {
    /// Output resolution; A4 at 200 DPI is 1654 × 2339 px.
    pub dpi: u32,
    /// Colour, grey or black and white.
    pub mode: PageMode,
    /// JPEG quality 1–100.
    pub jpeg_quality: u8,
    /// Correct text that sits crooked on the sheet.
    pub deskew: bool,
}

impl Default for PageOptions {
    fn default() -> Self {
        Self {
            dpi: 200,
            mode: PageMode::Colour,
            jpeg_quality: 85,
            deskew: true,
        }
    }
}

/// A processed page.
#[derive(Clone, PartialEq)]
pub struct Page {
    /// The upright, cropped page as a JPEG file.
    pub jpeg: Vec<u8>,
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// The page corners found in the photo (top-left, top-right, bottom-right, bottom-left), in photo
    /// pixels, for drawing the detected outline on the live preview.
    pub corners: [(f32, f32); 4],
    /// The text skew that was corrected, degrees.
    pub deskew_deg: f32,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("jpeg", &self.jpeg.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("corners", &self.corners)
            .field("deskew_deg", &self.deskew_deg)
            .finish()
    }
}

/// Decodes a camera frame and runs the page pipeline on it.
pub fn scan_frame(frame: &Frame, options: &PageOptions) -> Result<Page, CameraError> {
    scan_page(&frame.to_rgb()?, options)
}

/// Runs the page pipeline on a photo.
pub fn scan_page(photo: &RgbImage, options: &PageOptions) -> Result<Page, CameraError> {
    let corners = find_page(photo)?;
    let dpi = options.dpi.clamp(50, 600);
    let landscape = side_length(corners[0], corners[1]) + side_length(corners[3], corners[2])
        > side_length(corners[0], corners[3]) + side_length(corners[1], corners[2]);
    let (short_mm, long_mm) = (210.0_f32, 297.0_f32);
    let (width_mm, height_mm) = if landscape {
        (long_mm, short_mm)
    } else {
        (short_mm, long_mm)
    };
    let size_at = |dpi: u32| {
        (
            (width_mm / 25.4 * dpi as f32).round().max(1.0) as u32,
            (height_mm / 25.4 * dpi as f32).round().max(1.0) as u32,
        )
    };

    // Analysis pass at low resolution: text skew, then the paper's brightness.
    let analysis_size = size_at(ANALYSIS_DPI);
    let mut analysis = warp_page(photo, &corners, analysis_size, 0.0)?;
    let deskew_deg = if options.deskew {
        let angle = text_skew_deg(&grey(&analysis));
        if angle.abs() >= MIN_DESKEW_DEG {
            analysis = warp_page(photo, &corners, analysis_size, angle)?;
            angle
        } else {
            0.0
        }
    } else {
        0.0
    };
    let paper = paper_brightness(&grey(&analysis));

    let output_size = size_at(dpi);
    let page = warp_page(photo, &corners, output_size, deskew_deg)?;
    let jpeg = match options.mode {
        PageMode::Colour => encode_jpeg_with_dpi(&whiten_colour(page, &paper), options, dpi)?,
        PageMode::Grey => encode_grey(&whiten_grey(&grey(&page), &paper), options, dpi)?,
        PageMode::BlackAndWhite => {
            let radius = (dpi / 12).max(4);
            let bw = imageproc::contrast::adaptive_threshold(
                &whiten_grey(&grey(&page), &paper),
                radius,
                12,
            );
            encode_grey(&bw, options, dpi)?
        }
    };
    tracing::debug!(
        width = output_size.0,
        height = output_size.1,
        bytes = jpeg.len(),
        deskew_deg,
        "page scanned"
    );
    Ok(Page {
        jpeg,
        width: output_size.0,
        height: output_size.1,
        corners,
        deskew_deg,
    })
}

/// Finds the page's four corners in a photo (top-left, top-right, bottom-right, bottom-left).
pub fn find_page(photo: &RgbImage) -> Result<[(f32, f32); 4], CameraError> {
    let (width, height) = photo.dimensions();
    if width < 32 || height < 32 {
        return Err(CameraError::NoPage("photo too small"));
    }
    let factor = width.max(height).div_ceil(DETECT_LONG_SIDE).max(1);
    let small = downsample_grey(photo, factor);
    let (small_w, small_h) = small.dimensions();
    let blurred = imageproc::filter::gaussian_blur_f32(&small, 2.0);
    let edges = imageproc::edges::canny(&blurred, 25.0, 60.0);
    let edges = imageproc::morphology::dilate(
        &edges,
        imageproc::distance_transform::Norm::LInf,
        EDGE_DILATION,
    );

    let contours = find_contours::<i32>(&edges);
    let (outline, hull) = contours
        .iter()
        .filter(|contour| contour.border_type == BorderType::Outer && contour.points.len() >= 4)
        .map(|contour| (contour, convex_hull(contour.points.clone())))
        .max_by(|(_, a), (_, b)| contour_area(a).total_cmp(&contour_area(b)))
        .ok_or(CameraError::NoPage("no edges"))?;
    let frame_area = f64::from(small_w) * f64::from(small_h);
    if hull.len() < 4 || contour_area(&hull) < MIN_PAGE_AREA * frame_area {
        return Err(CameraError::NoPage("no large outline"));
    }

    let hull = start_at_a_corner(hull);
    let perimeter = arc_length(&hull, true);
    let hull_area = contour_area(&hull);
    // 2 % of the perimeter first; a page with a bent corner may need a coarser tolerance.
    let quadrilateral = [0.02, 0.03, 0.015, 0.045]
        .into_iter()
        .map(|share| approximate_polygon_dp(&hull, share * perimeter, true))
        .find(|polygon| polygon.len() == 4 && contour_area(polygon) > 0.85 * hull_area);
    let rough: [Point<f64>; 4] = match quadrilateral.as_deref() {
        Some(&[a, b, c, d]) => [a, b, c, d].map(to_f64),
        _ => {
            tracing::debug!("page outline not a quadrilateral; using the minimum-area rectangle");
            min_area_rect(&hull).map(to_f64)
        }
    };
    let rough = order_corners(rough);
    let refined = refine_corners(&rough, &outline.points).unwrap_or(rough);
    if !is_plausible_quad(&refined, frame_area) {
        return Err(CameraError::NoPage("outline is not a plausible page"));
    }
    // Back to photo pixels: detection pixel i sampled photo pixels i·factor and i·factor + 1.
    let to_photo = |p: Point<f64>| {
        (
            (p.x * f64::from(factor) + 0.5) as f32,
            (p.y * f64::from(factor) + 0.5) as f32,
        )
    };
    Ok(refined.map(to_photo))
}

/// Grey copy reduced by an integer factor, each output pixel the mean green-weighted grey of a 2×2
/// block at the start of its cell. Much cheaper than a filtered resize of 10 MP, and the blur that
/// follows removes the aliasing this leaves.
fn downsample_grey(photo: &RgbImage, factor: u32) -> GrayImage {
    let (width, height) = photo.dimensions();
    let (small_w, small_h) = ((width / factor).max(1), (height / factor).max(1));
    let luma = |x: u32, y: u32| {
        let [r, g, b] = photo.get_pixel(x.min(width - 1), y.min(height - 1)).0;
        u32::from(r) * 77 + u32::from(g) * 150 + u32::from(b) * 29
    };
    GrayImage::from_fn(small_w, small_h, |x, y| {
        let (px, py) = (x * factor, y * factor);
        let sum = luma(px, py) + luma(px + 1, py) + luma(px, py + 1) + luma(px + 1, py + 1);
        Luma([(sum / (4 * 256)) as u8])
    })
}

/// Douglas–Peucker keeps the first point of a closed curve as a vertex, so the curve must start at a
/// corner: the hull point farthest from the centroid is always one.
fn start_at_a_corner(mut hull: Vec<Point<i32>>) -> Vec<Point<i32>> {
    let n = hull.len().max(1) as f64;
    let cx = hull.iter().map(|p| f64::from(p.x)).sum::<f64>() / n;
    let cy = hull.iter().map(|p| f64::from(p.y)).sum::<f64>() / n;
    let distance = |p: &Point<i32>| (f64::from(p.x) - cx).hypot(f64::from(p.y) - cy);
    if let Some(start) =
        (0..hull.len()).max_by(|&a, &b| distance(&hull[a]).total_cmp(&distance(&hull[b])))
    {
        hull.rotate_left(start);
    }
    hull
}

fn to_f64(p: Point<i32>) -> Point<f64> {
    Point::new(f64::from(p.x), f64::from(p.y))
}

/// Top-left first (smallest x + y), then clockwise on screen (y grows downwards).
fn order_corners(corners: [Point<f64>; 4]) -> [Point<f64>; 4] {
    let cx = corners.iter().map(|p| p.x).sum::<f64>() / 4.0;
    let cy = corners.iter().map(|p| p.y).sum::<f64>() / 4.0;
    let mut sorted = corners;
    sorted.sort_by(|a, b| {
        (a.y - cy)
            .atan2(a.x - cx)
            .total_cmp(&(b.y - cy).atan2(b.x - cx))
    });
    let start = sorted
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| (a.x + a.y).total_cmp(&(b.x + b.y)))
        .map_or(0, |(index, _)| index);
    sorted.rotate_left(start);
    sorted
}

/// Re-fits each side to the contour points along it and intersects neighbouring sides.
fn refine_corners(rough: &[Point<f64>; 4], outline: &[Point<i32>]) -> Option<[Point<f64>; 4]> {
    let cx = rough.iter().map(|p| p.x).sum::<f64>() / 4.0;
    let cy = rough.iter().map(|p| p.y).sum::<f64>() / 4.0;
    let mut lines = Vec::with_capacity(4);
    for side in 0..4 {
        let (a, b) = (rough[side], rough[(side + 1) % 4]);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let length = dx.hypot(dy);
        if length < 8.0 {
            return None;
        }
        let (ux, uy) = (dx / length, dy / length);
        // Points near the side, away from the (rounded) corners.
        let tolerance = (length * 0.02).max(3.0);
        let near: Vec<(f64, f64)> = outline
            .iter()
            .map(|p| (f64::from(p.x), f64::from(p.y)))
            .filter(|&(x, y)| {
                let along = (x - a.x) * ux + (y - a.y) * uy;
                let across = ((x - a.x) * -uy + (y - a.y) * ux).abs();
                along > 0.1 * length && along < 0.9 * length && across < tolerance
            })
            .collect();
        if near.len() < 10 {
            return None;
        }
        let mut line = fit_line(&near)?;
        // Move the side inwards by the dilation: the outline runs that far outside the true edge.
        let towards_centre =
            (cx - line.point.0) * line.normal.0 + (cy - line.point.1) * line.normal.1;
        let sign = towards_centre.signum();
        line.point.0 += line.normal.0 * sign * f64::from(EDGE_DILATION);
        line.point.1 += line.normal.1 * sign * f64::from(EDGE_DILATION);
        lines.push(line);
    }
    let mut corners = [Point::new(0.0, 0.0); 4];
    for (index, corner) in corners.iter_mut().enumerate() {
        // Corner i joins side i-1 (arriving) and side i (leaving).
        let before = lines.get((index + 3) % 4)?;
        let after = lines.get(index)?;
        let (x, y) = intersect(before, after)?;
        let drift = (x - rough[index].x).hypot(y - rough[index].y);
        if drift > 20.0 {
            return None;
        }
        *corner = Point::new(x, y);
    }
    Some(corners)
}

#[derive(Debug, Clone, Copy)]
struct FittedLine {
    point: (f64, f64),
    /// Unit normal.
    normal: (f64, f64),
}

/// Total least squares: the line through the centroid along the principal axis.
fn fit_line(points: &[(f64, f64)]) -> Option<FittedLine> {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for &(x, y) in points {
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
        sxy += (x - mx) * (y - my);
    }
    let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let (sin, cos) = angle.sin_cos();
    let normal = (-sin, cos);
    normal.0.is_finite().then_some(FittedLine {
        point: (mx, my),
        normal,
    })
}

fn intersect(a: &FittedLine, b: &FittedLine) -> Option<(f64, f64)> {
    // n · p = c for each line.
    let ca = a.normal.0 * a.point.0 + a.normal.1 * a.point.1;
    let cb = b.normal.0 * b.point.0 + b.normal.1 * b.point.1;
    let det = a.normal.0 * b.normal.1 - a.normal.1 * b.normal.0;
    if det.abs() < 1e-6 {
        return None;
    }
    Some((
        (ca * b.normal.1 - a.normal.1 * cb) / det,
        (a.normal.0 * cb - ca * b.normal.0) / det,
    ))
}

/// Convex, big enough, and no side much shorter than its opposite (a sliver is not a page).
fn is_plausible_quad(corners: &[Point<f64>; 4], frame_area: f64) -> bool {
    let mut sign = 0.0;
    for index in 0..4 {
        let (a, b, c) = (
            corners[index],
            corners[(index + 1) % 4],
            corners[(index + 2) % 4],
        );
        let cross = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
        if sign == 0.0 {
            sign = cross.signum();
        } else if cross.signum() != sign {
            return false;
        }
    }
    let area = contour_area(&corners.map(|p| Point::new(p.x.round() as i32, p.y.round() as i32)));
    let sides: Vec<f64> = (0..4)
        .map(|i| {
            let (a, b) = (corners[i], corners[(i + 1) % 4]);
            (b.x - a.x).hypot(b.y - a.y)
        })
        .collect();
    let balanced = |x: f64, y: f64| x.min(y) > 0.5 * x.max(y);
    area >= MIN_PAGE_AREA * frame_area
        && balanced(sides[0], sides[2])
        && balanced(sides[1], sides[3])
}

fn side_length(a: (f32, f32), b: (f32, f32)) -> f32 {
    (b.0 - a.0).hypot(b.1 - a.1)
}

/// Maps the page quadrilateral onto an upright `size` raster, rotated by `-deskew_deg` about its centre.
fn warp_page(
    photo: &RgbImage,
    corners: &[(f32, f32); 4],
    (width, height): (u32, u32),
    deskew_deg: f32,
) -> Result<RgbImage, CameraError> {
    let (w, h) = (width as f32, height as f32);
    let to = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let perspective = Projection::from_control_points(*corners, to)
        .ok_or(CameraError::NoPage("degenerate page outline"))?;
    let projection = if deskew_deg == 0.0 {
        perspective
    } else {
        let (cx, cy) = (w / 2.0, h / 2.0);
        let rotation = Projection::translate(cx, cy)
            * Projection::rotate(-deskew_deg.to_radians())
            * Projection::translate(-cx, -cy);
        perspective.and_then(rotation)
    };
    let mut out = RgbImage::new(width, height);
    warp_into(
        photo,
        projection,
        Interpolation::Bilinear,
        Border::Constant(Rgb([255, 255, 255])),
        &mut out,
    );
    Ok(out)
}

fn grey(image: &RgbImage) -> GrayImage {
    image::DynamicImage::ImageRgb8(image.clone()).to_luma8()
}

/// The text angle in degrees (positive = text lines run clockwise), by projection-profile search.
fn text_skew_deg(page: &GrayImage) -> f32 {
    let threshold = imageproc::contrast::otsu_level(page).min(160);
    let (width, height) = page.dimensions();
    // Ignore a margin: leftovers of the desk along the border would dominate the profile.
    let (mx, my) = (width / 20, height / 20);
    let ink: Vec<(f32, f32)> = page
        .enumerate_pixels()
        .filter(|(x, y, pixel)| {
            *x >= mx && *x < width - mx && *y >= my && *y < height - my && pixel.0[0] <= threshold
        })
        .map(|(x, y, _)| (x as f32, y as f32))
        .collect();
    if ink.len() < 50 {
        return 0.0;
    }
    let rows = (height as f32 * 1.5) as usize + 2;
    let peakiness = |angle_deg: f32| {
        let (sin, cos) = angle_deg.to_radians().sin_cos();
        let mut histogram = vec![0u32; rows];
        for &(x, y) in &ink {
            // Row of the point once the page is rotated by -angle.
            let row = (y * cos - x * sin + height as f32 * 0.25).round();
            if row >= 0.0 {
                if let Some(bin) = histogram.get_mut(row as usize) {
                    *bin += 1;
                }
            }
        }
        histogram
            .iter()
            .map(|&c| f64::from(c) * f64::from(c))
            .sum::<f64>()
    };
    let search = |from: f32, to: f32, step: f32| {
        let steps = ((to - from) / step).round() as i32;
        (0..=steps)
            .map(|i| from + i as f32 * step)
            .map(|angle| (angle, peakiness(angle)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0.0, |(angle, _)| angle)
    };
    let coarse = search(-MAX_DESKEW_DEG, MAX_DESKEW_DEG, 0.5);
    search(coarse - 0.5, coarse + 0.5, 0.1)
}

/// The paper's brightness at each point of the analysis raster: text removed by a max filter, smoothed.
fn paper_brightness(page: &GrayImage) -> GrayImage {
    let paper =
        imageproc::morphology::grayscale_dilate(page, &imageproc::morphology::Mask::square(3));
    imageproc::filter::gaussian_blur_f32(&paper, 4.0)
}

/// Per-pixel gain (paper brightness → white) for an output of `width × height`: the analysis cell of
/// each column and row is computed once, and the 256 possible gains are tabulated.
struct Gains<'a> {
    paper: &'a GrayImage,
    columns: Vec<u32>,
    rows: Vec<u32>,
    by_brightness: [f32; 256],
}

impl<'a> Gains<'a> {
    fn new(paper: &'a GrayImage, width: u32, height: u32) -> Self {
        let (pw, ph) = paper.dimensions();
        let cell = |i: u32, n: u32, cells: u32| {
            (((u64::from(i) * u64::from(cells)) / u64::from(n.max(1))) as u32)
                .min(cells.saturating_sub(1))
        };
        let mut by_brightness = [1.0; 256];
        for (value, gain) in by_brightness.iter_mut().enumerate() {
            // Brightness estimates below 96 are not paper (a photo on the page, a dark table): leave them.
            *gain = 250.0 / (value as f32).max(96.0);
        }
        Self {
            paper,
            columns: (0..width).map(|x| cell(x, width, pw)).collect(),
            rows: (0..height).map(|y| cell(y, height, ph)).collect(),
            by_brightness,
        }
    }

    fn at(&self, x: u32, y: u32) -> f32 {
        let column = self.columns.get(x as usize).copied().unwrap_or(0);
        let row = self.rows.get(y as usize).copied().unwrap_or(0);
        self.paper
            .get_pixel_checked(column, row)
            .map_or(1.0, |p| self.by_brightness[usize::from(p.0[0])])
    }
}

/// A tone curve after the gain: near-white → white, ink slightly darker.
fn tone(value: f32) -> u8 {
    const BLACK: f32 = 24.0;
    const WHITE: f32 = 232.0;
    ((value - BLACK) * 255.0 / (WHITE - BLACK)).clamp(0.0, 255.0) as u8
}

fn whiten_colour(mut page: RgbImage, paper: &GrayImage) -> RgbImage {
    let (width, height) = page.dimensions();
    let gains = Gains::new(paper, width, height);
    for (y, row) in page.enumerate_rows_mut() {
        for (x, _, pixel) in row {
            let gain = gains.at(x, y);
            for channel in &mut pixel.0 {
                *channel = tone(f32::from(*channel) * gain);
            }
        }
    }
    page
}

fn whiten_grey(page: &GrayImage, paper: &GrayImage) -> GrayImage {
    let (width, height) = page.dimensions();
    let gains = Gains::new(paper, width, height);
    GrayImage::from_fn(width, height, |x, y| {
        let value = page.get_pixel(x, y).0[0];
        Luma([tone(f32::from(value) * gains.at(x, y))])
    })
}

/// Encodes RGB as a baseline JPEG.
///
/// `jpeg-encoder` rather than `image`'s own encoder: on a 1654 × 2339 page (A4 at 200 DPI), quality 85,
/// on the 2-core CI machine, `jpeg-encoder` took 45 ms (p50) for 272 KB and `image` 167 ms for 320 KB
/// (`banshi-page-bench --compare-encoders`). It also writes the JFIF density, and it is pure Rust.
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, CameraError> {
    encode(
        image.as_raw(),
        image.dimensions(),
        jpeg_encoder::ColorType::Rgb,
        quality,
        None,
    )
}

fn encode_jpeg_with_dpi(
    image: &RgbImage,
    options: &PageOptions,
    dpi: u32,
) -> Result<Vec<u8>, CameraError> {
    encode(
        image.as_raw(),
        image.dimensions(),
        jpeg_encoder::ColorType::Rgb,
        options.jpeg_quality,
        Some(dpi),
    )
}

fn encode_grey(image: &GrayImage, options: &PageOptions, dpi: u32) -> Result<Vec<u8>, CameraError> {
    encode(
        image.as_raw(),
        image.dimensions(),
        jpeg_encoder::ColorType::Luma,
        options.jpeg_quality,
        Some(dpi),
    )
}

fn encode(
    pixels: &[u8],
    (width, height): (u32, u32),
    colour: jpeg_encoder::ColorType,
    quality: u8,
    dpi: Option<u32>,
) -> Result<Vec<u8>, CameraError> {
    let too_big =
        || CameraError::Encode(format!("{width}x{height} exceeds the JPEG limit of 65535"));
    let width = u16::try_from(width).map_err(|_| too_big())?;
    let height = u16::try_from(height).map_err(|_| too_big())?;
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    if let Some(dpi) = dpi.and_then(|d| u16::try_from(d).ok()) {
        encoder.set_density(jpeg_encoder::PixelDensity::dpi(dpi));
    }
    encoder
        .encode(pixels, width, height, colour)
        .map_err(|err| CameraError::Encode(err.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_are_ordered_from_top_left_clockwise() {
        let shuffled =
            [(90.0, 110.0), (10.0, 5.0), (12.0, 100.0), (95.0, 8.0)].map(|(x, y)| Point::new(x, y));
        let ordered = order_corners(shuffled).map(|p| (p.x, p.y));
        assert_eq!(
            ordered,
            [(10.0, 5.0), (95.0, 8.0), (90.0, 110.0), (12.0, 100.0)]
        );
    }

    #[test]
    fn fitted_lines_intersect_where_the_sides_meet() {
        let horizontal: Vec<(f64, f64)> = (0..50)
            .map(|i| (f64::from(i), 10.0 + f64::from(i) * 0.01))
            .collect();
        let vertical: Vec<(f64, f64)> = (0..50).map(|i| (20.0, f64::from(i))).collect();
        let (x, y) = intersect(
            &fit_line(&horizontal).expect("h"),
            &fit_line(&vertical).expect("v"),
        )
        .expect("cross");
        assert!(
            (x - 20.0).abs() < 1e-6 && (y - 10.2).abs() < 1e-6,
            "{x} {y}"
        );
    }

    #[test]
    fn skew_of_ruled_lines_is_measured() {
        let mut page = GrayImage::from_pixel(400, 560, Luma([250]));
        let slope = 2.0_f32.to_radians().tan();
        for line in 0..20 {
            let y0 = 60.0 + line as f32 * 22.0;
            imageproc::drawing::draw_line_segment_mut(
                &mut page,
                (40.0, y0),
                (360.0, y0 + 320.0 * slope),
                Luma([20]),
            );
        }
        let angle = text_skew_deg(&page);
        assert!((angle - 2.0).abs() <= 0.15, "measured {angle}");
    }

    #[test]
    fn tone_curve_whitens_paper_and_keeps_ink_dark() {
        assert_eq!(tone(240.0), 255);
        assert!(tone(40.0) < 30);
    }
}
