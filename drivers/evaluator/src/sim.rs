//! A simulated evaluator on a pseudo-terminal, speaking [`crate::protocol`] byte for byte.
//!
//! The simulator plays the device: it answers the host's frames (ACK, NAK on a bad checksum or an unknown command,
//! `STATUS` replies), lights and arms on `LIGHT_ON`, sends `KEY` frames for presses while armed (and ignores
//! presses while not), retransmits an unacknowledged `KEY` frame on NAK or after 500 ms (three times at most), and
//! sends a heartbeat every second. The pty's slave side is published at a symlink the caller chooses, the stable
//! path a profile would name.
//!
//! The handle injects faults: go silent (a hung device), unplug (pty closed, symlink removed) and replug (new pty,
//! symlink re-pointed; the device starts dark and unarmed, as after a power cycle), raw garbage, a `KEY` frame
//! with a bad checksum, NAKs for the host's next commands, a stuck key.
//!
//! A background thread serves the pty; all state sits behind one mutex that the thread holds only for one short
//! read, so handle calls act at once and in order.

use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use crate::protocol::{
    cmd, DeviceMessage, Frame, FrameParser, Grade, HostCommand, NakReason, Parsed, SessionId,
};

const READ_SLICE: Duration = Duration::from_millis(5);
const KEY_RETRANSMIT_AFTER: Duration = Duration::from_millis(500);
const KEY_MAX_RETRANSMISSIONS: u32 = 3;

/// Counters and state a test or an installer can look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// The prompt light is on.
    pub light_on: bool,
    /// The session the keys are armed for.
    pub armed: Option<SessionId>,
    /// Key presses dropped because the keys were not armed.
    pub ignored_presses: u32,
    /// NAK frames the host sent us.
    pub naks_from_host: u32,
    /// NAK frames we sent the host.
    pub naks_to_host: u32,
    /// `KEY` frames sent again after a NAK or a missing ACK.
    pub key_retransmissions: u32,
    /// Host frames received with a good checksum.
    pub frames_from_host: u32,
    /// `BEEP` commands received.
    pub beeps: u32,
}

struct Plugged {
    master: TTYPort,
    _slave_keepalive: TTYPort,
}

struct PendingKey {
    message: DeviceMessage,
    sent_at: Instant,
    retransmissions: u32,
}

struct State {
    plugged: Option<Plugged>,
    parser: FrameParser,
    silent: bool,
    key_stuck: bool,
    nak_next_commands: u32,
    pending_key: Option<PendingKey>,
    last_heartbeat: Instant,
    stats: SimStats,
}

impl State {
    fn write(&mut self, bytes: &[u8]) {
        if let Some(plugged) = self.plugged.as_mut() {
            // A write fails only while no host has the port open; a real device's bytes are lost then too.
            if let Err(e) = plugged.master.write_all(bytes) {
                tracing::debug!(error = %e, "simulated evaluator write failed");
            }
        }
    }

    fn send(&mut self, message: DeviceMessage) {
        self.write(&message.to_frame().encode());
    }

    fn handle_host_frame(&mut self, frame: &Frame) {
        self.stats.frames_from_host += 1;
        let command = match HostCommand::from_frame(frame) {
            Ok(command) => command,
            Err(unrecognised) => {
                self.stats.naks_to_host += 1;
                return self.send(DeviceMessage::Nak(unrecognised.0));
            }
        };
        match command {
            HostCommand::Ack(cmd::KEY) => self.pending_key = None,
            HostCommand::Ack(_) => {}
            HostCommand::Nak(_) => {
                self.stats.naks_from_host += 1;
                if let Some(pending) = self.pending_key.as_mut() {
                    pending.retransmissions += 1;
                    pending.sent_at = Instant::now();
                    let message = pending.message;
                    self.stats.key_retransmissions += 1;
                    self.send(message);
                }
            }
            _ if self.nak_next_commands > 0 => {
                self.nak_next_commands -= 1;
                self.stats.naks_to_host += 1;
                self.send(DeviceMessage::Nak(NakReason::BadChecksum));
            }
            HostCommand::LightOn(session) => {
                self.stats.light_on = true;
                self.stats.armed = Some(session);
                self.send(DeviceMessage::Ack(cmd::LIGHT_ON));
            }
            HostCommand::LightOff => {
                self.stats.light_on = false;
                self.stats.armed = None;
                self.send(DeviceMessage::Ack(cmd::LIGHT_OFF));
            }
            HostCommand::Beep(_) => {
                self.stats.beeps += 1;
                self.send(DeviceMessage::Ack(cmd::BEEP));
            }
            HostCommand::StatusQuery => self.send(DeviceMessage::Status {
                key_stuck: self.key_stuck,
                light_on: self.stats.light_on,
                armed: self.stats.armed,
            }),
        }
    }

    /// One step of the device's life: read what the host sent, retransmit, heartbeat.
    fn serve(&mut self, heartbeat_every: Duration) {
        let mut chunk = [0u8; 64];
        let read = match self.plugged.as_mut() {
            Some(plugged) => plugged.master.read(&mut chunk),
            None => return,
        };
        match read {
            Ok(n) if !self.silent => self.parser.push(chunk.get(..n).unwrap_or_default()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                ) => {}
            Err(e) => tracing::trace!(error = %e, "simulated evaluator read failed"),
        }
        if self.silent {
            return;
        }
        while let Some(parsed) = self.parser.next_parsed() {
            match parsed {
                Parsed::Frame(frame) => self.handle_host_frame(&frame),
                Parsed::BadChecksum { .. } => {
                    self.stats.naks_to_host += 1;
                    self.send(DeviceMessage::Nak(NakReason::BadChecksum));
                }
            }
        }
        let now = Instant::now();
        let resend = match self.pending_key.as_mut() {
            Some(pending) if now.duration_since(pending.sent_at) >= KEY_RETRANSMIT_AFTER => {
                if pending.retransmissions >= KEY_MAX_RETRANSMISSIONS {
                    self.pending_key = None;
                    None
                } else {
                    pending.retransmissions += 1;
                    pending.sent_at = now;
                    Some(pending.message)
                }
            }
            _ => None,
        };
        if let Some(message) = resend {
            self.stats.key_retransmissions += 1;
            self.send(message);
        }
        if now.duration_since(self.last_heartbeat) >= heartbeat_every {
            self.last_heartbeat = now;
            self.send(DeviceMessage::Heartbeat);
        }
    }
}

/// A running simulated evaluator. Dropping it unplugs it and stops its thread.
pub struct EvaluatorSim {
    link: PathBuf,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EvaluatorSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvaluatorSim")
            .field("link", &self.link)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl EvaluatorSim {
    /// Start a simulated evaluator at `link`, heartbeating every second.
    pub fn start(link: impl Into<PathBuf>) -> io::Result<Self> {
        Self::start_with_heartbeat(link, Duration::from_secs(1))
    }

    /// Start with another heartbeat interval.
    pub fn start_with_heartbeat(
        link: impl Into<PathBuf>,
        heartbeat_every: Duration,
    ) -> io::Result<Self> {
        let state = Arc::new(Mutex::new(State {
            plugged: None,
            parser: FrameParser::new(),
            silent: false,
            key_stuck: false,
            nak_next_commands: 0,
            pending_key: None,
            last_heartbeat: Instant::now(),
            stats: SimStats::default(),
        }));
        let mut sim = Self {
            link: link.into(),
            state,
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
        };
        sim.replug()?;
        let state = Arc::clone(&sim.state);
        let stop = Arc::clone(&sim.stop);
        sim.thread = Some(
            std::thread::Builder::new()
                .name("evaluator-sim".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let plugged = {
                            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
                            state.serve(heartbeat_every);
                            state.plugged.is_some()
                        };
                        if !plugged {
                            std::thread::sleep(READ_SLICE);
                        }
                        // Give handle calls a chance at the lock between two reads (std's mutex is not fair).
                        std::thread::sleep(Duration::from_millis(1));
                    }
                })?,
        );
        Ok(sim)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stable path the host opens.
    pub fn link(&self) -> &Path {
        &self.link
    }

    /// Counters and state.
    pub fn stats(&self) -> SimStats {
        self.state().stats.clone()
    }

    /// Wait until the keys are armed (the host lit the prompt), at most `wait`; returns the armed session.
    pub fn wait_until_armed(&self, wait: Duration) -> Option<SessionId> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(session) = self.state().stats.armed {
                return Some(session);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(READ_SLICE);
        }
    }

    /// Press a key. Returns whether a `KEY` frame was sent (only while armed; the device then goes dark).
    pub fn press(&self, grade: Grade) -> bool {
        self.press_inner(grade, false)
    }

    /// Press a key, but corrupt the first transmission's checksum (the retransmission after the host's NAK is
    /// correct).
    pub fn press_with_bad_checksum(&self, grade: Grade) -> bool {
        self.press_inner(grade, true)
    }

    fn press_inner(&self, grade: Grade, corrupt_first: bool) -> bool {
        let mut state = self.state();
        let Some(session) = state.stats.armed.take() else {
            state.stats.ignored_presses += 1;
            return false;
        };
        if state.plugged.is_none() || state.silent {
            return false;
        }
        state.stats.light_on = false;
        let message = DeviceMessage::Key { session, grade };
        let mut bytes = message.to_frame().encode();
        if corrupt_first {
            if let Some(xor) = bytes.iter_mut().rev().nth(1) {
                *xor ^= 0xff;
            }
        }
        state.write(&bytes);
        state.pending_key = Some(PendingKey {
            message,
            sent_at: Instant::now(),
            retransmissions: 0,
        });
        true
    }

    /// Send raw bytes (noise, hand-made frames such as a key for another session).
    pub fn inject(&self, bytes: &[u8]) {
        self.state().write(bytes);
    }

    /// Answer the host's next `count` commands with NAK (as if they had arrived corrupted).
    pub fn nak_next_commands(&self, count: u32) {
        self.state().nak_next_commands = count;
    }

    /// Stop answering and heartbeating (a hung device), or resume.
    pub fn set_silent(&self, silent: bool) {
        self.state().silent = silent;
    }

    /// Report a stuck key in `STATUS` replies.
    pub fn set_key_stuck(&self, stuck: bool) {
        self.state().key_stuck = stuck;
    }

    /// Close the pty and remove the symlink; the device loses its state.
    pub fn unplug(&self) {
        let mut state = self.state();
        let _ = std::fs::remove_file(&self.link);
        state.plugged = None;
        state.pending_key = None;
        state.parser = FrameParser::new();
        state.stats.light_on = false;
        state.stats.armed = None;
    }

    /// A new pty behind the same symlink (re-pointed atomically); the device starts dark and unarmed.
    pub fn replug(&self) -> io::Result<()> {
        let mut state = self.state();
        state.plugged = None;
        let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
        master.set_timeout(READ_SLICE).map_err(io::Error::from)?;
        let target = slave
            .name()
            .ok_or_else(|| io::Error::other("the pty has no name"))?;
        let temporary = self.link.with_extension("replug");
        let _ = std::fs::remove_file(&temporary);
        std::os::unix::fs::symlink(&target, &temporary)?;
        std::fs::rename(&temporary, &self.link)?;
        tracing::debug!(link = %self.link.display(), %target, "simulated evaluator plugged");
        state.plugged = Some(Plugged {
            master,
            _slave_keepalive: slave,
        });
        state.parser = FrameParser::new();
        state.stats.light_on = false;
        state.stats.armed = None;
        Ok(())
    }
}

impl Drop for EvaluatorSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.unplug();
    }
}

/// The bytes of a `KEY` frame, for injecting keys the simulated keys would not send (another session's).
pub fn key_frame(session: SessionId, grade: Grade) -> Vec<u8> {
    DeviceMessage::Key { session, grade }.to_frame().encode()
}
