//! The embedded SQLite backend: one file, one writer connection, WAL. One server process owns the file, so
//! change announcements stay in-process.

use std::path::Path;
use std::sync::{Arc, Mutex};

use banshi_sync_protocol::FeedEntry;
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use tokio::sync::broadcast;

use super::{
    merge_with_stored, now_ms, BlobUpload, Change, EnrollmentToken, FinishedUpload, ServerStorage,
    StorageError, StoredDoc, TerminalRecord, TerminalRole, CHANGES_CAPACITY, FLEET_SCOPE,
};

const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../migrations/0001_initial.sql")),
    M::up(include_str!("../../migrations/0002_terminals.sql")),
    M::up(include_str!("../../migrations/0003_blobs.sql")),
    M::up(include_str!("../../migrations/0004_fleet.sql")),
    M::up(include_str!("../../migrations/0005_cases.sql")),
];

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

    /// Like [`Self::with_conn`] for bookkeeping whose loss on power failure costs only an extra sync round
    /// (sync states, nonces, relay cursors): committed without waiting for the disk. Documents keep
    /// `synchronous=FULL`; a later FULL commit flushes these along with it.
    async fn with_conn_lazy<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<R, StorageError> + Send + 'static,
    ) -> Result<R, StorageError> {
        self.with_conn(move |conn| {
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            let result = work(conn);
            conn.pragma_update(None, "synchronous", "FULL")?;
            result
        })
        .await
    }
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
        self.with_conn_lazy(move |conn| {
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
    async fn create_enrollment_token(&self, token: EnrollmentToken) -> Result<(), StorageError> {
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO enrollment_tokens (token_sm3, hall_id, role, uses_left, expires_at_ms, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    token.token_sm3,
                    token.hall_id,
                    token.role.as_str(),
                    token.uses_left,
                    token.expires_at_ms,
                    token.created_at_ms
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn redeem_enrollment_token(
        &self,
        token_sm3: &str,
        now_ms: i64,
    ) -> Result<Option<EnrollmentToken>, StorageError> {
        let token_sm3 = token_sm3.to_string();
        self.with_conn(move |conn| {
            let tx = conn.transaction()?;
            let updated = tx.execute(
                "UPDATE enrollment_tokens SET uses_left = uses_left - 1
                 WHERE token_sm3 = ?1 AND uses_left > 0 AND expires_at_ms > ?2",
                params![token_sm3, now_ms],
            )?;
            let token = if updated == 1 {
                tx.query_row(
                    "SELECT token_sm3, hall_id, role, uses_left, expires_at_ms, created_at_ms
                     FROM enrollment_tokens WHERE token_sm3 = ?1",
                    [&token_sm3],
                    |r| {
                        Ok(EnrollmentToken {
                            token_sm3: r.get(0)?,
                            hall_id: r.get(1)?,
                            role: TerminalRole::parse(&r.get::<_, String>(2)?)
                                .unwrap_or(TerminalRole::Terminal),
                            uses_left: r.get(3)?,
                            expires_at_ms: r.get(4)?,
                            created_at_ms: r.get(5)?,
                        })
                    },
                )
                .optional()?
            } else {
                None
            };
            tx.commit()?;
            Ok(token)
        })
        .await
    }

    async fn put_terminal(&self, t: TerminalRecord) -> Result<(), StorageError> {
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO terminals (id, hall_id, public_key, role, status, enrolled_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, public_key = excluded.public_key,
                 role = excluded.role, status = excluded.status, enrolled_at_ms = excluded.enrolled_at_ms,
                 updated_at_ms = excluded.updated_at_ms",
                params![
                    t.id,
                    t.hall_id,
                    t.public_key,
                    t.role.as_str(),
                    if t.revoked { "revoked" } else { "active" },
                    t.enrolled_at_ms,
                    t.updated_at_ms
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn terminal(&self, id: &str) -> Result<Option<TerminalRecord>, StorageError> {
        let id = id.to_string();
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    &format!("{TERMINAL_COLUMNS} WHERE id = ?1"),
                    [&id],
                    terminal_row,
                )
                .optional()?)
        })
        .await
    }

    async fn terminals(&self, hall_id: Option<&str>) -> Result<Vec<TerminalRecord>, StorageError> {
        let hall_id = hall_id.map(str::to_string);
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "{TERMINAL_COLUMNS} WHERE ?1 IS NULL OR hall_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt
                .query_map([&hall_id], terminal_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn remember_nonce(
        &self,
        terminal_id: &str,
        nonce: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        let (terminal_id, nonce) = (terminal_id.to_string(), nonce.to_string());
        // Lazy: a nonce lost to a power cut only lets a request sent just before it be replayed, and
        // replaying a sync message changes nothing (automerge applies a change once).
        self.with_conn_lazy(move |conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM seen_nonces WHERE expires_at_ms < ?1", [now_ms])?;
            let inserted = tx.execute(
                "INSERT INTO seen_nonces (terminal_id, nonce, expires_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![terminal_id, nonce, expires_at_ms],
            )?;
            tx.commit()?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn cursor(&self, name: &str) -> Result<i64, StorageError> {
        let name = name.to_string();
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT position FROM cursors WHERE name = ?1",
                    [&name],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0))
        })
        .await
    }

    async fn set_cursor(&self, name: &str, position: i64) -> Result<(), StorageError> {
        let name = name.to_string();
        self.with_conn_lazy(move |conn| {
            conn.execute(
                "INSERT INTO cursors (name, position) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                params![name, position],
            )?;
            Ok(())
        })
        .await
    }

    async fn fleet_get(&self, kind: &str, id: &str) -> Result<Option<String>, StorageError> {
        let (kind, id) = (kind.to_string(), id.to_string());
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT body FROM fleet_items WHERE kind = ?1 AND id = ?2",
                    [&kind, &id],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn fleet_list(&self, kind: &str) -> Result<Vec<(String, String)>, StorageError> {
        let kind = kind.to_string();
        self.with_conn(move |conn| {
            let mut statement = conn
                .prepare_cached("SELECT id, body FROM fleet_items WHERE kind = ?1 ORDER BY id")?;
            let rows = statement
                .query_map([&kind], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn fleet_put(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        announce: bool,
    ) -> Result<(), StorageError> {
        let (kind, id, body) = (kind.to_string(), id.to_string(), body.to_string());
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO fleet_items (kind, id, body, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms",
                params![kind, id, body, now_ms()],
            )?;
            Ok(())
        })
        .await?;
        if announce {
            let _ = self.changes.send(Change::Scope(FLEET_SCOPE.to_string()));
        }
        Ok(())
    }

    async fn next_case_sequence(&self, item_code: &str, year: i32) -> Result<u64, StorageError> {
        let item_code = item_code.to_string();
        self.with_conn(move |conn| {
            let last: i64 = conn.query_row(
                "INSERT INTO case_counters (item_code, year, last) VALUES (?1, ?2, 1)
                 ON CONFLICT (item_code, year) DO UPDATE SET last = case_counters.last + 1
                 RETURNING last",
                params![item_code, year],
                |r| r.get(0),
            )?;
            Ok(last as u64)
        })
        .await
    }

    async fn put_case_number(
        &self,
        number: &str,
        doc_id: &str,
        scope: &str,
    ) -> Result<(), StorageError> {
        let (number, doc_id, scope) = (number.to_string(), doc_id.to_string(), scope.to_string());
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO case_numbers (number, doc_id, scope) VALUES (?1, ?2, ?3)
                 ON CONFLICT (number) DO NOTHING",
                params![number, doc_id, scope],
            )?;
            Ok(())
        })
        .await
    }

    async fn case_by_number(&self, number: &str) -> Result<Option<(String, String)>, StorageError> {
        let number = number.to_string();
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT doc_id, scope FROM case_numbers WHERE number = ?1",
                    [&number],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?)
        })
        .await
    }

    async fn docs_of_kind_after(
        &self,
        kind: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StorageError> {
        let kind = kind.to_string();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT position, id, bytes FROM documents WHERE kind = ?1 AND position > ?2
                 ORDER BY position LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![kind, after, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn blob_in_scope(&self, sm3: &str, scope: &str) -> Result<Option<u64>, StorageError> {
        let (sm3, scope) = (sm3.to_string(), scope.to_string());
        self.with_conn(move |conn| {
            let size: Option<i64> = conn
                .query_row(
                    "SELECT b.size FROM blobs b JOIN blob_scopes s ON s.sm3 = b.sm3
                     WHERE b.sm3 = ?1 AND s.scope = ?2",
                    [&sm3, &scope],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(size.map(|s| s as u64))
        })
        .await
    }

    async fn blob_chunk(&self, sm3: &str, index: u32) -> Result<Option<Vec<u8>>, StorageError> {
        let sm3 = sm3.to_string();
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT bytes FROM blob_chunks WHERE sm3 = ?1 AND idx = ?2",
                    params![sm3, index],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn blob_upload(
        &self,
        sm3: &str,
        scope: &str,
    ) -> Result<Option<BlobUpload>, StorageError> {
        let (sm3, scope) = (sm3.to_string(), scope.to_string());
        self.with_conn(move |conn| {
            let upload: Option<(i64, i64)> = conn
                .query_row(
                    "SELECT size, generation FROM blob_uploads WHERE sm3 = ?1 AND scope = ?2",
                    [&sm3, &scope],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((size, generation)) = upload else {
                return Ok(None);
            };
            let mut stmt = conn.prepare_cached(
                "SELECT idx FROM blob_upload_chunks WHERE sm3 = ?1 AND scope = ?2 ORDER BY idx",
            )?;
            let chunks_present = stmt
                .query_map([&sm3, &scope], |r| r.get::<_, u32>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(BlobUpload {
                size: size as u64,
                chunks_present,
                generation,
            }))
        })
        .await
    }

    async fn put_blob_upload_chunk(
        &self,
        sm3: &str,
        scope: &str,
        size: u64,
        index: u32,
        bytes: Vec<u8>,
    ) -> Result<(), StorageError> {
        let (sm3, scope) = (sm3.to_string(), scope.to_string());
        self.with_conn(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let declared: Option<i64> = tx
                .query_row(
                    "SELECT size FROM blob_uploads WHERE sm3 = ?1 AND scope = ?2",
                    [&sm3, &scope],
                    |r| r.get(0),
                )
                .optional()?;
            if declared.is_some_and(|d| d as u64 != size) {
                tx.execute(
                    "DELETE FROM blob_upload_chunks WHERE sm3 = ?1 AND scope = ?2",
                    [&sm3, &scope],
                )?;
            }
            tx.execute(
                "INSERT INTO blob_uploads (sm3, scope, size, generation, created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, 1, ?4, ?4)
                 ON CONFLICT (sm3, scope) DO UPDATE SET size = excluded.size,
                 generation = blob_uploads.generation + 1, updated_at_ms = excluded.updated_at_ms",
                params![sm3, scope, size as i64, now],
            )?;
            tx.execute(
                "INSERT INTO blob_upload_chunks (sm3, scope, idx, bytes) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sm3, scope, idx) DO UPDATE SET bytes = excluded.bytes",
                params![sm3, scope, index, bytes],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn blob_upload_chunk(
        &self,
        sm3: &str,
        scope: &str,
        index: u32,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let (sm3, scope) = (sm3.to_string(), scope.to_string());
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT bytes FROM blob_upload_chunks WHERE sm3 = ?1 AND scope = ?2 AND idx = ?3",
                    params![sm3, scope, index],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn finish_blob_upload(
        &self,
        sm3: &str,
        scope: &str,
        generation: i64,
    ) -> Result<FinishedUpload, StorageError> {
        let (sm3, scope) = (sm3.to_string(), scope.to_string());
        self.with_conn(move |conn| {
            let tx = conn.transaction()?;
            let now = now_ms();
            let upload: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT size, generation FROM blob_uploads WHERE sm3 = ?1 AND scope = ?2",
                    [&sm3, &scope],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let size = match upload {
                Some((size, g)) if g == generation => size,
                _ => return Ok(FinishedUpload::Changed),
            };
            let stored = tx.execute(
                "INSERT INTO blobs (sm3, size, created_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sm3) DO NOTHING",
                params![sm3, size, now],
            )? == 1;
            if stored {
                tx.execute(
                    "INSERT INTO blob_chunks (sm3, idx, bytes)
                     SELECT sm3, idx, bytes FROM blob_upload_chunks WHERE sm3 = ?1 AND scope = ?2",
                    [&sm3, &scope],
                )?;
            }
            tx.execute(
                "INSERT INTO blob_scopes (sm3, scope, created_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sm3, scope) DO NOTHING",
                params![sm3, scope, now],
            )?;
            delete_upload(&tx, &sm3, &scope)?;
            tx.commit()?;
            Ok(if stored {
                FinishedUpload::Stored
            } else {
                FinishedUpload::Deduplicated
            })
        })
        .await
    }

    async fn discard_blob_upload(
        &self,
        sm3: &str,
        scope: &str,
        generation: i64,
    ) -> Result<bool, StorageError> {
        let (sm3, scope) = (sm3.to_string(), scope.to_string());
        self.with_conn(move |conn| {
            let tx = conn.transaction()?;
            let current: Option<i64> = tx
                .query_row(
                    "SELECT generation FROM blob_uploads WHERE sm3 = ?1 AND scope = ?2",
                    [&sm3, &scope],
                    |r| r.get(0),
                )
                .optional()?;
            if current != Some(generation) {
                return Ok(false);
            }
            delete_upload(&tx, &sm3, &scope)?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }
}

fn delete_upload(tx: &rusqlite::Transaction<'_>, sm3: &str, scope: &str) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM blob_upload_chunks WHERE sm3 = ?1 AND scope = ?2",
        [sm3, scope],
    )?;
    tx.execute(
        "DELETE FROM blob_uploads WHERE sm3 = ?1 AND scope = ?2",
        [sm3, scope],
    )?;
    Ok(())
}

const TERMINAL_COLUMNS: &str =
    "SELECT id, hall_id, public_key, role, status, enrolled_at_ms, updated_at_ms FROM terminals";

fn terminal_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TerminalRecord> {
    Ok(TerminalRecord {
        id: r.get(0)?,
        hall_id: r.get(1)?,
        public_key: r.get(2)?,
        role: TerminalRole::parse(&r.get::<_, String>(3)?).unwrap_or(TerminalRole::Terminal),
        revoked: r.get::<_, String>(4)? == "revoked",
        enrolled_at_ms: r.get(5)?,
        updated_at_ms: r.get(6)?,
    })
}
