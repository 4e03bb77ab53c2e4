//! What the UI receives: serialisable views, the same over Tauri IPC and over HTTP.

use std::collections::BTreeMap;

use banshi_core::kpi::StaffKpi;
use banshi_core::queue::{Priority, TicketStatus};
use banshi_core::ErrorBody;
use banshi_devices::DeviceHealth;
use banshi_store::SyncStatus;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub terminal: TerminalView,
    pub mode: &'static str,
    pub languages: Vec<String>,
    pub default_language: String,
    pub elder_mode: bool,
    pub idle_timeout_secs: u32,
    /// Window mode with a customer-facing screen: the desk offers confirmation, signature and rating on it.
    pub customer_screen: bool,
    /// A self-service kiosk that compares the person's face with the ID card's photo (人证核验) before a case.
    pub face_verification: bool,
    pub devices: Vec<DeviceHealth>,
    pub queue: QueueView,
    pub sync: SyncView,
    pub version: &'static str,
    /// RFC 3339.
    pub server_time: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TerminalView {
    pub id: String,
    pub label: String,
    pub outlet: String,
    pub hall_id: String,
    pub fault_hotline: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    pub categories: Vec<CategoryView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub code: String,
    pub name: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncView {
    pub server: Option<String>,
    /// `online`, `offline`, `unenrolled` (no enrollment token used yet), `revoked` (an admin revoked this
    /// terminal) or `disabled` (no sync server in the profile).
    pub state: &'static str,
    pub last_sync_at: Option<String>,
    /// Records waiting to be sent (local or sending): the indicator's "n records waiting".
    pub pending: usize,
    /// Blobs (scans, photos) not yet verified by the server.
    pub pending_blobs: usize,
    /// Records the server refused; they stay here and are listed with the reason.
    pub refused: usize,
}

/// The records this terminal holds that the server does not (yet), for the "not yet synced" screen.
#[derive(Debug, Clone, Serialize)]
pub struct UnsyncedView {
    /// How many there are in all; `records` holds at most the first page of them.
    pub total: usize,
    pub records: Vec<UnsyncedRecordView>,
}

/// One not-yet-synced record. Shown on hall screens, so it names the record without personal data.
#[derive(Debug, Clone, Serialize)]
pub struct UnsyncedRecordView {
    pub id: String,
    /// Record kind (`ticket`, …); the UI translates it.
    pub kind: String,
    /// A ticket's number (`A003`), else the last characters of the id: never a name or an ID number.
    pub label: String,
    /// `local`, `sending` or `refused`.
    pub status: SyncStatus,
    /// Why it is not synced: `sync.disabled`, `sync.unenrolled`, `sync.revoked`, `sync.offline`,
    /// `sync.queued`, `sync.sending` or `sync.refused` (the message then is what the server said).
    pub reason: ErrorBody,
    /// When the record last changed here (RFC 3339).
    pub changed_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub id: String,
    pub number: String,
    /// The category it waits in now (after a transfer, the new one).
    pub category: String,
    pub category_name: BTreeMap<String, String>,
    /// RFC 3339.
    pub issued_at: String,
    pub issued_by: String,
    pub people_ahead: usize,
    pub status: TicketStatus,
    pub printed: bool,
    pub print_error: Option<ErrorBody>,
    pub sync_status: SyncStatus,
    pub priority: Priority,
    /// Masked for every screen; the window's current ticket is the only place with more.
    pub applicant: Option<ApplicantView>,
    pub appointment: Option<String>,
    /// The window that called it (the winning call).
    pub window: Option<u32>,
    pub called_at: Option<String>,
    pub recalls: u32,
    pub transferred_from: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplicantView {
    pub name: String,
    pub id_number: String,
    pub age: u8,
}

/// A card read at the queue machine: masked, with a token that stands for the card for a few minutes.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    pub token: String,
    pub name: String,
    pub id_number: String,
    pub age: u8,
    pub elderly: bool,
    pub appointments: Vec<AppointmentView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppointmentView {
    pub booking_number: String,
    pub item_code: String,
    pub category: String,
    pub category_name: BTreeMap<String, String>,
    pub date: String,
    pub slot: String,
    pub slot_start: String,
    pub slot_end: String,
    pub status: banshi_core::appointment::AppointmentStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffView {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub staff_id: String,
    pub staff_name: String,
    pub opened_at: String,
    pub paused: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LostCallView {
    pub number: String,
    pub window: u32,
}

/// The clerk's desk.
#[derive(Debug, Clone, Serialize)]
pub struct WindowStateView {
    pub window: u32,
    pub label: String,
    pub categories: Vec<String>,
    pub staff: Vec<StaffView>,
    pub session: Option<SessionView>,
    pub current: Option<TicketView>,
    pub lost: Option<LostCallView>,
    pub recalls_before_no_show: u8,
    pub waiting: usize,
    pub kpi: StaffKpi,
}

/// The call screen: no personal data at all.
#[derive(Debug, Clone, Serialize)]
pub struct CallsView {
    pub windows: Vec<WindowCallView>,
    pub recent: Vec<RecentCallView>,
    pub waiting: Vec<WaitingView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowCallView {
    pub window: u32,
    pub label: String,
    pub open: bool,
    pub paused: bool,
    pub current: Option<CurrentCallView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentCallView {
    pub number: String,
    pub called_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentCallView {
    pub number: String,
    pub window: u32,
    pub called_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaitingView {
    pub category: String,
    pub name: BTreeMap<String, String>,
    pub n: usize,
}

/// A hall set-up as the admin screen shows it: the record plus its import time as RFC 3339.
#[derive(Debug, Clone, Serialize)]
pub struct HallSetupView {
    #[serde(flatten)]
    pub setup: banshi_core::hall::HallSetup,
    pub updated_at: String,
}

impl From<banshi_core::hall::HallSetup> for HallSetupView {
    fn from(setup: banshi_core::hall::HallSetup) -> Self {
        let updated_at = rfc3339_ms(setup.updated_at_ms);
        Self { setup, updated_at }
    }
}

/// A staff session as the screen sees it. The token goes back with every staff request
/// (`Authorization: Bearer …` on the local API, `token` in Tauri commands).
#[derive(Debug, Clone, Serialize)]
pub struct LoginView {
    pub token: String,
    pub staff_id: String,
    pub name: String,
    pub hall_id: Option<String>,
    pub roles: Vec<banshi_core::staff::Role>,
    pub windows: Vec<u32>,
    /// What this staff member may do; screens show only what is allowed.
    pub permissions: Vec<banshi_core::staff::Permission>,
    pub idle_minutes: u32,
}

impl LoginView {
    pub(crate) fn new(
        token: &str,
        s: &banshi_core::staff::StaffSession,
        idle_minutes: u32,
    ) -> Self {
        let actor = banshi_core::staff::Actor::Staff(s.clone());
        Self {
            token: token.to_string(),
            staff_id: s.staff_id.clone(),
            name: s.name.clone(),
            hall_id: s.hall_id.clone(),
            roles: s.roles.clone(),
            windows: s.windows.clone(),
            permissions: banshi_core::staff::Permission::ALL
                .into_iter()
                .filter(|p| actor.can(*p))
                .collect(),
            idle_minutes,
        }
    }
}

/// A staff account for the manager's list: no verifiers, only whether each secret is set.
#[derive(Debug, Clone, Serialize)]
pub struct StaffAccountView {
    pub staff_id: String,
    pub name: String,
    pub hall_id: Option<String>,
    pub roles: Vec<banshi_core::staff::Role>,
    pub windows: Vec<u32>,
    pub has_password: bool,
    pub must_change_password: bool,
    pub has_card_login: bool,
    pub disabled: bool,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&banshi_core::staff::StaffAccount> for StaffAccountView {
    fn from(a: &banshi_core::staff::StaffAccount) -> Self {
        Self {
            staff_id: a.staff_id.clone(),
            name: a.name.clone(),
            hall_id: a.hall_id.clone(),
            roles: a.roles.clone(),
            windows: a.windows.clone(),
            has_password: a.password_verifier.is_some(),
            must_change_password: a.must_change_password,
            has_card_login: a.card_key.is_some() && a.pin_verifier.is_some(),
            disabled: a.disabled,
            updated_at: rfc3339_ms(a.updated_at_ms),
        }
    }
}

/// A Unix-milliseconds instant as RFC 3339 (empty if out of range).
fn rfc3339_ms(ms: i64) -> String {
    banshi_core::queue::from_unix_ms(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The result of checking this terminal's audit chain (`GET /api/audit/verify`, `verify_audit`).
#[derive(Debug, Clone, Serialize)]
pub struct AuditCheckView {
    pub ok: bool,
    /// Events checked when intact; 0 when broken.
    pub events: u64,
    /// The first broken event: `audit.missing_event`, `audit.altered_event` or `audit.out_of_order`.
    pub problem: Option<ErrorBody>,
}
