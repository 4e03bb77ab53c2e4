//! A million hostile inputs each for the two parsers of outside bytes: the frame resynchroniser and
//! the card decoder. Passing means no panic, no hang, and every input fully consumed.
//!
//! Why a seeded xorshift and not proptest: the property is only "does not panic", so proptest's
//! shrinking buys nothing, while its per-case machinery (strategy trees, runner bookkeeping) costs
//! far more than the parse itself at a million cases in the unoptimised test profile. A fixed seed makes
//! every run identical, so a failure is replayed by its input index. Inputs are built from valid frames
//! and payloads (so mutations reach deep into the parser: half of the mutated frames get their checksum
//! fixed up, so the decoder behind the checksum sees them) plus pure random bytes.

use std::io::{self, Read};

use banshi_idcard::frame::{FrameError, FrameReader, Request, Response};
use banshi_idcard::sim::fixtures::CardFixture;
use banshi_idcard::sim::rng::XorShift64;
use banshi_idcard::{decode_base_info, decode_text_block, ValidUntil, WltPhoto};
use time::macros::date;

const INPUTS: usize = 1_000_000;

/// Hands out its bytes in random pieces of 1–64 bytes, like a USB-serial adapter, then EOF.
struct Pieces<'a> {
    data: &'a [u8],
    rng: &'a mut XorShift64,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rng.range(1, 64).min(buf.len()).min(self.data.len());
        let (piece, rest) = self.data.split_at(n);
        buf[..n].copy_from_slice(piece);
        self.data = rest;
        Ok(n)
    }
}

fn fixtures() -> Vec<CardFixture> {
    vec![
        CardFixture::resident(),
        CardFixture::resident()
            .with_validity(date!(2010 - 01 - 01), ValidUntil::LongTerm)
            .with_ethnicity_code(81),
        CardFixture::hmt_permit(),
        CardFixture::foreigner_2017(),
        CardFixture::foreigner_2023(),
    ]
}

/// Random damage of the kinds a serial line and a broken device produce.
fn mutate(rng: &mut XorShift64, input: &mut Vec<u8>) {
    for _ in 0..rng.range(1, 4) {
        if input.is_empty() {
            input.push(rng.next_u8());
        }
        let at = rng.range(0, input.len() - 1);
        match rng.range(0, 7) {
            0 => input[at] ^= 1 << rng.range(0, 7),
            1 => input[at] = rng.next_u8(),
            2 => {
                let bytes: Vec<u8> = (0..rng.range(1, 16)).map(|_| rng.next_u8()).collect();
                input.splice(at..at, bytes);
            }
            3 => {
                let end = (at + rng.range(1, 32)).min(input.len());
                input.drain(at..end);
            }
            4 => input.truncate(at),
            5 => {
                // A plausible-looking length field: tiny, huge or off by a little.
                if input.len() > 6 {
                    let len = match rng.range(0, 2) {
                        0 => rng.range(0, 8),
                        1 => rng.range(0x0900, 0xFFFF),
                        _ => {
                            usize::from(u16::from_be_bytes([input[5], input[6]])) + rng.range(0, 4)
                        }
                    } as u16;
                    input[5..7].copy_from_slice(&len.to_be_bytes());
                }
            }
            6 => {
                let end = (at + rng.range(1, 64)).min(input.len());
                let copy = input[at..end].to_vec();
                input.splice(at..at, copy);
            }
            _ => input.extend_from_slice(&[0xAA, 0xAA, 0xAA, 0x96, 0x69]),
        }
    }
}

/// Recomputes the XOR of a frame that still has its preamble, so the damage gets past the checksum.
fn fix_checksum(input: &mut [u8]) {
    if input.len() > 7 {
        let last = input.len() - 1;
        input[last] = input[5..last].iter().fold(0, |acc, b| acc ^ b);
    }
}

#[test]
fn frame_parser_survives_a_million_mutated_inputs() {
    let mut rng = XorShift64::new(0x5EED_F4A3);
    let mut small: Vec<Vec<u8>> = [
        Request::reset_sam(),
        Request::sam_status(),
        Request::sam_id(),
        Request::find_card(),
        Request::select_card(),
        Request::read_base_info(),
        Request::read_appended_address(),
    ]
    .iter()
    .map(Request::encode)
    .collect();
    small.extend(
        [
            Response::new(0x90, vec![]),
            Response::new(0x9F, vec![0; 4]),
            Response::new(0x90, vec![0; 8]),
            Response::new(0x80, vec![]),
            Response::new(0x41, vec![]),
        ]
        .iter()
        .map(Response::encode),
    );
    let large: Vec<Vec<u8>> = fixtures()
        .iter()
        .map(|f| Response::new(0x90, f.base_info_payload()).encode())
        .collect();

    let (mut frames, mut cards, mut frame_errors) = (0usize, 0usize, 0usize);
    for i in 0..INPUTS {
        let mut input = match i % 16 {
            0 => (0..rng.range(0, 300)).map(|_| rng.next_u8()).collect(),
            1 => large[rng.range(0, large.len() - 1)].clone(),
            _ => {
                // Several frames back to back, so resynchronisation after damage is exercised.
                let mut joined = Vec::new();
                for _ in 0..rng.range(1, 4) {
                    joined.extend_from_slice(&small[rng.range(0, small.len() - 1)]);
                }
                joined
            }
        };
        if i % 16 != 0 {
            mutate(&mut rng, &mut input);
            if rng.one_in(2) {
                fix_checksum(&mut input);
            }
        }
        let mut reader = FrameReader::new(Pieces {
            data: &input,
            rng: &mut rng,
        });
        loop {
            match reader.read_frame() {
                Ok(body) => {
                    frames += 1;
                    if let Some(response) = Response::from_body(&body) {
                        if decode_base_info(&response.data).is_ok() {
                            cards += 1;
                        }
                    }
                    let _ = Request::from_body(&body);
                }
                Err(FrameError::Closed) => break,
                Err(FrameError::Io(e)) => panic!("input {i}: in-memory reads cannot fail: {e}"),
                Err(_) => frame_errors += 1,
            }
        }
    }
    // The generator must actually reach every outcome, or the test proves little.
    assert!(frames > INPUTS / 2, "{frames} frames");
    assert!(frame_errors > INPUTS / 10, "{frame_errors} frame errors");
    assert!(cards > 0, "no mutated read answer decoded to a card");
}

#[test]
fn card_decoder_survives_a_million_mutated_inputs() {
    let mut rng = XorShift64::new(0xCA4D_0001);
    let payloads: Vec<Vec<u8>> = fixtures().iter().map(|f| f.base_info_payload()).collect();
    let interesting_units: [u16; 10] = [
        0x0020, 0x0000, 0x0030, 0x0039, 0x957F, 0x671F, 0xD800, 0xDC00, 0xFFFF, 0x0058,
    ];
    let (mut decoded, mut refused) = (0usize, 0usize);
    // One buffer, refilled each round: allocation would dominate the run time in the debug profile.
    let mut payload = Vec::with_capacity(2048);
    for i in 0..INPUTS {
        payload.clear();
        payload.extend_from_slice(&payloads[i % payloads.len()]);
        match rng.range(0, 9) {
            // Damage a UCS-2 unit inside the text block with a character decoders trip on.
            0..=4 => {
                for _ in 0..rng.range(1, 3) {
                    let unit = if rng.one_in(2) {
                        interesting_units[rng.range(0, interesting_units.len() - 1)]
                    } else {
                        rng.next_u64() as u16
                    };
                    let at = 4 + 2 * rng.range(0, 127);
                    payload[at..at + 2].copy_from_slice(&unit.to_le_bytes());
                }
            }
            // Switch the type flag, so each layout reads another layout's bytes.
            5 => {
                let flag = [b'I', b'J', b'Y', b' ', rng.next_u8()][rng.range(0, 4)];
                payload[4 + 248] = flag;
                payload[4 + 249] = if rng.one_in(4) { rng.next_u8() } else { 0 };
            }
            // Lie in the TL/PL header.
            6 => {
                let at = rng.range(0, 3);
                payload[at] = rng.next_u8();
            }
            // Odd-length, short or over-long text blocks through the direct entry point.
            7 => {
                let len = rng.range(0, 300);
                let text: Vec<u8> = payload.iter().skip(4).take(len).copied().collect();
                match decode_text_block(&text, WltPhoto::new(vec![])) {
                    Ok(_) => decoded += 1,
                    Err(_) => refused += 1,
                }
                continue;
            }
            _ => mutate(&mut rng, &mut payload),
        }
        match decode_base_info(&payload) {
            Ok(card) => {
                decoded += 1;
                // The derived views must not panic on whatever was decoded either (Debug is the
                // slowest of them, so it is sampled).
                if i % 16 == 0 {
                    let _ = format!("{card:?}");
                }
                let _ = card.age_on(date!(2026 - 01 - 01));
                let _ = card.is_valid_on(date!(2026 - 01 - 01));
                let _ = card.ethnicity.map(|e| e.label_zh());
            }
            Err(_) => refused += 1,
        }
    }
    assert_eq!(decoded + refused, INPUTS);
    assert!(decoded > INPUTS / 10, "{decoded} decoded");
    assert!(refused > INPUTS / 10, "{refused} refused");
}
