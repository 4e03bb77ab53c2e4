-- Terminal store, schema 3: the audit chain and small local settings. Shipped migrations are never edited.

-- One row per audit event of this terminal, hash-chained (see banshi_core::audit). Rows hold no personal data,
-- so they stay readable without the data key (`verify_audit_file`). `seq` is assigned by the store (last + 1)
-- in the transaction of the write it describes.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    terminal    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    record_kind TEXT,
    record_id   TEXT,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;

-- Append-only. Anyone with sqlite3 can drop these triggers; the hash chain is what makes that visible, the
-- triggers keep the program itself (and a careless repair) from rewriting the trail.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: events cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: events cannot be deleted');
END;

-- Small values this terminal keeps for itself and never syncs: its id for audit rows, the audit export cursor,
-- login failure counters.
CREATE TABLE local_state (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
