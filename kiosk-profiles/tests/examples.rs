//! Every shipped example profile is valid, round-trips through serde, and names the mode its file
//! is named after. The examples double as documentation, so a broken one is a release blocker.

use std::path::{Path, PathBuf};

use banshi_profile::{load_profile, parse_profile, EscPosTransport, Mode, Profile};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn load(name: &str) -> Profile {
    let path = examples_dir().join(format!("{name}.toml"));
    match load_profile(&path) {
        Ok(profile) => profile,
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn one_valid_example_per_mode() {
    for mode in Mode::ALL {
        let profile = load(mode.as_str());
        assert_eq!(profile.mode, mode);
        assert_eq!(profile.schema_version, banshi_profile::SCHEMA_VERSION);
        assert_eq!(profile.terminal.hall_id, "hk-longhua");
        assert_eq!(profile.terminal.outlet, "海口市龙华区政务服务中心");
        assert_eq!(profile.terminal.fault_hotline, "0898-66668888");
    }
}

#[test]
fn no_stray_example_files() {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut expected: Vec<String> = Mode::ALL
        .iter()
        .map(|m| format!("{}.toml", m.as_str()))
        .collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn examples_round_trip_through_toml() {
    for mode in Mode::ALL {
        let profile = load(mode.as_str());
        let text = match toml::to_string(&profile) {
            Ok(text) => text,
            Err(err) => panic!("{}: serialize: {err}", mode.as_str()),
        };
        match parse_profile(&text) {
            Ok(again) => assert_eq!(again, profile, "{}", mode.as_str()),
            Err(err) => panic!("{}: reparse:\n{err}\n---\n{text}", mode.as_str()),
        }
    }
}

#[test]
fn queue_ticket_example_has_the_hall_categories_and_printer() {
    let profile = load("queue-ticket");
    let categories: Vec<(&str, &str, &str)> = profile
        .queue
        .categories
        .iter()
        .map(|c| (c.code.as_str(), c.name.get("zh-CN"), c.name.get("en")))
        .collect();
    assert_eq!(
        categories,
        [
            ("A", "个人业务", "Personal services"),
            ("B", "法人业务", "Business services"),
            ("C", "社保医保", "Social & medical insurance"),
            ("D", "不动产登记", "Real estate"),
        ]
    );
    let printer = profile.devices.ticket_printer.as_ref();
    assert_eq!(
        printer.map(|p| &p.transport),
        Some(&EscPosTransport::Tcp {
            address: "127.0.0.1:9100".to_owned()
        })
    );
    let classes: Vec<_> = profile
        .devices
        .configured()
        .into_iter()
        .map(|d| (d.class, d.driver))
        .collect();
    assert_eq!(
        classes,
        [
            ("ticket_printer", "escpos-tcp".to_owned()),
            ("id_reader", "idcard-serial".to_owned()),
            ("qr_scanner", "qr-hid".to_owned()),
            ("voice", "voice-clips".to_owned()),
        ]
    );
}

#[test]
fn self_service_example_uses_the_tcp_ticket_printer_and_sync() {
    let profile = load("self-service");
    assert!(matches!(
        profile.devices.ticket_printer.as_ref().map(|p| &p.transport),
        Some(EscPosTransport::Tcp { address }) if address == "127.0.0.1:9100"
    ));
    assert_eq!(
        profile.sync.as_ref().map(|s| s.server.as_str()),
        Some("http://127.0.0.1:8300")
    );
    assert!(profile.mode.opens_full_screen());
    assert!(profile.lockdown.admin_pin_hash.is_some());
}

/// The full-screen examples carry real verifiers of the documented example PIN (example-only: never deploy it).
#[test]
fn full_screen_examples_unlock_with_the_example_pin() {
    for mode in ["self-service", "queue-ticket", "call-screen"] {
        let profile = load(mode);
        let verifier = profile.lockdown.admin_pin_hash.expect("admin_pin_hash");
        assert!(banshi_crypto::is_verifier(&verifier), "{mode}");
        assert!(
            banshi_crypto::verify_password("246810", &verifier).expect("verifier"),
            "{mode}: the example PIN is 246810"
        );
        assert!(!banshi_crypto::verify_password("135790", &verifier).expect("verifier"));
    }
}
