//! Where the server keeps documents: a trait with one implementation per backend.
//!
//! The sync logic (`crate::sync`) only talks to [`ServerStorage`]; SQLite is the embedded default and the
//! PostgreSQL backend (several server nodes on one database) implements the same trait and runs the same
//! story tests. The trait is async so a network database fits without blocking the runtime.

pub mod sqlite;

use banshi_core::ErrorCode;
use banshi_sync_protocol::FeedEntry;

/// A stored document with what the feed and access control need to know about it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub kind: String,
    pub scope: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("server database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("server database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("server database task failed: {0}")]
    Task(String),
    #[error("unsupported database URL {0:?} (expected sqlite:PATH)")]
    UnsupportedUrl(String),
}

impl ErrorCode for StorageError {
    fn code(&self) -> &'static str {
        match self {
            StorageError::UnsupportedUrl(_) => "server.bad_database_url",
            _ => "server.database",
        }
    }
}

#[async_trait::async_trait]
pub trait ServerStorage: Send + Sync + std::fmt::Debug {
    async fn load_doc(&self, id: &str) -> Result<Option<StoredDoc>, StorageError>;
    /// Store the whole document and move it to the end of its scope's feed; returns its new position.
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
}

/// Open the backend a `--db` URL names.
pub fn open(url: &str) -> Result<std::sync::Arc<dyn ServerStorage>, StorageError> {
    match url.strip_prefix("sqlite:") {
        Some(path) => Ok(std::sync::Arc::new(sqlite::SqliteStorage::open(
            std::path::Path::new(path),
        )?)),
        None => Err(StorageError::UnsupportedUrl(url.to_string())),
    }
}
