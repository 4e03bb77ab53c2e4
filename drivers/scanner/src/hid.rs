//! Scanner guns in HID keyboard mode, read from their own input device.
//!
//! The kiosk's window must not be the receiver of a scan (focus moves, a scan would type into a form field), so
//! [`HidScanner`] opens the scanner's event device — preferably its stable `/dev/input/by-id/usb-…-event-kbd`
//! path, which survives replugging and names the model — and reads `struct input_event` records from it.
//!
//! # Why `evdev` only opens and grabs
//!
//! For a character device we use the `evdev` crate to open it and issue `EVIOCGRAB`, which makes us the only
//! receiver of its keys (they no longer reach X11/Wayland and the focused window). `evdev` does the ioctl, so our
//! code stays free of `unsafe`. We then read the records ourselves from a duplicate of the same file descriptor
//! (the grab belongs to the shared open file description) with [`crate::wedge::parse_record`]. Reading through
//! `evdev`'s own event stream would work only on real evdev nodes; our way the very same code reads a FIFO or a
//! recorded trace file, which is how it is tested (there is no `/dev/uinput` to create a virtual keyboard here).
//! FIFOs and files are not grabbed (there is nothing to grab).
//!
//! # Threading and recovery
//!
//! A background thread opens the device, reads records and re-opens the path when the device goes away (a USB
//! unplug makes reads fail with `ENODEV`; a FIFO's writer closing gives end-of-file). Real devices are read in
//! non-blocking mode so the thread notices [`HidScanner`] being dropped within a few milliseconds and releases the
//! grab. A regular file is a recorded trace: at its end the thread stops instead of replaying it again.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use banshi_core::Clock;

use crate::wedge::{parse_record, KeyEvent, WedgeDecoder, INPUT_EVENT_SIZE};
use crate::{Health, ScannerError, ScannerStatus};

/// Pause between attempts to open a missing device.
const REOPEN_INTERVAL: Duration = Duration::from_millis(250);
/// Sleep when a non-blocking device has nothing to read.
const IDLE_READ_SLEEP: Duration = Duration::from_millis(10);

/// Where the scanner is and how scans end.
#[derive(Debug, Clone)]
pub struct HidScannerConfig {
    /// `/dev/input/by-id/…-event-kbd`, `/dev/input/eventN`, or a FIFO/file with recorded records.
    pub path: PathBuf,
    /// Take the device exclusively (`EVIOCGRAB`) so its keys do not reach the focused window. Default: true.
    pub grab: bool,
    /// A pause between keys longer than this ends a scan that has no Enter suffix. Default: 150 ms.
    pub inter_key_gap: Duration,
}

impl HidScannerConfig {
    /// Defaults for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            grab: true,
            inter_key_gap: Duration::from_millis(150),
        }
    }
}

#[derive(Debug)]
enum ReaderMsg {
    Opened(Health),
    Key(KeyEvent),
    Lost(String),
}

/// A HID keyboard-mode scanner gun read from its input device.
#[derive(Debug)]
pub struct HidScanner {
    clock: Arc<dyn Clock>,
    decoder: WedgeDecoder,
    messages: Receiver<ReaderMsg>,
    stop: Arc<AtomicBool>,
    health: Health,
}

impl HidScanner {
    /// Start reading `config.path` in the background; the device need not exist yet.
    pub fn start(config: HidScannerConfig, clock: Arc<dyn Clock>) -> Self {
        let (sender, messages) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let reader_stop = Arc::clone(&stop);
        let decoder = WedgeDecoder::new(config.inter_key_gap);
        let spawned = std::thread::Builder::new()
            .name("hid-scanner".into())
            .spawn(move || read_device(&config, &sender, &reader_stop));
        let health = match spawned {
            Ok(_) => Health::new(ScannerStatus::Unknown, None),
            Err(e) => Health::new(
                ScannerStatus::Offline,
                format!("could not start the reader thread: {e}"),
            ),
        };
        Self {
            clock,
            decoder,
            messages,
            stop,
            health,
        }
    }

    /// The reader's current state (as of the last [`HidScanner::next_scan`] call).
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Wait up to `wait` for the next complete scan. `Ok(None)`: nothing was scanned. `Err(Offline)`: the device
    /// went away during the wait, or is still missing at its end; keep calling, the reader re-opens it by itself.
    pub fn next_scan(&mut self, wait: Duration) -> Result<Option<String>, ScannerError> {
        let deadline = Instant::now() + wait;
        // Wake up often enough to end a gap-terminated scan close to its gap.
        let tick = (self.decoder.gap() / 2).max(Duration::from_millis(5));
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left.min(tick)) {
                Ok(ReaderMsg::Key(event)) => {
                    if let Some(scan) = self.decoder.on_key(event, self.clock.as_ref()) {
                        return Ok(Some(scan));
                    }
                }
                Ok(ReaderMsg::Opened(health)) => self.health = health,
                Ok(ReaderMsg::Lost(detail)) => {
                    self.decoder.reset();
                    self.health = Health::new(ScannerStatus::Offline, detail.clone());
                    return Err(ScannerError::Offline { detail });
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(scan) = self.decoder.on_idle(self.clock.as_ref()) {
                        return Ok(Some(scan));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let detail = "the reader has stopped (end of a recorded trace)".to_owned();
                    self.health = Health::new(ScannerStatus::Offline, detail.clone());
                    return Err(ScannerError::Offline { detail });
                }
            }
            if left.is_zero() {
                return match self.health.status {
                    ScannerStatus::Offline => Err(ScannerError::Offline {
                        detail: self.health.detail.clone().unwrap_or_default(),
                    }),
                    _ => Ok(None),
                };
            }
        }
    }
}

impl Drop for HidScanner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// An opened input: the file we read and, for a real device, the `evdev` handle that holds the grab.
struct OpenedInput {
    file: File,
    _device: Option<evdev::Device>,
    health: Health,
    is_trace_file: bool,
}

fn open_input(path: &Path, grab: bool) -> Result<OpenedInput, ScannerError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| ScannerError::Offline {
        detail: format!("{shown}: {e}"),
    })?;
    let kind = meta.file_type();
    if !kind.is_char_device() {
        let file = File::open(path).map_err(|e| ScannerError::Offline {
            detail: format!("{shown}: {e}"),
        })?;
        return Ok(OpenedInput {
            file,
            _device: None,
            health: Health::new(ScannerStatus::Ok, format!("{shown}: recorded input")),
            is_trace_file: kind.is_file(),
        });
    }
    let mut device = evdev::Device::open(path).map_err(|e| ScannerError::Offline {
        detail: format!("{shown}: {e}"),
    })?;
    let name = device.name().unwrap_or("unnamed input device").to_owned();
    let health = if !grab {
        Health::new(
            ScannerStatus::Ok,
            format!("{name} (not grabbed by configuration)"),
        )
    } else {
        match device.grab() {
            Ok(()) => Health::new(ScannerStatus::Ok, name),
            Err(e) => {
                let err = ScannerError::GrabFailed {
                    detail: format!("{shown}: {e}"),
                };
                tracing::warn!(error = %err, "scanner keys will also reach the focused window");
                Health::new(
                    ScannerStatus::Degraded,
                    format!("{name}: not grabbed ({e}); its keys also reach the focused window"),
                )
            }
        }
    };
    let io_error = |e: std::io::Error| ScannerError::Io {
        detail: format!("{shown}: {e}"),
    };
    device.set_nonblocking(true).map_err(io_error)?;
    let file = File::from(device.as_fd().try_clone_to_owned().map_err(io_error)?);
    Ok(OpenedInput {
        file,
        _device: Some(device),
        health,
        is_trace_file: false,
    })
}

/// The reader thread: open, read records, re-open when the device goes away, until stopped.
fn read_device(config: &HidScannerConfig, sender: &Sender<ReaderMsg>, stop: &AtomicBool) {
    let mut reported_missing = false;
    while !stop.load(Ordering::Relaxed) {
        let mut input = match open_input(&config.path, config.grab) {
            Ok(input) => input,
            Err(e) => {
                if !reported_missing {
                    tracing::info!(error = %e, "HID scanner not available");
                    if sender.send(ReaderMsg::Lost(e.to_string())).is_err() {
                        return;
                    }
                    reported_missing = true;
                }
                std::thread::sleep(REOPEN_INTERVAL);
                continue;
            }
        };
        tracing::info!(path = %config.path.display(), "HID scanner opened");
        if sender
            .send(ReaderMsg::Opened(input.health.clone()))
            .is_err()
        {
            return;
        }
        let ended = read_records(&mut input.file, sender, stop);
        let detail = match ended {
            ReadEnd::Stopped => return,
            ReadEnd::EndOfInput if input.is_trace_file => {
                tracing::info!(path = %config.path.display(), "recorded HID trace ended");
                return;
            }
            ReadEnd::EndOfInput => format!("{}: input closed", config.path.display()),
            ReadEnd::Failed(e) => format!("{}: {e}", config.path.display()),
        };
        tracing::warn!(%detail, "HID scanner lost");
        if sender.send(ReaderMsg::Lost(detail)).is_err() {
            return;
        }
        reported_missing = true;
    }
}

enum ReadEnd {
    Stopped,
    EndOfInput,
    Failed(std::io::Error),
}

fn read_records(file: &mut File, sender: &Sender<ReaderMsg>, stop: &AtomicBool) -> ReadEnd {
    let mut pending: Vec<u8> = Vec::with_capacity(INPUT_EVENT_SIZE * 64);
    let mut chunk = [0u8; INPUT_EVENT_SIZE * 64];
    loop {
        if stop.load(Ordering::Relaxed) {
            return ReadEnd::Stopped;
        }
        match file.read(&mut chunk) {
            Ok(0) => return ReadEnd::EndOfInput,
            Ok(n) => {
                pending.extend_from_slice(chunk.get(..n).unwrap_or_default());
                let whole = pending.len() - pending.len() % INPUT_EVENT_SIZE;
                for record in pending
                    .get(..whole)
                    .unwrap_or_default()
                    .chunks_exact(INPUT_EVENT_SIZE)
                {
                    let Ok(record) = <&[u8; INPUT_EVENT_SIZE]>::try_from(record) else {
                        continue;
                    };
                    if let Some(event) = parse_record(record) {
                        if sender.send(ReaderMsg::Key(event)).is_err() {
                            return ReadEnd::Stopped;
                        }
                    }
                }
                pending.drain(..whole);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(IDLE_READ_SLEEP),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return ReadEnd::Failed(e),
        }
    }
}
