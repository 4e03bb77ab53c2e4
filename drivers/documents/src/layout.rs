//! Turns a [`Document`] into positioned text runs and filled rectangles on A4 pages.
//!
//! Layout is a single top-to-bottom pass with a cursor: each block asks for the height it needs
//! next and starts a new page when that would run into the bottom margin. Paragraphs and field
//! values break between lines, tables between rows (repeating the header row), QR codes never.
//! The result is a plain display list ([`Page`], [`Item`]) rather than PDF calls so that the page
//! count is known before footers (`第 1 页 / 共 2 页`) are added, and so tests can inspect the layout
//! without parsing a PDF.
//!
//! Line breaking follows what Chinese typesetting needs and nothing more: a line may break between
//! any two CJK characters, runs of Latin letters and digits (case numbers, URLs, English words)
//! stay together unless they are wider than the line, closing punctuation such as `，。）` never
//! starts a line (it hangs into the margin instead) and opening punctuation such as `（《` never
//! ends one. Widths are the font's real glyph advances.

use crate::document::{Block, Column, Document, Field, Table};
use crate::error::DocumentError;
use crate::font::{CjkFonts, FaceMetrics};

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;
pub(crate) const PAGE_WIDTH: f32 = 210.0 * MM;
pub(crate) const PAGE_HEIGHT: f32 = 297.0 * MM;
const MARGIN_X: f32 = 20.0 * MM;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
const CONTENT_TOP: f32 = 22.0 * MM;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 24.0 * MM;
const FOOTER_RULE_Y: f32 = PAGE_HEIGHT - 18.0 * MM;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 13.0 * MM;

const TITLE_SIZE: f32 = 20.0;
const SUBTITLE_SIZE: f32 = 11.0;
const HEADING_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 11.0;
const TABLE_SIZE: f32 = 10.5;
const FOOTER_SIZE: f32 = 9.0;
const BODY_LEADING: f32 = 1.7;
const TABLE_LEADING: f32 = 1.45;
const RULE: f32 = 0.6;
/// Side of the QR symbol itself (the white quiet zone around it is page background).
pub(crate) const QR_SIDE: f32 = 30.0 * MM;

const BLACK: u8 = 0x00;
const LABEL_GRAY: u8 = 0x40;
const RULE_GRAY: u8 = 0x33;
const HEADER_FILL: u8 = 0xE6;

/// A rectangle in points, origin at the top left of the page, y growing downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// Something drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A single line of text starting at `x` on the given baseline.
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        gray: u8,
        text: String,
    },
    /// Rectangles filled in one gray level (rules, cell shading, QR modules).
    Fill { rects: Vec<Rect>, gray: u8 },
}

/// One laid-out page.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub items: Vec<Item>,
}

impl Page {
    /// All text on the page in drawing order, for tests.
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.as_str()),
                Item::Fill { .. } => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Lays the document out and adds the footers.
pub(crate) fn lay_out(document: &Document, fonts: &CjkFonts) -> Result<Vec<Page>, DocumentError> {
    let metrics_error = || DocumentError::Pdf("font could not be parsed for measuring".into());
    let regular = fonts.regular.metrics().ok_or_else(metrics_error)?;
    let bold = fonts.bold.metrics().ok_or_else(metrics_error)?;
    let mut layout = Layout {
        regular,
        bold,
        pages: vec![Page::default()],
        y: CONTENT_TOP,
    };
    layout.title(&document.title, document.subtitle.as_deref());
    for block in &document.blocks {
        match block {
            Block::Heading(text) => layout.heading(text),
            Block::Fields(fields) => layout.fields(fields),
            Block::Paragraph { text, indent } => layout.paragraph(text, *indent),
            Block::Table(table) => layout.table(table),
            Block::Qr { payload, caption } => layout.qr(payload, caption)?,
            Block::Closing(lines) => layout.closing(lines),
            Block::Space(mm) => layout.y += mm.max(0.0) * MM,
        }
    }
    layout.footers(document.footer.as_deref());
    Ok(layout.pages)
}

struct Layout<'f> {
    regular: FaceMetrics<'f>,
    bold: FaceMetrics<'f>,
    pages: Vec<Page>,
    /// Top of the free space on the current page.
    y: f32,
}

impl Layout<'_> {
    fn metrics(&self, bold: bool) -> &FaceMetrics<'_> {
        if bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    fn current(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` still fits (or we are already at the top of a page, where
    /// breaking would only produce an empty page).
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > CONTENT_BOTTOM && self.y > CONTENT_TOP {
            self.pages.push(Page::default());
            self.y = CONTENT_TOP;
            return true;
        }
        false
    }

    fn text(&mut self, x: f32, baseline: f32, size: f32, bold: bool, gray: u8, text: String) {
        if text.is_empty() {
            return;
        }
        self.current().items.push(Item::Text {
            x,
            baseline,
            size,
            bold,
            gray,
            text,
        });
    }

    fn fill(&mut self, rects: Vec<Rect>, gray: u8) {
        if !rects.is_empty() {
            self.current().items.push(Item::Fill { rects, gray });
        }
    }

    /// Writes one line box of height `size * leading` at the cursor and advances.
    fn line(&mut self, x: f32, size: f32, leading: f32, bold: bool, gray: u8, text: String) {
        let height = size * leading;
        self.ensure(height);
        let baseline = self.y + baseline_offset(size, leading);
        self.text(x, baseline, size, bold, gray, text);
        self.y += height;
    }

    fn title(&mut self, title: &str, subtitle: Option<&str>) {
        for line in wrap(&self.bold, title, TITLE_SIZE, CONTENT_WIDTH, 0.0) {
            let x = centred_x(self.bold.width(&line, TITLE_SIZE));
            self.line(x, TITLE_SIZE, 1.5, true, BLACK, line);
        }
        if let Some(subtitle) = subtitle {
            for line in wrap(&self.regular, subtitle, SUBTITLE_SIZE, CONTENT_WIDTH, 0.0) {
                let x = centred_x(self.regular.width(&line, SUBTITLE_SIZE));
                self.line(x, SUBTITLE_SIZE, 1.5, false, LABEL_GRAY, line);
            }
        }
        self.y += 5.0 * MM;
    }

    fn heading(&mut self, text: &str) {
        self.y += 2.0 * MM;
        // Keep the heading with the first line of what follows it.
        self.ensure(HEADING_SIZE * 1.5 + BODY_SIZE * BODY_LEADING);
        for line in wrap(&self.bold, text, HEADING_SIZE, CONTENT_WIDTH, 0.0) {
            self.line(MARGIN_X, HEADING_SIZE, 1.5, true, BLACK, line);
        }
        self.y += 1.0 * MM;
    }

    fn fields(&mut self, fields: &[Field]) {
        let labels: Vec<String> = fields.iter().map(|f| format!("{}：", f.label)).collect();
        let label_width = labels
            .iter()
            .map(|l| self.regular.width(l, BODY_SIZE))
            .fold(0.0, f32::max)
            .min(CONTENT_WIDTH * 0.4);
        let value_x = MARGIN_X + label_width + 1.0 * MM;
        let value_width = CONTENT_WIDTH - label_width - 1.0 * MM;
        for (field, label) in fields.iter().zip(labels) {
            let lines = wrap(&self.regular, &field.value, BODY_SIZE, value_width, 0.0);
            let height = BODY_SIZE * BODY_LEADING;
            self.ensure(height);
            let baseline = self.y + baseline_offset(BODY_SIZE, BODY_LEADING);
            self.text(MARGIN_X, baseline, BODY_SIZE, false, LABEL_GRAY, label);
            if lines.is_empty() {
                self.y += height;
            }
            for (i, line) in lines.into_iter().enumerate() {
                if i == 0 {
                    self.text(value_x, baseline, BODY_SIZE, false, BLACK, line);
                    self.y += height;
                } else {
                    self.line(value_x, BODY_SIZE, BODY_LEADING, false, BLACK, line);
                }
            }
        }
        self.y += 2.0 * MM;
    }

    fn paragraph(&mut self, text: &str, indent: bool) {
        let indent = if indent { 2.0 * BODY_SIZE } else { 0.0 };
        for (i, line) in wrap(&self.regular, text, BODY_SIZE, CONTENT_WIDTH, indent)
            .into_iter()
            .enumerate()
        {
            let x = MARGIN_X + if i == 0 { indent } else { 0.0 };
            self.line(x, BODY_SIZE, BODY_LEADING, false, BLACK, line);
        }
        self.y += 2.0 * MM;
    }

    fn closing(&mut self, lines: &[String]) {
        self.y += 4.0 * MM;
        self.ensure(lines.len() as f32 * BODY_SIZE * BODY_LEADING);
        for line in lines {
            let width = self.regular.width(line, BODY_SIZE);
            let x = (MARGIN_X + CONTENT_WIDTH - width).max(MARGIN_X);
            self.line(x, BODY_SIZE, BODY_LEADING, false, BLACK, line.clone());
        }
    }

    fn table(&mut self, table: &Table) {
        if table.columns.is_empty() {
            return;
        }
        let total: f32 = table.columns.iter().map(|c| c.weight.max(0.0)).sum();
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|c| {
                if total > 0.0 {
                    CONTENT_WIDTH * c.weight.max(0.0) / total
                } else {
                    CONTENT_WIDTH / table.columns.len() as f32
                }
            })
            .collect();
        let header: Vec<String> = table.columns.iter().map(|c| c.header.clone()).collect();
        let header_height = self.row_height(&header, &widths, true);
        self.ensure(header_height + TABLE_SIZE * TABLE_LEADING + 2.0 * CELL_PAD_Y);
        self.row(&table.columns, &widths, &header, true);
        for row in &table.rows {
            let cells: Vec<String> = (0..table.columns.len())
                .map(|i| row.get(i).cloned().unwrap_or_default())
                .collect();
            let height = self.row_height(&cells, &widths, false);
            if self.ensure(height) {
                self.row(&table.columns, &widths, &header, true);
            }
            self.row(&table.columns, &widths, &cells, false);
        }
        self.y += 3.0 * MM;
    }

    fn cell_lines(&self, cells: &[String], widths: &[f32], bold: bool) -> Vec<Vec<String>> {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, w)| {
                wrap(
                    self.metrics(bold),
                    cell,
                    TABLE_SIZE,
                    w - 2.0 * CELL_PAD_X,
                    0.0,
                )
            })
            .collect()
    }

    fn row_height(&self, cells: &[String], widths: &[f32], bold: bool) -> f32 {
        let lines = self
            .cell_lines(cells, widths, bold)
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(1);
        lines as f32 * TABLE_SIZE * TABLE_LEADING + 2.0 * CELL_PAD_Y
    }

    fn row(&mut self, columns: &[Column], widths: &[f32], cells: &[String], header: bool) {
        let lines = self.cell_lines(cells, widths, header);
        let height = self.row_height(cells, widths, header);
        let top = self.y;
        if header {
            self.fill(
                vec![Rect {
                    x: MARGIN_X,
                    y: top,
                    w: CONTENT_WIDTH,
                    h: height,
                }],
                HEADER_FILL,
            );
        }
        let mut x = MARGIN_X;
        let mut rules = vec![
            Rect {
                x: MARGIN_X,
                y: top,
                w: CONTENT_WIDTH,
                h: RULE,
            },
            Rect {
                x: MARGIN_X,
                y: top + height - RULE,
                w: CONTENT_WIDTH,
                h: RULE,
            },
        ];
        for ((column, width), cell_lines) in columns.iter().zip(widths).zip(lines) {
            rules.push(Rect {
                x,
                y: top,
                w: RULE,
                h: height,
            });
            for (i, line) in cell_lines.into_iter().enumerate() {
                let line_top = top + CELL_PAD_Y + i as f32 * TABLE_SIZE * TABLE_LEADING;
                let baseline = line_top + baseline_offset(TABLE_SIZE, TABLE_LEADING);
                let line_x = if column.centered || header {
                    x + (width - self.metrics(header).width(&line, TABLE_SIZE)) / 2.0
                } else {
                    x + CELL_PAD_X
                };
                self.text(line_x, baseline, TABLE_SIZE, header, BLACK, line);
            }
            x += width;
        }
        rules.push(Rect {
            x: MARGIN_X + CONTENT_WIDTH - RULE,
            y: top,
            w: RULE,
            h: height,
        });
        self.fill(rules, RULE_GRAY);
        self.y += height;
    }

    fn qr(&mut self, payload: &str, caption: &str) -> Result<(), DocumentError> {
        let code =
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
                .map_err(|_| DocumentError::QrTooLong { len: payload.len() })?;
        let modules = code.width();
        let colors = code.to_colors();
        let module = QR_SIDE / modules as f32;
        let caption_height = TABLE_SIZE * 1.5;
        self.y += 2.0 * MM;
        self.ensure(QR_SIDE + 2.0 * MM + caption_height);
        let left = centred_x(QR_SIDE);
        let top = self.y;
        // One rectangle per horizontal run of dark modules keeps the path short; adjacent runs
        // touch exactly, so the code prints as solid black at any resolution.
        let mut rects = Vec::new();
        for (row, line) in colors.chunks(modules).enumerate() {
            let mut col = 0;
            while col < line.len() {
                if line[col] == qrcode::Color::Dark {
                    let start = col;
                    while col < line.len() && line[col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    rects.push(Rect {
                        x: left + start as f32 * module,
                        y: top + row as f32 * module,
                        w: (col - start) as f32 * module,
                        h: module,
                    });
                } else {
                    col += 1;
                }
            }
        }
        self.fill(rects, BLACK);
        self.y = top + QR_SIDE + 2.0 * MM;
        let x = centred_x(self.regular.width(caption, TABLE_SIZE));
        self.line(x, TABLE_SIZE, 1.5, false, LABEL_GRAY, caption.to_owned());
        self.y += 2.0 * MM;
        Ok(())
    }

    fn footers(&mut self, note: Option<&str>) {
        let total = self.pages.len();
        for index in 0..total {
            let number = format!("第 {} 页 / 共 {} 页", index + 1, total);
            let number_width = self.regular.width(&number, FOOTER_SIZE);
            let note = note
                .map(|n| {
                    truncate(
                        &self.regular,
                        n,
                        FOOTER_SIZE,
                        CONTENT_WIDTH - number_width - 6.0 * MM,
                    )
                })
                .unwrap_or_default();
            let page = &mut self.pages[index];
            page.items.push(Item::Fill {
                rects: vec![Rect {
                    x: MARGIN_X,
                    y: FOOTER_RULE_Y,
                    w: CONTENT_WIDTH,
                    h: 0.4,
                }],
                gray: 0x99,
            });
            if !note.is_empty() {
                page.items.push(Item::Text {
                    x: MARGIN_X,
                    baseline: FOOTER_BASELINE,
                    size: FOOTER_SIZE,
                    bold: false,
                    gray: LABEL_GRAY,
                    text: note,
                });
            }
            page.items.push(Item::Text {
                x: MARGIN_X + CONTENT_WIDTH - number_width,
                baseline: FOOTER_BASELINE,
                size: FOOTER_SIZE,
                bold: false,
                gray: LABEL_GRAY,
                text: number,
            });
        }
    }
}

const CELL_PAD_X: f32 = 1.5 * MM;
const CELL_PAD_Y: f32 = 1.0 * MM;

/// Distance from the top of a line box to the baseline: half the extra leading above, then Noto
/// CJK's ascent (0.88 em).
fn baseline_offset(size: f32, leading: f32) -> f32 {
    size * ((leading - 1.0) / 2.0 + 0.88)
}

fn centred_x(width: f32) -> f32 {
    MARGIN_X + ((CONTENT_WIDTH - width) / 2.0).max(0.0)
}

/// Shortens `text` with an ellipsis until it fits `width`.
fn truncate(metrics: &FaceMetrics<'_>, text: &str, size: f32, width: f32) -> String {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    if metrics.width(&text, size) <= width {
        return text;
    }
    let budget = width - metrics.width("…", size);
    let mut used = 0.0;
    let mut out = String::new();
    for ch in text.chars() {
        let w = metrics.glyph(ch).1 * size;
        if used + w > budget {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

/// Characters a line may break before or after on their own: CJK ideographs, kana, Hangul,
/// CJK and full-width punctuation.
fn breaks_anywhere(c: char) -> bool {
    matches!(u32::from(c),
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

/// Punctuation that must not start a line.
fn is_closing(c: char) -> bool {
    "，。、；：？！）》」』”’】〕〉…·%,.;:?!)]}".contains(c)
}

/// Punctuation that must not end a line.
fn is_opening(c: char) -> bool {
    "（《「『“‘【〔〈([{".contains(c)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum TokenKind {
    Space,
    Word,
}

/// Breaks `text` into lines no wider than `width` points (the first line `first_indent` less).
pub(crate) fn wrap(
    metrics: &FaceMetrics<'_>,
    text: &str,
    size: f32,
    width: f32,
    first_indent: f32,
) -> Vec<String> {
    let mut lines = Vec::new();
    for hard_line in text.lines() {
        let available = |lines: &Vec<String>| {
            if lines.is_empty() {
                width - first_indent
            } else {
                width
            }
        };
        let mut current: Vec<(String, f32, TokenKind)> = Vec::new();
        let mut current_width = 0.0;
        for (token, kind) in tokens(hard_line) {
            let token_width = metrics.width(&token, size);
            if kind == TokenKind::Space {
                if !current.is_empty() {
                    current.push((token, token_width, kind));
                    current_width += token_width;
                }
                continue;
            }
            let limit = available(&lines);
            let single_closing = token.chars().count() == 1 && token.chars().all(is_closing);
            if current_width + token_width <= limit || single_closing && !current.is_empty() {
                current.push((token, token_width, kind));
                current_width += token_width;
                continue;
            }
            // The token does not fit: finish the line, carrying an opening bracket over.
            let mut carried = Vec::new();
            if let Some(last) = current.last() {
                if last.2 == TokenKind::Word
                    && last.0.chars().count() == 1
                    && last.0.chars().all(is_opening)
                    && current.len() > 1
                {
                    carried.extend(current.pop());
                }
            }
            if !current.is_empty() {
                lines.push(join(&current));
            }
            current = carried;
            current_width = current.iter().map(|t| t.1).sum();
            let limit = available(&lines);
            if current_width + token_width <= limit {
                current.push((token, token_width, kind));
                current_width += token_width;
            } else {
                // Wider than a whole line (a long URL): break it between characters.
                for ch in token.chars() {
                    let w = metrics.glyph(ch).1 * size;
                    if current_width + w > available(&lines) && !current.is_empty() {
                        lines.push(join(&current));
                        current.clear();
                        current_width = 0.0;
                    }
                    current.push((ch.to_string(), w, TokenKind::Word));
                    current_width += w;
                }
            }
        }
        lines.push(join(&current));
    }
    // A trailing empty line from `lines()` semantics is meaningful only between paragraphs.
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

fn join(tokens: &[(String, f32, TokenKind)]) -> String {
    let mut end = tokens.len();
    while end > 0 && tokens[end - 1].2 == TokenKind::Space {
        end -= 1;
    }
    tokens[..end].iter().map(|t| t.0.as_str()).collect()
}

/// Splits a line into spaces, single CJK characters and runs of other characters (words).
fn tokens(line: &str) -> Vec<(String, TokenKind)> {
    let mut out: Vec<(String, TokenKind)> = Vec::new();
    let mut word = String::new();
    for ch in line.chars() {
        let ch = if ch == '\t' { ' ' } else { ch };
        if ch.is_control() {
            continue;
        }
        if ch.is_whitespace() || breaks_anywhere(ch) {
            if !word.is_empty() {
                out.push((std::mem::take(&mut word), TokenKind::Word));
            }
            let kind = if ch.is_whitespace() {
                TokenKind::Space
            } else {
                TokenKind::Word
            };
            out.push((ch.to_string(), kind));
        } else {
            word.push(ch);
        }
    }
    if !word.is_empty() {
        out.push((word, TokenKind::Word));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Block, Column, Document, Field, Table};

    fn fonts() -> CjkFonts {
        CjkFonts::system().expect("fonts-noto-cjk is installed")
    }

    #[test]
    fn chinese_wraps_between_any_characters_within_the_width() {
        let fonts = fonts();
        let m = fonts.regular.metrics().unwrap();
        let text =
            "申请人应当在收到本告知书之日起五个工作日内补齐补正下列材料逾期未补正的视为撤回申请";
        let lines = wrap(&m, text, 10.0, 100.0, 0.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), text);
        for line in &lines {
            assert!(m.width(line, 10.0) <= 100.0 + 0.01, "{line}");
        }
        assert_eq!(lines[0].chars().count(), 10);
    }

    #[test]
    fn latin_words_stay_together_and_spaces_break() {
        let fonts = fonts();
        let m = fonts.regular.metrics().unwrap();
        let lines = wrap(&m, "办件编号 BS2026112400017 已受理", 10.0, 110.0, 0.0);
        assert!(
            lines.iter().any(|l| l.contains("BS2026112400017")),
            "{lines:?}"
        );
        assert!(lines
            .iter()
            .all(|l| !l.starts_with(' ') && !l.ends_with(' ')));
    }

    #[test]
    fn closing_punctuation_never_starts_a_line_and_opening_never_ends_one() {
        let fonts = fonts();
        let m = fonts.regular.metrics().unwrap();
        // Exactly ten characters fit; the comma is the eleventh and must hang.
        let lines = wrap(&m, "一二三四五六七八九十，下一行", 10.0, 100.0, 0.0);
        assert_eq!(lines[0], "一二三四五六七八九十，");
        let lines = wrap(&m, "一二三四五六七八九（十）", 10.0, 100.0, 0.0);
        assert_eq!(lines[0], "一二三四五六七八九");
        assert_eq!(lines[1], "（十）");
    }

    #[test]
    fn overlong_urls_break_between_characters() {
        let fonts = fonts();
        let m = fonts.regular.metrics().unwrap();
        let url =
            "https://zwfw.example.gov.cn/case/BS2026112400017?token=abcdefghijklmnopqrstuvwxyz";
        let lines = wrap(&m, url, 10.0, 80.0, 0.0);
        assert!(lines.len() > 2);
        assert_eq!(lines.concat(), url);
    }

    #[test]
    fn first_line_indent_narrows_only_the_first_line() {
        let fonts = fonts();
        let m = fonts.regular.metrics().unwrap();
        let lines = wrap(&m, &"字".repeat(25), 10.0, 100.0, 20.0);
        assert_eq!(lines[0].chars().count(), 8);
        assert_eq!(lines[1].chars().count(), 10);
    }

    #[test]
    fn long_tables_continue_on_the_next_page_with_header_and_page_numbers() {
        let rows = (1..=60)
            .map(|i| {
                vec![
                    i.to_string(),
                    format!("材料{i}"),
                    "1".into(),
                    "已收取".into(),
                ]
            })
            .collect();
        let doc = Document {
            title: "材料清单".into(),
            blocks: vec![
                Block::Fields(vec![Field::new("办件编号", "BS1")]),
                Block::Table(Table {
                    columns: vec![
                        Column::new("序号", 1.0, true),
                        Column::new("材料名称", 5.0, false),
                        Column::new("份数", 1.0, true),
                        Column::new("状态", 1.5, true),
                    ],
                    rows,
                }),
            ],
            ..Document::default()
        };
        let pages = lay_out(&doc, &fonts()).unwrap();
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let second = pages[1].text();
        assert!(second.contains("材料名称"), "header repeated");
        assert!(second.contains("材料60"));
        assert!(!pages[0].text().contains("材料60"));
        assert!(pages[0]
            .text()
            .contains(&format!("第 1 页 / 共 {} 页", pages.len())));
        for page in &pages {
            for item in &page.items {
                if let Item::Text { baseline, text, .. } = item {
                    assert!(
                        *baseline < PAGE_HEIGHT - 10.0 * MM,
                        "{text} below the footer"
                    );
                    if !text.starts_with('第') {
                        assert!(*baseline <= CONTENT_BOTTOM, "{text} runs into the footer");
                    }
                }
            }
        }
    }
}
