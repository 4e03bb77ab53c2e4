//! Errors of the printer driver.
//!
//! Every variant has a stable [`EscPosError::code`] string. The UI and the device HTTP API show
//! `{code, message}`; the code is what gets translated, so codes never change once shipped, while
//! the English `Display` text is for logs and may be reworded.

use std::io;
use std::time::Duration;

/// Everything that can go wrong while encoding a slip or talking to a printer.
#[derive(Debug, thiserror::Error)]
pub enum EscPosError {
    /// The printer could not be reached: connection refused or timed out, host unreachable, or the
    /// device file is missing (USB printer unplugged).
    #[error("printer {target} is offline: {source}")]
    Offline {
        /// The address or path we tried.
        target: String,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
    /// A character of a text line cannot be printed: GB18030 has no mapping for it, or it is a
    /// control character (which would otherwise be sent to the printer as a command byte).
    #[error("character {ch:?} (U+{:04X}) in {text:?} cannot be printed", u32::from(*ch))]
    UnencodableText {
        /// The whole line, for the log.
        text: String,
        /// The first offending character.
        ch: char,
    },
    /// A QR payload is longer than the 7089 bytes the `GS ( k` store command can carry.
    #[error("QR payload is {len} bytes, the printer accepts at most {max}")]
    QrTooLong {
        /// Payload length in UTF-8 bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The slip or the options are not valid (empty QR payload, module size out of range, paper
    /// width other than 58 or 80 mm).
    #[error("invalid print request: {0}")]
    InvalidInput(String),
    /// The printer did not answer (or did not accept data) within the configured timeout.
    #[error("printer did not respond within {0:?}")]
    Timeout(Duration),
    /// The printer answered a status request with a byte that does not have the `0xx1xx10` pattern.
    #[error("printer sent an invalid status byte {0:#04x}")]
    BadStatus(u8),
    /// The `escpos` byte builder refused a command we had already validated. This is a bug in this
    /// crate, reported rather than hidden.
    #[error("building ESC/POS commands failed: {0}")]
    Build(String),
    /// Any other I/O failure while writing to or reading from the printer.
    #[error("printer I/O failed: {0}")]
    Io(#[from] io::Error),
}

impl EscPosError {
    /// Stable, translatable identifier of the error kind.
    pub fn code(&self) -> &'static str {
        match self {
            EscPosError::Offline { .. } => "printer.offline",
            EscPosError::UnencodableText { .. } => "printer.unencodable_text",
            EscPosError::QrTooLong { .. } => "printer.qr_too_long",
            EscPosError::InvalidInput(_) => "printer.invalid_input",
            EscPosError::Timeout(_) => "printer.timeout",
            EscPosError::BadStatus(_) => "printer.bad_status",
            EscPosError::Build(_) => "printer.build",
            EscPosError::Io(_) => "printer.io",
        }
    }
}

impl From<escpos::errors::PrinterError> for EscPosError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        EscPosError::Build(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let io = || io::Error::from(io::ErrorKind::ConnectionRefused);
        let cases = [
            (
                EscPosError::Offline {
                    target: "x".into(),
                    source: io(),
                },
                "printer.offline",
            ),
            (
                EscPosError::UnencodableText {
                    text: "a".into(),
                    ch: 'a',
                },
                "printer.unencodable_text",
            ),
            (
                EscPosError::QrTooLong { len: 1, max: 0 },
                "printer.qr_too_long",
            ),
            (
                EscPosError::InvalidInput("x".into()),
                "printer.invalid_input",
            ),
            (
                EscPosError::Timeout(Duration::from_secs(1)),
                "printer.timeout",
            ),
            (EscPosError::BadStatus(0), "printer.bad_status"),
            (EscPosError::Build("x".into()), "printer.build"),
            (EscPosError::Io(io()), "printer.io"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code, "{err}");
        }
    }

    #[test]
    fn unencodable_message_names_the_code_point() {
        let e = EscPosError::UnencodableText {
            text: "a\u{1b}".into(),
            ch: '\u{1b}',
        };
        assert!(e.to_string().contains("U+001B"), "{e}");
    }
}
