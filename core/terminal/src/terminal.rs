//! [`Terminal`]: the operations and background work of one running terminal.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use banshi_core::queue::{hall_scope, Ticket};
use banshi_core::staff::{Actor, Permission};
use banshi_core::{Clock, ErrorCode};
use banshi_devices::templates::TicketSlip;
use banshi_devices::{DeviceError, DeviceSet};
use banshi_profile::Profile;
use banshi_store::{BlobMeta, KeyringError, Record, Store, StoreError};
use banshi_sync_client::{
    BlobDirection, BlobProgress, SyncClient, SyncClientError, TerminalIdentity,
};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{broadcast, Notify};

use crate::messages;
use crate::views::{CategoryView, QueueView, StatusView, SyncView, TerminalView};

mod application_ops;
mod customer_screen_ops;
mod fleet_ops;
mod intake_ops;
mod lockdown_ops;
mod notices;
mod outbox;
mod queue_ops;
mod retention;
mod staff_ops;

pub use application_ops::{
    ApplicantInput, ApplicationError, ApplicationPatch, CaseMaterialView, CaseStepView,
    CaseSummaryView, CaseView, NoticeView, ProgressView, RatingView,
};
pub use customer_screen_ops::{
    CustomerAnswer, CustomerCaseView, CustomerFieldView, CustomerMaterialView, CustomerOffer,
    CustomerScreenError, CustomerScreenView,
};
pub use fleet_ops::{
    check_release, fleet_terminal_view, read_signing_key, sign_release, FleetError,
    FleetTerminalView, FleetView, ProfileCheckView, ProfileIssueView, RolloutView,
};
pub use intake_ops::{ApplicantCardView, EvaluatorOutcome};
pub use lockdown_ops::LockdownError;
pub use queue_ops::IssueRequest;
pub use staff_ops::StaffInput;

/// How often devices are asked for their health: a printer running out of paper shows within two seconds.
const HEALTH_INTERVAL: Duration = Duration::from_secs(1);

/// How long one feed long-poll waits (the protocol's maximum).
const FEED_WAIT: Duration = Duration::from_millis(banshi_sync_client::MAX_FEED_WAIT_MS);
/// Pause after a long-poll that answered "nothing new" early (a server shutting down, or one that does not
/// long-poll), so the watcher never spins.
const FEED_EARLY_ANSWER_PAUSE: Duration = Duration::from_secs(1);
/// Retry delays of the feed watcher while the server is unreachable: doubling from the first to the last.
const FEED_RETRY_MIN: Duration = Duration::from_millis(500);
const FEED_RETRY_MAX: Duration = Duration::from_secs(30);

/// Hall time (China Standard Time) for names people read, such as a bundle's file name.
const HALL_OFFSET: time::UtcOffset = match time::UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => time::UtcOffset::UTC,
};

/// A bundle written by [`Terminal::export_bundle_to_folder`].
#[derive(Debug, Clone, Serialize)]
pub struct BundleExportView {
    /// The bundle's path, to tell the officer where it is.
    pub file: String,
    pub records: usize,
    pub blobs: usize,
}

/// Something the UI should refresh for, or follow (a blob's progress); sent to every subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum TerminalEvent {
    #[serde(rename = "tickets.changed")]
    TicketsChanged,
    #[serde(rename = "devices.changed")]
    DevicesChanged,
    #[serde(rename = "sync.changed")]
    SyncChanged,
    #[serde(rename = "status.changed")]
    StatusChanged,
    /// A case or rating was written here or arrived through sync.
    #[serde(rename = "cases.changed")]
    CasesChanged,
    /// The window's customer screen shows something else, or the applicant answered on it.
    #[serde(rename = "customer_screen.changed")]
    CustomerScreenChanged,
    /// A blob moved: `{"type": "blob.progress", "sm3", "direction": "upload"|"download", "done_bytes",
    /// "total_bytes"}`, after every chunk. UIs that do not know it ignore it (`parseEvent`).
    #[serde(rename = "blob.progress")]
    BlobProgress {
        sm3: String,
        direction: BlobDirection,
        done_bytes: u64,
        total_bytes: u64,
    },
}

impl From<&BlobProgress> for TerminalEvent {
    fn from(p: &BlobProgress) -> Self {
        TerminalEvent::BlobProgress {
            sm3: p.sm3.clone(),
            direction: p.direction,
            done_bytes: p.done_bytes,
            total_bytes: p.total_bytes,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("category {0:?} is not offered at this terminal")]
    UnknownCategory(String),
    #[error("this terminal ({0}) does not issue tickets")]
    NotAQueueMachine(&'static str),
    #[error("opening the data folder {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("sync set-up failed: {0}")]
    Sync(#[from] banshi_sync_client::SyncClientError),
    #[error("this terminal has no sync server in its profile")]
    NoSyncServer,
    #[error(transparent)]
    Bundle(banshi_sync_client::bundle::BundleError),
    #[error("internal task failed: {0}")]
    Task(String),
    #[error("this works only in {0} mode")]
    WrongMode(&'static str),
    #[error("priority {0:?} cannot be asked for at the machine")]
    BadPriority(&'static str),
    #[error("the ID card read has expired; read it again")]
    IdentityExpired,
    #[error("this terminal is not one of the hall's ticket machines")]
    NotListedTicketMachine,
    #[error("this hall takes no appointments")]
    NoAppointments,
    #[error(transparent)]
    Appointment(#[from] banshi_core::appointment::AppointmentError),
    #[error(transparent)]
    Hall(#[from] banshi_core::hall::HallError),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("this desk has no window number (profile queue.window)")]
    NoWindowNumber,
    #[error("the window is closed: sign in first")]
    WindowClosed,
    #[error("the window is paused")]
    WindowPaused,
    #[error("no ticket is being served at this window")]
    NoCurrentTicket,
    #[error("recall the ticket {0} times before marking it a no-show")]
    RecallFirst(u32),
    #[error("staff member {0:?} may not sign in at this window")]
    UnknownStaff(String),
    #[error("window {0} is not in this hall")]
    UnknownWindow(u32),
    #[error(transparent)]
    Staff(#[from] banshi_core::staff::StaffError),
    #[error(transparent)]
    Fleet(#[from] FleetError),
    #[error(transparent)]
    Lockdown(#[from] LockdownError),
    #[error(transparent)]
    Application(#[from] ApplicationError),
    #[error(transparent)]
    CustomerScreen(#[from] CustomerScreenError),
}

impl TerminalError {
    /// The HTTP status the local API answers this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            TerminalError::UnknownCategory(_)
            | TerminalError::BadPriority(_)
            | TerminalError::UnknownStaff(_)
            | TerminalError::UnknownWindow(_)
            | TerminalError::Hall(_) => 400,
            TerminalError::WrongMode(_) => 403,
            TerminalError::NotAQueueMachine(_)
            | TerminalError::IdentityExpired
            | TerminalError::NotListedTicketMachine
            | TerminalError::NoAppointments
            | TerminalError::NoWindowNumber
            | TerminalError::WindowClosed
            | TerminalError::WindowPaused
            | TerminalError::NoCurrentTicket
            | TerminalError::RecallFirst(_) => 409,
            TerminalError::Appointment(e) => match e {
                banshi_core::appointment::AppointmentError::NotFound(_) => 404,
                banshi_core::appointment::AppointmentError::InvalidSetup(_)
                | banshi_core::appointment::AppointmentError::InvalidDate(_)
                | banshi_core::appointment::AppointmentError::InvalidSlot(_)
                | banshi_core::appointment::AppointmentError::UnknownSlot { .. } => 400,
                _ => 409,
            },
            TerminalError::Device(e) => e.http_status(),
            TerminalError::Fleet(e) => e.http_status(),
            TerminalError::NoSyncServer => 409,
            TerminalError::Lockdown(e) => e.http_status(),
            TerminalError::Application(e) => e.http_status(),
            TerminalError::CustomerScreen(e) => e.http_status(),
            TerminalError::Bundle(e) => {
                use banshi_sync_client::bundle::BundleError as B;
                match e {
                    B::Io { .. } | B::Store(_) => 500,
                    _ => 400,
                }
            }
            TerminalError::Staff(e) => {
                use banshi_core::staff::StaffError as S;
                match e {
                    S::LoginRequired | S::BadCredentials => 401,
                    S::Locked { .. } => 423,
                    S::Forbidden { .. } | S::Disabled | S::PasswordExpired => 403,
                    _ => 400,
                }
            }
            _ => 500,
        }
    }
}

impl ErrorCode for TerminalError {
    fn code(&self) -> &'static str {
        match self {
            TerminalError::UnknownCategory(_) => "queue.unknown_category",
            TerminalError::NotAQueueMachine(_) => "queue.not_a_queue_machine",
            TerminalError::DataDir { .. } => "terminal.data_dir",
            TerminalError::Store(e) => e.code(),
            TerminalError::Keyring(e) => e.code(),
            TerminalError::Sync(e) => e.code(),
            TerminalError::NoSyncServer => "sync.disabled",
            TerminalError::Bundle(e) => e.code(),
            TerminalError::Task(_) => "terminal.internal",
            TerminalError::WrongMode(_) => "terminal.wrong_mode",
            TerminalError::BadPriority(_) => "queue.bad_priority",
            TerminalError::IdentityExpired => "queue.identity_expired",
            TerminalError::NotListedTicketMachine => "queue.not_a_ticket_machine",
            TerminalError::NoAppointments => "appointment.none",
            TerminalError::Appointment(e) => e.code(),
            TerminalError::Hall(e) => e.code(),
            TerminalError::Device(e) => e.code(),
            TerminalError::NoWindowNumber => "queue.no_window_number",
            TerminalError::WindowClosed => "queue.window_closed",
            TerminalError::WindowPaused => "queue.window_paused",
            TerminalError::NoCurrentTicket => "queue.no_current_ticket",
            TerminalError::RecallFirst(_) => "queue.recall_first",
            TerminalError::UnknownStaff(_) => "queue.unknown_staff",
            TerminalError::UnknownWindow(_) => "queue.unknown_window",
            TerminalError::Staff(e) => e.code(),
            TerminalError::Fleet(e) => e.code(),
            TerminalError::Lockdown(e) => e.code(),
            TerminalError::Application(e) => e.code(),
            TerminalError::CustomerScreen(e) => e.code(),
        }
    }
}

/// Where the key-encryption key file of `data_dir` is kept unless systemd hands one over: `keys/<name of
/// the data folder>.kek` beside the data folder, never inside it (a copy of the folder must not carry it).
pub fn default_kek_file(data_dir: &Path) -> std::path::PathBuf {
    let name = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "terminal".to_string());
    data_dir
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("keys")
        .join(format!("{name}.kek"))
}

#[derive(Debug, Default)]
struct SyncHealth {
    online: bool,
    last_sync_at: Option<String>,
    last_sync_ms: Option<i64>,
    /// Why syncing cannot happen at all, when that is the case: `unenrolled` or `revoked`.
    blocked: Option<&'static str>,
}

/// One running terminal.
#[derive(Debug)]
pub struct Terminal {
    /// The profile installed on this machine (the file it was started with).
    installed: Profile,
    /// The profile it runs: the installed one, or a release pushed by the fleet's admins (`fleet_ops`).
    profile: std::sync::RwLock<Arc<Profile>>,
    data_dir: std::path::PathBuf,
    store: Arc<Store>,
    devices: std::sync::RwLock<Arc<DeviceSet>>,
    sync: Option<Arc<SyncClient>>,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<TerminalEvent>,
    sync_health: Mutex<SyncHealth>,
    sync_now: Notify,
    issuing: tokio::sync::Mutex<()>,
    /// A token handed over at start-up (`BANSHI_ENROLLMENT_TOKEN`), used once the server is reachable.
    enrollment_token: Mutex<Option<String>>,
    /// Cards read at the queue machine, by token, until used or expired (memory only).
    identities: Mutex<std::collections::HashMap<String, queue_ops::HeldIdentity>>,
    /// Applicants' cards read at a window or field desk, by token, until expired (memory only).
    held_applicants: Mutex<std::collections::HashMap<String, intake_ops::HeldApplicant>>,
    /// One window action at a time at a desk.
    desk: tokio::sync::Mutex<()>,
    /// A call this window lost to another, until the clerk's screen has shown it.
    lost_call: Mutex<Option<crate::views::LostCallView>>,
    /// Calls a call screen has announced: claim → recalls announced.
    announced: Mutex<std::collections::HashMap<String, u32>>,
    /// Staff sessions by token (memory only: a restart logs everyone out).
    sessions: Mutex<std::collections::HashMap<String, staff_ops::LiveSession>>,
    /// Pushed profiles: what runs, what was refused, recent errors for the heartbeat.
    fleet: Mutex<fleet_ops::FleetState>,
    /// Wakes the heartbeat loop (after a profile was applied or refused).
    fleet_now: Notify,
    /// One admin PIN attempt at a time (`lockdown_ops`).
    kiosk_unlock: tokio::sync::Mutex<()>,
    /// One rating at a time, so "one rating per case" holds on this terminal (`application_ops`).
    rating: tokio::sync::Mutex<()>,
    /// What the window's customer screen shows (`customer_screen_ops`; memory only).
    customer_screen: Mutex<customer_screen_ops::Showing>,
}

impl Terminal {
    /// Open the terminal's store in `data_dir` and its devices as `profile` configures them.
    pub fn open(
        profile: Profile,
        data_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, TerminalError> {
        std::fs::create_dir_all(data_dir).map_err(|source| TerminalError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let kek_file = profile
            .security
            .key_file
            .as_ref()
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| default_kek_file(data_dir));
        let kek = banshi_store::kek_source_from_env(kek_file);
        let key = banshi_store::open_data_key(data_dir, &kek)?;
        let store = Arc::new(Store::open(&data_dir.join("terminal.sqlite"), key)?);
        store.set_terminal_id(&profile.terminal.id)?;
        let (events, _) = broadcast::channel(64);
        let sync = match &profile.sync {
            Some(s) => {
                let identity = TerminalIdentity::load_or_create(
                    &data_dir.join("identity"),
                    &profile.terminal.id,
                )
                .map_err(SyncClientError::from)?;
                let progress = events.clone();
                Some(Arc::new(
                    SyncClient::new(
                        &s.server,
                        Arc::new(identity),
                        &profile.terminal.hall_id,
                        Arc::clone(&store),
                        Arc::clone(&clock),
                    )?
                    .with_blob_progress(Arc::new(move |p: &BlobProgress| {
                        // No subscriber is fine: nobody is looking.
                        let _ = progress.send(TerminalEvent::from(p));
                    })),
                ))
            }
            None => None,
        };
        let installed = profile;
        let (profile, applied) = Self::startup_profile(&installed, &store);
        let fleet = fleet_ops::FleetState::running(applied);
        let devices = Arc::new(DeviceSet::from_profile(&profile.devices));
        tracing::info!(terminal = %profile.terminal.id, mode = profile.mode.as_str(), data = %data_dir.display(), "terminal opened");
        Ok(Arc::new(Self {
            installed,
            profile: std::sync::RwLock::new(Arc::new(profile)),
            data_dir: data_dir.to_path_buf(),
            store,
            devices: std::sync::RwLock::new(devices),
            sync,
            clock,
            events,
            sync_health: Mutex::default(),
            sync_now: Notify::new(),
            issuing: tokio::sync::Mutex::new(()),
            enrollment_token: Mutex::default(),
            identities: Mutex::default(),
            held_applicants: Mutex::default(),
            desk: tokio::sync::Mutex::new(()),
            lost_call: Mutex::default(),
            announced: Mutex::default(),
            sessions: Mutex::default(),
            fleet: Mutex::new(fleet),
            fleet_now: Notify::new(),
            kiosk_unlock: tokio::sync::Mutex::new(()),
            rating: tokio::sync::Mutex::new(()),
            customer_screen: Mutex::default(),
        }))
    }

    /// The profile this terminal runs now (a pushed release can replace it while running).
    pub fn profile(&self) -> Arc<Profile> {
        Arc::clone(&self.profile.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The profile installed on this machine, whatever was pushed since.
    pub fn installed_profile(&self) -> &Profile {
        &self.installed
    }

    /// The devices the profile configures, for the local device API (which calls them directly).
    pub fn devices(&self) -> Arc<DeviceSet> {
        Arc::clone(&self.devices.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The terminal's store, for tools and tests that read raw records (the UI goes through the operations).
    pub fn store(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    /// The terminal's clock, for whatever must agree with its notion of time.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Events for the UI; each subscriber gets every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<TerminalEvent> {
        self.events.subscribe()
    }

    fn emit(&self, event: TerminalEvent) {
        // No subscriber is fine: nobody is looking.
        let _ = self.events.send(event);
    }

    /// Start the background work: sync with the server, watch the feed for other terminals' changes and
    /// watch device health. The tasks end when the runtime does.
    pub fn start_background(self: &Arc<Self>) {
        let this = Arc::clone(self);
        tokio::spawn(async move { this.health_loop().await });
        if self.sync.is_some() {
            let this = Arc::clone(self);
            tokio::spawn(async move { this.sync_loop().await });
            let this = Arc::clone(self);
            tokio::spawn(async move { this.feed_watch().await });
            let this = Arc::clone(self);
            tokio::spawn(async move { this.heartbeat_loop().await });
            let this = Arc::clone(self);
            tokio::spawn(async move { this.assignment_watch().await });
        }
    }

    /// Long-poll every granted scope's feed and wake the sync loop when something new is there, so another
    /// terminal's change arrives about a round trip after the server stored it instead of after
    /// `sync.interval_ms`. It only reads; when the runtime shuts down, the per-scope tasks (in a `JoinSet`)
    /// are dropped with it, mid-request or not, and nothing is left half done.
    async fn feed_watch(self: Arc<Self>) {
        let Some(client) = self.sync.clone() else {
            return;
        };
        let mut retry = FEED_RETRY_MIN;
        let scopes = loop {
            match client.granted_scopes().await {
                Ok(scopes) => break scopes,
                Err(error) => {
                    tracing::debug!(%error, "feed watcher: no session yet");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(FEED_RETRY_MAX);
                }
            }
        };
        let mut watchers = tokio::task::JoinSet::new();
        for scope in scopes {
            let (this, client) = (Arc::clone(&self), Arc::clone(&client));
            watchers.spawn(async move { this.watch_scope(&client, &scope).await });
        }
        while watchers.join_next().await.is_some() {}
    }

    async fn watch_scope(&self, client: &SyncClient, scope: &str) {
        let mut retry = FEED_RETRY_MIN;
        loop {
            let started = tokio::time::Instant::now();
            match client.wait_for_feed(scope, FEED_WAIT).await {
                Ok(true) => {
                    retry = FEED_RETRY_MIN;
                    self.sync_now.notify_one();
                }
                Ok(false) => {
                    retry = FEED_RETRY_MIN;
                    if started.elapsed() < FEED_WAIT / 2 {
                        tokio::time::sleep(FEED_EARLY_ANSWER_PAUSE).await;
                    }
                }
                Err(error) => {
                    // The sync loop reports the server being offline; here it only means waiting longer.
                    tracing::debug!(%scope, %error, ?retry, "feed watcher: long-poll failed");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(FEED_RETRY_MAX);
                }
            }
        }
    }

    async fn health_loop(self: Arc<Self>) {
        loop {
            let devices = self.devices();
            if let Ok(true) = tokio::task::spawn_blocking(move || devices.refresh_health()).await {
                self.emit(TerminalEvent::DevicesChanged);
            }
            tokio::time::sleep(HEALTH_INTERVAL).await;
        }
    }

    async fn sync_loop(self: Arc<Self>) {
        let interval = Duration::from_millis(
            self.profile()
                .sync
                .as_ref()
                .map(|s| s.interval_ms)
                .unwrap_or(1000),
        );
        loop {
            self.sync_now().await;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.sync_now.notified() => {}
            }
        }
    }

    /// Whether this terminal is enrolled with its sync server.
    pub fn is_enrolled(&self) -> bool {
        self.sync
            .as_ref()
            .is_some_and(|c| c.identity().enrollment().is_some())
    }

    /// Enroll with the sync server using a one-time token from an admin, then sync.
    pub async fn enroll(&self, token: &str) -> Result<(), TerminalError> {
        let client = self.sync.as_ref().ok_or(TerminalError::NoSyncServer)?;
        client.enroll(token).await?;
        self.sync_health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .blocked = None;
        self.emit(TerminalEvent::SyncChanged);
        self.sync_now.notify_one();
        Ok(())
    }

    /// Export every record and blob not yet synced to an encrypted, signed bundle at `path` (removable
    /// media for a field terminal that cannot reach the server).
    pub async fn export_bundle(
        &self,
        path: &Path,
        passphrase: &str,
    ) -> Result<banshi_sync_client::bundle::BundleHeader, TerminalError> {
        let client = self.sync.as_ref().ok_or(TerminalError::NoSyncServer)?;
        let (store, identity) = (Arc::clone(&self.store), Arc::clone(client.identity()));
        let (path, passphrase, now) = (
            path.to_path_buf(),
            passphrase.to_string(),
            self.clock.now_ms(),
        );
        tokio::task::spawn_blocking(move || {
            banshi_sync_client::bundle::export(
                &store,
                identity.key(),
                identity.terminal_id(),
                now,
                &passphrase,
                &path,
            )
        })
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))?
        .map_err(TerminalError::Bundle)
    }

    /// The field screen's 导出: a bundle named after this terminal and the hall time in the profile's
    /// `sync.bundle_dir` (the removable media), or `bundles/` in the data folder. Field staff (and hall
    /// managers) only: the bundle holds personal data, protected by the passphrase alone.
    pub async fn export_bundle_to_folder(
        &self,
        actor: &Actor,
        passphrase: &str,
    ) -> Result<BundleExportView, TerminalError> {
        if actor.require(Permission::FieldIntake).is_err() {
            actor.require(Permission::ManageHall)?;
        }
        let profile = self.profile();
        let dir = profile
            .sync
            .as_ref()
            .and_then(|s| s.bundle_dir.as_ref())
            .map_or_else(|| self.data_dir.join("bundles"), std::path::PathBuf::from);
        std::fs::create_dir_all(&dir).map_err(|source| {
            TerminalError::Bundle(banshi_sync_client::bundle::BundleError::Io {
                path: dir.display().to_string(),
                source,
            })
        })?;
        let now = self.clock.now().to_offset(HALL_OFFSET);
        let stamp = format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let file = dir.join(format!("{}-{stamp}.banshi-bundle", profile.terminal.id));
        let header = self.export_bundle(&file, passphrase).await?;
        let detail = format!(
            "{} records, {} blobs to {}",
            header.records,
            header.blobs,
            file.display()
        );
        self.audit(
            &actor.audit_name(),
            banshi_core::audit::AuditAction::ExportBundle,
            None,
            &detail,
        )
        .await?;
        tracing::info!(records = header.records, blobs = header.blobs, file = %file.display(), "bundle exported");
        Ok(BundleExportView {
            file: file.display().to_string(),
            records: header.records,
            blobs: header.blobs,
        })
    }

    /// Import a bundle made by [`Terminal::export_bundle`] on another machine; its records are sent on with
    /// the next sync. Importing the same bundle again changes nothing.
    pub async fn import_bundle(
        &self,
        path: &Path,
        passphrase: &str,
    ) -> Result<banshi_sync_client::bundle::ImportReport, TerminalError> {
        let store = Arc::clone(&self.store);
        let (path, passphrase) = (path.to_path_buf(), passphrase.to_string());
        let report = tokio::task::spawn_blocking(move || {
            banshi_sync_client::bundle::import(&store, &passphrase, &path)
        })
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))?
        .map_err(TerminalError::Bundle)?;
        if report.records_changed > 0 {
            self.emit(TerminalEvent::TicketsChanged);
            self.emit(TerminalEvent::SyncChanged);
            self.sync_now.notify_one();
        }
        Ok(report)
    }

    /// Keep `token` to enroll with as soon as the server can be reached (unless already enrolled).
    pub fn offer_enrollment_token(&self, token: String) {
        if !self.is_enrolled() {
            *self
                .enrollment_token
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(token);
            self.sync_now.notify_one();
        }
    }

    async fn enroll_with_offered_token(&self, client: &SyncClient) {
        let token = self
            .enrollment_token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(token) = token else { return };
        match client.enroll(&token).await {
            Ok(_) => {
                self.enrollment_token
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
            }
            Err(SyncClientError::Unreachable(_)) => {}
            Err(error) => {
                // The server refused it (used up, expired, unknown): retrying cannot help.
                tracing::error!(%error, "enrollment refused; ask an admin for a new token");
                self.enrollment_token
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
            }
        }
    }

    /// Run one sync pass now (also used by tests and the demo to avoid waiting for the interval).
    pub async fn sync_now(&self) {
        let Some(client) = &self.sync else { return };
        if client.identity().enrollment().is_none() {
            self.enroll_with_offered_token(client).await;
        }
        // The audit events since the last pass travel as one immutable record, packed only while the server
        // answers (offline they wait in the audit log, so a day offline makes one batch, not thousands).
        let online = self
            .sync_health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .online;
        if online {
            let (store, scope) = (Arc::clone(&self.store), self.hall_scope());
            if let Err(error) = blocking(move || store.export_audit_batch(&scope, 5_000)).await {
                tracing::warn!(%error, "packing audit events for sync failed");
            }
        }
        let result = client.sync_once().await;
        let now = self.clock.now().format(&Rfc3339).ok();
        let blocked = match &result {
            Err(SyncClientError::NotEnrolled) => Some("unenrolled"),
            Err(SyncClientError::Revoked) => Some("revoked"),
            _ => None,
        };
        let (was_online, was_blocked) = {
            let mut health = self.sync_health.lock().unwrap_or_else(|p| p.into_inner());
            let was = (health.online, health.blocked);
            health.online = result.is_ok();
            health.blocked = blocked;
            if result.is_ok() {
                health.last_sync_at = now;
                health.last_sync_ms = Some(self.clock.now_ms());
            }
            was
        };
        if blocked != was_blocked {
            self.emit(TerminalEvent::SyncChanged);
        }
        if matches!(result, Err(SyncClientError::Revoked)) {
            self.emit(TerminalEvent::TicketsChanged);
        }
        match result {
            Ok(report) => {
                if let Err(error) = self.purge_expired_personal_data().await {
                    tracing::warn!(%error, "retention purge failed");
                }
                if report.blobs_uploaded > 0 || report.blobs_refused > 0 {
                    tracing::debug!(
                        uploaded = report.blobs_uploaded,
                        refused = report.blobs_refused,
                        "blobs synced"
                    );
                    self.emit(TerminalEvent::SyncChanged);
                }
                if report.pulled > 0 {
                    self.after_pull().await;
                }
                if report.pulled > 0 || report.pushed > 0 || report.refused > 0 || report.purged > 0
                {
                    tracing::debug!(?report, "synced");
                    self.emit(TerminalEvent::TicketsChanged);
                    self.emit(TerminalEvent::SyncChanged);
                } else if !was_online {
                    self.emit(TerminalEvent::SyncChanged);
                }
            }
            Err(error) => {
                if was_online {
                    tracing::warn!(%error, "sync server unreachable; working offline");
                    self.emit(TerminalEvent::SyncChanged);
                }
            }
        }
    }

    /// What other terminals' changes set off here: a window gives up calls it lost, a call screen announces.
    async fn after_pull(&self) {
        if let Err(error) = self.settle_lost_calls().await {
            tracing::warn!(%error, "settling lost calls failed");
        }
        if let Err(error) = self.announce_new_calls().await {
            tracing::warn!(%error, "announcing calls failed");
        }
    }

    /// The terminal as the UI's first screen shows it.
    pub async fn status(&self) -> Result<StatusView, TerminalError> {
        let store = Arc::clone(&self.store);
        let (counts, pending_blobs) =
            blocking(move || Ok((store.sync_counts()?, store.pending_blobs()?.len()))).await?;
        let p = self.profile();
        let (online, last_sync_at, blocked) = {
            let h = self.sync_health.lock().unwrap_or_else(|p| p.into_inner());
            (h.online, h.last_sync_at.clone(), h.blocked)
        };
        Ok(StatusView {
            terminal: TerminalView {
                id: p.terminal.id.clone(),
                label: p.terminal.label.clone(),
                outlet: p.terminal.outlet.clone(),
                hall_id: p.terminal.hall_id.clone(),
                fault_hotline: p.terminal.fault_hotline.clone(),
            },
            mode: p.mode.as_str(),
            languages: p.ui.languages.clone(),
            default_language: p.ui.default_language.clone(),
            elder_mode: p.ui.elder_mode,
            idle_timeout_secs: p.ui.idle_timeout_secs,
            customer_screen: self.has_customer_screen(),
            face_verification: p.mode == banshi_profile::Mode::SelfService
                && p.devices.face_verification.is_some(),
            devices: self.devices().health(),
            queue: QueueView {
                categories: self
                    .queue_config()
                    .await?
                    .categories
                    .into_iter()
                    .map(|c| CategoryView {
                        code: c.code,
                        name: c.name,
                    })
                    .collect(),
            },
            sync: SyncView {
                server: p.sync.as_ref().map(|s| s.server.clone()),
                state: match (&self.sync, blocked, online) {
                    (None, _, _) => "disabled",
                    (Some(_), Some(why), _) => why,
                    (Some(_), None, true) => "online",
                    (Some(_), None, false) => "offline",
                },
                last_sync_at,
                pending: counts.pending(),
                refused: counts.refused,
                pending_blobs,
            },
            version: env!("CARGO_PKG_VERSION"),
            server_time: self.clock.now().format(&Rfc3339).unwrap_or_default(),
        })
    }

    /// Keep a blob (a scanned page, a photo, a PDF) in this terminal's hall scope; it is durable when this
    /// returns and is uploaded by the next sync pass, which starts now. Returns what the store knows of it
    /// (its SM3 is the name records refer to it by).
    pub async fn add_blob_bytes(&self, content: Vec<u8>) -> Result<BlobMeta, TerminalError> {
        let (store, scope) = (Arc::clone(&self.store), self.hall_scope());
        let meta = blocking(move || store.add_blob_bytes(&scope, &content)).await?;
        self.sync_now.notify_one();
        Ok(meta)
    }

    /// [`Terminal::add_blob_bytes`] from a file (what a scanner or the PDF writer produced).
    pub async fn add_blob_file(&self, path: &Path) -> Result<BlobMeta, TerminalError> {
        let (store, scope, path) = (
            Arc::clone(&self.store),
            self.hall_scope(),
            path.to_path_buf(),
        );
        let meta = blocking(move || store.add_blob_file(&scope, &path)).await?;
        self.sync_now.notify_one();
        Ok(meta)
    }

    /// The content of blob `sm3` of this terminal's hall, downloaded from the sync server first when it is
    /// not here yet (with `blob.progress` events). Checked against its SM3 either way.
    pub async fn fetch_blob(&self, sm3: &str) -> Result<Vec<u8>, TerminalError> {
        let (store, id, scope) = (Arc::clone(&self.store), sm3.to_string(), self.hall_scope());
        let here = blocking(move || {
            Ok(store.blob(&id, &scope)?.is_some() && store.blob_path(&id).is_file())
        })
        .await?;
        if !here {
            let client = self.sync.as_ref().ok_or(TerminalError::NoSyncServer)?;
            let events = self.events.clone();
            let id = sm3.to_string();
            client
                .download_blob(sm3, &self.hall_scope(), move |done_bytes, total_bytes| {
                    let _ = events.send(TerminalEvent::BlobProgress {
                        sm3: id.clone(),
                        direction: BlobDirection::Download,
                        done_bytes,
                        total_bytes,
                    });
                })
                .await?;
        }
        let (store, sm3) = (Arc::clone(&self.store), sm3.to_string());
        blocking(move || store.read_blob(&sm3)).await
    }

    fn hall_scope(&self) -> String {
        hall_scope(&self.profile().terminal.hall_id)
    }

    fn ticket_slip(&self, rec: &Record<Ticket>, category_name: &str, ahead: usize) -> TicketSlip {
        let issued = rec
            .body
            .issued_at()
            .to_offset(banshi_core::clock::HALL_UTC_OFFSET);
        let issued_text = format!(
            "{} {:02}:{:02}",
            rec.body.day,
            issued.hour(),
            issued.minute()
        );
        let lines =
            messages::ticket_lines(&self.profile().ui.default_language, ahead, &issued_text);
        let follow_base = self
            .profile()
            .queue
            .follow_url_base
            .clone()
            .or_else(|| {
                self.profile()
                    .sync
                    .as_ref()
                    .map(|s| format!("{}/q/", s.server.trim_end_matches('/')))
            })
            .unwrap_or_else(|| "banshi:ticket/".to_string());
        TicketSlip {
            outlet: self.profile().terminal.outlet.clone(),
            number: rec.body.display_number(),
            category_name: category_name.to_string(),
            people_ahead_line: lines.people_ahead,
            issued_at_line: lines.issued_at,
            follow_url: format!("{follow_base}{}", rec.header.id),
            scan_hint: lines.scan_hint,
            notice: lines.notice,
        }
    }
}

async fn blocking<R: Send + 'static>(
    work: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
) -> Result<R, TerminalError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))?
        .map_err(TerminalError::from)
}
