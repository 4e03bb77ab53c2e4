//! Robustness: thousands of mutated profiles go through `parse_profile`; none may panic, every
//! failure must carry well-formed issues, and whatever is accepted must survive a serde round
//! trip. A validator gap (serde rejecting what the validator passed, code `profile.invalid`)
//! fails the test too.
//!
//! The mutations are driven by a fixed-seed xorshift generator instead of a property-testing
//! crate: the inputs are reproducible, the test needs no extra dependency, and a failure prints
//! the exact input.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use banshi_profile::{codes, parse_profile, Mode};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOKENS: &[&str] = &[
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    ",",
    ".",
    "\n",
    "#",
    "\"\"\"",
    "'''",
    "0x",
    "-",
    "+",
    "1e99",
    "true",
    "\"海口\"",
    "\u{0}",
    "\t",
    "\\",
    "\\u",
    "99999999999999999999999",
    "1979-05-27T07:32:00Z",
    "inf",
    "nan",
    "\r",
    "\u{feff}",
    "é",
    "_",
    " ",
    "[ui]",
    "[sync]",
    "[[queue.categories]]",
    "[devices.ticket_printer]",
    "mode = \"window\"\n",
];

const VALUES: &[&str] = &[
    "1",
    "-1",
    "0",
    "70",
    "58",
    "\"x\"",
    "\"\"",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ kind = \"tcp\" }",
    "{ kind = \"serial\", port = \"COM3\", baud = 9600 }",
    "{ kind = \"file\", path = \"\" }",
    "true",
    "1.5",
    "1979-05-27",
    "07:32:00",
    "\"zh-CN\"",
    "\"hk longhua\"",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "0b101",
    "0o777",
    "0xFF",
    "\"self-service\"",
    "\"queue-ticket\"",
    "\"background\"",
    "[\"zh-CN\", \"ug\"]",
    "{ zh-CN = \"个人业务\" }",
    "\"http://127.0.0.1:8300\"",
    "\"ipp://x\"",
    "\"A\"",
    "[\"http://h/\"]",
    "nan",
    "-inf",
];

const KEYS: &[&str] = &[
    "schema_version",
    "mode",
    "id",
    "label",
    "outlet",
    "hall_id",
    "fault_hotline",
    "languages",
    "default_language",
    "elder_mode",
    "idle_timeout_secs",
    "server",
    "interval_ms",
    "code",
    "name",
    "windows",
    "transport",
    "kind",
    "address",
    "cut",
    "paper_width_mm",
    "port",
    "baud",
    "simulated",
    "device",
    "clips",
    "language",
    "allowed_origins",
    "admin_pin_hash",
    "ticket_printer",
    "x",
    "zh-CN",
    "\"quoted key\"",
    "a.b.c",
    "categories",
];

fn mutate(rng: &mut XorShift, text: &str) -> String {
    let mut out = text.to_owned();
    for _ in 0..=rng.below(4) {
        out = match rng.below(8) {
            0 => {
                // Delete a run of characters.
                let chars: Vec<char> = out.chars().collect();
                let start = rng.below(chars.len() + 1);
                let end = (start + rng.below(12)).min(chars.len());
                chars[..start].iter().chain(&chars[end..]).collect()
            }
            1 => {
                // Insert a token.
                let chars: Vec<char> = out.chars().collect();
                let at = rng.below(chars.len() + 1);
                let token = rng.pick(TOKENS);
                chars[..at]
                    .iter()
                    .copied()
                    .chain(token.chars())
                    .chain(chars[at..].iter().copied())
                    .collect()
            }
            2 => with_lines(&out, |lines| {
                let i = rng.below(lines.len());
                if let Some(line) = lines.get(i).cloned() {
                    lines.insert(i, line);
                }
            }),
            3 => with_lines(&out, |lines| {
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    lines.remove(i);
                }
            }),
            4 => with_lines(&out, |lines| {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                if a < lines.len() && b < lines.len() {
                    lines.swap(a, b);
                }
            }),
            5 => with_lines(&out, |lines| {
                // Replace a value.
                let i = rng.below(lines.len());
                let value = rng.pick(VALUES);
                if let Some(line) = lines.get_mut(i) {
                    if let Some((key, _)) = line.split_once('=') {
                        *line = format!("{key}= {value}");
                    }
                }
            }),
            6 => with_lines(&out, |lines| {
                // Rename a key.
                let i = rng.below(lines.len());
                let key = rng.pick(KEYS);
                if let Some(line) = lines.get_mut(i) {
                    if let Some((_, value)) = line.split_once('=') {
                        *line = format!("{key} ={value}");
                    }
                }
            }),
            _ => {
                // Truncate.
                let chars: Vec<char> = out.chars().collect();
                let keep = rng.below(chars.len() + 1);
                chars[..keep].iter().collect()
            }
        };
    }
    out
}

fn with_lines(text: &str, edit: impl FnOnce(&mut Vec<String>)) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    edit(&mut lines);
    lines.join("\n")
}

/// Parse `input`; panic with the input on any broken invariant.
fn check(input: &str) {
    let result = catch_unwind(AssertUnwindSafe(|| parse_profile(input)));
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(_) => panic!("parse_profile panicked on:\n{input}"),
    };
    let line_count = input.split('\n').count();
    match outcome {
        Err(errors) => {
            assert!(!errors.0.is_empty(), "empty error list for:\n{input}");
            for issue in &errors.0 {
                assert!(
                    issue.line >= 1 && issue.line <= line_count,
                    "{issue} for:\n{input}"
                );
                assert!(issue.column >= 1, "{issue} for:\n{input}");
                assert!(issue.code.starts_with("profile."), "{issue}");
                assert!(!issue.message.is_empty());
                assert_ne!(
                    issue.code,
                    codes::INVALID,
                    "validator passed what serde rejects: {issue}\n{input}"
                );
            }
        }
        Ok(profile) => {
            let text = match toml::to_string(&profile) {
                Ok(text) => text,
                Err(err) => panic!("accepted profile does not serialize ({err}):\n{input}"),
            };
            match parse_profile(&text) {
                Ok(again) => assert_eq!(again, profile, "round trip changed:\n{input}"),
                Err(err) => panic!("accepted profile fails after round trip:\n{err}\n{input}"),
            }
        }
    }
}

fn examples() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    Mode::ALL
        .iter()
        .map(|m| {
            let path = dir.join(format!("{}.toml", m.as_str()));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

#[test]
fn mutated_examples_never_panic() {
    // BANSHI_FUZZ_ITERS raises the count for a longer local hunt; CI uses the default.
    let iterations = std::env::var("BANSHI_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let seed = std::env::var("BANSHI_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_ba45_4100_0001_u64);
    let mut rng = XorShift(seed.max(1));
    let mut accepted = 0;
    for example in examples() {
        for _ in 0..iterations {
            let input = mutate(&mut rng, &example);
            check(&input);
            if parse_profile(&input).is_ok() {
                accepted += 1;
            }
        }
    }
    // Some mutations (comment edits, harmless values) keep a profile valid: the round-trip
    // branch must be exercised too.
    assert!(accepted > 0);
}

#[test]
fn hostile_inputs_never_panic() {
    let deep_array = format!("a = {}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_table = format!("a = {}{}", "{ b = ".repeat(5000), "}".repeat(5000));
    let long_dotted = format!("[{}]", vec!["k"; 5000].join("."));
    let huge_string = format!("mode = \"{}\"", "海".repeat(200_000));
    let many_tables = "[[queue.categories]]\ncode = \"A\"\n".repeat(2000);
    let inputs = [
        String::new(),
        "\u{0}".to_owned(),
        "\u{feff}".to_owned(),
        "=".to_owned(),
        "[".to_owned(),
        "\"".to_owned(),
        "mode = ".to_owned(),
        deep_array,
        deep_table,
        long_dotted,
        huge_string,
        many_tables,
        "schema_version = 99999999999999999999999999999999999999999999".to_owned(),
        "schema_version = -0\nmode = \"admin\"".to_owned(),
        "terminal = 5\nqueue = []\ndevices = \"none\"\nui = true\n".to_owned(),
        "[devices.ticket_printer.transport]\nkind = 5\n".to_owned(),
        "[devices.ticket_printer]\ntransport = []\n".to_owned(),
        "[[devices]]\n".to_owned(),
        "[queue]\ncategories = [1, \"A\", {}, []]\n".to_owned(),
    ];
    for input in &inputs {
        check(input);
    }
}
