//! Driver for Chinese 2nd-generation ID card readers (二代身份证阅读器) that speak the GA 467 SAM protocol
//! over a serial or USB-serial port, with a wire-level simulator.
//!
//! # Layers
//!
//! * [`frame`]: the `AA AA AA 96 69 | Len | body | XOR` frames and [`frame::FrameReader`], the one
//!   resynchronising parser of untrusted bytes (noise before the preamble, frames split into 64-byte
//!   USB pieces, impossible lengths, bad checksums). The simulator parses our requests with it too.
//! * [`card`]: the `30 01` answer (256-byte UCS-2 LE text block + 1024-byte WLT photo) decoded into a
//!   [`Card`] for all four chip layouts — resident ID card, Hong Kong/Macau/Taiwan residence permit
//!   (`J`), foreigner permanent residence card 2017 (`I`) and 2023 (`Y`) — with [`codes`] (gender,
//!   ethnicity) and [`id_number`] (GB 11643 check digit, masking).
//! * [`reader`]: [`SamReader`], the request/response conversation over any `Read + Write` port:
//!   find → select → read, checksum retry, and status codes mapped to [`ReaderError`]s with stable
//!   `idcard.*` codes.
//! * [`serial`]: [`SerialReader`], a reader on a device path that opens the port lazily, reports
//!   `idcard.offline` when it is gone and reopens it by itself when it returns (hot-plug).
//! * [`photo`]: the [`PhotoDecoder`] seam and a [`PlaceholderDecoder`].
//! * [`sim`]: [`sim::IdCardSimulator`], the SAM state machine on a pty behind a stable symlink, with
//!   card fixtures and fault injection; also run by the `banshi-idcard-sim` binary.
//!
//! # Error codes
//!
//! | code | meaning |
//! |---|---|
//! | `idcard.no_card` | no card on the reader |
//! | `idcard.card_already_read` | no new card since the last read (lift and place again to re-read) |
//! | `idcard.card_removed` | the card left between find and read |
//! | `idcard.card_rejected` | the SAM could not authenticate or recognise the card |
//! | `idcard.bad_checksum` | two corrupted answers in a row |
//! | `idcard.timeout` | no answer in time |
//! | `idcard.offline` | the port is missing, unplugged or closed |
//! | `idcard.sam_fault` | the SAM failed its self-test or is not authorised |
//! | `idcard.command_rejected` | the reader refused a command |
//! | `idcard.bad_frame` | the answer was not a usable frame |
//! | `idcard.bad_payload`, `idcard.bad_field`, `idcard.bad_id_number` | the card data did not decode |
//! | `idcard.photo_decode` | the photo decoder failed |
//!
//! # Health
//!
//! [`SerialReader::probe`] sends SAM status (`11 FF`): `90` → [`ReaderStatus::Ok`]; SAM fault or
//! garbled answers → [`ReaderStatus::Degraded`]; no port or no answer → [`ReaderStatus::Offline`].
//! A probe reopens a vanished port, so polling it is also how the reader comes back after a replug.
//!
//! # Personal data
//!
//! Names, numbers, addresses, birth dates and photos never reach logs or error messages. [`Card`]'s
//! `Debug` masks the number (`110***********1234`) and hides the rest; errors name fields, not values.
//!
//! # Plugging in a vendor photo decoder
//!
//! The WLT photo format is proprietary and only vendor libraries decode it. Loading a vendor `.so` or
//! `.dll` needs `unsafe` FFI, which this workspace forbids, so no library is loaded here. A decoder
//! plugs in by implementing [`PhotoDecoder`] in the crate that owns the vendor integration, e.g.:
//!
//! * [`photo::CommandDecoder`] (shipped): runs the vendor's command-line converter on a private
//!   temporary `.wlt` file with a timeout and re-encodes the BMP/PNG it writes as PNG
//!   (`placeholder: false`); a crashing vendor tool cannot take the terminal down with it;
//! * an HTTP decoder for readers whose vendor runs a local web service (华视 on port 19196, 新中新 on
//!   8989) that returns the decoded photo as base64;
//! * an FFI decoder in a separate crate that opts out of `unsafe_code = "forbid"` with a documented
//!   reason and is built only where the vendor library is licensed.
//!
//! The device layer holds a `Box<dyn PhotoDecoder>` chosen by the profile and falls back to
//! [`PlaceholderDecoder`], whose pictures say `placeholder: true` so face comparison never uses them.
//!
//! # What is not verified on hardware
//!
//! The 2023 foreigner card (`Y`) layout comes from a single C header (research §1.3), and which SW3 a
//! real SAM returns when a card is lifted mid-read (`0x41` is assumed) is from vendor tables, not
//! captures.

#![forbid(unsafe_code)]

pub mod card;
pub mod codes;
pub mod frame;
pub mod id_number;
pub mod photo;
pub mod reader;
pub mod serial;
pub mod sim;

pub use card::{decode_base_info, decode_text_block, Card, CardKind, DecodeError, ValidUntil};
pub use codes::{Ethnicity, Gender};
pub use id_number::{check_digit, is_valid_id_number, mask_id_number};
pub use photo::{
    CommandDecoder, DecodedPhoto, PhotoDecoder, PhotoError, PlaceholderDecoder, WltPhoto,
};
pub use reader::{Health, ReaderError, ReaderStatus, SamReader};
pub use serial::{SerialConfig, SerialReader, DEFAULT_BAUD_RATE};
