//! The embedded SQLite backend: one file, one writer connection, WAL. One server process owns the file, so
//! change announcements stay in-process.

use std::path::Path;
use std::sync::{Arc, Mutex};

use banshi_sync_protocol::FeedEntry;
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use tokio::sync::broadcast;

use super::{merge_with_stored, Change, ServerStorage, StorageError, StoredDoc, CHANGES_CAPACITY};

const MIGRATIONS: &[M<'static>] = &[M::up(include_str!("../../migrations/0001_initial.sql"))];

#[derive(Debug, Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    changes: broadcast::Sender<Change>,
}

impl SqliteStorage {
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // The server acknowledges a change only after it is committed; FULL makes that hold on power loss.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            changes: broadcast::channel(CHANGES_CAPACITY).0,
        })
    }

    async fn with_conn<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<R, StorageError> + Send + 'static,
    ) -> Result<R, StorageError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[async_trait::async_trait]
impl ServerStorage for SqliteStorage {
    async fn load_doc(&self, id: &str) -> Result<Option<StoredDoc>, StorageError> {
        let id = id.to_string();
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT kind, scope, bytes FROM documents WHERE id = ?1",
                    [&id],
                    |r| {
                        Ok(StoredDoc {
                            kind: r.get(0)?,
                            scope: r.get(1)?,
                            bytes: r.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn save_doc(&self, id: &str, doc: StoredDoc) -> Result<i64, StorageError> {
        let id = id.to_string();
        let (scope, position) = self
            .with_conn(move |conn| {
                let tx = conn.transaction()?;
                let stored: Option<(String, String, Vec<u8>)> = tx
                    .query_row("SELECT kind, scope, bytes FROM documents WHERE id = ?1", [&id], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                let (kind, scope, bytes) = match stored {
                    Some((kind, scope, stored)) => (kind, scope, merge_with_stored(&id, &stored, doc.bytes)),
                    None => (doc.kind, doc.scope, doc.bytes),
                };
                let position: i64 =
                    tx.query_row("SELECT COALESCE(MAX(position), 0) + 1 FROM documents", [], |r| r.get(0))?;
                tx.execute(
                    "INSERT INTO documents (id, kind, scope, bytes, position, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, position = excluded.position,
                     updated_at_ms = excluded.updated_at_ms",
                    params![id, kind, scope, bytes, position, now_ms()],
                )?;
                tx.commit()?;
                Ok((scope, position))
            })
            .await?;
        // Nobody listening is fine.
        let _ = self.changes.send(Change::Scope(scope));
        Ok(position)
    }

    async fn feed(
        &self,
        scope: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StorageError> {
        let scope = scope.to_string();
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, position FROM documents WHERE scope = ?1 AND position > ?2 ORDER BY position LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![scope, after, limit], |r| Ok(FeedEntry { doc_id: r.get(0)?, position: r.get(1)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn load_sync_state(
        &self,
        doc_id: &str,
        peer: &str,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let (doc_id, peer) = (doc_id.to_string(), peer.to_string());
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT state FROM sync_states WHERE doc_id = ?1 AND peer = ?2",
                    [&doc_id, &peer],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn save_sync_state(
        &self,
        doc_id: &str,
        peer: &str,
        state: Vec<u8>,
    ) -> Result<(), StorageError> {
        let (doc_id, peer) = (doc_id.to_string(), peer.to_string());
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO sync_states (doc_id, peer, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (doc_id, peer) DO UPDATE SET state = excluded.state",
                params![doc_id, peer, state],
            )?;
            Ok(())
        })
        .await
    }

    async fn document_count(&self) -> Result<i64, StorageError> {
        self.with_conn(|conn| {
            Ok(conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?)
        })
        .await
    }

    fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }
}
