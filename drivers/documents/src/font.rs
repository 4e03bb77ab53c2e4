//! Finding, loading and measuring the CJK font every document is set in.
//!
//! Government notices are Chinese text, so one font has to carry everything: Noto Sans CJK SC
//! (Debian `fonts-noto-cjk`), which also has Latin letters and digits. Debian ships it only inside
//! two ~20 MB TrueType collections (Regular and Bold) holding the JP/KR/SC/TC/HK faces, so we pick
//! the face whose family name is `Noto Sans CJK SC` rather than trusting an index that differs
//! between font releases.
//!
//! Reading and parsing 40 MB per document would dominate generation time, so [`CjkFonts`] reads the
//! files once and is cheap to clone (the bytes and the parsed `krilla` fonts sit behind `Arc`s);
//! [`CjkFonts::system`] additionally keeps one process-wide copy. krilla subsets the font when the
//! PDF is written, so a one-page receipt carries only the few hundred glyphs it uses.
//!
//! Measuring uses `ttf-parser` on the same bytes: mapping a character to a glyph and reading its
//! advance is all the line breaker needs (no shaping: Chinese has no ligatures or contextual forms
//! that matter for notices, and a `Face` borrows the bytes, so parsing one per document is cheap).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::error::DocumentError;

/// The family we look for inside collections.
const SC_FAMILY: &str = "Noto Sans CJK SC";

/// Where distributions put the Noto CJK collections (Debian/Ubuntu first: that is what halls run).
const REGULAR_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
];
const BOLD_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
];

/// One face of a font file: the shared bytes, its index in the collection, and krilla's handle.
#[derive(Clone)]
pub(crate) struct FontFace {
    data: Arc<Vec<u8>>,
    index: u32,
    pdf_font: krilla::text::Font,
}

impl std::fmt::Debug for FontFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontFace")
            .field("bytes", &self.data.len())
            .field("index", &self.index)
            .finish()
    }
}

impl FontFace {
    fn load(path: &Path) -> Result<Self, DocumentError> {
        let data = std::fs::read(path).map_err(|source| DocumentError::FontUnreadable {
            path: path.to_owned(),
            source,
        })?;
        let invalid = || DocumentError::FontInvalid {
            path: path.to_owned(),
        };
        let index = pick_sc_face(&data).ok_or_else(invalid)?;
        let data = Arc::new(data);
        let pdf_font =
            krilla::text::Font::new(krilla::Data::from(data.clone()), index).ok_or_else(invalid)?;
        Ok(Self {
            data,
            index,
            pdf_font,
        })
    }

    /// Parses the face for measuring. Only fails if the bytes changed under us, which they cannot
    /// (they were validated in [`FontFace::load`] and are immutable behind the `Arc`).
    pub(crate) fn metrics(&self) -> Option<FaceMetrics<'_>> {
        let face = ttf_parser::Face::parse(&self.data, self.index).ok()?;
        Some(FaceMetrics {
            units_per_em: f32::from(face.units_per_em()),
            face,
        })
    }

    pub(crate) fn pdf_font(&self) -> krilla::text::Font {
        self.pdf_font.clone()
    }
}

/// Glyph lookup and advances of one parsed face.
pub(crate) struct FaceMetrics<'a> {
    face: ttf_parser::Face<'a>,
    units_per_em: f32,
}

impl FaceMetrics<'_> {
    /// Glyph id and advance (in em) of a character; unknown characters get glyph 0 (the "tofu"
    /// box), which is still better than silently dropping part of a name.
    pub(crate) fn glyph(&self, ch: char) -> (u16, f32) {
        let gid = self.face.glyph_index(ch).unwrap_or(ttf_parser::GlyphId(0));
        let advance = self.face.glyph_hor_advance(gid).unwrap_or(0);
        (gid.0, f32::from(advance) / self.units_per_em)
    }

    /// Width of a string in points at `size`.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// Picks the Simplified Chinese face of a collection by family name; a single font file (or a
/// collection without an SC face, e.g. a configured custom font) uses its first face.
fn pick_sc_face(data: &[u8]) -> Option<u32> {
    let count = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    let mut first_valid = None;
    for index in 0..count {
        let Ok(face) = ttf_parser::Face::parse(data, index) else {
            continue;
        };
        first_valid.get_or_insert(index);
        let is_sc = face.names().into_iter().any(|name| {
            matches!(
                name.name_id,
                ttf_parser::name_id::FAMILY | ttf_parser::name_id::TYPOGRAPHIC_FAMILY
            ) && name.to_string().is_some_and(|family| family == SC_FAMILY)
        });
        if is_sc {
            return Some(index);
        }
    }
    first_valid
}

/// The regular and bold CJK faces documents are set in. Cheap to clone; load once and share.
#[derive(Debug, Clone)]
pub struct CjkFonts {
    pub(crate) regular: FontFace,
    pub(crate) bold: FontFace,
}

impl CjkFonts {
    /// Loads Noto Sans CJK SC from the usual system locations. The bold face is optional: without
    /// it, headings are set in the regular weight.
    ///
    /// Fails with `document.no_cjk_font` when no regular face is installed.
    pub fn discover() -> Result<Self, DocumentError> {
        Self::discover_among(REGULAR_CANDIDATES, BOLD_CANDIDATES)
    }

    fn discover_among(
        regular_candidates: &[&str],
        bold_candidates: &[&str],
    ) -> Result<Self, DocumentError> {
        let existing = |candidates: &[&str]| {
            candidates
                .iter()
                .map(Path::new)
                .find(|p| p.is_file())
                .map(Path::to_path_buf)
        };
        let Some(regular) = existing(regular_candidates) else {
            return Err(DocumentError::NoCjkFont {
                searched: regular_candidates.iter().map(PathBuf::from).collect(),
            });
        };
        let bold = existing(bold_candidates);
        Self::from_paths(&regular, bold.as_deref())
    }

    /// Loads the fonts from explicit files (a profile may configure another font). Collections use
    /// their `Noto Sans CJK SC` face if they have one, else their first face.
    pub fn from_paths(regular: &Path, bold: Option<&Path>) -> Result<Self, DocumentError> {
        let regular = FontFace::load(regular)?;
        let bold = match bold {
            Some(path) => FontFace::load(path)?,
            None => regular.clone(),
        };
        tracing::debug!(
            regular_index = regular.index,
            bold_index = bold.index,
            "loaded CJK fonts"
        );
        Ok(Self { regular, bold })
    }

    /// The process-wide system fonts, loaded by the first successful call and shared afterwards.
    /// A failure is not cached, so installing the font package later fixes a running terminal.
    pub fn system() -> Result<Self, DocumentError> {
        static SYSTEM: OnceLock<CjkFonts> = OnceLock::new();
        if let Some(fonts) = SYSTEM.get() {
            return Ok(fonts.clone());
        }
        let fonts = Self::discover()?;
        Ok(SYSTEM.get_or_init(|| fonts).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_font_is_the_simplified_chinese_face() {
        let fonts = CjkFonts::system().expect("fonts-noto-cjk is installed");
        let face = ttf_parser::Face::parse(&fonts.regular.data, fonts.regular.index).unwrap();
        let families: Vec<String> = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::FAMILY)
            .filter_map(|n| n.to_string())
            .collect();
        assert!(families.iter().any(|f| f == SC_FAMILY), "{families:?}");
        // The JP face comes first in Debian's collection, so index 0 would have been wrong.
        assert_ne!(fonts.regular.index, 0);
    }

    #[test]
    fn chinese_glyphs_are_full_width_and_latin_narrower() {
        let fonts = CjkFonts::system().unwrap();
        let m = fonts.regular.metrics().unwrap();
        let (gid, han) = m.glyph('办');
        assert_ne!(gid, 0);
        assert!((han - 1.0).abs() < 0.01, "{han}");
        assert!(m.glyph('i').1 < 0.5);
        assert!((m.width("受理回执", 10.0) - 40.0).abs() < 0.5);
    }

    #[test]
    fn no_installed_font_gives_the_no_cjk_font_code() {
        use banshi_core::ErrorCode;
        let err =
            CjkFonts::discover_among(&["/nonexistent/NotoSansCJK-Regular.ttc"], &[]).unwrap_err();
        assert_eq!(err.code(), "document.no_cjk_font");
    }

    #[test]
    fn missing_font_file_is_reported_with_its_path() {
        let err = CjkFonts::from_paths(Path::new("/nonexistent/font.ttc"), None).unwrap_err();
        assert!(matches!(err, DocumentError::FontUnreadable { .. }), "{err}");
    }

    #[test]
    fn a_non_font_file_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-font.ttc");
        std::fs::write(&path, b"definitely not OpenType").unwrap();
        let err = CjkFonts::from_paths(&path, None).unwrap_err();
        assert!(matches!(err, DocumentError::FontInvalid { .. }), "{err}");
    }
}
