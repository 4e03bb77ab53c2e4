//! The default grade of finished cases nobody rated (brief §3.4: 逾期未评价的办件默认评价).
//!
//! The provincial 好差评 system counts every finished case, so a case nobody rated within
//! `default_after_days` of being finished gets the configured grade (the tenders disagree between 满意 and
//! 基本满意; both the grade and the days are settings). Only the central server decides this: an offline
//! terminal cannot know whether another terminal took a rating, and a hall relay would decide a second time
//! what the central server decides anyway.
//!
//! A default is an ordinary `rating` record — channel `default`, flag `defaulted`, anonymous — in the case's
//! scope, so it syncs to the hall's terminals (which then refuse another rating of the case with
//! `rating.already_rated`) and it is a line of the upstream report. Two choices keep it consistent:
//!
//! - its document id is derived from the case's ([`default_rating_doc_id`]), so server nodes sweeping at
//!   the same time write the same document, which the storage merges into one;
//! - its time is the moment it became due (finished + days), not the sweep's, so a rating an offline
//!   terminal took before then still counts everywhere and the default is the report's duplicate
//!   ([`banshi_core::rating::effective_rating`]).
//!
//! A sweep resumes from a stored cursor over application documents' feed positions: a case is read again
//! only after it changed, or while it is finished but not yet due (the cursor waits before the oldest such
//! case). Ratings are read in full, and only when some case is due: a case's rating can be older than its
//! finishing (the kiosk's last step), so no cursor bounds them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use automerge::AutoCommit;
use banshi_core::application::{Application, APPLICATION_KIND};
use banshi_core::rating::{defaults_due, FinishedCase, Rating, RatingRules, RATING_KIND};
use banshi_core::Clock;
use banshi_store::{new_record_doc_with_id, read_record, RecordError};

use crate::storage::{ServerStorage, StorageError, StoredDoc};

/// The storage cursor the sweep keeps its place in.
pub const CURSOR: &str = "rating-defaults";
/// Documents read per storage call.
const PAGE: usize = 500;

/// The id of the default rating of case document `case_id`: fixed, so every node writes the same document.
pub fn default_rating_doc_id(case_id: &str) -> String {
    format!("default-rating-{case_id}")
}

/// Why a sweep stopped. Nothing it wrote before is lost; the next sweep goes on from the stored cursor.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("writing the default rating of case {case_id}: {source}")]
    Record {
        case_id: String,
        #[source]
        source: RecordError,
    },
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Application documents read.
    pub cases_read: usize,
    /// Default ratings written.
    pub defaulted: usize,
}

/// Give every finished case that nobody rated within `rules.default_after_days` its default grade, as of
/// `now_ms`. Running it again writes nothing new.
pub async fn sweep(
    storage: &dyn ServerStorage,
    now_ms: i64,
    rules: &RatingRules,
) -> Result<SweepOutcome, SweepError> {
    let due_after_ms = i64::from(rules.default_after_days) * 86_400_000;
    let mut outcome = SweepOutcome::default();
    let after = storage.cursor(CURSOR).await?;
    // The feed position of the oldest finished case that is not yet due: the next sweep starts there.
    let mut oldest_pending: Option<i64> = None;
    // Cases past their days, and each one's scope (where its default rating goes).
    let mut due: Vec<FinishedCase> = Vec::new();
    let mut scopes: HashMap<String, String> = HashMap::new();
    let mut pages = CasePages::after(after);
    while let Some(page) = pages.next(storage).await? {
        for (position, id, scope, case) in page {
            outcome.cases_read += 1;
            let Some(case) = FinishedCase::of(&id, &case) else {
                continue;
            };
            if now_ms - case.finished_at_ms < due_after_ms {
                oldest_pending = Some(oldest_pending.map_or(position, |p| p.min(position)));
            } else {
                scopes.insert(case.case_id.clone(), scope);
                due.push(case);
            }
        }
    }
    if !due.is_empty() {
        let ratings = all_ratings(storage).await?;
        for rating in defaults_due(&due, &ratings, now_ms, rules) {
            let Some(scope) = scopes.get(&rating.case_id) else {
                continue;
            };
            if write_default(storage, scope, &rating).await? {
                outcome.defaulted += 1;
            }
        }
    }
    let resume_after = oldest_pending.map_or(pages.position(), |p| p - 1);
    storage.set_cursor(CURSOR, resume_after).await?;
    Ok(outcome)
}

/// Sweep now and then every `every`, for as long as the server runs. Failures are logged and retried at
/// the next turn: a missed sweep only delays defaults.
pub async fn run(
    storage: Arc<dyn ServerStorage>,
    clock: Arc<dyn Clock>,
    rules: RatingRules,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sweep(storage.as_ref(), clock.now_ms(), &rules).await {
            Ok(SweepOutcome {
                cases_read,
                defaulted,
            }) => {
                if defaulted > 0 {
                    tracing::info!(cases_read, defaulted, "default grades given");
                } else {
                    tracing::debug!(cases_read, "no default grade due");
                }
            }
            Err(error) => tracing::warn!(%error, "default-grade sweep failed; retrying later"),
        }
    }
}

/// Application documents after a feed position, a page at a time, for the sweeps over cases (default grades,
/// SMS links): each as `(position, doc id, scope, case)`; unreadable ones are logged and left out.
pub(crate) struct CasePages {
    after: i64,
}

impl CasePages {
    pub(crate) fn after(position: i64) -> Self {
        Self { after: position }
    }

    /// The next page, or `None` after the last document.
    pub(crate) async fn next(
        &mut self,
        storage: &dyn ServerStorage,
    ) -> Result<Option<Vec<(i64, String, String, Application)>>, StorageError> {
        let page = storage
            .docs_of_kind_after(APPLICATION_KIND, self.after, PAGE)
            .await?;
        let Some((last, _, _)) = page.last() else {
            return Ok(None);
        };
        self.after = *last;
        Ok(Some(
            page.into_iter()
                .filter_map(|(position, id, bytes)| {
                    let record = AutoCommit::load(&bytes)
                        .ok()
                        .and_then(|doc| read_record::<Application>(&doc).ok());
                    if record.is_none() {
                        tracing::warn!(doc_id = %id, "case document unreadable; skipped");
                    }
                    record.map(|r| (position, id, r.header.scope, r.body))
                })
                .collect(),
        ))
    }

    /// The feed position of the last document read (where a sweep that read everything resumes after).
    pub(crate) fn position(&self) -> i64 {
        self.after
    }
}

/// Every rating document's body (unreadable ones logged and left out).
pub(crate) async fn all_ratings(storage: &dyn ServerStorage) -> Result<Vec<Rating>, StorageError> {
    let mut ratings = Vec::new();
    let mut after = 0;
    loop {
        let page = storage.docs_of_kind_after(RATING_KIND, after, PAGE).await?;
        let Some((last, _, _)) = page.last() else {
            return Ok(ratings);
        };
        after = *last;
        ratings.extend(page.into_iter().filter_map(|(_, id, bytes)| {
            let rating = AutoCommit::load(&bytes)
                .ok()
                .and_then(|doc| read_record::<Rating>(&doc).ok());
            if rating.is_none() {
                tracing::warn!(doc_id = %id, "rating document unreadable; ignored");
            }
            rating.map(|r| r.body)
        }));
    }
}

/// Store `rating` as the case's default-rating document unless it is there already. `true` when written.
async fn write_default(
    storage: &dyn ServerStorage,
    scope: &str,
    rating: &Rating,
) -> Result<bool, SweepError> {
    let id = default_rating_doc_id(&rating.case_id);
    if storage.load_doc(&id).await?.is_some() {
        return Ok(false);
    }
    let (_, mut doc) =
        new_record_doc_with_id(&id, scope, rating).map_err(|source| SweepError::Record {
            case_id: rating.case_id.clone(),
            source,
        })?;
    storage
        .save_doc(
            &id,
            StoredDoc {
                kind: RATING_KIND.to_string(),
                scope: scope.to_string(),
                bytes: doc.save(),
            },
        )
        .await?;
    tracing::info!(doc_id = %id, case_id = %rating.case_id, "default grade given");
    Ok(true)
}
