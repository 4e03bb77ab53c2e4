//! Multi-page PDFs from scanned JPEG pages (the document camera's output).
//!
//! The camera pipeline already produced well-compressed JPEGs; decoding and re-encoding them would
//! lose quality and time for nothing. PDF can carry JPEG data as-is (`/DCTDecode`), so each page's
//! bytes go into the file unchanged and the PDF is barely larger than the images. Only the JPEG
//! header is parsed, for the pixel size and colour space.

use std::sync::Arc;

use krilla::geom::{Point, Size, Transform};
use krilla::image::Image;
use krilla::page::PageSettings;

use crate::error::DocumentError;
use crate::layout::{MM, PAGE_HEIGHT, PAGE_WIDTH};

/// How big a scanned page is on paper.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum PageSize {
    /// An A4 sheet (portrait, or landscape when the image is wider than tall); the image is scaled
    /// to fit inside and centred. Right for document-camera scans whose DPI is not calibrated.
    #[default]
    A4,
    /// The page is exactly the image at this resolution (pixels per inch), as a flatbed scan.
    Dpi(f32),
}

/// One scanned page.
#[derive(Debug, Clone, PartialEq)]
pub struct JpegPage {
    /// The JPEG file's bytes (baseline or progressive; grey, RGB or CMYK).
    pub jpeg: Arc<Vec<u8>>,
    /// The page size.
    pub size: PageSize,
}

impl JpegPage {
    /// A page placed on A4.
    pub fn a4(jpeg: impl Into<Arc<Vec<u8>>>) -> Self {
        Self {
            jpeg: jpeg.into(),
            size: PageSize::A4,
        }
    }
}

/// Builds one PDF with a page per JPEG, embedding the JPEG bytes unchanged.
pub fn pdf_from_jpeg_pages(pages: &[JpegPage]) -> Result<Vec<u8>, DocumentError> {
    if pages.is_empty() {
        return Err(DocumentError::InvalidPage("no pages to assemble".into()));
    }
    let mut document = krilla::Document::new();
    document
        .set_metadata(krilla::metadata::Metadata::new().creator(crate::pdf::CREATOR.to_owned()));
    for (index, page) in pages.iter().enumerate() {
        let bad = |reason: String| DocumentError::BadJpeg {
            page: index,
            reason,
        };
        // krilla only reads the header here; the check keeps a PNG passed by mistake from being
        // mislabelled, since the header parser alone accepts some non-JPEG data.
        if !page.jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err(bad("missing JPEG start-of-image marker".into()));
        }
        let image = Image::from_jpeg(krilla::Data::from(page.jpeg.clone()), true).map_err(bad)?;
        let (px_w, px_h) = image.size();
        if px_w == 0 || px_h == 0 {
            return Err(bad("image has no pixels".into()));
        }
        let (px_w, px_h) = (px_w as f32, px_h as f32);
        let (page_w, page_h, draw_w, draw_h) = match page.size {
            PageSize::Dpi(dpi) if dpi.is_finite() && dpi > 0.0 => {
                let (w, h) = (px_w / dpi * 72.0, px_h / dpi * 72.0);
                (w, h, w, h)
            }
            PageSize::Dpi(dpi) => {
                return Err(DocumentError::InvalidPage(format!(
                    "page {index}: resolution {dpi} dpi is not positive"
                )))
            }
            PageSize::A4 => {
                let (w, h) = if px_w > px_h {
                    (PAGE_HEIGHT, PAGE_WIDTH)
                } else {
                    (PAGE_WIDTH, PAGE_HEIGHT)
                };
                let scale = (w / px_w).min(h / px_h);
                (w, h, px_w * scale, px_h * scale)
            }
        };
        // PDF viewers limit pages to 200 inches; beyond that the DPI was surely wrong.
        if page_w > 14_400.0 || page_h > 14_400.0 || page_w < MM || page_h < MM {
            return Err(DocumentError::InvalidPage(format!(
                "page {index}: {page_w:.0}×{page_h:.0} pt is not a printable size"
            )));
        }
        let settings = PageSettings::from_wh(page_w, page_h)
            .ok_or_else(|| DocumentError::InvalidPage(format!("page {index}: invalid size")))?;
        let draw = Size::from_wh(draw_w, draw_h)
            .ok_or_else(|| DocumentError::InvalidPage(format!("page {index}: invalid size")))?;
        let mut pdf_page = document.start_page_with(settings);
        let mut surface = pdf_page.surface();
        let origin = Point::from_xy((page_w - draw_w) / 2.0, (page_h - draw_h) / 2.0);
        surface.push_transform(&Transform::from_translate(origin.x, origin.y));
        surface.draw_image(image, draw);
        surface.pop();
        surface.finish();
        pdf_page.finish();
    }
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}
