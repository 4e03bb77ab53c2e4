//! The document model: what a government notice is made of, independent of PDF.
//!
//! Hall paperwork (受理回执, 告知书, 材料清单) is a title, a few labelled fields, paragraphs, a
//! materials table, a QR code back to the case, and a page footer. A tiny block model covers all of
//! it and keeps templates readable as plain data; anything richer (HTML, a typesetting language)
//! would cost a heavy dependency and compile time on two-core CI machines for no visible gain.
//! [`render_pdf`] lays the blocks out on A4 pages (breaking paragraphs and tables across pages as
//! needed) and writes the PDF.

use crate::error::DocumentError;
use crate::font::CjkFonts;

/// A document to print on A4 paper.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Large, bold, centred at the top of the first page (e.g. `受理回执`).
    pub title: String,
    /// Smaller centred line under the title (e.g. the issuing hall's name).
    pub subtitle: Option<String>,
    /// The body, top to bottom.
    pub blocks: Vec<Block>,
    /// Small text at the bottom left of every page (e.g. the outlet and print time); the page
    /// number (`第 1 页 / 共 2 页`) is always printed at the bottom right.
    pub footer: Option<String>,
    /// Stored as the PDF's title metadata; defaults to `title` when empty.
    pub metadata_title: Option<String>,
}

/// One part of a document body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A bold section heading.
    Heading(String),
    /// Labelled values in two columns (`办件编号：…`); long values wrap within their column.
    Fields(Vec<Field>),
    /// Running text, wrapped to the page width; `\n` starts a new line. Set `indent` for the
    /// customary two-character first-line indent of Chinese prose.
    Paragraph {
        /// The text.
        text: String,
        /// Indent the first line by two full-width characters.
        indent: bool,
    },
    /// A ruled table whose rows may continue on the next page (the header row is repeated).
    Table(Table),
    /// A QR code (drawn as vector squares, so it stays sharp at any printer resolution) with a
    /// caption under it.
    Qr {
        /// The encoded text, usually a URL to the case.
        payload: String,
        /// A line under the code, e.g. `扫码查询办理进度`.
        caption: String,
    },
    /// Right-aligned lines, as in the closing of a notice (issuer, then date).
    Closing(Vec<String>),
    /// Vertical space in millimetres.
    Space(f32),
}

/// A label and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Printed in the left column, followed by a full-width colon.
    pub label: String,
    /// Printed in the right column.
    pub value: String,
}

impl Field {
    /// A field from anything string-like.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A table with a header row.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// The body rows; a row with fewer cells than columns is padded with empty cells, extra cells
    /// are ignored.
    pub rows: Vec<Vec<String>>,
}

/// A table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header text.
    pub header: String,
    /// Relative width; the columns share the page width in proportion.
    pub weight: f32,
    /// Centre the cells (numbers, short statuses) instead of aligning them left.
    pub centered: bool,
}

impl Column {
    /// A column with the given header and relative width.
    pub fn new(header: impl Into<String>, weight: f32, centered: bool) -> Self {
        Self {
            header: header.into(),
            weight,
            centered,
        }
    }
}

/// Lays out `document` on A4 pages and writes the PDF, with the fonts subset to the glyphs used.
pub fn render_pdf(document: &Document, fonts: &CjkFonts) -> Result<Vec<u8>, DocumentError> {
    let pages = crate::layout::lay_out(document, fonts)?;
    let title = document
        .metadata_title
        .as_deref()
        .unwrap_or(&document.title);
    crate::pdf::write(&pages, fonts, title)
}
