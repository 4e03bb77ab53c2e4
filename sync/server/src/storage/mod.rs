//! Where the server keeps documents: a trait with one implementation per backend.
//!
//! The sync logic (`crate::sync`) only talks to [`ServerStorage`]; SQLite is the embedded default and the
//! PostgreSQL backend (several server nodes on one database) implements the same trait and runs the same
//! story tests (`tests/storage_suite.rs`). The trait is async so a network database fits without blocking
//! the runtime.
//!
//! Besides storing, a backend announces committed changes ([`ServerStorage::changes`]) so feed long-polls
//! wake up: in-process for SQLite, through PostgreSQL `LISTEN`/`NOTIFY` across every node on one database.

pub mod postgres;
pub mod sqlite;

use automerge::AutoCommit;
use banshi_core::ErrorCode;
use banshi_sync_protocol::FeedEntry;
use tokio::sync::broadcast;

/// A stored document with what the feed and access control need to know about it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub kind: String,
    pub scope: String,
    pub bytes: Vec<u8>,
}

/// What a terminal (or relay) is allowed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalRole {
    Terminal,
    /// A hall relay: syncs its hall's scopes upstream and may read the hall's terminal list.
    Relay,
}

impl TerminalRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TerminalRole::Terminal => "terminal",
            TerminalRole::Relay => "relay",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "terminal" => Some(TerminalRole::Terminal),
            "relay" => Some(TerminalRole::Relay),
            _ => None,
        }
    }
}

/// An enrolled terminal as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRecord {
    pub id: String,
    pub hall_id: String,
    /// SM2 public key, hex SEC1 uncompressed.
    pub public_key: String,
    pub role: TerminalRole,
    /// Revoked terminals are refused on every request; the row stays so the refusal can say why.
    pub revoked: bool,
    pub enrolled_at_ms: i64,
    pub updated_at_ms: i64,
}

/// An enrollment token as stored: only its SM3 hash, so a database dump does not leak usable tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentToken {
    pub token_sm3: String,
    pub hall_id: String,
    pub role: TerminalRole,
    pub uses_left: i64,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// An upload in progress for one (blob, scope): its declared size and the chunks received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobUpload {
    pub size: u64,
    /// Indexes of the chunks received, ascending.
    pub chunks_present: Vec<u32>,
    /// Grows with every chunk received; passed back to `finish_blob_upload`/`discard_blob_upload`, which
    /// act only if no chunk arrived in between (another node may take chunks while this one verifies).
    pub generation: i64,
}

/// What `finish_blob_upload` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishedUpload {
    /// The content was new and is now stored.
    Stored,
    /// The same content was already stored; only the scope was added.
    Deduplicated,
    /// The upload is gone or received chunks after it was read: nothing was done, verify again.
    Changed,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("server database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("server database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("server database task failed: {0}")]
    Task(String),
    /// A PostgreSQL failure, with the whole error chain in `message` (tokio-postgres alone says "db error").
    #[error("PostgreSQL {context}: {message}")]
    Postgres {
        context: &'static str,
        message: String,
    },
    #[error(
        "unsupported database URL {0:?} (expected sqlite:PATH, postgres://… or postgresql://…)"
    )]
    UnsupportedUrl(String),
    #[error("bad database URL: {0}")]
    BadUrl(String),
}

impl ErrorCode for StorageError {
    fn code(&self) -> &'static str {
        match self {
            StorageError::UnsupportedUrl(_) | StorageError::BadUrl(_) => "server.bad_database_url",
            _ => "server.database",
        }
    }
}

/// What a backend's change stream says after a save committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A document of this scope was saved, on this node or (PostgreSQL) on another one.
    Scope(String),
    /// Announcements may have been missed (the PostgreSQL listener reconnected): any scope may have changed.
    Unknown,
}

/// The pseudo-scope announced when a rollout changes, so terminals waiting for their assignment wake up.
/// Not a document scope: no terminal is granted it.
pub const FLEET_SCOPE: &str = "fleet";

/// How many announcements a slow subscriber may fall behind before it sees `Lagged` (which it must treat
/// like [`Change::Unknown`]).
pub const CHANGES_CAPACITY: usize = 1024;

#[async_trait::async_trait]
pub trait ServerStorage: Send + Sync + std::fmt::Debug {
    async fn load_doc(&self, id: &str) -> Result<Option<StoredDoc>, StorageError>;
    /// Store the whole document and move it to the end of its scope's feed; returns its new position.
    ///
    /// Changes already stored are never lost: if the stored document has changes `doc` lacks (another
    /// server node applied a message to the same document meanwhile), the two are merged. The stored kind
    /// and scope are kept, since a document never changes either. Feed positions become visible in
    /// position order within a scope, so a reader that stores the last position it saw misses nothing.
    /// After the commit, the scope is announced on [`ServerStorage::changes`].
    async fn save_doc(&self, id: &str, doc: StoredDoc) -> Result<i64, StorageError>;
    /// Documents of `scope` changed after `after`, oldest first, at most `limit`.
    async fn feed(
        &self,
        scope: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StorageError>;
    async fn load_sync_state(
        &self,
        doc_id: &str,
        peer: &str,
    ) -> Result<Option<Vec<u8>>, StorageError>;
    async fn save_sync_state(
        &self,
        doc_id: &str,
        peer: &str,
        state: Vec<u8>,
    ) -> Result<(), StorageError>;
    async fn document_count(&self) -> Result<i64, StorageError>;

    // --- terminals and enrollment (see `crate::auth`) ---

    async fn create_enrollment_token(&self, token: EnrollmentToken) -> Result<(), StorageError>;
    /// Use up one use of a token that exists and has not expired at `now_ms`, atomically (two terminals
    /// racing for the last use cannot both win). `None` when the token is unknown, used up or expired.
    async fn redeem_enrollment_token(
        &self,
        token_sm3: &str,
        now_ms: i64,
    ) -> Result<Option<EnrollmentToken>, StorageError>;
    /// Insert or replace a terminal (enrollment, re-enrollment, revocation, moving halls).
    async fn put_terminal(&self, terminal: TerminalRecord) -> Result<(), StorageError>;
    async fn terminal(&self, id: &str) -> Result<Option<TerminalRecord>, StorageError>;
    /// Every terminal, or those of one hall.
    async fn terminals(&self, hall_id: Option<&str>) -> Result<Vec<TerminalRecord>, StorageError>;
    /// Record a request nonce until `expires_at_ms`; `false` when this terminal already used it (a replay).
    /// Forgets nonces that expired before `now_ms`.
    async fn remember_nonce(
        &self,
        terminal_id: &str,
        nonce: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StorageError>;

    // --- cases (see `crate::cases`) ---

    /// The next official sequence number of `item_code` in `year`: 1 for the first case of the year, then
    /// one more on every call. Atomic across every node sharing the database: no two calls get the same.
    async fn next_case_sequence(&self, item_code: &str, year: i32) -> Result<u64, StorageError>;
    /// Remember that `number` (provisional or official) names document `doc_id` of `scope`. Idempotent; a
    /// number already known keeps the document it named first.
    async fn put_case_number(
        &self,
        number: &str,
        doc_id: &str,
        scope: &str,
    ) -> Result<(), StorageError>;
    /// The `(doc_id, scope)` a case number names.
    async fn case_by_number(&self, number: &str) -> Result<Option<(String, String)>, StorageError>;
    /// Documents of `kind`, in every scope, whose latest feed position is after `after`: `(position, id,
    /// bytes)`, ascending, at most `limit`. Like the feed, positions become visible in increasing order, so
    /// a reader that keeps the last position it saw misses nothing.
    async fn docs_of_kind_after(
        &self,
        kind: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StorageError>;

    // --- relay bookkeeping (see `crate::relay`) ---

    /// A named position (0 when never set).
    async fn cursor(&self, name: &str) -> Result<i64, StorageError>;
    async fn set_cursor(&self, name: &str, position: i64) -> Result<(), StorageError>;
    /// Announcements of committed saves, from now on: the scope of every saved document (from every node
    /// sharing the database), or [`Change::Unknown`] when some may have been missed.
    fn changes(&self) -> broadcast::Receiver<Change>;

    // --- blobs (see `crate::blobs`) ---
    //
    // Verified content is kept once per SM3, in chunks; scopes are granted per (blob, scope); uploads in
    // progress are kept per (blob, scope), apart from verified content. The handlers serialise every call
    // about one blob on a node, and `finish_blob_upload` must be atomic, so several nodes stay consistent.

    /// The size of verified blob `sm3` if `scope` may read it.
    /// Fleet state (`crate::fleet`): a JSON value by kind and id.
    async fn fleet_get(&self, kind: &str, id: &str) -> Result<Option<String>, StorageError>;
    /// Every `(id, JSON)` of a kind, by id.
    async fn fleet_list(&self, kind: &str) -> Result<Vec<(String, String)>, StorageError>;
    /// Store a fleet value; with `announce`, wake fleet long-polls on every node (as a change of
    /// [`FLEET_SCOPE`]).
    async fn fleet_put(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        announce: bool,
    ) -> Result<(), StorageError>;

    async fn blob_in_scope(&self, sm3: &str, scope: &str) -> Result<Option<u64>, StorageError>;
    /// One chunk of verified blob `sm3`.
    async fn blob_chunk(&self, sm3: &str, index: u32) -> Result<Option<Vec<u8>>, StorageError>;
    /// The upload in progress for (`sm3`, `scope`), if any.
    async fn blob_upload(&self, sm3: &str, scope: &str)
        -> Result<Option<BlobUpload>, StorageError>;
    /// Keep chunk `index` of the upload for (`sm3`, `scope`) of a blob declared `size` bytes long,
    /// replacing a chunk already received at that index, and bump the upload's generation. An upload in
    /// progress that declared another size starts over (its chunks are dropped): the content decides which
    /// declaration was right.
    async fn put_blob_upload_chunk(
        &self,
        sm3: &str,
        scope: &str,
        size: u64,
        index: u32,
        bytes: Vec<u8>,
    ) -> Result<(), StorageError>;
    /// One chunk of the upload in progress for (`sm3`, `scope`).
    async fn blob_upload_chunk(
        &self,
        sm3: &str,
        scope: &str,
        index: u32,
    ) -> Result<Option<Vec<u8>>, StorageError>;
    /// The upload for (`sm3`, `scope`) at `generation` was verified: keep its chunks as the blob's content
    /// unless that content is already stored (deduplication), let `scope` read the blob, and forget the
    /// upload, all in one transaction, and only if the upload is still at `generation` (else `Changed`).
    async fn finish_blob_upload(
        &self,
        sm3: &str,
        scope: &str,
        generation: i64,
    ) -> Result<FinishedUpload, StorageError>;
    /// Forget the upload for (`sm3`, `scope`) and its chunks (its content did not match its SM3), if it is
    /// still at `generation`. Returns whether it was forgotten.
    async fn discard_blob_upload(
        &self,
        sm3: &str,
        scope: &str,
        generation: i64,
    ) -> Result<bool, StorageError>;
}

/// Wall-clock milliseconds for bookkeeping columns (`updated_at_ms`, `created_at_ms`), the same in every
/// backend. Request checks use the `AppState` clock instead.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Open the backend a `--db` URL names: `sqlite:PATH`, `postgres://…` or `postgresql://…`.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn ServerStorage>, StorageError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return Ok(std::sync::Arc::new(sqlite::SqliteStorage::open(
            std::path::Path::new(path),
        )?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(std::sync::Arc::new(
            postgres::PostgresStorage::connect(url).await?,
        ));
    }
    Err(StorageError::UnsupportedUrl(redact_url(url)))
}

/// `url` with any password replaced by `***`, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The bytes to store when `incoming` replaces `stored`: `incoming` itself when it already holds every
/// stored change (the usual case: the engine loaded `stored`, applied a message and saves the result),
/// otherwise both merged. Two server nodes applying messages to one document at once both end up stored.
pub(crate) fn merge_with_stored(doc_id: &str, stored: &[u8], incoming: Vec<u8>) -> Vec<u8> {
    let (Ok(mut stored_doc), Ok(mut doc)) = (AutoCommit::load(stored), AutoCommit::load(&incoming))
    else {
        // The engine only saves documents it loaded, so only a damaged stored copy gets here; the incoming
        // one is the best there is.
        tracing::warn!(%doc_id, "stored document does not load; replacing it");
        return incoming;
    };
    let stored_heads = stored_doc.get_heads();
    if stored_heads
        .iter()
        .all(|h| doc.get_change_by_hash(h).is_some())
    {
        return incoming;
    }
    match doc.merge(&mut stored_doc) {
        Ok(_) => {
            tracing::debug!(%doc_id, "merged a concurrent save of the same document");
            doc.save()
        }
        Err(error) => {
            tracing::warn!(%doc_id, %error, "could not merge the stored document; keeping the incoming one");
            incoming
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://banshi:s3cret@db.example:5432/banshi?sslmode=disable"),
            "postgres://banshi:***@db.example:5432/banshi?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgresql://postgres@127.0.0.1/postgres"),
            "postgresql://postgres@127.0.0.1/postgres"
        );
        assert_eq!(redact_url("sqlite:/var/lib/x"), "sqlite:/var/lib/x");
    }
}
