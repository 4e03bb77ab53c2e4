//! The terminal's audit log: an append-only, SM3 hash-chained table of events (`banshi_core::audit`).
//!
//! Every record this terminal creates or changes is audited in the same transaction as the write, so there is
//! never a write without its event nor an event without its write. Records that arrive by sync or import are
//! not audited here (the terminal that wrote them did), and audit batches themselves are not (that would
//! audit the audit forever). Other events (logins, personal data opened) come in through [`Store::audit`].
//!
//! Triggers refuse UPDATE and DELETE on `audit_log`; the hash chain makes tampering visible even to someone
//! who drops them. Rows hold no personal data and are never encrypted, so [`verify_audit_file`] checks a
//! database file without the data key. [`Store::export_audit_batch`] packs new events into an
//! [`AuditBatch`] record that syncs to the server like any other record.

use std::path::Path;

use banshi_core::audit::{
    verify_chain, AuditAction, AuditBatch, AuditEntry, AuditEvent, BreakKind, ChainBreak,
    ChainSummary, ACTOR_TERMINAL, AUDIT_BATCH_KIND, GENESIS_PREV_HASH,
};
use banshi_core::ErrorCode;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::local_state;
use crate::record::{DocHeader, Record, RecordKind};
use crate::store::{now_ms, with_durability, Durability, Store, StoreError};

/// `local_state` key of the terminal id written into audit rows.
const TERMINAL_ID_KEY: &str = "terminal_id";
/// `local_state` key of the last seq put into an audit batch.
const EXPORTED_SEQ_KEY: &str = "audit.exported_seq";
/// The terminal id of audit rows written before [`Store::set_terminal_id`] was called.
pub const UNKNOWN_TERMINAL: &str = "unknown";

const EVENT_COLUMNS: &str =
    "seq, at_ms, terminal, actor, action, record_kind, record_id, detail, prev_hash, hash";

/// Why checking the audit log gave no summary.
#[derive(Debug, thiserror::Error)]
pub enum AuditVerifyError {
    /// The chain is broken: an event was removed, changed or reordered.
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    /// The database could not be read (missing file, not a Banshi store, I/O).
    #[error("reading the audit log failed: {0}")]
    Database(#[from] rusqlite::Error),
}

impl ErrorCode for AuditVerifyError {
    fn code(&self) -> &'static str {
        match self {
            AuditVerifyError::Broken(b) => b.code(),
            AuditVerifyError::Database(_) => "store.database",
        }
    }
}

/// The store, writing records in the name of one actor (`staff:<id>`, `resident`): what [`Store::acting`]
/// returns.
#[derive(Debug)]
pub struct ActingStore<'a> {
    store: &'a Store,
    actor: String,
}

impl ActingStore<'_> {
    /// [`Store::create`], audited as done by this actor.
    pub fn create<T: RecordKind>(
        &self,
        scope: &str,
        body: &T,
        durability: Durability,
    ) -> Result<DocHeader, StoreError> {
        self.store.create_as(&self.actor, scope, body, durability)
    }

    /// [`Store::update`], audited as done by this actor.
    pub fn update<T: RecordKind>(
        &self,
        id: &str,
        durability: Durability,
        edit: impl FnOnce(&mut T),
    ) -> Result<Record<T>, StoreError> {
        self.store.update_as(&self.actor, id, durability, edit)
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }
}

impl Store {
    /// Set (or clear) who operates this terminal now — the clerk signed in at a window desk — so the writes
    /// made through [`Store::create`] and [`Store::update`] are audited in their name.
    pub fn set_operator(&self, actor: Option<String>) {
        *self.operator.lock().unwrap_or_else(|p| p.into_inner()) = actor;
    }

    /// Who plain `create`/`update` write as: the operator, else the terminal itself.
    fn default_actor(&self) -> String {
        self.operator
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| ACTOR_TERMINAL.to_string())
    }

    /// Create a new record of kind `T` in `scope`, audited as done by the operator (else the terminal).
    pub fn create<T: RecordKind>(
        &self,
        scope: &str,
        body: &T,
        durability: Durability,
    ) -> Result<DocHeader, StoreError> {
        self.create_as(&self.default_actor(), scope, body, durability)
    }

    /// Change a record through `edit`, audited as done by the operator (else the terminal); automerge stores only what
    /// changed, and an edit that changes nothing is not audited.
    pub fn update<T: RecordKind>(
        &self,
        id: &str,
        durability: Durability,
        edit: impl FnOnce(&mut T),
    ) -> Result<Record<T>, StoreError> {
        self.update_as(&self.default_actor(), id, durability, edit)
    }

    /// The store writing records in `actor`'s name (`staff:<id>`, `resident`).
    pub fn acting(&self, actor: impl Into<String>) -> ActingStore<'_> {
        ActingStore {
            store: self,
            actor: actor.into(),
        }
    }

    /// The terminal id written into audit rows from now on (until set, rows say [`UNKNOWN_TERMINAL`]).
    pub fn set_terminal_id(&self, id: &str) -> Result<(), StoreError> {
        self.local_put(TERMINAL_ID_KEY, id)
    }

    /// The terminal id audit rows are written with.
    pub fn terminal_id(&self) -> Result<String, StoreError> {
        terminal_id(&self.conn())
    }

    /// Append an event that is not a record write (a login, personal data opened). It is on disk, power loss
    /// included, when this returns.
    pub fn audit(&self, entry: AuditEntry) -> Result<AuditEvent, StoreError> {
        let mut conn = self.conn();
        with_durability(&mut conn, Durability::Promised, |tx| append(tx, entry))
    }

    /// At most `limit` events with a seq above `after_seq`, oldest first.
    pub fn audit_events(
        &self,
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after, limit], |r| {
            let row = RawEvent::read(r)?;
            row.event().map_err(|name| {
                rusqlite::Error::FromSqlConversionFailure(
                    4,
                    rusqlite::types::Type::Text,
                    format!("unknown audit action {name:?}").into(),
                )
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Check the whole audit chain of this store (see [`verify_chain`]).
    pub fn verify_audit(&self) -> Result<ChainSummary, AuditVerifyError> {
        verify_rows(&self.conn())
    }

    /// Put the events not exported yet (at most `max_events`, oldest first) into one new [`AuditBatch`] record
    /// in `scope`, for the next sync to carry to the server. `None` when there is nothing new.
    ///
    /// The export cursor moves after the batch is written, so a crash in between exports those events again
    /// in the next batch (the server sees them twice, with the same seqs and hashes) and never loses them.
    pub fn export_audit_batch(
        &self,
        scope: &str,
        max_events: usize,
    ) -> Result<Option<DocHeader>, StoreError> {
        let after: u64 = self
            .local_get(EXPORTED_SEQ_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let events = self.audit_events(after, max_events)?;
        let (Some(first_seq), Some(last_seq)) =
            (events.first().map(|e| e.seq), events.last().map(|e| e.seq))
        else {
            return Ok(None);
        };
        let batch = AuditBatch {
            terminal: self.terminal_id()?,
            first_seq,
            last_seq,
            events,
        };
        let header = self.create_as(ACTOR_TERMINAL, scope, &batch, Durability::Normal)?;
        self.local_put(EXPORTED_SEQ_KEY, &last_seq.to_string())?;
        tracing::debug!(first_seq, last_seq, id = %header.id, "audit batch exported");
        Ok(Some(header))
    }
}

/// Check the audit chain in the store file at `db_path`, opened read-only: no data key needed, nothing
/// written, and the file may be in use by a running terminal.
pub fn verify_audit_file(db_path: &Path) -> Result<ChainSummary, AuditVerifyError> {
    let conn = Connection::open_with_flags(
        db_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    verify_rows(&conn)
}

/// Audit a record write, inside the write's transaction `tx`. Audit batches are not audited.
pub(crate) fn record_written(
    tx: &Connection,
    actor: &str,
    action: AuditAction,
    header: &DocHeader,
) -> Result<(), StoreError> {
    if header.kind == AUDIT_BATCH_KIND {
        return Ok(());
    }
    let entry = AuditEntry::new(now_ms(), actor, action, format!("scope {}", header.scope))
        .on_record(&header.kind, &header.id);
    append(tx, entry)?;
    Ok(())
}

fn terminal_id(conn: &Connection) -> Result<String, StoreError> {
    Ok(local_state::get(conn, TERMINAL_ID_KEY)?.unwrap_or_else(|| UNKNOWN_TERMINAL.to_string()))
}

/// Append `entry` after the newest row; `conn` is inside the caller's transaction, which the mutex on the
/// store's one connection keeps alone, so the seq read here is still the last when the row goes in.
fn append(conn: &Connection, entry: AuditEntry) -> Result<AuditEvent, StoreError> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (last_seq, prev_hash) = last.unwrap_or((0, GENESIS_PREV_HASH.to_string()));
    let seq = u64::try_from(last_seq).unwrap_or(0) + 1;
    let terminal = terminal_id(conn)?;
    let event = AuditEvent::seal(seq, &terminal, &prev_hash, entry, banshi_crypto::sm3_hex);
    conn.execute(
        &format!("INSERT INTO audit_log ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![
            last_seq + 1,
            event.at_ms,
            event.terminal,
            event.actor,
            event.action.as_str(),
            event.record_kind,
            event.record_id,
            event.detail,
            event.prev_hash,
            event.hash
        ],
    )?;
    Ok(event)
}

/// Read every row in seq order and check the chain. A row whose action this build does not know cannot be
/// hashed: if the chain before it holds, it is reported as altered.
fn verify_rows(conn: &Connection) -> Result<ChainSummary, AuditVerifyError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {EVENT_COLUMNS} FROM audit_log ORDER BY seq"
    ))?;
    let rows = stmt.query_map([], RawEvent::read)?;
    let mut events = Vec::new();
    for row in rows {
        let row = row?;
        let seq = row.seq;
        match row.event() {
            Ok(event) => events.push(event),
            Err(name) => {
                verify_chain(&events, banshi_crypto::sm3_hex)?;
                return Err(ChainBreak {
                    at_seq: seq,
                    kind: BreakKind::Altered,
                    message: format!("event {seq} has an unknown action {name:?}"),
                }
                .into());
            }
        }
    }
    Ok(verify_chain(&events, banshi_crypto::sm3_hex)?)
}

/// An `audit_log` row as stored, before its action is parsed.
struct RawEvent {
    seq: u64,
    at_ms: i64,
    terminal: String,
    actor: String,
    action: String,
    record_kind: Option<String>,
    record_id: Option<String>,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl RawEvent {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            // A negative seq can only come from a hand-made row; as 0 it is reported where it stands.
            seq: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
            at_ms: r.get(1)?,
            terminal: r.get(2)?,
            actor: r.get(3)?,
            action: r.get(4)?,
            record_kind: r.get(5)?,
            record_id: r.get(6)?,
            detail: r.get(7)?,
            prev_hash: r.get(8)?,
            hash: r.get(9)?,
        })
    }

    /// The event, or the action name this build does not know.
    fn event(self) -> Result<AuditEvent, String> {
        let Some(action) = AuditAction::parse(&self.action) else {
            return Err(self.action);
        };
        Ok(AuditEvent {
            seq: self.seq,
            terminal: self.terminal,
            at_ms: self.at_ms,
            actor: self.actor,
            action,
            record_kind: self.record_kind,
            record_id: self.record_id,
            detail: self.detail,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use banshi_core::audit::{staff_actor, BreakKind};
    use banshi_core::queue::Ticket;
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

    fn store() -> (tempfile::TempDir, std::path::PathBuf, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("terminal.sqlite");
        let store = Store::open(&path, crate::store::test_key()).expect("open");
        (dir, path, store)
    }

    fn audit_rows(store: &Store) -> i64 {
        store
            .conn()
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
            .expect("count")
    }

    /// A store file with five audit events, closed, as an attacker with sqlite3 would find it.
    fn closed_store_with_five_events() -> (tempfile::TempDir, std::path::PathBuf) {
        let (dir, path, store) = store();
        store.set_terminal_id("qm-01").expect("terminal id");
        let header = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        for n in 2..=3 {
            store
                .update::<Ticket>(&header.id, Durability::Normal, |t| t.number = n)
                .expect("update");
        }
        store
            .audit(AuditEntry::new(
                1_800_000_000_000,
                staff_actor("s-1"),
                AuditAction::StaffLogin,
                "window 5",
            ))
            .expect("audit");
        store
            .acting(staff_actor("s-1"))
            .update::<Ticket>(&header.id, Durability::Normal, |t| t.printed = true)
            .expect("update");
        drop(store);
        (dir, path)
    }

    fn tamper(path: &Path, sql: &str) {
        Connection::open(path)
            .expect("open")
            .execute_batch(sql)
            .expect("tamper");
    }

    fn verify_break(path: &Path) -> ChainBreak {
        match verify_audit_file(path) {
            Err(AuditVerifyError::Broken(b)) => b,
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }

    #[test]
    fn audit_log_refuses_update_and_delete_through_sql() {
        let (_dir, _path, store) = store();
        store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        let conn = store.conn();
        let update = conn
            .execute("UPDATE audit_log SET detail = 'x'", [])
            .expect_err("update refused");
        assert!(update.to_string().contains("append-only"), "{update}");
        let delete = conn
            .execute("DELETE FROM audit_log", [])
            .expect_err("delete refused");
        assert!(delete.to_string().contains("append-only"), "{delete}");
        drop(conn);
        assert_eq!(audit_rows(&store), 1);
    }

    #[test]
    fn create_and_update_are_audited_with_actor_kind_id_and_terminal() {
        let (_dir, _path, store) = store();
        let header = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        store.set_terminal_id("win-05").expect("terminal id");
        store
            .acting(staff_actor("s-9"))
            .update::<Ticket>(&header.id, Durability::Normal, |t| t.printed = true)
            .expect("update");
        // An edit that changes nothing is no change to audit.
        store
            .update::<Ticket>(&header.id, Durability::Normal, |t| t.printed = true)
            .expect("update");
        let events = store.audit_events(0, 10).expect("events");
        let summary: Vec<_> = events
            .iter()
            .map(|e| {
                (
                    e.seq,
                    e.terminal.as_str(),
                    e.actor.as_str(),
                    e.action,
                    e.record_kind.as_deref(),
                    e.record_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    1,
                    UNKNOWN_TERMINAL,
                    ACTOR_TERMINAL,
                    AuditAction::RecordCreated,
                    Some("ticket"),
                    Some(header.id.as_str())
                ),
                (
                    2,
                    "win-05",
                    "staff:s-9",
                    AuditAction::RecordUpdated,
                    Some("ticket"),
                    Some(header.id.as_str())
                ),
            ]
        );
        assert_eq!(events[1].prev_hash, events[0].hash);
        assert_eq!(store.audit_events(1, 10).expect("events"), events[1..]);
        assert_eq!(store.verify_audit().expect("valid").last_seq, 2);
    }

    #[test]
    fn a_write_failing_after_its_audit_row_leaves_no_audit_row() {
        let (_dir, _path, store) = store();
        store
            .conn()
            .execute_batch(
                "CREATE TRIGGER refuse_status BEFORE INSERT ON sync_status
                 BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
            )
            .expect("trigger");
        store
            .create("hall:x", &ticket(1), Durability::Promised)
            .expect_err("the write fails");
        assert_eq!(audit_rows(&store), 0);
        assert!(store.scopes().expect("scopes").is_empty());
    }

    #[test]
    fn a_failing_audit_append_leaves_no_record() {
        let (_dir, _path, store) = store();
        store
            .conn()
            .execute_batch(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
                 BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
            )
            .expect("trigger");
        store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect_err("the write fails");
        assert!(store.scopes().expect("scopes").is_empty());
    }

    #[test]
    fn imported_records_are_not_audited_here() {
        let (_d1, _p1, a) = store();
        let (_d2, _p2, b) = store();
        let header = a
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        let mut doc = a.load_doc(&header.id).expect("load").expect("present");
        assert!(b.import_doc(&mut doc).expect("import"));
        assert_eq!(audit_rows(&b), 0);
    }

    #[test]
    fn verify_audit_file_passes_on_a_real_chain_open_or_closed() {
        let (_dir, path) = closed_store_with_five_events();
        let summary = verify_audit_file(&path).expect("valid");
        assert_eq!((summary.events, summary.last_seq), (5, 5));
        let store = Store::open(&path, crate::store::test_key()).expect("reopen");
        assert_eq!(verify_audit_file(&path).expect("valid"), summary);
        assert_eq!(store.verify_audit().expect("valid"), summary);
    }

    #[test]
    fn verify_audit_file_finds_a_deleted_row() {
        let (_dir, path) = closed_store_with_five_events();
        tamper(
            &path,
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 3;",
        );
        let b = verify_break(&path);
        assert_eq!((b.kind, b.at_seq), (BreakKind::Missing, 3));
        assert_eq!(b.code(), "audit.missing_event");
    }

    #[test]
    fn verify_audit_file_finds_an_edited_detail() {
        let (_dir, path) = closed_store_with_five_events();
        tamper(
            &path,
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'window 6' WHERE seq = 4;",
        );
        let b = verify_break(&path);
        assert_eq!((b.kind, b.at_seq), (BreakKind::Altered, 4));
    }

    #[test]
    fn verify_audit_file_finds_two_rows_with_swapped_contents() {
        let (_dir, path) = closed_store_with_five_events();
        tamper(
            &path,
            "DROP TRIGGER audit_log_no_update;
             CREATE TEMP TABLE original AS SELECT * FROM audit_log WHERE seq IN (2, 3);
             UPDATE audit_log SET (at_ms, terminal, actor, action, record_kind, record_id, detail, prev_hash, hash)
                 = (SELECT at_ms, terminal, actor, action, record_kind, record_id, detail, prev_hash, hash
                    FROM original o WHERE o.seq = 5 - audit_log.seq)
             WHERE seq IN (2, 3);",
        );
        let b = verify_break(&path);
        assert_eq!((b.kind, b.at_seq), (BreakKind::OutOfOrder, 2));
    }

    #[test]
    fn verify_audit_file_reports_an_unreadable_file_as_a_database_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = verify_audit_file(&dir.path().join("absent.sqlite")).expect_err("no file");
        assert_eq!(err.code(), "store.database");
    }

    #[test]
    fn export_audit_batch_takes_exactly_the_new_events_once() {
        let (_dir, _path, store) = store();
        store.set_terminal_id("qm-01").expect("terminal id");
        assert_eq!(
            store.export_audit_batch("hall:x", 100).expect("export"),
            None
        );
        let header = store
            .create("hall:x", &ticket(1), Durability::Normal)
            .expect("create");
        store
            .update::<Ticket>(&header.id, Durability::Normal, |t| t.number = 2)
            .expect("update");

        let batch = store
            .export_audit_batch("hall:x", 100)
            .expect("export")
            .expect("a batch");
        assert_eq!(batch.kind, AUDIT_BATCH_KIND);
        let body = store
            .get::<AuditBatch>(&batch.id)
            .expect("get")
            .expect("present")
            .body;
        assert_eq!(
            (body.terminal.as_str(), body.first_seq, body.last_seq),
            ("qm-01", 1, 2)
        );
        assert_eq!(body.events, store.audit_events(0, 100).expect("events"));
        // Writing the batch record is not itself audited.
        assert_eq!(audit_rows(&store), 2);
        assert_eq!(
            store.export_audit_batch("hall:x", 100).expect("export"),
            None
        );

        store
            .audit(AuditEntry::new(
                1,
                ACTOR_TERMINAL,
                AuditAction::KeyRotated,
                "data key 2",
            ))
            .expect("audit");
        let next = store
            .export_audit_batch("hall:x", 100)
            .expect("export")
            .expect("a batch");
        let body = store
            .get::<AuditBatch>(&next.id)
            .expect("get")
            .expect("present")
            .body;
        assert_eq!(
            (body.first_seq, body.last_seq, body.events.len()),
            (3, 3, 1)
        );
        assert_eq!(body.events[0].action, AuditAction::KeyRotated);
    }
}
