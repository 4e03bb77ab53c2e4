//! PNG rendering of a job, so a person can see the ticket the kiosk would print.
//!
//! The picture follows the printer's geometry rather than a word processor's: one normal column is
//! 12 dots, Chinese characters are 24×24 dots, the default line pitch is 30 dots, `GS !` scales the
//! cell, and a QR module is `size` dots square. At the usual 203 dpi an 80 mm printer has 576
//! printable dots (48 columns) and a 58 mm one 384 (32 columns); pass that as `width_px`.
//!
//! Glyphs come from Debian's Noto Sans CJK collection (`fonts-noto-cjk`). The collection holds
//! ten faces; we pick *Noto Sans Mono CJK SC* by name (simplified-Chinese glyph forms, and Latin
//! letters exactly half an em wide like a printer's 12-dot font), falling back to *Noto Sans CJK
//! SC* and then to face 0. The font is read from disk, never embedded; when the file is missing the
//! error says which package to install. QR symbols are re-encoded from the payload with the
//! `qrcode` crate: we draw what a printer given these parameters would draw, not the bytes of an
//! image the printer received.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ab_glyph::{point, Font, FontVec, PxScale};
use banshi_escpos::Align;
use image::{Rgb, RgbImage};
use qrcode::{Color, EcLevel, QrCode};

use crate::parse::{CutKind, Op, QrEcl};
use crate::render::{char_columns, layout, PaperItem, Span};

/// Where Debian's `fonts-noto-cjk` puts the sans collection.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// Printable width of an 80 mm printer at 203 dpi.
pub const WIDTH_80MM_PX: u32 = 576;

/// Images are cut off below this height, so a job of a million feeds cannot eat the memory.
pub const MAX_HEIGHT_PX: u32 = 16_384;

/// Faces tried in order, by family name.
const PREFERRED_FACES: [&str; 2] = ["Noto Sans Mono CJK SC", "Noto Sans CJK SC"];

/// Dots per normal-width column.
const CELL: u32 = 12;
/// Dots per em (the height of the 24-dot font).
const EM: u32 = 24;
/// Default line pitch (`ESC 2`).
const LINE: u32 = 30;
/// Blank paper above and below the print.
const MARGIN: u32 = 16;
/// Ideographic ascent of Noto CJK: the baseline sits 0.88 em below the top of the em box.
const ASCENT: f32 = 0.88;
/// Light modules around a QR symbol, top and bottom.
const QR_QUIET: u32 = 4;

const INK: Rgb<u8> = Rgb([0, 0, 0]);
const PAPER: Rgb<u8> = Rgb([255, 255, 255]);

/// Why a PNG could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The CJK font file is not there or not readable.
    #[error("CJK font {path} cannot be read ({source}); install Debian's fonts-noto-cjk")]
    FontMissing {
        /// The path tried.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The file is there but no face in it could be parsed.
    #[error("{path} is not a usable TrueType/OpenType font or collection")]
    FontInvalid {
        /// The path tried.
        path: PathBuf,
    },
    /// The requested width is not a printer width.
    #[error("image width {0} px is outside 96..=4096")]
    InvalidWidth(u32),
    /// Encoding or writing the PNG failed.
    #[error("PNG encoding failed: {0}")]
    Image(#[from] image::ImageError),
}

/// A loaded CJK face.
pub struct PaperFont {
    font: FontVec,
    face: String,
}

impl std::fmt::Debug for PaperFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperFont")
            .field("face", &self.face)
            .finish()
    }
}

static DEFAULT_FONT: OnceLock<PaperFont> = OnceLock::new();

impl PaperFont {
    /// Loads a font file or collection, choosing the face as described in the module docs.
    pub fn load(path: &Path) -> Result<Self, RenderError> {
        let data = std::fs::read(path).map_err(|source| RenderError::FontMissing {
            path: path.to_owned(),
            source,
        })?;
        let invalid = || RenderError::FontInvalid {
            path: path.to_owned(),
        };
        let count = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
        let families: Vec<String> = (0..count)
            .map(|i| {
                ttf_parser::Face::parse(&data, i)
                    .ok()
                    .and_then(|face| {
                        face.names()
                            .into_iter()
                            .filter(|n| n.name_id == ttf_parser::name_id::FAMILY)
                            .find_map(|n| n.to_string())
                    })
                    .unwrap_or_default()
            })
            .collect();
        let index = PREFERRED_FACES
            .iter()
            .find_map(|want| families.iter().position(|f| f == want))
            .unwrap_or(0);
        let face = families.get(index).cloned().unwrap_or_default();
        let index = u32::try_from(index).map_err(|_| invalid())?;
        let font = FontVec::try_from_vec_and_index(data, index).map_err(|_| invalid())?;
        tracing::debug!(path = %path.display(), face, "loaded paper font");
        Ok(Self { font, face })
    }

    /// The font at [`DEFAULT_FONT_PATH`], loaded once per process.
    pub fn load_default() -> Result<&'static PaperFont, RenderError> {
        if let Some(font) = DEFAULT_FONT.get() {
            return Ok(font);
        }
        let font = Self::load(Path::new(DEFAULT_FONT_PATH))?;
        Ok(DEFAULT_FONT.get_or_init(|| font))
    }

    /// Family name of the chosen face.
    pub fn face_name(&self) -> &str {
        &self.face
    }
}

/// Renders the paper with the default font. `width_px` is the printable width in dots (576 for
/// 80 mm, 384 for 58 mm).
pub fn render_png(ops: &[Op], width_px: u32) -> Result<RgbImage, RenderError> {
    render_png_with_font(ops, width_px, PaperFont::load_default()?)
}

/// Renders the paper with the given font.
pub fn render_png_with_font(
    ops: &[Op],
    width_px: u32,
    font: &PaperFont,
) -> Result<RgbImage, RenderError> {
    if !(96..=4096).contains(&width_px) {
        return Err(RenderError::InvalidWidth(width_px));
    }
    let columns = u16::try_from(width_px / CELL).unwrap_or(u16::MAX);
    let items: Vec<(PaperItem, Option<QrCode>)> = layout(ops, columns)
        .into_iter()
        .map(|item| {
            let code = match &item {
                PaperItem::Qr { data, ecl, .. } => {
                    QrCode::with_error_correction_level(data.as_bytes(), ec_level(*ecl)).ok()
                }
                _ => None,
            };
            (item, code)
        })
        .collect();
    let total: u64 = items
        .iter()
        .map(|(item, code)| u64::from(item_height(item, code.as_ref())))
        .sum::<u64>()
        + u64::from(2 * MARGIN);
    let height = u32::try_from(total)
        .unwrap_or(MAX_HEIGHT_PX)
        .min(MAX_HEIGHT_PX);
    let mut img = RgbImage::from_pixel(width_px, height, PAPER);
    let mut y = MARGIN;
    for (item, code) in &items {
        if y >= height {
            break;
        }
        let h = item_height(item, code.as_ref());
        match item {
            PaperItem::Line { align, spans } => {
                draw_line(&mut img, font, *align, spans, columns, y, h)
            }
            PaperItem::Qr {
                align, size, data, ..
            } => match code {
                Some(code) => draw_qr(&mut img, code, *align, u32::from(*size), y),
                None => {
                    let span = Span {
                        text: format!("[QR cannot be encoded: {} bytes]", data.len()),
                        bold: false,
                        width: 1,
                        height: 1,
                    };
                    draw_line(&mut img, font, *align, &[span], columns, y, h);
                }
            },
            PaperItem::Cut { mode } => draw_cut(&mut img, *mode, y + h / 2),
        }
        y = y.saturating_add(h);
    }
    Ok(img)
}

fn ec_level(ecl: QrEcl) -> EcLevel {
    match ecl {
        QrEcl::L => EcLevel::L,
        QrEcl::M => EcLevel::M,
        QrEcl::Q => EcLevel::Q,
        QrEcl::H => EcLevel::H,
    }
}

fn item_height(item: &PaperItem, code: Option<&QrCode>) -> u32 {
    match (item, code) {
        (PaperItem::Line { spans, .. }, _) => {
            let h = spans.iter().map(|s| u32::from(s.height)).max().unwrap_or(1);
            LINE.max(EM * h + LINE - EM)
        }
        (PaperItem::Qr { size, .. }, Some(code)) => {
            let modules = u32::try_from(code.width()).unwrap_or(u32::MAX);
            modules
                .saturating_add(2 * QR_QUIET)
                .saturating_mul(u32::from(*size))
        }
        (PaperItem::Qr { .. }, None) => LINE,
        (PaperItem::Cut { .. }, _) => EM,
    }
}

fn left_edge(align: Align, used: u32, width: u32) -> u32 {
    match align {
        Align::Left => 0,
        Align::Center => width.saturating_sub(used) / 2,
        Align::Right => width.saturating_sub(used),
    }
}

fn draw_line(
    img: &mut RgbImage,
    font: &PaperFont,
    align: Align,
    spans: &[Span],
    columns: u16,
    top: u32,
    line_h: u32,
) {
    let used: u32 = spans.iter().map(|s| u32::from(s.columns())).sum();
    let mut x = left_edge(align, used, u32::from(columns)) * CELL;
    let k = font
        .font
        .units_per_em()
        .map_or(1.0, |upem| font.font.height_unscaled() / upem);
    let bottom = top + line_h - (LINE - EM);
    for span in spans {
        let (w, h) = (u32::from(span.width), u32::from(span.height));
        let scale = PxScale {
            x: (EM * w) as f32 * k,
            y: (EM * h) as f32 * k,
        };
        let baseline = (bottom - EM * h) as f32 + ASCENT * (EM * h) as f32;
        for c in span.text.chars() {
            let advance = u32::from(char_columns(c)) * CELL * w;
            if c != ' ' {
                let offsets: &[u32] = if span.bold { &[0, w] } else { &[0] };
                for dx in offsets {
                    let glyph = font
                        .font
                        .glyph_id(c)
                        .with_scale_and_position(scale, point((x + dx) as f32, baseline));
                    if let Some(outline) = font.font.outline_glyph(glyph) {
                        let bounds = outline.px_bounds();
                        outline.draw(|gx, gy, coverage| {
                            let px = bounds.min.x as i64 + i64::from(gx);
                            let py = bounds.min.y as i64 + i64::from(gy);
                            ink(img, px, py, coverage);
                        });
                    }
                }
            }
            x += advance;
        }
    }
}

fn ink(img: &mut RgbImage, x: i64, y: i64, coverage: f32) {
    let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) else {
        return;
    };
    if x >= img.width() || y >= img.height() {
        return;
    }
    let level = (255.0 * (1.0 - coverage.clamp(0.0, 1.0))) as u8;
    let p = img.get_pixel_mut(x, y);
    for ch in p.0.iter_mut() {
        *ch = (*ch).min(level);
    }
}

fn draw_qr(img: &mut RgbImage, code: &QrCode, align: Align, size: u32, top: u32) {
    let modules = code.width();
    let side = u32::try_from(modules)
        .unwrap_or(u32::MAX)
        .saturating_mul(size);
    let x0 = left_edge(align, side, img.width());
    let y0 = top + QR_QUIET * size;
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color != Color::Dark {
            continue;
        }
        let (mx, my) = ((i % modules) as u32, (i / modules) as u32);
        for dy in 0..size {
            for dx in 0..size {
                let (x, y) = (x0 + mx * size + dx, y0 + my * size + dy);
                if x < img.width() && y < img.height() {
                    img.put_pixel(x, y, INK);
                }
            }
        }
    }
}

fn draw_cut(img: &mut RgbImage, mode: CutKind, y: u32) {
    if y + 1 >= img.height() {
        return;
    }
    for x in 0..img.width() {
        // Full cut: a solid line; partial cut: a dashed one.
        let on = match mode {
            CutKind::Full => true,
            CutKind::Partial => x % 12 < 7,
        };
        if on {
            img.put_pixel(x, y, INK);
            img.put_pixel(x, y + 1, INK);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;
    use banshi_escpos::{encode, EncodeOptions, Slip, SlipLine, TextSize};

    fn ticket() -> Vec<Op> {
        let slip = Slip::new()
            .push(SlipLine::Text {
                text: "海口市龙华区政务服务中心".into(),
                align: Align::Center,
                bold: true,
                size: TextSize::Normal,
            })
            .push(SlipLine::Separator)
            .push(SlipLine::Text {
                text: "A023".into(),
                align: Align::Center,
                bold: true,
                size: TextSize::Quad,
            })
            .push(SlipLine::text("个人业务", Align::Center))
            .push(SlipLine::text("前面还有 3 人", Align::Center))
            .push(SlipLine::Qr {
                data: "https://example.invalid/t/abc".into(),
                module_size: 6,
            });
        parse(&encode(&slip, &EncodeOptions::default()).unwrap())
    }

    #[test]
    fn missing_font_is_a_clear_error() {
        let err = PaperFont::load(Path::new("/nonexistent/NotoSansCJK.ttc")).unwrap_err();
        assert!(err.to_string().contains("fonts-noto-cjk"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let bogus = dir.path().join("bogus.ttc");
        std::fs::write(&bogus, b"not a font").unwrap();
        assert!(matches!(
            PaperFont::load(&bogus),
            Err(RenderError::FontInvalid { .. })
        ));
    }

    #[test]
    fn picks_the_simplified_chinese_mono_face() {
        let font = PaperFont::load_default().unwrap();
        assert_eq!(font.face_name(), "Noto Sans Mono CJK SC");
    }

    #[test]
    fn ticket_png_has_printer_width_and_sane_height() {
        let img = render_png(&ticket(), WIDTH_80MM_PX).unwrap();
        assert_eq!(img.width(), 576);
        assert!((300..2000).contains(&img.height()), "{}", img.height());
        let dark = img.pixels().filter(|p| p.0[0] < 128).count();
        assert!(dark > 5_000, "only {dark} dark pixels");
        if let Ok(dir) = std::env::var("BANSHI_ESCPOS_PNG_DIR") {
            img.save(Path::new(&dir).join("ticket.png")).unwrap();
        }
    }

    #[test]
    fn qr_in_the_png_decodes_with_rqrr() {
        let img = render_png(&ticket(), WIDTH_80MM_PX).unwrap();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            img.width() as usize,
            img.height() as usize,
            |x, y| img.get_pixel(x as u32, y as u32).0[0],
        );
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, "https://example.invalid/t/abc");
    }

    #[test]
    fn hostile_input_is_bounded() {
        assert!(matches!(
            render_png(&[], 10),
            Err(RenderError::InvalidWidth(10))
        ));
        let feeds = vec![Op::Feed(255); 10_000];
        let img = render_png(&feeds, 384).unwrap();
        assert_eq!(img.height(), MAX_HEIGHT_PX);
        let huge_qr = vec![Op::Qr {
            model: crate::parse::QrModel::Model2,
            size: 16,
            ecl: QrEcl::H,
            data: "x".repeat(3000),
        }];
        let img = render_png(&huge_qr, 384).unwrap();
        assert_eq!(img.width(), 384);
    }
}
