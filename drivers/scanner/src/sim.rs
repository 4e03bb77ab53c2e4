//! Simulated scanners that speak the real bytes, for tests, the demo hall and installers without hardware.
//!
//! * [`SerialScannerSim`]: a pseudo-terminal pair whose slave side is published at a symlink the caller chooses
//!   (the stable path a profile would name, like `/dev/serial/by-id/…`). [`SerialScannerSim::scan`] writes what a
//!   serial-mode scanner writes: the code's bytes and a CR LF. [`SerialScannerSim::unplug`] closes the pty and
//!   removes the symlink, as the kernel does with a USB device; [`SerialScannerSim::replug`] creates a new pty (a
//!   new `/dev/pts/N`, like a re-enumerated device) and re-points the symlink atomically.
//! * [`write_hid_scan`]: the `struct input_event` records a HID-mode scanner produces for a code, to feed the real
//!   [`crate::HidScanner`] through a FIFO or a trace file (`/dev/uinput` is not available on our machines).
//!
//! The simulator keeps its own handle on the slave side open so that the master never sees a hang-up while the
//! reader is between two opens; the reader still gets one when the simulated device is unplugged, because the
//! master side closes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serialport::{SerialPort, TTYPort};

use crate::wedge::records_for_text;

struct Plugged {
    master: TTYPort,
    _slave_keepalive: TTYPort,
}

/// A serial-mode scanner on a pty behind a stable symlink.
pub struct SerialScannerSim {
    link: PathBuf,
    plugged: Mutex<Option<Plugged>>,
}

impl std::fmt::Debug for SerialScannerSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialScannerSim")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

impl SerialScannerSim {
    /// Create the pty and publish it at `link` (replacing whatever is there).
    pub fn start(link: impl Into<PathBuf>) -> io::Result<Self> {
        let sim = Self {
            link: link.into(),
            plugged: Mutex::new(None),
        };
        sim.replug()?;
        Ok(sim)
    }

    /// The stable path readers should open.
    pub fn link(&self) -> &Path {
        &self.link
    }

    fn plugged(&self) -> std::sync::MutexGuard<'_, Option<Plugged>> {
        self.plugged.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Scan `text`: its UTF-8 bytes followed by CR LF.
    pub fn scan(&self, text: &str) -> io::Result<()> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.extend_from_slice(b"\r\n");
        self.send_raw(&bytes)
    }

    /// Write raw bytes (other suffixes, GBK payloads, a code split over several writes).
    pub fn send_raw(&self, bytes: &[u8]) -> io::Result<()> {
        let mut plugged = self.plugged();
        let Some(ports) = plugged.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "simulated scanner is unplugged",
            ));
        };
        ports.master.write_all(bytes)?;
        ports.master.flush()
    }

    /// Remove the symlink and close the pty.
    pub fn unplug(&self) {
        let mut plugged = self.plugged();
        // The link may already be gone; either way it must not exist afterwards.
        let _ = std::fs::remove_file(&self.link);
        *plugged = None;
    }

    /// A new pty, with the symlink pointing at it (replaced atomically by a rename).
    pub fn replug(&self) -> io::Result<()> {
        let mut plugged = self.plugged();
        *plugged = None;
        let (master, slave) = TTYPort::pair().map_err(io::Error::from)?;
        let target = slave
            .name()
            .ok_or_else(|| io::Error::other("the pty has no name"))?;
        let temporary = self.link.with_extension("replug");
        let _ = std::fs::remove_file(&temporary);
        std::os::unix::fs::symlink(&target, &temporary)?;
        std::fs::rename(&temporary, &self.link)?;
        tracing::debug!(link = %self.link.display(), %target, "simulated serial scanner plugged");
        *plugged = Some(Plugged {
            master,
            _slave_keepalive: slave,
        });
        Ok(())
    }
}

impl Drop for SerialScannerSim {
    fn drop(&mut self) {
        self.unplug();
    }
}

/// Write the `input_event` records of a HID-mode scanner scanning `text` (then Enter) to `out`.
pub fn write_hid_scan(out: &mut impl Write, text: &str) -> io::Result<()> {
    for record in records_for_text(text) {
        out.write_all(&record)?;
    }
    out.flush()
}
