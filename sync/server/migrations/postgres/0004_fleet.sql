-- Server store (PostgreSQL backend), schema 4: fleet management, as the SQLite backend's 0004_fleet.sql.
CREATE TABLE fleet_items (
    kind          TEXT NOT NULL,
    id            TEXT NOT NULL,
    body          TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
