//! Errors of the scanner readers (not of e-code verification, which has its own codes in [`crate::ecode`]).
//!
//! Each variant carries a stable dotted code for the UI; the messages name the device path and the OS error but
//! never scanned content.

use banshi_core::ErrorCode;

/// Why a scanner could not deliver a scan right now.
#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    /// The device path does not exist or cannot be opened (unplugged, wrong path, no permission).
    #[error("scanner offline: {detail}")]
    Offline {
        /// The path and the reason.
        detail: String,
    },
    /// A HID scanner opened but could not be grabbed exclusively (another program holds it).
    #[error("scanner could not be grabbed exclusively: {detail}")]
    GrabFailed {
        /// The path and the OS error.
        detail: String,
    },
    /// The device was opened but a read or a setting failed.
    #[error("scanner I/O failed: {detail}")]
    Io {
        /// The path and the OS error.
        detail: String,
    },
}

impl ErrorCode for ScannerError {
    fn code(&self) -> &'static str {
        match self {
            Self::Offline { .. } => "scanner.offline",
            Self::GrabFailed { .. } => "scanner.grab_failed",
            Self::Io { .. } => "scanner.io",
        }
    }
}
