//! `banshi-server`: the lean central sync server, also run in a hall as a relay.
//!
//! It holds every record document of the scopes it serves and speaks the per-document automerge sync
//! protocol (`docs/sync-protocol.md`) plus a per-scope change feed. It understands little beyond the record
//! header (kind, scope): business rules live on the terminals, in `banshi-core`, so the server stays small
//! and any node can serve any terminal. The exceptions need one authority for the province: official case
//! numbers, the default grade of cases nobody rated, and the acceptance platform's status updates and rating
//! report.
//!
//! Layout: [`storage`] (the backend trait, SQLite and PostgreSQL), [`sync`] (the protocol handlers),
//! [`blobs`] (chunked, content-addressed blob transfer), [`auth`] (enrollment and signed requests),
//! [`relay`] (a hall relay's upstream sync), [`cases`] (official case numbers, given only by the central
//! server), [`integration`] (the provincial acceptance platform's API: status updates, 好差评 report),
//! [`rating_defaults`] (the default grade of finished cases nobody rated), [`fleet`] (signed profile rollouts,
//! heartbeats, the fleet view), [`feed_wait`] (feed long-polls woken by storage change announcements),
//! [`metrics`] (Prometheus), [`app`] (the router that ties them together), [`testing`] (scratch PostgreSQL
//! databases for tests).

pub mod app;
pub mod auth;
pub mod blobs;
pub mod case_page;
pub mod cases;
pub mod feed_wait;
pub mod fleet;
pub mod integration;
pub mod metrics;
pub mod rating_defaults;
pub mod rating_sms;
pub mod relay;
pub mod storage;
pub mod sync;
pub mod testing;

pub use app::{router, serve, AppState};
