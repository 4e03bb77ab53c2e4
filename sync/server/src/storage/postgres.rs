//! The PostgreSQL backend: several stateless server nodes on one database.
//!
//! Each node keeps a connection pool (deadpool) for requests and one dedicated connection that `LISTEN`s
//! for change announcements, so a long-poll on node B wakes when node A saves. Three things make several
//! nodes safe where one SQLite writer was safe by construction:
//!
//! - **Feed order.** A reader follows a scope's feed with a cursor (the last position it saw). If a save
//!   that got position 10 committed after one that got 11, a reader could see 11, store 11 and never see
//!   10. So a save takes a transaction-scoped advisory lock on its scope before it takes a position and
//!   keeps it until commit: within a scope, positions become visible in increasing order.
//! - **Lost updates.** Two nodes may apply messages to the same document at once, each from the copy it
//!   loaded. A save takes a per-document advisory lock and merges what is stored into what it writes
//!   ([`merge_with_stored`]), so neither node's changes are lost.
//! - **Migrations.** Nodes starting together apply the embedded, append-only migrations
//!   (`migrations/postgres/NNNN_*.sql`) in one transaction under an advisory lock; the others wait, then
//!   find nothing to do. Applied versions are recorded in `banshi_migrations`.

use std::time::Duration;

use banshi_sync_protocol::FeedEntry;
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use tokio::sync::{broadcast, oneshot};
use tokio_postgres::{AsyncMessage, NoTls};

use super::{
    merge_with_stored, now_ms, BlobUpload, Change, EnrollmentToken, FinishedUpload, ServerStorage,
    StorageError, StoredDoc, TerminalRecord, TerminalRole, CHANGES_CAPACITY, FLEET_SCOPE,
};

struct Migration {
    version: i32,
    name: &'static str,
    sql: &'static str,
}

/// Append-only: add a file and a line, never edit a shipped one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial",
        sql: include_str!("../../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_terminals",
        sql: include_str!("../../migrations/postgres/0002_terminals.sql"),
    },
    Migration {
        version: 3,
        name: "0003_blobs",
        sql: include_str!("../../migrations/postgres/0003_blobs.sql"),
    },
    Migration {
        version: 4,
        name: "0004_fleet",
        sql: include_str!("../../migrations/postgres/0004_fleet.sql"),
    },
    Migration {
        version: 5,
        name: "0005_cases",
        sql: include_str!("../../migrations/postgres/0005_cases.sql"),
    },
];

/// The `NOTIFY` channel of change announcements; the payload is the scope of the saved document.
pub const CHANGES_CHANNEL: &str = "banshi_changes";

/// `application_name` of the listening connection (pool connections use the URL's, or `banshi-server`).
pub const LISTENER_APPLICATION_NAME: &str = "banshi-server listener";

// Advisory lock keys. PostgreSQL keeps the one-key (bigint) and two-key (int, int) forms apart; the class
// in the first key keeps ours apart from anything else using advisory locks on the same database.
const MIGRATION_LOCK: i64 = 0x6261_6e73_6869_0001; // "banshi", 1
const DOC_LOCK_CLASS: i32 = 0x6264_6f63; // "bdoc"
const FEED_LOCK_CLASS: i32 = 0x6266_6564; // "bfed"
const KIND_LOCK_CLASS: i32 = 0x626b_6e64; // "bknd"

/// Connections per node. A request holds one for a few statements, and saves of one scope queue on its
/// feed lock anyway, so more would mostly wait.
const POOL_SIZE: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for a free pooled connection before failing with `server.database`.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// How long `connect` waits for the listener's first `LISTEN`.
const LISTEN_READY_TIMEOUT: Duration = Duration::from_secs(15);
const LISTEN_BACKOFF_MIN: Duration = Duration::from_millis(200);
const LISTEN_BACKOFF_MAX: Duration = Duration::from_secs(10);
/// A listening connection only receives, so a silently dead one (a dropped route, a frozen server) is
/// found only by asking something now and then.
const LISTENER_PING_EVERY: Duration = Duration::from_secs(30);
const LISTENER_PING_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL backend of one server node.
pub struct PostgresStorage {
    pool: Pool,
    changes: broadcast::Sender<Change>,
    /// The listening task; dropping the storage stops it.
    _listener: AbortOnDrop<()>,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PostgresStorage {
    /// Connect to the database `url` names (`postgres://…` or `postgresql://…`), apply pending migrations
    /// and start listening for change announcements. Fails with a clear error, never a panic, when the
    /// database cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StorageError::BadUrl(error_chain(&e)))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("banshi-server");
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StorageError::Postgres {
                context: "setting up the connection pool",
                message: e.to_string(),
            })?;
        migrate(&mut pooled(&pool).await?).await?;

        let (changes, _) = broadcast::channel(CHANGES_CAPACITY);
        config.application_name(LISTENER_APPLICATION_NAME);
        let (ready_tx, ready_rx) = oneshot::channel();
        let listener = AbortOnDrop(tokio::spawn(listen(config, changes.clone(), ready_tx)));
        match tokio::time::timeout(LISTEN_READY_TIMEOUT, ready_rx).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(_)) | Err(_) => {
                return Err(StorageError::Postgres {
                    context: "listening for changes",
                    message: format!("no LISTEN within {LISTEN_READY_TIMEOUT:?}"),
                })
            }
        }
        tracing::info!(
            pool_size = POOL_SIZE,
            "PostgreSQL storage ready; listening on {CHANGES_CHANNEL}"
        );
        Ok(Self {
            pool,
            changes,
            _listener: listener,
        })
    }

    async fn client(&self) -> Result<Object, StorageError> {
        pooled(&self.pool).await
    }
}

async fn pooled(pool: &Pool) -> Result<Object, StorageError> {
    pool.get().await.map_err(|e| StorageError::Postgres {
        context: "connecting",
        message: match &e {
            PoolError::Backend(e) => error_chain(e),
            other => other.to_string(),
        },
    })
}

/// tokio-postgres puts the useful part ("connection refused", the server's message) in the source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn pg(context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StorageError {
    move |e| StorageError::Postgres {
        context,
        message: error_chain(&e),
    }
}

/// Apply pending migrations in one transaction under an advisory lock: DDL is transactional in PostgreSQL,
/// so a node that fails half-way leaves nothing behind, and nodes starting together apply each file once.
async fn migrate(client: &mut Object) -> Result<(), StorageError> {
    let tx = client.transaction().await.map_err(pg("migrating"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg("locking for migrations"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS banshi_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(pg("creating the migrations table"))?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM banshi_migrations", &[])
        .await
        .map_err(pg("reading applied migrations"))?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        tx.batch_execute(m.sql)
            .await
            .map_err(pg("applying a migration"))?;
        tx.execute(
            "INSERT INTO banshi_migrations (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .await
        .map_err(pg("recording a migration"))?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    let known = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
    if let Some(newest) = applied.iter().copied().filter(|v| *v > known).max() {
        // Rolling upgrades run old and new nodes side by side; migrations only add, so an old node keeps working.
        tracing::warn!(
            database = newest,
            binary = known,
            "the database schema is newer than this server"
        );
    }
    tx.commit().await.map_err(pg("committing migrations"))
}

/// The node's listening loop: forward every `NOTIFY` on [`CHANGES_CHANNEL`] into `changes`, reconnecting
/// with backoff. `ready` gets the outcome of the first attempt, so `connect` fails rather than starting
/// a node that would never hear other nodes.
async fn listen(
    config: tokio_postgres::Config,
    changes: broadcast::Sender<Change>,
    ready: oneshot::Sender<Result<(), StorageError>>,
) {
    let mut ready = Some(ready);
    let mut backoff = LISTEN_BACKOFF_MIN;
    loop {
        let error = listen_once(&config, &changes, &mut ready, &mut backoff).await;
        if let Some(ready) = ready.take() {
            let _ = ready.send(Err(error));
            return;
        }
        tracing::warn!(%error, retry_in = ?backoff, "change listener lost its database connection; reconnecting");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(LISTEN_BACKOFF_MAX);
    }
}

/// One listening connection, until it fails (it never ends otherwise).
async fn listen_once(
    config: &tokio_postgres::Config,
    changes: &broadcast::Sender<Change>,
    ready: &mut Option<oneshot::Sender<Result<(), StorageError>>>,
    backoff: &mut Duration,
) -> StorageError {
    let (client, mut connection) = match config.connect(NoTls).await {
        Ok(pair) => pair,
        Err(e) => return pg("connecting the change listener")(e),
    };
    let forward = changes.clone();
    // The connection must be driven through `poll_message` to see notifications at all.
    let mut driver = AbortOnDrop(tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) if n.channel() == CHANGES_CHANNEL => {
                    let _ = forward.send(Change::Scope(n.payload().to_string()));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return pg("change listener connection")(e),
                None => {
                    return StorageError::Postgres {
                        context: "change listener connection",
                        message: "closed by the server".to_string(),
                    }
                }
            }
        }
    }));
    if let Err(e) = client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .await
    {
        return pg("LISTEN")(e);
    }
    *backoff = LISTEN_BACKOFF_MIN;
    match ready.take() {
        Some(ready) => {
            let _ = ready.send(Ok(()));
        }
        None => {
            // Announcements sent while nobody listened are gone; waiters look again now that we listen.
            tracing::info!("change listener reconnected");
            let _ = changes.send(Change::Unknown);
        }
    }
    let mut ping = tokio::time::interval(LISTENER_PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            ended = &mut driver.0 => {
                return ended.unwrap_or_else(|e| StorageError::Task(e.to_string()));
            }
            _ = ping.tick() => {
                match tokio::time::timeout(LISTENER_PING_TIMEOUT, client.simple_query("SELECT 1")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return pg("pinging the change listener connection")(e),
                    Err(_) => {
                        return StorageError::Postgres {
                            context: "pinging the change listener connection",
                            message: format!("no answer within {LISTENER_PING_TIMEOUT:?}"),
                        }
                    }
                }
            }
        }
    }
}

/// A task that ends when its handle is dropped.
#[derive(Debug)]
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[async_trait::async_trait]
impl ServerStorage for PostgresStorage {
    async fn load_doc(&self, id: &str) -> Result<Option<StoredDoc>, StorageError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT kind, scope, bytes FROM documents WHERE id = $1")
            .await
            .map_err(pg("loading a document"))?;
        let row = client
            .query_opt(&stmt, &[&id])
            .await
            .map_err(pg("loading a document"))?;
        Ok(row.map(|r| StoredDoc {
            kind: r.get(0),
            scope: r.get(1),
            bytes: r.get(2),
        }))
    }

    async fn save_doc(&self, id: &str, doc: StoredDoc) -> Result<i64, StorageError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(pg("saving a document"))?;
        // Writers of one document queue here, on every node, including two that create it at once.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&DOC_LOCK_CLASS, &id],
        )
        .await
        .map_err(pg("locking a document"))?;
        let stored = tx
            .query_opt(
                "SELECT kind, scope, bytes FROM documents WHERE id = $1",
                &[&id],
            )
            .await
            .map_err(pg("saving a document"))?;
        let (kind, scope, bytes): (String, String, Vec<u8>) = match stored {
            Some(row) => (
                row.get(0),
                row.get(1),
                merge_with_stored(id, row.get(2), doc.bytes),
            ),
            None => (doc.kind, doc.scope, doc.bytes),
        };
        // Held until commit: the next save of this scope takes its position only after this one is visible.
        // Taken after the document lock (never the other way round), so the two cannot deadlock.
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&FEED_LOCK_CLASS, &scope],
        )
        .await
        .map_err(pg("locking the feed"))?;
        // Reports that follow one kind across every scope ([`ServerStorage::docs_of_kind_after`]) need the
        // same ordering as a scope's feed. Saves share this lock, so they never wait for each other; a
        // report takes it exclusively for a moment, so it reads only after every save that already drew
        // a position has committed, and saves that draw one later get a higher one.
        tx.execute(
            "SELECT pg_advisory_xact_lock_shared($1, hashtext($2))",
            &[&KIND_LOCK_CLASS, &kind],
        )
        .await
        .map_err(pg("locking the kind feed"))?;
        let stmt = tx
            .prepare_cached(
                "WITH saved AS (
                     INSERT INTO documents (id, kind, scope, bytes, position, updated_at_ms)
                     VALUES ($1, $2, $3, $4, nextval('feed_positions'), $5)
                     ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, position = excluded.position,
                         updated_at_ms = excluded.updated_at_ms
                     RETURNING position
                 )
                 SELECT position, pg_notify($6, $3) FROM saved",
            )
            .await
            .map_err(pg("saving a document"))?;
        let position: i64 = tx
            .query_one(
                &stmt,
                &[&id, &kind, &scope, &bytes, &now_ms(), &CHANGES_CHANNEL],
            )
            .await
            .map_err(pg("saving a document"))?
            .get(0);
        tx.commit().await.map_err(pg("committing a document"))?;
        // This node's waiters need not wait for the round trip through the listener.
        let _ = self.changes.send(Change::Scope(scope));
        Ok(position)
    }

    async fn feed(
        &self,
        scope: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StorageError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT id, position FROM documents WHERE scope = $1 AND position > $2
                 ORDER BY position LIMIT $3",
            )
            .await
            .map_err(pg("reading the feed"))?;
        let rows = client
            .query(&stmt, &[&scope, &after, &i64::from(limit)])
            .await
            .map_err(pg("reading the feed"))?;
        Ok(rows
            .iter()
            .map(|r| FeedEntry {
                doc_id: r.get(0),
                position: r.get(1),
            })
            .collect())
    }

    async fn load_sync_state(
        &self,
        doc_id: &str,
        peer: &str,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT state FROM sync_states WHERE doc_id = $1 AND peer = $2")
            .await
            .map_err(pg("loading sync state"))?;
        Ok(client
            .query_opt(&stmt, &[&doc_id, &peer])
            .await
            .map_err(pg("loading sync state"))?
            .map(|r| r.get(0)))
    }

    async fn save_sync_state(
        &self,
        doc_id: &str,
        peer: &str,
        state: Vec<u8>,
    ) -> Result<(), StorageError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO sync_states (doc_id, peer, state) VALUES ($1, $2, $3)
                 ON CONFLICT (doc_id, peer) DO UPDATE SET state = excluded.state",
            )
            .await
            .map_err(pg("saving sync state"))?;
        client
            .execute(&stmt, &[&doc_id, &peer, &state])
            .await
            .map_err(pg("saving sync state"))?;
        Ok(())
    }

    async fn create_enrollment_token(&self, t: EnrollmentToken) -> Result<(), StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO enrollment_tokens (token_sm3, hall_id, role, uses_left, expires_at_ms, created_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &t.token_sm3,
                    &t.hall_id,
                    &t.role.as_str(),
                    &t.uses_left,
                    &t.expires_at_ms,
                    &t.created_at_ms,
                ],
            )
            .await
            .map_err(pg("creating an enrollment token"))?;
        Ok(())
    }

    async fn redeem_enrollment_token(
        &self,
        token_sm3: &str,
        now_ms: i64,
    ) -> Result<Option<EnrollmentToken>, StorageError> {
        let client = self.client().await?;
        // One statement: the row lock makes two racing terminals take turns for the last use.
        let row = client
            .query_opt(
                "UPDATE enrollment_tokens SET uses_left = uses_left - 1
                 WHERE token_sm3 = $1 AND uses_left > 0 AND expires_at_ms > $2
                 RETURNING token_sm3, hall_id, role, uses_left, expires_at_ms, created_at_ms",
                &[&token_sm3, &now_ms],
            )
            .await
            .map_err(pg("redeeming an enrollment token"))?;
        Ok(row.map(|r| EnrollmentToken {
            token_sm3: r.get(0),
            hall_id: r.get(1),
            role: TerminalRole::parse(r.get::<_, &str>(2)).unwrap_or(TerminalRole::Terminal),
            uses_left: r.get(3),
            expires_at_ms: r.get(4),
            created_at_ms: r.get(5),
        }))
    }

    async fn put_terminal(&self, t: TerminalRecord) -> Result<(), StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO terminals (id, hall_id, public_key, role, status, enrolled_at_ms, updated_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, public_key = excluded.public_key,
                 role = excluded.role, status = excluded.status, enrolled_at_ms = excluded.enrolled_at_ms,
                 updated_at_ms = excluded.updated_at_ms",
                &[
                    &t.id,
                    &t.hall_id,
                    &t.public_key,
                    &t.role.as_str(),
                    &if t.revoked { "revoked" } else { "active" },
                    &t.enrolled_at_ms,
                    &t.updated_at_ms,
                ],
            )
            .await
            .map_err(pg("saving a terminal"))?;
        Ok(())
    }

    async fn terminal(&self, id: &str) -> Result<Option<TerminalRecord>, StorageError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!("{TERMINAL_COLUMNS} WHERE id = $1"))
            .await
            .map_err(pg("loading a terminal"))?;
        Ok(client
            .query_opt(&stmt, &[&id])
            .await
            .map_err(pg("loading a terminal"))?
            .map(|r| terminal_row(&r)))
    }

    async fn terminals(&self, hall_id: Option<&str>) -> Result<Vec<TerminalRecord>, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query(
                &format!("{TERMINAL_COLUMNS} WHERE $1::TEXT IS NULL OR hall_id = $1 ORDER BY id"),
                &[&hall_id],
            )
            .await
            .map_err(pg("listing terminals"))?
            .iter()
            .map(terminal_row)
            .collect())
    }

    async fn remember_nonce(
        &self,
        terminal_id: &str,
        nonce: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM seen_nonces WHERE expires_at_ms < $1",
                &[&now_ms],
            )
            .await
            .map_err(pg("forgetting old nonces"))?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO seen_nonces (terminal_id, nonce, expires_at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(pg("remembering a nonce"))?;
        let inserted = client
            .execute(&stmt, &[&terminal_id, &nonce, &expires_at_ms])
            .await
            .map_err(pg("remembering a nonce"))?;
        Ok(inserted == 1)
    }

    async fn cursor(&self, name: &str) -> Result<i64, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query_opt("SELECT position FROM cursors WHERE name = $1", &[&name])
            .await
            .map_err(pg("reading a cursor"))?
            .map(|r| r.get(0))
            .unwrap_or(0))
    }

    async fn set_cursor(&self, name: &str, position: i64) -> Result<(), StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO cursors (name, position) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                &[&name, &position],
            )
            .await
            .map_err(pg("saving a cursor"))?;
        Ok(())
    }

    async fn next_case_sequence(&self, item_code: &str, year: i32) -> Result<u64, StorageError> {
        let client = self.client().await?;
        // One statement: the row lock of the upsert makes concurrent calls from any node queue, and each
        // returns the value it wrote.
        let last: i64 = client
            .query_one(
                "INSERT INTO case_counters (item_code, year, last) VALUES ($1, $2, 1)
                 ON CONFLICT (item_code, year) DO UPDATE SET last = case_counters.last + 1
                 RETURNING last",
                &[&item_code, &year],
            )
            .await
            .map_err(pg("numbering a case"))?
            .get(0);
        Ok(last as u64)
    }

    async fn put_case_number(
        &self,
        number: &str,
        doc_id: &str,
        scope: &str,
    ) -> Result<(), StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO case_numbers (number, doc_id, scope) VALUES ($1, $2, $3)
                 ON CONFLICT (number) DO NOTHING",
                &[&number, &doc_id, &scope],
            )
            .await
            .map_err(pg("indexing a case number"))?;
        Ok(())
    }

    async fn case_by_number(&self, number: &str) -> Result<Option<(String, String)>, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT doc_id, scope FROM case_numbers WHERE number = $1",
                &[&number],
            )
            .await
            .map_err(pg("finding a case number"))?
            .map(|r| (r.get(0), r.get(1))))
    }

    async fn docs_of_kind_after(
        &self,
        kind: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, Vec<u8>)>, StorageError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(pg("reading documents of a kind"))?;
        // Waits for saves of this kind that already drew a position (see `save_doc`).
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&KIND_LOCK_CLASS, &kind],
        )
        .await
        .map_err(pg("locking the kind feed"))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = tx
            .query(
                "SELECT position, id, bytes FROM documents WHERE kind = $1 AND position > $2
                 ORDER BY position LIMIT $3",
                &[&kind, &after, &limit],
            )
            .await
            .map_err(pg("reading documents of a kind"))?;
        tx.commit()
            .await
            .map_err(pg("reading documents of a kind"))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    async fn fleet_get(&self, kind: &str, id: &str) -> Result<Option<String>, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT body FROM fleet_items WHERE kind = $1 AND id = $2",
                &[&kind, &id],
            )
            .await
            .map_err(pg("reading fleet state"))?
            .map(|r| r.get(0)))
    }

    async fn fleet_list(&self, kind: &str) -> Result<Vec<(String, String)>, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query(
                "SELECT id, body FROM fleet_items WHERE kind = $1 ORDER BY id",
                &[&kind],
            )
            .await
            .map_err(pg("listing fleet state"))?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    async fn fleet_put(
        &self,
        kind: &str,
        id: &str,
        body: &str,
        announce: bool,
    ) -> Result<(), StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO fleet_items (kind, id, body, updated_at_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms",
                &[&kind, &id, &body, &now_ms()],
            )
            .await
            .map_err(pg("saving fleet state"))?;
        if announce {
            // Other nodes' fleet long-polls hear it through the listener; this node's at once.
            client
                .execute(
                    "SELECT pg_notify($1, $2)",
                    &[&CHANGES_CHANNEL, &FLEET_SCOPE],
                )
                .await
                .map_err(pg("announcing a fleet change"))?;
            let _ = self.changes.send(Change::Scope(FLEET_SCOPE.to_string()));
        }
        Ok(())
    }

    async fn blob_in_scope(&self, sm3: &str, scope: &str) -> Result<Option<u64>, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT b.size FROM blobs b JOIN blob_scopes s ON s.sm3 = b.sm3
                 WHERE b.sm3 = $1 AND s.scope = $2",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("looking up a blob"))?
            .map(|r| r.get::<_, i64>(0) as u64))
    }

    async fn blob_chunk(&self, sm3: &str, index: u32) -> Result<Option<Vec<u8>>, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT bytes FROM blob_chunks WHERE sm3 = $1 AND idx = $2",
                &[&sm3, &i64::from(index)],
            )
            .await
            .map_err(pg("reading a blob chunk"))?
            .map(|r| r.get(0)))
    }

    async fn blob_upload(
        &self,
        sm3: &str,
        scope: &str,
    ) -> Result<Option<BlobUpload>, StorageError> {
        let client = self.client().await?;
        let Some(row) = client
            .query_opt(
                "SELECT size, generation FROM blob_uploads WHERE sm3 = $1 AND scope = $2",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("reading an upload"))?
        else {
            return Ok(None);
        };
        let chunks_present = client
            .query(
                "SELECT idx FROM blob_upload_chunks WHERE sm3 = $1 AND scope = $2 ORDER BY idx",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("reading an upload"))?
            .iter()
            .map(|r| r.get::<_, i64>(0) as u32)
            .collect();
        Ok(Some(BlobUpload {
            size: row.get::<_, i64>(0) as u64,
            chunks_present,
            generation: row.get(1),
        }))
    }

    async fn put_blob_upload_chunk(
        &self,
        sm3: &str,
        scope: &str,
        size: u64,
        index: u32,
        bytes: Vec<u8>,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg("keeping a chunk"))?;
        let now = now_ms();
        let size = size as i64;
        // Lock the upload row (when it exists) so a size change and its chunk clean-up are one step.
        let declared = tx
            .query_opt(
                "SELECT size FROM blob_uploads WHERE sm3 = $1 AND scope = $2 FOR UPDATE",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("keeping a chunk"))?
            .map(|r| r.get::<_, i64>(0));
        if declared.is_some_and(|d| d != size) {
            tx.execute(
                "DELETE FROM blob_upload_chunks WHERE sm3 = $1 AND scope = $2",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("keeping a chunk"))?;
        }
        tx.execute(
            "INSERT INTO blob_uploads (sm3, scope, size, generation, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, 1, $4, $4)
             ON CONFLICT (sm3, scope) DO UPDATE SET size = excluded.size,
             generation = blob_uploads.generation + 1, updated_at_ms = excluded.updated_at_ms",
            &[&sm3, &scope, &size, &now],
        )
        .await
        .map_err(pg("keeping a chunk"))?;
        tx.execute(
            "INSERT INTO blob_upload_chunks (sm3, scope, idx, bytes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sm3, scope, idx) DO UPDATE SET bytes = excluded.bytes",
            &[&sm3, &scope, &i64::from(index), &bytes],
        )
        .await
        .map_err(pg("keeping a chunk"))?;
        tx.commit().await.map_err(pg("keeping a chunk"))
    }

    async fn blob_upload_chunk(
        &self,
        sm3: &str,
        scope: &str,
        index: u32,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query_opt(
                "SELECT bytes FROM blob_upload_chunks WHERE sm3 = $1 AND scope = $2 AND idx = $3",
                &[&sm3, &scope, &i64::from(index)],
            )
            .await
            .map_err(pg("reading an upload chunk"))?
            .map(|r| r.get(0)))
    }

    async fn finish_blob_upload(
        &self,
        sm3: &str,
        scope: &str,
        generation: i64,
    ) -> Result<FinishedUpload, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg("keeping a blob"))?;
        let now = now_ms();
        let upload = tx
            .query_opt(
                "SELECT size, generation FROM blob_uploads WHERE sm3 = $1 AND scope = $2 FOR UPDATE",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("keeping a blob"))?
            .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1)));
        let size = match upload {
            Some((size, g)) if g == generation => size,
            _ => return Ok(FinishedUpload::Changed),
        };
        let stored = tx
            .execute(
                "INSERT INTO blobs (sm3, size, created_at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (sm3) DO NOTHING",
                &[&sm3, &size, &now],
            )
            .await
            .map_err(pg("keeping a blob"))?
            == 1;
        if stored {
            tx.execute(
                "INSERT INTO blob_chunks (sm3, idx, bytes)
                 SELECT sm3, idx, bytes FROM blob_upload_chunks WHERE sm3 = $1 AND scope = $2",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("keeping a blob"))?;
        }
        tx.execute(
            "INSERT INTO blob_scopes (sm3, scope, created_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (sm3, scope) DO NOTHING",
            &[&sm3, &scope, &now],
        )
        .await
        .map_err(pg("keeping a blob"))?;
        delete_upload(&tx, sm3, scope).await?;
        tx.commit().await.map_err(pg("keeping a blob"))?;
        Ok(if stored {
            FinishedUpload::Stored
        } else {
            FinishedUpload::Deduplicated
        })
    }

    async fn discard_blob_upload(
        &self,
        sm3: &str,
        scope: &str,
        generation: i64,
    ) -> Result<bool, StorageError> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(pg("discarding an upload"))?;
        let current = tx
            .query_opt(
                "SELECT generation FROM blob_uploads WHERE sm3 = $1 AND scope = $2 FOR UPDATE",
                &[&sm3, &scope],
            )
            .await
            .map_err(pg("discarding an upload"))?
            .map(|r| r.get::<_, i64>(0));
        if current != Some(generation) {
            return Ok(false);
        }
        delete_upload(&tx, sm3, scope).await?;
        tx.commit().await.map_err(pg("discarding an upload"))?;
        Ok(true)
    }

    async fn document_count(&self) -> Result<i64, StorageError> {
        let client = self.client().await?;
        Ok(client
            .query_one("SELECT count(*) FROM documents", &[])
            .await
            .map_err(pg("counting documents"))?
            .get(0))
    }

    fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }
}

const TERMINAL_COLUMNS: &str =
    "SELECT id, hall_id, public_key, role, status, enrolled_at_ms, updated_at_ms FROM terminals";

fn terminal_row(r: &tokio_postgres::Row) -> TerminalRecord {
    TerminalRecord {
        id: r.get(0),
        hall_id: r.get(1),
        public_key: r.get(2),
        role: TerminalRole::parse(r.get::<_, &str>(3)).unwrap_or(TerminalRole::Terminal),
        revoked: r.get::<_, &str>(4) == "revoked",
        enrolled_at_ms: r.get(5),
        updated_at_ms: r.get(6),
    }
}

async fn delete_upload(
    tx: &deadpool_postgres::Transaction<'_>,
    sm3: &str,
    scope: &str,
) -> Result<(), StorageError> {
    for sql in [
        "DELETE FROM blob_upload_chunks WHERE sm3 = $1 AND scope = $2",
        "DELETE FROM blob_uploads WHERE sm3 = $1 AND scope = $2",
    ] {
        tx.execute(sql, &[&sm3, &scope])
            .await
            .map_err(pg("forgetting an upload"))?;
    }
    Ok(())
}
