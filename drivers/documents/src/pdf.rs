//! Writes laid-out pages as PDF through `krilla`.
//!
//! krilla (the PDF backend of Typst) was chosen because it embeds fonts by (bytes, face index),
//! which is what a TrueType collection such as Debian's NotoSansCJK-Regular.ttc needs, and because
//! it subsets CFF-flavoured OpenType fonts: the embedded font holds only the glyphs a document
//! uses, so a receipt is tens of kilobytes rather than the 20 MB collection. Text is drawn as
//! glyph runs with their source text attached, so krilla writes a `ToUnicode` map and the
//! printed Chinese can be searched and extracted (`pdftotext`) from the archived copy.
//!
//! Output is deterministic (no creation date, no random document id), so the same receipt always
//! produces the same bytes and the same content hash when stored as a case material.

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use crate::error::DocumentError;
use crate::font::{CjkFonts, FaceMetrics};
use crate::layout::{Item, Page, Rect, PAGE_HEIGHT, PAGE_WIDTH};

/// The producer string stored in every PDF we write.
pub(crate) const CREATOR: &str = "Banshi";

pub(crate) fn write(
    pages: &[Page],
    fonts: &CjkFonts,
    title: &str,
) -> Result<Vec<u8>, DocumentError> {
    let metrics_error = || DocumentError::Pdf("font could not be parsed for measuring".into());
    let regular = fonts.regular.metrics().ok_or_else(metrics_error)?;
    let bold = fonts.bold.metrics().ok_or_else(metrics_error)?;
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| DocumentError::Pdf("invalid A4 page size".into()))?;

    let mut document = krilla::Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .creator(CREATOR.to_owned())
            .language("zh-CN".to_owned()),
    );
    for page in pages {
        let mut pdf_page = document.start_page_with(settings.clone());
        let mut surface = pdf_page.surface();
        for item in &page.items {
            match item {
                Item::Text {
                    x,
                    baseline,
                    size,
                    bold: is_bold,
                    gray,
                    text,
                } => {
                    let (metrics, face) = if *is_bold {
                        (&bold, &fonts.bold)
                    } else {
                        (&regular, &fonts.regular)
                    };
                    set_gray(&mut surface, *gray);
                    surface.draw_glyphs(
                        Point::from_xy(*x, *baseline),
                        &glyphs(metrics, text),
                        face.pdf_font(),
                        text,
                        *size,
                        false,
                    );
                }
                Item::Fill { rects, gray } => fill_rects(&mut surface, rects, *gray),
            }
        }
        surface.finish();
        pdf_page.finish();
    }
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

/// One glyph per character, each mapped back to its bytes in `text` for `ToUnicode`.
fn glyphs(metrics: &FaceMetrics<'_>, text: &str) -> Vec<KrillaGlyph> {
    text.char_indices()
        .map(|(start, ch)| {
            let (gid, advance) = metrics.glyph(ch);
            KrillaGlyph::new(
                GlyphId::new(u32::from(gid)),
                advance,
                0.0,
                0.0,
                0.0,
                start..start + ch.len_utf8(),
                None,
            )
        })
        .collect()
}

pub(crate) fn set_gray(surface: &mut Surface<'_>, gray: u8) {
    surface.set_fill(Some(Fill {
        paint: luma::Color::new(gray).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }));
}

fn fill_rects(surface: &mut Surface<'_>, rects: &[Rect], gray: u8) {
    let mut path = PathBuilder::new();
    for r in rects {
        if let Some(rect) = krilla::geom::Rect::from_xywh(r.x, r.y, r.w, r.h) {
            path.push_rect(rect);
        }
    }
    if let Some(path) = path.finish() {
        set_gray(surface, gray);
        surface.draw_path(&path);
    }
}
