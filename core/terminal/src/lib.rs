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

/// The fleet vocabulary (signed releases, heartbeats, rollouts), for front doors and tests.
pub use banshi_sync_client::fleet;
pub use terminal::{
    check_release, default_kek_file, fleet_terminal_view, read_signing_key, sign_release,
    FleetError, FleetTerminalView, FleetView, IssueRequest, LockdownError, ProfileCheckView,
    ProfileIssueView, RolloutView, StaffInput, Terminal, TerminalError, TerminalEvent,
};
pub use terminal::{
    ApplicantCardView, ApplicantInput, ApplicationError, ApplicationPatch, BundleExportView,
    CaseMaterialView, CaseStepView, CaseSummaryView, CaseView, EvaluatorOutcome, NoticeView,
    ProgressView, RatingView,
};
pub use terminal::{
    CustomerAnswer, CustomerCaseView, CustomerFieldView, CustomerMaterialView, CustomerOffer,
    CustomerScreenError, CustomerScreenView,
};
pub use views::{
    ApplicantView, AppointmentView, AuditCheckView, CallsView, CategoryView, CurrentCallView,
    HallSetupView, IdentityView, LoginView, LostCallView, QueueView, RecentCallView, SessionView,
    StaffAccountView, StaffView, StatusView, SyncView, TerminalView, TicketView,
    UnsyncedRecordView, UnsyncedView, WaitingView, WindowCallView, WindowStateView,
};
