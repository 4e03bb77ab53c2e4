//! What the paper looks like: a layout model shared by the text and PNG renderers.
//!
//! [`layout`] replays the ops the way a printer does: styles are state, text collects in a line
//! buffer, `LF` / `ESC d n` print the buffer, a line wider than the paper wraps, `ESC a` applies to
//! the line being started, QR codes and cuts print the pending line first. Character widths follow
//! the printer, not Unicode: in the 12×24 font an ASCII character is one column and every
//! double-byte (GB18030) character two, both multiplied by the `GS !` width.
//!
//! [`render_text`] is the human- and test-readable form of a job: centred text is centred with
//! spaces, QR codes show as `[QR: data]` and cuts as `--- cut ---`.

use banshi_escpos::Align;

use crate::parse::{CutKind, Op, QrEcl, QrModel};

/// Columns of 80 mm paper in the normal font.
pub const DEFAULT_COLUMNS: u16 = 48;

/// Tab stops every 8 normal-width columns, the ESC/POS default.
const TAB: u16 = 8;

/// A run of text with one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text (tabs already expanded).
    pub text: String,
    /// Emphasised.
    pub bold: bool,
    /// Width multiplier.
    pub width: u8,
    /// Height multiplier.
    pub height: u8,
}

impl Span {
    /// Columns this span occupies.
    pub fn columns(&self) -> u16 {
        self.text.chars().map(char_columns).sum::<u16>() * u16::from(self.width)
    }
}

/// One printed element, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaperItem {
    /// A printed line; no spans means a blank line.
    Line {
        /// Alignment in force when the line started.
        align: Align,
        /// The styled runs.
        spans: Vec<Span>,
    },
    /// A QR symbol.
    Qr {
        /// Alignment in force.
        align: Align,
        /// Symbol model.
        model: QrModel,
        /// Module size in dots.
        size: u8,
        /// Error correction level.
        ecl: QrEcl,
        /// Payload.
        data: String,
    },
    /// A cut.
    Cut {
        /// Full or partial.
        mode: CutKind,
    },
}

/// Columns a character takes in the normal font: 1 for ASCII, 2 for anything printed from the
/// double-byte set.
pub fn char_columns(c: char) -> u16 {
    if c.is_ascii() {
        1
    } else {
        2
    }
}

/// Lays ops out on paper `columns` wide (48 for 80 mm, 32 for 58 mm), wrapping long lines.
pub fn layout(ops: &[Op], columns: u16) -> Vec<PaperItem> {
    layout_impl(ops, Some(columns.max(1)))
}

/// The printed text lines without wrapping or padding (blank lines included, QR codes and cuts
/// left out): what a test compares with the slip it encoded.
pub fn text_lines(ops: &[Op]) -> Vec<String> {
    layout_impl(ops, None)
        .into_iter()
        .filter_map(|item| match item {
            PaperItem::Line { spans, .. } => Some(spans.into_iter().map(|s| s.text).collect()),
            _ => None,
        })
        .collect()
}

/// Plain-text rendering of 80 mm paper. See [`render_text_columns`].
pub fn render_text(ops: &[Op]) -> String {
    render_text_columns(ops, DEFAULT_COLUMNS)
}

/// Plain-text rendering: one text line per printed line, aligned with spaces within `columns`,
/// `[QR: data]` for QR codes, `--- cut ---` for cuts; trailing spaces trimmed; ends with `\n`
/// unless empty.
pub fn render_text_columns(ops: &[Op], columns: u16) -> String {
    let mut out = String::new();
    let place = |out: &mut String, align: Align, text: &str, width: u16| {
        let pad = match align {
            Align::Left => 0,
            Align::Center => columns.saturating_sub(width) / 2,
            Align::Right => columns.saturating_sub(width),
        };
        let line = format!("{}{}", " ".repeat(usize::from(pad)), text);
        out.push_str(line.trim_end());
        out.push('\n');
    };
    for item in layout(ops, columns) {
        match item {
            PaperItem::Line { align, spans } => {
                let width = spans.iter().map(Span::columns).sum();
                let text: String = spans.iter().map(|s| s.text.as_str()).collect();
                place(&mut out, align, &text, width);
            }
            PaperItem::Qr { align, data, .. } => {
                let label = format!("[QR: {data}]");
                let width = label.chars().map(char_columns).sum();
                place(&mut out, align, &label, width);
            }
            PaperItem::Cut { .. } => out.push_str("--- cut ---\n"),
        }
    }
    out
}

struct Layout {
    wrap: Option<u16>,
    items: Vec<PaperItem>,
    align: Align,
    bold: bool,
    width: u8,
    height: u8,
    line_align: Option<Align>,
    spans: Vec<Span>,
    line_cols: u16,
}

fn layout_impl(ops: &[Op], wrap: Option<u16>) -> Vec<PaperItem> {
    let mut l = Layout {
        wrap,
        items: Vec::new(),
        align: Align::Left,
        bold: false,
        width: 1,
        height: 1,
        line_align: None,
        spans: Vec::new(),
        line_cols: 0,
    };
    for op in ops {
        match op {
            Op::Init => {
                // ESC @ clears the print buffer and the styles.
                l.spans.clear();
                l.line_cols = 0;
                l.line_align = None;
                l.align = Align::Left;
                l.bold = false;
                l.width = 1;
                l.height = 1;
            }
            Op::Align(a) => l.align = *a,
            Op::Bold(b) => l.bold = *b,
            Op::Size { width, height } => {
                l.width = *width;
                l.height = *height;
            }
            Op::Text(text) => {
                for c in text.chars() {
                    if c == '\t' {
                        let next = (l.line_cols / TAB + 1) * TAB;
                        for _ in l.line_cols..next {
                            l.put(' ');
                        }
                    } else {
                        l.put(c);
                    }
                }
            }
            Op::Newline => l.flush_line(),
            Op::Feed(0) => l.flush_if_pending(),
            Op::Feed(n) => {
                l.flush_line();
                for _ in 1..*n {
                    l.flush_line();
                }
            }
            Op::Qr {
                model,
                size,
                ecl,
                data,
            } => {
                l.flush_if_pending();
                l.items.push(PaperItem::Qr {
                    align: l.align,
                    model: *model,
                    size: *size,
                    ecl: *ecl,
                    data: data.clone(),
                });
            }
            Op::Cut { mode } => {
                l.flush_if_pending();
                l.items.push(PaperItem::Cut { mode: *mode });
            }
            Op::ChineseMode(_) | Op::StatusRequest(_) | Op::Unknown(_) | Op::Truncated(_) => {}
        }
    }
    l.flush_if_pending();
    l.items
}

impl Layout {
    fn put(&mut self, c: char) {
        let cols = char_columns(c) * u16::from(self.width);
        if let Some(wrap) = self.wrap {
            if self.line_cols > 0 && self.line_cols + cols > wrap {
                self.flush_line();
            }
        }
        if self.line_align.is_none() {
            self.line_align = Some(self.align);
        }
        self.line_cols = self.line_cols.saturating_add(cols);
        match self.spans.last_mut() {
            Some(s) if s.bold == self.bold && s.width == self.width && s.height == self.height => {
                s.text.push(c)
            }
            _ => self.spans.push(Span {
                text: c.to_string(),
                bold: self.bold,
                width: self.width,
                height: self.height,
            }),
        }
    }

    fn flush_line(&mut self) {
        let align = self.line_align.take().unwrap_or(self.align);
        self.items.push(PaperItem::Line {
            align,
            spans: std::mem::take(&mut self.spans),
        });
        self.line_cols = 0;
    }

    fn flush_if_pending(&mut self) {
        if !self.spans.is_empty() {
            self.flush_line();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;
    use banshi_escpos::{encode, EncodeOptions, Slip, SlipLine, TextSize};

    #[test]
    fn renders_a_ticket_as_text() {
        let slip = Slip::new()
            .push(SlipLine::text("办事大厅", Align::Center))
            .push(SlipLine::Text {
                text: "A023".into(),
                align: Align::Center,
                bold: true,
                size: TextSize::Quad,
            })
            .push(SlipLine::text("右", Align::Right))
            .push(SlipLine::Separator)
            .push(SlipLine::Feed(1))
            .push(SlipLine::Qr {
                data: "x".into(),
                module_size: 4,
            });
        let text = render_text(&parse(&encode(&slip, &EncodeOptions::default()).unwrap()));
        let want = format!(
            "{}办事大厅\n{}A023\n{}右\n{}\n\n{}[QR: x]\n--- cut ---\n",
            " ".repeat(20),
            " ".repeat(16),
            " ".repeat(46),
            "-".repeat(48),
            " ".repeat(20),
        );
        assert_eq!(text, want);
    }

    #[test]
    fn long_lines_wrap_by_printer_columns() {
        let bytes = [
            &[0x1C, 0x26][..],
            &encoding_rs::GB18030.encode("中中中中中").0,
            b"\n",
        ]
        .concat();
        let items = layout(&parse(&bytes), 4);
        let lines: Vec<String> = items
            .iter()
            .map(|i| match i {
                PaperItem::Line { spans, .. } => spans.iter().map(|s| s.text.as_str()).collect(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(lines, vec!["中中", "中中", "中"]);
    }

    #[test]
    fn feeds_print_the_buffer_then_blank_lines() {
        let ops = vec![
            Op::Text("a".into()),
            Op::Feed(3),
            Op::Feed(2),
            Op::Text("b".into()),
            Op::Newline,
            Op::Newline,
        ];
        assert_eq!(text_lines(&ops), vec!["a", "", "", "", "", "b", ""]);
    }

    #[test]
    fn tabs_expand_to_stops_of_eight() {
        assert_eq!(
            text_lines(&[Op::Text("ab\tc".into()), Op::Newline]),
            vec!["ab      c"]
        );
    }

    #[test]
    fn init_discards_the_pending_line_and_styles() {
        let ops = vec![
            Op::Align(Align::Right),
            Op::Text("lost".into()),
            Op::Init,
            Op::Text("kept".into()),
        ];
        assert_eq!(
            layout(&ops, 48),
            vec![PaperItem::Line {
                align: Align::Left,
                spans: vec![Span {
                    text: "kept".into(),
                    bold: false,
                    width: 1,
                    height: 1
                }]
            }]
        );
    }
}
