//! A hall relay: `banshi-server` with an upstream.
//!
//! In a hall whose WAN link fails, the relay keeps the hall's terminals syncing with each other on the
//! LAN: it is a full server for them (same routes, same storage, same authentication). Whenever the
//! upstream (the central server) is reachable it does, as an enrolled terminal with the `relay` role:
//!
//! 1. learn the hall's enrolled terminals and their keys (so it can authenticate them, and refuse revoked
//!    ones, without the central server);
//! 2. push: every document of its scopes changed locally since the last push (its own change feed, from a
//!    stored cursor) is synced with upstream;
//! 3. pull: upstream's change feed for its scopes, from a stored cursor, each document synced into local
//!    storage.
//!
//! Both directions are automerge sync exchanges with a stored sync state per document, so a change is sent
//! once however often the link drops, and a terminal may switch between relay and central server at any
//! time: automerge merges whatever path a change took, and nothing is duplicated.
//! The relay only knows terminals enrolled centrally while it could reach upstream; a terminal enrolled
//! during an outage syncs once the relay has been online again.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use automerge::sync::State as SyncState;
use automerge::AutoCommit;
use banshi_core::Clock;
use banshi_sync_client::{Connection, SyncClientError, TerminalIdentity};

use crate::storage::{StoredDoc, TerminalRecord, TerminalRole};
use crate::sync::{checked_header, SyncEngine, SyncError};

/// The peer name upstream sync states are kept under.
const UPSTREAM_PEER: &str = "~upstream";

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Upstream(#[from] SyncClientError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl From<crate::storage::StorageError> for RelayError {
    fn from(e: crate::storage::StorageError) -> Self {
        RelayError::Sync(SyncError::Storage(e))
    }
}

/// What one relay pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RelayReport {
    pub terminals: usize,
    pub pushed: usize,
    pub pulled: usize,
}

/// The upstream side of a relay.
#[derive(Debug)]
pub struct Relay {
    conn: Connection,
    engine: Arc<SyncEngine>,
}

impl Relay {
    /// A relay syncing `engine`'s storage with `upstream`, identified by the key kept in `identity_dir`.
    pub fn new(
        upstream: &str,
        relay_id: &str,
        identity_dir: &Path,
        engine: Arc<SyncEngine>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, RelayError> {
        let identity = TerminalIdentity::load_or_create(identity_dir, relay_id)
            .map_err(SyncClientError::from)?;
        engine.mark_relay();
        Ok(Self {
            conn: Connection::new(upstream, Arc::new(identity), "", clock)?,
            engine,
        })
    }

    pub fn is_enrolled(&self) -> bool {
        self.conn.identity().enrollment().is_some()
    }

    /// Enroll with upstream using a relay token (`banshi-server token create --relay`).
    pub async fn enroll(&self, token: &str) -> Result<(), RelayError> {
        self.conn.enroll(token).await?;
        Ok(())
    }

    /// Run passes every `interval` (a failed pass is retried at the next tick) until the task is dropped.
    pub async fn run(self: Arc<Self>, token: Option<String>, interval: Duration) {
        let mut token = token;
        let mut was_ok = true;
        loop {
            if !self.is_enrolled() {
                if let Some(t) = token.as_deref() {
                    match self.enroll(t).await {
                        Ok(()) => token = None,
                        Err(RelayError::Upstream(SyncClientError::Unreachable(_))) => {}
                        Err(error) => {
                            tracing::error!(%error, "relay enrollment refused; ask an admin for a new relay token");
                            token = None;
                        }
                    }
                }
            }
            match self.sync_once().await {
                Ok(report) => {
                    if !was_ok {
                        tracing::info!("upstream reachable again");
                    }
                    if report.pushed + report.pulled > 0 {
                        tracing::debug!(?report, "relayed");
                    }
                    was_ok = true;
                }
                Err(error) => {
                    if was_ok {
                        tracing::warn!(%error, "upstream unreachable; serving the hall locally");
                    }
                    was_ok = false;
                }
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// One pass: terminals, push, pull.
    pub async fn sync_once(&self) -> Result<RelayReport, RelayError> {
        let result = self.pass().await;
        if let Err(RelayError::Upstream(
            SyncClientError::Unreachable(_) | SyncClientError::Refused { .. },
        )) = &result
        {
            self.conn.reset().await;
        }
        result
    }

    async fn pass(&self) -> Result<RelayReport, RelayError> {
        if !self.is_enrolled() {
            return Err(SyncClientError::NotEnrolled.into());
        }
        let (version, scopes) = self.conn.session().await?;
        let storage = Arc::clone(self.engine.storage());
        let mut report = RelayReport::default();

        for entry in self.conn.hall_terminals(version).await? {
            let Some(role) = TerminalRole::parse(&entry.role) else {
                continue;
            };
            let known = storage.terminal(&entry.terminal_id).await?;
            let record = TerminalRecord {
                id: entry.terminal_id,
                hall_id: entry.hall_id,
                public_key: entry.public_key,
                role,
                revoked: entry.status == "revoked",
                enrolled_at_ms: known.as_ref().map(|k| k.enrolled_at_ms).unwrap_or(0),
                updated_at_ms: known.as_ref().map(|k| k.updated_at_ms).unwrap_or(0),
            };
            if known.as_ref() != Some(&record) {
                storage.put_terminal(record).await?;
            }
            report.terminals += 1;
        }

        for scope in &scopes {
            // Push what changed here.
            let name = format!("push:{scope}");
            let mut after = storage.cursor(&name).await?;
            loop {
                let page = storage.feed(scope, after, 500).await?;
                for entry in &page {
                    match self.exchange(version, &entry.doc_id, &scopes).await {
                        Ok(_) => report.pushed += 1,
                        // Losing upstream ends the pass (the cursor stays); a refused document must not
                        // stall the push for good.
                        Err(e @ RelayError::Upstream(SyncClientError::Unreachable(_))) => {
                            return Err(e)
                        }
                        Err(error) => {
                            tracing::warn!(doc_id = %entry.doc_id, %error, "upstream refused a document")
                        }
                    }
                }
                match page.last() {
                    Some(last) => {
                        after = last.position;
                        storage.set_cursor(&name, after).await?;
                    }
                    None => break,
                }
            }
            // Pull what changed upstream.
            let name = format!("pull:{scope}");
            loop {
                let after = storage.cursor(&name).await?;
                let page = self.conn.feed(version, scope, after, None).await?;
                for entry in &page.entries {
                    match self.exchange(version, &entry.doc_id, &scopes).await {
                        Ok(true) => report.pulled += 1,
                        Ok(false) => {}
                        Err(e @ RelayError::Upstream(SyncClientError::Unreachable(_))) => {
                            return Err(e)
                        }
                        Err(error) => {
                            tracing::warn!(doc_id = %entry.doc_id, %error, "relay skipped a document from upstream")
                        }
                    }
                }
                storage.set_cursor(&name, page.next).await?;
                if !page.more {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Sync one document with upstream under the node's document lock. Returns whether the local copy
    /// changed (and was saved, moving it up the local feed).
    async fn exchange(
        &self,
        version: u32,
        doc_id: &str,
        scopes: &[String],
    ) -> Result<bool, RelayError> {
        let storage = self.engine.storage();
        let lock = self.engine.doc_lock(doc_id).await;
        let _guard = lock.lock().await;
        let stored = storage.load_doc(doc_id).await?;
        let mut doc = match &stored {
            Some(s) => {
                AutoCommit::load(&s.bytes).map_err(|_| SyncError::Corrupt(doc_id.to_string()))?
            }
            None => AutoCommit::new(),
        };
        let mut state = match storage.load_sync_state(doc_id, UPSTREAM_PEER).await? {
            Some(bytes) => SyncState::decode(&bytes).unwrap_or_default(),
            None => SyncState::new(),
        };
        let heads_before = doc.get_heads();
        self.conn
            .exchange(version, doc_id, &mut doc, &mut state)
            .await?;
        let changed = doc.get_heads() != heads_before;
        if changed {
            let header = checked_header(doc_id, &doc, stored.as_ref())?;
            if !scopes.contains(&header.scope) {
                return Err(SyncError::OutOfScope {
                    doc: doc_id.to_string(),
                    scope: header.scope,
                }
                .into());
            }
            storage
                .save_doc(
                    doc_id,
                    StoredDoc {
                        kind: header.kind,
                        scope: header.scope,
                        bytes: doc.save(),
                    },
                )
                .await?;
        }
        storage
            .save_sync_state(doc_id, UPSTREAM_PEER, state.encode())
            .await?;
        Ok(changed)
    }
}
