//! The simulated SAM module: requests in, responses out, no I/O.
//!
//! Kept apart from the pty plumbing so every transition of research §1.7 can be unit-tested directly,
//! and so a future TCP or in-memory transport reuses it unchanged.

use crate::frame::{sw3, FrameError, Request, Response};
use crate::sim::fixtures::CardFixture;

/// The SAM module's own health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamHealth {
    Ok,
    /// Self-test failed (SW3 `0x60`): every command is refused.
    SelfTestFailed,
    /// Not authorised (SW3 `0x66`): every command is refused.
    NotAuthorised,
}

/// What lies on the reader.
#[derive(Debug, Clone)]
enum Field {
    Empty,
    Card {
        fixture: Box<CardFixture>,
        /// Read since it was placed: find fails until it is lifted and placed again.
        already_read: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Session {
    Idle,
    Found,
    Selected,
}

/// The state machine of one SAM module and its RF field.
#[derive(Debug, Clone)]
pub struct SamState {
    health: SamHealth,
    field: Field,
    session: Session,
    remove_card_after_select: bool,
    baud_code: u8,
}

/// The 16-byte SAM identity the simulator reports.
pub const SIM_SAM_ID: [u8; 16] = *b"BANSHI-SIM-SAM01";

impl Default for SamState {
    fn default() -> Self {
        Self {
            health: SamHealth::Ok,
            field: Field::Empty,
            session: Session::Idle,
            remove_card_after_select: false,
            baud_code: 0,
        }
    }
}

impl SamState {
    /// Puts a fresh (not yet read) card on the reader, replacing any card there.
    pub fn place_card(&mut self, fixture: CardFixture) {
        self.field = Field::Card {
            fixture: Box::new(fixture),
            already_read: false,
        };
        self.session = Session::Idle;
    }

    /// Lifts the card off the reader.
    pub fn remove_card(&mut self) {
        self.field = Field::Empty;
        self.session = Session::Idle;
    }

    /// Power loss and return (unplug/replug): the session is forgotten, and a card still lying on the
    /// reader counts as freshly placed, so it is found again.
    pub fn power_cycle(&mut self) {
        self.session = Session::Idle;
        self.remove_card_after_select = false;
        if let Field::Card { already_read, .. } = &mut self.field {
            *already_read = false;
        }
    }

    pub fn has_card(&self) -> bool {
        matches!(self.field, Field::Card { .. })
    }

    pub fn set_health(&mut self, health: SamHealth) {
        self.health = health;
    }

    /// The next read after a select finds the card gone (answers `0x41`), once.
    pub fn remove_card_after_next_select(&mut self) {
        self.remove_card_after_select = true;
    }

    /// The last `60 0n` baud code received (0 = 115200).
    pub fn baud_code(&self) -> u8 {
        self.baud_code
    }

    /// The SAM's answer to a frame it could not accept.
    pub fn answer_frame_error(error: &FrameError) -> Option<Response> {
        match error {
            FrameError::BadChecksum { .. } => Some(Response::new(sw3::CHECKSUM_ERROR, vec![])),
            FrameError::BadLength { .. } => Some(Response::new(sw3::LENGTH_ERROR, vec![])),
            _ => None,
        }
    }

    /// The SAM's answer to one request.
    pub fn answer(&mut self, request: &Request) -> Response {
        let status = |code| Response::new(code, vec![]);
        let refusal = match self.health {
            SamHealth::Ok => None,
            SamHealth::SelfTestFailed => Some(sw3::SELF_TEST_FAILED),
            SamHealth::NotAuthorised => Some(sw3::NOT_AUTHORISED),
        };
        if let Some(code) = refusal {
            return status(code);
        }
        match (request.command, request.parameter) {
            (0x10, 0xFF) => {
                self.session = Session::Idle;
                status(sw3::OK)
            }
            (0x11, 0xFF) => status(sw3::OK),
            (0x12, 0xFF) => Response::new(sw3::OK, SIM_SAM_ID.to_vec()),
            (0x20, 0x01) => match &self.field {
                Field::Card {
                    already_read: false,
                    ..
                } => {
                    self.session = Session::Found;
                    Response::new(sw3::FOUND, vec![0; 4])
                }
                _ => {
                    self.session = Session::Idle;
                    status(sw3::FIND_FAILED)
                }
            },
            (0x20, 0x02) => match (&self.field, self.session) {
                (Field::Card { fixture, .. }, Session::Found | Session::Selected) => {
                    let serial = fixture.serial().to_vec();
                    self.session = Session::Selected;
                    Response::new(sw3::OK, serial)
                }
                _ => status(sw3::SELECT_FAILED),
            },
            (0x30, 0x01 | 0x10 | 0x03) => self.read(request.parameter),
            (0x60, code @ 0..=4) => {
                self.baud_code = code;
                status(sw3::OK)
            }
            (0x61, 0xFF) if request.data.len() == 1 => status(sw3::OK),
            _ => status(sw3::COMMAND_ERROR),
        }
    }

    fn read(&mut self, parameter: u8) -> Response {
        if self.session == Session::Selected && std::mem::take(&mut self.remove_card_after_select) {
            self.remove_card();
        }
        let Field::Card {
            fixture,
            already_read,
        } = &mut self.field
        else {
            self.session = Session::Idle;
            return Response::new(sw3::READ_FAILED, vec![]);
        };
        if self.session != Session::Selected {
            return Response::new(sw3::READ_FAILED, vec![]);
        }
        match parameter {
            0x03 => match fixture.appended_address_bytes() {
                Some(bytes) => Response::new(sw3::OK, bytes),
                None => Response::new(sw3::NO_SUCH_ITEM, vec![]),
            },
            0x10 => {
                *already_read = true;
                Response::new(sw3::OK, fixture.fingerprint_payload())
            }
            _ => {
                *already_read = true;
                Response::new(sw3::OK, fixture.base_info_payload())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sw(state: &mut SamState, request: Request) -> u8 {
        state.answer(&request).sw3
    }

    #[test]
    fn find_select_read_then_find_fails_until_the_card_is_replaced() {
        let mut sam = SamState::default();
        assert_eq!(sw(&mut sam, Request::find_card()), 0x80);
        sam.place_card(CardFixture::resident());
        assert_eq!(sw(&mut sam, Request::select_card()), 0x81);
        assert_eq!(sw(&mut sam, Request::read_base_info()), 0x41);
        assert_eq!(sw(&mut sam, Request::find_card()), 0x9F);
        let select = sam.answer(&Request::select_card());
        assert_eq!(
            (select.sw3, select.data),
            (0x90, CardFixture::resident().serial().to_vec())
        );
        let read = sam.answer(&Request::read_base_info());
        assert_eq!(read.sw3, 0x90);
        assert_eq!(read.data.len(), 4 + 256 + 1024);
        assert_eq!(sw(&mut sam, Request::find_card()), 0x80);
        assert_eq!(sw(&mut sam, Request::find_card()), 0x80);
        sam.remove_card();
        sam.place_card(CardFixture::resident());
        assert_eq!(sw(&mut sam, Request::find_card()), 0x9F);
    }

    #[test]
    fn status_id_baud_and_unknown_commands() {
        let mut sam = SamState::default();
        assert_eq!(sw(&mut sam, Request::sam_status()), 0x90);
        assert_eq!(sw(&mut sam, Request::reset_sam()), 0x90);
        assert_eq!(sam.answer(&Request::sam_id()).data, SIM_SAM_ID.to_vec());
        assert_eq!(sw(&mut sam, Request::new(0x60, 0x02)), 0x90);
        assert_eq!(sam.baud_code(), 2);
        assert_eq!(sw(&mut sam, Request::new(0x77, 0x00)), 0x21);
        sam.set_health(SamHealth::SelfTestFailed);
        assert_eq!(sw(&mut sam, Request::sam_status()), 0x60);
        assert_eq!(sw(&mut sam, Request::find_card()), 0x60);
        sam.set_health(SamHealth::NotAuthorised);
        assert_eq!(sw(&mut sam, Request::sam_status()), 0x66);
    }

    #[test]
    fn appended_address_fingerprint_and_removal_between_select_and_read() {
        let mut sam = SamState::default();
        sam.place_card(CardFixture::resident());
        sam.answer(&Request::find_card());
        sam.answer(&Request::select_card());
        assert_eq!(sw(&mut sam, Request::read_appended_address()), 0x91);
        let fp = sam.answer(&Request::read_with_fingerprint());
        assert_eq!((fp.sw3, fp.data.len()), (0x90, 6 + 256 + 1024));

        sam.place_card(
            CardFixture::resident()
                .with_appended_address("测试省测试市新地址2号")
                .with_fingerprint_len(512),
        );
        sam.answer(&Request::find_card());
        sam.answer(&Request::select_card());
        let appended = sam.answer(&Request::read_appended_address());
        assert_eq!((appended.sw3, appended.data.len()), (0x90, 70));
        let fp = sam.answer(&Request::read_with_fingerprint());
        assert_eq!(fp.data.len(), 6 + 256 + 1024 + 512);
        assert_eq!(fp.encode().len(), 1809);

        sam.place_card(CardFixture::resident());
        sam.remove_card_after_next_select();
        sam.answer(&Request::find_card());
        sam.answer(&Request::select_card());
        assert_eq!(sw(&mut sam, Request::read_base_info()), 0x41);
        assert!(!sam.has_card());
    }
}
