//! A wire-faithful ID card reader on a pseudo-terminal, for tests, the demo hall and installers.
//!
//! [`IdCardSimulator::start`] opens a pty pair, points a symlink *you choose* at the slave side (so a
//! profile can name a stable path such as `/run/banshi/idcard` even though pty numbers change), and
//! runs the SAM state machine ([`sam::SamState`]) on the master side in a thread. The driver opens the
//! link exactly as it opens `/dev/ttyUSB0`; every byte it sees was produced by the same frame code a
//! real SAM would be parsed with.
//!
//! The returned handle scripts the world around the reader: place or remove a card
//! ([`fixtures::CardFixture`]), inject transport or SAM faults ([`Fault`]), and unplug/replug the
//! reader. Unplugging closes the pty master (the driver's descriptor hangs up, as with a USB-serial
//! adapter pulled out) and removes the symlink (the device node disappears); replugging creates a new pty
//! and re-points the link.
//!
//! The simulator does not keep the slave side open itself. When the last opener closes a tty, the
//! kernel clears its exclusive-open flag; holding the slave open would keep the flag the driver sets
//! (serialport opens ports with `TIOCEXCL`) and lock out the driver's own reopen.

pub mod cli;
pub mod fixtures;
pub mod rng;
pub mod sam;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use crate::frame::{FrameError, FrameReader, Request, PREAMBLE};
use fixtures::CardFixture;
use rng::XorShift64;
use sam::{SamHealth, SamState};

/// How long the simulator thread waits for bytes before looking at its control channel again.
const POLL: Duration = Duration::from_millis(20);

/// Faults the simulator can inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Send 1–24 bytes of noise (including preamble fragments) before every response.
    NoiseBeforeResponses(bool),
    /// Write every response in random pieces of 1–64 bytes with short pauses between them.
    ChunkedResponses(bool),
    /// Flip the checksum of the next `n` responses.
    CorruptChecksums(u32),
    /// Send nothing for the next `n` requests (the driver times out).
    DropResponses(u32),
    /// The card leaves the field between the next select and read (read answers `0x41`).
    RemoveCardBetweenSelectAndRead,
    /// Set the SAM's own health (self-test failure, not authorised, ok).
    Sam(SamHealth),
}

#[derive(Debug, Default)]
struct TransportFaults {
    noise: bool,
    chunked: bool,
    corrupt: u32,
    drop: u32,
}

#[derive(Debug)]
struct Shared {
    sam: SamState,
    faults: TransportFaults,
    rng: XorShift64,
    requests: Vec<Request>,
}

enum Control {
    Attach(TTYPort),
    Detach(Sender<()>),
    Stop,
}

/// A running simulated reader. Dropping it stops the thread and removes the link.
#[derive(Debug)]
pub struct IdCardSimulator {
    link: PathBuf,
    shared: Arc<Mutex<Shared>>,
    control: Sender<Control>,
    thread: Option<JoinHandle<()>>,
    plugged: Mutex<bool>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Attach(_) => "Attach",
            Self::Detach(_) => "Detach",
            Self::Stop => "Stop",
        })
    }
}

impl IdCardSimulator {
    /// Starts a plugged-in reader with an empty field; `link` becomes a symlink to the pty slave
    /// (an existing file or link there is replaced).
    pub fn start(link: impl Into<PathBuf>) -> io::Result<Self> {
        Self::start_seeded(link, 0x1D_CA4D)
    }

    /// [`IdCardSimulator::start`] with an explicit seed for the fault randomness (noise, chunk sizes).
    pub fn start_seeded(link: impl Into<PathBuf>, seed: u64) -> io::Result<Self> {
        let shared = Arc::new(Mutex::new(Shared {
            sam: SamState::default(),
            faults: TransportFaults::default(),
            rng: XorShift64::new(seed),
            requests: Vec::new(),
        }));
        let (control, commands) = mpsc::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("idcard-sim".into())
            .spawn(move || run(&thread_shared, &commands))?;
        let simulator = Self {
            link: link.into(),
            shared,
            control,
            thread: Some(thread),
            plugged: Mutex::new(false),
        };
        simulator.replug()?;
        Ok(simulator)
    }

    /// The stable path to give the driver.
    pub fn link(&self) -> &Path {
        &self.link
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Places a fresh card (replacing any card on the reader).
    pub fn place_card(&self, card: CardFixture) {
        self.shared().sam.place_card(card);
    }

    /// Lifts the card off the reader.
    pub fn remove_card(&self) {
        self.shared().sam.remove_card();
    }

    /// True while a card lies on the reader.
    pub fn has_card(&self) -> bool {
        self.shared().sam.has_card()
    }

    /// Injects a fault (see [`Fault`] for which are one-shot).
    pub fn inject(&self, fault: Fault) {
        let mut shared = self.shared();
        match fault {
            Fault::NoiseBeforeResponses(on) => shared.faults.noise = on,
            Fault::ChunkedResponses(on) => shared.faults.chunked = on,
            Fault::CorruptChecksums(n) => shared.faults.corrupt = n,
            Fault::DropResponses(n) => shared.faults.drop = n,
            Fault::RemoveCardBetweenSelectAndRead => shared.sam.remove_card_after_next_select(),
            Fault::Sam(health) => shared.sam.set_health(health),
        }
    }

    /// Removes every transport fault and restores a healthy SAM.
    pub fn clear_faults(&self) {
        let mut shared = self.shared();
        shared.faults = TransportFaults::default();
        shared.sam.set_health(SamHealth::Ok);
    }

    /// Every well-formed request received so far, in order (for tests that count retries).
    pub fn requests(&self) -> Vec<Request> {
        self.shared().requests.clone()
    }

    pub fn is_plugged(&self) -> bool {
        *self.plugged.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Pulls the reader out: the pty is closed (open descriptors hang up) and the link removed.
    /// Returns once both have happened. Unplugging twice is harmless.
    pub fn unplug(&self) -> io::Result<()> {
        let mut plugged = self.plugged.lock().unwrap_or_else(|p| p.into_inner());
        if *plugged {
            let (ack, acked) = mpsc::channel();
            if self.control.send(Control::Detach(ack)).is_ok() {
                // An error here means the thread is gone, and with it the pty.
                let _ = acked.recv();
            }
            *plugged = false;
        }
        match std::fs::remove_file(&self.link) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Plugs the reader (back) in: a new pty, the link re-pointed at it, the SAM powered up afresh (a
    /// card left on it is found again). Replugging a plugged reader is a quick unplug/replug.
    pub fn replug(&self) -> io::Result<()> {
        self.unplug()?;
        let (mut master, slave) = TTYPort::pair().map_err(io::Error::other)?;
        let slave_path = slave
            .name()
            .ok_or_else(|| io::Error::other("pty slave has no name"))?;
        drop(slave);
        master.set_timeout(POLL).map_err(io::Error::other)?;
        let staging = self.link.with_extension("sim-link");
        let _ = std::fs::remove_file(&staging);
        std::os::unix::fs::symlink(&slave_path, &staging)?;
        std::fs::rename(&staging, &self.link)?;
        self.control
            .send(Control::Attach(master))
            .map_err(|_| io::Error::other("simulator thread stopped"))?;
        self.shared().sam.power_cycle();
        *self.plugged.lock().unwrap_or_else(|p| p.into_inner()) = true;
        tracing::debug!(link = %self.link.display(), pty = %slave_path, "ID card simulator plugged in");
        Ok(())
    }
}

impl Drop for IdCardSimulator {
    fn drop(&mut self) {
        let _ = self.unplug();
        let _ = self.control.send(Control::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The simulator thread: serve the attached pty, obey control messages.
fn run(shared: &Mutex<Shared>, commands: &Receiver<Control>) {
    let mut port: Option<FrameReader<TTYPort>> = None;
    loop {
        let command = if port.is_some() {
            commands.try_recv().ok()
        } else {
            match commands.recv_timeout(POLL) {
                Ok(command) => Some(command),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        match command {
            Some(Control::Attach(master)) => port = Some(FrameReader::new(master)),
            Some(Control::Detach(ack)) => {
                port = None;
                let _ = ack.send(());
            }
            Some(Control::Stop) => return,
            None => {}
        }
        if let Some(frames) = port.as_mut() {
            serve_one(shared, frames);
        }
    }
}

/// Waits up to [`POLL`] for one request and answers it.
fn serve_one(shared: &Mutex<Shared>, frames: &mut FrameReader<TTYPort>) {
    let lock = || shared.lock().unwrap_or_else(|p| p.into_inner());
    let response = match frames.read_request() {
        Ok(Some(request)) => {
            let mut state = lock();
            state.requests.push(request.clone());
            state.sam.answer(&request)
        }
        Ok(None) => crate::frame::Response::new(crate::frame::sw3::LENGTH_ERROR, vec![]),
        Err(e @ (FrameError::BadChecksum { .. } | FrameError::BadLength { .. })) => {
            match SamState::answer_frame_error(&e) {
                Some(response) => response,
                None => return,
            }
        }
        Err(FrameError::Io(e)) if e.kind() == io::ErrorKind::TimedOut => return,
        Err(_) => {
            // No one has the slave open (the master reports a hang-up at once): wait for a host.
            std::thread::sleep(POLL);
            return;
        }
    };
    let pieces = {
        let mut state = lock();
        let Shared { faults, rng, .. } = &mut *state;
        if faults.drop > 0 {
            faults.drop -= 1;
            return;
        }
        let mut bytes = response.encode();
        if faults.corrupt > 0 {
            faults.corrupt -= 1;
            if let Some(chk) = bytes.last_mut() {
                *chk ^= 0x5A;
            }
        }
        if faults.noise {
            let mut noisy = noise(rng);
            noisy.append(&mut bytes);
            bytes = noisy;
        }
        if faults.chunked {
            let mut pieces = Vec::new();
            let mut rest = bytes.as_slice();
            while !rest.is_empty() {
                let (piece, tail) = rest.split_at(rng.range(1, 64).min(rest.len()));
                pieces.push(piece.to_vec());
                rest = tail;
            }
            pieces
        } else {
            vec![bytes]
        }
    };
    let port = frames.get_mut();
    let chunked = pieces.len() > 1;
    for piece in pieces {
        // No flush: a pty master write is unbuffered, and tcdrain on a master is not meaningful.
        if port.write_all(&piece).is_err() {
            return;
        }
        if chunked {
            // Long enough for the driver to see partial frames, short enough to stay under its timeout.
            std::thread::sleep(Duration::from_micros(300));
        }
    }
}

/// Noise that looks like line garbage and half-started frames, never a complete preamble.
fn noise(rng: &mut XorShift64) -> Vec<u8> {
    let len = rng.range(1, 24);
    let mut bytes: Vec<u8> = (0..len)
        .map(|_| match rng.range(0, 3) {
            0 => 0xAA,
            1 => 0x96,
            _ => rng.next_u8(),
        })
        .collect();
    // A preamble fragment right before the real preamble is the hardest case for a resynchroniser.
    bytes.extend_from_slice(PREAMBLE.get(..rng.range(0, 4)).unwrap_or_default());
    // Random bytes could, very rarely, complete a preamble themselves: that would be a second frame,
    // not noise.
    while bytes.windows(PREAMBLE.len()).any(|w| w == PREAMBLE) {
        bytes.retain(|b| *b != 0x69);
    }
    bytes
}
