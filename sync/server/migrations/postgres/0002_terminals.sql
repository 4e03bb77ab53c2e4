-- Server store (PostgreSQL backend), schema 2: enrolled terminals, enrollment tokens, replay protection,
-- and a relay's cursors. Same tables as the SQLite backend's 0002_terminals.sql.

CREATE TABLE terminals (
    id             TEXT PRIMARY KEY,
    hall_id        TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('terminal', 'relay')),
    status         TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    enrolled_at_ms BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX terminals_by_hall ON terminals (hall_id);

CREATE TABLE enrollment_tokens (
    token_sm3     TEXT PRIMARY KEY,
    hall_id       TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('terminal', 'relay')),
    uses_left     BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Shared by every node, so a request replayed to another node is refused too.
CREATE TABLE seen_nonces (
    terminal_id   TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    PRIMARY KEY (terminal_id, nonce)
);
CREATE INDEX seen_nonces_expiry ON seen_nonces (expires_at_ms);

CREATE TABLE cursors (
    name     TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
