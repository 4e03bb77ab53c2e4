//! Staff accounts, roles and what each role may do; the login rules (lockout, expiry, weak secrets).
//!
//! Every screen and API route of a terminal checks who is asking (brief §3.5, §6): a resident at the queue
//! machine may take a ticket, a clerk may serve a window, a hall manager may change the hall's set-up. The
//! answer must be the same on every terminal and must not need the network (terminals log staff in offline
//! against cached verifiers), so the role table, the account record and the login decision live here as plain
//! data and pure functions. Hashing is not done here — this crate depends on no other Banshi crate — so
//! [`check_login`] takes the secret check as a closure and the terminal passes one that calls
//! `banshi_crypto::verify_password`.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::ErrorCode;
use crate::mask::mask_name;

/// The record kind name of staff accounts.
pub const STAFF_KIND: &str = "staff";

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// A staff role. Stored (serde and automerge) as its kebab-case name, e.g. `"hall-manager"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// 受理岗: serves residents at a window.
    Clerk,
    /// Oversees the windows of a hall: a clerk who also sees the hall's figures and audit log.
    Supervisor,
    /// Runs the hall: sets it up and manages its staff.
    HallManager,
    /// Takes applications outside the hall (上门/外勤).
    FieldStaff,
    /// Manages the terminals of every hall; does not serve residents.
    FleetAdmin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Clerk,
        Role::Supervisor,
        Role::HallManager,
        Role::FieldStaff,
        Role::FleetAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Supervisor => "supervisor",
            Role::HallManager => "hall-manager",
            Role::FieldStaff => "field-staff",
            Role::FleetAdmin => "fleet-admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == s)
    }

    /// Everything this role may do, the resident's permissions included.
    pub fn permissions(self) -> &'static [Permission] {
        permission_table(Some(self))
    }

    /// Roles that work at a counter window and so may be given window numbers.
    fn serves_windows(self) -> bool {
        matches!(self, Role::Clerk | Role::Supervisor | Role::HallManager)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// By hand rather than derived: the derive would store the variant name (`"HallManager"`), and the record
// must read the same in automerge as in JSON.
impl Reconcile for Role {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.as_str())
    }
}

impl Hydrate for Role {
    fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
        Role::parse(s).ok_or_else(|| HydrateError::unexpected("a staff role", s.to_string()))
    }
}

/// One thing a screen or API route may require. Serialized as its kebab-case name, e.g. `"view-hall-kpi"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// The terminal's status and event stream.
    ViewStatus,
    /// Take a ticket, identify at the queue machine, book an appointment, check in.
    TakeTicket,
    /// The call board.
    ViewCalls,
    /// A window's own actions (call, recall, finish, transfer) and state.
    ServeWindow,
    /// The day's ticket list.
    ViewTickets,
    /// The hall's queue KPIs.
    ViewHallKpi,
    /// Importing the hall set-up.
    ManageHall,
    /// Creating and changing staff accounts.
    ManageStaff,
    /// The unmasked name and ID number of the case being served.
    ViewPersonalData,
    /// The list of records not yet synced.
    ViewSyncStatus,
    /// Taking applications in the field.
    FieldIntake,
    /// The audit log.
    ViewAudit,
    /// Enrolling, moving and revoking terminals across halls.
    ManageFleet,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Permission::ViewStatus,
        Permission::TakeTicket,
        Permission::ViewCalls,
        Permission::ServeWindow,
        Permission::ViewTickets,
        Permission::ViewHallKpi,
        Permission::ManageHall,
        Permission::ManageStaff,
        Permission::ViewPersonalData,
        Permission::ViewSyncStatus,
        Permission::FieldIntake,
        Permission::ViewAudit,
        Permission::ManageFleet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewStatus => "view-status",
            Permission::TakeTicket => "take-ticket",
            Permission::ViewCalls => "view-calls",
            Permission::ServeWindow => "serve-window",
            Permission::ViewTickets => "view-tickets",
            Permission::ViewHallKpi => "view-hall-kpi",
            Permission::ManageHall => "manage-hall",
            Permission::ManageStaff => "manage-staff",
            Permission::ViewPersonalData => "view-personal-data",
            Permission::ViewSyncStatus => "view-sync-status",
            Permission::FieldIntake => "field-intake",
            Permission::ViewAudit => "view-audit",
            Permission::ManageFleet => "manage-fleet",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What anyone at a terminal may do without logging in.
pub fn resident_permissions() -> &'static [Permission] {
    permission_table(None)
}

/// The role table, in one place (`None` = the anonymous resident). Every role repeats the resident's three
/// permissions so that each row reads complete on its own.
fn permission_table(role: Option<Role>) -> &'static [Permission] {
    use Permission::*;
    match role {
        None => &[ViewStatus, TakeTicket, ViewCalls],
        Some(Role::Clerk) => &[
            ViewStatus,
            TakeTicket,
            ViewCalls,
            ServeWindow,
            ViewTickets,
            ViewPersonalData,
            ViewSyncStatus,
        ],
        Some(Role::Supervisor) => &[
            ViewStatus,
            TakeTicket,
            ViewCalls,
            ServeWindow,
            ViewTickets,
            ViewPersonalData,
            ViewSyncStatus,
            ViewHallKpi,
            ViewAudit,
        ],
        Some(Role::HallManager) => &[
            ViewStatus,
            TakeTicket,
            ViewCalls,
            ServeWindow,
            ViewTickets,
            ViewPersonalData,
            ViewSyncStatus,
            ViewHallKpi,
            ViewAudit,
            ManageHall,
            ManageStaff,
        ],
        Some(Role::FieldStaff) => &[
            ViewStatus,
            TakeTicket,
            ViewCalls,
            FieldIntake,
            ViewPersonalData,
            ViewSyncStatus,
            ViewTickets,
        ],
        // An admin manages; serving residents (and seeing their data) is for the hall's own staff.
        Some(Role::FleetAdmin) => &[
            ViewStatus,
            TakeTicket,
            ViewCalls,
            ViewTickets,
            ViewHallKpi,
            ManageHall,
            ManageStaff,
            ViewSyncStatus,
            ViewAudit,
            ManageFleet,
        ],
    }
}

/// A staff member's account, one record per staff member (kind [`STAFF_KIND`]).
///
/// Verifiers are `banshi_crypto::hash_password` strings. `Debug` leaves them out and masks the name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct StaffAccount {
    /// The login id.
    pub staff_id: String,
    pub name: String,
    /// The hall the account belongs to; `None` only for a fleet-wide admin.
    pub hall_id: Option<String>,
    pub roles: Vec<Role>,
    /// Windows this person may serve (clerks, supervisors, hall managers only).
    pub windows: Vec<u32>,
    pub password_verifier: Option<String>,
    /// When the password was last set (Unix ms); the start of its [`LoginPolicy::password_max_age_days`].
    pub password_set_at_ms: i64,
    /// Set when someone else chose the password (a new account, a reset): it must be changed at next login.
    pub must_change_password: bool,
    /// SM3 person key (hex) of the staff member's ID card, for card + PIN login.
    pub card_key: Option<String>,
    pub pin_verifier: Option<String>,
    pub disabled: bool,
    pub updated_at_ms: i64,
}

impl fmt::Debug for StaffAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffAccount")
            .field("staff_id", &self.staff_id)
            .field("name", &mask_name(&self.name))
            .field("hall_id", &self.hall_id)
            .field("roles", &self.roles)
            .field("windows", &self.windows)
            .field("has_password", &self.password_verifier.is_some())
            .field("password_set_at_ms", &self.password_set_at_ms)
            .field("must_change_password", &self.must_change_password)
            .field("has_card", &self.card_key.is_some())
            .field("has_pin", &self.pin_verifier.is_some())
            .field("disabled", &self.disabled)
            .field("updated_at_ms", &self.updated_at_ms)
            .finish()
    }
}

impl StaffAccount {
    /// Checks the account's shape before it is saved: a login id of 1–32 characters from `[A-Za-z0-9._-]`, a
    /// name, at least one role, a hall unless the account is only a fleet admin, and window numbers only for
    /// roles that serve at a window.
    pub fn validate(&self) -> Result<(), StaffError> {
        let id_ok = (1..=32).contains(&self.staff_id.len())
            && self
                .staff_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !id_ok {
            return Err(invalid(
                "the staff id must be 1 to 32 characters of A-Z, a-z, 0-9, '.', '_' or '-'",
            ));
        }
        if self.name.trim().is_empty() {
            return Err(invalid("the name is empty"));
        }
        if self.roles.is_empty() {
            return Err(invalid("the account has no role"));
        }
        let fleet_only = self.roles.iter().all(|role| *role == Role::FleetAdmin);
        match &self.hall_id {
            None if !fleet_only => {
                return Err(invalid(
                    "only an account whose roles are all fleet-admin may have no hall",
                ))
            }
            Some(hall) if hall.trim().is_empty() => {
                return Err(invalid("the hall id is empty"));
            }
            _ => {}
        }
        if !self.windows.is_empty() && !self.roles.iter().any(|role| role.serves_windows()) {
            return Err(invalid(
                "windows can only be given to a clerk, supervisor or hall manager",
            ));
        }
        Ok(())
    }
}

fn invalid(reason: &str) -> StaffError {
    StaffError::Invalid(reason.to_string())
}

/// The login rules a terminal applies. Becomes a section of the kiosk profile; any field left out keeps its
/// default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginPolicy {
    /// Failed logins within [`Self::failure_window_minutes`] that lock the account.
    pub max_failures: u32,
    /// How long a lock lasts, from the failure that caused it.
    pub lock_minutes: u32,
    pub failure_window_minutes: u32,
    /// `None`: passwords never expire.
    pub password_max_age_days: Option<u32>,
    /// A staff session ends after this long without activity.
    pub session_idle_minutes: u32,
    pub min_password_len: usize,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lock_minutes: 15,
            failure_window_minutes: 15,
            password_max_age_days: Some(90),
            session_idle_minutes: 15,
            min_password_len: 8,
        }
    }
}

impl LoginPolicy {
    fn failure_window_ms(&self) -> i64 {
        i64::from(self.failure_window_minutes) * MINUTE_MS
    }

    fn lock_ms(&self) -> i64 {
        i64::from(self.lock_minutes) * MINUTE_MS
    }
}

/// Whether an account may try to log in now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    Open { attempts_left: u32 },
    Locked { until_ms: i64 },
}

/// The recent failed logins of one account, as the terminal persists them (JSON).
///
/// Kept per terminal, not synced: a lock protects against guessing at this terminal, and syncing failures
/// would let a partitioned hall lock out staff it cannot see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFailures {
    pub failures_ms: Vec<i64>,
}

/// [`LoginFailures`] replayed at one instant.
enum Replay {
    Locked {
        until_ms: i64,
    },
    /// The failures that still count, oldest first.
    Open(Vec<i64>),
}

impl LoginFailures {
    /// Records a failed login at `now_ms` and forgets failures that no longer count (outside the failure
    /// window, or from before a lock that has ended). While the account is locked nothing is recorded: a
    /// locked account is refused before its secret is checked, so there is no failure to count.
    pub fn record_failure(&mut self, now_ms: i64, policy: &LoginPolicy) {
        match self.replay(now_ms, policy) {
            Replay::Locked { .. } => {}
            Replay::Open(counted) => {
                self.failures_ms = counted;
                self.failures_ms.push(now_ms);
            }
        }
    }

    /// Forgets every failure (after a successful login).
    pub fn clear(&mut self) {
        self.failures_ms.clear();
    }

    /// Locked from the `max_failures`-th failure within the failure window until `lock_minutes` after that
    /// failure; then open again with a full count, because the failures before the lock no longer count.
    pub fn lock_state(&self, now_ms: i64, policy: &LoginPolicy) -> LockState {
        match self.replay(now_ms, policy) {
            Replay::Locked { until_ms } => LockState::Locked { until_ms },
            Replay::Open(counted) => {
                let used = u32::try_from(counted.len()).unwrap_or(u32::MAX);
                LockState::Open {
                    attempts_left: policy.max_failures.saturating_sub(used),
                }
            }
        }
    }

    /// Replays the failures in order, so the answer does not depend on when failures were pruned: each run of
    /// `max_failures` within the window starts a lock, failures during a lock are ignored, and a lock's end
    /// wipes the count.
    fn replay(&self, now_ms: i64, policy: &LoginPolicy) -> Replay {
        let window_ms = policy.failure_window_ms();
        let mut sorted = self.failures_ms.clone();
        sorted.sort_unstable();
        let mut counted: Vec<i64> = Vec::new();
        let mut locked_until: Option<i64> = None;
        for at in sorted {
            if let Some(until) = locked_until {
                if at < until {
                    continue;
                }
                locked_until = None;
            }
            counted.retain(|&earlier| at.saturating_sub(earlier) < window_ms);
            counted.push(at);
            if counted.len() >= policy.max_failures as usize {
                locked_until = Some(at.saturating_add(policy.lock_ms()));
                counted.clear();
            }
        }
        match locked_until {
            Some(until_ms) if now_ms < until_ms => Replay::Locked { until_ms },
            _ => {
                counted.retain(|&at| now_ms.saturating_sub(at) < window_ms);
                Replay::Open(counted)
            }
        }
    }
}

/// A logged-in staff member, as the terminal keeps it for the session. `Debug` masks the name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSession {
    pub staff_id: String,
    pub name: String,
    pub hall_id: Option<String>,
    pub roles: Vec<Role>,
    pub windows: Vec<u32>,
}

impl fmt::Debug for StaffSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffSession")
            .field("staff_id", &self.staff_id)
            .field("name", &mask_name(&self.name))
            .field("hall_id", &self.hall_id)
            .field("roles", &self.roles)
            .field("windows", &self.windows)
            .finish()
    }
}

impl StaffSession {
    fn of(account: &StaffAccount) -> Self {
        Self {
            staff_id: account.staff_id.clone(),
            name: account.name.clone(),
            hall_id: account.hall_id.clone(),
            roles: account.roles.clone(),
            windows: account.windows.clone(),
        }
    }
}

/// Decides a login attempt, by password or by ID card + PIN: `secret_ok` checks the secret against the
/// account's verifier (`banshi_crypto::verify_password` against `password_verifier` or `pin_verifier`).
///
/// In this order:
/// 1. the failures lock the account → [`StaffError::Locked`], without calling `secret_ok`;
/// 2. no such account, or `secret_ok` says no → [`StaffError::BadCredentials`], the same for both so the
///    answer does not tell whether a login id exists (the caller should also spend the time of one
///    verification on an unknown id, e.g. against a dummy verifier);
/// 3. the account is disabled → [`StaffError::Disabled`];
/// 4. `must_change_password`, or the password is `password_max_age_days` old or older →
///    [`StaffError::PasswordExpired`] (the caller offers the change-password screen: the secret was right).
///
/// Only [`StaffError::BadCredentials`] counts as a failure: the caller then calls
/// [`LoginFailures::record_failure`], and [`LoginFailures::clear`] after a success.
/// An account without a password (card + PIN only) has no password age.
pub fn check_login(
    account: Option<&StaffAccount>,
    failures: &LoginFailures,
    now_ms: i64,
    policy: &LoginPolicy,
    secret_ok: impl FnOnce(&StaffAccount) -> bool,
) -> Result<StaffSession, StaffError> {
    if let LockState::Locked { until_ms } = failures.lock_state(now_ms, policy) {
        return Err(StaffError::Locked { until_ms });
    }
    let account = account.ok_or(StaffError::BadCredentials)?;
    if !secret_ok(account) {
        return Err(StaffError::BadCredentials);
    }
    if account.disabled {
        return Err(StaffError::Disabled);
    }
    let too_old = match (policy.password_max_age_days, &account.password_verifier) {
        (Some(days), Some(_)) => {
            let expires_at = account
                .password_set_at_ms
                .saturating_add(i64::from(days) * DAY_MS);
            now_ms >= expires_at
        }
        _ => false,
    };
    if account.must_change_password || too_old {
        return Err(StaffError::PasswordExpired);
    }
    Ok(StaffSession::of(account))
}

/// Who is asking: the anonymous resident at the terminal, or a logged-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Resident,
    Staff(StaffSession),
}

impl Actor {
    /// Whether the actor has `permission`. Staff always have the resident's permissions.
    pub fn can(&self, permission: Permission) -> bool {
        resident_permissions().contains(&permission)
            || match self {
                Actor::Resident => false,
                Actor::Staff(session) => session
                    .roles
                    .iter()
                    .any(|role| role.permissions().contains(&permission)),
            }
    }

    /// [`Self::can`] as an error: a resident is asked to log in, a staff member is refused.
    pub fn require(&self, permission: Permission) -> Result<(), StaffError> {
        if self.can(permission) {
            return Ok(());
        }
        match self {
            Actor::Resident => Err(StaffError::LoginRequired),
            Actor::Staff(_) => Err(StaffError::Forbidden { permission }),
        }
    }

    /// How the actor appears in the audit log: `resident` or `staff:<id>` (the login id, never the name).
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Resident => "resident".to_string(),
            Actor::Staff(session) => format!("staff:{}", session.staff_id),
        }
    }

    pub fn staff(&self) -> Option<&StaffSession> {
        match self {
            Actor::Resident => None,
            Actor::Staff(session) => Some(session),
        }
    }
}

/// Checks a new password: at least `min_password_len` characters, from at least two of letters, digits and
/// other characters.
pub fn check_new_password(secret: &str, policy: &LoginPolicy) -> Result<(), StaffError> {
    let long_enough = secret.chars().count() >= policy.min_password_len;
    let letters = secret.chars().any(char::is_alphabetic);
    let digits = secret.chars().any(|c| c.is_ascii_digit());
    let others = secret
        .chars()
        .any(|c| !c.is_alphabetic() && !c.is_ascii_digit());
    let classes = [letters, digits, others].into_iter().filter(|&b| b).count();
    if long_enough && classes >= 2 {
        Ok(())
    } else {
        Err(StaffError::WeakPassword)
    }
}

/// Checks a new PIN: exactly 6 digits, not all the same digit, not a run up or down (`123456`, `987654`).
pub fn check_new_pin(pin: &str) -> Result<(), StaffError> {
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StaffError::WeakPin);
    }
    let digits: Vec<i8> = pin.bytes().map(|b| (b - b'0') as i8).collect();
    let steps: Vec<i8> = digits.windows(2).map(|pair| pair[1] - pair[0]).collect();
    let constant_step = steps.iter().all(|&step| step == steps[0]);
    if constant_step && matches!(steps[0], -1..=1) {
        return Err(StaffError::WeakPin);
    }
    Ok(())
}

/// Why a login or a staff action was refused. Messages carry no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error("too many failed logins: locked until {}", rfc3339_utc(*until_ms))]
    Locked { until_ms: i64 },
    #[error("unknown login or wrong password or PIN")]
    BadCredentials,
    #[error("this account is disabled")]
    Disabled,
    #[error("the password has expired and must be changed")]
    PasswordExpired,
    #[error("a staff login is required")]
    LoginRequired,
    #[error("this needs the {permission} permission")]
    Forbidden { permission: Permission },
    #[error(
        "the password is too weak: it needs the minimum length and two of letters, digits and other characters"
    )]
    WeakPassword,
    #[error("the PIN must be 6 digits, not all the same and not a run such as 123456")]
    WeakPin,
    #[error("invalid staff account: {0}")]
    Invalid(String),
}

impl ErrorCode for StaffError {
    fn code(&self) -> &'static str {
        match self {
            StaffError::Locked { .. } => "staff.locked",
            StaffError::BadCredentials => "staff.bad_credentials",
            StaffError::Disabled => "staff.disabled",
            StaffError::PasswordExpired => "staff.password_expired",
            StaffError::LoginRequired => "staff.login_required",
            StaffError::Forbidden { .. } => "staff.forbidden",
            StaffError::WeakPassword => "staff.weak_password",
            StaffError::WeakPin => "staff.weak_pin",
            StaffError::Invalid(_) => "staff.invalid",
        }
    }
}

/// `until_ms` for the lock message; a time out of the calendar's range (only from a corrupt record) stays a
/// number rather than failing the message.
fn rfc3339_utc(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{ms} ms since 1970"))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// 2026-06-01T00:00:00Z.
    const T0: i64 = 1_780_272_000_000;
    const SECOND: i64 = 1000;
    const MINUTE: i64 = 60 * SECOND;

    fn account() -> StaffAccount {
        StaffAccount {
            staff_id: "wang.li-01".into(),
            name: "王小丽".into(),
            hall_id: Some("hall-1".into()),
            roles: vec![Role::Clerk],
            windows: vec![5],
            password_verifier: Some("pbkdf2-sm3$1000$00$00".into()),
            password_set_at_ms: T0 - DAY_MS,
            must_change_password: false,
            card_key: Some("ab".repeat(32)),
            pin_verifier: Some("pbkdf2-sm3$1000$11$11".into()),
            disabled: false,
            updated_at_ms: T0 - DAY_MS,
        }
    }

    fn failures_at(times: &[i64]) -> LoginFailures {
        let policy = LoginPolicy::default();
        let mut failures = LoginFailures::default();
        for &at in times {
            failures.record_failure(at, &policy);
        }
        failures
    }

    /// Rows: permissions; columns: resident, clerk, supervisor, hall manager, field staff, fleet admin.
    #[test]
    fn the_role_table_grants_exactly_what_the_brief_lists() {
        use Permission::*;
        let table: [(Permission, &str); 13] = [
            (ViewStatus, "xxxxxx"),
            (TakeTicket, "xxxxxx"),
            (ViewCalls, "xxxxxx"),
            (ServeWindow, ".xxx.."),
            (ViewTickets, ".xxxxx"),
            (ViewHallKpi, "..xx.x"),
            (ManageHall, "...x.x"),
            (ManageStaff, "...x.x"),
            (ViewPersonalData, ".xxxx."),
            (ViewSyncStatus, ".xxxxx"),
            (FieldIntake, "....x."),
            (ViewAudit, "..xx.x"),
            (ManageFleet, ".....x"),
        ];
        assert_eq!(table.len(), Permission::ALL.len());
        let columns: [Option<Role>; 6] = [
            None,
            Some(Role::Clerk),
            Some(Role::Supervisor),
            Some(Role::HallManager),
            Some(Role::FieldStaff),
            Some(Role::FleetAdmin),
        ];
        for (permission, row) in table {
            for (column, expected) in columns.iter().zip(row.chars()) {
                let granted = match column {
                    None => resident_permissions().contains(&permission),
                    Some(role) => role.permissions().contains(&permission),
                };
                assert_eq!(granted, expected == 'x', "{column:?} × {permission}");
            }
        }
    }

    #[test]
    fn every_role_has_the_resident_permissions() {
        for role in Role::ALL {
            for permission in resident_permissions() {
                assert!(role.permissions().contains(permission), "{role}");
            }
        }
    }

    #[test]
    fn roles_and_permissions_are_kebab_strings_in_serde_and_automerge() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.as_str())
            );
        }
        assert_eq!(Role::HallManager.as_str(), "hall-manager");
        assert_eq!(Role::parse("HallManager"), None);
        for permission in Permission::ALL {
            assert_eq!(
                serde_json::to_string(&permission).unwrap(),
                format!("\"{}\"", permission.as_str())
            );
        }
        assert_eq!(Permission::ViewHallKpi.as_str(), "view-hall-kpi");

        let mut acc = account();
        acc.roles = Role::ALL.to_vec();
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &acc).unwrap();
        let stored: Vec<String> =
            autosurgeon::hydrate_prop(&doc, &automerge::ROOT, "roles").unwrap();
        assert_eq!(
            stored,
            [
                "clerk",
                "supervisor",
                "hall-manager",
                "field-staff",
                "fleet-admin"
            ]
        );
        assert_eq!(autosurgeon::hydrate::<_, StaffAccount>(&doc).unwrap(), acc);
    }

    #[test]
    fn debug_output_masks_the_name_and_hides_verifiers() {
        let acc = account();
        let shown = format!("{acc:?}");
        assert!(!shown.contains("王小丽"), "{shown}");
        assert!(shown.contains("王*丽"), "{shown}");
        assert!(!shown.contains("pbkdf2"), "{shown}");
        assert!(!shown.contains(&"ab".repeat(32)), "{shown}");
        let session = format!("{:?}", StaffSession::of(&acc));
        assert!(
            !session.contains("王小丽") && session.contains("王*丽"),
            "{session}"
        );
    }

    #[test]
    fn a_valid_account_passes_validation() {
        account().validate().unwrap();
        let admin = StaffAccount {
            hall_id: None,
            roles: vec![Role::FleetAdmin],
            windows: vec![],
            ..account()
        };
        admin.validate().unwrap();
    }

    #[test]
    fn validation_rejects_each_broken_rule() {
        let cases: Vec<(&str, StaffAccount)> = vec![
            (
                "empty id",
                StaffAccount {
                    staff_id: String::new(),
                    ..account()
                },
            ),
            (
                "id too long",
                StaffAccount {
                    staff_id: "a".repeat(33),
                    ..account()
                },
            ),
            (
                "id with a space",
                StaffAccount {
                    staff_id: "wang li".into(),
                    ..account()
                },
            ),
            (
                "id not ASCII",
                StaffAccount {
                    staff_id: "王".into(),
                    ..account()
                },
            ),
            (
                "blank name",
                StaffAccount {
                    name: "  ".into(),
                    ..account()
                },
            ),
            (
                "no role",
                StaffAccount {
                    roles: vec![],
                    ..account()
                },
            ),
            (
                "clerk without hall",
                StaffAccount {
                    hall_id: None,
                    ..account()
                },
            ),
            (
                "admin and clerk without hall",
                StaffAccount {
                    hall_id: None,
                    roles: vec![Role::FleetAdmin, Role::Clerk],
                    ..account()
                },
            ),
            (
                "empty hall id",
                StaffAccount {
                    hall_id: Some(String::new()),
                    ..account()
                },
            ),
            (
                "windows for field staff",
                StaffAccount {
                    roles: vec![Role::FieldStaff],
                    ..account()
                },
            ),
            (
                "windows for a fleet admin",
                StaffAccount {
                    roles: vec![Role::FleetAdmin],
                    hall_id: None,
                    ..account()
                },
            ),
        ];
        for (what, acc) in cases {
            let err = acc.validate().expect_err(what);
            assert_eq!(err.code(), "staff.invalid", "{what}");
        }
        assert!(StaffAccount {
            staff_id: "a".repeat(32),
            ..account()
        }
        .validate()
        .is_ok());
        assert!(StaffAccount {
            roles: vec![Role::FieldStaff, Role::Supervisor],
            ..account()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn login_policy_defaults_and_rejects_unknown_fields() {
        let policy: LoginPolicy = toml::from_str("max_failures = 3").unwrap();
        assert_eq!(
            policy,
            LoginPolicy {
                max_failures: 3,
                ..LoginPolicy::default()
            }
        );
        let d = LoginPolicy::default();
        assert_eq!(
            (d.max_failures, d.lock_minutes, d.failure_window_minutes),
            (5, 15, 15)
        );
        assert_eq!(d.password_max_age_days, Some(90));
        assert_eq!((d.session_idle_minutes, d.min_password_len), (15, 8));
        assert!(toml::from_str::<LoginPolicy>("max_failure = 3").is_err());
    }

    #[test]
    fn four_failures_leave_one_attempt() {
        let policy = LoginPolicy::default();
        let failures = failures_at(&[T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
        assert_eq!(
            failures.lock_state(T0 + 4 * MINUTE, &policy),
            LockState::Open { attempts_left: 1 }
        );
        assert_eq!(
            LoginFailures::default().lock_state(T0, &policy),
            LockState::Open { attempts_left: 5 }
        );
    }

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes_even_with_the_right_password() {
        let policy = LoginPolicy::default();
        let fifth = T0 + 4 * MINUTE;
        let failures = failures_at(&[T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE, fifth]);
        let until_ms = fifth + 15 * MINUTE;
        assert_eq!(
            failures.lock_state(fifth, &policy),
            LockState::Locked { until_ms }
        );

        let called = Cell::new(false);
        let just_before = until_ms - SECOND;
        let result = check_login(Some(&account()), &failures, just_before, &policy, |_| {
            called.set(true);
            true
        });
        assert_eq!(result, Err(StaffError::Locked { until_ms }));
        assert!(!called.get(), "a locked account's secret is not checked");

        assert_eq!(
            failures.lock_state(until_ms, &policy),
            LockState::Open { attempts_left: 5 }
        );
        let session =
            check_login(Some(&account()), &failures, until_ms, &policy, |_| true).unwrap();
        assert_eq!(session.staff_id, "wang.li-01");
    }

    #[test]
    fn failures_while_locked_do_not_extend_the_lock() {
        let policy = LoginPolicy::default();
        let times: Vec<i64> = (0..5).map(|i| T0 + i * MINUTE).collect();
        let mut failures = failures_at(&times);
        failures.record_failure(T0 + 10 * MINUTE, &policy);
        assert_eq!(
            failures.lock_state(T0 + 19 * MINUTE, &policy),
            LockState::Open { attempts_left: 5 }
        );
    }

    #[test]
    fn after_a_lock_the_count_starts_again() {
        let policy = LoginPolicy::default();
        let times: Vec<i64> = (0..5).map(|i| T0 + i * MINUTE).collect();
        let mut failures = failures_at(&times);
        let after = T0 + 20 * MINUTE;
        failures.record_failure(after, &policy);
        assert_eq!(failures.failures_ms, vec![after]);
        assert_eq!(
            failures.lock_state(after, &policy),
            LockState::Open { attempts_left: 4 }
        );
    }

    #[test]
    fn a_lock_outlives_a_shorter_failure_window_and_a_longer_window_does_not_relock() {
        // Lock longer than the window: the lock still holds after its failures left the window.
        let long_lock = LoginPolicy {
            lock_minutes: 60,
            failure_window_minutes: 10,
            ..LoginPolicy::default()
        };
        let times: Vec<i64> = (0..5).map(|i| T0 + i * MINUTE).collect();
        let failures = LoginFailures {
            failures_ms: times.clone(),
        };
        assert_eq!(
            failures.lock_state(T0 + 30 * MINUTE, &long_lock),
            LockState::Locked {
                until_ms: T0 + 64 * MINUTE
            }
        );
        // Window longer than the lock: failures from before the lock do not count after it.
        let long_window = LoginPolicy {
            lock_minutes: 5,
            failure_window_minutes: 60,
            ..LoginPolicy::default()
        };
        let mut failures = LoginFailures { failures_ms: times };
        failures.record_failure(T0 + 20 * MINUTE, &long_window);
        assert_eq!(
            failures.lock_state(T0 + 21 * MINUTE, &long_window),
            LockState::Open { attempts_left: 4 }
        );
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let policy = LoginPolicy::default();
        // The first failure is exactly 15 minutes before the fifth: outside the window.
        let mut failures = failures_at(&[T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
        failures.record_failure(T0 + 15 * MINUTE, &policy);
        assert_eq!(
            failures.lock_state(T0 + 15 * MINUTE, &policy),
            LockState::Open { attempts_left: 1 }
        );
        assert_eq!(
            failures.failures_ms.len(),
            4,
            "the old failure is forgotten"
        );
        assert_eq!(
            failures.lock_state(T0 + 40 * MINUTE, &policy),
            LockState::Open { attempts_left: 5 }
        );
    }

    #[test]
    fn clear_forgets_every_failure() {
        let mut failures = failures_at(&[T0, T0 + MINUTE]);
        failures.clear();
        assert_eq!(
            failures.lock_state(T0 + MINUTE, &LoginPolicy::default()),
            LockState::Open { attempts_left: 5 }
        );
    }

    #[test]
    fn login_failures_persist_as_json() {
        let failures = failures_at(&[T0]);
        let json = serde_json::to_string(&failures).unwrap();
        assert_eq!(json, format!("{{\"failures_ms\":[{T0}]}}"));
        assert_eq!(
            serde_json::from_str::<LoginFailures>(&json).unwrap(),
            failures
        );
    }

    #[test]
    fn unknown_account_and_wrong_secret_give_the_same_error() {
        let policy = LoginPolicy::default();
        let none = LoginFailures::default();
        let unknown = check_login(None, &none, T0, &policy, |_| true).unwrap_err();
        let wrong = check_login(Some(&account()), &none, T0, &policy, |_| false).unwrap_err();
        assert_eq!(unknown, StaffError::BadCredentials);
        assert_eq!(unknown, wrong);
        assert_eq!(unknown.to_string(), wrong.to_string());
        assert_eq!(unknown.code(), "staff.bad_credentials");
    }

    #[test]
    fn a_disabled_account_is_refused_only_after_the_right_secret() {
        let policy = LoginPolicy::default();
        let none = LoginFailures::default();
        let acc = StaffAccount {
            disabled: true,
            ..account()
        };
        assert_eq!(
            check_login(Some(&acc), &none, T0, &policy, |_| false),
            Err(StaffError::BadCredentials)
        );
        assert_eq!(
            check_login(Some(&acc), &none, T0, &policy, |_| true),
            Err(StaffError::Disabled)
        );
    }

    #[test]
    fn an_old_or_reset_password_must_be_changed_after_the_right_secret() {
        let policy = LoginPolicy::default();
        let none = LoginFailures::default();
        let set_at = T0 - 90 * DAY_MS;
        let old = StaffAccount {
            password_set_at_ms: set_at,
            ..account()
        };
        assert_eq!(
            check_login(Some(&old), &none, T0, &policy, |_| true),
            Err(StaffError::PasswordExpired)
        );
        assert!(check_login(Some(&old), &none, T0 - 1, &policy, |_| true).is_ok());
        assert_eq!(
            check_login(Some(&old), &none, T0, &policy, |_| false),
            Err(StaffError::BadCredentials)
        );
        let never = LoginPolicy {
            password_max_age_days: None,
            ..LoginPolicy::default()
        };
        assert!(check_login(Some(&old), &none, T0, &never, |_| true).is_ok());

        let reset = StaffAccount {
            must_change_password: true,
            ..account()
        };
        assert_eq!(
            check_login(Some(&reset), &none, T0, &policy, |_| true),
            Err(StaffError::PasswordExpired)
        );
        let card_only = StaffAccount {
            password_verifier: None,
            ..old
        };
        assert!(check_login(Some(&card_only), &none, T0, &policy, |_| true).is_ok());
    }

    #[test]
    fn a_good_login_returns_the_session() {
        let session = check_login(
            Some(&account()),
            &LoginFailures::default(),
            T0,
            &LoginPolicy::default(),
            |acc| acc.staff_id == "wang.li-01",
        )
        .unwrap();
        assert_eq!(
            session,
            StaffSession {
                staff_id: "wang.li-01".into(),
                name: "王小丽".into(),
                hall_id: Some("hall-1".into()),
                roles: vec![Role::Clerk],
                windows: vec![5],
            }
        );
    }

    #[test]
    fn the_lock_message_says_until_when_in_utc() {
        let err = StaffError::Locked {
            until_ms: T0 + 15 * MINUTE,
        };
        assert_eq!(
            err.to_string(),
            "too many failed logins: locked until 2026-06-01T00:15:00Z"
        );
        assert_eq!(err.code(), "staff.locked");
    }

    #[test]
    fn actors_are_checked_against_the_role_table() {
        let resident = Actor::Resident;
        assert!(resident.can(Permission::TakeTicket));
        assert_eq!(resident.require(Permission::TakeTicket), Ok(()));
        assert_eq!(
            resident.require(Permission::ServeWindow),
            Err(StaffError::LoginRequired)
        );
        assert_eq!(resident.audit_name(), "resident");
        assert!(resident.staff().is_none());

        let clerk = Actor::Staff(StaffSession::of(&account()));
        assert!(clerk.can(Permission::ServeWindow));
        assert!(clerk.can(Permission::ViewStatus));
        assert_eq!(
            clerk.require(Permission::ManageStaff),
            Err(StaffError::Forbidden {
                permission: Permission::ManageStaff
            })
        );
        assert_eq!(
            clerk
                .require(Permission::ManageStaff)
                .unwrap_err()
                .to_string(),
            "this needs the manage-staff permission"
        );
        assert_eq!(clerk.audit_name(), "staff:wang.li-01");
        assert_eq!(clerk.staff().map(|s| s.windows.clone()), Some(vec![5]));

        let both = Actor::Staff(StaffSession {
            roles: vec![Role::Clerk, Role::FieldStaff],
            ..StaffSession::of(&account())
        });
        assert!(both.can(Permission::FieldIntake) && both.can(Permission::ServeWindow));
        assert!(!both.can(Permission::ManageFleet));
    }

    #[test]
    fn weak_passwords_are_refused() {
        let policy = LoginPolicy::default();
        for weak in [
            "",
            "abc12",
            "abcdefgh",
            "12345678",
            "!!!!!!!!",
            "密码密码密码密码",
        ] {
            assert_eq!(
                check_new_password(weak, &policy),
                Err(StaffError::WeakPassword),
                "{weak:?}"
            );
        }
        for good in ["abcdefg1", "12345678!", "hall day-one", "密码密码密码密码1"] {
            assert_eq!(check_new_password(good, &policy), Ok(()), "{good:?}");
        }
        let long = LoginPolicy {
            min_password_len: 12,
            ..LoginPolicy::default()
        };
        assert_eq!(
            check_new_password("abcdefg1", &long),
            Err(StaffError::WeakPassword)
        );
        assert_eq!(StaffError::WeakPassword.code(), "staff.weak_password");
    }

    #[test]
    fn weak_pins_are_refused() {
        for weak in [
            "",
            "12345",
            "1234567",
            "12a456",
            "１２３４５６",
            "000000",
            "777777",
            "123456",
            "456789",
            "654321",
            "987654",
        ] {
            assert_eq!(check_new_pin(weak), Err(StaffError::WeakPin), "{weak:?}");
        }
        for good in ["135790", "120456", "246802", "908172", "112233"] {
            assert_eq!(check_new_pin(good), Ok(()), "{good:?}");
        }
        assert_eq!(StaffError::WeakPin.code(), "staff.weak_pin");
    }

    #[test]
    fn every_error_has_its_stable_code() {
        let codes: Vec<&str> = [
            StaffError::Locked { until_ms: T0 },
            StaffError::BadCredentials,
            StaffError::Disabled,
            StaffError::PasswordExpired,
            StaffError::LoginRequired,
            StaffError::Forbidden {
                permission: Permission::ViewAudit,
            },
            StaffError::WeakPassword,
            StaffError::WeakPin,
            StaffError::Invalid("x".into()),
        ]
        .iter()
        .map(ErrorCode::code)
        .collect();
        assert_eq!(
            codes,
            [
                "staff.locked",
                "staff.bad_credentials",
                "staff.disabled",
                "staff.password_expired",
                "staff.login_required",
                "staff.forbidden",
                "staff.weak_password",
                "staff.weak_pin",
                "staff.invalid",
            ]
        );
    }
}
