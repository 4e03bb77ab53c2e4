-- Terminal store, schema 2: blobs (scans, photos, PDFs). Shipped migrations are never edited.

-- One row per (blob, scope) this terminal holds. The content itself is a file `blobs/<sm3>` next to the
-- database (named by the lower-case hex SM3 of its bytes, so it is stored once whatever the rows), written
-- to a temporary file, fsynced and renamed, so a crash leaves either no file or the whole one.
-- `state`: local (not sent yet) / uploading (some chunks sent) / synced (the server verified it, or it
-- came from the server) / refused (the server said no; `reason` says why).
CREATE TABLE blobs (
    sm3           TEXT NOT NULL,
    scope         TEXT NOT NULL,
    size          INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('local', 'uploading', 'synced', 'refused')),
    reason        TEXT,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (sm3, scope)
) STRICT;
CREATE INDEX blobs_by_state ON blobs (state, created_at_ms);
