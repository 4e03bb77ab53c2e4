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
    pub async fn unsynced_records(
        &self,
        actor: &banshi_core::staff::Actor,
    ) -> Result<UnsyncedView, TerminalError> {
        actor.require(banshi_core::staff::Permission::ViewSyncStatus)?;
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

        let (online, blocked) = {
            let health = self.sync_health.lock().unwrap_or_else(|p| p.into_inner());
            (health.online, health.blocked)
        };
        let link = Link {
            configured: self.sync.is_some(),
            blocked,
            online,
        };
        let records = labelled
            .into_iter()
            .map(|(doc, label)| UnsyncedRecordView {
                label: label.unwrap_or_else(|| short_id(&doc.id)),
                reason: reason(&doc, link),
                status: doc.sync_status,
                changed_at: rfc3339_ms(doc.changed_at_ms),
                kind: doc.kind,
                id: doc.id,
            })
            .collect();
        Ok(UnsyncedView { total, records })
    }
}

/// Where the terminal stands with its sync server, as far as a waiting record is concerned.
#[derive(Debug, Clone, Copy)]
struct Link {
    /// The profile names a sync server.
    configured: bool,
    /// Syncing cannot happen at all: `unenrolled` or `revoked`.
    blocked: Option<&'static str>,
    /// The last sync pass reached the server.
    online: bool,
}

/// Why `doc` is still here, as a `{code, message}` the UI translates by code.
fn reason(doc: &UnsyncedDoc, link: Link) -> ErrorBody {
    match doc.sync_status {
        SyncStatus::Refused => ErrorBody::new(
            "sync.refused",
            doc.reason
                .clone()
                .unwrap_or_else(|| "the sync server refused this record".to_string()),
        ),
        _ if !link.configured => ErrorBody::new(
            "sync.disabled",
            "no sync server is configured; the record stays on this terminal",
        ),
        _ if link.blocked == Some("unenrolled") => ErrorBody::new(
            "sync.unenrolled",
            "this terminal is not enrolled with the sync server yet; the record is sent once it is",
        ),
        _ if link.blocked == Some("revoked") => ErrorBody::new(
            "sync.revoked",
            "an administrator revoked this terminal's sync access; the record stays on this terminal",
        ),
        // A pass that lost the server part-way leaves its record `sending`: offline explains both.
        _ if !link.online => ErrorBody::new(
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

    const ONLINE: Link = Link {
        configured: true,
        blocked: None,
        online: true,
    };

    #[test]
    fn the_reason_says_why_a_record_waits() {
        let code = |status, link| reason(&doc(status, None), link).code;
        let offline = Link {
            online: false,
            ..ONLINE
        };
        let unconfigured = Link {
            configured: false,
            ..offline
        };
        let blocked = |why| Link {
            blocked: Some(why),
            ..offline
        };
        assert_eq!(code(SyncStatus::Local, unconfigured), "sync.disabled");
        assert_eq!(
            code(SyncStatus::Local, blocked("unenrolled")),
            "sync.unenrolled"
        );
        assert_eq!(
            code(SyncStatus::Sending, blocked("revoked")),
            "sync.revoked"
        );
        assert_eq!(code(SyncStatus::Local, offline), "sync.offline");
        assert_eq!(code(SyncStatus::Sending, offline), "sync.offline");
        assert_eq!(code(SyncStatus::Local, ONLINE), "sync.queued");
        assert_eq!(code(SyncStatus::Sending, ONLINE), "sync.sending");
        let refused = reason(
            &doc(SyncStatus::Refused, Some("scope hall:x not granted")),
            blocked("revoked"),
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
