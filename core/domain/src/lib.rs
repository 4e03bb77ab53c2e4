//! The hall's domain, free of I/O.
//!
//! Everything here is plain data and rules: what a ticket is, how its number is chosen, how personal data is
//! masked, who may do what (`staff`), what time it is (behind [`Clock`], so rules are testable at any
//! instant). Storage (automerge + SQLite), devices and HTTP live in other crates and call into this one;
//! nothing here knows about them.
//! Record types derive `autosurgeon`'s `Reconcile`/`Hydrate` because each record *is* an automerge document
//! (see `banshi-store`), and the mapping is part of the record's definition.

pub mod application;
pub mod appointment;
pub mod audit;
pub mod catalogue;
pub mod clock;
pub mod error;
pub mod hall;
pub mod kpi;
pub mod mask;
pub mod queue;
pub mod rating;
pub mod staff;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ErrorBody, ErrorCode};
