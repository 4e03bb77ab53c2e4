//! The SAM conversation: request/response with retry, the find → select → read sequence, and health.
//!
//! [`SamReader`] works over any `Read + Write` port (a serial port, a pty, an in-memory pipe), so the
//! same code runs against the hardware and the simulator. It holds no knowledge of paths or reopening;
//! [`crate::serial::SerialReader`] adds that for real devices.
//!
//! Two behaviours of real readers shape the API:
//!
//! * **A read card is not found again.** After a successful read the SAM answers "find card failed"
//!   (SW3 `0x80`) until the card is lifted and placed again — exactly what it answers when there is no
//!   card. The driver remembers that its last read succeeded and reports [`ReaderError::CardAlreadyRead`]
//!   instead of [`ReaderError::NoCard`] until a find succeeds again, so a kiosk can say "lift your card
//!   and place it again" to someone who left it lying there. Both mean "no new card" to a poller.
//! * **Checksum errors are retried once.** A corrupted answer (bad XOR) or the SAM's own complaint about
//!   our frame (SW3 `0x10`) repeats the request one time; line noise rarely strikes twice, a broken
//!   adapter does.

use std::io::{self, Read, Write};

use banshi_core::ErrorCode;

use crate::card::{decode_base_info, Card, DecodeError};
use crate::frame::{sw3, FrameError, FrameReader, Request, Response};

/// How many frames with an impossible length may precede the answer before we call it garbage.
const MAX_FALSE_PREAMBLES: usize = 8;

/// What went wrong talking to the reader. Messages never contain card data.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// No card in the field (`idcard.no_card`).
    #[error("no card on the reader")]
    NoCard,
    /// No new card since the last successful read; a card still lying on the reader must be lifted and
    /// placed again to be read again (`idcard.card_already_read`).
    #[error("no new card since the last read; lift the card and place it again")]
    CardAlreadyRead,
    /// The card left the field between find and read (`idcard.card_removed`).
    #[error("the card was removed before reading finished")]
    CardRemoved,
    /// The SAM could not authenticate or recognise the card (`idcard.card_rejected`).
    #[error("the reader could not authenticate or recognise the card (SW3 {sw3:#04x})")]
    CardRejected { sw3: u8 },
    /// Two answers in a row failed their checksum (`idcard.bad_checksum`).
    #[error("the reader's answers failed their checksum twice")]
    BadChecksum,
    /// No answer within the response timeout (`idcard.timeout`).
    #[error("the reader did not answer in time")]
    Timeout,
    /// The port cannot be opened or has gone away (`idcard.offline`).
    #[error("the reader is offline: {0}")]
    Offline(String),
    /// The SAM module failed its self-test or is not authorised (`idcard.sam_fault`).
    #[error("the reader's SAM module reports a fault (SW3 {sw3:#04x})")]
    SamFault { sw3: u8 },
    /// The reader refused a command (`idcard.command_rejected`).
    #[error("the reader refused the command (SW3 {sw3:#04x})")]
    CommandRejected { sw3: u8 },
    /// The answer was not a usable frame (`idcard.bad_frame`).
    #[error("the reader sent a malformed answer: {0}")]
    BadFrame(String),
    /// The card's data could not be decoded (`idcard.bad_payload`, `idcard.bad_field`,
    /// `idcard.bad_id_number`).
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl ErrorCode for ReaderError {
    fn code(&self) -> &'static str {
        match self {
            Self::NoCard => "idcard.no_card",
            Self::CardAlreadyRead => "idcard.card_already_read",
            Self::CardRemoved => "idcard.card_removed",
            Self::CardRejected { .. } => "idcard.card_rejected",
            Self::BadChecksum => "idcard.bad_checksum",
            Self::Timeout => "idcard.timeout",
            Self::Offline(_) => "idcard.offline",
            Self::SamFault { .. } => "idcard.sam_fault",
            Self::CommandRejected { .. } => "idcard.command_rejected",
            Self::BadFrame(_) => "idcard.bad_frame",
            Self::Decode(e) => e.code(),
        }
    }
}

impl ReaderError {
    /// True for the outcomes that mean "nothing to read yet", which a poller keeps waiting through.
    pub fn is_no_new_card(&self) -> bool {
        matches!(
            self,
            Self::NoCard | Self::CardAlreadyRead | Self::CardRemoved
        )
    }

    /// The error for a status byte that is not the success expected.
    fn from_status(sw3: u8) -> Self {
        match sw3 {
            sw3::SELF_TEST_FAILED | sw3::NOT_AUTHORISED => Self::SamFault { sw3 },
            sw3::FIND_FAILED => Self::NoCard,
            sw3::READ_FAILED | sw3::SELECT_FAILED => Self::CardRemoved,
            sw3::CARD_AUTH_FAILED
            | sw3::SAM_AUTH_FAILED
            | sw3::VERIFY_FAILED
            | 0x37
            | sw3::INFO_LENGTH_ERROR
            | sw3::UNKNOWN_CARD_TYPE => Self::CardRejected { sw3 },
            _ => Self::CommandRejected { sw3 },
        }
    }

    fn from_io(e: &io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Self::Timeout,
            _ => Self::Offline(format!("port error: {e}")),
        }
    }
}

/// Reader health as the device layer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReaderStatus {
    /// The SAM answers and passed its self-test.
    Ok,
    /// The reader answers but cannot read cards (SAM fault, garbled answers).
    Degraded,
    /// The port is missing or nothing answers.
    Offline,
}

impl ReaderStatus {
    /// The device layer's status name (`ok`, `degraded`, `offline`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
        }
    }
}

/// Result of a health probe: a status and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub status: ReaderStatus,
    pub detail: Option<String>,
}

impl Health {
    /// Classifies a failed probe or operation.
    pub fn from_error(error: &ReaderError) -> Self {
        let status = match error {
            ReaderError::Offline(_) | ReaderError::Timeout => ReaderStatus::Offline,
            _ => ReaderStatus::Degraded,
        };
        Self {
            status,
            detail: Some(format!("{} ({})", error, error.code())),
        }
    }
}

/// The SAM protocol over one open port.
#[derive(Debug)]
pub struct SamReader<P> {
    frames: FrameReader<P>,
    card_already_read: bool,
}

impl<P: Read + Write> SamReader<P> {
    pub fn new(port: P) -> Self {
        Self {
            frames: FrameReader::new(port),
            card_already_read: false,
        }
    }

    /// The port, e.g. to flush its input buffer.
    pub fn get_mut(&mut self) -> &mut P {
        self.frames.get_mut()
    }

    pub fn into_inner(self) -> P {
        self.frames.into_inner()
    }

    /// Sends one request and returns the answer, retrying once on a checksum error either way.
    pub fn transact(&mut self, request: &Request) -> Result<Response, ReaderError> {
        let mut checksum_errors = 0;
        loop {
            let outcome = self.exchange(request);
            let checksum_failed = match &outcome {
                Err(ReaderError::BadChecksum) => true,
                Ok(response) => response.sw3 == sw3::CHECKSUM_ERROR,
                Err(_) => false,
            };
            if !checksum_failed {
                return outcome;
            }
            checksum_errors += 1;
            tracing::debug!(
                command = request.command,
                parameter = request.parameter,
                "checksum error, retrying"
            );
            if checksum_errors >= 2 {
                return Err(ReaderError::BadChecksum);
            }
        }
    }

    fn exchange(&mut self, request: &Request) -> Result<Response, ReaderError> {
        // Whatever is buffered belongs to an earlier, abandoned exchange.
        self.frames.discard_buffered();
        let port = self.frames.get_mut();
        port.write_all(&request.encode())
            .and_then(|()| port.flush())
            .map_err(|e| ReaderError::from_io(&e))?;
        let mut false_preambles = 0;
        loop {
            match self.frames.read_response() {
                Ok(Some(response)) => return Ok(response),
                Ok(None) => return Err(ReaderError::BadFrame("answer too short".into())),
                Err(FrameError::BadChecksum { .. }) => return Err(ReaderError::BadChecksum),
                // A preamble-looking run inside noise; the real answer may still follow.
                Err(FrameError::BadLength { .. }) if false_preambles < MAX_FALSE_PREAMBLES => {
                    false_preambles += 1;
                }
                Err(e @ (FrameError::BadLength { .. } | FrameError::Noise { .. })) => {
                    return Err(ReaderError::BadFrame(e.to_string()))
                }
                Err(FrameError::Closed) => {
                    return Err(ReaderError::Offline("the port was closed".into()))
                }
                Err(FrameError::Io(e)) => return Err(ReaderError::from_io(&e)),
            }
        }
    }

    /// `11 FF`: succeeds when the SAM passed its self-test.
    pub fn sam_status(&mut self) -> Result<(), ReaderError> {
        match self.transact(&Request::sam_status())?.sw3 {
            sw3::OK => Ok(()),
            other => Err(ReaderError::from_status(other)),
        }
    }

    /// `12 FF`: the SAM's 16-byte identity (raw; the vendors' string rendering is undocumented).
    pub fn sam_id(&mut self) -> Result<Vec<u8>, ReaderError> {
        let response = self.transact(&Request::sam_id())?;
        match response.sw3 {
            sw3::OK => Ok(response.data),
            other => Err(ReaderError::from_status(other)),
        }
    }

    /// Probes the SAM status and classifies the answer.
    pub fn probe(&mut self) -> Health {
        match self.sam_status() {
            Ok(()) => Health {
                status: ReaderStatus::Ok,
                detail: None,
            },
            Err(e) => Health::from_error(&e),
        }
    }

    /// Find → select → read base information (`30 01`), decoded.
    pub fn read_card(&mut self) -> Result<Card, ReaderError> {
        match self.transact(&Request::find_card())?.sw3 {
            sw3::FOUND => self.card_already_read = false,
            sw3::FIND_FAILED if self.card_already_read => return Err(ReaderError::CardAlreadyRead),
            other => return Err(ReaderError::from_status(other)),
        }
        match self.transact(&Request::select_card())?.sw3 {
            sw3::OK => {}
            other => return Err(ReaderError::from_status(other)),
        }
        let response = self.transact(&Request::read_base_info())?;
        if response.sw3 != sw3::OK {
            return Err(ReaderError::from_status(response.sw3));
        }
        let card = decode_base_info(&response.data)?;
        self.card_already_read = true;
        tracing::info!(kind = card.kind.as_str(), number = %card.masked_number(), "card read");
        Ok(card)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    /// An in-memory port: each write releases the next scripted answer (or nothing, for a timeout).
    struct ScriptedPort {
        answers: VecDeque<Option<Vec<u8>>>,
        readable: VecDeque<u8>,
        written: Vec<u8>,
    }

    impl ScriptedPort {
        fn new(answers: Vec<Option<Response>>) -> Self {
            Self {
                answers: answers.into_iter().map(|a| a.map(|r| r.encode())).collect(),
                readable: VecDeque::new(),
                written: Vec::new(),
            }
        }
    }

    impl Write for ScriptedPort {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            if let Some(Some(answer)) = self.answers.pop_front() {
                self.readable.extend(answer);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Read for ScriptedPort {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.readable.is_empty() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let n = buf.len().min(self.readable.len());
            for slot in buf.iter_mut().take(n) {
                *slot = self.readable.pop_front().unwrap_or_default();
            }
            Ok(n)
        }
    }

    #[test]
    fn the_sams_own_checksum_complaint_repeats_the_request_once() {
        let ok = Response::new(sw3::OK, vec![]);
        let complaint = Response::new(sw3::CHECKSUM_ERROR, vec![]);
        let mut reader = SamReader::new(ScriptedPort::new(vec![Some(complaint.clone()), Some(ok)]));
        reader.sam_status().unwrap();
        let status = Request::sam_status().encode();
        assert_eq!(reader.get_mut().written, [status.clone(), status].concat());

        let mut reader = SamReader::new(ScriptedPort::new(vec![
            Some(complaint.clone()),
            Some(complaint),
        ]));
        assert_eq!(
            reader.sam_status().unwrap_err().code(),
            "idcard.bad_checksum"
        );
    }

    #[test]
    fn status_bytes_map_to_their_documented_codes() {
        let cases = [
            (sw3::FIND_FAILED, "idcard.no_card"),
            (sw3::SELF_TEST_FAILED, "idcard.sam_fault"),
            (sw3::NOT_AUTHORISED, "idcard.sam_fault"),
            (sw3::SAM_AUTH_FAILED, "idcard.card_rejected"),
            (sw3::UNKNOWN_CARD_TYPE, "idcard.card_rejected"),
            (sw3::COMMAND_ERROR, "idcard.command_rejected"),
        ];
        for (status, code) in cases {
            let answer = Response::new(status, vec![]);
            let mut reader = SamReader::new(ScriptedPort::new(vec![Some(answer)]));
            assert_eq!(
                reader.read_card().unwrap_err().code(),
                code,
                "{status:#04x}"
            );
        }
        let mut reader = SamReader::new(ScriptedPort::new(vec![None]));
        assert_eq!(reader.read_card().unwrap_err().code(), "idcard.timeout");
        assert_eq!(
            Health::from_error(&ReaderError::Timeout).status,
            ReaderStatus::Offline
        );
    }

    #[test]
    fn a_select_failure_after_a_find_means_the_card_left() {
        let mut reader = SamReader::new(ScriptedPort::new(vec![
            Some(Response::new(sw3::FOUND, vec![0; 4])),
            Some(Response::new(sw3::SELECT_FAILED, vec![])),
        ]));
        assert_eq!(
            reader.read_card().unwrap_err().code(),
            "idcard.card_removed"
        );
    }
}
