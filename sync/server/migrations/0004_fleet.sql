-- Server store (SQLite backend), schema 4: fleet management (signed profile releases and their rollouts,
-- terminal heartbeats, which terminals are fleet admin terminals), as JSON values by (kind, id). The fleet
-- logic (`src/fleet.rs`) owns the JSON shapes; the table only keeps them.
CREATE TABLE fleet_items (
    kind          TEXT NOT NULL,
    id            TEXT NOT NULL,
    body          TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT;
