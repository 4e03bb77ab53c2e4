//! The terminal's SQLite store of record documents.
//!
//! Record content reaches the disk only sealed: every snapshot and incremental chunk is SM4-GCM under the
//! terminal's data key, bound (associated data) to its document id and to which column and sequence number
//! it is, so a sealed value cannot be moved to another record or position unnoticed. What stays in clear
//! is what the sync bookkeeping indexes: ids, kinds, scopes, statuses, times, and the automerge sync states
//! (only the heads both sides share, change hashes that carry no record content).

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use automerge::sync::State as SyncState;
use automerge::AutoCommit;
use banshi_core::audit::AuditAction;
use banshi_core::ErrorCode;
use banshi_crypto::{CryptoError, DataKey};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use rusqlite_migration::{Migrations, M};

use crate::record::{self, DocHeader, Record, RecordError, RecordKind};

/// A document is rewritten as one snapshot once this many incremental chunks have piled up
/// (the same threshold samod uses, tech-research A10).
pub const COMPACT_AFTER_CHUNKS: i64 = 10;

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_initial.sql")),
    M::up(include_str!("../migrations/0002_blobs.sql")),
    M::up(include_str!("../migrations/0003_audit.sql")),
];

/// How hard a write must be on disk before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Survives a crash of the process (WAL, `synchronous=NORMAL`).
    Normal,
    /// Survives power loss: the UI is about to tell a person this is saved or print it (`synchronous=FULL`).
    Promised,
}

/// Where a record stands with the sync server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Changed here and not yet sent.
    Local,
    /// Being sent.
    Sending,
    /// The server holds every change of this terminal.
    Synced,
    /// The server refused it; the reason is kept with the status.
    Refused,
}

impl SyncStatus {
    fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Local => "local",
            SyncStatus::Sending => "sending",
            SyncStatus::Synced => "synced",
            SyncStatus::Refused => "refused",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "sending" => SyncStatus::Sending,
            "synced" => SyncStatus::Synced,
            "refused" => SyncStatus::Refused,
            _ => SyncStatus::Local,
        }
    }
}

/// The indexed facts about a stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMeta {
    pub id: String,
    pub kind: String,
    pub scope: String,
    pub sync_status: SyncStatus,
}

/// A record whose changes the server does not hold yet, as the outbox screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsyncedDoc {
    pub id: String,
    pub kind: String,
    /// `Local`, `Sending` or `Refused`, never `Synced`.
    pub sync_status: SyncStatus,
    /// What the server said when it refused the record (`Refused` only).
    pub reason: Option<String>,
    /// When the document last changed here, Unix milliseconds.
    pub changed_at_ms: i64,
}

/// How many records stand in each not-yet-synced status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    pub local: usize,
    pub sending: usize,
    pub refused: usize,
}

impl SyncCounts {
    /// Records the next sync pass will send (what [`Store::pending`] lists).
    pub fn pending(&self) -> usize {
        self.local + self.sending
    }

    /// Every record the server does not hold yet, refused ones included.
    pub fn unsynced(&self) -> usize {
        self.pending() + self.refused
    }
}

/// Errors of the local store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("local database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("local database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored document {id} is damaged: {source}")]
    Corrupt {
        id: String,
        #[source]
        source: Box<automerge::AutomergeError>,
    },
    #[error("stored {part} of {id} could not be decrypted: wrong data key, or it was altered")]
    Decrypt { id: String, part: String },
    #[error("sealing data for the disk failed: {0}")]
    Encrypt(#[source] CryptoError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("record {0} not found")]
    NotFound(String),
    #[error("blob file {path}: {source}")]
    BlobIo {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "blobs are limited to {} MiB ({} bytes)",
        banshi_sync_protocol::MAX_BLOB_BYTES / (1024 * 1024),
        banshi_sync_protocol::MAX_BLOB_BYTES
    )]
    BlobTooLarge,
    #[error("blob {expected} does not match its SM3 (the bytes hash to {got})")]
    BlobHashMismatch { expected: String, got: String },
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Sqlite(_) | StoreError::Migration(_) => "store.database",
            StoreError::Corrupt { .. } => "store.corrupt_document",
            StoreError::Decrypt { .. } => "store.decrypt",
            StoreError::Encrypt(_) => "store.encrypt",
            StoreError::Record(_) => "store.bad_record",
            StoreError::NotFound(_) => "store.not_found",
            StoreError::BlobIo { .. } => "store.blob_io",
            StoreError::BlobTooLarge => "blob.too_large",
            StoreError::BlobHashMismatch { .. } => "blob.hash_mismatch",
        }
    }
}

/// The local store. One SQLite connection behind a mutex: terminals write little, and one writer keeps
/// SQLite's locking out of the picture. Callers on async runtimes use `spawn_blocking`. Blob contents are
/// files in `blobs/` next to the database (see `blobs.rs`). Both are sealed under `key`.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    pub(crate) blob_dir: PathBuf,
    /// The terminal's data key (its `Debug` shows nothing of it).
    pub(crate) key: DataKey,
    /// Hydrated records by document id, with the storage state they were read from (see [`Store::list`]).
    hydrated: Mutex<HashMap<String, HydratedRecord>>,
    /// Who `create`/`update` attribute writes to in the audit log: the staff member operating this
    /// terminal's desk, else the terminal itself (`audit.rs`).
    pub(crate) operator: Mutex<Option<String>>,
}

/// A record as last hydrated (a `Record<T>` of the document's kind) and the stored state it came from.
type HydratedRecord = (StoredState, Box<dyn Any + Send>);

/// What changes in a document's rows on every write: a write appends a chunk (count and last sequence grow)
/// or compacts (a new snapshot, chunks cleared) and always sets the update time. Equal states mean the
/// stored document is the one that was hydrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StoredState {
    updated_at_ms: i64,
    snapshot_len: i64,
    chunks: i64,
    last_seq: i64,
}

impl Store {
    /// Open (creating and migrating if needed) the store at `path`, whose content is sealed under `key`
    /// (from [`crate::keyring::open_data_key`]).
    pub fn open(path: &Path, key: DataKey) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        let blob_dir = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("blobs");
        Ok(Self {
            conn: Mutex::new(conn),
            blob_dir,
            key,
            hydrated: Mutex::default(),
            operator: Mutex::default(),
        })
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back), so the
        // connection is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Create a new record of kind `T` in `scope`, audited as done by `actor` (see `audit.rs`).
    pub(crate) fn create_as<T: RecordKind>(
        &self,
        actor: &str,
        scope: &str,
        body: &T,
        durability: Durability,
    ) -> Result<DocHeader, StoreError> {
        let (header, mut doc) = record::new_record_doc(scope, body)?;
        let snapshot = seal_snapshot(&self.key, &header.id, &doc.save())?;
        let mut conn = self.conn();
        with_durability(&mut conn, durability, |tx| {
            let now = now_ms();
            tx.execute(
                "INSERT INTO documents (id, kind, scope, schema_version, snapshot, created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![header.id, header.kind, header.scope, header.schema_version as i64, snapshot, now],
            )?;
            crate::audit::record_written(tx, actor, AuditAction::RecordCreated, &header)?;
            mark_local(tx, &header.id)?;
            Ok(())
        })?;
        Ok(header)
    }

    /// Change a record through `edit`, audited as done by `actor`; automerge stores only what changed.
    pub(crate) fn update_as<T: RecordKind>(
        &self,
        actor: &str,
        id: &str,
        durability: Durability,
        edit: impl FnOnce(&mut T),
    ) -> Result<Record<T>, StoreError> {
        let mut conn = self.conn();
        let mut doc =
            load_doc(&conn, &self.key, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let mut rec = record::read_record::<T>(&doc)?;
        edit(&mut rec.body);
        record::write_body(&mut doc, &rec.body)?;
        with_durability(&mut conn, durability, |tx| {
            if append_changes(tx, &self.key, id, &mut doc)? {
                crate::audit::record_written(tx, actor, AuditAction::RecordUpdated, &rec.header)?;
            }
            mark_local(tx, id)
        })?;
        Ok(rec)
    }

    /// One record of kind `T`.
    pub fn get<T: RecordKind>(&self, id: &str) -> Result<Option<Record<T>>, StoreError> {
        let conn = self.conn();
        match load_doc(&conn, &self.key, id)? {
            Some(doc) => Ok(Some(record::read_record(&doc)?)),
            None => Ok(None),
        }
    }

    /// Every record of kind `T`, with its sync status, oldest first. A document that fails to hydrate is
    /// logged and skipped, so one bad record never hides the others.
    pub fn list<T: RecordKind + Clone + Send + 'static>(
        &self,
    ) -> Result<Vec<(Record<T>, SyncStatus)>, StoreError> {
        let conn = self.conn();
        // Loading and hydrating an automerge document is the expensive part; a queue screen lists every
        // ticket of the day on each action, while only one or two changed since. So records are kept
        // hydrated and reloaded only when their stored state changed. (The lengths are of the sealed values;
        // they change whenever the plaintext does, and the check never needs to decrypt.)
        let mut stmt = conn.prepare(
            "SELECT d.id, COALESCE(s.status, 'synced'), d.updated_at_ms, length(d.snapshot),
                    (SELECT count(*) FROM document_chunks c WHERE c.doc_id = d.id),
                    (SELECT COALESCE(max(seq), -1) FROM document_chunks c WHERE c.doc_id = d.id)
             FROM documents d LEFT JOIN sync_status s ON s.doc_id = d.id
             WHERE d.kind = ?1 ORDER BY d.created_at_ms, d.id",
        )?;
        let rows: Vec<(String, String, StoredState)> = stmt
            .query_map([T::KIND], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    StoredState {
                        updated_at_ms: r.get(2)?,
                        snapshot_len: r.get(3)?,
                        chunks: r.get(4)?,
                        last_seq: r.get(5)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut cache = self.hydrated.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(rows.len());
        for (id, status, state) in rows {
            let cached = cache
                .get(&id)
                .filter(|(s, _)| *s == state)
                .and_then(|(_, rec)| rec.downcast_ref::<Record<T>>())
                .cloned();
            let rec = match cached {
                Some(rec) => rec,
                None => {
                    let Some(doc) = load_doc(&conn, &self.key, &id)? else {
                        continue;
                    };
                    match record::read_record::<T>(&doc) {
                        Ok(rec) => {
                            cache.insert(id.clone(), (state, Box::new(rec.clone())));
                            rec
                        }
                        Err(error) => {
                            tracing::warn!(%id, %error, "skipping unreadable record");
                            continue;
                        }
                    }
                }
            };
            out.push((rec, SyncStatus::parse(&status)));
        }
        Ok(out)
    }

    /// The raw document, for the sync client.
    pub fn load_doc(&self, id: &str) -> Result<Option<AutoCommit>, StoreError> {
        load_doc(&self.conn(), &self.key, id)
    }

    /// Save what a sync round added to `doc`. A document this store has never seen is created (its header
    /// says what it is). Returns whether anything was new.
    pub fn save_synced(&self, id: &str, doc: &mut AutoCommit) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?;
        if exists {
            let tx = conn.transaction()?;
            let changed = append_changes(&tx, &self.key, id, doc)?;
            tx.commit()?;
            return Ok(changed);
        }
        let header = record::read_header(doc)?;
        let snapshot = seal_snapshot(&self.key, id, &doc.save())?;
        let tx = conn.transaction()?;
        let now = now_ms();
        tx.execute(
            "INSERT INTO documents (id, kind, scope, schema_version, snapshot, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![id, header.kind, header.scope, header.schema_version as i64, snapshot, now],
        )?;
        set_status(&tx, id, SyncStatus::Synced, None)?;
        tx.commit()?;
        Ok(true)
    }

    /// Merge a record document that came from elsewhere (an import from removable media) into the store.
    /// Returns whether anything was new. New changes make the record `local` again so it is sent on; the
    /// same document imported twice changes nothing.
    pub fn import_doc(&self, incoming: &mut AutoCommit) -> Result<bool, StoreError> {
        let header = record::read_header(incoming)?;
        let id = header.id.clone();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = match load_doc(&tx, &self.key, &id)? {
            Some(mut stored) => {
                let before = stored.get_heads();
                stored.merge(incoming).map_err(|e| StoreError::Corrupt {
                    id: id.clone(),
                    source: Box::new(e),
                })?;
                if stored.get_heads() == before {
                    false
                } else {
                    append_changes(&tx, &self.key, &id, &mut stored)?
                }
            }
            None => {
                let snapshot = seal_snapshot(&self.key, &id, &incoming.save())?;
                tx.execute(
                    "INSERT INTO documents (id, kind, scope, schema_version, snapshot, created_at_ms, updated_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    params![id, header.kind, header.scope, header.schema_version as i64, snapshot, now_ms()],
                )?;
                true
            }
        };
        if changed {
            mark_local(&tx, &id)?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Documents with changes the server has not confirmed (status local or sending).
    pub fn pending(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT doc_id FROM sync_status WHERE status IN ('local', 'sending') ORDER BY updated_at_ms, doc_id",
        )?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Records the server does not hold yet (local, sending or refused), the longest-waiting first, at most
    /// `limit` of them. Audit batches are left out here and in [`Store::sync_counts`]: they are the terminal's
    /// own bookkeeping, packed while online, and a pass cut short would otherwise show residents and staff a
    /// record nobody made (they are still sent, by [`Store::pending`]). A terminal that was offline for days
    /// may hold thousands, and a screen shows a page.
    pub fn unsynced(&self, limit: usize) -> Result<Vec<UnsyncedDoc>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT d.id, d.kind, s.status, s.reason, d.updated_at_ms FROM sync_status s
             JOIN documents d ON d.id = s.doc_id
             WHERE s.status IN ('local', 'sending', 'refused') AND d.kind != 'audit-batch'
             ORDER BY d.updated_at_ms, d.id LIMIT ?1",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let docs = stmt
            .query_map([limit], |r| {
                Ok(UnsyncedDoc {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    sync_status: SyncStatus::parse(&r.get::<_, String>(2)?),
                    reason: r.get(3)?,
                    changed_at_ms: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(docs)
    }

    /// How many records are local, sending and refused; one indexed query, cheap enough for every status
    /// refresh.
    pub fn sync_counts(&self) -> Result<SyncCounts, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT s.status, count(*) FROM sync_status s JOIN documents d ON d.id = s.doc_id
             WHERE s.status != 'synced' AND d.kind != 'audit-batch' GROUP BY s.status",
        )?;
        let mut counts = SyncCounts::default();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (status, n) = row?;
            let n = usize::try_from(n).unwrap_or(0);
            match SyncStatus::parse(&status) {
                SyncStatus::Local => counts.local += n,
                SyncStatus::Sending => counts.sending += n,
                SyncStatus::Refused => counts.refused += n,
                SyncStatus::Synced => {}
            }
        }
        Ok(counts)
    }

    /// SQLite's own consistency check of the whole file: `["ok"]` when the database is sound, otherwise
    /// one line per problem found.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let lines = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(lines)
    }

    pub fn set_sync_status(
        &self,
        id: &str,
        status: SyncStatus,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        set_status(&self.conn(), id, status, reason)
    }

    /// How many local writes a record has had; read before a sync pass, passed to [`Store::mark_synced`].
    pub fn local_changes(&self, id: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT local_changes FROM sync_status WHERE doc_id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// Mark a record synced, unless it was written locally after `seen_local_changes` was read — then the
    /// server has not got that write yet, and the record stays pending. Returns whether it was marked.
    pub fn mark_synced(&self, id: &str, seen_local_changes: i64) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "UPDATE sync_status SET status = 'synced', reason = NULL, updated_at_ms = ?3
             WHERE doc_id = ?1 AND local_changes = ?2",
            params![id, seen_local_changes, now_ms()],
        )?;
        Ok(changed == 1)
    }

    pub fn meta(&self, id: &str) -> Result<Option<DocMeta>, StoreError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT d.id, d.kind, d.scope, COALESCE(s.status, 'synced') FROM documents d
                 LEFT JOIN sync_status s ON s.doc_id = d.id WHERE d.id = ?1",
                [id],
                |r| {
                    Ok(DocMeta {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        scope: r.get(2)?,
                        sync_status: SyncStatus::parse(&r.get::<_, String>(3)?),
                    })
                },
            )
            .optional()?)
    }

    /// The automerge sync state with `peer` for a document (fresh if none was kept).
    pub fn sync_state(&self, doc_id: &str, peer: &str) -> Result<SyncState, StoreError> {
        let conn = self.conn();
        let bytes: Option<Vec<u8>> = conn
            .query_row(
                "SELECT state FROM sync_states WHERE doc_id = ?1 AND peer = ?2",
                [doc_id, peer],
                |r| r.get(0),
            )
            .optional()?;
        // A state that no longer decodes only costs a slower first round: start afresh.
        Ok(bytes
            .and_then(|b| SyncState::decode(&b).ok())
            .unwrap_or_default())
    }

    pub fn save_sync_state(
        &self,
        doc_id: &str,
        peer: &str,
        state: &SyncState,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO sync_states (doc_id, peer, state) VALUES (?1, ?2, ?3)
             ON CONFLICT (doc_id, peer) DO UPDATE SET state = excluded.state",
            params![doc_id, peer, state.encode()],
        )?;
        Ok(())
    }

    /// Delete every record outside `keep_scopes`, with its sync bookkeeping, and forget feed cursors of
    /// other scopes. Used when the server no longer grants a scope (terminal moved to another hall) or no
    /// longer trusts the terminal at all (revoked: `keep_scopes` empty). Blobs of other scopes go too
    /// (their files once no kept scope refers to them). Returns how many records went.
    pub fn purge_outside_scopes(&self, keep_scopes: &[String]) -> Result<usize, StoreError> {
        let records = self.purge_records_outside_scopes(keep_scopes)?;
        self.purge_blobs_outside_scopes(keep_scopes)?;
        Ok(records)
    }

    fn purge_records_outside_scopes(&self, keep_scopes: &[String]) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let keep = serde_json::to_string(keep_scopes).unwrap_or_else(|_| "[]".into());
        let gone: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT id FROM documents WHERE scope NOT IN (SELECT value FROM json_each(?1))",
            )?;
            let ids = stmt
                .query_map([&keep], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            ids
        };
        for id in &gone {
            tx.execute("DELETE FROM sync_states WHERE doc_id = ?1", [id])?;
            tx.execute("DELETE FROM document_chunks WHERE doc_id = ?1", [id])?;
            tx.execute("DELETE FROM sync_status WHERE doc_id = ?1", [id])?;
            tx.execute("DELETE FROM documents WHERE id = ?1", [id])?;
        }
        tx.execute(
            "DELETE FROM feed_cursors WHERE scope NOT IN (SELECT value FROM json_each(?1))",
            [&keep],
        )?;
        tx.commit()?;
        Ok(gone.len())
    }

    /// Forget local copies of records the server holds (retention): each id still `synced` at the time of
    /// the delete goes, with its sync bookkeeping; one changed meanwhile stays. Returns how many went.
    pub fn forget_synced(&self, ids: &[String]) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut gone = 0;
        for id in ids {
            let synced: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM sync_status WHERE doc_id = ?1 AND status = 'synced')",
                [id],
                |r| r.get(0),
            )?;
            if !synced {
                continue;
            }
            tx.execute("DELETE FROM sync_states WHERE doc_id = ?1", [id])?;
            tx.execute("DELETE FROM document_chunks WHERE doc_id = ?1", [id])?;
            tx.execute("DELETE FROM sync_status WHERE doc_id = ?1", [id])?;
            gone += tx.execute("DELETE FROM documents WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        let mut cache = self.hydrated.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            cache.remove(id);
        }
        Ok(gone)
    }

    /// Which scopes the stored records belong to, with how many records each (sorted by scope).
    pub fn scopes(&self) -> Result<Vec<(String, usize)>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT scope, count(*) FROM documents GROUP BY scope ORDER BY scope")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn feed_cursor(&self, peer: &str, scope: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT position FROM feed_cursors WHERE peer = ?1 AND scope = ?2",
                [peer, scope],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    pub fn set_feed_cursor(
        &self,
        peer: &str,
        scope: &str,
        position: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO feed_cursors (peer, scope, position) VALUES (?1, ?2, ?3)
             ON CONFLICT (peer, scope) DO UPDATE SET position = excluded.position",
            params![peer, scope, position],
        )?;
        Ok(())
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn with_durability<R>(
    conn: &mut Connection,
    durability: Durability,
    work: impl FnOnce(&Transaction<'_>) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    if durability == Durability::Promised {
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    let result = (|| {
        let tx = conn.transaction()?;
        let out = work(&tx)?;
        tx.commit()?;
        Ok(out)
    })();
    if durability == Durability::Promised {
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    result
}

fn mark_local(conn: &Connection, id: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sync_status (doc_id, status, local_changes, updated_at_ms) VALUES (?1, 'local', 1, ?2)
         ON CONFLICT (doc_id) DO UPDATE SET status = 'local', reason = NULL,
         local_changes = local_changes + 1, updated_at_ms = excluded.updated_at_ms",
        params![id, now_ms()],
    )?;
    Ok(())
}

fn set_status(
    conn: &Connection,
    id: &str,
    status: SyncStatus,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO sync_status (doc_id, status, reason, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (doc_id) DO UPDATE SET status = excluded.status, reason = excluded.reason,
         updated_at_ms = excluded.updated_at_ms",
        params![id, status.as_str(), reason, now_ms()],
    )?;
    Ok(())
}

/// What a sealed document value is bound to: the record and its place (the snapshot, or chunk `seq`).
fn record_aad(id: &str, chunk_seq: Option<i64>) -> Vec<u8> {
    match chunk_seq {
        None => format!("banshi record v1\0{id}\0snapshot"),
        Some(seq) => format!("banshi record v1\0{id}\0chunk\0{seq}"),
    }
    .into_bytes()
}

fn seal_snapshot(key: &DataKey, id: &str, bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    banshi_crypto::seal(key, bytes, &record_aad(id, None)).map_err(StoreError::Encrypt)
}

fn open_sealed(
    key: &DataKey,
    id: &str,
    chunk_seq: Option<i64>,
    sealed: &[u8],
) -> Result<Vec<u8>, StoreError> {
    banshi_crypto::open(key, sealed, &record_aad(id, chunk_seq)).map_err(|_| StoreError::Decrypt {
        id: id.to_string(),
        part: match chunk_seq {
            None => "snapshot".to_string(),
            Some(seq) => format!("chunk {seq}"),
        },
    })
}

fn load_doc(conn: &Connection, key: &DataKey, id: &str) -> Result<Option<AutoCommit>, StoreError> {
    let snapshot: Option<Vec<u8>> = conn
        .query_row("SELECT snapshot FROM documents WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(snapshot) = snapshot else {
        return Ok(None);
    };
    let corrupt = |source| StoreError::Corrupt {
        id: id.to_string(),
        source: Box::new(source),
    };
    let snapshot = open_sealed(key, id, None, &snapshot)?;
    let mut doc = AutoCommit::load(&snapshot).map_err(corrupt)?;
    let mut stmt = conn
        .prepare_cached("SELECT seq, bytes FROM document_chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let chunks = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    for chunk in chunks {
        let (seq, sealed) = chunk?;
        let chunk = open_sealed(key, id, Some(seq), &sealed)?;
        doc.load_incremental(&chunk).map_err(corrupt)?;
    }
    // Everything loaded is already on disk: the next save_incremental must hold only new changes.
    doc.save_incremental();
    Ok(Some(doc))
}

/// Append `doc`'s unsaved changes as a chunk, compacting into a new snapshot when chunks pile up.
fn append_changes(
    tx: &Transaction<'_>,
    key: &DataKey,
    id: &str,
    doc: &mut AutoCommit,
) -> Result<bool, StoreError> {
    let chunk = doc.save_incremental();
    if chunk.is_empty() {
        return Ok(false);
    }
    let (chunks, next_seq): (i64, i64) = tx.query_row(
        "SELECT count(*), COALESCE(max(seq), 0) + 1 FROM document_chunks WHERE doc_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if chunks + 1 >= COMPACT_AFTER_CHUNKS {
        tx.execute("DELETE FROM document_chunks WHERE doc_id = ?1", [id])?;
        tx.execute(
            "UPDATE documents SET snapshot = ?2, updated_at_ms = ?3 WHERE id = ?1",
            params![id, seal_snapshot(key, id, &doc.save())?, now_ms()],
        )?;
    } else {
        tx.execute(
            "INSERT INTO document_chunks (doc_id, seq, bytes) VALUES (?1, ?2, ?3)",
            params![
                id,
                next_seq,
                banshi_crypto::seal(key, &chunk, &record_aad(id, Some(next_seq)))
                    .map_err(StoreError::Encrypt)?
            ],
        )?;
        tx.execute(
            "UPDATE documents SET updated_at_ms = ?2 WHERE id = ?1",
            params![id, now_ms()],
        )?;
    }
    Ok(true)
}

/// One fixed key, so a test can reopen what it wrote.
#[cfg(test)]
pub(crate) fn test_key() -> DataKey {
    DataKey::from_bytes(*b"banshi test key!")
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use banshi_core::queue::{Priority, Ticket};
    use time::macros::datetime;

    fn ticket(n: u32) -> Ticket {
        Ticket::issue(
            "hk-longhua",
            "A",
            n,
            "qm-01",
            datetime!(2026-11-23 09:00 +8),
        )
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("terminal.sqlite"), test_key()).expect("open");
        (dir, store)
    }

    #[test]
    fn records_survive_reopening_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("terminal.sqlite");
        let header = {
            let store = Store::open(&path, test_key()).expect("open");
            store
                .create("hall:hk-longhua", &ticket(1), Durability::Promised)
                .expect("create")
        };
        let store = Store::open(&path, test_key()).expect("reopen");
        let rec = store
            .get::<Ticket>(&header.id)
            .expect("get")
            .expect("present");
        assert_eq!(rec.body, ticket(1));
        assert_eq!(rec.header.kind, "ticket");
        assert_eq!(store.pending().expect("pending"), vec![header.id]);
    }

    #[test]
    fn many_updates_compact_into_a_snapshot_and_keep_the_latest_state() {
        let (_dir, store) = store();
        let header = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        for n in 2..=25 {
            store
                .update::<Ticket>(&header.id, Durability::Normal, |t| t.number = n)
                .expect("update");
        }
        store
            .update::<Ticket>(&header.id, Durability::Normal, |t| {
                t.priority = Priority::Green
            })
            .expect("update");
        let chunks: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM document_chunks WHERE doc_id = ?1",
                [&header.id],
                |r| r.get(0),
            )
            .expect("count");
        assert!(
            chunks < COMPACT_AFTER_CHUNKS,
            "chunks were not compacted: {chunks}"
        );
        let rec = store
            .get::<Ticket>(&header.id)
            .expect("get")
            .expect("present");
        assert_eq!((rec.body.number, rec.body.priority), (25, Priority::Green));
    }

    #[test]
    fn a_document_received_by_sync_is_created_with_its_header() {
        let (_d1, a) = store();
        let (_d2, b) = store();
        let header = a
            .create("hall:x", &ticket(7), Durability::Normal)
            .expect("create");
        let mut doc_a = a.load_doc(&header.id).expect("load").expect("present");
        let mut doc_b = AutoCommit::new();
        let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
        for _ in 0..10 {
            let m1 = doc_a.sync().generate_sync_message(&mut sa);
            if let Some(m) = m1.clone() {
                doc_b
                    .sync()
                    .receive_sync_message(&mut sb, m)
                    .expect("recv b");
            }
            let m2 = doc_b.sync().generate_sync_message(&mut sb);
            if let Some(m) = m2.clone() {
                doc_a
                    .sync()
                    .receive_sync_message(&mut sa, m)
                    .expect("recv a");
            }
            if m1.is_none() && m2.is_none() {
                break;
            }
        }
        assert!(b.save_synced(&header.id, &mut doc_b).expect("save"));
        let meta = b.meta(&header.id).expect("meta").expect("present");
        assert_eq!(
            (meta.kind.as_str(), meta.sync_status),
            ("ticket", SyncStatus::Synced)
        );
        assert_eq!(b.list::<Ticket>().expect("list")[0].0.body, ticket(7));
    }

    #[test]
    fn a_corrupted_sealed_snapshot_is_a_decrypt_error_naming_the_record_not_a_panic() {
        let (_dir, store) = store();
        let header = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        {
            let conn = store.conn();
            let mut sealed: Vec<u8> = conn
                .query_row(
                    "SELECT snapshot FROM documents WHERE id = ?1",
                    [&header.id],
                    |r| r.get(0),
                )
                .expect("read");
            sealed[20] ^= 0x01;
            conn.execute(
                "UPDATE documents SET snapshot = ?2 WHERE id = ?1",
                params![header.id, sealed],
            )
            .expect("corrupt");
        }
        let err = store.get::<Ticket>(&header.id).expect_err("must fail");
        assert_eq!(err.code(), "store.decrypt");
        assert!(err.to_string().contains(&header.id), "{err}");
        assert_eq!(
            store.list::<Ticket>().expect_err("list").code(),
            "store.decrypt"
        );
        // Too short to be sealed at all: the same error.
        store
            .conn()
            .execute(
                "UPDATE documents SET snapshot = x'00ff00ff' WHERE id = ?1",
                [&header.id],
            )
            .expect("truncate");
        assert_eq!(
            store.get::<Ticket>(&header.id).expect_err("short").code(),
            "store.decrypt"
        );
    }

    #[test]
    fn a_sealed_value_moved_to_another_record_or_place_does_not_open() {
        let (_dir, store) = store();
        let a = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("a");
        let b = store
            .create("hall:x", &ticket(2), Durability::Normal)
            .expect("b");
        store
            .update::<Ticket>(&a.id, Durability::Normal, |t| t.printed = true)
            .expect("chunk 1");
        store
            .update::<Ticket>(&a.id, Durability::Normal, |t| t.number = 9)
            .expect("chunk 2");
        let conn = store.conn();
        conn.execute(
            "UPDATE documents SET snapshot = (SELECT snapshot FROM documents WHERE id = ?1) WHERE id = ?2",
            [&a.id, &b.id],
        )
        .expect("swap");
        conn.execute(
            "UPDATE document_chunks SET bytes = (SELECT bytes FROM document_chunks WHERE doc_id = ?1 AND seq = 2)
             WHERE doc_id = ?1 AND seq = 1",
            [&a.id],
        )
        .expect("reorder");
        drop(conn);
        let e = store.get::<Ticket>(&b.id).expect_err("swapped snapshot");
        assert_eq!(e.code(), "store.decrypt");
        let e = store.get::<Ticket>(&a.id).expect_err("reordered chunks");
        assert_eq!(e.code(), "store.decrypt");
        assert!(e.to_string().contains("chunk"), "{e}");
    }

    #[test]
    fn sealed_content_that_is_not_a_document_is_reported_as_damaged() {
        let (_dir, store) = store();
        let header = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        let garbage = seal_snapshot(&store.key, &header.id, b"not automerge").expect("seal");
        store
            .conn()
            .execute(
                "UPDATE documents SET snapshot = ?2 WHERE id = ?1",
                params![header.id, garbage],
            )
            .expect("replace");
        assert_eq!(
            store.get::<Ticket>(&header.id).expect_err("damaged").code(),
            "store.corrupt_document"
        );
    }

    /// A record kind holding what issue 7 must not leave readable on disk (test only).
    #[derive(Debug, Clone, PartialEq, Eq, autosurgeon::Reconcile, autosurgeon::Hydrate)]
    struct Person {
        name: String,
        id_number: String,
        note: String,
    }

    impl RecordKind for Person {
        const KIND: &'static str = "test-person";
        const SCHEMA_VERSION: u64 = 1;
    }

    const ID_NUMBER: &str = "110101199003071234";
    const NAME: &str = "测试甲";

    /// Every byte string a scan of the disk must not find: the ID number and the name as UTF-8, the name
    /// in GB18030 and in UTF-16 either way round.
    fn forbidden() -> Vec<(&'static str, Vec<u8>)> {
        let (gb, _, _) = encoding_rs::GB18030.encode(NAME);
        vec![
            ("id number", ID_NUMBER.as_bytes().to_vec()),
            ("name utf-8", NAME.as_bytes().to_vec()),
            ("name gb18030", gb.into_owned()),
            (
                "name utf-16le",
                NAME.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            ),
            (
                "name utf-16be",
                NAME.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ),
        ]
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Files under `dir`, recursively.
    fn all_files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(all_files(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    fn assert_nothing_in_clear(dir: &Path) -> usize {
        let files = all_files(dir);
        for file in &files {
            let bytes = std::fs::read(file).expect("read");
            for (what, needle) in forbidden() {
                assert!(
                    !contains(&bytes, &needle),
                    "{what} found in clear in {}",
                    file.display()
                );
            }
        }
        files.len()
    }

    #[test]
    fn a_known_id_number_and_name_are_not_in_the_database_file_or_blobs_in_clear() {
        let root = tempfile::tempdir().expect("tempdir");
        let data = root.path().join("data");
        let kek = crate::keyring::KekSource::File(root.path().join("keys").join("t.kek"));
        let person = Person {
            name: NAME.into(),
            id_number: ID_NUMBER.into(),
            note: String::new(),
        };
        let blob = format!("scan of the card of {NAME}, {ID_NUMBER}").repeat(40_000);
        let (header, blob_meta, later) = {
            let key = crate::keyring::open_data_key(&data, &kek).expect("key");
            let store = Store::open(&data.join("terminal.sqlite"), key).expect("open");
            let header = store
                .create("hall:x", &person, Durability::Promised)
                .expect("create");
            // Chunks, a compaction, then more chunks: every way content reaches the rows.
            for n in 0..(COMPACT_AFTER_CHUNKS + 3) {
                store
                    .update::<Person>(&header.id, Durability::Normal, |p| {
                        p.note = format!("{n}: {NAME} {ID_NUMBER}")
                    })
                    .expect("update");
            }
            // The same record arriving by import and by sync into this store, too.
            let mut doc = store.load_doc(&header.id).expect("load").expect("present");
            assert!(
                contains(&doc.save_nocompress(), ID_NUMBER.as_bytes()),
                "the test data must be visible in an unsealed document"
            );
            let later = Person {
                name: format!("{NAME}乙"),
                id_number: ID_NUMBER.into(),
                note: NAME.into(),
            };
            let (later_header, mut later_doc) =
                record::new_record_doc("hall:x", &later).expect("doc");
            store.import_doc(&mut later_doc).expect("import");
            let state = store.sync_state(&header.id, "server").expect("state");
            store
                .save_sync_state(&header.id, "server", &state)
                .expect("save state");
            let blob_meta = store
                .add_blob_bytes("hall:x", blob.as_bytes())
                .expect("blob");
            // A download cut off after its first chunk leaves a partial file.
            let other = format!("{ID_NUMBER} {NAME}").repeat(100_000);
            let other_sm3 = banshi_crypto::sm3_hex(other.as_bytes());
            let mut download = store
                .begin_blob_download(&other_sm3, other.len() as u64)
                .expect("begin");
            download
                .append(&other.as_bytes()[..banshi_sync_protocol::BLOB_CHUNK_BYTES as usize])
                .expect("append");
            drop(download);
            // While the store is open the WAL holds the newest pages.
            assert!(data.join("terminal.sqlite-wal").exists());
            assert_nothing_in_clear(&data);
            (header, blob_meta, later_header)
        };
        let files = assert_nothing_in_clear(&data);
        assert!(files >= 4, "db, sealed key, blob, partial: {files} files");

        let key = crate::keyring::open_data_key(&data, &kek).expect("key again");
        let store = Store::open(&data.join("terminal.sqlite"), key).expect("reopen");
        let rec = store
            .get::<Person>(&header.id)
            .expect("get")
            .expect("present");
        assert_eq!(
            (rec.body.name.as_str(), rec.body.id_number.as_str()),
            (NAME, ID_NUMBER)
        );
        assert_eq!(
            rec.body.note,
            format!("{}: {NAME} {ID_NUMBER}", COMPACT_AFTER_CHUNKS + 2)
        );
        let imported = store
            .get::<Person>(&later.id)
            .expect("get")
            .expect("present");
        assert_eq!(imported.body.name, format!("{NAME}乙"));
        assert_eq!(store.list::<Person>().expect("list").len(), 2);
        assert_eq!(
            store.read_blob(&blob_meta.sm3).expect("blob"),
            blob.as_bytes()
        );
    }

    #[test]
    fn the_wrong_data_key_reads_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("terminal.sqlite");
        let header = Store::open(&path, test_key())
            .expect("open")
            .create("hall:x", &ticket(1), Durability::Promised)
            .expect("create");
        let other = Store::open(&path, DataKey::from_bytes([1; 16])).expect("open");
        assert_eq!(
            other
                .get::<Ticket>(&header.id)
                .expect_err("wrong key")
                .code(),
            "store.decrypt"
        );
    }

    #[test]
    fn an_edit_made_during_a_sync_pass_is_not_marked_synced() {
        let (_dir, store) = store();
        let header = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        let seen = store.local_changes(&header.id).expect("seen");
        // The ticket machine records the print while the sync pass is talking to the server.
        store
            .update::<Ticket>(&header.id, Durability::Normal, |t| t.printed = true)
            .expect("update");
        assert!(!store.mark_synced(&header.id, seen).expect("mark"));
        assert_eq!(store.pending().expect("pending"), vec![header.id.clone()]);
        let seen = store.local_changes(&header.id).expect("seen");
        assert!(store.mark_synced(&header.id, seen).expect("mark"));
        assert!(store.pending().expect("pending").is_empty());
    }

    #[test]
    fn unsynced_lists_local_sending_and_refused_records_with_the_refusal_reason() {
        let (_dir, store) = store();
        let ids: Vec<String> = (1..=4)
            .map(|n| {
                store
                    .create("hall:x", &ticket(n), Durability::Normal)
                    .expect("create")
                    .id
            })
            .collect();
        let seen = store.local_changes(&ids[0]).expect("seen");
        assert!(store.mark_synced(&ids[0], seen).expect("mark"));
        store
            .set_sync_status(&ids[1], SyncStatus::Sending, None)
            .expect("sending");
        store
            .set_sync_status(&ids[2], SyncStatus::Refused, Some("scope not granted"))
            .expect("refused");

        let unsynced = store.unsynced(100).expect("unsynced");
        let summary: Vec<(&str, SyncStatus, Option<&str>)> = unsynced
            .iter()
            .map(|d| (d.id.as_str(), d.sync_status, d.reason.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (ids[1].as_str(), SyncStatus::Sending, None),
                (
                    ids[2].as_str(),
                    SyncStatus::Refused,
                    Some("scope not granted")
                ),
                (ids[3].as_str(), SyncStatus::Local, None),
            ]
        );
        assert!(unsynced
            .iter()
            .all(|d| d.kind == "ticket" && d.changed_at_ms > 0));
        assert_eq!(store.unsynced(2).expect("unsynced").len(), 2);
        let counts = store.sync_counts().expect("counts");
        assert_eq!(
            counts,
            SyncCounts {
                local: 1,
                sending: 1,
                refused: 1
            }
        );
        assert_eq!((counts.pending(), counts.unsynced()), (2, 3));
        assert_eq!(counts.pending(), store.pending().expect("pending").len());
    }

    #[test]
    fn integrity_check_reports_ok_for_a_sound_file() {
        let (_dir, store) = store();
        store
            .create("hall:x", &ticket(1), Durability::Promised)
            .expect("create");
        assert_eq!(store.integrity_check().expect("check"), vec!["ok"]);
    }

    #[test]
    fn sync_state_and_feed_cursor_persist() {
        let (_dir, store) = store();
        assert_eq!(store.feed_cursor("server", "hall:x").expect("cursor"), 0);
        store.set_feed_cursor("server", "hall:x", 42).expect("set");
        assert_eq!(store.feed_cursor("server", "hall:x").expect("cursor"), 42);
        let state = store.sync_state("doc", "server").expect("state");
        store
            .save_sync_state("doc", "server", &state)
            .expect("save");
    }
}
