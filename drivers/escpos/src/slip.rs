//! The printer-agnostic slip model.
//!
//! A slip is a list of lines, top to bottom. It says *what* goes on the paper (text with a few
//! styles, a QR code, a separator, blank space) and nothing about bytes, code pages or cutters, so
//! ticket and receipt templates can be written and tested without a printer, and the same slip can
//! later be rendered for another printer language.

/// What to print, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slip {
    /// The lines of the slip.
    pub lines: Vec<SlipLine>,
}

impl Slip {
    /// An empty slip.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a line and returns the slip, for builder-style templates.
    pub fn push(mut self, line: SlipLine) -> Self {
        self.lines.push(line);
        self
    }
}

/// One element of a slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlipLine {
    /// One line of text. It must not contain control characters (`\n`, `\t`, ESC…): a new line is
    /// a new `Text`. Text wider than the paper is wrapped by the printer.
    Text {
        /// The text, any mix of Chinese and ASCII.
        text: String,
        /// Horizontal alignment.
        align: Align,
        /// Emphasised (`ESC E 1`).
        bold: bool,
        /// Character magnification.
        size: TextSize,
    },
    /// A native QR code (model 2, error correction M), centred. The payload is sent as UTF-8.
    Qr {
        /// Payload; at most 7089 bytes of UTF-8.
        data: String,
        /// Module size in printer dots, 1..=15 (4–6 suits an 80 mm ticket).
        module_size: u8,
    },
    /// A full-width line of `-` in the normal font.
    Separator,
    /// The given number of blank lines.
    Feed(u8),
}

impl SlipLine {
    /// A normal-size, non-bold text line.
    pub fn text(text: impl Into<String>, align: Align) -> Self {
        SlipLine::Text {
            text: text.into(),
            align,
            bold: false,
            size: TextSize::Normal,
        }
    }
}

/// Horizontal alignment (`ESC a n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Align {
    /// `ESC a 0`.
    #[default]
    Left,
    /// `ESC a 1`.
    Center,
    /// `ESC a 2`.
    Right,
}

/// Character magnification (`GS ! n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextSize {
    /// 1× width, 1× height (`GS ! 0x00`).
    #[default]
    Normal,
    /// 2× width, 2× height (`GS ! 0x11`): headings.
    Double,
    /// 4× width, 4× height (`GS ! 0x33`): the ticket number a person reads from a metre away.
    Quad,
}

impl TextSize {
    /// The width and height multiplier.
    pub fn factor(self) -> u8 {
        match self {
            TextSize::Normal => 1,
            TextSize::Double => 2,
            TextSize::Quad => 4,
        }
    }
}

/// How the slip ends. See the crate docs for the byte choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CutMode {
    /// `GS V 65 0` (`1D 56 41 00`): feed to the cutter, full cut.
    Full,
    /// `GS V 66 0` (`1D 56 42 00`): feed to the cutter, partial cut (one point left uncut).
    #[default]
    Partial,
    /// No cut command; the paper is fed 4 lines so the last line clears the tear bar.
    None,
}
