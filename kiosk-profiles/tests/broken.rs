//! Broken profiles with known mistakes: every issue is found, at the exact line:column, with
//! the stable code and key path. The fixtures live in `tests/broken/`.

use std::path::{Path, PathBuf};

use banshi_profile::{codes, load_profile, parse_profile, LoadError, ProfileIssue};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/broken")
        .join(name)
}

fn issues_of(name: &str) -> Vec<ProfileIssue> {
    match load_profile(&fixture(name)) {
        Ok(profile) => panic!("{name} should be invalid, parsed {profile:?}"),
        Err(LoadError::Invalid { errors, .. }) => errors.0,
        Err(err) => panic!("{name}: {err}"),
    }
}

fn summary(issues: &[ProfileIssue]) -> Vec<(usize, usize, &'static str, &str)> {
    issues
        .iter()
        .map(|i| (i.line, i.column, i.code, i.key_path.as_str()))
        .collect()
}

fn issues(src: &str) -> Vec<ProfileIssue> {
    match parse_profile(src) {
        Ok(profile) => panic!("should be invalid, parsed {profile:?}"),
        Err(errors) => errors.0,
    }
}

#[test]
fn three_different_errors_give_three_issues() {
    let got = issues_of("three-errors.toml");
    assert_eq!(
        summary(&got),
        [
            (3, 8, codes::BAD_CHOICE, "mode"),
            (13, 21, codes::OUT_OF_RANGE, "ui.idle_timeout_secs"),
            (
                16,
                29,
                codes::UNKNOWN_KEY,
                "devices.ticket_printer.transport.adress"
            ),
        ]
    );
    assert!(got[0].message.contains("did you mean \"self-service\"?"));
    assert!(got[0].message.contains("\"queue-ticket\""));
    assert!(got[1].message.contains("allowed: 10 to 3600"));
    assert!(got[2].message.contains("did you mean `address`?"));
}

#[test]
fn syntax_error_is_a_single_issue() {
    let got = issues_of("syntax.toml");
    assert_eq!(summary(&got), [(4, 10, codes::SYNTAX, "")]);
    assert!(
        got[0].message.contains("expected `]`"),
        "{}",
        got[0].message
    );
}

#[test]
fn every_structural_error_is_collected() {
    let got = issues_of("structure.toml");
    assert_eq!(
        summary(&got),
        [
            (2, 18, codes::WRONG_TYPE, "schema_version"),
            // A window desk without its window number (the fixture is a window profile).
            (3, 8, codes::MODE_REQUIREMENT, "queue.window"),
            (4, 1, codes::UNKNOWN_KEY, "colour_scheme"),
            (6, 1, codes::MISSING_KEY, "terminal.outlet"),
            (6, 1, codes::MISSING_KEY, "terminal.fault_hotline"),
            (12, 13, codes::WRONG_TYPE, "ui.languages"),
            (13, 14, codes::WRONG_TYPE, "ui.elder_mode"),
            (14, 1, codes::UNKNOWN_KEY, "ui.idle-timeout-secs"),
            (18, 15, codes::WRONG_TYPE, "sync.interval_ms"),
            (20, 1, codes::MISSING_KEY, "queue.categories[0].name"),
            (
                22,
                15,
                codes::OUT_OF_RANGE,
                "queue.categories[0].windows[1]"
            ),
            (
                25,
                13,
                codes::MISSING_KEY,
                "devices.receipt_printer.transport.kind"
            ),
            (26, 7, codes::BAD_CHOICE, "devices.receipt_printer.cut"),
            (
                27,
                18,
                codes::OUT_OF_RANGE,
                "devices.receipt_printer.paper_width_mm"
            ),
            (31, 8, codes::OUT_OF_RANGE, "devices.id_reader.baud"),
            (33, 10, codes::UNKNOWN_KEY, "devices.scanner"),
            (36, 1, codes::MISSING_KEY, "devices.evaluator.port"),
            (37, 1, codes::UNKNOWN_KEY, "devices.evaluator.transport"),
        ]
    );
    let message = |path: &str| {
        got.iter()
            .find(|i| i.key_path == path)
            .map(|i| i.message.clone())
            .unwrap_or_default()
    };
    assert!(message("ui.idle-timeout-secs").contains("did you mean `idle_timeout_secs`?"));
    assert!(message("devices.scanner").contains("did you mean `qr_scanner`?"));
    assert!(message("colour_scheme").contains("expected one of: `devices`"));
    assert!(
        message("devices.receipt_printer.transport.kind").contains("\"tcp\", \"file\", \"serial\"")
    );
    assert!(message("sync.interval_ms").contains("must be an integer, found a float"));
}

#[test]
fn every_semantic_error_is_collected() {
    let got = issues_of("semantic.toml");
    assert_eq!(
        summary(&got),
        [
            (2, 18, codes::SCHEMA_VERSION, "schema_version"),
            (3, 8, codes::MODE_REQUIREMENT, "lockdown.admin_pin_hash"),
            (3, 8, codes::MODE_REQUIREMENT, "devices.ticket_printer"),
            (6, 6, codes::BAD_IDENTIFIER, "terminal.id"),
            (8, 10, codes::EMPTY_VALUE, "terminal.outlet"),
            (10, 17, codes::BAD_PHONE, "terminal.fault_hotline"),
            (13, 23, codes::UNKNOWN_LANGUAGE, "ui.languages[1]"),
            (13, 29, codes::DUPLICATE_LANGUAGE, "ui.languages[2]"),
            (14, 20, codes::DEFAULT_LANGUAGE, "ui.default_language"),
            (17, 10, codes::BAD_URL, "sync.server"),
            (18, 15, codes::OUT_OF_RANGE, "sync.interval_ms"),
            (21, 19, codes::BAD_URL, "queue.follow_url_base"),
            (
                26,
                15,
                codes::DUPLICATE_WINDOW,
                "queue.categories[0].windows[1]"
            ),
            (
                26,
                18,
                codes::OUT_OF_RANGE,
                "queue.categories[0].windows[2]"
            ),
            (29, 8, codes::CATEGORY_CODE, "queue.categories[1].code"),
            (
                30,
                8,
                codes::MISSING_TRANSLATION,
                "queue.categories[1].name"
            ),
            (33, 8, codes::DUPLICATE_CATEGORY, "queue.categories[2].code"),
            (
                34,
                26,
                codes::UNKNOWN_LANGUAGE,
                "queue.categories[2].name.de"
            ),
            (
                37,
                39,
                codes::BAD_ADDRESS,
                "devices.receipt_printer.transport.address"
            ),
            (
                38,
                18,
                codes::PAPER_WIDTH,
                "devices.receipt_printer.paper_width_mm"
            ),
            (41, 8, codes::BAD_CHOICE, "devices.qr_scanner.kind"),
            (45, 9, codes::EMPTY_VALUE, "devices.voice.clips"),
            (46, 12, codes::UNKNOWN_LANGUAGE, "devices.voice.language"),
            (49, 20, codes::BAD_ORIGIN, "sdk.allowed_origins[0]"),
            (49, 72, codes::DUPLICATE_ORIGIN, "sdk.allowed_origins[2]"),
        ]
    );
}

#[test]
fn mode_requirements_point_at_the_mode() {
    let got = issues_of("mode-rules.toml");
    assert_eq!(
        summary(&got),
        [
            (3, 8, codes::MODE_REQUIREMENT, "lockdown.admin_pin_hash"),
            (3, 8, codes::MODE_REQUIREMENT, "queue.categories"),
            (3, 8, codes::MODE_REQUIREMENT, "devices.ticket_printer"),
        ]
    );
}

const TERMINAL: &str = r#"
[terminal]
id = "hk-longhua-x-01"
label = "x"
outlet = "海口市龙华区政务服务中心"
hall_id = "hk-longhua"
fault_hotline = "0898-66668888"
"#;

/// A well-formed PIN verifier (the PBKDF2-HMAC-SM3 test vector of `banshi-crypto`).
const VERIFIER: &str = "pbkdf2-sm3$1000$000102030405060708090a0b0c0d0e0f$304c324b5c73584d3af229f224b9c0c2a7e8541ad99e976d46182125f3843f0d";

fn with_mode(mode: &str, rest: &str) -> String {
    format!("schema_version = 1\nmode = \"{mode}\"\n{TERMINAL}{rest}")
}

#[test]
fn per_mode_requirements() {
    let needs = |mode: &str, rest: &str| -> Vec<String> {
        match parse_profile(&with_mode(mode, rest)) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .0
                .into_iter()
                .inspect(|i| assert_eq!(i.code, codes::MODE_REQUIREMENT, "{i}"))
                .map(|i| i.key_path)
                .collect(),
        }
    };
    let pin = format!("[lockdown]\nadmin_pin_hash = \"{VERIFIER}\"\n");
    let pin = pin.as_str();
    let sync = "[sync]\nserver = \"http://127.0.0.1:8300\"\n";
    let origins = "[sdk]\nallowed_origins = [\"http://10.1.2.3:8080\"]\n";
    assert_eq!(needs("self-service", ""), ["lockdown.admin_pin_hash"]);
    assert!(needs("self-service", pin).is_empty());
    assert_eq!(
        needs("call-screen", ""),
        ["lockdown.admin_pin_hash", "sync"]
    );
    assert!(needs("call-screen", &format!("{pin}{sync}")).is_empty());
    let window = "[queue]\nwindow = 5\n";
    assert_eq!(needs("window", ""), ["queue.window", "sync"]);
    assert!(needs("window", &format!("{window}{sync}")).is_empty());
    assert_eq!(needs("admin", ""), ["sync"]);
    assert!(needs("field", "").is_empty());
    assert_eq!(needs("office", ""), ["sdk.allowed_origins"]);
    assert_eq!(
        needs("background", "[sdk]\nallowed_origins = []\n"),
        ["sdk.allowed_origins"]
    );
    assert!(needs("background", origins).is_empty());
    assert!(needs("office", origins).is_empty());
}

#[test]
fn missing_keys_point_at_the_enclosing_header() {
    let src = with_mode("field", "\n[devices.ticket_printer]\ncut = \"full\"\n");
    let got = issues(&src);
    let line = src
        .lines()
        .position(|l| l == "[devices.ticket_printer]")
        .map(|l| l + 1)
        .unwrap_or_default();
    assert_eq!(
        summary(&got),
        [(
            line,
            1,
            codes::MISSING_KEY,
            "devices.ticket_printer.transport"
        )]
    );
}

#[test]
fn inline_tables_and_dotted_keys_are_positioned_too() {
    let src = with_mode(
        "field",
        "devices.id_reader = { port = \"/dev/ttyUSB0\", baud = \"fast\" }\n",
    );
    // A dotted key after the [terminal] header belongs to it.
    let got = issues(&src);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].code, codes::UNKNOWN_KEY);
    assert_eq!(got[0].key_path, "terminal.devices");

    let src = format!(
        "schema_version = 1\nmode = \"field\"\ndevices.id_reader = {{ port = \"/dev/ttyUSB0\", baud = \"fast\" }}\n{TERMINAL}"
    );
    let got = issues(&src);
    assert_eq!(
        summary(&got),
        [(3, 53, codes::WRONG_TYPE, "devices.id_reader.baud")]
    );
}

#[test]
fn semantic_checks_survive_structural_errors_elsewhere() {
    // The broken `ui.elder_mode` is dropped before the rules run, so the language rule still
    // sees the rest of [ui], and the bad printer address in [devices] is still found.
    let src = with_mode(
        "field",
        "[ui]\nelder_mode = 1\nlanguages = [\"zh-CN\", 7, \"xx\"]\n\n[devices.receipt_printer]\ntransport = { kind = \"tcp\", address = \"nowhere\" }\n",
    );
    let got = issues(&src);
    let paths: Vec<(&str, &str)> = got.iter().map(|i| (i.code, i.key_path.as_str())).collect();
    assert_eq!(
        paths,
        [
            (codes::WRONG_TYPE, "ui.elder_mode"),
            (codes::WRONG_TYPE, "ui.languages[1]"),
            (codes::UNKNOWN_LANGUAGE, "ui.languages[2]"),
            (
                codes::BAD_ADDRESS,
                "devices.receipt_printer.transport.address"
            ),
        ]
    );
}

#[test]
fn load_error_prefixes_every_line_with_the_path() {
    let path = fixture("three-errors.toml");
    let err = match load_profile(&path) {
        Ok(_) => panic!("fixture is invalid"),
        Err(err) => err,
    };
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let prefix = format!("{}:", path.display());
    assert!(lines[0].starts_with(&format!("{prefix}3:8: `mode`")));
    assert!(lines[1].starts_with(&format!("{prefix}13:21: ")));
    assert!(lines[2].starts_with(&format!("{prefix}16:29: ")));

    match load_profile(&fixture("does-not-exist.toml")) {
        Err(LoadError::Io { path, .. }) => assert!(path.ends_with("does-not-exist.toml")),
        other => panic!("expected an Io error, got {other:?}"),
    }
}

#[test]
fn crlf_and_bom_do_not_shift_positions() {
    let src = with_mode("field", "[ui]\nidle_timeout_secs = 1\n");
    let lf = issues(&src);
    let crlf = issues(&src.replace('\n', "\r\n"));
    assert_eq!(summary(&lf), summary(&crlf));
    let bom = format!("\u{feff}{src}");
    let with_bom = parse_profile(&bom);
    match with_bom {
        Err(errors) => assert_eq!(summary(&errors.0), summary(&lf)),
        Ok(p) => panic!("still invalid with a BOM, got {p:?}"),
    }
}

#[test]
fn an_admin_pin_hash_that_is_not_a_verifier_is_refused_with_its_position() {
    for bad in [
        "$argon2id$v=19$m=19456,t=2,p=1$YmFuc2hpLWV4YW1wbGU$c2VsZi1zZXJ2aWNl",
        "246810",
        "pbkdf2-sm3$0$000102030405060708090a0b0c0d0e0f$304c324b5c73584d3af229f224b9c0c2a7e8541ad99e976d46182125f3843f0d",
    ] {
        let text = with_mode("self-service", &format!("[lockdown]\nadmin_pin_hash = \"{bad}\"\n"));
        let errors = parse_profile(&text).expect_err(bad).0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        let issue = &errors[0];
        assert_eq!(issue.code, codes::BAD_PIN_HASH);
        assert_eq!(issue.key_path, "lockdown.admin_pin_hash");
        assert_eq!((issue.line, issue.column), (11, 18), "{issue}");
        assert!(issue.message.contains("banshi lockdown pin-hash"), "{issue}");
        assert!(!issue.message.contains(bad), "the value is not echoed: {issue}");
    }
    let blank = with_mode("self-service", "[lockdown]\nadmin_pin_hash = \" \"\n");
    assert_eq!(
        parse_profile(&blank).expect_err("blank").0[0].code,
        codes::EMPTY_VALUE
    );
}

#[test]
fn face_verification_needs_its_camera_and_reader_and_a_web_service() {
    let face = "[devices.face_verification]\nservice = \"ftp://10.20.0.5\"\n";
    let found = issues(&with_mode("field", face));
    let codes: Vec<_> = found
        .iter()
        .map(|i| (i.code, i.key_path.as_str()))
        .collect();
    assert!(
        codes.contains(&(codes::BAD_URL, "devices.face_verification.service")),
        "{found:?}"
    );
    let missing: Vec<_> = found
        .iter()
        .filter(|i| i.code == codes::MISSING_KEY)
        .map(|i| i.message.clone())
        .collect();
    assert_eq!(missing.len(), 2, "{found:?}");
    assert!(
        missing[0].contains("[devices.face_camera]") && missing[1].contains("[devices.id_reader]")
    );
    let complete = "[devices.face_verification]\nservice = \"http://10.20.0.5:8080\"\n\
         photo_decoder = [\"/opt/vendor/wlt2bmp\", \"{wlt}\", \"{out}\"]\n\
         [devices.face_camera]\ndevice = \"/dev/video2\"\n[devices.id_reader]\nport = \"/dev/ttyUSB0\"\n";
    let profile = parse_profile(&with_mode("field", complete)).expect("valid");
    let face = profile
        .devices
        .face_verification
        .expect("face verification");
    assert_eq!(face.threshold, 70);
    assert_eq!(face.photo_decoder[0], "/opt/vendor/wlt2bmp");
}
