//! What the UI receives: serialisable views, the same over Tauri IPC and over HTTP.

use std::collections::BTreeMap;

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
    pub pending: usize,
    /// Blobs (scans, photos) not yet verified by the server.
    pub pending_blobs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub id: String,
    pub number: String,
    pub category: String,
    pub category_name: BTreeMap<String, String>,
    /// RFC 3339.
    pub issued_at: String,
    pub issued_by: String,
    pub people_ahead: usize,
    pub status: banshi_core::queue::TicketStatus,
    pub printed: bool,
    pub print_error: Option<ErrorBody>,
    pub sync_status: SyncStatus,
}
