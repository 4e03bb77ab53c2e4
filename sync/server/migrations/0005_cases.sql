-- Server store (SQLite backend), schema 5: official case numbers (`src/cases.rs`).
-- One counter per (item, year): the official number's sequence restarts on 1 January.
CREATE TABLE case_counters (
    item_code TEXT NOT NULL,
    year      INTEGER NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (item_code, year)
) STRICT;

-- Every provisional and official number a case has carried, so the acceptance platform can name a case by
-- either without the server reading every application.
CREATE TABLE case_numbers (
    number TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    scope  TEXT NOT NULL
) STRICT;

-- Reports that follow one kind of record (ratings) across every scope.
CREATE INDEX documents_kind_feed ON documents (kind, position);
