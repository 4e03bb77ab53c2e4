-- Server store (SQLite backend), schema 1. Shipped migrations are never edited: add a new file instead.

-- One row per record document, saved whole (server documents are small; terminals keep the history).
-- `position` grows on every change and orders the per-scope change feed.
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    position      INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX documents_feed ON documents (scope, position);

-- automerge sync state per (document, terminal): the shared heads, so a reconnect resumes.
CREATE TABLE sync_states (
    doc_id TEXT NOT NULL,
    peer   TEXT NOT NULL,
    state  BLOB NOT NULL,
    PRIMARY KEY (doc_id, peer)
) STRICT;
