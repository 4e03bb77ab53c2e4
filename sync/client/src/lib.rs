//! The terminal side of sync: push what changed here, pull what changed elsewhere.
//!
//! A sync pass ([`SyncClient::sync_once`]) says hello (version negotiation) once per session, syncs every
//! document in the store's outbox, then reads each granted scope's change feed from the stored cursor and
//! syncs the documents it lists. Each document sync is the standard automerge message exchange, one HTTP
//! request per message, until neither side has anything to send. A record's status moves local → sending →
//! synced (the server holds all our heads) or refused (the server said why; the record stays here).
//! Between push and pull the pass uploads pending blobs ([`blobs`]): resumable, chunk by chunk.
//!
//! Every request is signed with the terminal's SM2 key ([`identity`]); a terminal enrolls once with an
//! admin's token ([`SyncClient::enroll`]). When the server says the terminal was revoked, or grants other
//! scopes than before (moved to another hall), the client purges the records it may no longer hold.
//!
//! Between passes, [`SyncClient::wait_for_feed`] long-polls a scope's feed so a terminal learns of another
//! terminal's change as soon as the server commits it, not one `sync.interval_ms` later.

pub mod blobs;
pub mod bundle;
pub mod connection;
pub mod identity;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use automerge::AutoCommit;
use banshi_core::{Clock, ErrorCode};
use banshi_store::{Store, StoreError, SyncStatus};
use banshi_sync_protocol as proto;

pub use blobs::{BlobDirection, BlobProgress, BlobProgressSink, BlobTransfer};
pub use connection::Connection;
pub use identity::{IdentityError, TerminalIdentity};

pub use proto::fleet;
pub use proto::MAX_FEED_WAIT_MS;

/// Stop a document's exchange after this many messages; a healthy exchange takes two or three.
pub(crate) const MAX_ROUNDS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum SyncClientError {
    #[error("sync server unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("sync server refused the request ({code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("sync server answered something that is not a sync message: {0}")]
    BadReply(String),
    #[error("no protocol version in common with the server")]
    NoCommonVersion,
    #[error("this terminal is not enrolled yet; enroll it with a token from an admin")]
    NotEnrolled,
    #[error("this terminal was revoked by an admin; its records were removed")]
    Revoked,
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("local task failed: {0}")]
    Task(String),
}

impl ErrorCode for SyncClientError {
    fn code(&self) -> &'static str {
        match self {
            SyncClientError::Unreachable(_) => "sync.unreachable",
            SyncClientError::Refused { .. } => "sync.refused",
            SyncClientError::BadReply(_) => "sync.bad_reply",
            SyncClientError::NoCommonVersion => "sync.no_common_version",
            SyncClientError::NotEnrolled => "sync.not_enrolled",
            SyncClientError::Revoked => "auth.revoked",
            SyncClientError::Identity(_) => "sync.identity",
            SyncClientError::Store(e) => e.code(),
            SyncClientError::Task(_) => "sync.internal",
        }
    }
}

impl SyncClientError {
    /// A refusal about this document's content (the server will refuse it again), as opposed to a
    /// connection or server problem worth retrying.
    fn is_refusal_of_document(&self) -> bool {
        match self {
            SyncClientError::Refused { status, code, .. } => {
                (400..500).contains(status)
                    && *status != 401
                    && (!code.starts_with("auth.") || code == "auth.out_of_scope")
            }
            _ => false,
        }
    }
}

/// What a sync pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    pub pulled: usize,
    pub refused: usize,
    /// Records removed because the server no longer grants their scope.
    pub purged: usize,
    /// Blobs the server verified during this pass (sent now, or found already there).
    pub blobs_uploaded: usize,
    /// Blobs the server refused for good (too large, out of scope) or whose file is damaged.
    pub blobs_refused: usize,
}

/// Syncs one store with one server.
pub struct SyncClient {
    conn: Connection,
    store: Arc<Store>,
    /// Per scope, the newest feed position [`SyncClient::wait_for_feed`] has reported: the next wait looks
    /// past it, so one change is announced once even before a sync pass has pulled it.
    announced: std::sync::Mutex<HashMap<String, i64>>,
    blob_progress: Option<BlobProgressSink>,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("conn", &self.conn)
            .field("store", &self.store)
            .field("blob_progress", &self.blob_progress.is_some())
            .finish()
    }
}

impl SyncClient {
    pub fn new(
        server: &str,
        identity: Arc<TerminalIdentity>,
        hall_id: &str,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SyncClientError> {
        Ok(Self {
            conn: Connection::new(server, identity, hall_id, clock)?,
            store,
            announced: std::sync::Mutex::default(),
            blob_progress: None,
        })
    }

    /// Report the progress of blobs uploaded by [`SyncClient::sync_once`] to `sink`.
    pub fn with_blob_progress(mut self, sink: BlobProgressSink) -> Self {
        self.blob_progress = Some(sink);
        self
    }

    pub fn identity(&self) -> &Arc<TerminalIdentity> {
        self.conn.identity()
    }

    /// The server this client talks to; also the peer name its sync state is kept under.
    pub fn server(&self) -> &str {
        self.conn.server()
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Enroll this terminal with a one-time token from an admin; the enrollment is kept for later runs.
    pub async fn enroll(&self, token: &str) -> Result<proto::Enrolled, SyncClientError> {
        self.conn.enroll(token).await
    }

    /// One full pass: push the outbox, upload pending blobs, pull every granted scope's feed.
    pub async fn sync_once(&self) -> Result<SyncReport, SyncClientError> {
        let result = self.sync_pass().await;
        match &result {
            // A changed grant (moved hall) shows as refusals until the next hello: start a new session.
            Err(SyncClientError::Unreachable(_)) => self.conn.reset().await,
            Err(SyncClientError::Refused { code, .. })
                if code.starts_with("auth.") && code != "auth.revoked" =>
            {
                self.conn.reset().await
            }
            Err(SyncClientError::Refused { code, .. }) if code == "auth.revoked" => {
                self.conn.reset().await;
                return Err(self.forget_everything().await);
            }
            _ => {}
        }
        result
    }

    /// The server revoked this terminal: nothing it holds may stay, and its enrollment is void.
    async fn forget_everything(&self) -> SyncClientError {
        let (store, identity) = (Arc::clone(&self.store), Arc::clone(self.conn.identity()));
        let result = blocking(move || {
            let purged = store.purge_outside_scopes(&[])?;
            identity.set_enrollment(None)?;
            Ok::<_, SyncClientError>(purged)
        })
        .await;
        match result {
            Ok(purged) => {
                tracing::warn!(
                    purged,
                    "terminal revoked by the server; removed every record"
                );
                SyncClientError::Revoked
            }
            Err(e) => e,
        }
    }

    async fn sync_pass(&self) -> Result<SyncReport, SyncClientError> {
        let Some(enrolled) = self.conn.identity().enrollment() else {
            return Err(SyncClientError::NotEnrolled);
        };
        let (version, scopes) = self.conn.session().await?;
        let mut report = SyncReport::default();
        if scopes != enrolled.scopes {
            // Moved to another hall (or granted more): drop what the server no longer lets us hold.
            let (store, identity, keep) = (
                Arc::clone(&self.store),
                Arc::clone(self.conn.identity()),
                scopes.clone(),
            );
            report.purged = blocking(move || {
                let purged = store.purge_outside_scopes(&keep)?;
                identity.set_enrollment(Some(proto::Enrolled {
                    scopes: keep,
                    ..enrolled
                }))?;
                Ok::<_, SyncClientError>(purged)
            })
            .await?;
            tracing::warn!(
                purged = report.purged,
                ?scopes,
                "the server changed this terminal's scopes"
            );
        }

        let store = Arc::clone(&self.store);
        let pending = blocking(move || store.pending()).await?;
        for group in pending.chunks(proto::MAX_BATCH_DOCS) {
            for (doc_id, result) in self.sync_docs(version, group).await? {
                match result {
                    Ok(_) => report.pushed += 1,
                    Err(e) if e.is_refusal_of_document() => {
                        tracing::warn!(%doc_id, error = %e, "server refused a record");
                        let (store, reason) = (Arc::clone(&self.store), e.to_string());
                        blocking(move || {
                            store.set_sync_status(&doc_id, SyncStatus::Refused, Some(&reason))
                        })
                        .await?;
                        report.refused += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        }

        // Records first: they are small and what the hall waits for; the scans they refer to follow.
        (report.blobs_uploaded, report.blobs_refused) = self.upload_pending_blobs().await?;

        for scope in scopes {
            loop {
                let store = Arc::clone(&self.store);
                let (peer, sc) = (self.conn.server().to_string(), scope.clone());
                let after = blocking(move || store.feed_cursor(&peer, &sc)).await?;
                let page = self.conn.feed(version, &scope, after, None).await?;
                let ids: Vec<String> = page.entries.iter().map(|e| e.doc_id.clone()).collect();
                for group in ids.chunks(proto::MAX_BATCH_DOCS) {
                    for (doc_id, result) in self.sync_docs(version, group).await? {
                        match result {
                            Ok(true) => report.pulled += 1,
                            Ok(false) => {}
                            // Losing the server ends the pass; one bad document must not stall the feed.
                            Err(e @ SyncClientError::Unreachable(_)) => return Err(e),
                            Err(error) => {
                                tracing::warn!(%doc_id, %error, "skipping a document from the feed")
                            }
                        }
                    }
                }
                let store = Arc::clone(&self.store);
                let (peer, sc, next) = (self.conn.server().to_string(), scope.clone(), page.next);
                blocking(move || store.set_feed_cursor(&peer, &sc, next)).await?;
                if !page.more {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// The scopes the server grants this terminal (saying hello first if needed).
    pub async fn granted_scopes(&self) -> Result<Vec<String>, SyncClientError> {
        let result = self.conn.session().await;
        if matches!(result, Err(SyncClientError::Unreachable(_))) {
            self.conn.reset().await;
        }
        Ok(result?.1)
    }

    /// Wait up to `wait` (at most [`proto::MAX_FEED_WAIT_MS`]) until `scope`'s feed lists a change this
    /// terminal has neither pulled (its stored cursor) nor been told about by an earlier call. Returns true
    /// when there is one: a sync pass ([`SyncClient::sync_once`]) will pull it. Pulls nothing itself.
    pub async fn wait_for_feed(
        &self,
        scope: &str,
        wait: Duration,
    ) -> Result<bool, SyncClientError> {
        let result = self.wait_for_feed_once(scope, wait).await;
        if matches!(result, Err(SyncClientError::Unreachable(_))) {
            self.conn.reset().await;
        }
        result
    }

    async fn wait_for_feed_once(
        &self,
        scope: &str,
        wait: Duration,
    ) -> Result<bool, SyncClientError> {
        let (version, _) = self.conn.session().await?;
        let (store, peer, sc) = (
            Arc::clone(&self.store),
            self.conn.server().to_string(),
            scope.to_string(),
        );
        let cursor = blocking(move || store.feed_cursor(&peer, &sc)).await?;
        let announced = self.announced_position(scope);
        let after = cursor.max(announced.unwrap_or(0));
        let page = self.conn.feed(version, scope, after, Some(wait)).await?;
        if page.entries.is_empty() {
            return Ok(false);
        }
        self.announced
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(scope.to_string(), page.next);
        Ok(true)
    }

    fn announced_position(&self, scope: &str) -> Option<i64> {
        self.announced
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(scope)
            .copied()
    }

    /// Sync several documents with the server in batch requests. Returns, per document, whether the local
    /// copy changed or why the server refused it; an `Err` of the whole call means the server was lost.
    pub async fn sync_docs(
        &self,
        version: u32,
        ids: &[String],
    ) -> Result<Vec<(String, Result<bool, SyncClientError>)>, SyncClientError> {
        let (store, wanted, peer) = (
            Arc::clone(&self.store),
            ids.to_vec(),
            self.conn.server().to_string(),
        );
        let loaded = blocking(move || {
            let mut out = Vec::with_capacity(wanted.len());
            for id in wanted {
                // Read before loading: a write that lands in between makes `mark_synced` refuse.
                let seen = store.local_changes(&id)?;
                let doc = store.load_doc(&id)?;
                let state = store.sync_state(&id, &peer)?;
                if doc.is_some() {
                    store.set_sync_status(&id, SyncStatus::Sending, None)?;
                }
                out.push((id, seen, doc, state));
            }
            Ok::<_, SyncClientError>(out)
        })
        .await?;
        let mut seen = Vec::with_capacity(loaded.len());
        let mut docs = Vec::with_capacity(loaded.len());
        for (id, local_changes, doc, state) in loaded {
            let mut doc = doc.unwrap_or_else(AutoCommit::new);
            seen.push((local_changes, doc.get_heads()));
            docs.push((id, doc, state));
        }
        let outcomes = self.conn.exchange_batch(version, &mut docs).await?;

        let peer = self.conn.server().to_string();
        let store = Arc::clone(&self.store);
        blocking(move || {
            let mut results = Vec::with_capacity(docs.len());
            for (((id, mut doc, state), (local_changes, heads_before)), outcome) in
                docs.into_iter().zip(seen).zip(outcomes)
            {
                if let Err(e) = outcome {
                    results.push((id, Err(e)));
                    continue;
                }
                let heads = doc.get_heads();
                let changed = heads != heads_before;
                if !heads.is_empty() {
                    store.save_synced(&id, &mut doc)?;
                    if heads.iter().all(|h| state.shared_heads.contains(h)) {
                        store.mark_synced(&id, local_changes)?;
                    }
                }
                store.save_sync_state(&id, &peer, &state)?;
                results.push((id, Ok(changed)));
            }
            Ok::<_, SyncClientError>(results)
        })
        .await
    }

    /// Sync one document with the server. Returns whether the local copy changed.
    pub async fn sync_doc(&self, version: u32, doc_id: &str) -> Result<bool, SyncClientError> {
        let (store, id, peer) = (
            Arc::clone(&self.store),
            doc_id.to_string(),
            self.conn.server().to_string(),
        );
        let (seen_local_changes, doc, mut state) = blocking(move || {
            // Read before loading: a write that lands in between makes `mark_synced` refuse, never the reverse.
            let seen = store.local_changes(&id)?;
            let doc = store.load_doc(&id)?;
            let state = store.sync_state(&id, &peer)?;
            Ok::<_, SyncClientError>((seen, doc, state))
        })
        .await?;
        let is_new = doc.is_none();
        let mut doc = doc.unwrap_or_else(AutoCommit::new);
        if !is_new {
            let (store, id) = (Arc::clone(&self.store), doc_id.to_string());
            blocking(move || store.set_sync_status(&id, SyncStatus::Sending, None)).await?;
        }
        let heads_before = doc.get_heads();
        self.conn
            .exchange(version, doc_id, &mut doc, &mut state)
            .await?;

        let changed = doc.get_heads() != heads_before;
        let all_acknowledged = doc
            .get_heads()
            .iter()
            .all(|h| state.shared_heads.contains(h));
        let (store, id, peer) = (
            Arc::clone(&self.store),
            doc_id.to_string(),
            self.conn.server().to_string(),
        );
        blocking(move || {
            if !doc.get_heads().is_empty() {
                store.save_synced(&id, &mut doc)?;
                if all_acknowledged {
                    store.mark_synced(&id, seen_local_changes)?;
                }
            }
            store.save_sync_state(&id, &peer, &state)?;
            Ok::<_, SyncClientError>(())
        })
        .await?;
        Ok(changed)
    }
}

pub(crate) async fn blocking<R: Send + 'static, E>(
    work: impl FnOnce() -> Result<R, E> + Send + 'static,
) -> Result<R, SyncClientError>
where
    SyncClientError: From<E>,
    E: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SyncClientError::Task(e.to_string()))?
        .map_err(SyncClientError::from)
}
