//! Keyboard-wedge decoding: from Linux `struct input_event` records to scanned text.
//!
//! A scanner gun in HID keyboard mode "types" its code: for each character it presses and releases keys, holding
//! Shift for upper-case letters and symbols, and ends with Enter. This module turns those key events back into
//! text with a US-layout table (scanners are configured for the US layout by default, and the layouts in Chinese
//! halls are US). It is split from the device reading in [`crate::hid`] so it can be tested event by event.
//!
//! # Records
//!
//! The kernel hands out `struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; }` in
//! native byte order: 24 bytes on 64-bit Linux (two 8-byte `timeval` fields), 16 bytes on 32-bit targets. We parse
//! them ourselves ([`parse_record`]) rather than through `evdev`'s event stream so that the same code reads a real
//! `/dev/input/eventN`, a FIFO and a recorded trace file (no `/dev/uinput` exists on our CI machines, so tests
//! feed recorded records through a FIFO). The kernel's timestamps are ignored: the scan logic times keys with the
//! injected [`Clock`] so that it is testable and so that a replayed trace behaves like a live one.
//!
//! # End of a scan
//!
//! Enter (main or keypad) ends a scan. Scanners configured without a suffix send nothing at the end, so a gap
//! between two keys longer than the configured inter-key gap also ends the scan: the next key starts a new one,
//! and [`WedgeDecoder::on_idle`] ends it when no key follows. Scanners type a character every few milliseconds; a
//! gap of 100–200 ms separates two scans safely.

use std::time::Duration;

use banshi_core::Clock;

/// Size of one `struct input_event` on this target.
#[cfg(target_pointer_width = "64")]
pub const INPUT_EVENT_SIZE: usize = 24;
/// Size of one `struct input_event` on this target.
#[cfg(not(target_pointer_width = "64"))]
pub const INPUT_EVENT_SIZE: usize = 16;

const TIME_FIELDS_SIZE: usize = INPUT_EVENT_SIZE - 8;

/// `EV_KEY`: a key press, release or autorepeat.
pub const EV_KEY: u16 = 0x01;

/// Key event values.
const KEY_RELEASE: i32 = 0;
const KEY_PRESS: i32 = 1;

const KEY_ENTER: u16 = 28;
const KEY_KPENTER: u16 = 96;
const KEY_LEFTSHIFT: u16 = 42;
const KEY_RIGHTSHIFT: u16 = 54;
const KEY_CAPSLOCK: u16 = 58;

/// Codes longer than this are cut off and the scan dropped: no QR payload is that long and an endless stream of
/// keys means a stuck key or a device that is not a scanner.
pub const MAX_SCAN_CHARS: usize = 8192;

/// One key event taken from an `input_event` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvent {
    /// Linux key code (`KEY_A` = 30 …).
    pub code: u16,
    /// 0 release, 1 press, 2 autorepeat.
    pub value: i32,
}

/// Parse one record; `None` for events that are not keys (`EV_SYN`, `EV_MSC` scan codes, LEDs).
pub fn parse_record(record: &[u8; INPUT_EVENT_SIZE]) -> Option<KeyEvent> {
    let field = |at: usize| record.get(at..at + 2).and_then(|b| b.try_into().ok());
    let kind = u16::from_ne_bytes(field(TIME_FIELDS_SIZE)?);
    let code = u16::from_ne_bytes(field(TIME_FIELDS_SIZE + 2)?);
    let value = i32::from_ne_bytes(
        record
            .get(TIME_FIELDS_SIZE + 4..TIME_FIELDS_SIZE + 8)?
            .try_into()
            .ok()?,
    );
    (kind == EV_KEY).then_some(KeyEvent { code, value })
}

/// Encode a record the way the kernel writes it (zero timestamp); for simulators and recorded traces.
pub fn encode_record(kind: u16, code: u16, value: i32) -> [u8; INPUT_EVENT_SIZE] {
    let mut record = [0u8; INPUT_EVENT_SIZE];
    record[TIME_FIELDS_SIZE..TIME_FIELDS_SIZE + 2].copy_from_slice(&kind.to_ne_bytes());
    record[TIME_FIELDS_SIZE + 2..TIME_FIELDS_SIZE + 4].copy_from_slice(&code.to_ne_bytes());
    record[TIME_FIELDS_SIZE + 4..].copy_from_slice(&value.to_ne_bytes());
    record
}

/// The US-layout character of `code`, `(unshifted, shifted)`. Keypad keys do not depend on Shift here because
/// scanners send them with Num Lock on (some are set to send digits from the keypad).
fn us_layout(code: u16) -> Option<(char, char)> {
    const LETTERS: [(u16, char); 26] = [
        (30, 'a'),
        (48, 'b'),
        (46, 'c'),
        (32, 'd'),
        (18, 'e'),
        (33, 'f'),
        (34, 'g'),
        (35, 'h'),
        (23, 'i'),
        (36, 'j'),
        (37, 'k'),
        (38, 'l'),
        (50, 'm'),
        (49, 'n'),
        (24, 'o'),
        (25, 'p'),
        (16, 'q'),
        (19, 'r'),
        (31, 's'),
        (20, 't'),
        (22, 'u'),
        (47, 'v'),
        (17, 'w'),
        (45, 'x'),
        (21, 'y'),
        (44, 'z'),
    ];
    if let Some((_, c)) = LETTERS.iter().find(|(k, _)| *k == code) {
        return Some((*c, c.to_ascii_uppercase()));
    }
    Some(match code {
        2 => ('1', '!'),
        3 => ('2', '@'),
        4 => ('3', '#'),
        5 => ('4', '$'),
        6 => ('5', '%'),
        7 => ('6', '^'),
        8 => ('7', '&'),
        9 => ('8', '*'),
        10 => ('9', '('),
        11 => ('0', ')'),
        12 => ('-', '_'),
        13 => ('=', '+'),
        26 => ('[', '{'),
        27 => (']', '}'),
        39 => (';', ':'),
        40 => ('\'', '"'),
        41 => ('`', '~'),
        43 => ('\\', '|'),
        51 => (',', '<'),
        52 => ('.', '>'),
        53 => ('/', '?'),
        57 => (' ', ' '),
        55 => ('*', '*'),
        74 => ('-', '-'),
        78 => ('+', '+'),
        83 => ('.', '.'),
        98 => ('/', '/'),
        71 => ('7', '7'),
        72 => ('8', '8'),
        73 => ('9', '9'),
        75 => ('4', '4'),
        76 => ('5', '5'),
        77 => ('6', '6'),
        79 => ('1', '1'),
        80 => ('2', '2'),
        81 => ('3', '3'),
        82 => ('0', '0'),
        _ => return None,
    })
}

/// Key events in, finished scans out.
#[derive(Debug)]
pub struct WedgeDecoder {
    gap: Duration,
    left_shift: bool,
    right_shift: bool,
    caps_lock: bool,
    text: String,
    overflowed: bool,
    last_key_ms: Option<i64>,
}

impl WedgeDecoder {
    /// A decoder that also ends a scan after `gap` without keys.
    pub fn new(gap: Duration) -> Self {
        Self {
            gap,
            left_shift: false,
            right_shift: false,
            caps_lock: false,
            text: String::new(),
            overflowed: false,
            last_key_ms: None,
        }
    }

    /// The inter-key gap that ends a scan without Enter.
    pub fn gap(&self) -> Duration {
        self.gap
    }

    fn gap_passed(&self, now_ms: i64) -> bool {
        let gap_ms = i64::try_from(self.gap.as_millis()).unwrap_or(i64::MAX);
        self.last_key_ms
            .is_some_and(|last| now_ms.saturating_sub(last) > gap_ms)
    }

    /// Take the text typed so far as a finished scan (nothing for an empty or overflowed buffer).
    fn finish(&mut self) -> Option<String> {
        let text = std::mem::take(&mut self.text);
        let overflowed = std::mem::replace(&mut self.overflowed, false);
        self.last_key_ms = None;
        if overflowed {
            tracing::warn!(
                max = MAX_SCAN_CHARS,
                "a scan longer than the limit was dropped"
            );
            return None;
        }
        (!text.is_empty()).then(|| {
            tracing::debug!(chars = text.chars().count(), "scan finished");
            text
        })
    }

    /// Feed one key event observed at `clock`'s current time; returns a scan when this event (or the gap before
    /// it) ends one.
    pub fn on_key(&mut self, event: KeyEvent, clock: &dyn Clock) -> Option<String> {
        let now_ms = clock.now_ms();
        match (event.code, event.value) {
            (KEY_LEFTSHIFT, value) => self.left_shift = value != KEY_RELEASE,
            (KEY_RIGHTSHIFT, value) => self.right_shift = value != KEY_RELEASE,
            (KEY_CAPSLOCK, KEY_PRESS) => self.caps_lock = !self.caps_lock,
            (KEY_ENTER | KEY_KPENTER, KEY_PRESS) => return self.finish(),
            (code, KEY_PRESS) => {
                let ended_by_gap = if self.gap_passed(now_ms) {
                    self.finish()
                } else {
                    None
                };
                self.last_key_ms = Some(now_ms);
                match us_layout(code) {
                    Some((plain, shifted)) => {
                        let shift = self.left_shift || self.right_shift;
                        // Caps Lock affects letters only; Shift inverts it for letters.
                        let use_shifted = if plain.is_ascii_alphabetic() {
                            self.caps_lock != shift
                        } else {
                            shift
                        };
                        let c = if use_shifted { shifted } else { plain };
                        if self.text.len() >= MAX_SCAN_CHARS {
                            self.overflowed = true;
                        } else {
                            self.text.push(c);
                        }
                    }
                    None => tracing::debug!(code, "key without a US-layout character ignored"),
                }
                return ended_by_gap;
            }
            // Releases of ordinary keys and autorepeats: scanners do not autorepeat; a stuck key must not flood.
            _ => {}
        }
        None
    }

    /// Called when no event arrived for a while: ends the scan in progress once the gap has passed.
    pub fn on_idle(&mut self, clock: &dyn Clock) -> Option<String> {
        if self.gap_passed(clock.now_ms()) {
            self.finish()
        } else {
            None
        }
    }

    /// Forget a partial scan (the device went away in the middle of one: its text is incomplete).
    pub fn reset(&mut self) {
        *self = Self::new(self.gap);
    }
}

/// Records a scanner would send for `text` followed by Enter (press/release pairs, Shift where the US layout needs
/// it, `EV_SYN` after each key); characters without a key are skipped. For simulators and tests.
pub fn records_for_text(text: &str) -> Vec<[u8; INPUT_EVENT_SIZE]> {
    const EV_SYN: u16 = 0;
    let mut out = Vec::new();
    let key = |code: u16, shift: bool, out: &mut Vec<[u8; INPUT_EVENT_SIZE]>| {
        if shift {
            out.push(encode_record(EV_KEY, KEY_LEFTSHIFT, KEY_PRESS));
            out.push(encode_record(EV_SYN, 0, 0));
        }
        out.push(encode_record(EV_KEY, code, KEY_PRESS));
        out.push(encode_record(EV_SYN, 0, 0));
        out.push(encode_record(EV_KEY, code, KEY_RELEASE));
        out.push(encode_record(EV_SYN, 0, 0));
        if shift {
            out.push(encode_record(EV_KEY, KEY_LEFTSHIFT, KEY_RELEASE));
            out.push(encode_record(EV_SYN, 0, 0));
        }
    };
    for c in text.chars() {
        // Main-block keys only (codes below the keypad), as a scanner in its default setting sends them.
        let found = (1u16..=57).find_map(|code| {
            let (plain, shifted) = us_layout(code)?;
            if plain == c {
                Some((code, false))
            } else if shifted == c {
                Some((code, true))
            } else {
                None
            }
        });
        if let Some((code, shift)) = found {
            key(code, shift, &mut out);
        }
    }
    key(KEY_ENTER, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use banshi_core::ManualClock;
    use time::macros::datetime;

    fn clock() -> ManualClock {
        ManualClock::new(datetime!(2026-11-24 09:00 UTC))
    }

    fn feed(
        decoder: &mut WedgeDecoder,
        clock: &ManualClock,
        records: &[[u8; INPUT_EVENT_SIZE]],
    ) -> Vec<String> {
        records
            .iter()
            .filter_map(parse_record)
            .filter_map(|e| decoder.on_key(e, clock))
            .collect()
    }

    #[test]
    fn records_round_trip_through_the_decoder_with_shift_and_enter() {
        let clock = clock();
        let mut decoder = WedgeDecoder::new(Duration::from_millis(150));
        let text = "HTTPS://gov.example/c?id=Ab_9&x=1%2F~";
        assert_eq!(
            feed(&mut decoder, &clock, &records_for_text(text)),
            vec![text]
        );
    }

    #[test]
    fn caps_lock_inverts_letters_only() {
        let clock = clock();
        let mut decoder = WedgeDecoder::new(Duration::from_millis(150));
        let press = |code| KeyEvent {
            code,
            value: KEY_PRESS,
        };
        decoder.on_key(press(KEY_CAPSLOCK), &clock);
        for code in [30, 2] {
            decoder.on_key(press(code), &clock);
        }
        decoder.on_key(
            KeyEvent {
                code: KEY_LEFTSHIFT,
                value: KEY_PRESS,
            },
            &clock,
        );
        decoder.on_key(press(30), &clock);
        assert_eq!(
            decoder.on_key(press(KEY_KPENTER), &clock).as_deref(),
            Some("A1a")
        );
    }

    #[test]
    fn a_gap_ends_a_scan_without_enter() {
        let clock = clock();
        let mut decoder = WedgeDecoder::new(Duration::from_millis(150));
        let press = |code| KeyEvent {
            code,
            value: KEY_PRESS,
        };
        assert_eq!(decoder.on_key(press(2), &clock), None);
        clock.advance(time::Duration::milliseconds(10));
        assert_eq!(decoder.on_key(press(3), &clock), None);
        clock.advance(time::Duration::milliseconds(100));
        assert_eq!(
            decoder.on_idle(&clock),
            None,
            "within the gap the scan goes on"
        );
        clock.advance(time::Duration::milliseconds(100));
        // The next key after the gap closes the previous scan and starts a new one.
        assert_eq!(decoder.on_key(press(4), &clock).as_deref(), Some("12"));
        clock.advance(time::Duration::milliseconds(151));
        assert_eq!(decoder.on_idle(&clock).as_deref(), Some("3"));
        assert_eq!(decoder.on_idle(&clock), None);
    }

    #[test]
    fn enter_alone_and_autorepeat_give_nothing() {
        let clock = clock();
        let mut decoder = WedgeDecoder::new(Duration::from_millis(150));
        assert_eq!(
            decoder.on_key(
                KeyEvent {
                    code: KEY_ENTER,
                    value: KEY_PRESS
                },
                &clock
            ),
            None
        );
        decoder.on_key(KeyEvent { code: 30, value: 2 }, &clock);
        assert_eq!(
            decoder.on_key(
                KeyEvent {
                    code: KEY_ENTER,
                    value: KEY_PRESS
                },
                &clock
            ),
            None
        );
    }

    #[test]
    fn an_endless_scan_is_dropped() {
        let clock = clock();
        let mut decoder = WedgeDecoder::new(Duration::from_millis(150));
        for _ in 0..=MAX_SCAN_CHARS {
            decoder.on_key(
                KeyEvent {
                    code: 30,
                    value: KEY_PRESS,
                },
                &clock,
            );
        }
        assert_eq!(
            decoder.on_key(
                KeyEvent {
                    code: KEY_ENTER,
                    value: KEY_PRESS
                },
                &clock
            ),
            None
        );
    }

    #[test]
    fn non_key_records_are_skipped() {
        assert_eq!(parse_record(&encode_record(0, 0, 0)), None);
        assert_eq!(parse_record(&encode_record(4, 4, 0x70004)), None);
        assert_eq!(
            parse_record(&encode_record(EV_KEY, 30, 1)),
            Some(KeyEvent { code: 30, value: 1 })
        );
    }
}
