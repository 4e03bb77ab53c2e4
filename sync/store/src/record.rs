//! The record document layout: `{ header: DocHeader, body: T }`.

use automerge::{AutoCommit, ROOT};
use autosurgeon::{hydrate_prop, reconcile_prop, Hydrate, ReadDoc, Reconcile};
use uuid::Uuid;

/// Identity and routing of a record, stored inside the document itself.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct DocHeader {
    /// UUIDv7: unique without coordination, and sorts by creation time.
    pub id: String,
    pub kind: String,
    /// Who may hold the record, e.g. `hall:hk-longhua`; the server enforces it.
    pub scope: String,
    pub schema_version: u64,
}

/// A kind of record the terminal knows how to read and write. Later issues add kinds by implementing this.
pub trait RecordKind: Reconcile + Hydrate + Sized {
    const KIND: &'static str;
    const SCHEMA_VERSION: u64;
}

impl RecordKind for banshi_core::queue::Ticket {
    const KIND: &'static str = banshi_core::queue::TICKET_KIND;
    const SCHEMA_VERSION: u64 = banshi_core::queue::TICKET_SCHEMA_VERSION as u64;
}

impl RecordKind for banshi_core::queue::WindowSession {
    const KIND: &'static str = banshi_core::queue::WINDOW_SESSION_KIND;
    const SCHEMA_VERSION: u64 = 1;
}

impl RecordKind for banshi_core::hall::HallSetup {
    const KIND: &'static str = banshi_core::hall::HALL_SETUP_KIND;
    const SCHEMA_VERSION: u64 = 1;
}

impl RecordKind for banshi_core::staff::StaffAccount {
    const KIND: &'static str = banshi_core::staff::STAFF_KIND;
    const SCHEMA_VERSION: u64 = 1;
}

impl RecordKind for banshi_core::appointment::Appointment {
    const KIND: &'static str = banshi_core::appointment::APPOINTMENT_KIND;
    const SCHEMA_VERSION: u64 = banshi_core::appointment::APPOINTMENT_SCHEMA_VERSION as u64;
}

impl RecordKind for banshi_core::catalogue::Catalogue {
    const KIND: &'static str = banshi_core::catalogue::CATALOGUE_KIND;
    const SCHEMA_VERSION: u64 = 1;
}

impl RecordKind for banshi_core::application::Application {
    const KIND: &'static str = banshi_core::application::APPLICATION_KIND;
    const SCHEMA_VERSION: u64 = banshi_core::application::APPLICATION_SCHEMA_VERSION as u64;
}

impl RecordKind for banshi_core::rating::Rating {
    const KIND: &'static str = banshi_core::rating::RATING_KIND;
    const SCHEMA_VERSION: u64 = banshi_core::rating::RATING_SCHEMA_VERSION as u64;
}

impl RecordKind for banshi_core::audit::AuditBatch {
    const KIND: &'static str = banshi_core::audit::AUDIT_BATCH_KIND;
    const SCHEMA_VERSION: u64 = banshi_core::audit::AUDIT_BATCH_SCHEMA_VERSION as u64;
}

/// A hydrated record with its header.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    pub header: DocHeader,
    pub body: T,
}

/// Errors reading or writing the record layout in a document.
// The autosurgeon errors are boxed: they are large and rare, and every store call returns this type.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("document has no valid header: {0}")]
    Header(#[source] Box<autosurgeon::HydrateError>),
    #[error("document body does not match record kind {kind}: {source}")]
    Body {
        kind: &'static str,
        #[source]
        source: Box<autosurgeon::HydrateError>,
    },
    #[error("document is a {found}, not a {expected}")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    #[error("writing the record failed: {0}")]
    Reconcile(#[source] Box<autosurgeon::ReconcileError>),
}

impl From<autosurgeon::ReconcileError> for RecordError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        RecordError::Reconcile(Box::new(e))
    }
}

/// A fresh document holding `body` as a new record of kind `T` in `scope`.
pub fn new_record_doc<T: RecordKind>(
    scope: &str,
    body: &T,
) -> Result<(DocHeader, AutoCommit), RecordError> {
    new_record_doc_with_id(&Uuid::now_v7().to_string(), scope, body)
}

/// Like [`new_record_doc`] with a chosen id: for a record that several writers may each create and that
/// must still be one document (the server's default grade of a case: one id per case, however many nodes
/// decide it).
pub fn new_record_doc_with_id<T: RecordKind>(
    id: &str,
    scope: &str,
    body: &T,
) -> Result<(DocHeader, AutoCommit), RecordError> {
    let header = DocHeader {
        id: id.to_string(),
        kind: T::KIND.to_string(),
        scope: scope.to_string(),
        schema_version: T::SCHEMA_VERSION,
    };
    let mut doc = AutoCommit::new();
    reconcile_prop(&mut doc, ROOT, "header", &header)?;
    reconcile_prop(&mut doc, ROOT, "body", body)?;
    Ok((header, doc))
}

/// The header of any record document.
pub fn read_header(doc: &impl ReadDoc) -> Result<DocHeader, RecordError> {
    hydrate_prop(doc, ROOT, "header").map_err(|e| RecordError::Header(Box::new(e)))
}

/// The typed record in `doc`, checking its kind.
pub fn read_record<T: RecordKind>(doc: &impl ReadDoc) -> Result<Record<T>, RecordError> {
    let header = read_header(doc)?;
    if header.kind != T::KIND {
        return Err(RecordError::WrongKind {
            expected: T::KIND,
            found: header.kind,
        });
    }
    let body = hydrate_prop(doc, ROOT, "body").map_err(|source| RecordError::Body {
        kind: T::KIND,
        source: Box::new(source),
    })?;
    Ok(Record { header, body })
}

/// Replace the body of a record document with `body` (automerge records only the differences).
pub fn write_body<T: RecordKind>(doc: &mut AutoCommit, body: &T) -> Result<(), RecordError> {
    reconcile_prop(doc, ROOT, "body", body)?;
    Ok(())
}
