-- Server store (PostgreSQL backend), schema 5: official case numbers, as the SQLite backend's 0005_cases.sql.
CREATE TABLE case_counters (
    item_code text NOT NULL,
    year      integer NOT NULL,
    last      bigint NOT NULL,
    PRIMARY KEY (item_code, year)
);

CREATE TABLE case_numbers (
    number text PRIMARY KEY,
    doc_id text NOT NULL,
    scope  text NOT NULL
);

CREATE INDEX documents_kind_feed ON documents (kind, position);
