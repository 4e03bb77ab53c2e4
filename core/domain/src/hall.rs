//! The hall set-up (大厅配置): categories, windows, staff and ticket machines of one hall.
//!
//! An admin writes it as a TOML hall file (or edits it in admin mode) and imports it; it becomes one record in
//! the hall's scope, so every terminal of the hall receives it through sync and works from the same set-up
//! while offline. The terminal uses the newest one it knows ([`HallSetup::version`], then update time).
//! Terminals of a hall that has no set-up yet fall back to their profile's categories.

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::appointment::AppointmentSetup;
use crate::error::ErrorCode;

/// The record kind name of hall set-ups.
pub const HALL_SETUP_KIND: &str = "hall_setup";

/// One hall's set-up as stored and synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct HallSetup {
    pub hall_id: String,
    /// Raised by every import; the highest wins.
    #[serde(default)]
    pub version: u32,
    /// Unix milliseconds of the import (set by the importing terminal, not the file).
    #[serde(default)]
    pub updated_at_ms: i64,
    pub categories: Vec<HallCategory>,
    pub windows: Vec<HallWindow>,
    #[serde(default)]
    pub staff: Vec<StaffMember>,
    /// Terminal ids of the hall's ticket machines, in order: machine *k* numbers its tickets in its own
    /// residue class (see `queue`), so the order must not change during a day.
    #[serde(default)]
    pub ticket_machines: Vec<String>,
    /// Bookable items, slots and their rules (预约); absent = this hall takes no appointments.
    #[serde(default)]
    pub appointments: Option<AppointmentSetup>,
}

/// A business category: its ticket prefix and the windows that serve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct HallCategory {
    /// One uppercase ASCII letter.
    pub code: String,
    /// Name per language; `zh-CN` is required.
    pub name: BTreeMap<String, String>,
    pub windows: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct HallWindow {
    pub number: u32,
    pub label: String,
}

/// Someone who may sign in at a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    /// Windows this person may open; empty = any.
    #[serde(default)]
    pub windows: Vec<u32>,
}

/// Why a hall file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HallError {
    #[error("hall file, line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("hall file: {0}")]
    Invalid(String),
}

impl ErrorCode for HallError {
    fn code(&self) -> &'static str {
        "hall.invalid"
    }
}

impl HallSetup {
    /// Parse and check a hall file.
    pub fn from_toml(text: &str) -> Result<Self, HallError> {
        let setup: HallSetup = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_column(text, s.start))
                .unwrap_or((1, 1));
            HallError::Syntax {
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        setup.validate()?;
        Ok(setup)
    }

    /// The rules a set-up must keep for the queue to work.
    pub fn validate(&self) -> Result<(), HallError> {
        let invalid = |m: String| Err(HallError::Invalid(m));
        if self.hall_id.trim().is_empty() {
            return invalid("hall_id is empty".into());
        }
        if self.categories.is_empty() {
            return invalid("at least one category is needed".into());
        }
        let windows: BTreeSet<u32> = self.windows.iter().map(|w| w.number).collect();
        if windows.len() != self.windows.len() {
            return invalid("a window number appears twice".into());
        }
        let mut codes = BTreeSet::new();
        for c in &self.categories {
            let mut chars = c.code.chars();
            if !(chars.next().is_some_and(|ch| ch.is_ascii_uppercase()) && chars.next().is_none()) {
                return invalid(format!(
                    "category code {:?} must be one uppercase letter",
                    c.code
                ));
            }
            if !codes.insert(c.code.as_str()) {
                return invalid(format!("category {} appears twice", c.code));
            }
            if !c.name.contains_key("zh-CN") {
                return invalid(format!("category {} has no zh-CN name", c.code));
            }
            if let Some(w) = c.windows.iter().find(|w| !windows.contains(w)) {
                return invalid(format!(
                    "category {} names window {w}, which is not listed",
                    c.code
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for s in &self.staff {
            if s.id.trim().is_empty() || !ids.insert(s.id.as_str()) {
                return invalid(format!("staff id {:?} is empty or appears twice", s.id));
            }
            if let Some(w) = s.windows.iter().find(|w| !windows.contains(w)) {
                return invalid(format!(
                    "staff {} names window {w}, which is not listed",
                    s.id
                ));
            }
        }
        let machines: BTreeSet<&str> = self.ticket_machines.iter().map(String::as_str).collect();
        if machines.len() != self.ticket_machines.len() {
            return invalid("a ticket machine appears twice".into());
        }
        if let Some(appointments) = &self.appointments {
            appointments
                .validate()
                .map_err(|e| HallError::Invalid(e.to_string()))?;
            if let Some(item) = appointments
                .items
                .iter()
                .find(|i| !codes.contains(i.category.as_str()))
            {
                return invalid(format!(
                    "appointment item {} names category {}, which is not listed",
                    item.code, item.category
                ));
            }
        }
        Ok(())
    }

    /// The categories `window` serves.
    pub fn categories_of(&self, window: u32) -> Vec<String> {
        self.categories
            .iter()
            .filter(|c| c.windows.contains(&window))
            .map(|c| c.code.clone())
            .collect()
    }

    /// Staff who may sign in at `window`.
    pub fn staff_for(&self, window: u32) -> impl Iterator<Item = &StaffMember> {
        self.staff
            .iter()
            .filter(move |s| s.windows.is_empty() || s.windows.contains(&window))
    }

    /// The set-up that wins between two: higher version, then later import.
    pub fn newer_than(&self, other: &HallSetup) -> bool {
        (self.version, self.updated_at_ms) > (other.version, other.updated_at_ms)
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
hall_id = "hk-longhua"
ticket_machines = ["qm-01", "qm-02"]

[[categories]]
code = "A"
name = { zh-CN = "个人业务", en = "Personal services" }
windows = [1, 2]

[[categories]]
code = "B"
name = { zh-CN = "法人业务" }
windows = [2, 3]

[[windows]]
number = 1
label = "1号窗口"
[[windows]]
number = 2
label = "2号窗口"
[[windows]]
number = 3
label = "3号窗口"

[[staff]]
id = "s001"
name = "王芳"
windows = [1, 2]
"#;

    #[test]
    fn a_hall_file_parses_and_answers_who_serves_what() {
        let h = HallSetup::from_toml(EXAMPLE).unwrap();
        assert_eq!(h.categories_of(2), vec!["A", "B"]);
        assert_eq!(h.categories_of(3), vec!["B"]);
        assert_eq!(h.staff_for(1).count(), 1);
        assert_eq!(h.staff_for(3).count(), 0);
    }

    #[test]
    fn a_syntax_error_names_line_and_column() {
        let err = HallSetup::from_toml("hall_id = \"x\"\ncategories = [\n").unwrap_err();
        match err {
            HallError::Syntax { line, .. } => assert!(line >= 2),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_category_naming_an_unknown_window_is_refused() {
        let text = EXAMPLE.replace("windows = [2, 3]", "windows = [2, 9]");
        let err = HallSetup::from_toml(&text).unwrap_err();
        assert!(err.to_string().contains("window 9"), "{err}");
        assert_eq!(err.code(), "hall.invalid");
    }

    #[test]
    fn a_lowercase_or_duplicate_category_is_refused() {
        assert!(HallSetup::from_toml(&EXAMPLE.replace("code = \"B\"", "code = \"a\"")).is_err());
        assert!(HallSetup::from_toml(&EXAMPLE.replace("code = \"B\"", "code = \"A\"")).is_err());
    }

    #[test]
    fn the_example_hall_file_is_valid() {
        let h = HallSetup::from_toml(include_str!(
            "../../../kiosk-profiles/halls/hk-longhua.toml"
        ))
        .expect("kiosk-profiles/halls/hk-longhua.toml");
        assert_eq!(h.categories_of(5), vec!["A", "B", "C"]);
        assert_eq!(h.appointments.map(|a| a.items.len()), Some(2));
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\n中文x", 9), (2, 3));
    }
}
