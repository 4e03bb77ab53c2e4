//! Slip → ESC/POS bytes.
//!
//! The `escpos` crate's `Printer` builds the commands (see the crate docs for why, and for the three
//! places where we write bytes ourselves). This module adds what a Chinese ticket printer needs on
//! top: per-run `FS &` / `FS .` switching, GB18030 with a hard error on unprintable characters,
//! validation of QR payloads before they reach the wire, and the cut bytes.
//!
//! Styles (alignment, bold, size, Chinese mode) are tracked and only sent when they change, so the
//! stream stays short and a slip reads the same in a byte dump as in the template. `ESC @` at the
//! start resets alignment, bold and size; it does not reliably leave Chinese mode, so the first text
//! run always states its mode.

use std::cell::RefCell;

use encoding_rs::GB18030;
use escpos::driver::Driver;
use escpos::printer::Printer as EscPrinter;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use crate::error::EscPosError;
use crate::slip::{Align, CutMode, Slip, SlipLine, TextSize};

/// Largest payload the `GS ( k` store-data command accepts (the QR version-40 numeric capacity).
/// Note that a *byte-mode* payload at error level M fits a symbol only up to 2331 bytes; a longer
/// one is accepted here and then silently not printed by most firmware, so keep ticket URLs short.
pub const QR_MAX_BYTES: usize = 7089;

/// Lines fed at the end of a slip printed with [`CutMode::None`], so the last line clears the tear
/// bar (the head-to-tear-bar distance of common 80 mm mechanisms is 3–4 lines).
pub const TEAR_OFF_FEED_LINES: u8 = 4;

/// `FS &`: enter Chinese (double-byte) mode.
pub const FS_CHINESE_ON: [u8; 2] = [0x1C, 0x26];
/// `FS .`: leave Chinese mode.
pub const FS_CHINESE_OFF: [u8; 2] = [0x1C, 0x2E];
/// `GS V 65 0`: feed to the cutting position, full cut.
pub const CUT_FULL: [u8; 4] = [0x1D, 0x56, 0x41, 0x00];
/// `GS V 66 0`: feed to the cutting position, partial cut.
pub const CUT_PARTIAL: [u8; 4] = [0x1D, 0x56, 0x42, 0x00];

/// How a slip is laid out for one printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// How the slip ends.
    pub cut: CutMode,
    /// Paper width in millimetres: 58 (32 columns) or 80 (48 columns).
    pub paper_width_mm: u8,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self {
            cut: CutMode::Partial,
            paper_width_mm: 80,
        }
    }
}

impl EncodeOptions {
    /// Characters per line in the normal 12×24 font: 32 for 58 mm paper, 48 for 80 mm.
    pub fn columns(&self) -> Result<u8, EscPosError> {
        match self.paper_width_mm {
            58 => Ok(32),
            80 => Ok(48),
            other => Err(EscPosError::InvalidInput(format!(
                "paper width {other} mm is not supported (58 or 80)"
            ))),
        }
    }
}

/// Encodes a slip into the bytes to send to the printer: `ESC @`, the lines, then the cut.
pub fn encode(slip: &Slip, opts: &EncodeOptions) -> Result<Vec<u8>, EscPosError> {
    let columns = opts.columns()?;
    let mut b = Builder::new();
    b.p.init()?;
    for line in &slip.lines {
        match line {
            SlipLine::Text {
                text,
                align,
                bold,
                size,
            } => b.text_line(text, *align, *bold, *size)?,
            SlipLine::Qr { data, module_size } => b.qr(data, *module_size)?,
            SlipLine::Separator => {
                b.set_size(TextSize::Normal)?;
                b.set_bold(false)?;
                b.set_chinese(false)?;
                b.p.write(&"-".repeat(usize::from(columns)))?;
                b.p.feed()?;
            }
            SlipLine::Feed(0) => {}
            SlipLine::Feed(n) => {
                b.p.feeds(*n)?;
            }
        }
    }
    match opts.cut {
        CutMode::Full => b.p.custom(&CUT_FULL)?,
        CutMode::Partial => b.p.custom(&CUT_PARTIAL)?,
        CutMode::None => b.p.feeds(TEAR_OFF_FEED_LINES)?,
    };
    let bytes = b.finish()?;
    tracing::debug!(
        lines = slip.lines.len(),
        bytes = bytes.len(),
        cut = ?opts.cut,
        "encoded slip"
    );
    Ok(bytes)
}

/// An `escpos` driver that only collects bytes: the builder is used offline.
struct MemDriver(RefCell<Vec<u8>>);

impl Driver for MemDriver {
    fn name(&self) -> String {
        "memory".to_owned()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.try_borrow_mut()?.extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// The `escpos` printer plus the printer state we know we have set.
struct Builder {
    p: EscPrinter<MemDriver>,
    align: Align,
    bold: bool,
    size: TextSize,
    /// `None` until the first mode switch: `ESC @` does not reliably reset it.
    chinese: Option<bool>,
}

impl Builder {
    fn new() -> Self {
        // No page code: in Chinese mode the single-byte code page is ignored, and with `None` the
        // crate's text path is a plain GB18030 encode that errors on unmappable characters.
        let protocol = Protocol::new(Encoder::new(GB18030));
        let options = PrinterOptions::new(None, None, 48);
        Self {
            p: EscPrinter::new(MemDriver(RefCell::new(Vec::new())), protocol, Some(options)),
            align: Align::Left,
            bold: false,
            size: TextSize::Normal,
            chinese: None,
        }
    }

    fn finish(mut self) -> Result<Vec<u8>, EscPosError> {
        self.p.print()?;
        Ok(self.p.driver().0.into_inner())
    }

    fn set_align(&mut self, align: Align) -> Result<(), EscPosError> {
        if self.align != align {
            self.p.justify(match align {
                Align::Left => JustifyMode::LEFT,
                Align::Center => JustifyMode::CENTER,
                Align::Right => JustifyMode::RIGHT,
            })?;
            self.align = align;
        }
        Ok(())
    }

    fn set_bold(&mut self, bold: bool) -> Result<(), EscPosError> {
        if self.bold != bold {
            self.p.bold(bold)?;
            self.bold = bold;
        }
        Ok(())
    }

    fn set_size(&mut self, size: TextSize) -> Result<(), EscPosError> {
        if self.size != size {
            let f = size.factor();
            self.p.size(f, f)?;
            self.size = size;
        }
        Ok(())
    }

    fn set_chinese(&mut self, on: bool) -> Result<(), EscPosError> {
        if self.chinese != Some(on) {
            self.p
                .custom(if on { &FS_CHINESE_ON } else { &FS_CHINESE_OFF })?;
            self.chinese = Some(on);
        }
        Ok(())
    }

    fn text_line(
        &mut self,
        text: &str,
        align: Align,
        bold: bool,
        size: TextSize,
    ) -> Result<(), EscPosError> {
        check_printable(text)?;
        self.set_align(align)?;
        self.set_bold(bold)?;
        self.set_size(size)?;
        for (ascii, run) in runs(text) {
            self.set_chinese(!ascii)?;
            self.p.write(run)?;
        }
        self.p.feed()?;
        Ok(())
    }

    fn qr(&mut self, data: &str, module_size: u8) -> Result<(), EscPosError> {
        if data.is_empty() {
            return Err(EscPosError::InvalidInput("QR payload is empty".into()));
        }
        if data.len() > QR_MAX_BYTES {
            return Err(EscPosError::QrTooLong {
                len: data.len(),
                max: QR_MAX_BYTES,
            });
        }
        if !(1..=15).contains(&module_size) {
            return Err(EscPosError::InvalidInput(format!(
                "QR module size {module_size} is outside 1..=15"
            )));
        }
        self.set_align(Align::Center)?;
        self.p.qrcode_option(
            data,
            QRCodeOption::new(QRCodeModel::Model2, module_size, QRCodeCorrectionLevel::M),
        )?;
        Ok(())
    }
}

/// Rejects what must never reach the printer as text: control characters (they are command bytes
/// on the wire) and characters GB18030 cannot encode.
fn check_printable(text: &str) -> Result<(), EscPosError> {
    let bad = |ch: char| EscPosError::UnencodableText {
        text: text.to_owned(),
        ch,
    };
    if let Some(ch) = text.chars().find(|c| c.is_control()) {
        return Err(bad(ch));
    }
    let (_, _, unmappable) = GB18030.encode(text);
    if unmappable {
        let mut buf = [0u8; 4];
        if let Some(ch) = text
            .chars()
            .find(|c| GB18030.encode(c.encode_utf8(&mut buf)).2)
        {
            return Err(bad(ch));
        }
    }
    Ok(())
}

/// Splits text into maximal runs of ASCII and non-ASCII characters: `(is_ascii, run)`.
fn runs(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<bool> = None;
    for (i, c) in text.char_indices() {
        let ascii = c.is_ascii();
        match current {
            Some(kind) if kind != ascii => {
                out.push((kind, &text[start..i]));
                start = i;
                current = Some(ascii);
            }
            None => current = Some(ascii),
            _ => {}
        }
    }
    if let Some(kind) = current {
        out.push((kind, &text[start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INIT: [u8; 2] = [0x1B, 0x40];
    const LF: [u8; 3] = [0x1B, 0x64, 0x01];

    fn enc(lines: Vec<SlipLine>) -> Result<Vec<u8>, EscPosError> {
        encode(&Slip { lines }, &EncodeOptions::default())
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    #[test]
    fn ascii_line_is_sent_outside_chinese_mode() {
        let bytes = enc(vec![SlipLine::text("A023", Align::Left)]).unwrap();
        assert_eq!(
            bytes,
            cat(&[&INIT, &FS_CHINESE_OFF, b"A023", &LF, &CUT_PARTIAL])
        );
    }

    #[test]
    fn chinese_line_is_gb18030_in_chinese_mode() {
        let bytes = enc(vec![SlipLine::text("个人业务", Align::Left)]).unwrap();
        // 个 B8F6, 人 C8CB, 业 D2B5, 务 CEF1 in GB2312/GB18030.
        let gb = [0xB8, 0xF6, 0xC8, 0xCB, 0xD2, 0xB5, 0xCE, 0xF1];
        assert_eq!(bytes, cat(&[&INIT, &FS_CHINESE_ON, &gb, &LF, &CUT_PARTIAL]));
    }

    #[test]
    fn mixed_line_switches_mode_per_run() {
        let bytes = enc(vec![SlipLine::text("前面还有 3 人", Align::Left)]).unwrap();
        let (front, _, _) = GB18030.encode("前面还有");
        let (person, _, _) = GB18030.encode("人");
        assert_eq!(
            bytes,
            cat(&[
                &INIT,
                &FS_CHINESE_ON,
                &front,
                &FS_CHINESE_OFF,
                b" 3 ",
                &FS_CHINESE_ON,
                &person,
                &LF,
                &CUT_PARTIAL
            ])
        );
    }

    #[test]
    fn styles_are_sent_only_when_they_change() {
        let big = SlipLine::Text {
            text: "A023".into(),
            align: Align::Center,
            bold: true,
            size: TextSize::Quad,
        };
        let bytes = enc(vec![big.clone(), big, SlipLine::text("x", Align::Right)]).unwrap();
        assert_eq!(
            bytes,
            cat(&[
                &INIT,
                &[0x1B, 0x61, 0x01], // ESC a 1
                &[0x1B, 0x45, 0x01], // ESC E 1
                &[0x1D, 0x21, 0x33], // GS ! 4x4
                &FS_CHINESE_OFF,
                b"A023",
                &LF,
                b"A023",
                &LF,
                &[0x1B, 0x61, 0x02],
                &[0x1B, 0x45, 0x00],
                &[0x1D, 0x21, 0x00],
                b"x",
                &LF,
                &CUT_PARTIAL
            ])
        );
    }

    #[test]
    fn double_size_is_gs_bang_0x11() {
        let bytes = enc(vec![SlipLine::Text {
            text: "x".into(),
            align: Align::Left,
            bold: false,
            size: TextSize::Double,
        }])
        .unwrap();
        assert!(bytes.windows(3).any(|w| w == [0x1D, 0x21, 0x11]));
    }

    #[test]
    fn qr_uses_model_2_level_m_and_exact_length() {
        let data = "https://example.invalid/t/abc";
        let bytes = enc(vec![SlipLine::Qr {
            data: data.into(),
            module_size: 6,
        }])
        .unwrap();
        let k = data.len() + 3;
        let store: Vec<u8> = cat(&[
            &[
                0x1D,
                0x28,
                0x6B,
                (k % 256) as u8,
                (k / 256) as u8,
                0x31,
                0x50,
                0x30,
            ],
            data.as_bytes(),
        ]);
        assert_eq!(
            bytes,
            cat(&[
                &INIT,
                &[0x1B, 0x61, 0x01],
                &[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00],
                &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06],
                &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31],
                &store,
                &[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30],
                &CUT_PARTIAL
            ])
        );
    }

    #[test]
    fn qr_length_uses_utf8_bytes_and_ph() {
        let data = "办".repeat(100); // 300 UTF-8 bytes → k = 303 = 0x012F
        let bytes = enc(vec![SlipLine::Qr {
            data,
            module_size: 4,
        }])
        .unwrap();
        assert!(bytes
            .windows(8)
            .any(|w| w == [0x1D, 0x28, 0x6B, 0x2F, 0x01, 0x31, 0x50, 0x30]));
    }

    #[test]
    fn qr_limits() {
        let at_limit = SlipLine::Qr {
            data: "1".repeat(QR_MAX_BYTES),
            module_size: 3,
        };
        assert!(enc(vec![at_limit]).is_ok());
        let over = SlipLine::Qr {
            data: "1".repeat(QR_MAX_BYTES + 1),
            module_size: 3,
        };
        let err = enc(vec![over]).unwrap_err();
        assert_eq!(err.code(), "printer.qr_too_long");
        for module_size in [0, 16] {
            let err = enc(vec![SlipLine::Qr {
                data: "x".into(),
                module_size,
            }])
            .unwrap_err();
            assert_eq!(err.code(), "printer.invalid_input");
        }
        let err = enc(vec![SlipLine::Qr {
            data: String::new(),
            module_size: 4,
        }])
        .unwrap_err();
        assert_eq!(err.code(), "printer.invalid_input");
    }

    #[test]
    fn control_characters_are_rejected() {
        for text in ["a\nb", "\u{1b}@", "tab\there", "\u{85}"] {
            let err = enc(vec![SlipLine::text(text, Align::Left)]).unwrap_err();
            assert_eq!(err.code(), "printer.unencodable_text", "{text:?}");
        }
    }

    #[test]
    fn unmappable_character_is_an_error_not_a_question_mark() {
        // U+E5E5 is the one code point the WHATWG gb18030 encoder (encoding_rs) refuses.
        let err = enc(vec![SlipLine::text("姓名\u{E5E5}", Align::Left)]).unwrap_err();
        match &err {
            EscPosError::UnencodableText { ch, .. } => assert_eq!(*ch, '\u{E5E5}'),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(err.code(), "printer.unencodable_text");
    }

    #[test]
    fn rare_name_characters_use_four_byte_gb18030() {
        // 𠀀 (U+20000, CJK Ext-B) is outside GBK: GB18030 gives it a 4-byte sequence.
        let bytes = enc(vec![SlipLine::text("𠀀", Align::Left)]).unwrap();
        assert!(bytes.windows(4).any(|w| w == [0x95, 0x32, 0x82, 0x36]));
    }

    #[test]
    fn separator_is_full_width_ascii_in_normal_size() {
        let opts58 = EncodeOptions {
            cut: CutMode::Full,
            paper_width_mm: 58,
        };
        let slip = Slip::new()
            .push(SlipLine::Text {
                text: "办".into(),
                align: Align::Left,
                bold: true,
                size: TextSize::Double,
            })
            .push(SlipLine::Separator);
        let bytes = encode(&slip, &opts58).unwrap();
        let tail = cat(&[
            &[0x1D, 0x21, 0x00],
            &[0x1B, 0x45, 0x00],
            &FS_CHINESE_OFF,
            "-".repeat(32).as_bytes(),
            &LF,
            &CUT_FULL,
        ]);
        assert!(bytes.ends_with(&tail), "{bytes:02X?}");
    }

    #[test]
    fn feed_and_cut_modes() {
        let slip = Slip::new().push(SlipLine::Feed(3)).push(SlipLine::Feed(0));
        let none = EncodeOptions {
            cut: CutMode::None,
            paper_width_mm: 80,
        };
        assert_eq!(
            encode(&slip, &none).unwrap(),
            cat(&[&INIT, &[0x1B, 0x64, 3], &[0x1B, 0x64, TEAR_OFF_FEED_LINES]])
        );
        let full = EncodeOptions {
            cut: CutMode::Full,
            ..none
        };
        assert!(encode(&slip, &full).unwrap().ends_with(&CUT_FULL));
    }

    #[test]
    fn paper_width_must_be_58_or_80() {
        let opts = EncodeOptions {
            cut: CutMode::Partial,
            paper_width_mm: 76,
        };
        let err = encode(&Slip::new(), &opts).unwrap_err();
        assert_eq!(err.code(), "printer.invalid_input");
    }

    #[test]
    fn runs_split_ascii_and_non_ascii() {
        assert_eq!(
            runs("前面还有 3 人"),
            vec![(false, "前面还有"), (true, " 3 "), (false, "人")]
        );
        assert_eq!(runs(""), Vec::<(bool, &str)>::new());
        assert_eq!(runs("abc"), vec![(true, "abc")]);
    }
}
