//! The real driver against the simulator through a real pty: every byte crosses the kernel's tty layer.

use std::io::{Read, Write};
use std::time::Duration;

use banshi_core::ErrorCode;
use banshi_idcard::sim::fixtures::CardFixture;
use banshi_idcard::sim::sam::SamHealth;
use banshi_idcard::sim::{Fault, IdCardSimulator};
use banshi_idcard::{
    CardKind, Gender, ReaderError, ReaderStatus, SerialConfig, SerialReader, ValidUntil,
};
use time::macros::date;

struct Bench {
    // Dropped last: the simulator removes its link on drop.
    reader: SerialReader,
    sim: IdCardSimulator,
    _dir: tempfile::TempDir,
}

fn bench_with_timeout(timeout: Duration) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let sim = IdCardSimulator::start(dir.path().join("idcard")).unwrap();
    let reader = SerialReader::new(
        sim.link(),
        SerialConfig {
            response_timeout: timeout,
            ..SerialConfig::default()
        },
    );
    Bench {
        reader,
        sim,
        _dir: dir,
    }
}

fn bench() -> Bench {
    bench_with_timeout(Duration::from_secs(2))
}

fn code(result: Result<banshi_idcard::Card, ReaderError>) -> &'static str {
    match result {
        Ok(card) => panic!("expected an error, read {card:?}"),
        Err(e) => e.code(),
    }
}

#[test]
fn each_card_type_decodes_through_the_pty() {
    let mut b = bench();
    let seventy = CardFixture::resident()
        .with_name("测试戊")
        .with_birth_date(date!(1956 - 03 - 01))
        .with_gender(Gender::Female)
        .with_ethnicity_code(81)
        .with_validity(date!(2016 - 03 - 01), ValidUntil::LongTerm);
    let fixtures = [
        CardFixture::resident(),
        seventy,
        CardFixture::hmt_permit(),
        CardFixture::foreigner_2017(),
        CardFixture::foreigner_2023()
            .with_english_name("TESTPERSON, ALPHA BRAVO CHARLIE DELTA ECHO FOXTROT"),
    ];
    for fixture in fixtures {
        b.sim.place_card(fixture.clone());
        let card = b.reader.read_card().unwrap();
        assert_eq!(card.kind, fixture.kind());
        assert_eq!(card.number, fixture.number());
        assert_eq!(card.name, fixture.name());
        assert_eq!(card.birth_date, fixture.birth_date());
        assert_eq!(card.photo.as_bytes(), &fixture.photo()[..]);
        match card.kind {
            CardKind::Resident => {
                assert_eq!(card.issuer.as_deref(), Some("测试市公安局测试分局"));
                assert!(card.address.as_deref().unwrap().starts_with("测试省测试市"));
            }
            CardKind::HmtPermit => {
                assert!(card.number.starts_with("810000"));
                assert_eq!(card.pass_number.as_deref(), Some("H12345678"));
            }
            CardKind::Foreigner2017 => {
                assert_eq!(card.english_name.as_deref(), Some("TEST, ALPHA"));
                assert_eq!(card.nationality.as_deref(), Some("CAN"));
            }
            CardKind::Foreigner2023 => {
                // 46 characters is the most the two English-name fields hold.
                assert_eq!(
                    card.english_name.as_deref(),
                    Some("TESTPERSON, ALPHA BRAVO CHARLIE DELTA ECHO FOX")
                );
                assert_eq!(card.nationality.as_deref(), Some("PAK"));
            }
        }
        if card.name == "测试戊" {
            assert_eq!(card.age_on(date!(2026 - 03 - 01)), 70);
            assert_eq!(card.gender, Gender::Female);
            assert_eq!(card.valid_until, ValidUntil::LongTerm);
            assert_eq!(card.ethnicity.unwrap().label_zh(), "民族代码 81");
        }
    }
}

#[test]
fn an_empty_reader_says_no_card() {
    let mut b = bench();
    assert_eq!(code(b.reader.read_card()), "idcard.no_card");
}

#[test]
fn a_read_card_is_not_read_again_until_lifted_and_replaced() {
    let mut b = bench();
    b.sim.place_card(CardFixture::resident());
    b.reader.read_card().unwrap();
    // Still lying on the reader: the SAM will not find it again.
    assert_eq!(code(b.reader.read_card()), "idcard.card_already_read");
    assert_eq!(code(b.reader.read_card()), "idcard.card_already_read");
    b.sim.remove_card();
    b.sim.place_card(CardFixture::resident());
    let card = b.reader.read_card().unwrap();
    assert_eq!(card.number, CardFixture::resident().number());
    // A different person placed afterwards is read as well.
    b.sim.remove_card();
    b.sim.place_card(CardFixture::resident().with_sequence(7));
    assert_eq!(
        b.reader.read_card().unwrap().number,
        CardFixture::resident().with_sequence(7).number()
    );
}

#[test]
fn noise_and_responses_in_64_byte_pieces_are_read_through() {
    let mut b = bench();
    b.sim.inject(Fault::NoiseBeforeResponses(true));
    b.sim.inject(Fault::ChunkedResponses(true));
    for sequence in 0..6 {
        let fixture = CardFixture::foreigner_2023().with_sequence(sequence);
        b.sim.place_card(fixture.clone());
        assert_eq!(b.reader.read_card().unwrap().number, fixture.number());
    }
    assert_eq!(b.reader.probe().status, ReaderStatus::Ok);
}

#[test]
fn one_corrupted_answer_is_retried_and_two_are_a_checksum_error() {
    let mut b = bench();
    b.sim.place_card(CardFixture::resident());
    b.sim.inject(Fault::CorruptChecksums(1));
    b.reader.read_card().unwrap();
    let finds = b
        .sim
        .requests()
        .iter()
        .filter(|r| (r.command, r.parameter) == (0x20, 0x01))
        .count();
    assert_eq!(finds, 2, "the corrupted find answer was asked for again");

    b.sim.remove_card();
    b.sim.place_card(CardFixture::resident());
    b.sim.inject(Fault::CorruptChecksums(2));
    assert_eq!(code(b.reader.read_card()), "idcard.bad_checksum");
    // The line is clean again: the same reader carries on.
    b.reader.read_card().unwrap();
}

#[test]
fn a_dropped_answer_times_out_and_the_next_call_works() {
    let mut b = bench_with_timeout(Duration::from_secs(1));
    b.sim.place_card(CardFixture::hmt_permit());
    b.sim.inject(Fault::DropResponses(1));
    assert_eq!(code(b.reader.read_card()), "idcard.timeout");
    assert_eq!(b.reader.read_card().unwrap().kind, CardKind::HmtPermit);
}

#[test]
fn a_card_lifted_between_select_and_read_is_reported_as_removed() {
    let mut b = bench();
    b.sim.place_card(CardFixture::resident());
    b.sim.inject(Fault::RemoveCardBetweenSelectAndRead);
    assert_eq!(code(b.reader.read_card()), "idcard.card_removed");
    assert!(!b.sim.has_card());
    assert_eq!(code(b.reader.read_card()), "idcard.no_card");
}

#[test]
fn a_sam_fault_fails_reads_and_probes_degraded() {
    let mut b = bench();
    b.sim.place_card(CardFixture::resident());
    for health in [SamHealth::SelfTestFailed, SamHealth::NotAuthorised] {
        b.sim.inject(Fault::Sam(health));
        assert_eq!(code(b.reader.read_card()), "idcard.sam_fault");
        let probe = b.reader.probe();
        assert_eq!(probe.status, ReaderStatus::Degraded);
        assert!(probe.detail.unwrap().contains("idcard.sam_fault"));
    }
    b.sim.clear_faults();
    assert_eq!(b.reader.probe().status, ReaderStatus::Ok);
    b.reader.read_card().unwrap();
}

#[test]
fn unplugging_reports_offline_and_replugging_recovers_the_same_reader() {
    let mut b = bench();
    b.sim.place_card(CardFixture::resident());
    b.reader.read_card().unwrap();

    b.sim.unplug().unwrap();
    assert!(!b.sim.link().exists());
    assert_eq!(code(b.reader.read_card()), "idcard.offline");
    let probe = b.reader.probe();
    assert_eq!(probe.status, ReaderStatus::Offline);
    assert!(probe.detail.unwrap().contains("idcard.offline"));
    assert!(!b.reader.is_open());

    b.sim.replug().unwrap();
    assert_eq!(b.reader.probe().status, ReaderStatus::Ok);
    // Power came back with the card still lying there: it is found again.
    assert_eq!(
        b.reader.read_card().unwrap().number,
        CardFixture::resident().number()
    );
}

#[test]
fn a_replug_between_two_calls_is_invisible_to_the_caller() {
    let mut b = bench();
    b.sim.place_card(CardFixture::foreigner_2017());
    assert_eq!(b.reader.probe().status, ReaderStatus::Ok);
    assert!(b.reader.is_open());
    // The descriptor the reader holds now belongs to a pty that no longer exists.
    b.sim.unplug().unwrap();
    b.sim.replug().unwrap();
    assert_eq!(b.reader.read_card().unwrap().kind, CardKind::Foreigner2017);
}

#[test]
fn a_reader_created_before_its_device_exists_comes_up_when_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("idcard");
    let mut reader = SerialReader::new(&link, SerialConfig::default());
    assert_eq!(reader.probe().status, ReaderStatus::Offline);
    let sim = IdCardSimulator::start(&link).unwrap();
    sim.place_card(CardFixture::resident());
    assert_eq!(reader.probe().status, ReaderStatus::Ok);
    assert_eq!(reader.sam_id().unwrap(), b"BANSHI-SIM-SAM01".to_vec());
    reader.read_card().unwrap();
}

#[test]
fn wait_for_card_keeps_polling_until_a_card_is_placed() {
    let mut b = bench();
    assert_eq!(
        b.reader
            .wait_for_card(Duration::from_millis(150), Duration::from_millis(20))
            .unwrap_err()
            .code(),
        "idcard.no_card"
    );
    let requests_before = b.sim.requests().len();
    std::thread::scope(|scope| {
        let sim = &b.sim;
        scope.spawn(move || {
            // Place the card only once the reader has polled a few times in vain.
            while sim.requests().len() < requests_before + 3 {
                std::thread::sleep(Duration::from_millis(5));
            }
            sim.place_card(CardFixture::hmt_permit());
        });
        let card = b
            .reader
            .wait_for_card(Duration::from_secs(30), Duration::from_millis(10))
            .unwrap();
        assert_eq!(card.kind, CardKind::HmtPermit);
    });
}

#[test]
fn wait_for_card_stops_at_once_when_the_reader_is_offline() {
    let mut b = bench();
    b.sim.unplug().unwrap();
    let err = b
        .reader
        .wait_for_card(Duration::from_secs(30), Duration::from_millis(10))
        .unwrap_err();
    assert_eq!(err.code(), "idcard.offline");
}

/// Raw bytes through the pty, no driver: the simulator's answers are the literal frames of the research,
/// and it answers broken requests the way a SAM does.
#[test]
fn the_simulator_speaks_the_documented_bytes_on_the_wire() {
    let b = bench();
    let mut port = serialport::new(b.sim.link().to_string_lossy(), 115_200)
        .timeout(Duration::from_secs(2))
        .open()
        .unwrap();
    let mut exchange = |request: &[u8], answer_len: usize| {
        port.write_all(request).unwrap();
        let mut answer = vec![0u8; answer_len];
        port.read_exact(&mut answer).unwrap();
        answer
    };
    let hex = |s: &str| -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    };
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 11 FF ED"), 11),
        hex("AA AA AA 96 69 00 04 00 00 90 94")
    );
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 20 01 22"), 11),
        hex("AA AA AA 96 69 00 04 00 00 80 84")
    );
    b.sim
        .place_card(CardFixture::resident().with_serial([0; 8]));
    // Garbage before the request does not matter to the SAM either.
    assert_eq!(
        exchange(&hex("13 AA AA 00 AA AA AA 96 69 00 03 20 01 22"), 15),
        hex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    );
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 20 02 21"), 19),
        hex("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C")
    );
    let read = exchange(&hex("AA AA AA 96 69 00 03 30 01 32"), 1295);
    assert_eq!(
        read[..14],
        hex("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")[..]
    );
    // A request with a wrong checksum gets SW3 0x10; an impossible length gets 0x11.
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 03 20 01 23"), 11),
        hex("AA AA AA 96 69 00 04 00 00 10 14")
    );
    assert_eq!(
        exchange(&hex("AA AA AA 96 69 00 00"), 11),
        hex("AA AA AA 96 69 00 04 00 00 11 15")
    );
}
