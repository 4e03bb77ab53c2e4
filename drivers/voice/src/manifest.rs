//! `manifest.toml`: what a clip set says about itself, parsed and checked before any clip is opened.
//!
//! The manifest carries everything that differs between languages — the phrase templates (word order),
//! how tickets and windows are read (digit by digit or as a number, with the language's number words) and
//! which file holds each token — so a new language is a directory, not code. Every rule is checked here,
//! including that every window number the set claims to read has a reading, so a bad manifest fails at
//! load time with `voice.bad_manifest` instead of in the middle of a call.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::error::VoiceError;
use crate::reading::{Cardinal, Reading};

/// Template placeholders; every other template entry is a clip token.
pub(crate) const TICKET_SLOT: &str = "{ticket}";
pub(crate) const WINDOW_SLOT: &str = "{window}";

/// Letters of tickets are read from the tokens `letter_A` … `letter_Z`.
pub(crate) fn letter_token(letter: char) -> String {
    format!("letter_{letter}")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    language: String,
    sample_rate: u32,
    #[serde(default = "default_gap_ms")]
    gap_ms: u32,
    #[serde(default = "default_repeat_gap_ms")]
    repeat_gap_ms: u32,
    #[serde(default)]
    prelude: Vec<String>,
    templates: RawTemplates,
    numbers: RawNumbers,
    #[serde(default)]
    windows: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    clips: BTreeMap<String, String>,
}

fn default_gap_ms() -> u32 {
    60
}

fn default_repeat_gap_ms() -> u32 {
    600
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplates {
    numbered: Vec<String>,
    named: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumbers {
    ticket: Reading,
    window: Reading,
    digits: Vec<String>,
    ticket_digits: Option<Vec<String>>,
    #[serde(default)]
    exact: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tens: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tens_after_hundred: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    hundred: Vec<String>,
    zero_after_hundred: Option<String>,
}

/// A manifest whose rules are consistent; clip files are not yet checked.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub language: String,
    pub sample_rate: u32,
    pub gap_ms: u32,
    pub repeat_gap_ms: u32,
    pub prelude: Vec<String>,
    pub numbered: Vec<String>,
    pub named: Option<Vec<String>>,
    pub ticket_reading: Reading,
    pub window_reading: Reading,
    /// Tokens for the digits of a ticket (the set's digits unless `ticket_digits` differs).
    pub ticket_digits: [String; 10],
    pub cardinal: Cardinal,
    pub windows: BTreeMap<String, Vec<String>>,
    clip_files: BTreeMap<String, String>,
}

impl Manifest {
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, VoiceError> {
        let bad = |reason: String| VoiceError::BadManifest {
            path: path.to_owned(),
            reason,
        };
        let raw: RawManifest = toml::from_str(text).map_err(|e| bad(e.message().to_owned()))?;
        if raw.language.trim().is_empty() {
            return Err(bad("language is empty".into()));
        }
        if raw.sample_rate == 0 {
            return Err(bad("sample_rate is 0".into()));
        }
        check_template("numbered", &raw.templates.numbered).map_err(&bad)?;
        match &raw.templates.named {
            Some(named) => check_template("named", named).map_err(&bad)?,
            None if !raw.windows.is_empty() => {
                return Err(bad(
                    "[windows] lists names but there is no templates.named".into()
                ))
            }
            None => {}
        }
        if let Some(slot) = raw.prelude.iter().find(|t| is_slot(t)) {
            return Err(bad(format!("prelude cannot hold the placeholder {slot}")));
        }
        for (name, tokens) in &raw.windows {
            if tokens.is_empty() || tokens.iter().any(|t| is_slot(t)) {
                return Err(bad(format!(
                    "window {name:?} needs one or more clip tokens"
                )));
            }
        }
        let digits = ten_tokens("numbers.digits", raw.numbers.digits).map_err(&bad)?;
        let ticket_digits = match raw.numbers.ticket_digits {
            Some(list) => ten_tokens("numbers.ticket_digits", list).map_err(&bad)?,
            None => digits.clone(),
        };
        let cardinal = Cardinal {
            digits,
            exact: numbered_keys("numbers.exact", raw.numbers.exact, 999).map_err(&bad)?,
            tens: numbered_keys("numbers.tens", raw.numbers.tens, 9).map_err(&bad)?,
            tens_after_hundred: numbered_keys(
                "numbers.tens_after_hundred",
                raw.numbers.tens_after_hundred,
                9,
            )
            .map_err(&bad)?,
            hundred: raw.numbers.hundred,
            zero_after_hundred: raw.numbers.zero_after_hundred,
        };
        // Whatever range the set claims (to 99, or to 999 with a hundred word), every number in it must
        // read; checked once here so a gap in the tens table cannot surface at the counter.
        if let Some(unreadable) = (0..=cardinal.max()).find(|&n| cardinal.read(n).is_none()) {
            return Err(bad(format!(
                "numbers has no reading for {unreadable} (check numbers.tens and numbers.exact)"
            )));
        }
        Ok(Self {
            language: raw.language,
            sample_rate: raw.sample_rate,
            gap_ms: raw.gap_ms,
            repeat_gap_ms: raw.repeat_gap_ms,
            prelude: raw.prelude,
            numbered: raw.templates.numbered,
            named: raw.templates.named,
            ticket_reading: raw.numbers.ticket,
            window_reading: raw.numbers.window,
            ticket_digits,
            cardinal,
            windows: raw.windows,
            clip_files: raw.clips,
        })
    }

    /// Every token any call could need, so a set is complete or fails at load, never mid-call.
    pub(crate) fn required_tokens(&self) -> BTreeSet<String> {
        let mut tokens = BTreeSet::new();
        let templates = self.numbered.iter().chain(self.named.iter().flatten());
        tokens.extend(templates.filter(|t| !is_slot(t)).cloned());
        tokens.extend(self.prelude.iter().cloned());
        tokens.extend(self.ticket_digits.iter().cloned());
        tokens.extend(self.cardinal.tokens().cloned());
        tokens.extend(self.windows.values().flatten().cloned());
        tokens.extend(('A'..='Z').map(letter_token));
        tokens
    }

    /// The file a token is read from, relative to the set's directory: `[clips]` or `<token>.wav`.
    pub(crate) fn clip_file(&self, token: &str) -> String {
        self.clip_files
            .get(token)
            .cloned()
            .unwrap_or_else(|| format!("{token}.wav"))
    }
}

fn is_slot(token: &str) -> bool {
    token.starts_with('{') && token.ends_with('}')
}

fn check_template(name: &str, template: &[String]) -> Result<(), String> {
    for slot in [TICKET_SLOT, WINDOW_SLOT] {
        let count = template.iter().filter(|t| *t == slot).count();
        if count != 1 {
            return Err(format!(
                "templates.{name} must hold {slot} once (found {count})"
            ));
        }
    }
    match template
        .iter()
        .find(|t| is_slot(t) && *t != TICKET_SLOT && *t != WINDOW_SLOT)
    {
        Some(unknown) => Err(format!(
            "templates.{name} has an unknown placeholder {unknown}"
        )),
        None => Ok(()),
    }
}

fn ten_tokens(key: &str, tokens: Vec<String>) -> Result<[String; 10], String> {
    let found = tokens.len();
    tokens
        .try_into()
        .map_err(|_| format!("{key} must list 10 tokens, for 0 to 9 (found {found})"))
}

fn numbered_keys(
    key: &str,
    table: BTreeMap<String, Vec<String>>,
    max: u32,
) -> Result<BTreeMap<u32, Vec<String>>, String> {
    table
        .into_iter()
        .map(|(k, tokens)| match k.parse::<u32>() {
            Ok(n) if n <= max && !tokens.is_empty() => Ok((n, tokens)),
            Ok(n) if n <= max => Err(format!("{key}.{n} is empty")),
            _ => Err(format!(
                "{key} keys must be numbers from 0 to {max} (found {k:?})"
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        language = "xx"
        sample_rate = 16000
        [templates]
        numbered = ["{ticket}", "{window}"]
        [numbers]
        ticket = "digits"
        window = "cardinal"
        digits = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"]
        [numbers.tens]
        1 = ["ten"]
        2 = ["d2", "ten"]
        3 = ["d3", "ten"]
        4 = ["d4", "ten"]
        5 = ["d5", "ten"]
        6 = ["d6", "ten"]
        7 = ["d7", "ten"]
        8 = ["d8", "ten"]
        9 = ["d9", "ten"]
    "#;

    fn parse(text: &str) -> Result<Manifest, VoiceError> {
        Manifest::parse(text, Path::new("test/manifest.toml"))
    }

    fn reason(text: &str) -> String {
        match parse(text) {
            Err(VoiceError::BadManifest { reason, .. }) => reason,
            other => panic!("expected bad_manifest, got {other:?}"),
        }
    }

    #[test]
    fn minimal_manifest_defaults_gaps_and_clip_files() {
        let m = parse(MINIMAL).unwrap();
        assert_eq!((m.gap_ms, m.repeat_gap_ms), (60, 600));
        assert_eq!(m.clip_file("d1"), "d1.wav");
        assert_eq!(m.cardinal.max(), 99);
        let tokens = m.required_tokens();
        assert!(
            tokens.contains("ten") && tokens.contains("letter_Z") && !tokens.contains("{ticket}")
        );
    }

    #[test]
    fn a_gap_in_the_tens_is_refused_naming_the_first_unreadable_number() {
        let text = MINIMAL.replace("4 = [\"d4\", \"ten\"]", "");
        assert!(
            reason(&text).contains("no reading for 40"),
            "{}",
            reason(&text)
        );
    }

    #[test]
    fn templates_need_both_placeholders_exactly_once() {
        let text = MINIMAL.replace(r#"["{ticket}", "{window}"]"#, r#"["{ticket}"]"#);
        assert!(reason(&text).contains("{window} once (found 0)"));
        let text = MINIMAL.replace(
            r#"["{ticket}", "{window}"]"#,
            r#"["{ticket}", "{window}", "{name}"]"#,
        );
        assert!(reason(&text).contains("unknown placeholder {name}"));
    }

    #[test]
    fn digits_must_be_ten_and_unknown_keys_are_refused() {
        let text = MINIMAL.replace(r#""d8", "d9"]"#, r#""d8"]"#);
        assert!(reason(&text).contains("10 tokens"));
        let text = MINIMAL.replace("sample_rate = 16000", "sample_rate = 16000\nsampel = 1");
        assert!(reason(&text).contains("sampel"));
    }

    #[test]
    fn named_windows_need_a_named_template() {
        let text = format!("{MINIMAL}\n[windows]\n\"VIP\" = [\"vip\"]\n");
        assert!(reason(&text).contains("templates.named"));
    }
}
