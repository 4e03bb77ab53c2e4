//! Records on automerge, and the terminal's local store.
//!
//! Every record (ticket, application, rating, audit batch …) is one small automerge document with a
//! [`DocHeader`] (UUIDv7 id, kind, scope, schema version) at `header` and the record body at `body`. Small
//! documents keep load and merge costs bounded (tech-research §1.1); the header lets any peer — including the
//! server, which knows nothing of record types — index a document it has only received as sync bytes.
//!
//! [`Store`] keeps documents in SQLite (WAL): a snapshot plus incremental chunks, compacted every
//! [`COMPACT_AFTER_CHUNKS`] writes; per-peer sync state; per-record sync status (the outbox); change-feed
//! cursors. Writes the UI reports as saved use [`Durability::Promised`], which commits with
//! `synchronous=FULL` so they survive power loss, not only a crash.
//!
//! Every record write made here is an event in the terminal's hash-chained audit log (`audit_log`, in the
//! write's own transaction); [`Store::audit`] adds other events, [`verify_audit_file`] checks the chain, and
//! [`Store::export_audit_batch`] packs new events into a record that syncs to the server.
//!
//! Blobs (scans, photos, PDFs) are files named by their SM3 in `blobs/` next to the database, with one
//! row each in the `blobs` table saying which scope holds them and whether the server has them yet.
//!
//! Everything that holds record content or blob content is sealed (SM4-GCM) on disk under the terminal's
//! data key (`keyring`): the database file and the blob folder can be copied, but not read, without the
//! key-encryption key kept elsewhere.

mod audit;
mod blobs;
pub mod keyring;
mod local_state;
mod record;
mod store;

pub use audit::{verify_audit_file, ActingStore, AuditVerifyError, UNKNOWN_TERMINAL};
pub use banshi_crypto::DataKey;
pub use blobs::{BlobDownload, BlobMeta, BlobState};
pub use keyring::{kek_source_from_env, open_data_key, rewrap_data_key, KekSource, KeyringError};
pub use record::{new_record_doc_with_id, read_record, DocHeader, Record, RecordError, RecordKind};
pub use store::{
    DocMeta, Durability, Store, StoreError, SyncCounts, SyncStatus, UnsyncedDoc,
    COMPACT_AFTER_CHUNKS,
};

pub use automerge;
