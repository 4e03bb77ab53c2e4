//! The outbox as people see it: which records the server does not hold yet, and why.

use std::sync::Arc;

use banshi_core::queue::{Ticket, TICKET_KIND};
use banshi_core::ErrorBody;
use banshi_store::{SyncStatus, UnsyncedDoc};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{blocking, Terminal, TerminalError};
use crate::views::{UnsyncedRecordView, UnsyncedView};

/// The most records one listing returns. A screen shows a page, and labelling a record loads its document;
/// `UnsyncedView::total` still counts them all.
const UNSYNCED_PAGE: usize = 200;

/// How many trailing characters of a record id name a record that has no number of its own. UUIDv7 ids
/// start with the time, so the tail is the part that tells records apart.
const SHORT_ID_CHARS: usize = 8;

impl Terminal {
    /// Records this terminal holds that the server does not (local, sending or refused), the longest-waiting
    /// first, each with a label safe for a hall screen and the reason it is not synced.
    pub async fn unsynced_records(&self) -> Result<UnsyncedView, TerminalError> {
        let store = Arc::clone(&self.store);
        let (total, labelled) = blocking(move || {
            let total = store.sync_counts()?.unsynced();
            let docs = store.unsynced(UNSYNCED_PAGE)?;
            let mut labelled = Vec::with_capacity(docs.len());
            for doc in docs {
                let label = match doc.kind.as_str() {
                    // A damaged ticket must not hide the rest of the outbox: it keeps its short id.
                    TICKET_KIND => match store.get::<Ticket>(&doc.id) {
                        Ok(Some(rec)) => Some(rec.body.display_number()),
                        Ok(None) => None,
                        Err(error) => {
                            tracing::warn!(id = %doc.id, %error, "unsynced ticket cannot be read");
                            None
                        }
                    },
                    _ => None,
                };
                labelled.push((doc, label));
            }
            Ok((total, labelled))
        })
        .await?;

        let online = self
            .sync_health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .online;
        let records = labelled
            .into_iter()
            .map(|(doc, label)| UnsyncedRecordView {
                label: label.unwrap_or_else(|| short_id(&doc.id)),
                reason: reason(&doc, self.sync.is_some(), online),
                status: doc.sync_status,
                changed_at: rfc3339_ms(doc.changed_at_ms),
                kind: doc.kind,
                id: doc.id,
            })
            .collect();
        Ok(UnsyncedView { total, records })
    }
}

/// Why `doc` is still here, as a `{code, message}` the UI translates by code.
fn reason(doc: &UnsyncedDoc, sync_configured: bool, online: bool) -> ErrorBody {
    match doc.sync_status {
        SyncStatus::Refused => ErrorBody::new(
            "sync.refused",
            doc.reason
                .clone()
                .unwrap_or_else(|| "the sync server refused this record".to_string()),
        ),
        _ if !sync_configured => ErrorBody::new(
            "sync.disabled",
            "no sync server is configured; the record stays on this terminal",
        ),
        // A pass that lost the server part-way leaves its record `sending`: offline explains both.
        _ if !online => ErrorBody::new(
            "sync.offline",
            "the sync server cannot be reached; the record is sent once it can",
        ),
        SyncStatus::Sending => ErrorBody::new("sync.sending", "being sent to the sync server"),
        _ => ErrorBody::new("sync.queued", "waiting for the next sync pass"),
    }
}

fn short_id(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(SHORT_ID_CHARS)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn rfc3339_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(status: SyncStatus, reason: Option<&str>) -> UnsyncedDoc {
        UnsyncedDoc {
            id: "0195f3a4-7b2c-7d10-9a3e-4c5d6e7f8a9b".to_string(),
            kind: "application".to_string(),
            sync_status: status,
            reason: reason.map(str::to_string),
            changed_at_ms: 1_795_000_000_000,
        }
    }

    #[test]
    fn the_reason_says_why_a_record_waits() {
        let code = |status, configured, online| reason(&doc(status, None), configured, online).code;
        assert_eq!(code(SyncStatus::Local, false, false), "sync.disabled");
        assert_eq!(code(SyncStatus::Local, true, false), "sync.offline");
        assert_eq!(code(SyncStatus::Sending, true, false), "sync.offline");
        assert_eq!(code(SyncStatus::Local, true, true), "sync.queued");
        assert_eq!(code(SyncStatus::Sending, true, true), "sync.sending");
        let refused = reason(
            &doc(SyncStatus::Refused, Some("scope hall:x not granted")),
            true,
            true,
        );
        assert_eq!(
            (refused.code.as_str(), refused.message.as_str()),
            ("sync.refused", "scope hall:x not granted")
        );
    }

    #[test]
    fn records_without_a_number_are_named_by_the_tail_of_their_id() {
        assert_eq!(
            short_id("0195f3a4-7b2c-7d10-9a3e-4c5d6e7f8a9b"),
            "…6e7f8a9b"
        );
        assert_eq!(short_id("abc"), "…abc");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00Z");
    }
}
