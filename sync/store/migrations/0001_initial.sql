-- Terminal store, schema 1. Shipped migrations are never edited: add a new file instead.

-- One row per record document. The document itself is a snapshot plus incremental chunks (compacted).
CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    scope          TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    snapshot       BLOB NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX documents_by_kind ON documents (kind, updated_at_ms);

CREATE TABLE document_chunks (
    doc_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
) STRICT;

-- Per-record sync status: local (never sent) / sending / synced / refused (+ reason).
-- `local_changes` counts local writes, so a sync pass that started before an edit cannot mark it synced.
CREATE TABLE sync_status (
    doc_id        TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('local', 'sending', 'synced', 'refused')),
    reason        TEXT,
    local_changes INTEGER NOT NULL DEFAULT 0,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_status_pending ON sync_status (status);

-- automerge sync state per (document, peer); only the shared heads persist (State::encode).
CREATE TABLE sync_states (
    doc_id TEXT NOT NULL,
    peer   TEXT NOT NULL,
    state  BLOB NOT NULL,
    PRIMARY KEY (doc_id, peer)
) STRICT;

-- How far this terminal has read each scope's change feed on each server.
CREATE TABLE feed_cursors (
    peer     TEXT NOT NULL,
    scope    TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (peer, scope)
) STRICT;
