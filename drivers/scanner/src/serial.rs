//! Scanner guns in serial (USB virtual COM) mode: one code per CR/LF-terminated line.
//!
//! In this mode the scanner is `/dev/ttyACM0` (or a USB-serial adapter's `/dev/ttyUSB0`); configure the stable
//! `/dev/serial/by-id/…` path so a replug onto another USB port finds the same scanner. The payload arrives as the
//! raw bytes of the code plus a CR, LF or CRLF suffix (configurable on the scanner), so Chinese text survives:
//! lines are decoded as UTF-8 when valid, otherwise as GB18030.
//!
//! The reader opens the port lazily and drops it on any read error (a pty or USB device that disappears fails reads
//! with `EIO`/hang-up); every later call tries the path again, so the scanner recovers by itself after a replug
//! without the caller doing anything. The port is opened in `serialport`'s default exclusive mode, so a second
//! program cannot steal the scans.

use std::io::{ErrorKind, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serialport::TTYPort;

use crate::qr::payload_text;
use crate::{Health, ScannerError, ScannerStatus};

/// How long one read waits; bounds how late a stop or a deadline is noticed.
const READ_TIMEOUT: Duration = Duration::from_millis(50);
/// Pause between attempts to open a missing port.
const REOPEN_INTERVAL: Duration = Duration::from_millis(100);
/// A line longer than this is not a scan (noise, wrong baud rate): it is dropped.
pub const MAX_LINE_BYTES: usize = 8192;

/// Where the scanner is.
#[derive(Debug, Clone)]
pub struct SerialScannerConfig {
    /// The device path, e.g. `/dev/serial/by-id/usb-…-if00` or `/dev/ttyACM0`.
    pub path: PathBuf,
    /// Baud rate for real UARTs (USB CDC ignores it). Default 9600, the scanners' factory setting.
    pub baud_rate: u32,
}

impl SerialScannerConfig {
    /// Defaults for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            baud_rate: 9600,
        }
    }
}

/// A serial-mode scanner gun.
#[derive(Debug)]
pub struct SerialScanner {
    config: SerialScannerConfig,
    port: Option<TTYPort>,
    line: Vec<u8>,
    line_overflowed: bool,
    ready: std::collections::VecDeque<String>,
    health: Health,
}

impl SerialScanner {
    /// A reader for `config.path`; nothing is opened until the first call.
    pub fn new(config: SerialScannerConfig) -> Self {
        Self {
            config,
            port: None,
            line: Vec::new(),
            line_overflowed: false,
            ready: Default::default(),
            health: Health::new(ScannerStatus::Unknown, None),
        }
    }

    /// Probe: opens the port if it is not open (a missing or unreadable path is `offline`).
    pub fn health(&mut self) -> Health {
        if self.port.is_none() {
            // The result is recorded in self.health.
            let _ = self.connect();
        }
        self.health.clone()
    }

    fn connect(&mut self) -> Result<(), ScannerError> {
        let path = self.config.path.to_string_lossy().into_owned();
        match serialport::new(&path, self.config.baud_rate)
            .timeout(READ_TIMEOUT)
            .open_native()
        {
            Ok(port) => {
                tracing::info!(%path, "serial scanner opened");
                self.port = Some(port);
                self.health = Health::new(ScannerStatus::Ok, path);
                Ok(())
            }
            Err(e) => {
                let detail = if self.config.path.exists() {
                    format!("{path}: {e}")
                } else {
                    format!("{path}: device path missing")
                };
                if self.health.status != ScannerStatus::Offline {
                    tracing::info!(%detail, "serial scanner not available");
                }
                self.health = Health::new(ScannerStatus::Offline, detail.clone());
                Err(ScannerError::Offline { detail })
            }
        }
    }

    fn disconnect(&mut self, detail: String) -> ScannerError {
        tracing::warn!(%detail, "serial scanner lost");
        self.port = None;
        // A partial line is the head of a code cut off by the unplug: never deliver it.
        self.line.clear();
        self.line_overflowed = false;
        self.health = Health::new(ScannerStatus::Offline, detail.clone());
        ScannerError::Offline { detail }
    }

    /// Wait up to `wait` for the next scanned line. `Ok(None)`: nothing was scanned. `Err(Offline)`: the scanner
    /// went away during the wait or is still missing at its end; keep calling, it is re-opened by itself.
    pub fn next_scan(&mut self, wait: Duration) -> Result<Option<String>, ScannerError> {
        let deadline = Instant::now() + wait;
        let mut chunk = [0u8; 512];
        loop {
            if let Some(scan) = self.ready.pop_front() {
                return Ok(Some(scan));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(port) = self.port.as_mut() else {
                if let Err(e) = self.connect() {
                    if left.is_zero() {
                        return Err(e);
                    }
                    std::thread::sleep(left.min(REOPEN_INTERVAL));
                }
                continue;
            };
            match port.read(&mut chunk) {
                Ok(0) => {
                    let detail = format!("{}: device hung up", self.config.path.display());
                    return Err(self.disconnect(detail));
                }
                Ok(n) => self.take_bytes(chunk.get(..n).unwrap_or_default()),
                Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    let detail = format!("{}: {e}", self.config.path.display());
                    return Err(self.disconnect(detail));
                }
            }
            if left.is_zero() && self.ready.is_empty() {
                return Ok(None);
            }
        }
    }

    fn take_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\r' || byte == b'\n' {
                let line = std::mem::take(&mut self.line);
                if std::mem::replace(&mut self.line_overflowed, false) {
                    tracing::warn!(max = MAX_LINE_BYTES, "an overlong serial line was dropped");
                } else if !line.is_empty() {
                    tracing::debug!(bytes = line.len(), "serial scan received");
                    self.ready.push_back(payload_text(&line));
                }
            } else if self.line.len() >= MAX_LINE_BYTES {
                self.line_overflowed = true;
            } else {
                self.line.push(byte);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_cr_lf_and_crlf_and_skip_empty_ones() {
        let mut scanner = SerialScanner::new(SerialScannerConfig::new("/nonexistent"));
        scanner.take_bytes(b"A1\r\nB2\rC");
        scanner.take_bytes(b"3\n\n");
        assert_eq!(Vec::from(scanner.ready.clone()), vec!["A1", "B2", "C3"]);
    }

    #[test]
    fn an_overlong_line_is_dropped_and_the_next_one_kept() {
        let mut scanner = SerialScanner::new(SerialScannerConfig::new("/nonexistent"));
        scanner.take_bytes(&vec![b'x'; MAX_LINE_BYTES + 10]);
        scanner.take_bytes(b"\r\nok\r\n");
        assert_eq!(Vec::from(scanner.ready.clone()), vec!["ok"]);
    }

    #[test]
    fn a_missing_path_is_offline() {
        let mut scanner = SerialScanner::new(SerialScannerConfig::new("/nonexistent/ttyACM9"));
        let health = scanner.health();
        assert_eq!(health.status, ScannerStatus::Offline);
        assert!(health.detail.unwrap_or_default().contains("missing"));
        assert!(matches!(
            scanner.next_scan(Duration::ZERO),
            Err(ScannerError::Offline { .. })
        ));
    }
}
