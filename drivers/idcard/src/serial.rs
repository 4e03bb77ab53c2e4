//! A reader on a serial device path that survives being unplugged.
//!
//! [`SerialReader`] owns a path, not a port. The port is opened on first use and dropped when it fails
//! with anything but a timeout (an unplugged USB-serial adapter makes the open descriptor return
//! hang-up errors forever, and the device node disappears). Every later call tries the path again, so
//! the reader comes back by itself when the device does, without anyone recreating the driver — the
//! hot-plug recovery the terminal's health loop relies on (brief §4.8).
//!
//! A descriptor can go stale without us noticing (the device was unplugged and plugged back between two
//! calls): an operation that fails as offline on a port opened *before* the call is retried once on a
//! freshly opened port, so the first call after a replug already succeeds.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort};

use crate::card::Card;
use crate::reader::{Health, ReaderError, SamReader};

/// Default UART speed of SAM_V modules.
pub const DEFAULT_BAUD_RATE: u32 = 115_200;

/// How the serial port is driven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    pub baud_rate: u32,
    /// Longest silence tolerated while waiting for (the rest of) an answer. Public reader code waits
    /// 1 s per read; a 30 01 answer (1295 bytes at 115200 baud) takes about 115 ms on the wire.
    pub response_timeout: Duration,
}

impl Default for SerialConfig {
    fn default() -> Self {
        Self {
            baud_rate: DEFAULT_BAUD_RATE,
            response_timeout: Duration::from_secs(1),
        }
    }
}

/// An ID card reader on a serial path (`/dev/ttyUSB0`, a udev symlink, a simulator's pty link).
pub struct SerialReader {
    path: PathBuf,
    config: SerialConfig,
    session: Option<SamReader<Box<dyn SerialPort>>>,
}

// `dyn SerialPort` has no `Debug`; the path and whether it is open are what matter.
impl std::fmt::Debug for SerialReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialReader")
            .field("path", &self.path)
            .field("config", &self.config)
            .field("open", &self.session.is_some())
            .finish()
    }
}

impl SerialReader {
    /// A reader for `path`. Nothing is opened yet: a missing device is reported by the first call.
    pub fn new(path: impl Into<PathBuf>, config: SerialConfig) -> Self {
        Self {
            path: path.into(),
            config,
            session: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True while a port is open (it may still turn out stale on the next call).
    pub fn is_open(&self) -> bool {
        self.session.is_some()
    }

    /// Find → select → read the card on the reader.
    pub fn read_card(&mut self) -> Result<Card, ReaderError> {
        self.with_session(SamReader::read_card)
    }

    /// The SAM's 16-byte identity.
    pub fn sam_id(&mut self) -> Result<Vec<u8>, ReaderError> {
        self.with_session(SamReader::sam_id)
    }

    /// SAM status (`11 FF`) mapped to ok / degraded / offline; reopens the port if needed.
    pub fn probe(&mut self) -> Health {
        match self.with_session(SamReader::sam_status) {
            Ok(()) => Health {
                status: crate::reader::ReaderStatus::Ok,
                detail: None,
            },
            Err(e) => Health::from_error(&e),
        }
    }

    /// Polls every `poll_interval` until a card is read or `timeout` has passed.
    ///
    /// "Nothing to read" outcomes ([`ReaderError::is_no_new_card`]) keep it waiting; at the deadline the
    /// last of them is returned. Any other error ends the wait at once, so an unplugged reader or SAM
    /// fault is reported immediately rather than after the timeout.
    pub fn wait_for_card(
        &mut self,
        timeout: Duration,
        poll_interval: Duration,
    ) -> Result<Card, ReaderError> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.read_card() {
                Err(e) if e.is_no_new_card() && Instant::now() < deadline => {
                    std::thread::sleep(poll_interval);
                }
                outcome => return outcome,
            }
        }
    }

    fn open(&self) -> Result<SamReader<Box<dyn SerialPort>>, ReaderError> {
        let port = serialport::new(self.path.to_string_lossy(), self.config.baud_rate)
            .timeout(self.config.response_timeout)
            .open()
            .map_err(|e| {
                ReaderError::Offline(format!("cannot open {}: {e}", self.path.display()))
            })?;
        tracing::info!(path = %self.path.display(), "ID card reader port opened");
        Ok(SamReader::new(port))
    }

    fn with_session<T>(
        &mut self,
        mut operation: impl FnMut(&mut SamReader<Box<dyn SerialPort>>) -> Result<T, ReaderError>,
    ) -> Result<T, ReaderError> {
        let was_open = self.session.is_some();
        let first = self.run_once(&mut operation);
        match first {
            Err(ReaderError::Offline(_)) if was_open => {
                tracing::info!(path = %self.path.display(), "ID card reader port lost; reopening");
                self.run_once(&mut operation)
            }
            outcome => outcome,
        }
    }

    fn run_once<T>(
        &mut self,
        operation: &mut impl FnMut(&mut SamReader<Box<dyn SerialPort>>) -> Result<T, ReaderError>,
    ) -> Result<T, ReaderError> {
        let mut session = match self.session.take() {
            Some(session) => session,
            None => self.open()?,
        };
        // Bytes that arrived since the last call (a late answer, line noise) are not for this call.
        let outcome = session
            .get_mut()
            .clear(ClearBuffer::Input)
            .map_err(|e| ReaderError::Offline(format!("port error: {e}")))
            .and_then(|()| operation(&mut session));
        if matches!(outcome, Err(ReaderError::Offline(_))) {
            tracing::warn!(path = %self.path.display(), "ID card reader went offline");
        } else {
            self.session = Some(session);
        }
        outcome
    }
}
