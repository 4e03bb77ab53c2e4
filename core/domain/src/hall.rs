//! The hall set-up (大厅配置): categories, windows, staff and ticket machines of one hall.
//!
//! An admin writes it as a TOML hall file (or edits it in admin mode) and imports it; it becomes one record in
//! the hall's scope, so every terminal of the hall receives it through sync and works from the same set-up
//! while offline. The terminal uses the newest one it knows ([`HallSetup::version`], then update time).
//! Terminals of a hall that has no set-up yet fall back to their profile's categories.
//!
//! It also carries the hall's 好差评 rules for its terminals ([`HallRatingRules`]: the quality flags' periods,
//! working hours, comment lengths), so every channel of the hall rates by the same rules.

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::appointment::AppointmentSetup;
use crate::error::ErrorCode;
use crate::rating::RatingRules;

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
    /// 好差评 rules for the hall's terminals; absent = the defaults ([`RatingRules::default`]).
    #[serde(default)]
    pub rating: Option<HallRatingRules>,
}

/// The `[rating]` table of a hall file: what the hall's terminals check and flag when someone rates (brief
/// §3.4). Absent keys keep [`RatingRules::default`]. The default grade and after how many days it is given are
/// the central server's settings (`BANSHI_RATING_DEFAULT_GRADE`, `BANSHI_RATING_DEFAULT_AFTER_DAYS`): the server
/// gives it, for every hall alike.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(default, deny_unknown_fields)]
pub struct HallRatingRules {
    /// Two ratings from the same source less than this many seconds apart are flagged.
    pub rapid_repeat_secs: Option<u32>,
    /// Working hours in hall time, `HH:MM`, Monday to Friday; a rating outside them is flagged.
    pub work_start: Option<String>,
    pub work_end: Option<String>,
    /// This many dissatisfied ratings by one person within `repeated_bad_days` are flagged.
    pub repeated_bad_count: Option<u32>,
    pub repeated_bad_days: Option<u32>,
    /// Comments of at least this many characters need review before publication.
    pub review_comment_chars: Option<u32>,
    /// The longest comment taken.
    pub max_comment_chars: Option<u32>,
}

impl HallRatingRules {
    /// The rules with these settings over the defaults; the hall file's checks make every value usable.
    pub fn rules(&self) -> RatingRules {
        let d = RatingRules::default();
        RatingRules {
            rapid_repeat_secs: self.rapid_repeat_secs.unwrap_or(d.rapid_repeat_secs),
            work_start_min: self
                .work_start
                .as_deref()
                .and_then(minutes_of)
                .unwrap_or(d.work_start_min),
            work_end_min: self
                .work_end
                .as_deref()
                .and_then(minutes_of)
                .unwrap_or(d.work_end_min),
            repeated_bad_count: self.repeated_bad_count.unwrap_or(d.repeated_bad_count),
            repeated_bad_days: self.repeated_bad_days.unwrap_or(d.repeated_bad_days),
            review_comment_chars: self.review_comment_chars.unwrap_or(d.review_comment_chars),
            max_comment_chars: self.max_comment_chars.unwrap_or(d.max_comment_chars),
            ..d
        }
    }

    fn validate(&self) -> Result<(), String> {
        for (key, value) in [
            ("work_start", &self.work_start),
            ("work_end", &self.work_end),
        ] {
            if let Some(v) = value {
                if minutes_of(v).is_none() {
                    return Err(format!("rating.{key} = {v:?} is not a time of day (HH:MM)"));
                }
            }
        }
        let rules = self.rules();
        if rules.work_start_min >= rules.work_end_min {
            return Err("rating.work_start must be before rating.work_end".into());
        }
        if rules.max_comment_chars == 0 || rules.max_comment_chars > 2000 {
            return Err("rating.max_comment_chars must be 1 to 2000".into());
        }
        if rules.repeated_bad_count == 0 || rules.repeated_bad_days == 0 {
            return Err(
                "rating.repeated_bad_count and rating.repeated_bad_days must be at least 1".into(),
            );
        }
        Ok(())
    }
}

/// Minutes after midnight of `HH:MM` (00:00 to 24:00).
fn minutes_of(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
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
        if let Some(rating) = &self.rating {
            rating.validate().map_err(HallError::Invalid)?;
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

    /// The 好差评 rules the hall's terminals apply.
    pub fn rating_rules(&self) -> RatingRules {
        self.rating
            .as_ref()
            .map(HallRatingRules::rules)
            .unwrap_or_default()
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
    fn the_rating_table_sets_the_terminals_rules_over_the_defaults() {
        assert_eq!(
            HallSetup::from_toml(EXAMPLE).unwrap().rating_rules(),
            RatingRules::default()
        );
        let text = format!(
            "{EXAMPLE}\n[rating]\nwork_start = \"08:30\"\nwork_end = \"18:00\"\nmax_comment_chars = 200\nrapid_repeat_secs = 300\n"
        );
        let rules = HallSetup::from_toml(&text).unwrap().rating_rules();
        assert_eq!(
            (rules.work_start_min, rules.work_end_min),
            (8 * 60 + 30, 18 * 60)
        );
        assert_eq!(rules.max_comment_chars, 200);
        assert_eq!(rules.rapid_repeat_secs, 300);
        assert_eq!(
            rules.repeated_bad_count,
            RatingRules::default().repeated_bad_count
        );
        assert_eq!(rules.default_grade, RatingRules::default().default_grade);
    }

    #[test]
    fn a_rating_table_with_unusable_values_is_refused_by_name() {
        for (table, named) in [
            ("work_start = \"8:30\"", "rating.work_start"),
            ("work_end = \"24:30\"", "rating.work_end"),
            (
                "work_start = \"18:00\"\nwork_end = \"09:00\"",
                "before rating.work_end",
            ),
            ("max_comment_chars = 0", "rating.max_comment_chars"),
            ("repeated_bad_days = 0", "rating.repeated_bad"),
        ] {
            let err = HallSetup::from_toml(&format!("{EXAMPLE}\n[rating]\n{table}\n")).unwrap_err();
            assert!(err.to_string().contains(named), "{table}: {err}");
        }
        // The default grade is the server's setting, not the hall file's.
        let err =
            HallSetup::from_toml(&format!("{EXAMPLE}\n[rating]\ndefault_grade = \"basic\"\n"))
                .unwrap_err();
        assert!(matches!(err, HallError::Syntax { .. }), "{err}");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\n中文x", 9), (2, 3));
    }
}
