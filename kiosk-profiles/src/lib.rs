//! Banshi kiosk profiles: the typed schema of the TOML document that tells a hall terminal which
//! mode it runs in and which devices it drives, and a validator that reports **every** problem
//! with a line:column, because `banshi profile validate` and the fleet console must show an
//! author all mistakes at once and an invalid profile is never applied.
//!
//! # How validation works, and why this way
//!
//! [`parse_profile`] runs four passes over one parse of the text:
//!
//! 1. **Syntax** — `toml`'s span-keeping document parser ([`toml::de::DeTable`]). A syntax error
//!    is one issue (`profile.syntax`) at the parser's position; nothing else is checked, since
//!    the rest of the document is unknown.
//! 2. **Structure** — the document is walked against the JSON Schema that `schemars` derives
//!    from the Rust types in [`model`](crate::Profile). serde alone stops at the first error,
//!    and a hand-written second schema would drift from the types; deriving it keeps *one*
//!    source of truth (field names, required keys, defaults, `deny_unknown_fields`, enum
//!    spellings, the `kind` tag of printer transports, numeric ranges declared with
//!    `#[schemars(range(..))]`). Unknown keys (with "did you mean"), missing keys, wrong types,
//!    bad choices and out-of-range numbers are all collected. The walker only understands the
//!    schema subset schemars emits; anything else it treats as unconstrained (see `schema.rs`).
//! 3. **Semantics** — rules a JSON Schema cannot state (identifier character sets, languages,
//!    URLs and addresses, unique category codes, the per-mode requirements listed in `rules.rs`
//!    and in `profiles.md`). They run on each section deserialized separately from the document
//!    with structurally broken values removed, so one bad value does not hide other sections'
//!    problems.
//! 4. **Deserialization** — only when nothing was found, serde builds the [`Profile`]. Should it
//!    still fail (a gap between the walker and serde), that becomes a positioned
//!    `profile.invalid` issue: a profile serde rejects is never reported as valid, and a
//!    profile is never returned half-checked.
//!
//! Nothing here panics on any input: the tests feed thousands of mutated profiles through it.

mod error;
mod model;
mod rules;
mod schema;
mod source;
mod text;

use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

pub use error::{codes, LoadError, ProfileErrors, ProfileIssue};
pub use model::{
    Camera, ConfiguredDevice, CutMode, Devices, EscPosPrinter, EscPosTransport, FaceVerification,
    FleetSettings, IppPrinter, LocalizedText, Lockdown, Mode, Profile, QrScanner, QueueCategory,
    QueueSettings, SdkSettings, SecuritySettings, SerialDevice, SyncSettings, TerminalIdentity,
    UiSettings, Voice,
};

use source::{Finding, KeyPath, LineIndex};

/// The profile format version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// UI languages a profile may enable: Mandarin (simplified), English, Uyghur.
pub const SUPPORTED_LANGUAGES: [&str; 3] = ["zh-CN", "en", "ug"];

/// Parse and fully validate a profile.
///
/// On failure every issue found is returned, sorted by position.
///
/// ```
/// let errors = banshi_profile::parse_profile(
///     "schema_version = 1\nmode = \"kiosk\"\n[terminal]\nid = \"t1\"\n",
/// )
/// .unwrap_err();
/// let lines: Vec<String> = errors.0.iter().map(|i| format!("{}:{} {}", i.line, i.column, i.code)).collect();
/// assert_eq!(
///     lines,
///     [
///         "2:8 profile.bad_choice",     // mode = "kiosk"
///         "3:1 profile.missing_key",    // terminal.label
///         "3:1 profile.missing_key",    // terminal.outlet
///         "3:1 profile.missing_key",    // terminal.hall_id
///         "3:1 profile.missing_key",    // terminal.fault_hotline
///     ]
/// );
/// ```
pub fn parse_profile(source: &str) -> Result<Profile, ProfileErrors> {
    let index = LineIndex::new(source);
    let root = match DeTable::parse(source) {
        Ok(root) => root,
        Err(err) => {
            let message = err.message().trim().replace('\n', "; ");
            let finding = Finding {
                span: err.span().unwrap_or(0..0),
                path: KeyPath::root(),
                code: codes::SYNTAX,
                message: format!("invalid TOML: {message}"),
            };
            return Err(into_errors(&index, vec![finding]));
        }
    };

    let structure = schema::check_document(&root);
    let pruned_root = schema::pruned_copy(&root, &structure.pruned);
    let view = rules::View::from_pruned(pruned_root.get_ref());
    let mut findings = structure.findings;
    findings.extend(rules::check(&view, &root, &structure.pruned));
    if !findings.is_empty() {
        return Err(into_errors(&index, findings));
    }

    let span = root.span();
    let document = Spanned::new(span, DeValue::Table(root.into_inner()));
    Profile::deserialize(ValueDeserializer::from(document)).map_err(|err| {
        let finding = Finding {
            span: err.span().unwrap_or(0..0),
            path: KeyPath::root(),
            code: codes::INVALID,
            message: format!(
                "invalid profile: {}",
                err.message().trim().replace('\n', "; ")
            ),
        };
        into_errors(&index, vec![finding])
    })
}

/// Read and validate a profile file.
pub fn load_profile(path: &Path) -> Result<Profile, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_profile(&text).map_err(|errors| LoadError::Invalid {
        path: path.to_path_buf(),
        errors,
    })
}

/// The JSON Schema of the profile format (draft 2020-12), for editors and the admin console.
///
/// It is the schema the structural validation walks; rules in `profiles.md` that JSON Schema
/// cannot express are not in it.
pub fn json_schema() -> String {
    serde_json::to_string_pretty(schema::profile_schema()).unwrap_or_default()
}

fn into_errors(index: &LineIndex<'_>, findings: Vec<Finding>) -> ProfileErrors {
    let mut issues: Vec<ProfileIssue> = findings
        .into_iter()
        .map(|f| {
            let (line, column) = index.position(f.span.start);
            ProfileIssue {
                line,
                column,
                key_path: f.path.to_string(),
                code: f.code,
                message: f.message,
            }
        })
        .collect();
    issues.sort_by_key(|i| (i.line, i.column));
    issues.dedup();
    ProfileErrors(issues)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
schema_version = 1
mode = "field"

[terminal]
id = "hk-longhua-field-01"
label = "上门服务 1"
outlet = "海口市龙华区政务服务中心"
hall_id = "hk-longhua"
fault_hotline = "0898-66668888"
"#;

    fn issues(src: &str) -> Vec<ProfileIssue> {
        match parse_profile(src) {
            Ok(p) => panic!("expected errors, got {p:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn minimal_profile_gets_defaults() {
        let profile = match parse_profile(MINIMAL) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(profile.mode, Mode::Field);
        assert_eq!(profile.ui, UiSettings::default());
        assert_eq!(profile.queue.elderly_priority_age, 65);
        assert!(profile.sync.is_none());
        assert!(profile.devices.configured().is_empty());
    }

    #[test]
    fn syntax_error_is_one_positioned_issue() {
        let got = issues("schema_version = 1\nmode = \"field\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].code, codes::SYNTAX);
        assert_eq!(got[0].line, 2);
        assert!(got[0].message.starts_with("invalid TOML: "));
    }

    #[test]
    fn missing_top_level_keys_point_at_1_1() {
        let got = issues("");
        let summary: Vec<_> = got
            .iter()
            .map(|i| (i.line, i.column, i.code, i.key_path.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (1, 1, codes::MISSING_KEY, "schema_version"),
                (1, 1, codes::MISSING_KEY, "mode"),
                (1, 1, codes::MISSING_KEY, "terminal"),
            ]
        );
    }

    #[test]
    fn structural_and_semantic_issues_are_reported_together() {
        let src = MINIMAL
            .replace("mode = \"field\"", "mode = \"field\"\ncolour = 1")
            .replace("id = \"hk-longhua-field-01\"", "id = \"hk longhua\"")
            + "[ui]\nelder_mode = \"yes\"\ndefault_language = \"fr\"\n";
        let got = issues(&src);
        let codes: Vec<_> = got.iter().map(|i| i.code).collect();
        assert_eq!(
            codes,
            [
                codes::UNKNOWN_KEY,
                codes::BAD_IDENTIFIER,
                codes::WRONG_TYPE,
                codes::DEFAULT_LANGUAGE,
            ],
            "{got:#?}"
        );
    }

    #[test]
    fn json_schema_is_exported() {
        let schema = json_schema();
        assert!(schema.contains("\"EscPosTransport\""));
        assert!(schema.contains("\"idle_timeout_secs\""));
    }
}
