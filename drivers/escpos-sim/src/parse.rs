//! Streaming ESC/POS tokenizer: bytes in, [`Op`]s out.
//!
//! This is the half of the simulator that reads what a driver sent. It must never panic and never
//! lose its place: printers receive bytes from untrusted templates, flaky networks and fuzzers, and
//! a test that fails inside the parser tells us nothing about the driver. So:
//!
//! * commands are recognised by their documented lengths; anything unrecognised becomes
//!   [`Op::Unknown`] with the bytes it covered, and parsing resumes right after it;
//! * a command cut short by the end of input becomes [`Op::Truncated`] (only on
//!   [`Parser::finish`]; in streaming use the parser simply waits for more bytes);
//! * length fields are trusted only up to what they can express: `GS ( k` carries at most 65 535
//!   bytes, which we buffer; raster images (`GS v 0`, `GS 8 L`, `ESC *`) can declare gigabytes, so
//!   their payload is skipped as it streams past without being stored.
//!
//! Text is decoded when it ends (at the next command byte), as GB18030 while Chinese mode
//! (`FS &`) is on. Outside Chinese mode, ASCII is decoded as ASCII and any byte ≥ 0x80 as U+FFFD:
//! our driver never sends such bytes, so they show up as visible damage in a test.
//!
//! The parser is incremental so that the TCP simulator can answer `DLE EOT` the moment it arrives,
//! and so that [`Parser::consumed`] tells where in the byte stream each job ends.

use std::collections::VecDeque;

use banshi_escpos::Align;
use encoding_rs::GB18030;

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const FS: u8 = 0x1C;
const DLE: u8 = 0x10;
const EOT: u8 = 0x04;
const LF: u8 = 0x0A;
const CR: u8 = 0x0D;
const HT: u8 = 0x09;

/// Compact the internal buffer once this many bytes at its front have been consumed.
const COMPACT_AT: usize = 64 * 1024;

/// Paper cut kind (`GS V`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CutKind {
    /// m = 0, 48, 65 (feed + cut), 97, 103.
    Full,
    /// m = 1, 49, 66 (feed + cut), 98, 104.
    Partial,
}

/// QR symbol model (`GS ( k … 31 41 n1 00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrModel {
    /// n1 = 49.
    Model1,
    /// n1 = 50, the one everybody uses.
    Model2,
    /// n1 = 51.
    Micro,
}

/// QR error correction level (`GS ( k … 31 45 n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrEcl {
    /// n = 48, ~7 %.
    L,
    /// n = 49, ~15 %.
    M,
    /// n = 50, ~25 %.
    Q,
    /// n = 51, ~30 %.
    H,
}

/// One decoded ESC/POS command or piece of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `ESC @`.
    Init,
    /// `FS &` (true) / `FS .` (false).
    ChineseMode(bool),
    /// `ESC a n`.
    Align(Align),
    /// `ESC E n`.
    Bold(bool),
    /// `GS ! n`: width and height multipliers, 1..=8.
    Size {
        /// Width multiplier.
        width: u8,
        /// Height multiplier.
        height: u8,
    },
    /// Printable text up to the next command byte. `\t` is kept as is.
    Text(String),
    /// `LF`: print the line buffer and feed one line.
    Newline,
    /// `ESC d n`: print the line buffer and feed `n` lines.
    Feed(u8),
    /// `GS V`.
    Cut {
        /// Full or partial.
        mode: CutKind,
    },
    /// `GS ( k` print-symbol, with the model, module size and level in force and the stored data.
    /// The setter and store commands themselves produce no op.
    Qr {
        /// Symbol model.
        model: QrModel,
        /// Module size in dots.
        size: u8,
        /// Error correction level.
        ecl: QrEcl,
        /// Stored payload, decoded as UTF-8 (invalid sequences become U+FFFD).
        data: String,
    },
    /// `DLE EOT n`: real-time status request.
    StatusRequest(u8),
    /// A command we do not model, or invalid parameters; the bytes it covered (for skipped raster
    /// data, only the header).
    Unknown(Vec<u8>),
    /// The input ended inside a command; the bytes received of it (empty when the end fell inside
    /// skipped raster data).
    Truncated(Vec<u8>),
}

/// Parses a complete byte stream.
pub fn parse(bytes: &[u8]) -> Vec<Op> {
    let mut p = Parser::new();
    let mut ops = p.feed(bytes);
    ops.extend(p.finish());
    ops
}

#[derive(Debug, Clone)]
struct QrState {
    model: QrModel,
    size: u8,
    ecl: QrEcl,
    data: Option<Vec<u8>>,
}

impl Default for QrState {
    // Epson's power-on defaults.
    fn default() -> Self {
        Self {
            model: QrModel::Model2,
            size: 3,
            ecl: QrEcl::L,
            data: None,
        }
    }
}

/// Incremental parser. Push bytes as they arrive and pull ops with [`Parser::next_op`].
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    pos: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    ready: VecDeque<Op>,
    chinese: bool,
    text: Vec<u8>,
    skip: u64,
    qr: QrState,
}

/// How much of the input a command at the front of the buffer covers.
enum Scan {
    /// The command is complete: `len` bytes, producing `op` (if any).
    Done(usize, Option<Op>),
    /// Header of `len` bytes, then `skip` payload bytes to drop unseen.
    Skip(usize, Op, u64),
    /// More bytes are needed.
    Incomplete,
}

impl Parser {
    /// A parser in the power-on state (Chinese mode off).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos >= COMPACT_AT || (self.pos > 0 && self.pos == self.buf.len()) {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Pushes bytes and returns every op that is complete so far.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Op> {
        self.push(bytes);
        std::iter::from_fn(|| self.next_op()).collect()
    }

    /// The next complete op, or `None` until more bytes arrive.
    pub fn next_op(&mut self) -> Option<Op> {
        loop {
            if let Some(op) = self.ready.pop_front() {
                return Some(op);
            }
            if !self.step(false) {
                return None;
            }
        }
    }

    /// Ends the stream: flushes pending text and reports an unfinished command as
    /// [`Op::Truncated`]. The parser can be reused afterwards as if new, except for the stream
    /// offset.
    pub fn finish(&mut self) -> Vec<Op> {
        while self.step(true) {}
        if self.skip > 0 {
            self.skip = 0;
            self.ready.push_back(Op::Truncated(Vec::new()));
        }
        self.flush_text();
        let ops = self.ready.drain(..).collect();
        let (base, pos) = (self.base, self.pos);
        *self = Self::new();
        self.base = base + pos as u64;
        ops
    }

    /// Stream offset just past the last byte that belongs to an op already produced or to text
    /// already taken in. When [`Parser::next_op`] has just returned a command, this is the offset
    /// right after that command.
    pub fn consumed(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Whether Chinese mode is on.
    pub fn chinese_mode(&self) -> bool {
        self.chinese
    }

    /// One unit of progress. Returns false when nothing more can be done with the bytes at hand.
    fn step(&mut self, eof: bool) -> bool {
        let rest = &self.buf[self.pos..];
        if rest.is_empty() {
            return false;
        }
        if self.skip > 0 {
            let n = usize::try_from(self.skip).map_or(rest.len(), |s| s.min(rest.len()));
            self.pos += n;
            self.skip -= n as u64;
            return true;
        }
        let first = rest[0];
        if first >= 0x20 || first == HT {
            let n = rest
                .iter()
                .position(|&b| b < 0x20 && b != HT)
                .unwrap_or(rest.len());
            self.text.extend_from_slice(&rest[..n]);
            self.pos += n;
            return true;
        }
        match scan(rest, &mut self.qr) {
            Scan::Done(len, op) => {
                self.flush_text();
                if let Some(op) = op {
                    if let Op::ChineseMode(on) = op {
                        self.chinese = on;
                    }
                    if op == Op::Init {
                        self.qr = QrState::default();
                    }
                    self.ready.push_back(op);
                }
                self.pos += len;
                true
            }
            Scan::Skip(len, op, skip) => {
                self.flush_text();
                self.ready.push_back(op);
                self.pos += len;
                self.skip = skip;
                true
            }
            Scan::Incomplete if eof => {
                let partial = rest.to_vec();
                self.flush_text();
                self.ready.push_back(Op::Truncated(partial));
                self.pos = self.buf.len();
                true
            }
            Scan::Incomplete => false,
        }
    }

    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = if self.chinese {
            GB18030
                .decode_without_bom_handling(&self.text)
                .0
                .into_owned()
        } else {
            self.text
                .iter()
                .map(|&b| if b < 0x80 { char::from(b) } else { '\u{FFFD}' })
                .collect()
        };
        self.text.clear();
        self.ready.push_back(Op::Text(text));
    }
}

/// Recognises the command at the front of `b` (which starts with a byte < 0x20 other than HT).
fn scan(b: &[u8], qr: &mut QrState) -> Scan {
    let at = |i: usize| b.get(i).copied();
    let unknown = |len: usize| match b.get(..len) {
        Some(bytes) => Scan::Done(len, Some(Op::Unknown(bytes.to_vec()))),
        None => Scan::Incomplete,
    };
    match b[0] {
        LF => Scan::Done(1, Some(Op::Newline)),
        // CR is "print and carriage return" but printers in the usual LF mode ignore it; drivers
        // that send CR LF should not get a blank line per line.
        CR => Scan::Done(1, None),
        ESC => match at(1) {
            None => Scan::Incomplete,
            Some(c) => scan_esc(b, c),
        },
        GS => match at(1) {
            None => Scan::Incomplete,
            Some(c) => scan_gs(b, c, qr),
        },
        FS => match at(1) {
            None => Scan::Incomplete,
            Some(b'&') => Scan::Done(2, Some(Op::ChineseMode(true))),
            Some(b'.') => Scan::Done(2, Some(Op::ChineseMode(false))),
            // FS ! n (Kanji print mode), FS - n (Kanji underline), FS C n (code system),
            // FS W n (quadruple Kanji).
            Some(b'!' | b'-' | b'C' | b'W') => unknown(3),
            // FS S n1 n2 (Kanji spacing).
            Some(b'S') => unknown(4),
            // FS 2 c1 c2 d1..d72 (define a user Kanji).
            Some(b'2') => unknown(76),
            Some(_) => unknown(2),
        },
        DLE => match at(1) {
            None => Scan::Incomplete,
            Some(EOT) => match at(2) {
                None => Scan::Incomplete,
                Some(n) => Scan::Done(3, Some(Op::StatusRequest(n))),
            },
            // DLE ENQ n (real-time request).
            Some(0x05) => unknown(3),
            // DLE DC4 fn m t (real-time pulse / power-off / buffer clear).
            Some(0x14) => unknown(5),
            Some(_) => unknown(1),
        },
        _ => unknown(1),
    }
}

fn scan_esc(b: &[u8], c: u8) -> Scan {
    let at = |i: usize| b.get(i).copied();
    let unknown = |len: usize| match b.get(..len) {
        Some(bytes) => Scan::Done(len, Some(Op::Unknown(bytes.to_vec()))),
        None => Scan::Incomplete,
    };
    let arg = |f: fn(u8) -> Option<Op>| match at(2) {
        None => Scan::Incomplete,
        Some(n) => match f(n) {
            Some(op) => Scan::Done(3, Some(op)),
            None => Scan::Done(3, Some(Op::Unknown(b[..3].to_vec()))),
        },
    };
    match c {
        b'@' => Scan::Done(2, Some(Op::Init)),
        b'E' => arg(|n| Some(Op::Bold(n & 1 == 1))),
        b'a' => arg(|n| match n {
            0 | 48 => Some(Op::Align(Align::Left)),
            1 | 49 => Some(Op::Align(Align::Center)),
            2 | 50 => Some(Op::Align(Align::Right)),
            _ => None,
        }),
        b'd' => arg(|n| Some(Op::Feed(n))),
        // ESC 2 (default line spacing), ESC < (return home).
        b'2' | b'<' => unknown(2),
        // One-parameter commands: print mode, underline, line spacing, code page, font, double
        // strike, character set, upside down, rotation, unidirectional, right spacing, panel
        // buttons, peripheral, feed dots/lines (J, e, K), smoothing, buzzer-less beep.
        b'!' | b'-' | b'3' | b't' | b'M' | b'G' | b'R' | b'{' | b'V' | b'U' | b' ' | b'='
        | b'r' | b'J' | b'e' | b'K' | b'%' | b'?' | b'L' | b'S' | b'T' => unknown(3),
        // ESC c n m (paper sensors, panel), ESC $ nL nH (absolute position), ESC \ nL nH,
        // ESC B n t (buzzer on Chinese firmware).
        b'c' | b'$' | b'\\' | b'B' => unknown(4),
        // ESC p m t1 t2 (drawer kick), ESC C n / ESC ( … are rarer; treat ESC p precisely.
        b'p' => unknown(5),
        // ESC D n1 … nk NUL (tab stops, at most 32).
        b'D' => match b.iter().skip(2).take(33).position(|&x| x == 0) {
            Some(i) => unknown(2 + i + 1),
            None if b.len() >= 2 + 33 => unknown(2),
            None => Scan::Incomplete,
        },
        // ESC * m nL nH d… (bit image): 1 byte per column for 8-dot modes, 3 for 24-dot.
        b'*' => match (at(2), at(3), at(4)) {
            (Some(m), Some(nl), Some(nh)) => {
                let cols = u64::from(nl) + 256 * u64::from(nh);
                let per = if m == 32 || m == 33 { 3 } else { 1 };
                Scan::Skip(5, Op::Unknown(b[..5].to_vec()), cols * per)
            }
            _ => Scan::Incomplete,
        },
        _ => unknown(2),
    }
}

fn scan_gs(b: &[u8], c: u8, qr: &mut QrState) -> Scan {
    let at = |i: usize| b.get(i).copied();
    let unknown = |len: usize| match b.get(..len) {
        Some(bytes) => Scan::Done(len, Some(Op::Unknown(bytes.to_vec()))),
        None => Scan::Incomplete,
    };
    match c {
        b'!' => match at(2) {
            None => Scan::Incomplete,
            Some(n) if n & 0x88 == 0 => Scan::Done(
                3,
                Some(Op::Size {
                    width: (n >> 4) + 1,
                    height: (n & 0x0F) + 1,
                }),
            ),
            Some(_) => unknown(3),
        },
        b'V' => match at(2) {
            None => Scan::Incomplete,
            Some(0 | 48) => Scan::Done(
                3,
                Some(Op::Cut {
                    mode: CutKind::Full,
                }),
            ),
            Some(1 | 49) => Scan::Done(
                3,
                Some(Op::Cut {
                    mode: CutKind::Partial,
                }),
            ),
            Some(m @ (65 | 66 | 97 | 98 | 103 | 104)) => match at(3) {
                None => Scan::Incomplete,
                Some(_) => {
                    let mode = if matches!(m, 65 | 97 | 103) {
                        CutKind::Full
                    } else {
                        CutKind::Partial
                    };
                    Scan::Done(4, Some(Op::Cut { mode }))
                }
            },
            Some(_) => unknown(3),
        },
        // GS ( x pL pH …: a length-delimited family. `k` is 2D codes.
        b'(' => match (at(2), at(3), at(4)) {
            (Some(fam), Some(pl), Some(ph)) => {
                let len = 5 + usize::from(pl) + 256 * usize::from(ph);
                match b.get(..len) {
                    None => Scan::Incomplete,
                    Some(cmd) if fam == b'k' => Scan::Done(len, gs_paren_k(cmd, qr)),
                    Some(cmd) => Scan::Done(len, Some(Op::Unknown(cmd.to_vec()))),
                }
            }
            _ => Scan::Incomplete,
        },
        // GS v 0 m xL xH yL yH d… (raster image): (xL + 256 xH) × (yL + 256 yH) bytes.
        b'v' => match b.get(..8) {
            Some(h) => {
                let x = u64::from(h[4]) + 256 * u64::from(h[5]);
                let y = u64::from(h[6]) + 256 * u64::from(h[7]);
                Scan::Skip(8, Op::Unknown(h.to_vec()), x * y)
            }
            None => Scan::Incomplete,
        },
        // GS 8 L p1 p2 p3 p4 … (graphics with a 32-bit length).
        b'8' => match b.get(..7) {
            Some(h) => {
                let len = u64::from(u32::from_le_bytes([h[3], h[4], h[5], h[6]]));
                Scan::Skip(7, Op::Unknown(h.to_vec()), len)
            }
            None => Scan::Incomplete,
        },
        // GS k m …: barcodes. m 0..=6: data up to NUL; m 65..=78: n then n bytes.
        b'k' => match at(2) {
            None => Scan::Incomplete,
            Some(m) if m <= 6 => match b.iter().skip(3).take(256).position(|&x| x == 0) {
                Some(i) => unknown(3 + i + 1),
                None if b.len() >= 3 + 256 => unknown(3),
                None => Scan::Incomplete,
            },
            Some(_) => match at(3) {
                None => Scan::Incomplete,
                Some(n) => unknown(4 + usize::from(n)),
            },
        },
        // One-parameter commands: barcode height/width/HRI position/HRI font, auto status back,
        // transmit status, reverse, smoothing, transmit ID, print downloaded image.
        b'h' | b'w' | b'H' | b'f' | b'a' | b'r' | b'B' | b'b' | b'I' | b'/' | b'E' | b'J' => {
            unknown(3)
        }
        // Two-parameter commands: left margin, print area width, motion units, horizontal
        // position.
        b'L' | b'W' | b'P' | b'$' | b'\\' => unknown(4),
        _ => unknown(2),
    }
}

/// `GS ( k pL pH cn fn …` (the whole command is in `cmd`). Updates the QR state; returns the op
/// to emit, if any.
fn gs_paren_k(cmd: &[u8], qr: &mut QrState) -> Option<Op> {
    let unknown = || Some(Op::Unknown(cmd.to_vec()));
    // cn = 49 is QR; 48 PDF417, 50 MaxiCode, 51 GS1 DataBar, 52 Composite, 53 Aztec, 54 DataMatrix.
    let (Some(&49), Some(&fun)) = (cmd.get(5), cmd.get(6)) else {
        return unknown();
    };
    let param = cmd.get(7).copied();
    match (fun, param) {
        (65, Some(n1)) => {
            qr.model = match n1 {
                49 => QrModel::Model1,
                50 => QrModel::Model2,
                51 => QrModel::Micro,
                _ => return unknown(),
            };
            None
        }
        (67, Some(n)) if (1..=16).contains(&n) => {
            qr.size = n;
            None
        }
        (69, Some(n)) => {
            qr.ecl = match n {
                48 => QrEcl::L,
                49 => QrEcl::M,
                50 => QrEcl::Q,
                51 => QrEcl::H,
                _ => return unknown(),
            };
            None
        }
        (80, Some(48)) => {
            qr.data = Some(cmd.get(8..).unwrap_or_default().to_vec());
            None
        }
        (81, Some(48)) => match &qr.data {
            Some(data) => Some(Op::Qr {
                model: qr.model,
                size: qr.size,
                ecl: qr.ecl,
                data: String::from_utf8_lossy(data).into_owned(),
            }),
            // Print with nothing stored: the printer prints nothing.
            None => unknown(),
        },
        _ => unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::text_lines;
    use banshi_escpos::{encode, CutMode, EncodeOptions, Slip, SlipLine, TextSize};
    use proptest::prelude::*;

    #[test]
    fn decodes_a_ticket_encoded_by_the_driver() {
        let slip = Slip::new()
            .push(SlipLine::Text {
                text: "海口市龙华区政务服务中心".into(),
                align: Align::Center,
                bold: true,
                size: TextSize::Double,
            })
            .push(SlipLine::text("前面还有 3 人", Align::Left))
            .push(SlipLine::Qr {
                data: "https://example.invalid/t/abc".into(),
                module_size: 6,
            });
        let ops = parse(&encode(&slip, &EncodeOptions::default()).unwrap());
        assert_eq!(
            ops,
            vec![
                Op::Init,
                Op::Align(Align::Center),
                Op::Bold(true),
                Op::Size {
                    width: 2,
                    height: 2
                },
                Op::ChineseMode(true),
                Op::Text("海口市龙华区政务服务中心".into()),
                Op::Feed(1),
                Op::Align(Align::Left),
                Op::Bold(false),
                Op::Size {
                    width: 1,
                    height: 1
                },
                Op::Text("前面还有".into()),
                Op::ChineseMode(false),
                Op::Text(" 3 ".into()),
                Op::ChineseMode(true),
                Op::Text("人".into()),
                Op::Feed(1),
                Op::Align(Align::Center),
                Op::Qr {
                    model: QrModel::Model2,
                    size: 6,
                    ecl: QrEcl::M,
                    data: "https://example.invalid/t/abc".into()
                },
                Op::Cut {
                    mode: CutKind::Partial
                },
            ]
        );
    }

    #[test]
    fn ascii_mode_shows_high_bytes_as_replacement() {
        assert_eq!(
            parse(b"ok\xB8\xF6\n"),
            vec![Op::Text("ok\u{FFFD}\u{FFFD}".into()), Op::Newline]
        );
    }

    #[test]
    fn status_requests_and_cuts() {
        assert_eq!(
            parse(&[0x10, 0x04, 0x04, 0x1D, 0x56, 0x00, 0x1D, 0x56, 0x41, 0x03]),
            vec![
                Op::StatusRequest(4),
                Op::Cut {
                    mode: CutKind::Full
                },
                Op::Cut {
                    mode: CutKind::Full
                }
            ]
        );
    }

    #[test]
    fn truncated_commands_are_reported() {
        assert_eq!(parse(&[0x1B]), vec![Op::Truncated(vec![0x1B])]);
        assert_eq!(
            parse(b"hi\x1d(k\xff\xff1P0abc"),
            vec![
                Op::Text("hi".into()),
                Op::Truncated(b"\x1d(k\xff\xff1P0abc".to_vec())
            ]
        );
        // A raster image declaring 65535 × 65535 bytes is skipped, not buffered.
        let ops = parse(&[0x1D, 0x76, 0x30, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]);
        assert_eq!(
            ops,
            vec![
                Op::Unknown(vec![0x1D, 0x76, 0x30, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]),
                Op::Truncated(vec![])
            ]
        );
    }

    #[test]
    fn unknown_commands_resync() {
        assert_eq!(
            parse(b"\x1bZ\x1b!\x08A\x07B\n"),
            vec![
                Op::Unknown(b"\x1bZ".to_vec()),
                Op::Unknown(b"\x1b!\x08".to_vec()),
                Op::Text("A".into()),
                Op::Unknown(vec![0x07]),
                Op::Text("B".into()),
                Op::Newline
            ]
        );
    }

    #[test]
    fn streaming_matches_whole_parse_at_every_split() {
        let slip = Slip::new()
            .push(SlipLine::text("个人业务 A023", Align::Center))
            .push(SlipLine::Qr {
                data: "https://example.invalid/t/abc".into(),
                module_size: 4,
            });
        let bytes = encode(&slip, &EncodeOptions::default()).unwrap();
        let whole = parse(&bytes);
        for split in 0..=bytes.len() {
            let mut p = Parser::new();
            let mut ops = p.feed(&bytes[..split]);
            ops.extend(p.feed(&bytes[split..]));
            ops.extend(p.finish());
            assert_eq!(ops, whole, "split at {split}");
        }
    }

    #[test]
    fn consumed_points_just_past_a_cut() {
        let mut p = Parser::new();
        p.push(b"a\x1dV\x01b");
        assert_eq!(p.next_op(), Some(Op::Text("a".into())));
        assert_eq!(
            p.next_op(),
            Some(Op::Cut {
                mode: CutKind::Partial
            })
        );
        assert_eq!(p.consumed(), 4);
        assert_eq!(p.next_op(), None);
        assert_eq!(p.finish(), vec![Op::Text("b".into())]);
        assert_eq!(p.consumed(), 5);
    }

    fn slip_text() -> impl Strategy<Value = String> {
        // ASCII, common hanzi, full-width punctuation and a CJK Ext-B character (4-byte GB18030).
        let ch = prop_oneof![
            (0x20u32..0x7F).prop_map(|c| char::from_u32(c).unwrap_or(' ')),
            (0x4E00u32..0x9FA6).prop_map(|c| char::from_u32(c).unwrap_or('中')),
            Just('，'),
            Just('：'),
            Just('𠀀'),
        ];
        proptest::collection::vec(ch, 0..40).prop_map(|v| v.into_iter().collect())
    }

    fn slip_line() -> impl Strategy<Value = SlipLine> {
        let align = prop_oneof![Just(Align::Left), Just(Align::Center), Just(Align::Right)];
        let size = prop_oneof![
            Just(TextSize::Normal),
            Just(TextSize::Double),
            Just(TextSize::Quad)
        ];
        prop_oneof![
            4 => (slip_text(), align, any::<bool>(), size).prop_map(|(text, align, bold, size)| {
                SlipLine::Text { text, align, bold, size }
            }),
            1 => ("\\PC{1,300}", 1u8..=15).prop_map(|(data, module_size)| SlipLine::Qr { data, module_size }),
            1 => Just(SlipLine::Separator),
            1 => (0u8..4).prop_map(SlipLine::Feed),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                                        split in any::<prop::sample::Index>()) {
            let whole = parse(&bytes);
            // Streaming in two pieces gives the same ops.
            let at = split.index(bytes.len() + 1);
            let mut p = Parser::new();
            let mut ops = p.feed(&bytes[..at]);
            ops.extend(p.feed(&bytes[at..]));
            ops.extend(p.finish());
            prop_assert_eq!(ops, whole);
        }

        #[test]
        fn never_panics_on_command_soup(parts in proptest::collection::vec(prop_oneof![
            Just(vec![0x1B]), Just(vec![0x1D]), Just(vec![0x1C]), Just(vec![0x10, 0x04]),
            Just(b"\x1d(k".to_vec()), Just(b"\x1dv0".to_vec()), Just(b"\x1b*".to_vec()),
            Just(b"\x1dk".to_vec()), Just(b"\x1c&".to_vec()), Just(vec![0xB8, 0xF6]),
            proptest::collection::vec(any::<u8>(), 0..8),
        ], 0..64)) {
            let bytes = parts.concat();
            let _ = parse(&bytes);
        }

        #[test]
        fn encode_then_parse_round_trips(lines in proptest::collection::vec(slip_line(), 0..12),
                                         full in any::<bool>()) {
            let opts = EncodeOptions {
                cut: if full { CutMode::Full } else { CutMode::Partial },
                paper_width_mm: 80,
            };
            let slip = Slip { lines: lines.clone() };
            let ops = parse(&encode(&slip, &opts).unwrap());
            let mut want_text = Vec::new();
            let mut want_qr = Vec::new();
            for line in &lines {
                match line {
                    SlipLine::Text { text, .. } => want_text.push(text.clone()),
                    SlipLine::Separator => want_text.push("-".repeat(48)),
                    SlipLine::Feed(n) => want_text.extend((0..*n).map(|_| String::new())),
                    SlipLine::Qr { data, .. } => want_qr.push(data.clone()),
                }
            }
            prop_assert_eq!(text_lines(&ops), want_text);
            let got_qr: Vec<String> = ops.iter().filter_map(|op| match op {
                Op::Qr { data, ecl: QrEcl::M, model: QrModel::Model2, .. } => Some(data.clone()),
                _ => None,
            }).collect();
            prop_assert_eq!(got_qr, want_qr);
            prop_assert!(!ops.iter().any(|op| matches!(op, Op::Unknown(_) | Op::Truncated(_))));
            let want_cut = if full { CutKind::Full } else { CutKind::Partial };
            prop_assert_eq!(ops.last(), Some(&Op::Cut { mode: want_cut }));
        }
    }
}
