//! Wire-level simulator of a Chinese ESC/POS ticket printer.
//!
//! Banshi's rule for devices is that every driver is tested against a simulator speaking the same
//! bytes as the hardware. For the thermal ticket printer that means reading the ESC/POS stream the
//! driver (`banshi-escpos`) writes, exactly as a printer would, and answering its status requests.
//! The pieces, usable on their own:
//!
//! * [`parse()`] / [`Parser`]: a streaming, never-panicking tokenizer from bytes to [`Op`]s, with
//!   GB18030 text decoding in Chinese mode;
//! * [`render_text`] / [`layout`]: what the paper says, as text (tests, logs);
//! * [`render_png`]: what the paper looks like, drawn with Noto Sans CJK and a re-encoded QR;
//! * [`serve`] / [`Simulator`]: a TCP port-9100 printer with settable paper state and offline flag
//!   that keeps every job and can write each one as `.bin`, `.txt` and `.png`.
//!
//! The binary `banshi-escpos-sim` runs the server for demos and manual tests.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod parse;
pub mod png;
pub mod render;
pub mod server;

pub use parse::{parse, CutKind, Op, Parser, QrEcl, QrModel};
pub use png::{render_png, render_png_with_font, PaperFont, RenderError};
pub use render::{layout, render_text, render_text_columns, text_lines, PaperItem, Span};
pub use server::{serve, Job, PaperState, SimConfig, SimError, SimHandle, SimState, Simulator};
