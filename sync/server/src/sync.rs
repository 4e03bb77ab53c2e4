//! The per-document sync handler and the change feed.
//!
//! One request carries one automerge sync message from a terminal; the server applies it and answers with
//! its own next message for that terminal (or nothing). Sync state per (document, terminal) lives in memory
//! for the session and its shared heads persist, so a reconnect or a server restart only costs a round.
//! Requests on the same document are serialised by a per-document lock; different documents run in parallel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use automerge::sync::{Message, State as SyncState, SyncDoc};
use automerge::AutoCommit;
use banshi_core::application::APPLICATION_KIND;
use banshi_core::catalogue::CATALOGUE_SCOPE;
use banshi_core::{Clock, ErrorCode, SystemClock};
use banshi_store::DocHeader;
use tokio::sync::Mutex;

use crate::auth::AuthedTerminal;
use crate::storage::{ServerStorage, StorageError, StoredDoc};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("not a valid automerge sync message: {0}")]
    BadMessage(String),
    #[error("the changes in this sync message could not be applied: {0}")]
    BadChanges(String),
    #[error("document {0} has no valid record header (id, kind, scope, schema_version)")]
    NoHeader(String),
    #[error("document header names id {found}, but it was sent as {expected}")]
    IdMismatch { expected: String, found: String },
    #[error("document {doc} belongs to scope {stored}; a change may not move it to {claimed}")]
    ScopeChange {
        doc: String,
        stored: String,
        claimed: String,
    },
    #[error("document {doc} is a {stored}; a change may not turn it into a {claimed}")]
    KindChange {
        doc: String,
        stored: String,
        claimed: String,
    },
    #[error("document {doc} belongs to scope {scope}, which this terminal may not access")]
    OutOfScope { doc: String, scope: String },
    #[error(
        "document {doc} belongs to scope {scope}, which only fleet admin terminals may change"
    )]
    ReadOnlyScope { doc: String, scope: String },
    #[error("stored document {0} is damaged")]
    Corrupt(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for SyncError {
    fn code(&self) -> &'static str {
        match self {
            SyncError::BadMessage(_) => "sync.bad_message",
            SyncError::BadChanges(_) => "sync.bad_changes",
            SyncError::NoHeader(_) => "sync.no_header",
            SyncError::IdMismatch { .. } => "sync.id_mismatch",
            SyncError::ScopeChange { .. } => "sync.scope_change",
            SyncError::KindChange { .. } => "sync.kind_change",
            SyncError::OutOfScope { .. } => "auth.out_of_scope",
            SyncError::ReadOnlyScope { .. } => "sync.read_only_scope",
            SyncError::Corrupt(_) => "sync.corrupt_document",
            SyncError::Storage(e) => e.code(),
        }
    }
}

/// What one sync request did.
#[derive(Debug)]
pub struct SyncOutcome {
    pub reply: Option<Vec<u8>>,
    pub changed: bool,
}

type Key = (String, String);

/// The sync engine over a storage backend.
#[derive(Debug)]
pub struct SyncEngine {
    storage: Arc<dyn ServerStorage>,
    /// Gives the year of official case numbers (hall time).
    clock: Arc<dyn Clock>,
    /// Set once a [`crate::relay::Relay`] runs over this engine: a relay never numbers cases.
    relay: AtomicBool,
    states: Mutex<HashMap<Key, SyncState>>,
    doc_locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl SyncEngine {
    pub fn new(storage: Arc<dyn ServerStorage>) -> Self {
        Self::with_clock(storage, Arc::new(SystemClock))
    }

    pub fn with_clock(storage: Arc<dyn ServerStorage>, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            clock,
            relay: AtomicBool::new(false),
            states: Mutex::default(),
            doc_locks: Mutex::default(),
        }
    }

    pub fn storage(&self) -> &Arc<dyn ServerStorage> {
        &self.storage
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Make this engine a hall relay's: from now on it leaves official case numbers to upstream.
    /// [`crate::relay::Relay::new`] calls it, so whoever runs a relay cannot forget to.
    pub fn mark_relay(&self) {
        self.relay.store(true, Ordering::SeqCst);
    }

    pub fn is_relay(&self) -> bool {
        self.relay.load(Ordering::SeqCst)
    }

    /// The lock that serialises every change to `doc_id` on this node (terminal requests, relay pulls).
    pub(crate) async fn doc_lock(&self, doc_id: &str) -> Arc<Mutex<()>> {
        let mut locks = self.doc_locks.lock().await;
        Arc::clone(locks.entry(doc_id.to_string()).or_default())
    }

    /// Apply `message` (possibly empty) from terminal `who` to document `doc_id` and produce the answer.
    /// A document outside `who`'s scopes is refused before anything of it is read or written.
    pub async fn sync_doc(
        &self,
        doc_id: &str,
        who: &AuthedTerminal,
        message: &[u8],
    ) -> Result<SyncOutcome, SyncError> {
        let peer = who.id.as_str();
        let lock = self.doc_lock(doc_id).await;
        let _guard = lock.lock().await;

        let stored = self.storage.load_doc(doc_id).await?;
        if let Some(s) = &stored {
            if !who.may_access(&s.scope) {
                return Err(SyncError::OutOfScope {
                    doc: doc_id.to_string(),
                    scope: s.scope.clone(),
                });
            }
        }
        let mut doc = match &stored {
            Some(s) => {
                AutoCommit::load(&s.bytes).map_err(|_| SyncError::Corrupt(doc_id.to_string()))?
            }
            None => AutoCommit::new(),
        };
        let key = (doc_id.to_string(), peer.to_string());
        let mut state = match self.states.lock().await.remove(&key) {
            Some(state) => state,
            None => match self.storage.load_sync_state(doc_id, peer).await? {
                Some(bytes) => SyncState::decode(&bytes).unwrap_or_default(),
                None => SyncState::new(),
            },
        };

        let heads_before = doc.get_heads();
        if !message.is_empty() {
            let msg = Message::decode(message).map_err(|e| SyncError::BadMessage(e.to_string()))?;
            doc.sync()
                .receive_sync_message(&mut state, msg)
                .map_err(|e| SyncError::BadChanges(e.to_string()))?;
        }
        let changed = doc.get_heads() != heads_before;
        if changed {
            let header = checked_header(doc_id, &doc, stored.as_ref())?;
            if stored.is_none() && !who.may_access(&header.scope) {
                return Err(SyncError::OutOfScope {
                    doc: doc_id.to_string(),
                    scope: header.scope,
                });
            }
            if header.scope == CATALOGUE_SCOPE
                && !crate::fleet::is_admin_terminal(self.storage.as_ref(), &who.id).await?
            {
                return Err(SyncError::ReadOnlyScope {
                    doc: doc_id.to_string(),
                    scope: header.scope,
                });
            }
            let case = if header.kind == APPLICATION_KIND {
                self.prepare_case(doc_id, &mut doc).await?
            } else {
                None
            };
            self.storage
                .save_doc(
                    doc_id,
                    StoredDoc {
                        kind: header.kind,
                        scope: header.scope.clone(),
                        bytes: doc.save(),
                    },
                )
                .await?;
            if let Some(app) = case {
                crate::cases::index_case(self.storage.as_ref(), doc_id, &header.scope, &app)
                    .await?;
            }
        }
        let reply = doc
            .sync()
            .generate_sync_message(&mut state)
            .map(Message::encode);
        self.storage
            .save_sync_state(doc_id, peer, state.encode())
            .await?;
        self.states.lock().await.insert(key, state);
        Ok(SyncOutcome { reply, changed })
    }

    /// Before a changed application is saved: give it its official number (not on a relay). Returns the
    /// application, to index its numbers once saved.
    async fn prepare_case(
        &self,
        doc_id: &str,
        doc: &mut AutoCommit,
    ) -> Result<Option<banshi_core::application::Application>, SyncError> {
        if self.is_relay() {
            return Ok(autosurgeon::hydrate_prop(&*doc, automerge::ROOT, "body").ok());
        }
        Ok(
            crate::cases::number_case(self.storage.as_ref(), self.clock.as_ref(), doc_id, doc)
                .await?,
        )
    }
}

/// The header of a changed document, checked against its id and (when it existed) its stored scope and
/// kind: a change may neither re-label a document nor move it to another scope.
pub(crate) fn checked_header(
    doc_id: &str,
    doc: &AutoCommit,
    stored: Option<&StoredDoc>,
) -> Result<DocHeader, SyncError> {
    let header: DocHeader = autosurgeon::hydrate_prop(doc, automerge::ROOT, "header")
        .map_err(|_| SyncError::NoHeader(doc_id.to_string()))?;
    if header.id != doc_id {
        return Err(SyncError::IdMismatch {
            expected: doc_id.to_string(),
            found: header.id,
        });
    }
    if let Some(s) = stored {
        if s.scope != header.scope {
            return Err(SyncError::ScopeChange {
                doc: doc_id.to_string(),
                stored: s.scope.clone(),
                claimed: header.scope,
            });
        }
        if s.kind != header.kind {
            return Err(SyncError::KindChange {
                doc: doc_id.to_string(),
                stored: s.kind.clone(),
                claimed: header.kind,
            });
        }
    }
    Ok(header)
}
