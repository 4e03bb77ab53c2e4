-- Server store (PostgreSQL backend), schema 1. Shipped migrations are never edited: add a new file instead.
-- The same tables as the SQLite backend (migrations/0001_initial.sql), so both run the same story suite.

-- Feed positions for every scope. A writer takes the next value only while holding its scope's feed lock
-- (see storage/postgres.rs), so within a scope positions become visible in increasing order.
CREATE SEQUENCE feed_positions;

-- One row per record document, saved whole (server documents are small; terminals keep the history).
-- `position` moves to a fresh value on every change and orders the per-scope change feed.
CREATE TABLE documents (
    id            text PRIMARY KEY,
    kind          text NOT NULL,
    scope         text NOT NULL,
    bytes         bytea NOT NULL,
    position      bigint NOT NULL,
    updated_at_ms bigint NOT NULL
);
CREATE UNIQUE INDEX documents_feed ON documents (scope, position);

-- automerge sync state per (document, terminal): the shared heads, so a reconnect resumes.
CREATE TABLE sync_states (
    doc_id text NOT NULL,
    peer   text NOT NULL,
    state  bytea NOT NULL,
    PRIMARY KEY (doc_id, peer)
);
