//! The host side: drives an evaluator over a serial port, with retries and recovery.
//!
//! [`Evaluator`] owns the port and opens it lazily. Every command waits for its ACK (or `STATUS` reply) and is
//! retransmitted on a NAK or after [`EvaluatorConfig::ack_timeout`], up to [`EvaluatorConfig::attempts`] times.
//! Any read or write error drops the port; the next operation re-opens the configured path, so a replugged device
//! (which appears as a new tty behind the same `/dev/serial/by-id/…` link) is picked up without the caller's help.
//! A device that was replugged during [`Evaluator::request_rating`] has lost its state, so the prompt is sent
//! again after the reconnect.
//!
//! Key frames are acknowledged whatever their session (so the device stops retransmitting them) but only a key
//! for the session being asked for is taken; a late press for an earlier case is logged and dropped.

use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serialport::TTYPort;

use crate::protocol::{
    cmd, DeviceMessage, FrameParser, Grade, HostCommand, NakReason, Parsed, SessionId,
};
use crate::{EvaluatorError, EvaluatorHealth, EvaluatorStatus};

/// One read waits at most this long, which bounds how late a cancel or deadline is noticed.
const READ_SLICE: Duration = Duration::from_millis(20);

/// Where the evaluator is and how patient to be with it.
#[derive(Debug, Clone)]
pub struct EvaluatorConfig {
    /// Serial device, e.g. `/dev/serial/by-id/usb-…-if00-port0`.
    pub path: PathBuf,
    /// Baud rate (our firmware: 9600 8N1).
    pub baud_rate: u32,
    /// How long to wait for an ACK before retransmitting. Default 300 ms.
    pub ack_timeout: Duration,
    /// Transmissions of one command before giving up. Default 3.
    pub attempts: u32,
    /// Pause between attempts to open a missing device. Default 200 ms.
    pub reconnect_interval: Duration,
}

impl EvaluatorConfig {
    /// Defaults for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            baud_rate: 9600,
            ack_timeout: Duration::from_millis(300),
            attempts: 3,
            reconnect_interval: Duration::from_millis(200),
        }
    }
}

/// Lets another thread (the UI closing the rating dialog) stop a waiting [`Evaluator::request_rating`].
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancel every request watching this token.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A keypad evaluator on a serial port.
#[derive(Debug)]
pub struct Evaluator {
    config: EvaluatorConfig,
    port: Option<TTYPort>,
    parser: FrameParser,
    /// The session whose key we are waiting for; keys for others are dropped.
    asking: Option<SessionId>,
    answer: Option<Grade>,
}

/// What the host was waiting for when a frame arrived.
#[derive(Debug, Clone, Copy)]
enum Awaiting {
    AckOf(u8),
    Status,
}

impl Evaluator {
    /// A driver for `config.path`; nothing is opened until the first operation.
    pub fn new(config: EvaluatorConfig) -> Self {
        Self {
            config,
            port: None,
            parser: FrameParser::new(),
            asking: None,
            answer: None,
        }
    }

    fn offline(&self, cause: impl std::fmt::Display) -> EvaluatorError {
        EvaluatorError::Offline {
            detail: format!("{}: {cause}", self.config.path.display()),
        }
    }

    fn connect(&mut self) -> Result<(), EvaluatorError> {
        if self.port.is_some() {
            return Ok(());
        }
        if !self.config.path.exists() {
            return Err(self.offline("device path missing"));
        }
        let path = self.config.path.to_string_lossy().into_owned();
        let port = serialport::new(&path, self.config.baud_rate)
            .timeout(READ_SLICE)
            .open_native()
            .map_err(|e| self.offline(e))?;
        tracing::info!(%path, "evaluator opened");
        self.port = Some(port);
        // Bytes from before the (re)connect belong to nobody.
        self.parser = FrameParser::new();
        Ok(())
    }

    fn disconnect(&mut self, cause: impl std::fmt::Display) -> EvaluatorError {
        // An unplugged USB device takes its path with it; saying so helps an installer more than `EIO`.
        let error = if self.config.path.exists() {
            self.offline(cause)
        } else {
            self.offline(format!("device path missing ({cause})"))
        };
        tracing::warn!(%error, "evaluator lost");
        self.port = None;
        error
    }

    fn send(&mut self, command: HostCommand) -> Result<(), EvaluatorError> {
        self.connect()?;
        let bytes = command.to_frame().encode();
        let written = match self.port.as_mut() {
            Some(port) => port.write_all(&bytes).and_then(|()| port.flush()),
            None => return Err(self.offline("not open")),
        };
        written.map_err(|e| self.disconnect(e))
    }

    /// Read until a message arrives or `until` passes; handles checksum errors (NAK) and key frames (ACK, keep
    /// the one we are asking for) on the way, and returns the other messages. `Ok(None)`: time is up, or the key
    /// we are asking for has just arrived (in `self.answer`).
    fn receive(&mut self, until: Instant) -> Result<Option<DeviceMessage>, EvaluatorError> {
        let mut chunk = [0u8; 64];
        loop {
            while let Some(parsed) = self.parser.next_parsed() {
                let frame = match parsed {
                    Parsed::Frame(frame) => frame,
                    Parsed::BadChecksum { cmd } => {
                        tracing::debug!(cmd, "evaluator frame with a bad checksum; NAK");
                        self.send(HostCommand::Nak(NakReason::BadChecksum))?;
                        continue;
                    }
                };
                match DeviceMessage::from_frame(&frame) {
                    Ok(DeviceMessage::Key { session, grade }) => {
                        self.send(HostCommand::Ack(cmd::KEY))?;
                        if self.asking == Some(session) {
                            self.answer = Some(grade);
                            return Ok(None);
                        } else {
                            tracing::info!(session = session.0, "key for another session dropped");
                        }
                    }
                    Ok(DeviceMessage::Heartbeat) => tracing::trace!("evaluator heartbeat"),
                    Ok(message) => return Ok(Some(message)),
                    Err(unrecognised) => {
                        tracing::debug!(cmd = frame.cmd, "unrecognised evaluator frame; NAK");
                        self.send(HostCommand::Nak(unrecognised.0))?;
                    }
                }
            }
            if Instant::now() >= until {
                return Ok(None);
            }
            self.connect()?;
            let read = match self.port.as_mut() {
                Some(port) => port.read(&mut chunk),
                None => return Err(self.offline("not open")),
            };
            match read {
                Ok(0) => return Err(self.disconnect("device hung up")),
                Ok(n) => self.parser.push(chunk.get(..n).unwrap_or_default()),
                Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.disconnect(e)),
            }
        }
    }

    /// Send `command` and wait for its acknowledgement, retransmitting on NAK or silence.
    fn transact(&mut self, command: HostCommand) -> Result<DeviceMessage, EvaluatorError> {
        let awaiting = match command {
            HostCommand::StatusQuery => Awaiting::Status,
            other => Awaiting::AckOf(other.to_frame().cmd),
        };
        let mut refused = false;
        for attempt in 1..=self.config.attempts.max(1) {
            self.send(command)?;
            let until = Instant::now() + self.config.ack_timeout;
            loop {
                match (self.receive(until)?, awaiting) {
                    (Some(reply @ DeviceMessage::Ack(acked)), Awaiting::AckOf(sent))
                        if acked == sent =>
                    {
                        return Ok(reply)
                    }
                    (Some(reply @ DeviceMessage::Status { .. }), Awaiting::Status) => {
                        return Ok(reply)
                    }
                    (Some(DeviceMessage::Nak(reason)), _) => {
                        tracing::debug!(
                            ?reason,
                            attempt,
                            "evaluator refused a command; retransmitting"
                        );
                        refused = true;
                        break;
                    }
                    (Some(other), _) => {
                        tracing::debug!(?other, "unexpected evaluator message ignored")
                    }
                    // A key for the session arrived first; the acknowledgement may still come.
                    (None, _) if Instant::now() < until => {}
                    (None, _) => {
                        tracing::debug!(attempt, "no acknowledgement from the evaluator");
                        break;
                    }
                }
            }
        }
        Err(if refused {
            EvaluatorError::Rejected
        } else {
            EvaluatorError::NoResponse
        })
    }

    /// Light the prompt for `session` and wait for a key, at most `timeout`, until `cancel` is cancelled.
    ///
    /// While the device is missing or silent the prompt is retried until the timeout; the error then is the last
    /// reason (`offline`, `no_response`), or `timeout` when the prompt was lit but nobody pressed a key. After a
    /// timeout or cancel the prompt is turned off (best effort).
    pub fn request_rating(
        &mut self,
        session: SessionId,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<Grade, EvaluatorError> {
        let deadline = Instant::now() + timeout;
        self.asking = Some(session);
        self.answer = None;
        let result = self.prompt_and_wait(session, deadline, cancel);
        self.asking = None;
        self.answer = None;
        if result.is_err() && self.port.is_some() {
            if let Err(e) = self.transact(HostCommand::LightOff) {
                tracing::debug!(error = %e, "could not turn the evaluator prompt off");
            }
        }
        result
    }

    fn prompt_and_wait(
        &mut self,
        session: SessionId,
        deadline: Instant,
        cancel: &CancelToken,
    ) -> Result<Grade, EvaluatorError> {
        let mut last_failure = None;
        let mut prompted = false;
        loop {
            if let Some(grade) = self.answer {
                tracing::info!(
                    session = session.0,
                    grade = grade.as_str(),
                    "rating received"
                );
                return Ok(grade);
            }
            if cancel.is_cancelled() {
                return Err(EvaluatorError::Cancelled);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(last_failure.unwrap_or(EvaluatorError::Timeout));
            }
            let step = if prompted {
                self.receive((now + READ_SLICE * 5).min(deadline))
                    .map(|_| ())
            } else {
                self.transact(HostCommand::LightOn(session))
                    .map(|_| prompted = true)
            };
            match step {
                Ok(()) => last_failure = None,
                Err(error) => {
                    if matches!(error, EvaluatorError::Offline { .. }) {
                        // A replugged device forgot the prompt.
                        prompted = false;
                        std::thread::sleep(
                            self.config
                                .reconnect_interval
                                .min(deadline.saturating_duration_since(Instant::now())),
                        );
                    }
                    last_failure = Some(error);
                }
            }
        }
    }

    /// Turn the prompt off and disarm the keys.
    pub fn light_off(&mut self) -> Result<(), EvaluatorError> {
        self.transact(HostCommand::LightOff).map(|_| ())
    }

    /// Beep for `tens_of_ms` × 10 ms.
    pub fn beep(&mut self, tens_of_ms: u8) -> Result<(), EvaluatorError> {
        self.transact(HostCommand::Beep(tens_of_ms)).map(|_| ())
    }

    /// Health probe: open the port if needed and ask for the status. Missing device or no answer → offline, a stuck
    /// key → degraded.
    pub fn probe(&mut self) -> EvaluatorHealth {
        match self.transact(HostCommand::StatusQuery) {
            Ok(DeviceMessage::Status {
                key_stuck: true, ..
            }) => EvaluatorHealth {
                status: EvaluatorStatus::Degraded,
                detail: Some("a key is stuck".into()),
            },
            Ok(_) => EvaluatorHealth {
                status: EvaluatorStatus::Ok,
                detail: Some(self.config.path.display().to_string()),
            },
            Err(error) => EvaluatorHealth {
                status: EvaluatorStatus::Offline,
                detail: Some(error.to_string()),
            },
        }
    }
}
