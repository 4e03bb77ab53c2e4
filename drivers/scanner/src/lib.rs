//! Codes coming into a Banshi terminal: QR codes in camera frames, scanner guns, and signed QR e-codes (亮码).
//!
//! A citizen shows a code in three ways, and each has its own module:
//!
//! * [`qr`]: a QR code held up to a camera (the 高拍仪 or the face camera). [`decode_qr`] takes a frame the camera
//!   code already has as an [`image::DynamicImage`] and returns every QR payload it finds.
//! * [`hid`]: a scanner gun in its factory default mode, a USB keyboard that "types" the code followed by Enter.
//!   Typed keystrokes go to whichever window has focus, so a kiosk cannot rely on them; [`HidScanner`] reads the
//!   scanner's own input device (`/dev/input/by-id/…-event-kbd`) and grabs it so nothing leaks into the focused
//!   window. [`wedge`] turns the device's key events into text (US layout, Shift, Caps Lock, Enter, an inter-key
//!   gap as the fallback terminator).
//! * [`serial`]: a scanner switched to its USB virtual COM mode (`/dev/ttyACM0`), the mode we recommend for kiosks
//!   because bytes arrive unchanged (UTF-8 and GBK survive). [`SerialScanner`] reads CR/LF-terminated lines and
//!   reconnects by itself when the scanner is unplugged and plugged back.
//!
//! What the code *means* is a separate question. [`ecode`] verifies the signed e-codes of brief §4.4 offline, against
//! a cached pool of SM2 public keys that the issuer rotates, and optionally confirms them online.
//!
//! # Simulators
//!
//! [`sim`] has a serial scanner on a pseudo-terminal behind a stable symlink (with unplug and replug) and the
//! encoder for recorded HID traces (`struct input_event` records), so tests and the demo hall drive the same reader
//! code the hardware drives.
//!
//! # Health
//!
//! Every reader reports a [`Health`]: a [`ScannerStatus`] (`ok`, `degraded`, `offline`, `unknown`, the names the
//! terminal's device layer uses) and a human detail string. Scanned text never appears in logs or errors: it may be
//! an ID number or an e-code; only its length is logged.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ecode;
pub mod error;
pub mod hid;
pub mod qr;
pub mod serial;
pub mod sim;
pub mod wedge;

pub use ecode::{
    issue_code, CodePayload, EcodeChecker, EcodeError, KeyPool, OnlineUnavailable, OnlineVerdict,
    OnlineVerifier, PoolKey, VerifiedCode,
};
pub use error::ScannerError;
pub use hid::{HidScanner, HidScannerConfig};
pub use qr::decode_qr;
pub use serial::{SerialScanner, SerialScannerConfig};
pub use wedge::WedgeDecoder;

/// A reader's state in the words the terminal's device layer uses (`banshi_devices::DeviceStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScannerStatus {
    /// The device is open and delivering events.
    Ok,
    /// The device is open but not fully usable (for example a HID scanner that could not be grabbed).
    Degraded,
    /// The device path is missing or cannot be opened.
    Offline,
    /// Nothing has been tried yet.
    Unknown,
}

impl ScannerStatus {
    /// The stable snake_case name (`ok`, `degraded`, `offline`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
            Self::Unknown => "unknown",
        }
    }
}

/// A status with the human detail an installer needs ("device path missing: /dev/ttyACM0").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The status class.
    pub status: ScannerStatus,
    /// Why, in English; never contains scanned content.
    pub detail: Option<String>,
}

impl Health {
    pub(crate) fn new(status: ScannerStatus, detail: impl Into<Option<String>>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }
}
