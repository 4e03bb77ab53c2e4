//! Errors of document generation, IPP printing and the virtual printer.
//!
//! Three enums, one per concern, because their callers differ: [`DocumentError`] comes from building
//! PDFs (a bug or a missing font on the terminal), [`PrintError`] from talking to a printer (the
//! hall's problem: cable, paper, power), [`VirtualPrinterError`] only from tests and the demo hall.
//! Each implements [`banshi_core::ErrorCode`] with stable dotted codes that the UI translates; the
//! English messages are for logs. No message carries document content, so no personal data leaks
//! into logs through an error.

use std::path::PathBuf;
use std::time::Duration;

use banshi_core::ErrorCode;

/// Building a PDF failed.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// No Noto Sans CJK SC font was found in the usual system places (Debian: `fonts-noto-cjk`).
    #[error("no CJK font found (looked for Noto Sans CJK SC in {searched:?}); install fonts-noto-cjk or configure a font path")]
    NoCjkFont {
        /// The files that were tried.
        searched: Vec<PathBuf>,
    },
    /// A font file exists but could not be read.
    #[error("cannot read font file {path}: {source}")]
    FontUnreadable {
        /// The font file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A font file was read but is not a usable OpenType font or collection.
    #[error("{path} is not a usable OpenType font")]
    FontInvalid {
        /// The font file.
        path: PathBuf,
    },
    /// A scanned page is not a JPEG that a PDF can carry.
    #[error("scanned page {page} is not a usable JPEG: {reason}")]
    BadJpeg {
        /// Zero-based index of the page.
        page: usize,
        /// What the JPEG header parser said.
        reason: String,
    },
    /// A scanned-pages PDF was requested with no pages, or a page has a nonsensical size.
    #[error("invalid page: {0}")]
    InvalidPage(String),
    /// The QR payload does not fit in a QR code.
    #[error("QR payload of {len} bytes does not fit in a QR code")]
    QrTooLong {
        /// Payload length in bytes.
        len: usize,
    },
    /// The PDF writer refused the document (a bug in this crate rather than bad input).
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
}

impl ErrorCode for DocumentError {
    fn code(&self) -> &'static str {
        match self {
            DocumentError::NoCjkFont { .. } => "document.no_cjk_font",
            DocumentError::FontUnreadable { .. } => "document.font_unreadable",
            DocumentError::FontInvalid { .. } => "document.font_invalid",
            DocumentError::BadJpeg { .. } => "document.bad_jpeg",
            DocumentError::InvalidPage(_) => "document.invalid_page",
            DocumentError::QrTooLong { .. } => "document.qr_too_long",
            DocumentError::Pdf(_) => "document.pdf_failed",
        }
    }
}

/// Talking to an IPP printer failed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The printer URL is not an `ipp://`, `ipps://`, `http://` or `https://` URL.
    #[error("invalid printer URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as configured.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// No connection could be made: the printer is off, unplugged, or the address is wrong.
    #[error("printer {target} is unreachable: {reason}")]
    Unreachable {
        /// The printer URL.
        target: String,
        /// The connection error.
        reason: String,
    },
    /// The printer accepted the connection but did not answer in time.
    #[error("printer {target} did not answer within {after:?}")]
    Timeout {
        /// The printer URL.
        target: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The printer answered and refused the request (IPP status other than successful-ok*).
    #[error("printer refused the request: {status}")]
    Refused {
        /// The IPP status code name, e.g. `ServerErrorNotAcceptingJobs`.
        status: String,
    },
    /// The HTTP layer answered with an error status (wrong queue path, authentication needed).
    #[error("printer answered HTTP {0}")]
    HttpStatus(u16),
    /// The printer's answer could not be understood (not IPP, or a required attribute is missing).
    #[error("printer sent an unusable answer: {0}")]
    Protocol(String),
}

impl ErrorCode for PrintError {
    fn code(&self) -> &'static str {
        match self {
            PrintError::BadUrl { .. } => "ipp.bad_url",
            PrintError::Unreachable { .. } => "ipp.unreachable",
            PrintError::Timeout { .. } => "ipp.timeout",
            PrintError::Refused { .. } => "ipp.refused",
            PrintError::HttpStatus(_) => "ipp.http_status",
            PrintError::Protocol(_) => "ipp.protocol",
        }
    }
}

/// Starting or driving the `ippeveprinter` virtual printer failed.
#[derive(Debug, thiserror::Error)]
pub enum VirtualPrinterError {
    /// `ippeveprinter` (Debian `cups-ipp-utils`) or `dbus-daemon` is not installed.
    #[error("{program} is not installed (Debian package {package})")]
    NotInstalled {
        /// The missing program.
        program: &'static str,
        /// The Debian package that ships it.
        package: &'static str,
    },
    /// The program started but never answered, or exited early.
    #[error("virtual printer did not start: {0}")]
    StartFailed(String),
    /// The printer's web form for media levels did not behave as expected.
    #[error("virtual printer media control failed: {0}")]
    MediaControl(String),
    /// Waiting for documents in the spool directory timed out.
    #[error("expected {expected} document(s) in the spool, found {found} after {after:?}")]
    SpoolTimeout {
        /// How many documents were awaited.
        expected: usize,
        /// How many were there.
        found: usize,
        /// How long we waited.
        after: Duration,
    },
    /// File system or process I/O failed.
    #[error("virtual printer I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

impl ErrorCode for VirtualPrinterError {
    fn code(&self) -> &'static str {
        match self {
            VirtualPrinterError::NotInstalled { .. } => "ipp_sim.not_installed",
            VirtualPrinterError::StartFailed(_) => "ipp_sim.start_failed",
            VirtualPrinterError::MediaControl(_) => "ipp_sim.media_control",
            VirtualPrinterError::SpoolTimeout { .. } => "ipp_sim.spool_timeout",
            VirtualPrinterError::Io(_) => "ipp_sim.io",
        }
    }
}
