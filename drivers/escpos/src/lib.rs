//! ESC/POS driver for the 80 mm (and 58 mm) thermal ticket printers found in Chinese service halls.
//!
//! The crate has three parts, each in its own module:
//!
//! * [`slip`]: a printer-agnostic model of what goes on the paper ([`Slip`], [`SlipLine`]). Templates
//!   (queue tickets, receipts) build a `Slip`; nothing above this crate sees ESC/POS bytes.
//! * [`mod@encode`]: turns a `Slip` into the byte stream a Chinese ESC/POS printer understands: GB18030
//!   text with explicit `FS &` / `FS .` mode switches, `ESC E` bold, `GS !` size, `ESC a` alignment,
//!   native `GS ( k` QR codes and a cut whose bytes we choose ourselves.
//! * [`printer`]: moves the bytes to the device (raw TCP port 9100 or a device/spool file) and asks for
//!   the paper state with `DLE EOT 4`.
//!
//! # Why the `escpos` crate builds the bytes, and where we do not use it
//!
//! The project prefers well-kept crates made for the job, and `escpos` (0.20) is exactly that: its
//! `Printer` builder emits `ESC @`, `ESC E`, `ESC a`, `GS !`, `ESC d` and the five-command `GS ( k`
//! QR sequence (model → module size → error correction → store with `pL pH` → print), and its text
//! path goes through an `encoding_rs` encoder that *fails* on unmappable characters instead of
//! printing `?`. We drive it with an in-memory [`escpos::driver::Driver`], so the crate only ever
//! builds bytes. We deliberately bypass it in three places:
//!
//! * **Cut.** The crate's `GS_PAPER_CUT_FULL`/`PARTIAL` are `1D 56 41 00` / `1D 56 41 01`: both use
//!   m = 65, which in Epson's "function B" is the *full* cut, so its "partial" cut is not partial.
//!   We emit our own bytes through `custom()`: [`CutMode::Partial`] → `1D 56 42 00` (m = 66,
//!   feed to the cutter then partial cut) and [`CutMode::Full`] → `1D 56 41 00` (m = 65, feed then
//!   full cut). The function-B forms feed the paper to the cutting position themselves, so the last
//!   printed line is never left inside the printer. Partial is the default because many Chinese 80 mm
//!   cutters only do partial cuts and a half-cut ticket stays in the kiosk's mouth instead of falling
//!   on the floor; a per-printer profile can switch to `Full`.
//! * **Chinese mode.** The crate has no `FS &` / `FS .` helpers, so those two bytes go through
//!   `custom()` as well (see the pitfall below).
//! * **Transports.** The crate's `NetworkDriver` turns every `io::Error` into a string, which would
//!   hide the difference between "connection refused" (the printer is off: `printer.offline`) and
//!   other failures. Our transports are ~100 lines of `std::net`/`std::fs` and keep the error kinds.
//!
//! We do use the crate's `RealTimeStatusResponse::parse` to validate and decode the one-byte
//! `DLE EOT` answers.
//!
//! # The ASCII-in-Chinese-mode pitfall
//!
//! Some firmware, once in `FS &` (Chinese) mode, takes an ASCII byte as the lead byte of a
//! double-byte character and garbles the rest of the line. The encoder therefore splits every text
//! line into runs of pure ASCII and runs of non-ASCII characters, sends `FS .` before each ASCII run
//! and `FS &` before each non-ASCII run (only when the mode actually changes), and encodes the
//! non-ASCII runs as GB18030.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod encode;
pub mod error;
pub mod printer;
pub mod slip;

pub use encode::{encode, EncodeOptions};
pub use error::EscPosError;
pub use printer::{PaperStatus, Printer, PrinterStatus, Transport};
pub use slip::{Align, CutMode, Slip, SlipLine, TextSize};
