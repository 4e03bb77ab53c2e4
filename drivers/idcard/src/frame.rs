//! GA 467 SAM frames: encoding, decoding and a byte-stream resynchroniser.
//!
//! Both directions share one outer shape (devices-research.md §1.2):
//!
//! ```text
//! AA AA AA 96 69 | Len1 Len2 | body… | CHK
//! ```
//!
//! `Len` (big-endian) counts the body *and* the checksum; `CHK` is the XOR of every byte after the
//! preamble up to the checksum, so the two length bytes are included. The body is `CMD PARA data…` from
//! host to SAM ([`Request`]) and `SW1 SW2 SW3 data…` from SAM to host ([`Response`]).
//!
//! [`FrameReader`] is the one place that turns untrusted bytes into frames. It is shared by the driver
//! (reading responses) and the simulator (reading requests), so both sides survive the same noise. It is
//! built around a buffer rather than byte-at-a-time reads because USB-serial adapters hand data over in
//! pieces of at most 64 bytes and a frame may straddle any number of them; a timeout in the middle of a
//! frame keeps the partial frame, so the next call can finish it. Errors that concern one frame
//! (impossible length, bad checksum) consume only that frame's preamble: the bytes after it are scanned
//! again, so a corrupted length field cannot swallow the good frame that follows it.

use std::io::{self, Read};

use banshi_core::ErrorCode;

/// Frame sync (`AA AA AA`) followed by the start-of-frame mark (`96 69`).
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// Smallest legal length field: `CMD PARA CHK` (a response needs one more byte, checked by [`Response`]).
pub const MIN_LEN: usize = 3;

/// Largest length field we accept. The largest real frame is a read with 1024 bytes of fingerprint
/// (`Len = 0x090A`); anything above 0x0A00 is noise, as the simulator design in the research says.
pub const MAX_LEN: usize = 0x0A00;

/// How many bytes [`FrameReader`] will discard while looking for a frame before giving up. A real
/// response is at most ~2.3 KiB; a port that keeps sending bytes without ever forming a frame is broken.
pub const NOISE_BUDGET: usize = 16 * 1024;

/// Host → SAM command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub command: u8,
    pub parameter: u8,
    pub data: Vec<u8>,
}

impl Request {
    /// A command without data (all the commands the driver sends).
    pub const fn new(command: u8, parameter: u8) -> Self {
        Self {
            command,
            parameter,
            data: Vec::new(),
        }
    }

    /// `10 FF`: reset the SAM.
    pub const fn reset_sam() -> Self {
        Self::new(0x10, 0xFF)
    }
    /// `11 FF`: SAM status (self-test result).
    pub const fn sam_status() -> Self {
        Self::new(0x11, 0xFF)
    }
    /// `12 FF`: read the SAM's 16-byte identity.
    pub const fn sam_id() -> Self {
        Self::new(0x12, 0xFF)
    }
    /// `20 01`: find a card in the field.
    pub const fn find_card() -> Self {
        Self::new(0x20, 0x01)
    }
    /// `20 02`: select the card just found.
    pub const fn select_card() -> Self {
        Self::new(0x20, 0x02)
    }
    /// `30 01`: read the base information (256-byte text + 1024-byte photo).
    pub const fn read_base_info() -> Self {
        Self::new(0x30, 0x01)
    }
    /// `30 03`: read the appended address.
    pub const fn read_appended_address() -> Self {
        Self::new(0x30, 0x03)
    }
    /// `30 10`: read text, photo and fingerprint.
    pub const fn read_with_fingerprint() -> Self {
        Self::new(0x30, 0x10)
    }

    /// The complete frame, preamble to checksum.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(2 + self.data.len());
        body.push(self.command);
        body.push(self.parameter);
        body.extend_from_slice(&self.data);
        encode_frame(&body)
    }

    /// Interprets a frame body as a request; `None` when it is too short to hold `CMD PARA`.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        match body {
            [command, parameter, data @ ..] => Some(Self {
                command: *command,
                parameter: *parameter,
                data: data.to_vec(),
            }),
            _ => None,
        }
    }
}

/// SAM → host answer.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// SW1/SW2 of the card's APDU, forwarded by the reader (informational).
    pub sw1: u8,
    pub sw2: u8,
    /// The reader's own status ([`sw3`] lists the values).
    pub sw3: u8,
    pub data: Vec<u8>,
}

// Response data carries the card's text and photo: never print it.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("sw1", &format_args!("{:#04x}", self.sw1))
            .field("sw2", &format_args!("{:#04x}", self.sw2))
            .field("sw3", &format_args!("{:#04x}", self.sw3))
            .field("data_len", &self.data.len())
            .finish()
    }
}

impl Response {
    /// A response with `SW1 = SW2 = 0`, the way readers answer host-level commands.
    pub fn new(sw3: u8, data: Vec<u8>) -> Self {
        Self {
            sw1: 0,
            sw2: 0,
            sw3,
            data,
        }
    }

    /// The complete frame, preamble to checksum.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(3 + self.data.len());
        body.extend_from_slice(&[self.sw1, self.sw2, self.sw3]);
        body.extend_from_slice(&self.data);
        encode_frame(&body)
    }

    /// Interprets a frame body as a response; `None` when it is too short to hold `SW1 SW2 SW3`.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        match body {
            [sw1, sw2, sw3, data @ ..] => Some(Self {
                sw1: *sw1,
                sw2: *sw2,
                sw3: *sw3,
                data: data.to_vec(),
            }),
            _ => None,
        }
    }
}

/// SW3 values (the reader's status byte) used by the driver and the simulator.
pub mod sw3 {
    /// Success.
    pub const OK: u8 = 0x90;
    /// The card has no such item (e.g. no appended address).
    pub const NO_SUCH_ITEM: u8 = 0x91;
    /// Find card succeeded.
    pub const FOUND: u8 = 0x9F;
    /// The SAM received a frame with a bad checksum.
    pub const CHECKSUM_ERROR: u8 = 0x10;
    /// The SAM received a frame with an impossible length.
    pub const LENGTH_ERROR: u8 = 0x11;
    /// Unknown command or parameter.
    pub const COMMAND_ERROR: u8 = 0x21;
    /// Operation not permitted.
    pub const NOT_PERMITTED: u8 = 0x23;
    /// Unrecognised error.
    pub const UNRECOGNISED: u8 = 0x24;
    /// Card authenticating SAM failed.
    pub const CARD_AUTH_FAILED: u8 = 0x31;
    /// SAM authenticating card failed.
    pub const SAM_AUTH_FAILED: u8 = 0x32;
    /// Information verification error.
    pub const VERIFY_FAILED: u8 = 0x33;
    /// Information length error.
    pub const INFO_LENGTH_ERROR: u8 = 0x3F;
    /// Unrecognised card type.
    pub const UNKNOWN_CARD_TYPE: u8 = 0x40;
    /// Reading the card failed (typically: the card left the field).
    pub const READ_FAILED: u8 = 0x41;
    /// SAM self-test failed; it accepts no commands.
    pub const SELF_TEST_FAILED: u8 = 0x60;
    /// SAM not authorised.
    pub const NOT_AUTHORISED: u8 = 0x66;
    /// Find card failed (no card, or the card was already read and not lifted).
    pub const FIND_FAILED: u8 = 0x80;
    /// Select card failed.
    pub const SELECT_FAILED: u8 = 0x81;
}

/// XOR of the length field and body: the frame's checksum byte.
pub fn checksum(len_and_body: &[u8]) -> u8 {
    len_and_body.iter().fold(0, |acc, byte| acc ^ byte)
}

/// Wraps a body (`CMD PARA data` or `SW1 SW2 SW3 data`) into a complete frame.
///
/// A body longer than a length field can describe is written with length `FFFF`, which every reader
/// (ours included) rejects; no command or response we build comes near that.
pub fn encode_frame(body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(body.len() + 1).unwrap_or(u16::MAX);
    let mut frame = Vec::with_capacity(PREAMBLE.len() + 3 + body.len());
    frame.extend_from_slice(&PREAMBLE);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(body);
    let chk = checksum(frame.get(PREAMBLE.len()..).unwrap_or_default());
    frame.push(chk);
    frame
}

/// Why no frame came out of the byte stream.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A preamble was followed by a length outside `MIN_LEN..=MAX_LEN`.
    #[error("frame length {len} is impossible")]
    BadLength { len: usize },
    /// A complete frame whose XOR did not match.
    #[error("frame checksum mismatch (expected {expected:#04x}, received {received:#04x})")]
    BadChecksum { expected: u8, received: u8 },
    /// More than [`NOISE_BUDGET`] bytes arrived without forming a frame.
    #[error("no frame found in {discarded} bytes")]
    Noise { discarded: usize },
    /// The source ended (EOF) before a complete frame.
    #[error("the byte stream ended")]
    Closed,
    /// The source failed; `TimedOut`/`WouldBlock` mean "nothing more arrived in time".
    #[error("reading the port failed: {0}")]
    Io(#[from] io::Error),
}

impl FrameError {
    /// True when the source merely had nothing more to give in time (the buffered bytes are kept).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Io(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock))
    }
}

impl ErrorCode for FrameError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadLength { .. } | Self::Noise { .. } => "idcard.bad_frame",
            Self::BadChecksum { .. } => "idcard.bad_checksum",
            Self::Io(_) if self.is_timeout() => "idcard.timeout",
            Self::Closed | Self::Io(_) => "idcard.offline",
        }
    }
}

/// What the buffer holds at its front.
enum Scan {
    /// Not enough bytes yet.
    NeedMore,
    /// A good frame: its body is `buf[7..7 + body_len]`.
    Frame { body_len: usize },
    /// Drop this many bytes of noise and look again.
    Noise(usize),
    /// The preamble is followed by an impossible length.
    BadLength(usize),
    /// The frame is complete but its checksum is wrong.
    BadChecksum { expected: u8, received: u8 },
}

fn scan(buf: &[u8]) -> Scan {
    let Some(start) = buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE) else {
        // Keep a tail that may be the beginning of a preamble split across reads.
        let keep = buf.len().min(PREAMBLE.len() - 1);
        return match buf.len() - keep {
            0 => Scan::NeedMore,
            noise => Scan::Noise(noise),
        };
    };
    if start > 0 {
        return Scan::Noise(start);
    }
    let (Some(&hi), Some(&lo)) = (buf.get(5), buf.get(6)) else {
        return Scan::NeedMore;
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return Scan::BadLength(len);
    }
    let (Some(covered), Some(&received)) = (buf.get(5..6 + len), buf.get(6 + len)) else {
        return Scan::NeedMore;
    };
    let expected = checksum(covered);
    if expected == received {
        Scan::Frame { body_len: len - 1 }
    } else {
        Scan::BadChecksum { expected, received }
    }
}

/// Pulls whole frames out of a byte stream that may hold noise, partial frames and broken frames.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    buf: Vec<u8>,
    discarded: usize,
}

impl<R> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(4096),
            discarded: 0,
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The source, e.g. to write a request to the same port.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Forgets buffered bytes (a late answer to an earlier request must not be taken for the next one).
    pub fn discard_buffered(&mut self) {
        self.buf.clear();
        self.discarded = 0;
    }

    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        self.buf.drain(..n);
    }
}

impl<R: Read> FrameReader<R> {
    /// Reads until one complete, checksum-valid frame is buffered and returns its body.
    ///
    /// Frame-level errors ([`FrameError::BadLength`], [`FrameError::BadChecksum`]) are returned so the
    /// caller can answer or retry; the reader has already skipped the broken frame's preamble and the
    /// next call carries on with the bytes after it. On a timeout the partial frame stays buffered.
    pub fn read_frame(&mut self) -> Result<Vec<u8>, FrameError> {
        let mut chunk = [0u8; 4096];
        loop {
            match scan(&self.buf) {
                Scan::Frame { body_len } => {
                    let body = self.buf.get(7..7 + body_len).unwrap_or_default().to_vec();
                    self.drop_front(7 + body_len + 1);
                    self.discarded = 0;
                    return Ok(body);
                }
                Scan::Noise(n) => {
                    self.drop_front(n);
                    self.discarded += n;
                    if self.discarded > NOISE_BUDGET {
                        let discarded = self.discarded;
                        self.discarded = 0;
                        return Err(FrameError::Noise { discarded });
                    }
                }
                Scan::BadLength(len) => {
                    self.drop_front(PREAMBLE.len());
                    return Err(FrameError::BadLength { len });
                }
                Scan::BadChecksum { expected, received } => {
                    self.drop_front(PREAMBLE.len());
                    return Err(FrameError::BadChecksum { expected, received });
                }
                Scan::NeedMore => match self.inner.read(&mut chunk) {
                    Ok(0) => return Err(FrameError::Closed),
                    Ok(n) => self
                        .buf
                        .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(FrameError::Io(e)),
                },
            }
        }
    }

    /// Reads the next frame and interprets it as a [`Response`].
    pub fn read_response(&mut self) -> Result<Option<Response>, FrameError> {
        self.read_frame().map(|body| Response::from_body(&body))
    }

    /// Reads the next frame and interprets it as a [`Request`].
    pub fn read_request(&mut self) -> Result<Option<Request>, FrameError> {
        self.read_frame().map(|body| Request::from_body(&body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    /// A reader that hands out its bytes in the given piece sizes, then EOF.
    struct Pieces {
        data: Vec<u8>,
        pos: usize,
        sizes: Vec<usize>,
        next: usize,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.next % self.sizes.len()];
            self.next += 1;
            let n = size.min(buf.len()).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn request_frames_match_the_research_byte_for_byte() {
        let cases = [
            (Request::reset_sam(), "AA AA AA 96 69 00 03 10 FF EC"),
            (Request::sam_status(), "AA AA AA 96 69 00 03 11 FF ED"),
            (Request::sam_id(), "AA AA AA 96 69 00 03 12 FF EE"),
            (Request::find_card(), "AA AA AA 96 69 00 03 20 01 22"),
            (Request::select_card(), "AA AA AA 96 69 00 03 20 02 21"),
            (Request::read_base_info(), "AA AA AA 96 69 00 03 30 01 32"),
            (
                Request::read_appended_address(),
                "AA AA AA 96 69 00 03 30 03 30",
            ),
            (
                Request::read_with_fingerprint(),
                "AA AA AA 96 69 00 03 30 10 23",
            ),
            (
                Request {
                    command: 0x61,
                    parameter: 0xFF,
                    data: vec![0x50],
                },
                "AA AA AA 96 69 00 04 61 FF 50 CA",
            ),
        ];
        for (request, golden) in cases {
            assert_eq!(request.encode(), hex(golden), "{request:?}");
            let bytes = hex(golden);
            let mut reader = FrameReader::new(&bytes[..]);
            assert_eq!(reader.read_request().unwrap(), Some(request));
        }
        for (para, chk) in [(0u8, 0x63u8), (1, 0x62), (2, 0x61), (3, 0x60), (4, 0x67)] {
            assert_eq!(Request::new(0x60, para).encode().last(), Some(&chk));
        }
    }

    #[test]
    fn response_frames_match_the_research_byte_for_byte() {
        let cases = [
            (
                Response::new(0x90, vec![]),
                "AA AA AA 96 69 00 04 00 00 90 94",
            ),
            (
                Response::new(0x60, vec![]),
                "AA AA AA 96 69 00 04 00 00 60 64",
            ),
            (
                Response::new(0x9F, vec![0; 4]),
                "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97",
            ),
            (
                Response::new(0x80, vec![]),
                "AA AA AA 96 69 00 04 00 00 80 84",
            ),
            (
                Response::new(0x90, vec![0; 8]),
                "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C",
            ),
            (
                Response::new(0x81, vec![]),
                "AA AA AA 96 69 00 04 00 00 81 85",
            ),
            (
                Response::new(0x41, vec![]),
                "AA AA AA 96 69 00 04 00 00 41 45",
            ),
        ];
        for (response, golden) in cases {
            assert_eq!(response.encode(), hex(golden), "{response:?}");
            let bytes = hex(golden);
            let mut reader = FrameReader::new(&bytes[..]);
            assert_eq!(reader.read_response().unwrap(), Some(response));
        }
    }

    #[test]
    fn read_base_info_response_has_the_documented_14_byte_header_and_1295_bytes() {
        let mut data = vec![0x01, 0x00, 0x04, 0x00];
        data.extend(std::iter::repeat_n(0x20, 256));
        data.extend(std::iter::repeat_n(0x5A, 1024));
        let frame = Response::new(0x90, data).encode();
        assert_eq!(frame.len(), 1295);
        assert_eq!(
            frame[..14],
            hex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")[..]
        );
    }

    #[test]
    fn noise_before_the_preamble_and_tiny_pieces_still_give_the_frame() {
        let mut bytes = hex("00 AA AA 96 AA AA 13 37 AA AA AA 96");
        bytes.extend(Response::new(0x9F, vec![0; 4]).encode());
        bytes.extend(Request::find_card().encode());
        for sizes in [vec![1], vec![2, 3], vec![64], vec![7, 1, 5]] {
            let mut reader = FrameReader::new(Pieces {
                data: bytes.clone(),
                pos: 0,
                sizes,
                next: 0,
            });
            assert_eq!(
                reader.read_response().unwrap(),
                Some(Response::new(0x9F, vec![0; 4]))
            );
            assert_eq!(reader.read_request().unwrap(), Some(Request::find_card()));
            assert!(matches!(reader.read_frame(), Err(FrameError::Closed)));
        }
    }

    #[test]
    fn a_bad_checksum_is_reported_and_the_next_frame_is_still_found() {
        let mut bad = Response::new(0x90, vec![]).encode();
        *bad.last_mut().unwrap() ^= 0xFF;
        bad.extend(Response::new(0x9F, vec![0; 4]).encode());
        let mut reader = FrameReader::new(&bad[..]);
        assert!(matches!(
            reader.read_frame(),
            Err(FrameError::BadChecksum {
                expected: 0x94,
                received: 0x6B
            })
        ));
        assert_eq!(reader.read_response().unwrap().unwrap().sw3, 0x9F);
    }

    #[test]
    fn an_impossible_length_does_not_swallow_the_following_frame() {
        for len in ["00 00", "00 02", "FF FF", "0A 01"] {
            let mut bytes = hex(&format!("AA AA AA 96 69 {len}"));
            bytes.extend(Request::select_card().encode());
            let mut reader = FrameReader::new(&bytes[..]);
            assert!(matches!(
                reader.read_frame(),
                Err(FrameError::BadLength { .. })
            ));
            assert_eq!(reader.read_request().unwrap(), Some(Request::select_card()));
        }
    }

    #[test]
    fn a_corrupted_length_that_runs_into_the_next_frame_is_rescanned() {
        // Length 0x0020 claims more bytes than the broken frame has: the checksum fails, and the next
        // frame, which the bogus length covered, is found on the rescan.
        let mut bytes = hex("AA AA AA 96 69 00 20 00 00 90");
        bytes.extend(Response::new(0x9F, vec![0; 4]).encode());
        bytes.extend(std::iter::repeat_n(0, 40));
        let mut reader = FrameReader::new(&bytes[..]);
        assert!(matches!(
            reader.read_frame(),
            Err(FrameError::BadChecksum { .. })
        ));
        assert_eq!(reader.read_response().unwrap().unwrap().sw3, 0x9F);
    }

    #[test]
    fn endless_noise_gives_up_after_the_budget() {
        let noise = vec![0x55u8; NOISE_BUDGET * 2];
        let mut reader = FrameReader::new(&noise[..]);
        assert!(matches!(reader.read_frame(), Err(FrameError::Noise { .. })));
    }

    #[test]
    fn a_timeout_keeps_the_partial_frame_for_the_next_call() {
        struct Stalling(Vec<Vec<u8>>);
        impl Read for Stalling {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.first() {
                    None => Err(io::ErrorKind::TimedOut.into()),
                    Some(piece) if piece.is_empty() => {
                        self.0.remove(0);
                        Err(io::ErrorKind::TimedOut.into())
                    }
                    Some(_) => {
                        let piece = self.0.remove(0);
                        buf[..piece.len()].copy_from_slice(&piece);
                        Ok(piece.len())
                    }
                }
            }
        }
        let frame = Response::new(0x90, vec![1, 2, 3]).encode();
        let (a, b) = frame.split_at(6);
        let mut reader = FrameReader::new(Stalling(vec![a.to_vec(), vec![], b.to_vec()]));
        let err = reader.read_frame().unwrap_err();
        assert!(err.is_timeout());
        assert_eq!(err.code(), "idcard.timeout");
        assert_eq!(reader.read_response().unwrap().unwrap().data, vec![1, 2, 3]);
    }
}
