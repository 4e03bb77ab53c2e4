//! Applications (申办 / 办件): the case record, its numbers and its status history.
//!
//! A case is one automerge record in its hall's scope, written by the kiosk, window or field laptop that took
//! it in, by every clerk who acts on it, and by the server (official number, status updates from the
//! provincial unified acceptance platform). Two rules keep concurrent writers safe:
//! - the status is never stored on its own: it is *derived* from the append-only [`Application::history`]
//!   (the latest event wins, ties broken by terminal id), so two offline writers cannot leave the case in a
//!   state neither of them chose;
//! - numbers never need coordination: a terminal numbers its cases `<terminal>-<YYYYMMDD>-<seq>`
//!   ([`provisional_number`]), and the official number is set once, by the server, and kept beside it.
//!
//! Personal data (the applicant) lives only here, encrypted at rest like every record; `Debug` masks it.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::catalogue::{Answers, Item};
use crate::error::ErrorCode;
use crate::mask::{mask_id_number, mask_name};

/// The record kind of applications.
pub const APPLICATION_KIND: &str = "application";
pub const APPLICATION_SCHEMA_VERSION: u32 = 1;

/// Where the case was taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Kiosk,
    Window,
    Field,
}

/// Where a case is in its life (the tenders' states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// 草稿: saved, not submitted.
    Draft,
    /// 已提交: submitted at a kiosk or in the field, waiting for a clerk.
    Submitted,
    /// 待窗口受理: the kiosk could not take everything and handed the case to a window.
    HandedOver,
    /// 待预审
    PreReview,
    /// 预审通过
    PreReviewPassed,
    /// 预审驳回
    PreReviewRejected,
    /// 受理中: a clerk is taking it in.
    Accepting,
    /// 已受理
    Accepted,
    /// 容缺受理: accepted with listed missing materials and a promise date.
    AcceptedWithMissing,
    /// 不予受理
    Rejected,
    /// 补齐补正中: correction requested.
    CorrectionRequested,
    /// 作废: a correction deadline or pre-review timed out.
    Voided,
    /// 审查中
    Reviewing,
    /// 审批中
    Approving,
    /// 已办结
    Completed,
    /// 已出件: the result was handed over, mailed or put in a locker.
    Issued,
    /// 查询打印 items end right after printing.
    Printed,
}

impl CaseStatus {
    /// The status's stable name (also its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Draft => "draft",
            CaseStatus::Submitted => "submitted",
            CaseStatus::HandedOver => "handed_over",
            CaseStatus::PreReview => "pre_review",
            CaseStatus::PreReviewPassed => "pre_review_passed",
            CaseStatus::PreReviewRejected => "pre_review_rejected",
            CaseStatus::Accepting => "accepting",
            CaseStatus::Accepted => "accepted",
            CaseStatus::AcceptedWithMissing => "accepted_with_missing",
            CaseStatus::Rejected => "rejected",
            CaseStatus::CorrectionRequested => "correction_requested",
            CaseStatus::Voided => "voided",
            CaseStatus::Reviewing => "reviewing",
            CaseStatus::Approving => "approving",
            CaseStatus::Completed => "completed",
            CaseStatus::Issued => "issued",
            CaseStatus::Printed => "printed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL_STATUSES.iter().copied().find(|st| st.as_str() == s)
    }

    /// The window's intake decision may be taken in these states.
    pub fn awaits_intake(self) -> bool {
        matches!(
            self,
            CaseStatus::Draft
                | CaseStatus::Submitted
                | CaseStatus::HandedOver
                | CaseStatus::PreReview
                | CaseStatus::PreReviewPassed
                | CaseStatus::Accepting
                | CaseStatus::CorrectionRequested
        )
    }

    /// No further step can follow.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseStatus::Rejected
                | CaseStatus::Voided
                | CaseStatus::Issued
                | CaseStatus::Printed
                | CaseStatus::PreReviewRejected
        )
    }

    /// Whether `next` may follow `self`. The provincial platform's updates (审查中 … 已出件) may follow any
    /// accepted state; nothing follows a final state.
    pub fn may_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        if self.is_final() {
            return false;
        }
        match next {
            Draft => self == Draft,
            Submitted | HandedOver => matches!(self, Draft | Submitted),
            PreReview => matches!(self, Submitted | HandedOver),
            PreReviewPassed | PreReviewRejected => self == PreReview,
            Accepting => self.awaits_intake(),
            Accepted | AcceptedWithMissing | Rejected | CorrectionRequested => self.awaits_intake(),
            Voided => matches!(self, CorrectionRequested | PreReview),
            Reviewing | Approving | Completed => {
                matches!(self, Accepted | AcceptedWithMissing | Reviewing | Approving)
            }
            Issued => self == Completed,
            Printed => matches!(self, Draft | Submitted),
        }
    }
}

pub const ALL_STATUSES: [CaseStatus; 17] = [
    CaseStatus::Draft,
    CaseStatus::Submitted,
    CaseStatus::HandedOver,
    CaseStatus::PreReview,
    CaseStatus::PreReviewPassed,
    CaseStatus::PreReviewRejected,
    CaseStatus::Accepting,
    CaseStatus::Accepted,
    CaseStatus::AcceptedWithMissing,
    CaseStatus::Rejected,
    CaseStatus::CorrectionRequested,
    CaseStatus::Voided,
    CaseStatus::Reviewing,
    CaseStatus::Approving,
    CaseStatus::Completed,
    CaseStatus::Issued,
    CaseStatus::Printed,
];

/// One step in a case's life: who, when, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct StatusEvent {
    pub status: CaseStatus,
    pub at_ms: i64,
    /// Staff id, `resident` (kiosk), or `platform` (the provincial acceptance platform through the server).
    pub actor: String,
    /// The clerk's name as printed on notices; empty for residents.
    pub actor_name: String,
    pub terminal: String,
    /// Hall where the step happened (a case taken in at another hall records both halls this way).
    pub hall: String,
    pub note: String,
}

/// The applicant as read from the ID card (or typed by a clerk).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CaseApplicant {
    pub name: String,
    pub id_number: String,
    pub gender: String,
    pub birth_date: String,
    pub address: String,
    /// SM3 of the ID number: finds the resident's cases without reading every record's number.
    pub person_key: String,
}

impl std::fmt::Debug for CaseApplicant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseApplicant")
            .field("name", &mask_name(&self.name))
            .field("id_number", &mask_id_number(&self.id_number))
            .finish_non_exhaustive()
    }
}

/// A collected material: scanned pages, a paper original seen at a window, or an e-certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct MaterialEntry {
    /// SM3 names of the page images (blobs), in order.
    pub pages: Vec<String>,
    /// The clerk saw and took the paper.
    pub paper_received: bool,
    /// The clerk ticked every review point.
    pub reviewed: bool,
    pub note: String,
}

impl MaterialEntry {
    pub fn is_collected(&self) -> bool {
        !self.pages.is_empty() || self.paper_received
    }
}

/// How the applicant collects the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Collection {
    Window,
    Courier { address: String },
    Locker,
}

/// The documents a window prints, each with a QR for progress lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 收件回执 (also the kiosk's receipt)
    Receipt,
    /// 受理通知书
    Acceptance,
    /// 容缺受理通知书
    AcceptanceWithMissing,
    /// 不予受理通知书
    Rejection,
    /// 补齐补正告知书
    Correction,
    /// 材料清单 (two copies)
    MaterialList,
}

/// A document issued for the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct NoticeRecord {
    pub kind: NoticeKind,
    pub at_ms: i64,
    pub actor: String,
    /// SM3 of the PDF kept as a blob; empty for a kiosk's thermal receipt.
    pub pdf: String,
    /// Whether the printer took it.
    pub printed: bool,
}

/// A window's decision on a case and what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Accept,
    /// 容缺受理: the missing materials (ids) and the date they are promised by (`YYYY-MM-DD`).
    AcceptWithMissing {
        missing: Vec<String>,
        promise_date: String,
    },
    Reject {
        reason: String,
    },
    /// 补齐补正: which materials, why, and the deadline (`YYYY-MM-DD`).
    RequestCorrection {
        materials: Vec<String>,
        reason: String,
        deadline: String,
    },
}

impl Decision {
    pub fn status(&self) -> CaseStatus {
        match self {
            Decision::Accept => CaseStatus::Accepted,
            Decision::AcceptWithMissing { .. } => CaseStatus::AcceptedWithMissing,
            Decision::Reject { .. } => CaseStatus::Rejected,
            Decision::RequestCorrection { .. } => CaseStatus::CorrectionRequested,
        }
    }

    pub fn notice(&self) -> NoticeKind {
        match self {
            Decision::Accept => NoticeKind::Acceptance,
            Decision::AcceptWithMissing { .. } => NoticeKind::AcceptanceWithMissing,
            Decision::Reject { .. } => NoticeKind::Rejection,
            Decision::RequestCorrection { .. } => NoticeKind::Correction,
        }
    }
}

/// A clerk's pre-review (业务预审) of a case submitted at a kiosk or in the field, before the applicant is at the
/// window (seed-002 §2.2): 预审通过 leads on to the acceptance decision, 预审驳回 sends it back to the applicant and
/// ends it. The opinion (预审意见) is the step's note; a rejection needs one. (The third choice the tender lists,
/// 补齐补正, is the ordinary [`Decision::RequestCorrection`].)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum PreReview {
    Pass {
        #[serde(default)]
        opinion: String,
    },
    Reject {
        opinion: String,
    },
}

impl PreReview {
    pub fn status(&self) -> CaseStatus {
        match self {
            PreReview::Pass { .. } => CaseStatus::PreReviewPassed,
            PreReview::Reject { .. } => CaseStatus::PreReviewRejected,
        }
    }

    pub fn opinion(&self) -> &str {
        match self {
            PreReview::Pass { opinion } | PreReview::Reject { opinion } => opinion.trim(),
        }
    }
}

/// An application as stored and synced. Its `Debug` shows only the numbers, the item and the status: the form
/// holds personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Application {
    pub hall_id: String,
    pub item_code: String,
    pub item_name: String,
    /// The catalogue version the case was made against.
    pub catalogue_version: u32,
    pub channel: Channel,
    /// Terminal that took it in.
    pub terminal_id: String,
    pub provisional_number: String,
    /// Set once by the server on sync.
    pub official_number: Option<String>,
    pub applicant: CaseApplicant,
    /// The agent (代办人) and their authorisation, when someone applies for another person.
    pub agent: Option<CaseApplicant>,
    pub answers: Answers,
    pub form: BTreeMap<String, String>,
    /// Material id → what was collected.
    pub materials: BTreeMap<String, MaterialEntry>,
    /// SM3 of the signature image (blob).
    pub signature: Option<String>,
    pub collection: Collection,
    /// Why the kiosk handed the case to a window (materials it could not take).
    pub handover: Option<String>,
    /// The latest window decision (its status is also in the history).
    pub decision: Option<Decision>,
    pub notices: Vec<NoticeRecord>,
    pub history: Vec<StatusEvent>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("provisional_number", &self.provisional_number)
            .field("official_number", &self.official_number)
            .field("item_code", &self.item_code)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// Why a step on a case is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("a case in state {from} cannot become {to}")]
    BadTransition {
        from: &'static str,
        to: &'static str,
    },
    #[error("mandatory material {0} has not been collected")]
    MaterialMissing(String),
    #[error("form field {0} is required")]
    FieldRequired(String),
    #[error("the decision lists material {0}, which this case does not need")]
    UnknownMaterial(String),
    #[error("容缺受理 and 补齐补正 must name at least one material")]
    NothingMissing,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("{0} is not a date (YYYY-MM-DD)")]
    BadDate(String),
    #[error("form field {field}: {expected}")]
    BadFieldValue { field: String, expected: String },
}

impl ErrorCode for CaseError {
    fn code(&self) -> &'static str {
        match self {
            CaseError::BadTransition { .. } => "application.bad_transition",
            CaseError::MaterialMissing(_) => "application.material_missing",
            CaseError::FieldRequired(_) => "application.field_required",
            CaseError::UnknownMaterial(_) => "application.unknown_material",
            CaseError::NothingMissing => "application.nothing_missing",
            CaseError::ReasonRequired => "application.reason_required",
            CaseError::BadDate(_) => "application.bad_date",
            CaseError::BadFieldValue { .. } => "application.bad_field_value",
        }
    }
}

/// A provisional case number: unique without coordination because terminal ids are unique and each terminal
/// counts its own cases per day. `day` is `YYYYMMDD` (hall time).
pub fn provisional_number(terminal_id: &str, day: &str, seq: u32) -> String {
    format!("{}-{day}-{seq:04}", terminal_id.to_uppercase())
}

/// An official number as the server gives it: year, the item code's last 9 characters (the item's own
/// sequence within its department), and the per-item counter of the year (restarts on 1 January).
pub fn official_number(year: i32, item_code: &str, seq: u64) -> String {
    let tail: String = item_code
        .chars()
        .rev()
        .take(9)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{year}{tail}{seq:06}")
}

impl Application {
    /// The current status: the latest event of the history (ties: the higher terminal id, then the later
    /// entry), so every replica derives the same one.
    pub fn status(&self) -> CaseStatus {
        self.latest_event()
            .map(|e| e.status)
            .unwrap_or(CaseStatus::Draft)
    }

    pub fn latest_event(&self) -> Option<&StatusEvent> {
        self.history
            .iter()
            .enumerate()
            .max_by(|(ia, a), (ib, b)| (a.at_ms, &a.terminal, ia).cmp(&(b.at_ms, &b.terminal, ib)))
            .map(|(_, e)| e)
    }

    /// When the case was finished as 好差评 counts it (办结): the first step into 已办结, 已出件, 已打印 or
    /// 不予受理. `None` while the case is open, and for a voided case (作废: nobody was served).
    pub fn finished_at_ms(&self) -> Option<i64> {
        let finished = |s: CaseStatus| {
            matches!(
                s,
                CaseStatus::Completed
                    | CaseStatus::Issued
                    | CaseStatus::Printed
                    | CaseStatus::Rejected
            )
        };
        if !finished(self.status()) {
            return None;
        }
        self.history
            .iter()
            .filter(|e| finished(e.status))
            .map(|e| e.at_ms)
            .min()
    }

    /// The staff member who acted on the case last (whom its rating is about): not the resident, the
    /// provincial platform or a terminal's own steps.
    pub fn serving_staff(&self) -> Option<&str> {
        self.history
            .iter()
            .rev()
            .map(|e| e.actor.as_str())
            .find(|a| !matches!(*a, "resident" | "platform" | "terminal" | ""))
    }

    /// The number to show: official once the server gave one, else provisional.
    pub fn number(&self) -> &str {
        self.official_number
            .as_deref()
            .unwrap_or(&self.provisional_number)
    }

    /// Whether `query` is this case's provisional or official number.
    pub fn has_number(&self, query: &str) -> bool {
        let q = query.trim();
        !q.is_empty()
            && (self.provisional_number.eq_ignore_ascii_case(q)
                || self.official_number.as_deref() == Some(q))
    }

    /// Appends a status step after checking the transition.
    pub fn record_step(&mut self, event: StatusEvent) -> Result<(), CaseError> {
        let from = self.status();
        if !self.history.is_empty() && !from.may_become(event.status) {
            return Err(CaseError::BadTransition {
                from: from.as_str(),
                to: event.status.as_str(),
            });
        }
        self.updated_at_ms = self.updated_at_ms.max(event.at_ms);
        self.history.push(event);
        Ok(())
    }

    /// Record a pre-review: a case waiting at a window since its submission passes through 待预审 first, then
    /// takes the verdict, both steps `step`'s who/when/where with the opinion as the verdict's note. Refused as a
    /// whole (nothing recorded) when the case is not waiting for one or a rejection gives no opinion.
    pub fn record_pre_review(
        &mut self,
        verdict: &PreReview,
        step: StatusEvent,
    ) -> Result<(), CaseError> {
        if matches!(verdict, PreReview::Reject { .. }) && verdict.opinion().is_empty() {
            return Err(CaseError::ReasonRequired);
        }
        let mut next = self.clone();
        if matches!(
            self.status(),
            CaseStatus::Submitted | CaseStatus::HandedOver
        ) {
            next.record_step(StatusEvent {
                status: CaseStatus::PreReview,
                note: String::new(),
                ..step.clone()
            })?;
        }
        next.record_step(StatusEvent {
            status: verdict.status(),
            note: verdict.opinion().to_string(),
            ..step
        })?;
        *self = next;
        Ok(())
    }

    /// Materials the item needs for these answers that have not been collected. One-of groups count as
    /// collected when any member is.
    pub fn missing_materials(&self, item: &Item) -> Vec<String> {
        use crate::catalogue::Requirement;
        let needed = item.materials_for(&self.answers);
        let collected = |id: &str| self.materials.get(id).is_some_and(|m| m.is_collected());
        let mut missing = Vec::new();
        for m in &needed {
            let ok = match m.requirement {
                Requirement::Mandatory => collected(&m.id),
                Requirement::Optional => true,
                Requirement::OneOf => needed
                    .iter()
                    .filter(|o| o.group == m.group)
                    .any(|o| collected(&o.id)),
            };
            if !ok && !missing.contains(&m.id) {
                missing.push(m.id.clone());
            }
        }
        missing
    }

    /// Required form fields with no value.
    pub fn missing_fields(&self, item: &Item) -> Vec<String> {
        item.fields_for(&self.answers)
            .into_iter()
            .filter(|f| f.required)
            .filter(|f| self.form.get(&f.field).is_none_or(|v| v.trim().is_empty()))
            .map(|f| f.field.clone())
            .collect()
    }

    /// Checks a window decision against the item: 受理 needs every mandatory material; 容缺 and 补正 must
    /// name needed materials and a date; 不予受理 needs a reason.
    pub fn check_decision(&self, item: &Item, decision: &Decision) -> Result<(), CaseError> {
        let needed: Vec<_> = item
            .materials_for(&self.answers)
            .into_iter()
            .map(|m| m.id.clone())
            .collect();
        let check_listed = |ids: &[String]| -> Result<(), CaseError> {
            if ids.is_empty() {
                return Err(CaseError::NothingMissing);
            }
            match ids.iter().find(|id| !needed.contains(id)) {
                Some(id) => Err(CaseError::UnknownMaterial(id.clone())),
                None => Ok(()),
            }
        };
        match decision {
            Decision::Accept => {
                if let Some(id) = self.missing_materials(item).into_iter().next() {
                    return Err(CaseError::MaterialMissing(id));
                }
                if let Some(f) = self.missing_fields(item).into_iter().next() {
                    return Err(CaseError::FieldRequired(f));
                }
            }
            Decision::AcceptWithMissing {
                missing,
                promise_date,
            } => {
                check_listed(missing)?;
                check_date(promise_date)?;
            }
            Decision::Reject { reason } => {
                if reason.trim().is_empty() {
                    return Err(CaseError::ReasonRequired);
                }
            }
            Decision::RequestCorrection {
                materials,
                reason,
                deadline,
            } => {
                check_listed(materials)?;
                if reason.trim().is_empty() {
                    return Err(CaseError::ReasonRequired);
                }
                check_date(deadline)?;
            }
        }
        Ok(())
    }
}

fn check_date(s: &str) -> Result<(), CaseError> {
    crate::clock::parse_date(s)
        .map(|_| ())
        .ok_or_else(|| CaseError::BadDate(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn event(status: CaseStatus, at_ms: i64, terminal: &str) -> StatusEvent {
        StatusEvent {
            status,
            at_ms,
            actor: "s1".into(),
            actor_name: "王芳".into(),
            terminal: terminal.into(),
            hall: "hk-longhua".into(),
            note: String::new(),
        }
    }

    fn case() -> Application {
        Application {
            hall_id: "hk-longhua".into(),
            item_code: "11460100MB1234567X444010010000100".into(),
            item_name: "国内出生登记".into(),
            catalogue_version: 1,
            channel: Channel::Kiosk,
            terminal_id: "kiosk-01".into(),
            provisional_number: provisional_number("kiosk-01", "20261124", 1),
            official_number: None,
            applicant: CaseApplicant {
                name: "张三".into(),
                id_number: "460100199001011234".into(),
                gender: "男".into(),
                birth_date: "1990-01-01".into(),
                address: "海口市".into(),
                person_key: "k".into(),
            },
            agent: None,
            answers: Answers::new(),
            form: BTreeMap::new(),
            materials: BTreeMap::new(),
            signature: None,
            collection: Collection::Window,
            handover: None,
            decision: None,
            notices: Vec::new(),
            history: vec![event(CaseStatus::Submitted, 1_000, "kiosk-01")],
            created_at_ms: 1_000,
            updated_at_ms: 1_000,
        }
    }

    #[test]
    fn a_pre_review_passes_a_submitted_case_through_pending_to_passed_and_it_can_then_be_accepted()
    {
        let mut a = case();
        let pass = PreReview::Pass {
            opinion: "材料齐全".into(),
        };
        a.record_pre_review(
            &pass,
            event(CaseStatus::PreReviewPassed, 2_000, "window-02"),
        )
        .unwrap();
        let steps: Vec<_> = a
            .history
            .iter()
            .map(|e| (e.status, e.note.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                (CaseStatus::Submitted, ""),
                (CaseStatus::PreReview, ""),
                (CaseStatus::PreReviewPassed, "材料齐全")
            ]
        );
        assert!(a.status().awaits_intake());
        a.record_step(event(CaseStatus::Accepted, 3_000, "window-02"))
            .unwrap();
        // Once decided there is nothing to pre-review.
        let again = a.record_pre_review(
            &pass,
            event(CaseStatus::PreReviewPassed, 4_000, "window-02"),
        );
        assert!(matches!(again, Err(CaseError::BadTransition { .. })));
    }

    #[test]
    fn a_pre_review_rejection_needs_an_opinion_and_ends_the_case() {
        let mut a = case();
        let bare = PreReview::Reject {
            opinion: "  ".into(),
        };
        assert_eq!(
            a.record_pre_review(&bare, event(CaseStatus::PreReviewRejected, 2_000, "w")),
            Err(CaseError::ReasonRequired)
        );
        assert_eq!(a.history.len(), 1, "a refused pre-review records nothing");
        let reject = PreReview::Reject {
            opinion: "上传的户口簿页面不全".into(),
        };
        a.record_pre_review(&reject, event(CaseStatus::PreReviewRejected, 2_000, "w"))
            .unwrap();
        assert_eq!(a.status(), CaseStatus::PreReviewRejected);
        assert!(a.status().is_final());
        // A draft has not been submitted: nothing to pre-review.
        let mut draft = case();
        draft.history = vec![event(CaseStatus::Draft, 1_000, "kiosk-01")];
        let refused =
            draft.record_pre_review(&reject, event(CaseStatus::PreReviewRejected, 2_000, "w"));
        assert!(matches!(refused, Err(CaseError::BadTransition { .. })));
        assert_eq!(draft.history.len(), 1);
    }

    #[test]
    fn a_case_is_finished_from_its_first_step_into_a_finished_state_and_a_voided_one_never() {
        let mut a = case();
        assert_eq!(a.finished_at_ms(), None, "submitted");
        a.history
            .push(event(CaseStatus::Accepted, 2_000, "window-02"));
        assert_eq!(a.finished_at_ms(), None, "accepted is still open");
        let mut platform = event(CaseStatus::Completed, 8_000, "server");
        platform.actor = "platform".into();
        a.history.push(platform);
        assert_eq!(a.finished_at_ms(), Some(8_000));
        // Issuing the result later does not move the day the case was finished.
        a.history
            .push(event(CaseStatus::Issued, 9_000, "window-02"));
        assert_eq!(a.finished_at_ms(), Some(8_000));
        // The clerk who served it, not the platform that finished it.
        assert_eq!(a.serving_staff(), Some("s1"));

        let mut rejected = case();
        rejected
            .history
            .push(event(CaseStatus::Rejected, 3_000, "window-02"));
        assert_eq!(rejected.finished_at_ms(), Some(3_000));
        let mut voided = case();
        voided
            .history
            .push(event(CaseStatus::Voided, 3_000, "window-02"));
        assert_eq!(voided.finished_at_ms(), None);
    }

    #[test]
    fn the_status_is_the_latest_step_whoever_wrote_it() {
        let mut a = case();
        a.history
            .push(event(CaseStatus::Accepted, 5_000, "window-02"));
        a.history
            .push(event(CaseStatus::Reviewing, 9_000, "server"));
        // A clerk's offline step from earlier arrives last: it does not rewind the case.
        a.history
            .push(event(CaseStatus::AcceptedWithMissing, 4_000, "window-01"));
        assert_eq!(a.status(), CaseStatus::Reviewing);
        // Equal times resolve the same way on every replica.
        let mut b = case();
        b.history
            .push(event(CaseStatus::Rejected, 5_000, "window-01"));
        b.history
            .push(event(CaseStatus::Accepted, 5_000, "window-02"));
        let mut c = case();
        c.history
            .push(event(CaseStatus::Accepted, 5_000, "window-02"));
        c.history
            .push(event(CaseStatus::Rejected, 5_000, "window-01"));
        assert_eq!(b.status(), CaseStatus::Accepted);
        assert_eq!(c.status(), CaseStatus::Accepted);
    }

    #[test]
    fn nothing_follows_a_final_state_and_steps_are_checked() {
        let mut a = case();
        a.record_step(event(CaseStatus::Rejected, 2_000, "w"))
            .unwrap();
        let err = a
            .record_step(event(CaseStatus::Accepted, 3_000, "w"))
            .unwrap_err();
        assert_eq!(err.code(), "application.bad_transition");
        let mut b = case();
        assert!(b
            .record_step(event(CaseStatus::Completed, 2_000, "w"))
            .is_err());
        b.record_step(event(CaseStatus::CorrectionRequested, 2_000, "w"))
            .unwrap();
        // A corrected case is taken in again (补正受理).
        b.record_step(event(CaseStatus::Accepted, 3_000, "w"))
            .unwrap();
        b.record_step(event(CaseStatus::Completed, 4_000, "platform"))
            .unwrap();
        b.record_step(event(CaseStatus::Issued, 5_000, "w"))
            .unwrap();
    }

    #[test]
    fn numbers_are_searchable_both_ways() {
        let mut a = case();
        assert_eq!(a.provisional_number, "KIOSK-01-20261124-0001");
        assert!(a.has_number("kiosk-01-20261124-0001"));
        a.official_number = Some(official_number(2026, &a.item_code, 42));
        assert_eq!(a.official_number.as_deref(), Some("2026010000100000042"));
        assert!(a.has_number("2026010000100000042"));
        assert!(a.has_number("KIOSK-01-20261124-0001"));
        assert_eq!(a.number(), "2026010000100000042");
        assert!(!a.has_number(""));
    }

    const ITEM: &str = r#"
version = 1
[[fields]]
code = "applicant_name"
label = "姓名"
kind = "text"
[[items]]
code = "11460100MB1234567X444010010000100"
name = "测试事项"
pinyin = "cssx"
department = "测试局"
level = "区级"
category = "personal"
statutory_days = 10
promised_days = 5
fees = "不收费"
guide = { overview = "o", legal_basis = "l", conditions = "c", process = ["p"], place = "p", hours = "h" }
[[items.questions]]
id = "q"
text = "?"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }]
[[items.materials]]
id = "id_card"
name = "居民身份证"
medium = "original"
requirement = "mandatory"
review_points = ["在有效期内"]
[[items.materials]]
id = "hukou"
name = "户口簿"
medium = "copy"
requirement = "one_of"
group = "residence"
review_points = ["本人页"]
[[items.materials]]
id = "permit"
name = "居住证"
medium = "copy"
requirement = "one_of"
group = "residence"
review_points = ["在有效期内"]
[[items.materials]]
id = "photo"
name = "照片"
medium = "original"
requirement = "optional"
review_points = ["白底"]
[[items.form]]
field = "applicant_name"
required = true
"#;

    #[test]
    fn decisions_are_checked_against_the_generated_material_list() {
        let catalogue = Catalogue::from_toml(ITEM).unwrap();
        let item = &catalogue.items[0];
        let mut a = case();
        a.answers.insert("q".into(), "a".into());
        assert_eq!(a.missing_materials(item), ["id_card", "hukou", "permit"]);
        assert_eq!(
            a.check_decision(item, &Decision::Accept),
            Err(CaseError::MaterialMissing("id_card".into()))
        );
        a.materials.insert(
            "id_card".into(),
            MaterialEntry {
                paper_received: true,
                ..Default::default()
            },
        );
        a.materials.insert(
            "permit".into(),
            MaterialEntry {
                pages: vec!["ab".into()],
                ..Default::default()
            },
        );
        assert!(a.missing_materials(item).is_empty());
        assert_eq!(
            a.check_decision(item, &Decision::Accept),
            Err(CaseError::FieldRequired("applicant_name".into()))
        );
        a.form.insert("applicant_name".into(), "张三".into());
        a.check_decision(item, &Decision::Accept).unwrap();

        let bad = Decision::AcceptWithMissing {
            missing: vec!["passport".into()],
            promise_date: "2026-12-01".into(),
        };
        assert_eq!(
            a.check_decision(item, &bad),
            Err(CaseError::UnknownMaterial("passport".into()))
        );
        let no_date = Decision::RequestCorrection {
            materials: vec!["photo".into()],
            reason: "照片不清晰".into(),
            deadline: "12/01".into(),
        };
        assert_eq!(
            a.check_decision(item, &no_date).unwrap_err().code(),
            "application.bad_date"
        );
        let no_reason = Decision::Reject {
            reason: "  ".into(),
        };
        assert_eq!(
            a.check_decision(item, &no_reason),
            Err(CaseError::ReasonRequired)
        );
    }

    #[test]
    fn the_applicant_never_reaches_debug_output() {
        let a = case();
        let text = format!("{a:?}");
        assert!(!text.contains("460100199001011234"));
        assert!(!text.contains("张三"));
    }

    #[test]
    fn a_case_survives_an_automerge_round_trip() {
        let mut a = case();
        a.decision = Some(Decision::AcceptWithMissing {
            missing: vec!["photo".into()],
            promise_date: "2026-12-01".into(),
        });
        a.collection = Collection::Courier {
            address: "海口市龙华区".into(),
        };
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &a).unwrap();
        let back: Application = autosurgeon::hydrate(&doc).unwrap();
        assert_eq!(back, a);
    }
}
