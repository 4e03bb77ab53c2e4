//! Fleet management on the terminal: pushed profiles, heartbeats, and the admin console's rollouts.
//!
//! **Every terminal** sends a heartbeat (`fleet.heartbeat_secs`) and long-polls the server for the signed
//! profile release it should run (`banshi_sync_protocol::fleet`). A release is applied only if an admin key
//! the terminal trusts signed it (`fleet.trusted_keys` of the installed profile, or of the release it runs),
//! it is for the terminal's mode, and the profile in it is valid; the terminal keeps its own `[terminal]` id,
//! label and hall. Anything else is refused, the terminal keeps running its last good profile, and its next
//! heartbeat — sent at once — says why, so the server can halt the rollout. An applied release is kept in
//! `local_state` and survives restarts; an assignment of "no release" (a rollback past the first release)
//! takes the terminal back to its installed profile.
//!
//! Most settings take effect at once (the UI reloads its status on [`TerminalEvent::StatusChanged`];
//! devices are reopened when `[devices]` changed); `sync` and `security.key_file` only at the next start,
//! since the store and the sync connection are opened with them.
//!
//! **An admin console** (`mode = "admin"`, with `fleet.signing_key_file`) signs profiles for groups and steers
//! their rollouts on the server, for staff with the `manage-fleet` permission.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use banshi_core::audit::AuditAction;
use banshi_core::staff::{Actor, Permission};
use banshi_core::ErrorCode;
use banshi_devices::{DeviceSet, DeviceStatus};
use banshi_profile::{Mode, Profile};
use banshi_sync_client::fleet::{
    AppliedRelease, Assignment, DeviceReport, ErrorReport, FleetOverview, Heartbeat,
    PublishRelease, RefusedRelease, RolloutInfo, RolloutState, SignedProfile, TerminalGroup,
};
use banshi_sync_client::SyncClientError;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::{Terminal, TerminalError, TerminalEvent, FEED_RETRY_MAX, FEED_RETRY_MIN, FEED_WAIT};

/// `local_state` key of the applied release (JSON [`SignedProfile`]; empty: the installed profile).
const APPLIED_KEY: &str = "fleet.applied";
/// How many recent errors a heartbeat carries.
const RECENT_ERRORS: usize = 10;
/// Free disk below which the fleet view flags a terminal.
const DISK_LOW_MB: u64 = 500;

/// Why a pushed profile was refused, or a fleet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("the profile's signature does not verify")]
    BadSignature,
    #[error("the profile is signed by key {0:.16}…, which this terminal does not trust")]
    UntrustedKey(String),
    #[error("the profile is for mode {got:?}; this terminal runs {expected:?}")]
    WrongMode { expected: String, got: String },
    #[error("the profile is not valid: {0}")]
    InvalidProfile(String),
    #[error("this console has no fleet signing key (profile fleet.signing_key_file)")]
    NoSigningKey,
    #[error("the fleet signing key file {path} cannot be used: {reason}")]
    SigningKey { path: String, reason: String },
    #[error("the group's mode {0:?} is not a run mode")]
    BadGroup(String),
    #[error("the server refused: {message}")]
    Server {
        status: u16,
        code: &'static str,
        message: String,
    },
}

impl ErrorCode for FleetError {
    fn code(&self) -> &'static str {
        match self {
            FleetError::BadSignature => "fleet.bad_signature",
            FleetError::UntrustedKey(_) => "fleet.untrusted_key",
            FleetError::WrongMode { .. } => "fleet.wrong_mode",
            FleetError::InvalidProfile(_) => "fleet.invalid_profile",
            FleetError::NoSigningKey => "fleet.no_signing_key",
            FleetError::SigningKey { .. } => "fleet.signing_key",
            FleetError::BadGroup(_) => "fleet.bad_group",
            FleetError::Server { code, .. } => code,
        }
    }
}

impl FleetError {
    pub(crate) fn http_status(&self) -> u16 {
        match self {
            FleetError::InvalidProfile(_) | FleetError::BadGroup(_) => 400,
            FleetError::NoSigningKey | FleetError::SigningKey { .. } => 409,
            FleetError::Server { status, .. } => *status,
            _ => 422,
        }
    }

    /// A server refusal of an admin operation, with the server's code where it is one of the fleet's.
    fn from_client(error: SyncClientError) -> TerminalError {
        const KNOWN: [&str; 8] = [
            "fleet.not_an_admin_terminal",
            "fleet.rollout_in_progress",
            "fleet.stale_version",
            "fleet.release_exists",
            "fleet.not_rolling",
            "fleet.already_rolled_back",
            "fleet.unknown_release",
            "fleet.bad_release",
        ];
        match error {
            SyncClientError::Refused {
                status,
                code,
                message,
            } => {
                let code = KNOWN
                    .into_iter()
                    .find(|k| *k == code)
                    .unwrap_or("fleet.server_refused");
                FleetError::Server {
                    status,
                    code,
                    message,
                }
                .into()
            }
            SyncClientError::Unreachable(e) => FleetError::Server {
                status: 503,
                code: "fleet.server_unreachable",
                message: format!("the sync server cannot be reached: {e}"),
            }
            .into(),
            other => other.into(),
        }
    }
}

/// What the terminal knows of its pushed profiles (memory; the applied release is also in `local_state`).
#[derive(Debug, Default)]
pub(crate) struct FleetState {
    /// The last assignment acted on (`""`: the installed profile), so a refused release is not re-checked.
    seen: Option<String>,
    applied: Option<SignedProfile>,
    refused: Option<RefusedRelease>,
    recent_errors: VecDeque<ErrorReport>,
}

impl FleetState {
    /// The state of a terminal that starts running `applied` (`None`: its installed profile).
    pub(crate) fn running(applied: Option<SignedProfile>) -> Self {
        FleetState {
            seen: applied.as_ref().map(|r| r.release_id.clone()),
            applied,
            ..FleetState::default()
        }
    }
}

/// Check a pushed release for a terminal whose installed profile is `installed`: the signer is trusted, the
/// signature verifies, and the profile is valid and for this mode. Answers the profile to run, with the
/// terminal's own identity.
pub fn check_release(
    release: &SignedProfile,
    installed: &Profile,
    trusted_keys: &[String],
) -> Result<Profile, FleetError> {
    if !trusted_keys.iter().any(|k| k == &release.signer_key) {
        return Err(FleetError::UntrustedKey(release.signer_key.clone()));
    }
    banshi_crypto::verify(
        &release.signer_key,
        release.signing_string().as_bytes(),
        &release.signature,
    )
    .map_err(|_| FleetError::BadSignature)?;
    let mode = installed.mode.as_str();
    if release.group.mode != mode {
        return Err(FleetError::WrongMode {
            expected: mode.to_string(),
            got: release.group.mode.clone(),
        });
    }
    let mut profile = banshi_profile::parse_profile(&release.profile_toml).map_err(|errors| {
        let first: Vec<String> = errors.0.iter().take(3).map(|i| i.to_string()).collect();
        FleetError::InvalidProfile(first.join("; "))
    })?;
    if profile.mode != installed.mode {
        return Err(FleetError::WrongMode {
            expected: mode.to_string(),
            got: profile.mode.as_str().to_string(),
        });
    }
    profile.terminal.id = installed.terminal.id.clone();
    profile.terminal.label = installed.terminal.label.clone();
    profile.terminal.hall_id = installed.terminal.hall_id.clone();
    Ok(profile)
}

/// Sign `profile_toml` for `group` as release `version` with `key`.
pub fn sign_release(
    key: &banshi_crypto::SigningKeyPair,
    release_id: &str,
    version: u64,
    group: TerminalGroup,
    profile_toml: &str,
) -> SignedProfile {
    let message =
        banshi_sync_client::fleet::signing_string(release_id, version, &group, profile_toml);
    SignedProfile {
        release_id: release_id.to_string(),
        version,
        group,
        profile_toml: profile_toml.to_string(),
        signer_key: key.public_key_hex(),
        signature: key.sign_hex(message.as_bytes()),
    }
}

/// Read a signing key file: the hex of the 32-byte SM2 secret (`banshi fleet keygen`).
pub fn read_signing_key(
    path: &std::path::Path,
) -> Result<banshi_crypto::SigningKeyPair, FleetError> {
    let bad = |reason: String| FleetError::SigningKey {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let bytes = hex::decode(text.trim()).map_err(|_| bad("not hex".to_string()))?;
    banshi_crypto::SigningKeyPair::from_secret_bytes(&bytes).map_err(|e| bad(e.to_string()))
}

/// One line of the validation answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileIssueView {
    pub line: usize,
    pub column: usize,
    pub code: String,
    pub message: String,
}

/// `POST /api/fleet/profile/validate`'s answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProfileCheckView {
    pub errors: Vec<ProfileIssueView>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppliedView {
    pub release_id: String,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefusedView {
    pub release_id: String,
    pub version: u64,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecentErrorView {
    pub at: String,
    pub code: String,
    pub message: String,
}

/// One terminal in the admin's fleet view.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FleetTerminalView {
    pub id: String,
    pub hall_id: String,
    pub mode: Option<String>,
    pub label: Option<String>,
    pub tags: Vec<String>,
    pub online: bool,
    pub last_seen: Option<String>,
    pub last_sync: Option<String>,
    pub software_version: Option<String>,
    pub applied: Option<AppliedView>,
    pub profile_refused: Option<RefusedView>,
    pub devices: Vec<DeviceReport>,
    pub paper: String,
    pub disk_free_mb: Option<u64>,
    pub disk_total_mb: Option<u64>,
    pub recent_errors: Vec<RecentErrorView>,
    /// `offline`, `revoked`, `device_failing`, `paper_low`, `paper_out`, `profile_refused`, `disk_low`.
    pub faults: Vec<String>,
}

/// `GET /api/fleet/terminals`'s answer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FleetView {
    pub offline_after_minutes: u32,
    pub terminals: Vec<FleetTerminalView>,
}

/// One rollout as the admin console shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RolloutView {
    pub release_id: String,
    pub group: TerminalGroup,
    pub version: u64,
    pub stage_percent: u8,
    pub state: RolloutState,
    pub target_count: u32,
    pub applied_count: u32,
    pub failed_count: u32,
    pub halt_reason: Option<String>,
    pub previous_release_id: Option<String>,
    pub signer_key: String,
    pub created_at: String,
    pub profile_toml: String,
}

fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl From<RolloutInfo> for RolloutView {
    fn from(r: RolloutInfo) -> Self {
        RolloutView {
            release_id: r.release.release_id,
            group: r.release.group,
            version: r.release.version,
            stage_percent: r.stage_percent,
            state: r.state,
            target_count: r.target_count,
            applied_count: r.applied_count,
            failed_count: r.failed_count,
            halt_reason: r.halt_reason,
            previous_release_id: r.previous_release_id,
            signer_key: r.release.signer_key,
            created_at: rfc3339_ms(r.created_ms),
            profile_toml: r.release.profile_toml,
        }
    }
}

/// The fleet view's row for one terminal, judged at `now_ms`.
pub fn fleet_terminal_view(
    t: banshi_sync_client::fleet::FleetTerminal,
    now_ms: i64,
    offline_after_minutes: u32,
) -> FleetTerminalView {
    let online = t
        .last_seen_ms
        .is_some_and(|seen| now_ms - seen <= i64::from(offline_after_minutes) * 60_000)
        && !t.revoked;
    let mut faults = Vec::new();
    if !online {
        faults.push("offline".to_string());
    }
    if t.revoked {
        faults.push("revoked".to_string());
    }
    let beat = t.heartbeat;
    if let Some(h) = &beat {
        if h.devices
            .iter()
            .any(|d| matches!(d.status.as_str(), "offline" | "degraded"))
        {
            faults.push("device_failing".to_string());
        }
        match h.paper.as_str() {
            "low" => faults.push("paper_low".to_string()),
            "out" => faults.push("paper_out".to_string()),
            _ => {}
        }
        if h.refused.is_some() {
            faults.push("profile_refused".to_string());
        }
        if h.disk_total_mb > 0 && h.disk_free_mb < DISK_LOW_MB {
            faults.push("disk_low".to_string());
        }
    }
    FleetTerminalView {
        id: t.id,
        hall_id: t.hall_id,
        online,
        last_seen: t.last_seen_ms.map(rfc3339_ms),
        mode: beat.as_ref().map(|h| h.mode.clone()),
        label: beat.as_ref().map(|h| h.label.clone()),
        tags: beat.as_ref().map(|h| h.tags.clone()).unwrap_or_default(),
        last_sync: beat.as_ref().and_then(|h| h.last_sync_ms).map(rfc3339_ms),
        software_version: beat.as_ref().map(|h| h.software_version.clone()),
        applied: beat
            .as_ref()
            .and_then(|h| h.applied.as_ref())
            .map(|a| AppliedView {
                release_id: a.release_id.clone(),
                version: a.version,
            }),
        profile_refused: beat
            .as_ref()
            .and_then(|h| h.refused.as_ref())
            .map(|r| RefusedView {
                release_id: r.release_id.clone(),
                version: r.version,
                code: r.code.clone(),
                message: r.message.clone(),
            }),
        devices: beat.as_ref().map(|h| h.devices.clone()).unwrap_or_default(),
        paper: beat
            .as_ref()
            .map(|h| h.paper.clone())
            .unwrap_or_else(|| "unknown".to_string()),
        disk_free_mb: beat.as_ref().map(|h| h.disk_free_mb),
        disk_total_mb: beat.as_ref().map(|h| h.disk_total_mb),
        recent_errors: beat
            .map(|h| {
                h.recent_errors
                    .into_iter()
                    .map(|e| RecentErrorView {
                        at: rfc3339_ms(e.at_ms),
                        code: e.code,
                        message: e.message,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        faults,
    }
}

fn status_name(status: DeviceStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

impl Terminal {
    /// The profile a terminal runs at start: its applied release if that still checks out, else the installed one.
    pub(crate) fn startup_profile(
        installed: &Profile,
        store: &banshi_store::Store,
    ) -> (Profile, Option<SignedProfile>) {
        let applied = store
            .local_get(APPLIED_KEY)
            .ok()
            .flatten()
            .filter(|s| !s.is_empty())
            .and_then(|s| serde_json::from_str::<SignedProfile>(&s).ok());
        if let Some(release) = applied {
            match check_release(&release, installed, &installed.fleet.trusted_keys) {
                Ok(profile) => {
                    tracing::info!(release = %release.release_id, version = release.version, "running the pushed profile");
                    return (profile, Some(release));
                }
                Err(error) => {
                    tracing::warn!(release = %release.release_id, %error, "the pushed profile kept from before no longer checks out; running the installed one");
                }
            }
        }
        (installed.clone(), None)
    }

    /// The admin keys whose releases this terminal applies.
    fn trusted_keys(&self) -> Vec<String> {
        let mut keys = self.installed.fleet.trusted_keys.clone();
        for k in &self.profile().fleet.trusted_keys {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        keys
    }

    fn fleet_state(&self) -> std::sync::MutexGuard<'_, FleetState> {
        self.fleet.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The release this terminal runs (`None`: its installed profile).
    pub fn applied_release(&self) -> Option<AppliedRelease> {
        self.fleet_state().applied.as_ref().map(|r| AppliedRelease {
            release_id: r.release_id.clone(),
            version: r.version,
        })
    }

    /// The last release this terminal refused, and why.
    pub fn refused_release(&self) -> Option<RefusedRelease> {
        self.fleet_state().refused.clone()
    }

    /// Remember an error for the next heartbeats.
    pub(crate) fn note_error(&self, code: &str, message: &str) {
        let mut state = self.fleet_state();
        if state.recent_errors.len() == RECENT_ERRORS {
            state.recent_errors.pop_front();
        }
        state.recent_errors.push_back(ErrorReport {
            at_ms: self.clock.now_ms(),
            code: code.to_string(),
            message: message.to_string(),
        });
    }

    /// Run `profile` from now on (reopening devices if they changed) and tell the UI.
    fn switch_profile(&self, profile: Profile) {
        let devices_changed = self.profile().devices != profile.devices;
        if devices_changed {
            *self.devices.write().unwrap_or_else(|p| p.into_inner()) =
                Arc::new(DeviceSet::from_profile(&profile.devices));
        }
        *self.profile.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(profile);
        self.emit(TerminalEvent::StatusChanged);
        if devices_changed {
            self.emit(TerminalEvent::DevicesChanged);
        }
    }

    /// Act on the server's assignment: apply, refuse, or go back to the installed profile.
    pub async fn consider_assignment(&self, assignment: Assignment) {
        let id = assignment.release_id().to_string();
        {
            let mut state = self.fleet_state();
            if state.seen.as_deref() == Some(id.as_str()) {
                return;
            }
            state.seen = Some(id.clone());
            let running = state
                .applied
                .as_ref()
                .map(|r| r.release_id.as_str())
                .unwrap_or("");
            if running == id {
                return;
            }
        }
        let result = match assignment.release {
            None => self.return_to_installed().await,
            Some(release) => self.apply_release(release).await,
        };
        if let Err(error) = result {
            tracing::error!(%error, "saving the pushed profile failed");
            self.note_error(error.code(), &error.to_string());
        }
        // Tell the server at once, so a refusal halts the rollout before it reaches more terminals.
        self.fleet_now.notify_one();
    }

    async fn apply_release(&self, release: SignedProfile) -> Result<(), TerminalError> {
        match check_release(&release, &self.installed, &self.trusted_keys()) {
            Ok(profile) => {
                let json = serde_json::to_string(&release)
                    .map_err(|e| TerminalError::Task(e.to_string()))?;
                let store = Arc::clone(&self.store);
                super::blocking(move || store.local_put(APPLIED_KEY, &json)).await?;
                self.switch_profile(profile);
                let detail = format!("release {} version {}", release.release_id, release.version);
                tracing::info!(release = %release.release_id, version = release.version, "pushed profile applied");
                {
                    let mut state = self.fleet_state();
                    state.applied = Some(release);
                    state.refused = None;
                }
                self.audit("terminal", AuditAction::ProfileApplied, None, &detail)
                    .await
            }
            Err(error) => {
                tracing::warn!(release = %release.release_id, version = release.version, %error, "pushed profile refused; keeping the current one");
                self.note_error(error.code(), &error.to_string());
                let detail = format!(
                    "release {} version {}: {}",
                    release.release_id,
                    release.version,
                    error.code()
                );
                self.fleet_state().refused = Some(RefusedRelease {
                    release_id: release.release_id,
                    version: release.version,
                    code: error.code().to_string(),
                    message: error.to_string(),
                });
                self.audit("terminal", AuditAction::ProfileRefused, None, &detail)
                    .await
            }
        }
    }

    async fn return_to_installed(&self) -> Result<(), TerminalError> {
        if self.fleet_state().applied.is_none() {
            return Ok(());
        }
        let store = Arc::clone(&self.store);
        super::blocking(move || store.local_put(APPLIED_KEY, "")).await?;
        self.switch_profile(self.installed.clone());
        {
            let mut state = self.fleet_state();
            state.applied = None;
            state.refused = None;
        }
        tracing::info!("back to the installed profile");
        self.audit(
            "terminal",
            AuditAction::ProfileApplied,
            None,
            "installed profile",
        )
        .await
    }

    /// This terminal's heartbeat as of now.
    pub fn heartbeat(&self) -> Heartbeat {
        let profile = self.profile();
        let health = self.devices().health();
        let paper = match health.iter().find(|d| d.class == "ticket_printer") {
            Some(d) => match d.status {
                DeviceStatus::PaperLow => "low",
                DeviceStatus::PaperOut => "out",
                DeviceStatus::Ok => "ok",
                _ => "unknown",
            },
            None => "unknown",
        };
        let (disk_free_mb, disk_total_mb) = match rustix::fs::statvfs(&self.data_dir) {
            Ok(s) => (
                s.f_bavail.saturating_mul(s.f_frsize) / (1024 * 1024),
                s.f_blocks.saturating_mul(s.f_frsize) / (1024 * 1024),
            ),
            Err(_) => (0, 0),
        };
        let last_sync_ms = self
            .sync_health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .last_sync_ms;
        let state = self.fleet_state();
        Heartbeat {
            mode: profile.mode.as_str().to_string(),
            label: profile.terminal.label.clone(),
            tags: self.installed.fleet.tags.clone(),
            software_version: env!("CARGO_PKG_VERSION").to_string(),
            applied: state.applied.as_ref().map(|r| AppliedRelease {
                release_id: r.release_id.clone(),
                version: r.version,
            }),
            refused: state.refused.clone(),
            last_sync_ms,
            devices: health
                .into_iter()
                .map(|d| DeviceReport {
                    class: d.class,
                    status: status_name(d.status),
                    detail: d.detail,
                })
                .collect(),
            paper: paper.to_string(),
            disk_free_mb,
            disk_total_mb,
            recent_errors: state.recent_errors.iter().cloned().collect(),
        }
    }

    /// Send one heartbeat and act on the assignment that comes back.
    pub async fn send_heartbeat(&self) -> Result<(), TerminalError> {
        let client = self.sync.as_ref().ok_or(TerminalError::NoSyncServer)?;
        let assignment = client.connection().heartbeat(&self.heartbeat()).await?;
        self.consider_assignment(assignment).await;
        Ok(())
    }

    pub(crate) async fn heartbeat_loop(self: Arc<Self>) {
        loop {
            if self.is_enrolled() {
                if let Err(error) = self.send_heartbeat().await {
                    tracing::debug!(%error, "heartbeat not delivered");
                }
            }
            let every = Duration::from_secs(u64::from(self.profile().fleet.heartbeat_secs.max(1)));
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = self.fleet_now.notified() => {}
            }
        }
    }

    /// Long-poll the server for a new assignment, so a pushed profile applies about a round trip after the
    /// server has it.
    pub(crate) async fn assignment_watch(self: Arc<Self>) {
        let Some(client) = self.sync.clone() else {
            return;
        };
        let mut retry = FEED_RETRY_MIN;
        loop {
            if !self.is_enrolled() {
                tokio::time::sleep(FEED_RETRY_MIN).await;
                continue;
            }
            let known = self.fleet_state().seen.clone().unwrap_or_default();
            let started = tokio::time::Instant::now();
            match client.connection().wait_assignment(&known, FEED_WAIT).await {
                Ok(assignment) => {
                    retry = FEED_RETRY_MIN;
                    let unchanged = assignment.release_id() == known;
                    self.consider_assignment(assignment).await;
                    if unchanged && started.elapsed() < FEED_WAIT / 2 {
                        tokio::time::sleep(super::FEED_EARLY_ANSWER_PAUSE).await;
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, ?retry, "assignment watch: long-poll failed");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(FEED_RETRY_MAX);
                }
            }
        }
    }

    fn fleet_admin(&self, actor: &Actor) -> Result<(), TerminalError> {
        actor.require(Permission::ManageFleet)?;
        if self.installed.mode != Mode::Admin {
            return Err(TerminalError::WrongMode("admin"));
        }
        Ok(())
    }

    /// The signed connection to the sync server, for tools and tests that speak the fleet routes directly.
    pub fn sync_connection(&self) -> Option<&banshi_sync_client::Connection> {
        self.sync.as_ref().map(|c| c.connection())
    }

    fn admin_connection(&self) -> Result<&banshi_sync_client::Connection, TerminalError> {
        self.sync_connection().ok_or(TerminalError::NoSyncServer)
    }

    /// Audit a change an admin made to a rollout, and answer its view.
    async fn rollout_changed(
        &self,
        actor: &Actor,
        info: RolloutInfo,
        detail: String,
    ) -> Result<RolloutView, TerminalError> {
        self.audit(
            &actor.audit_name(),
            AuditAction::RolloutChanged,
            None,
            &detail,
        )
        .await?;
        Ok(info.into())
    }

    /// Every enrolled terminal with its last heartbeat and faults.
    pub async fn fleet_terminals(&self, actor: &Actor) -> Result<FleetView, TerminalError> {
        self.fleet_admin(actor)?;
        let overview: FleetOverview = self
            .admin_connection()?
            .fleet_terminals()
            .await
            .map_err(FleetError::from_client)?;
        let offline_after = self.profile().fleet.offline_after_minutes;
        Ok(FleetView {
            offline_after_minutes: offline_after,
            terminals: overview
                .terminals
                .into_iter()
                .map(|t| fleet_terminal_view(t, overview.now_ms, offline_after))
                .collect(),
        })
    }

    /// Every rollout, newest first.
    pub async fn fleet_rollouts(&self, actor: &Actor) -> Result<Vec<RolloutView>, TerminalError> {
        self.fleet_admin(actor)?;
        let rollouts = self
            .admin_connection()?
            .rollouts()
            .await
            .map_err(FleetError::from_client)?;
        Ok(rollouts.into_iter().map(RolloutView::from).collect())
    }

    /// Every problem of a profile text, with line and column (empty: valid). Needs no server.
    pub fn validate_profile_text(
        &self,
        actor: &Actor,
        toml: &str,
    ) -> Result<ProfileCheckView, TerminalError> {
        self.fleet_admin(actor)?;
        let errors = match banshi_profile::parse_profile(toml) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .0
                .into_iter()
                .map(|i| ProfileIssueView {
                    line: i.line,
                    column: i.column,
                    code: i.code.to_string(),
                    message: i.message,
                })
                .collect(),
        };
        Ok(ProfileCheckView { errors })
    }

    /// The profile's JSON Schema, for the authoring form.
    pub fn profile_schema(&self, actor: &Actor) -> Result<serde_json::Value, TerminalError> {
        self.fleet_admin(actor)?;
        serde_json::from_str(&banshi_profile::json_schema())
            .map_err(|e| TerminalError::Task(e.to_string()))
    }

    /// Sign `profile_toml` for `group` with this console's key and start its rollout at the first stage.
    pub async fn publish_profile(
        &self,
        actor: &Actor,
        group: TerminalGroup,
        profile_toml: &str,
    ) -> Result<RolloutView, TerminalError> {
        self.fleet_admin(actor)?;
        let Some(mode) = Mode::ALL.into_iter().find(|m| m.as_str() == group.mode) else {
            return Err(FleetError::BadGroup(group.mode).into());
        };
        let profile = banshi_profile::parse_profile(profile_toml).map_err(|errors| {
            let first: Vec<String> = errors.0.iter().take(3).map(|i| i.to_string()).collect();
            FleetError::InvalidProfile(first.join("; "))
        })?;
        if profile.mode != mode {
            return Err(FleetError::WrongMode {
                expected: mode.as_str().to_string(),
                got: profile.mode.as_str().to_string(),
            }
            .into());
        }
        let key_file = self
            .profile()
            .fleet
            .signing_key_file
            .clone()
            .ok_or(FleetError::NoSigningKey)?;
        let key =
            tokio::task::spawn_blocking(move || read_signing_key(std::path::Path::new(&key_file)))
                .await
                .map_err(|e| TerminalError::Task(e.to_string()))??;
        let connection = self.admin_connection()?;
        let version = connection
            .rollouts()
            .await
            .map_err(FleetError::from_client)?
            .iter()
            .filter(|r| r.release.group == group)
            .map(|r| r.release.version)
            .max()
            .unwrap_or(0)
            + 1;
        let release_id = uuid::Uuid::now_v7().to_string();
        let release = sign_release(&key, &release_id, version, group, profile_toml);
        let info = connection
            .publish_release(&PublishRelease {
                release,
                halt_after_failures: 1,
            })
            .await
            .map_err(FleetError::from_client)?;
        self.audit(
            &actor.audit_name(),
            AuditAction::ProfilePublished,
            None,
            &format!(
                "release {release_id} version {version} for {}",
                info.release.group.mode
            ),
        )
        .await?;
        Ok(info.into())
    }

    /// Move a rollout to its next stage (5 → 20 → 100 %).
    pub async fn advance_rollout(
        &self,
        actor: &Actor,
        release_id: &str,
    ) -> Result<RolloutView, TerminalError> {
        self.fleet_admin(actor)?;
        let info = self
            .admin_connection()?
            .advance_rollout(release_id)
            .await
            .map_err(FleetError::from_client)?;
        let detail = format!("release {release_id} advanced to {} %", info.stage_percent);
        self.rollout_changed(actor, info, detail).await
    }

    /// Withdraw a release: its terminals go back to the one before.
    pub async fn rollback_rollout(
        &self,
        actor: &Actor,
        release_id: &str,
    ) -> Result<RolloutView, TerminalError> {
        self.fleet_admin(actor)?;
        let info = self
            .admin_connection()?
            .rollback_rollout(release_id)
            .await
            .map_err(FleetError::from_client)?;
        self.rollout_changed(actor, info, format!("release {release_id} rolled back"))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../kiosk-profiles/examples/queue-ticket.toml"
    );

    fn example_text() -> String {
        std::fs::read_to_string(EXAMPLE).expect("example profile")
    }

    /// The example queue machine, standalone (no server: assignments are handed in directly).
    fn installed(trusted: &str) -> Profile {
        let mut profile = banshi_profile::parse_profile(&example_text()).expect("example");
        profile.sync = None;
        profile.terminal.id = "qt-test".into();
        profile.fleet.trusted_keys = vec![trusted.to_string()];
        profile
    }

    fn group(mode: &str) -> TerminalGroup {
        TerminalGroup {
            hall_id: None,
            mode: mode.into(),
            tags: vec![],
        }
    }

    fn with_idle(secs: u32) -> String {
        example_text().replace(
            "idle_timeout_secs = 30",
            &format!("idle_timeout_secs = {secs}"),
        )
    }

    fn open(dir: &std::path::Path, profile: Profile) -> Arc<Terminal> {
        Terminal::open(profile, dir, Arc::new(banshi_core::SystemClock)).expect("open terminal")
    }

    #[test]
    fn the_example_has_the_idle_timeout_these_tests_change() {
        assert!(example_text().contains("idle_timeout_secs = 30"));
    }

    #[test]
    fn a_release_is_checked_for_key_signature_mode_and_validity() {
        let key = banshi_crypto::SigningKeyPair::generate().expect("key");
        let stranger = banshi_crypto::SigningKeyPair::generate().expect("key");
        let installed = installed(&key.public_key_hex());
        let trusted = installed.fleet.trusted_keys.clone();
        let good = sign_release(&key, "r1", 1, group("queue-ticket"), &with_idle(90));
        let profile = check_release(&good, &installed, &trusted).expect("good release");
        assert_eq!(profile.ui.idle_timeout_secs, 90);
        assert_eq!(
            profile.terminal.id, "qt-test",
            "the terminal keeps its own id"
        );

        let code = |r: &SignedProfile| check_release(r, &installed, &trusted).unwrap_err().code();
        let untrusted = sign_release(&stranger, "r2", 2, group("queue-ticket"), &with_idle(90));
        assert_eq!(code(&untrusted), "fleet.untrusted_key");
        let mut tampered = good.clone();
        tampered.profile_toml = with_idle(91);
        assert_eq!(code(&tampered), "fleet.bad_signature");
        let mut regrouped = good.clone();
        regrouped.group.hall_id = Some("elsewhere".into());
        assert_eq!(
            code(&regrouped),
            "fleet.bad_signature",
            "the group is signed too"
        );
        let other_mode = sign_release(&key, "r3", 3, group("window"), &with_idle(90));
        assert_eq!(code(&other_mode), "fleet.wrong_mode");
        let invalid = sign_release(
            &key,
            "r4",
            4,
            group("queue-ticket"),
            &with_idle(90).replace("schema_version = 1", "schema_version = 2"),
        );
        assert_eq!(code(&invalid), "fleet.invalid_profile");
    }

    #[tokio::test]
    async fn a_refused_release_leaves_the_running_profile_and_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = banshi_crypto::SigningKeyPair::generate().expect("key");
        let t = open(&dir.path().join("t"), installed(&key.public_key_hex()));
        let mut bad = sign_release(&key, "r1", 1, group("queue-ticket"), &with_idle(90));
        bad.profile_toml = with_idle(95);
        t.consider_assignment(Assignment { release: Some(bad) })
            .await;
        assert_eq!(t.profile().ui.idle_timeout_secs, 30);
        assert_eq!(t.applied_release(), None);
        let refused = t.refused_release().expect("refusal kept");
        assert_eq!(refused.code, "fleet.bad_signature");
        let beat = t.heartbeat();
        assert_eq!(
            beat.refused.as_ref().map(|r| r.code.as_str()),
            Some("fleet.bad_signature")
        );
        assert!(beat
            .recent_errors
            .iter()
            .any(|e| e.code == "fleet.bad_signature"));
        assert_eq!(beat.mode, "queue-ticket");
    }

    #[tokio::test]
    async fn an_applied_release_is_run_again_after_a_restart_and_a_withdrawal_goes_back_to_the_installed_profile(
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("t");
        let key = banshi_crypto::SigningKeyPair::generate().expect("key");
        let good = sign_release(&key, "r1", 1, group("queue-ticket"), &with_idle(90));
        {
            let t = open(&data, installed(&key.public_key_hex()));
            let mut events = t.subscribe();
            t.consider_assignment(Assignment {
                release: Some(good.clone()),
            })
            .await;
            assert_eq!(t.profile().ui.idle_timeout_secs, 90);
            assert_eq!(t.applied_release().map(|a| a.version), Some(1));
            assert_eq!(events.try_recv().ok(), Some(TerminalEvent::StatusChanged));
        }
        let t = open(&data, installed(&key.public_key_hex()));
        assert_eq!(
            t.profile().ui.idle_timeout_secs,
            90,
            "kept across the restart"
        );
        assert_eq!(
            t.applied_release().map(|a| a.release_id),
            Some("r1".to_string())
        );
        t.consider_assignment(Assignment { release: None }).await;
        assert_eq!(t.profile().ui.idle_timeout_secs, 30);
        assert_eq!(t.applied_release(), None);
        drop(t);
        let t = open(&data, installed(&key.public_key_hex()));
        assert_eq!(
            t.profile().ui.idle_timeout_secs,
            30,
            "the withdrawal is kept too"
        );
    }

    #[tokio::test]
    async fn a_kept_release_whose_key_is_no_longer_trusted_is_not_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("t");
        let key = banshi_crypto::SigningKeyPair::generate().expect("key");
        let other = banshi_crypto::SigningKeyPair::generate().expect("key");
        {
            let t = open(&data, installed(&key.public_key_hex()));
            t.consider_assignment(Assignment {
                release: Some(sign_release(
                    &key,
                    "r1",
                    1,
                    group("queue-ticket"),
                    &with_idle(90),
                )),
            })
            .await;
            assert_eq!(t.profile().ui.idle_timeout_secs, 90);
        }
        // The installed profile now trusts another key only (the old admin key was withdrawn).
        let t = open(&data, installed(&other.public_key_hex()));
        assert_eq!(t.profile().ui.idle_timeout_secs, 30);
        assert_eq!(t.applied_release(), None);
    }

    #[test]
    fn the_fleet_view_flags_offline_failing_devices_paper_and_refusals() {
        let beat = Heartbeat {
            mode: "queue-ticket".into(),
            label: "1号取号机".into(),
            tags: vec![],
            software_version: "0.1.0".into(),
            applied: None,
            refused: Some(RefusedRelease {
                release_id: "r".into(),
                version: 2,
                code: "fleet.bad_signature".into(),
                message: "x".into(),
            }),
            last_sync_ms: Some(1_000),
            devices: vec![DeviceReport {
                class: "id_reader".into(),
                status: "offline".into(),
                detail: None,
            }],
            paper: "low".into(),
            disk_free_mb: 100,
            disk_total_mb: 10_000,
            recent_errors: vec![],
        };
        let terminal = |seen: i64| banshi_sync_client::fleet::FleetTerminal {
            id: "qt".into(),
            hall_id: "h".into(),
            revoked: false,
            last_seen_ms: Some(seen),
            heartbeat: Some(beat.clone()),
        };
        let now = 10 * 60_000;
        let fresh = fleet_terminal_view(terminal(now - 60_000), now, 5);
        assert!(fresh.online);
        assert_eq!(
            fresh.faults,
            ["device_failing", "paper_low", "profile_refused", "disk_low"]
        );
        let stale = fleet_terminal_view(terminal(now - 6 * 60_000), now, 5);
        assert!(!stale.online);
        assert_eq!(stale.faults[0], "offline");
    }
}
