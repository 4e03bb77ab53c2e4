//! Validation results and load errors.
//!
//! A profile is authored by people and pushed to whole fleets, so validation never stops at the
//! first problem: [`ProfileErrors`] carries every [`ProfileIssue`] found, each with a 1-based
//! line:column, the dotted key path it concerns, a stable machine code the UI translates, and an
//! English message for logs and the CLI.

use std::fmt;
use std::path::PathBuf;

/// Stable issue codes. They never change meaning; new ones may be added.
pub mod codes {
    /// The document is not valid TOML.
    pub const SYNTAX: &str = "profile.syntax";
    /// A key the schema does not know (often a typo; the message suggests the closest key).
    pub const UNKNOWN_KEY: &str = "profile.unknown_key";
    /// A required key is absent.
    pub const MISSING_KEY: &str = "profile.missing_key";
    /// A value of the wrong TOML type (string where a number belongs, ...).
    pub const WRONG_TYPE: &str = "profile.wrong_type";
    /// A value outside a fixed set of choices (modes, cut modes, transport kinds, scanner kinds).
    pub const BAD_CHOICE: &str = "profile.bad_choice";
    /// A number outside its allowed range.
    pub const OUT_OF_RANGE: &str = "profile.out_of_range";
    /// `schema_version` is not the version this build understands.
    pub const SCHEMA_VERSION: &str = "profile.schema_version";
    /// `terminal.id` / `terminal.hall_id` outside `[A-Za-z0-9_-]{1,64}`.
    pub const BAD_IDENTIFIER: &str = "profile.bad_identifier";
    /// A text value that must not be empty is empty.
    pub const EMPTY_VALUE: &str = "profile.empty_value";
    /// A list that must not be empty is empty.
    pub const EMPTY_LIST: &str = "profile.empty_list";
    /// `terminal.fault_hotline` is not a phone number.
    pub const BAD_PHONE: &str = "profile.bad_phone";
    /// A language tag other than `zh-CN`, `en`, `ug`.
    pub const UNKNOWN_LANGUAGE: &str = "profile.unknown_language";
    /// A language listed twice in `ui.languages`.
    pub const DUPLICATE_LANGUAGE: &str = "profile.duplicate_language";
    /// `ui.default_language` is not one of `ui.languages`.
    pub const DEFAULT_LANGUAGE: &str = "profile.default_language";
    /// A queue category code that is not one uppercase letter A-Z.
    pub const CATEGORY_CODE: &str = "profile.category_code";
    /// Two queue categories with the same code.
    pub const DUPLICATE_CATEGORY: &str = "profile.duplicate_category";
    /// A window number listed twice for one category.
    pub const DUPLICATE_WINDOW: &str = "profile.duplicate_window";
    /// A localized text without its `zh-CN` entry.
    pub const MISSING_TRANSLATION: &str = "profile.missing_translation";
    /// A URL that does not parse or has the wrong scheme.
    pub const BAD_URL: &str = "profile.bad_url";
    /// An SDK origin that is not `scheme://host[:port]`.
    pub const BAD_ORIGIN: &str = "profile.bad_origin";
    /// A trusted admin key that is not an SM2 public key.
    pub const BAD_PUBLIC_KEY: &str = "profile.bad_public_key";
    /// An SDK origin listed twice.
    pub const DUPLICATE_ORIGIN: &str = "profile.duplicate_origin";
    /// A printer address that is not `host:port`.
    pub const BAD_ADDRESS: &str = "profile.bad_address";
    /// A paper width other than 58 or 80 mm.
    pub const PAPER_WIDTH: &str = "profile.paper_width";
    /// `lockdown.admin_pin_hash` is not a PIN verifier (`banshi lockdown pin-hash` makes one).
    pub const BAD_PIN_HASH: &str = "profile.bad_pin_hash";
    /// The profile lacks something its mode needs (see the crate docs for the rules).
    pub const MODE_REQUIREMENT: &str = "profile.mode_requirement";
    /// The deserializer rejected a profile the validator accepted. This is a validator bug; it
    /// exists so such a profile is still refused with a position instead of being applied.
    pub const INVALID: &str = "profile.invalid";
}

/// One problem in a profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProfileIssue {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in Unicode scalar values (a Chinese character is one column).
    pub column: usize,
    /// Dotted path of the key concerned, e.g. `devices.ticket_printer.transport.address`;
    /// array elements as `queue.categories[1]` (0-based). Empty for syntax errors.
    pub key_path: String,
    /// Stable code from [`codes`], for translation.
    pub code: &'static str,
    /// English description.
    pub message: String,
}

impl fmt::Display for ProfileIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Every issue found in a profile, sorted by position. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_issues(None, .0))]
pub struct ProfileErrors(pub Vec<ProfileIssue>);

impl ProfileErrors {
    /// The codes of all issues, in order (handy in tests and metrics).
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(|i| i.code).collect()
    }
}

/// Why [`crate::load_profile`] failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("{}: cannot read profile: {source}", .path.display())]
    Io {
        /// The profile path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid profile.
    #[error("{}", render_issues(Some(.path), &.errors.0))]
    Invalid {
        /// The profile path.
        path: PathBuf,
        /// Every issue found.
        errors: ProfileErrors,
    },
}

fn render_issues(path: Option<&PathBuf>, issues: &[ProfileIssue]) -> String {
    let mut out = String::new();
    for (i, issue) in issues.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(path) = path {
            out.push_str(&format!("{}:", path.display()));
        }
        out.push_str(&issue.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(line: usize, column: usize, message: &str) -> ProfileIssue {
        ProfileIssue {
            line,
            column,
            key_path: "mode".to_owned(),
            code: codes::BAD_CHOICE,
            message: message.to_owned(),
        }
    }

    #[test]
    fn errors_display_one_line_per_issue() {
        let errors = ProfileErrors(vec![issue(2, 8, "first"), issue(5, 1, "second")]);
        assert_eq!(errors.to_string(), "2:8: first\n5:1: second");
        assert_eq!(errors.codes(), [codes::BAD_CHOICE, codes::BAD_CHOICE]);
    }

    #[test]
    fn load_error_display_prefixes_path() {
        let err = LoadError::Invalid {
            path: PathBuf::from("/etc/banshi/profile.toml"),
            errors: ProfileErrors(vec![issue(2, 8, "first"), issue(5, 1, "second")]),
        };
        assert_eq!(
            err.to_string(),
            "/etc/banshi/profile.toml:2:8: first\n/etc/banshi/profile.toml:5:1: second"
        );
        let io = LoadError::Io {
            path: PathBuf::from("/nope.toml"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not found"),
        };
        assert_eq!(io.to_string(), "/nope.toml: cannot read profile: not found");
        assert!(std::error::Error::source(&io).is_some());
    }
}
