-- Server store (SQLite backend), schema 2: enrolled terminals, enrollment tokens, replay protection, and
-- the relay's cursors.

-- One row per enrolled terminal (or relay): its SM2 public key and the hall it is bound to.
CREATE TABLE terminals (
    id             TEXT PRIMARY KEY,
    hall_id        TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('terminal', 'relay')),
    status         TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    enrolled_at_ms INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX terminals_by_hall ON terminals (hall_id);

-- One-time (or N-time) enrollment tokens an admin hands out; only their SM3 hash is kept.
CREATE TABLE enrollment_tokens (
    token_sm3     TEXT PRIMARY KEY,
    hall_id       TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('terminal', 'relay')),
    uses_left     INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

-- Request nonces seen recently, per terminal; a request repeating one is a replay.
CREATE TABLE seen_nonces (
    terminal_id   TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (terminal_id, nonce)
) STRICT;
CREATE INDEX seen_nonces_expiry ON seen_nonces (expires_at_ms);

-- Named positions a hall relay keeps: how far it pushed its own feed upstream and read upstream's feed.
CREATE TABLE cursors (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
) STRICT;
