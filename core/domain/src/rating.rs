//! 好差评: ratings of a case and the rules the provincial evaluation system imposes (brief §3.4).
//!
//! - Five grades, nothing preselected: a [`RatingInput`] carries `Option<Grade>` and [`check_input`] refuses
//!   `None`; screens start with no grade chosen.
//! - For 不满意 and 非常不满意 at least one reason label is mandatory; the labels offered depend on the grade
//!   ([`reason_labels`]).
//! - One rating per case, never changed: a rating is its own record, written once and never updated;
//!   [`check_not_rated`] refuses a second one on the terminal that knows the first. Two offline terminals can
//!   still each rate a case before they sync; then [`effective_rating`] keeps the earliest everywhere and the
//!   server reports the later one as a duplicate.
//! - Anonymous ratings carry no rater; windows and staff see only aggregates (nothing here names a rater except
//!   the SM3 person key of a real-name rating, which only the upstream report uses).
//! - Quality flags ([`quality_flags`]) and the default grade for cases nobody rated ([`defaults_due`]).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::application::Application;
use crate::error::ErrorCode;

/// The record kind of ratings.
pub const RATING_KIND: &str = "rating";
pub const RATING_SCHEMA_VERSION: u32 = 1;

const DAY_MS: i64 = 86_400_000;
/// Hall time is UTC+8.
const HALL_OFFSET_MS: i64 = 8 * 3_600_000;

/// The five grades, best first (一级 … 五级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 非常满意
    VerySatisfied,
    /// 满意
    Satisfied,
    /// 基本满意
    Basic,
    /// 不满意
    Dissatisfied,
    /// 非常不满意
    VeryDissatisfied,
}

impl Grade {
    /// Every grade, best first.
    pub const ALL: [Grade; 5] = [
        Grade::VerySatisfied,
        Grade::Satisfied,
        Grade::Basic,
        Grade::Dissatisfied,
        Grade::VeryDissatisfied,
    ];

    /// The grade's stable name (also its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::VerySatisfied => "very_satisfied",
            Grade::Satisfied => "satisfied",
            Grade::Basic => "basic",
            Grade::Dissatisfied => "dissatisfied",
            Grade::VeryDissatisfied => "very_dissatisfied",
        }
    }

    /// 1 (非常满意) … 5 (非常不满意), as the evaluation system numbers them.
    pub fn level(self) -> u8 {
        match self {
            Grade::VerySatisfied => 1,
            Grade::Satisfied => 2,
            Grade::Basic => 3,
            Grade::Dissatisfied => 4,
            Grade::VeryDissatisfied => 5,
        }
    }

    /// The grade of level 1 … 5 (an evaluator's key), or `None` for any other number.
    pub fn from_level(level: u8) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.level() == level)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Grade::VerySatisfied => "非常满意",
            Grade::Satisfied => "满意",
            Grade::Basic => "基本满意",
            Grade::Dissatisfied => "不满意",
            Grade::VeryDissatisfied => "非常不满意",
        }
    }

    /// The two grades that need a reason.
    pub fn is_dissatisfied(self) -> bool {
        matches!(self, Grade::Dissatisfied | Grade::VeryDissatisfied)
    }
}

/// A reason label (具体意见标签) offered for a grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReasonLabel {
    pub code: &'static str,
    pub zh: &'static str,
}

const GOOD_REASONS: &[ReasonLabel] = &[
    ReasonLabel {
        code: "attitude_good",
        zh: "服务态度好",
    },
    ReasonLabel {
        code: "fast",
        zh: "办事效率高",
    },
    ReasonLabel {
        code: "one_visit",
        zh: "一次办成",
    },
    ReasonLabel {
        code: "clear_guidance",
        zh: "指引清晰易懂",
    },
    ReasonLabel {
        code: "professional",
        zh: "业务熟练专业",
    },
];

const BAD_REASONS: &[ReasonLabel] = &[
    ReasonLabel {
        code: "attitude_bad",
        zh: "服务态度差",
    },
    ReasonLabel {
        code: "long_wait",
        zh: "等候时间长",
    },
    ReasonLabel {
        code: "many_visits",
        zh: "多次跑腿",
    },
    ReasonLabel {
        code: "unclear_materials",
        zh: "材料要求不清楚",
    },
    ReasonLabel {
        code: "slow",
        zh: "办理时间超出承诺",
    },
    ReasonLabel {
        code: "system_fault",
        zh: "系统或设备故障",
    },
];

/// The labels to offer once `grade` is chosen (none before).
pub fn reason_labels(grade: Grade) -> &'static [ReasonLabel] {
    if grade.is_dissatisfied() {
        BAD_REASONS
    } else {
        GOOD_REASONS
    }
}

/// Where the rating came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum RatingChannel {
    /// The window's keypad evaluator.
    Evaluator,
    /// The window's customer-facing screen.
    CustomerScreen,
    /// The kiosk flow's last step.
    Kiosk,
    /// The dynamic QR printed on a receipt.
    ReceiptQr,
    /// The static window QR (with a typed case number).
    WindowQr,
    Sms,
    /// Nobody rated within the configured days: the default grade.
    Default,
}

impl RatingChannel {
    /// The channel's stable name (also its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            RatingChannel::Evaluator => "evaluator",
            RatingChannel::CustomerScreen => "customer_screen",
            RatingChannel::Kiosk => "kiosk",
            RatingChannel::ReceiptQr => "receipt_qr",
            RatingChannel::WindowQr => "window_qr",
            RatingChannel::Sms => "sms",
            RatingChannel::Default => "default",
        }
    }
}

/// Why a rating needs a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum QualityFlag {
    /// Another rating from the same source less than the configured time before (3 minutes).
    RapidRepeat,
    /// Given outside the hall's working hours.
    OutsideHours,
    /// The same person gave several dissatisfied ratings within the configured period.
    RepeatedBad,
    /// The comment is long enough to need review before publication (15 characters or more).
    NeedsReview,
    /// Set by [`defaults_due`], not by a person.
    Defaulted,
}

/// A rating as stored and synced. Written once, never updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Rating {
    /// The case's number when rated (provisional or official).
    pub case_number: String,
    /// Record id of the case: numbers change once (provisional → official), the id never does.
    pub case_id: String,
    pub item_code: String,
    pub hall_id: String,
    pub window: Option<u32>,
    pub staff_id: Option<String>,
    pub grade: Grade,
    pub reasons: Vec<String>,
    pub comment: String,
    pub anonymous: bool,
    /// SM3 person key of a real-name rater; `None` when anonymous.
    pub rater_key: Option<String>,
    pub channel: RatingChannel,
    /// Terminal that took the rating (or `server` for a default grade).
    pub terminal_id: String,
    pub submitted_at_ms: i64,
    pub flags: Vec<QualityFlag>,
}

impl Rating {
    /// The source the rapid-repeat rule compares: the rater when known, else the terminal and channel.
    fn source(&self) -> String {
        match &self.rater_key {
            Some(key) => format!("person:{key}"),
            None => format!("terminal:{}:{:?}", self.terminal_id, self.channel),
        }
    }
}

/// What a resident chose on a rating screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingInput {
    /// `None` until the resident picks one: there is no default.
    pub grade: Option<Grade>,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub anonymous: bool,
}

/// Configurable rules (the tenders disagree on the default grade; both it and the days are settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatingRules {
    pub default_grade: Grade,
    pub default_after_days: u32,
    pub rapid_repeat_secs: u32,
    /// Working hours in hall time, minutes after midnight, Monday to Friday.
    pub work_start_min: u32,
    pub work_end_min: u32,
    pub repeated_bad_count: u32,
    pub repeated_bad_days: u32,
    /// Comments of at least this many characters need review before publication.
    pub review_comment_chars: u32,
    pub max_comment_chars: u32,
}

impl Default for RatingRules {
    fn default() -> Self {
        Self {
            default_grade: Grade::Satisfied,
            default_after_days: 15,
            rapid_repeat_secs: 180,
            work_start_min: 9 * 60,
            work_end_min: 17 * 60 + 30,
            repeated_bad_count: 3,
            repeated_bad_days: 30,
            review_comment_chars: 15,
            max_comment_chars: 500,
        }
    }
}

/// Why a rating is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("choose a grade first")]
    NoGrade,
    #[error("for 不满意 and 非常不满意, choose at least one reason")]
    ReasonRequired,
    #[error("{0} is not a reason offered for this grade")]
    UnknownReason(String),
    #[error("the comment is longer than {0} characters")]
    CommentTooLong(u32),
    #[error("case {0} has already been rated; a rating cannot be given twice or changed")]
    AlreadyRated(String),
}

impl ErrorCode for RatingError {
    fn code(&self) -> &'static str {
        match self {
            RatingError::NoGrade => "rating.no_grade",
            RatingError::ReasonRequired => "rating.reason_required",
            RatingError::UnknownReason(_) => "rating.unknown_reason",
            RatingError::CommentTooLong(_) => "rating.comment_too_long",
            RatingError::AlreadyRated(_) => "rating.already_rated",
        }
    }
}

/// Checks a resident's choice; returns the grade.
pub fn check_input(input: &RatingInput, rules: &RatingRules) -> Result<Grade, RatingError> {
    let grade = input.grade.ok_or(RatingError::NoGrade)?;
    let offered = reason_labels(grade);
    if let Some(bad) = input
        .reasons
        .iter()
        .find(|r| !offered.iter().any(|l| l.code == r.as_str()))
    {
        return Err(RatingError::UnknownReason(bad.clone()));
    }
    if grade.is_dissatisfied() && input.reasons.is_empty() {
        return Err(RatingError::ReasonRequired);
    }
    if input.comment.chars().count() > rules.max_comment_chars as usize {
        return Err(RatingError::CommentTooLong(rules.max_comment_chars));
    }
    Ok(grade)
}

/// Refuses a second rating of the case `case_id`.
pub fn check_not_rated<'a>(
    case_id: &str,
    case_number: &str,
    existing: impl IntoIterator<Item = &'a Rating>,
) -> Result<(), RatingError> {
    if existing.into_iter().any(|r| r.case_id == case_id) {
        return Err(RatingError::AlreadyRated(case_number.to_string()));
    }
    Ok(())
}

/// The rating that counts for a case when offline terminals each took one: the earliest (then the lowest
/// terminal id). The others are duplicates.
pub fn effective_rating<'a>(ratings: impl IntoIterator<Item = &'a Rating>) -> Option<&'a Rating> {
    ratings.into_iter().min_by(|a, b| {
        (a.submitted_at_ms, &a.terminal_id).cmp(&(b.submitted_at_ms, &b.terminal_id))
    })
}

/// The quality flags of `rating` given the `earlier` ratings the terminal or server knows.
pub fn quality_flags(
    rating: &Rating,
    earlier: &[&Rating],
    rules: &RatingRules,
) -> Vec<QualityFlag> {
    let mut flags = Vec::new();
    let window_ms = i64::from(rules.rapid_repeat_secs) * 1000;
    let source = rating.source();
    if earlier.iter().any(|e| {
        e.source() == source
            && e.submitted_at_ms <= rating.submitted_at_ms
            && rating.submitted_at_ms - e.submitted_at_ms < window_ms
    }) {
        flags.push(QualityFlag::RapidRepeat);
    }
    if !within_working_hours(rating.submitted_at_ms, rules) {
        flags.push(QualityFlag::OutsideHours);
    }
    if rating.grade.is_dissatisfied() {
        if let Some(key) = &rating.rater_key {
            let since = rating.submitted_at_ms - i64::from(rules.repeated_bad_days) * DAY_MS;
            let earlier_bad = earlier
                .iter()
                .filter(|e| e.rater_key.as_ref() == Some(key))
                .filter(|e| e.grade.is_dissatisfied() && e.submitted_at_ms >= since)
                .count();
            if earlier_bad + 1 >= rules.repeated_bad_count as usize {
                flags.push(QualityFlag::RepeatedBad);
            }
        }
    }
    if rating.comment.chars().count() >= rules.review_comment_chars as usize {
        flags.push(QualityFlag::NeedsReview);
    }
    flags
}

/// Monday to Friday, between the configured minutes, in hall time.
pub fn within_working_hours(at_ms: i64, rules: &RatingRules) -> bool {
    let local = at_ms + HALL_OFFSET_MS;
    let days = local.div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday: day 0 → weekday index 3 (Monday = 0).
    let weekday = (days + 3).rem_euclid(7);
    let minute = (local.rem_euclid(DAY_MS) / 60_000) as u32;
    weekday < 5 && minute >= rules.work_start_min && minute < rules.work_end_min
}

/// A finished case that may receive a default grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedCase {
    pub case_id: String,
    pub case_number: String,
    pub item_code: String,
    pub hall_id: String,
    pub window: Option<u32>,
    pub staff_id: Option<String>,
    pub finished_at_ms: i64,
}

impl FinishedCase {
    /// The case of record `case_id`, if it is finished ([`Application::finished_at_ms`]). The window is not
    /// known from the case alone (it records terminals, not window numbers), so a default grade has none.
    pub fn of(case_id: &str, case: &Application) -> Option<Self> {
        Some(Self {
            case_id: case_id.to_string(),
            case_number: case.number().to_string(),
            item_code: case.item_code.clone(),
            hall_id: case.hall_id.clone(),
            window: None,
            staff_id: case.serving_staff().map(str::to_string),
            finished_at_ms: case.finished_at_ms()?,
        })
    }
}

/// Default ratings for finished cases nobody rated within `default_after_days`.
pub fn defaults_due(
    cases: &[FinishedCase],
    ratings: &[Rating],
    now_ms: i64,
    rules: &RatingRules,
) -> Vec<Rating> {
    let after_ms = i64::from(rules.default_after_days) * DAY_MS;
    cases
        .iter()
        .filter(|c| now_ms - c.finished_at_ms >= after_ms)
        .filter(|c| !ratings.iter().any(|r| r.case_id == c.case_id))
        .map(|c| Rating {
            case_number: c.case_number.clone(),
            case_id: c.case_id.clone(),
            item_code: c.item_code.clone(),
            hall_id: c.hall_id.clone(),
            window: c.window,
            staff_id: c.staff_id.clone(),
            grade: rules.default_grade,
            reasons: Vec::new(),
            comment: String::new(),
            anonymous: true,
            rater_key: None,
            channel: RatingChannel::Default,
            terminal_id: "server".into(),
            submitted_at_ms: c.finished_at_ms + after_ms,
            flags: vec![QualityFlag::Defaulted],
        })
        .collect()
}

/// One line of the upstream report to the provincial 好差评 system (`docs/integration-api.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamRating {
    /// 办件流水号: the official number when the case has one.
    pub serial: String,
    pub item_code: String,
    pub hall_id: String,
    pub window: Option<u32>,
    pub staff_id: Option<String>,
    /// 1 (非常满意) … 5 (非常不满意).
    pub grade_level: u8,
    pub grade_name: String,
    pub reasons: Vec<String>,
    pub comment: String,
    pub anonymous: bool,
    /// SM3 person key, only for real-name ratings.
    pub rater_key: Option<String>,
    pub channel: RatingChannel,
    /// Unix milliseconds.
    pub rated_at_ms: i64,
    pub flags: Vec<QualityFlag>,
    /// A later rating of a case that already had one (taken offline): reported, never counted.
    pub duplicate: bool,
}

impl UpstreamRating {
    pub fn new(rating: &Rating, serial: &str, duplicate: bool) -> Self {
        Self {
            serial: serial.to_string(),
            item_code: rating.item_code.clone(),
            hall_id: rating.hall_id.clone(),
            window: rating.window,
            staff_id: rating.staff_id.clone(),
            grade_level: rating.grade.level(),
            grade_name: rating.grade.name_zh().to_string(),
            reasons: rating.reasons.clone(),
            comment: rating.comment.clone(),
            anonymous: rating.anonymous,
            rater_key: if rating.anonymous {
                None
            } else {
                rating.rater_key.clone()
            },
            channel: rating.channel,
            rated_at_ms: rating.submitted_at_ms,
            flags: rating.flags.clone(),
            duplicate,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // 2026-11-24 (a Tuesday) 10:00 hall time.
    const TUESDAY_10: i64 = 1_795_485_600_000;

    /// An anonymous evaluator rating of case `case` at window 5 (staff `s5`), for tests here and in `kpi`.
    pub(crate) fn rating(case: &str, at_ms: i64, grade: Grade) -> Rating {
        Rating {
            case_number: format!("N-{case}"),
            case_id: case.into(),
            item_code: "X".into(),
            hall_id: "hk-longhua".into(),
            window: Some(5),
            staff_id: Some("s5".into()),
            grade,
            reasons: Vec::new(),
            comment: String::new(),
            anonymous: true,
            rater_key: None,
            channel: RatingChannel::Evaluator,
            terminal_id: "window-05".into(),
            submitted_at_ms: at_ms,
            flags: Vec::new(),
        }
    }

    #[test]
    fn the_test_clock_is_a_tuesday_morning() {
        assert!(within_working_hours(TUESDAY_10, &RatingRules::default()));
    }

    #[test]
    fn nothing_is_preselected_a_rating_without_a_grade_is_refused() {
        let input = RatingInput::default();
        assert_eq!(input.grade, None);
        assert_eq!(
            check_input(&input, &RatingRules::default()),
            Err(RatingError::NoGrade)
        );
    }

    #[test]
    fn the_two_dissatisfied_grades_need_a_reason_the_others_do_not() {
        let rules = RatingRules::default();
        for grade in [Grade::Dissatisfied, Grade::VeryDissatisfied] {
            let mut input = RatingInput {
                grade: Some(grade),
                ..Default::default()
            };
            assert_eq!(
                check_input(&input, &rules),
                Err(RatingError::ReasonRequired)
            );
            input.comment = "只有意见没有标签".into();
            assert_eq!(
                check_input(&input, &rules),
                Err(RatingError::ReasonRequired)
            );
            input.reasons = vec!["long_wait".into()];
            assert_eq!(check_input(&input, &rules), Ok(grade));
        }
        for grade in [Grade::VerySatisfied, Grade::Satisfied, Grade::Basic] {
            let input = RatingInput {
                grade: Some(grade),
                ..Default::default()
            };
            assert_eq!(check_input(&input, &rules), Ok(grade));
        }
    }

    #[test]
    fn reasons_must_belong_to_the_chosen_grade() {
        let input = RatingInput {
            grade: Some(Grade::VeryDissatisfied),
            reasons: vec!["attitude_good".into()],
            ..Default::default()
        };
        assert_eq!(
            check_input(&input, &RatingRules::default()),
            Err(RatingError::UnknownReason("attitude_good".into()))
        );
    }

    #[test]
    fn an_overlong_comment_is_refused() {
        let input = RatingInput {
            grade: Some(Grade::Satisfied),
            comment: "好".repeat(501),
            ..Default::default()
        };
        assert_eq!(
            check_input(&input, &RatingRules::default())
                .unwrap_err()
                .code(),
            "rating.comment_too_long"
        );
    }

    #[test]
    fn a_second_rating_of_a_case_is_refused_with_the_case_number() {
        let first = rating("case-1", TUESDAY_10, Grade::Satisfied);
        let err = check_not_rated("case-1", "N-case-1", [&first]).unwrap_err();
        assert_eq!(err.code(), "rating.already_rated");
        assert!(err.to_string().contains("N-case-1"));
        check_not_rated("case-2", "N-case-2", [&first]).unwrap();
    }

    #[test]
    fn two_offline_ratings_of_one_case_resolve_to_the_earliest_everywhere() {
        let a = rating("c", TUESDAY_10 + 5_000, Grade::VeryDissatisfied);
        let mut b = rating("c", TUESDAY_10, Grade::VerySatisfied);
        b.terminal_id = "kiosk-01".into();
        assert_eq!(effective_rating([&a, &b]), Some(&b));
        assert_eq!(effective_rating([&b, &a]), Some(&b));
    }

    #[test]
    fn two_ratings_from_one_source_within_three_minutes_are_flagged() {
        let rules = RatingRules::default();
        let first = rating("a", TUESDAY_10, Grade::VerySatisfied);
        let soon = rating("b", TUESDAY_10 + 179_000, Grade::VerySatisfied);
        let later = rating("c", TUESDAY_10 + 181_000, Grade::VerySatisfied);
        assert!(quality_flags(&soon, &[&first], &rules).contains(&QualityFlag::RapidRepeat));
        assert!(!quality_flags(&later, &[&first], &rules).contains(&QualityFlag::RapidRepeat));
        let mut elsewhere = soon.clone();
        elsewhere.terminal_id = "window-06".into();
        assert!(quality_flags(&elsewhere, &[&first], &rules).is_empty());
    }

    #[test]
    fn ratings_outside_working_hours_are_flagged() {
        let rules = RatingRules::default();
        let evening = rating("a", TUESDAY_10 + 10 * 3_600_000, Grade::Satisfied);
        assert_eq!(
            quality_flags(&evening, &[], &rules),
            [QualityFlag::OutsideHours]
        );
        let saturday = rating("b", TUESDAY_10 + 4 * DAY_MS, Grade::Satisfied);
        assert_eq!(
            quality_flags(&saturday, &[], &rules),
            [QualityFlag::OutsideHours]
        );
        let early = rating("c", TUESDAY_10 - 2 * 3_600_000, Grade::Satisfied);
        assert_eq!(
            quality_flags(&early, &[], &rules),
            [QualityFlag::OutsideHours]
        );
    }

    #[test]
    fn repeated_bad_ratings_from_one_person_are_flagged() {
        let rules = RatingRules::default();
        let bad = |case: &str, day: i64| {
            let mut r = rating(case, TUESDAY_10 + day * 7 * DAY_MS, Grade::VeryDissatisfied);
            r.anonymous = false;
            r.rater_key = Some("p1".into());
            r.reasons = vec!["attitude_bad".into()];
            r
        };
        let (one, two, three) = (bad("a", 0), bad("b", 1), bad("c", 2));
        assert!(!quality_flags(&two, &[&one], &rules).contains(&QualityFlag::RepeatedBad));
        assert!(quality_flags(&three, &[&one, &two], &rules).contains(&QualityFlag::RepeatedBad));
        // Outside the 30-day period the old ones no longer count.
        let much_later = bad("d", 9);
        assert!(
            !quality_flags(&much_later, &[&one, &two], &rules).contains(&QualityFlag::RepeatedBad)
        );
    }

    #[test]
    fn a_comment_of_fifteen_characters_or_more_needs_review() {
        let rules = RatingRules::default();
        let mut r = rating("a", TUESDAY_10, Grade::Satisfied);
        r.comment = "窗口工作人员很耐心".into();
        assert!(quality_flags(&r, &[], &rules).is_empty());
        r.comment = "窗口工作人员很耐心，讲解清楚，一次就办好了".into();
        assert_eq!(quality_flags(&r, &[], &rules), [QualityFlag::NeedsReview]);
    }

    #[test]
    fn unrated_finished_cases_get_the_configured_default_grade_after_the_configured_days() {
        let case = FinishedCase {
            case_id: "c1".into(),
            case_number: "2026X000001".into(),
            item_code: "X".into(),
            hall_id: "hk-longhua".into(),
            window: Some(3),
            staff_id: Some("s3".into()),
            finished_at_ms: TUESDAY_10,
        };
        let rated = FinishedCase {
            case_id: "c2".into(),
            ..case.clone()
        };
        let ratings = [rating("c2", TUESDAY_10, Grade::Basic)];
        let rules = RatingRules {
            default_grade: Grade::Basic,
            default_after_days: 10,
            ..Default::default()
        };
        let cases = [case, rated];
        assert!(defaults_due(&cases, &ratings, TUESDAY_10 + 9 * DAY_MS, &rules).is_empty());
        let due = defaults_due(&cases, &ratings, TUESDAY_10 + 10 * DAY_MS, &rules);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].case_id, "c1");
        assert_eq!(due[0].grade, Grade::Basic);
        assert_eq!(due[0].channel, RatingChannel::Default);
        assert_eq!(due[0].flags, [QualityFlag::Defaulted]);
        assert!(due[0].anonymous);
        // 满意 is the other tenders' default.
        let satisfied = defaults_due(
            &cases,
            &ratings,
            TUESDAY_10 + 15 * DAY_MS,
            &RatingRules::default(),
        );
        assert_eq!(satisfied[0].grade, Grade::Satisfied);
    }

    #[test]
    fn the_upstream_report_never_names_an_anonymous_rater() {
        let mut r = rating("a", TUESDAY_10, Grade::Satisfied);
        r.rater_key = Some("p1".into());
        let line = UpstreamRating::new(&r, "2026X1", false);
        assert_eq!(line.rater_key, None);
        assert_eq!(line.grade_level, 2);
        r.anonymous = false;
        assert_eq!(
            UpstreamRating::new(&r, "2026X1", false)
                .rater_key
                .as_deref(),
            Some("p1")
        );
    }
}
