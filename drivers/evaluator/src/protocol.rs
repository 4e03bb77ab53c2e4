//! Banshi's evaluator wire protocol: frames, the streaming parser, and the typed messages.
//!
//! Real evaluators speak vendor-specific protocols (no public one was found, see devices-research §7.1); this is
//! ours, the one our simulator and any firmware we commission speak, and the adapter point for vendor protocols.
//! The full description with examples is `docs/evaluator-protocol.md`; in short:
//!
//! ```text
//! STX 0x02 | CMD | LEN | PAYLOAD (LEN bytes, LEN ≤ 16) | XOR | ETX 0x03
//! XOR = CMD ^ LEN ^ every payload byte
//! ```
//!
//! There is no byte stuffing: the length prefix, the trailing ETX and the XOR together delimit a frame. The parser
//! resynchronises by dropping one byte and looking for the next STX whenever a candidate frame has an impossible
//! length or no ETX where it must be. A frame whose ETX is in place but whose XOR is wrong is reported as
//! [`Parsed::BadChecksum`] so the receiver can NAK it and the sender retransmits; here too only its STX is
//! dropped, because a noise byte 0x02 followed by a plausible length can enclose a real frame, which must still be
//! found. (The price is at most a spurious NAK, which makes the peer repeat its last frame.)

/// Start of a frame.
pub const STX: u8 = 0x02;
/// End of a frame.
pub const ETX: u8 = 0x03;
/// Longest payload; a longer length byte means the STX was noise.
pub const MAX_PAYLOAD: usize = 16;

/// Command bytes. Host → device: `LIGHT_ON`, `LIGHT_OFF`, `BEEP`, `STATUS_QUERY`; device → host: `KEY`,
/// `STATUS`, `HEARTBEAT`; both ways: `ACK`, `NAK`.
pub mod cmd {
    /// Acknowledge a frame; payload: the acknowledged command byte.
    pub const ACK: u8 = 0x06;
    /// Refuse a frame; payload: a reason byte (see [`super::NakReason`]).
    pub const NAK: u8 = 0x15;
    /// Light the prompt and arm the keys for a session; payload: session id, u32 big-endian.
    pub const LIGHT_ON: u8 = 0x31;
    /// Turn the prompt off and disarm; no payload.
    pub const LIGHT_OFF: u8 = 0x32;
    /// Beep; payload: duration in tens of milliseconds.
    pub const BEEP: u8 = 0x33;
    /// Ask for the status; no payload; answered by `STATUS` (which is its acknowledgement).
    pub const STATUS_QUERY: u8 = 0x34;
    /// A key was pressed while armed; payload: session id (u32 BE) then grade key 1..=5.
    pub const KEY: u8 = 0x41;
    /// Status reply; payload: key state (0 ok, 1 stuck), light (0/1), armed session id (u32 BE, 0 = none).
    pub const STATUS: u8 = 0x42;
    /// Sent by the device every second while powered; no payload.
    pub const HEARTBEAT: u8 = 0x43;
}

/// One well-formed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The command byte.
    pub cmd: u8,
    /// At most [`MAX_PAYLOAD`] bytes.
    pub payload: Vec<u8>,
}

fn checksum(cmd: u8, payload: &[u8]) -> u8 {
    // LEN is part of the checksum; payloads are at most MAX_PAYLOAD bytes so the cast cannot truncate.
    payload
        .iter()
        .fold(cmd ^ payload.len() as u8, |acc, byte| acc ^ byte)
}

impl Frame {
    /// The frame's bytes on the wire. Payloads longer than [`MAX_PAYLOAD`] are cut (no message we build has one).
    pub fn encode(&self) -> Vec<u8> {
        let payload = self.payload.get(..MAX_PAYLOAD).unwrap_or(&self.payload);
        let mut out = Vec::with_capacity(payload.len() + 5);
        out.push(STX);
        out.push(self.cmd);
        out.push(payload.len() as u8);
        out.extend_from_slice(payload);
        out.push(checksum(self.cmd, payload));
        out.push(ETX);
        out
    }
}

/// What the parser found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A frame with a correct checksum.
    Frame(Frame),
    /// A complete frame whose XOR did not match: NAK it.
    BadChecksum {
        /// Its command byte, as received (possibly corrupted too).
        cmd: u8,
    },
}

/// A streaming frame parser: push bytes as they arrive, take frames out.
#[derive(Debug, Default)]
pub struct FrameParser {
    buffer: Vec<u8>,
    discarded: u64,
}

impl FrameParser {
    /// An empty parser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Bytes dropped while resynchronising so far (noise on the line).
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    fn drop_front(&mut self, count: usize) {
        let count = count.min(self.buffer.len());
        self.buffer.drain(..count);
        self.discarded += count as u64;
    }

    /// The next frame or checksum error, or `None` when more bytes are needed.
    pub fn next_parsed(&mut self) -> Option<Parsed> {
        loop {
            let start = self.buffer.iter().position(|&b| b == STX);
            match start {
                None => {
                    self.drop_front(self.buffer.len());
                    return None;
                }
                Some(start) if start > 0 => self.drop_front(start),
                Some(_) => {}
            }
            let (&cmd, &len) = (self.buffer.get(1)?, self.buffer.get(2)?);
            let len = usize::from(len);
            if len > MAX_PAYLOAD {
                self.drop_front(1);
                continue;
            }
            let total = len + 5;
            let frame = self.buffer.get(..total)?;
            if frame.get(total - 1) != Some(&ETX) {
                self.drop_front(1);
                continue;
            }
            let payload = frame.get(3..3 + len).unwrap_or_default().to_vec();
            let received_xor = frame.get(3 + len).copied();
            if received_xor != Some(checksum(cmd, &payload)) {
                // Only the STX goes: the "frame" may have been noise that happened to enclose a real frame.
                self.drop_front(1);
                return Some(Parsed::BadChecksum { cmd });
            }
            self.buffer.drain(..total);
            return Some(Parsed::Frame(Frame { cmd, payload }));
        }
    }
}

/// A session (case) id: the host arms the device with it and every key frame carries it back, so a press meant
/// for an earlier case is recognised and discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(pub u32);

/// The five grades of 好差评 (brief §3.4), by key: key 1 is 非常满意, key 5 is 非常不满意.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grade {
    /// 非常满意, key 1.
    VerySatisfied,
    /// 满意, key 2.
    Satisfied,
    /// 基本满意, key 3.
    BasicallySatisfied,
    /// 不满意, key 4.
    Dissatisfied,
    /// 非常不满意, key 5.
    VeryDissatisfied,
}

impl Grade {
    /// All grades, key 1 first.
    pub const ALL: [Grade; 5] = [
        Grade::VerySatisfied,
        Grade::Satisfied,
        Grade::BasicallySatisfied,
        Grade::Dissatisfied,
        Grade::VeryDissatisfied,
    ];

    /// The key number (1..=5) as sent on the wire.
    pub fn key(self) -> u8 {
        match self {
            Self::VerySatisfied => 1,
            Self::Satisfied => 2,
            Self::BasicallySatisfied => 3,
            Self::Dissatisfied => 4,
            Self::VeryDissatisfied => 5,
        }
    }

    /// The grade of key `key`, if it is 1..=5.
    pub fn from_key(key: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.key() == key)
    }

    /// A stable snake_case name (`very_satisfied` …) for records and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerySatisfied => "very_satisfied",
            Self::Satisfied => "satisfied",
            Self::BasicallySatisfied => "basically_satisfied",
            Self::Dissatisfied => "dissatisfied",
            Self::VeryDissatisfied => "very_dissatisfied",
        }
    }
}

/// Why a frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NakReason {
    /// 0x01: the XOR did not match.
    BadChecksum,
    /// 0x02: the command byte is not known.
    UnknownCommand,
    /// 0x03: the payload length is wrong for the command.
    BadLength,
    /// Any other reason byte (kept so a newer peer's reason is not an error).
    Other(u8),
}

impl NakReason {
    fn byte(self) -> u8 {
        match self {
            Self::BadChecksum => 0x01,
            Self::UnknownCommand => 0x02,
            Self::BadLength => 0x03,
            Self::Other(byte) => byte,
        }
    }

    fn from_byte(byte: u8) -> Self {
        match byte {
            0x01 => Self::BadChecksum,
            0x02 => Self::UnknownCommand,
            0x03 => Self::BadLength,
            other => Self::Other(other),
        }
    }
}

/// Frames the host sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostCommand {
    /// Light the prompt and arm the keys for `session`.
    LightOn(SessionId),
    /// Prompt off, keys disarmed.
    LightOff,
    /// Beep for this many tens of milliseconds.
    Beep(u8),
    /// Ask for a `STATUS` reply.
    StatusQuery,
    /// Acknowledge a device frame with this command byte.
    Ack(u8),
    /// Refuse a device frame.
    Nak(NakReason),
}

/// Frames the device sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceMessage {
    /// A host frame with this command byte was accepted.
    Ack(u8),
    /// A host frame was refused.
    Nak(NakReason),
    /// A key was pressed while armed for `session`.
    Key {
        /// The session the device was armed with.
        session: SessionId,
        /// The pressed key.
        grade: Grade,
    },
    /// Reply to `STATUS_QUERY`.
    Status {
        /// A key has been held down for a long time (mechanically stuck).
        key_stuck: bool,
        /// The prompt light is on.
        light_on: bool,
        /// The session the keys are armed for.
        armed: Option<SessionId>,
    },
    /// The device is alive.
    Heartbeat,
}

/// A frame whose command or payload does not fit the message table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unrecognised(pub NakReason);

fn one_byte(payload: &[u8]) -> Result<u8, Unrecognised> {
    match payload {
        [byte] => Ok(*byte),
        _ => Err(Unrecognised(NakReason::BadLength)),
    }
}

fn empty(payload: &[u8]) -> Result<(), Unrecognised> {
    if payload.is_empty() {
        Ok(())
    } else {
        Err(Unrecognised(NakReason::BadLength))
    }
}

fn session_of(bytes: [u8; 4]) -> SessionId {
    SessionId(u32::from_be_bytes(bytes))
}

impl HostCommand {
    /// As a frame.
    pub fn to_frame(self) -> Frame {
        let (cmd, payload) = match self {
            Self::LightOn(session) => (cmd::LIGHT_ON, session.0.to_be_bytes().to_vec()),
            Self::LightOff => (cmd::LIGHT_OFF, vec![]),
            Self::Beep(tens_of_ms) => (cmd::BEEP, vec![tens_of_ms]),
            Self::StatusQuery => (cmd::STATUS_QUERY, vec![]),
            Self::Ack(acked) => (cmd::ACK, vec![acked]),
            Self::Nak(reason) => (cmd::NAK, vec![reason.byte()]),
        };
        Frame { cmd, payload }
    }

    /// From a frame (the device side's decoder).
    pub fn from_frame(frame: &Frame) -> Result<Self, Unrecognised> {
        let payload = frame.payload.as_slice();
        Ok(match frame.cmd {
            cmd::LIGHT_ON => match payload {
                [a, b, c, d] => Self::LightOn(session_of([*a, *b, *c, *d])),
                _ => return Err(Unrecognised(NakReason::BadLength)),
            },
            cmd::LIGHT_OFF => empty(payload).map(|()| Self::LightOff)?,
            cmd::BEEP => Self::Beep(one_byte(payload)?),
            cmd::STATUS_QUERY => empty(payload).map(|()| Self::StatusQuery)?,
            cmd::ACK => Self::Ack(one_byte(payload)?),
            cmd::NAK => Self::Nak(NakReason::from_byte(one_byte(payload)?)),
            _ => return Err(Unrecognised(NakReason::UnknownCommand)),
        })
    }
}

impl DeviceMessage {
    /// As a frame.
    pub fn to_frame(self) -> Frame {
        let (cmd, payload) = match self {
            Self::Ack(acked) => (cmd::ACK, vec![acked]),
            Self::Nak(reason) => (cmd::NAK, vec![reason.byte()]),
            Self::Key { session, grade } => {
                let mut payload = session.0.to_be_bytes().to_vec();
                payload.push(grade.key());
                (cmd::KEY, payload)
            }
            Self::Status {
                key_stuck,
                light_on,
                armed,
            } => {
                let mut payload = vec![u8::from(key_stuck), u8::from(light_on)];
                payload.extend_from_slice(&armed.map_or(0, |s| s.0).to_be_bytes());
                (cmd::STATUS, payload)
            }
            Self::Heartbeat => (cmd::HEARTBEAT, vec![]),
        };
        Frame { cmd, payload }
    }

    /// From a frame (the host side's decoder).
    pub fn from_frame(frame: &Frame) -> Result<Self, Unrecognised> {
        let payload = frame.payload.as_slice();
        Ok(match frame.cmd {
            cmd::ACK => Self::Ack(one_byte(payload)?),
            cmd::NAK => Self::Nak(NakReason::from_byte(one_byte(payload)?)),
            cmd::KEY => match payload {
                [a, b, c, d, key] => Self::Key {
                    session: session_of([*a, *b, *c, *d]),
                    grade: Grade::from_key(*key).ok_or(Unrecognised(NakReason::BadLength))?,
                },
                _ => return Err(Unrecognised(NakReason::BadLength)),
            },
            cmd::STATUS => match payload {
                [stuck, light, a, b, c, d] => {
                    let session = u32::from_be_bytes([*a, *b, *c, *d]);
                    Self::Status {
                        key_stuck: *stuck != 0,
                        light_on: *light != 0,
                        armed: (session != 0).then_some(SessionId(session)),
                    }
                }
                _ => return Err(Unrecognised(NakReason::BadLength)),
            },
            cmd::HEARTBEAT => empty(payload).map(|()| Self::Heartbeat)?,
            _ => return Err(Unrecognised(NakReason::UnknownCommand)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> Vec<Parsed> {
        let mut parser = FrameParser::new();
        parser.push(bytes);
        std::iter::from_fn(|| parser.next_parsed()).collect()
    }

    #[test]
    fn golden_bytes_of_light_on_and_key() {
        assert_eq!(
            HostCommand::LightOn(SessionId(0x0102_0304))
                .to_frame()
                .encode(),
            // XOR: 31 ^ 04 ^ 01 ^ 02 ^ 03 ^ 04 = 0x31
            vec![0x02, 0x31, 0x04, 0x01, 0x02, 0x03, 0x04, 0x31, 0x03]
        );
        assert_eq!(
            DeviceMessage::Key {
                session: SessionId(7),
                grade: Grade::Satisfied
            }
            .to_frame()
            .encode(),
            // XOR: 41 ^ 05 ^ 07 ^ 02 = 0x41
            vec![0x02, 0x41, 0x05, 0x00, 0x00, 0x00, 0x07, 0x02, 0x41, 0x03]
        );
    }

    /// The examples in docs/evaluator-protocol.md.
    #[test]
    fn golden_bytes_of_the_documented_examples() {
        let hex = |frame: Frame| {
            frame
                .encode()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            hex(DeviceMessage::Ack(cmd::LIGHT_ON).to_frame()),
            "02 06 01 31 36 03"
        );
        assert_eq!(
            hex(HostCommand::Ack(cmd::KEY).to_frame()),
            "02 06 01 41 46 03"
        );
        assert_eq!(hex(HostCommand::StatusQuery.to_frame()), "02 34 00 34 03");
        assert_eq!(
            hex(DeviceMessage::Status {
                key_stuck: false,
                light_on: false,
                armed: None
            }
            .to_frame()),
            "02 42 06 00 00 00 00 00 00 44 03"
        );
        assert_eq!(hex(DeviceMessage::Heartbeat.to_frame()), "02 43 00 43 03");
        assert_eq!(
            hex(DeviceMessage::Nak(NakReason::BadChecksum).to_frame()),
            "02 15 01 01 15 03"
        );
    }

    #[test]
    fn every_message_round_trips() {
        let device = [
            DeviceMessage::Ack(cmd::LIGHT_ON),
            DeviceMessage::Nak(NakReason::BadChecksum),
            DeviceMessage::Key {
                session: SessionId(u32::MAX),
                grade: Grade::VeryDissatisfied,
            },
            DeviceMessage::Status {
                key_stuck: true,
                light_on: false,
                armed: None,
            },
            DeviceMessage::Status {
                key_stuck: false,
                light_on: true,
                armed: Some(SessionId(9)),
            },
            DeviceMessage::Heartbeat,
        ];
        for message in device {
            let parsed = parse_all(&message.to_frame().encode());
            let [Parsed::Frame(frame)] = parsed.as_slice() else {
                panic!("{parsed:?}")
            };
            assert_eq!(DeviceMessage::from_frame(frame), Ok(message));
        }
        let host = [
            HostCommand::LightOn(SessionId(0x0203)),
            HostCommand::LightOff,
            HostCommand::Beep(20),
            HostCommand::StatusQuery,
            HostCommand::Ack(cmd::KEY),
            HostCommand::Nak(NakReason::Other(0x7f)),
        ];
        for command in host {
            let parsed = parse_all(&command.to_frame().encode());
            let [Parsed::Frame(frame)] = parsed.as_slice() else {
                panic!("{parsed:?}")
            };
            assert_eq!(HostCommand::from_frame(frame), Ok(command));
        }
    }

    #[test]
    fn resyncs_after_noise_including_stray_stx_and_etx() {
        let good = DeviceMessage::Heartbeat.to_frame().encode();
        let mut bytes = vec![0xff, 0x02, 0x99, 0x03, 0x02, 0x41];
        bytes.extend_from_slice(&good);
        bytes.extend_from_slice(&[0x02, 0x43]);
        let mut parser = FrameParser::new();
        parser.push(&bytes);
        // `02 41 02 | 43 00 | 43 03` looks like a frame with a bad XOR; it must not swallow the real one inside.
        assert_eq!(
            parser.next_parsed(),
            Some(Parsed::BadChecksum { cmd: 0x41 })
        );
        assert_eq!(
            parser.next_parsed(),
            Some(Parsed::Frame(Frame {
                cmd: cmd::HEARTBEAT,
                payload: vec![]
            }))
        );
        // The trailing partial frame waits for more bytes.
        assert_eq!(parser.next_parsed(), None);
        parser.push(&[0x00, 0x43, 0x03]);
        assert_eq!(
            parser.next_parsed(),
            Some(Parsed::Frame(Frame {
                cmd: cmd::HEARTBEAT,
                payload: vec![]
            }))
        );
        assert!(parser.discarded() >= 6);
    }

    #[test]
    fn a_wrong_xor_is_reported_not_delivered() {
        let mut bytes = DeviceMessage::Heartbeat.to_frame().encode();
        bytes[3] ^= 0x55;
        assert_eq!(
            parse_all(&bytes),
            vec![Parsed::BadChecksum {
                cmd: cmd::HEARTBEAT
            }]
        );
    }

    #[test]
    fn wrong_lengths_and_unknown_commands_are_unrecognised() {
        let frame = |cmd, payload: &[u8]| Frame {
            cmd,
            payload: payload.to_vec(),
        };
        assert_eq!(
            DeviceMessage::from_frame(&frame(cmd::KEY, &[0, 0, 0, 1, 6])),
            Err(Unrecognised(NakReason::BadLength))
        );
        assert_eq!(
            HostCommand::from_frame(&frame(0x7e, &[])),
            Err(Unrecognised(NakReason::UnknownCommand))
        );
        assert_eq!(
            HostCommand::from_frame(&frame(cmd::LIGHT_OFF, &[1])),
            Err(Unrecognised(NakReason::BadLength))
        );
    }

    /// 100 000 random inputs (a fixed-seed xorshift, so a failure reproduces): nothing panics, and the parser never
    /// holds more than one frame's worth of bytes after being drained.
    #[test]
    fn parser_survives_random_input() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut parser = FrameParser::new();
        for _ in 0..100_000 {
            let len = (next() % 24) as usize;
            // Bias towards protocol bytes so that the interesting paths are taken often.
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % 4 {
                    0 => STX,
                    1 => ETX,
                    2 => (next() % 6) as u8,
                    _ => next() as u8,
                })
                .collect();
            parser.push(&bytes);
            while let Some(parsed) = parser.next_parsed() {
                if let Parsed::Frame(frame) = parsed {
                    let _ = DeviceMessage::from_frame(&frame);
                    let _ = HostCommand::from_frame(&frame);
                }
            }
            assert!(parser.buffer.len() < MAX_PAYLOAD + 5);
        }
    }
}
