-- Server store (PostgreSQL backend), schema 3: blobs (scans, photos, PDFs), content-addressed by SM3.
-- The same tables as the SQLite backend's 0003_blobs.sql (BLOB → BYTEA, INTEGER → BIGINT).

-- Verified content, stored once per SM3 whatever the number of scopes or uploads that brought it.
CREATE TABLE blobs (
    sm3           TEXT PRIMARY KEY,
    size          BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- The content in fixed-size chunks (the protocol's BLOB_CHUNK_BYTES), so a download resumes by chunk.
CREATE TABLE blob_chunks (
    sm3   TEXT NOT NULL,
    idx   BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (sm3, idx)
);

-- Which scopes may read a verified blob. A scope is added only by a verified upload made for it, so
-- knowing a hash never grants access to somebody else's content.
CREATE TABLE blob_scopes (
    sm3           TEXT NOT NULL,
    scope         TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (sm3, scope)
);

-- Uploads in progress, per (blob, scope): the declared size and the chunks received so far. Kept apart
-- from verified content so a bad or unfinished upload can never touch what is already verified.
-- `generation` grows with every chunk received: verifying nodes keep an upload only if it did not change
-- while they hashed it (several server nodes on one database).
CREATE TABLE blob_uploads (
    sm3           TEXT NOT NULL,
    scope         TEXT NOT NULL,
    size          BIGINT NOT NULL,
    generation    BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (sm3, scope)
);

CREATE TABLE blob_upload_chunks (
    sm3   TEXT NOT NULL,
    scope TEXT NOT NULL,
    idx   BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (sm3, scope, idx)
);
