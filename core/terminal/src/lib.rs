//! The terminal's application layer: one [`Terminal`] per running `banshi`, whatever its mode.
//!
//! It owns the pieces a profile asks for — the local store, the devices, the sync client — and offers the
//! operations the UI calls (status, the queue — tickets, windows, calls, KPIs, hall set-up — list tickets, the records not yet synced, keep and fetch
//! blobs) plus a stream of [`TerminalEvent`]s. Both front doors use it unchanged: Tauri commands inside the app
//! and the HTTP/WebSocket API of `banshi serve` (`banshi-local-api`). It has no Tauri and no HTTP types, so
//! scenarios in `tests/` run whole halls of terminals in one process.

mod messages;
mod terminal;
mod views;

pub use terminal::{
    default_kek_file, IssueRequest, StaffInput, Terminal, TerminalError, TerminalEvent,
};
pub use views::{
    ApplicantView, AppointmentView, AuditCheckView, CallsView, CategoryView, CurrentCallView,
    HallSetupView, IdentityView, LoginView, LostCallView, QueueView, RecentCallView, SessionView,
    StaffAccountView, StaffView, StatusView, SyncView, TerminalView, TicketView,
    UnsyncedRecordView, UnsyncedView, WaitingView, WindowCallView, WindowStateView,
};
