//! Staff on a terminal: logging in (password, or ID card + PIN), sessions that end when left idle, lockout
//! after repeated failures, the accounts a hall manager or fleet admin keeps, and the role check every staff
//! operation starts with.
//!
//! Accounts are `StaffAccount` records in the hall's scope, so every terminal of the hall holds the verifiers
//! of its staff and a login never needs the network: a field laptop days away from the server still lets its
//! staff in. Verifiers are PBKDF2-HMAC-SM3 (`banshi_crypto::hash_password`); the rules (lockout, expiry, who may
//! do what) are `banshi_core::staff`'s. Failed attempts are counted per account on this terminal
//! (`local_state`, never synced): a lock protects the terminal it happened on. Sessions live in memory only —
//! a restart asks everyone to log in again.

use std::collections::HashMap;
use std::sync::Arc;

use banshi_core::audit::{AuditAction, AuditEntry};
use banshi_core::queue::{hall_scope, unix_ms};
use banshi_core::staff::{
    check_login, check_new_password, check_new_pin, Actor, LockState, LoginFailures, LoginPolicy,
    Permission, Role, StaffAccount, StaffError, StaffSession,
};
use banshi_core::ErrorCode;
use banshi_store::{Durability, Record};
use serde::Deserialize;

use super::{blocking, Terminal, TerminalError};
use crate::views::{AuditCheckView, LoginView, StaffAccountView};

/// A logged-in staff member and when their session was last used.
#[derive(Debug, Clone)]
pub(crate) struct LiveSession {
    session: StaffSession,
    last_used_ms: i64,
}

/// An account as a manager writes it: secrets in clear only on their way to the verifier.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffInput {
    pub staff_id: String,
    pub name: String,
    /// Absent: the manager's own hall (fleet admins may name any, or none for a fleet-wide admin).
    pub hall_id: Option<String>,
    pub roles: Vec<Role>,
    pub windows: Vec<u32>,
    /// A new password (the staff member must change it at first login unless a fleet admin sets up themself).
    pub password: Option<String>,
    /// A new 6-digit PIN for ID card login.
    pub pin: Option<String>,
    /// The staff member's ID number, for ID card login; only its SM3 key is kept.
    pub id_number: Option<String>,
    pub disabled: bool,
    /// Whether a new password must be replaced at first login. Absent: yes when it is set for someone else.
    pub one_time_password: Option<bool>,
}

impl std::fmt::Debug for StaffInput {
    // Secrets and the ID number never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffInput")
            .field("staff_id", &self.staff_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// Where a login's proof comes from.
enum Proof {
    Password(String),
    CardPin { person_key: String, pin: String },
}

/// The `local_state` key of an account's failed-login count on this terminal.
fn failures_key(staff_id: &str) -> String {
    format!("login-failures:{staff_id}")
}

impl Terminal {
    /// The login rules from the profile's `[security]` table.
    pub(crate) fn login_policy(&self) -> LoginPolicy {
        let s = &self.profile().security;
        LoginPolicy {
            max_failures: s.max_login_failures,
            lock_minutes: s.lock_minutes,
            failure_window_minutes: s.lock_minutes,
            password_max_age_days: (s.password_max_age_days > 0).then_some(s.password_max_age_days),
            session_idle_minutes: s.session_idle_minutes,
            ..LoginPolicy::default()
        }
    }

    /// Every account this terminal holds, the newest version of each staff id.
    async fn staff_accounts(&self) -> Result<Vec<Record<StaffAccount>>, TerminalError> {
        let mut newest: HashMap<String, Record<StaffAccount>> = HashMap::new();
        for (rec, _) in self.records::<StaffAccount>().await? {
            match newest.get(&rec.body.staff_id) {
                Some(have) if have.body.updated_at_ms >= rec.body.updated_at_ms => {}
                _ => {
                    newest.insert(rec.body.staff_id.clone(), rec);
                }
            }
        }
        let mut all: Vec<_> = newest.into_values().collect();
        all.sort_by(|a, b| a.body.staff_id.cmp(&b.body.staff_id));
        Ok(all)
    }

    /// The account `staff_id` may use on this terminal: one of its hall, or a fleet-wide admin.
    async fn account_here(&self, staff_id: &str) -> Result<Option<StaffAccount>, TerminalError> {
        let hall = &self.profile().terminal.hall_id;
        Ok(self
            .staff_accounts()
            .await?
            .into_iter()
            .map(|r| r.body)
            .find(|a| a.staff_id == staff_id && works_in(a, hall)))
    }

    /// Log in with a staff id and password. Works offline against the verifiers synced to this terminal.
    pub async fn login_password(
        &self,
        staff_id: &str,
        password: &str,
    ) -> Result<LoginView, TerminalError> {
        let account = self.account_here(staff_id).await?;
        self.login(staff_id, account, Proof::Password(password.to_string()))
            .await
    }

    /// Log in with the staff member's own ID card on this terminal's reader and their PIN.
    pub async fn login_card(&self, pin: &str) -> Result<LoginView, TerminalError> {
        let devices = self.devices();
        let card = tokio::task::spawn_blocking(move || {
            devices.read_id_card(std::time::Duration::from_secs(10))
        })
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))??;
        let person_key = banshi_crypto::sm3_hex(card.id_number.as_bytes());
        let hall = self.profile().terminal.hall_id.clone();
        let account = self
            .staff_accounts()
            .await?
            .into_iter()
            .map(|r| r.body)
            .find(|a| a.card_key.as_deref() == Some(person_key.as_str()) && works_in(a, &hall));
        let staff_id = account
            .as_ref()
            .map(|a| a.staff_id.clone())
            .unwrap_or_default();
        self.login(
            &staff_id,
            account,
            Proof::CardPin {
                person_key,
                pin: pin.to_string(),
            },
        )
        .await
    }

    async fn login(
        &self,
        staff_id: &str,
        account: Option<StaffAccount>,
        proof: Proof,
    ) -> Result<LoginView, TerminalError> {
        let policy = self.login_policy();
        let now_ms = unix_ms(self.clock.now());
        let mut failures = self.login_failures(staff_id).await?;
        // Hashing is the slow part by design; keep it off the async threads.
        let outcome = tokio::task::spawn_blocking({
            let account = account.clone();
            let failures = failures.clone();
            let policy = policy.clone();
            move || {
                check_login(account.as_ref(), &failures, now_ms, &policy, |a| {
                    secret_matches(a, &proof)
                })
            }
        })
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))?;
        match outcome {
            Ok(session) => {
                if !failures.failures_ms.is_empty() {
                    failures.clear();
                    self.save_login_failures(staff_id, &failures).await?;
                }
                self.audit(
                    &format!("staff:{}", session.staff_id),
                    AuditAction::StaffLogin,
                    None,
                    "",
                )
                .await?;
                tracing::info!(staff = %session.staff_id, "staff logged in");
                self.open_session(session, now_ms, &policy)
            }
            Err(StaffError::BadCredentials) if account.is_some() => {
                failures.record_failure(now_ms, &policy);
                self.save_login_failures(staff_id, &failures).await?;
                let locked = matches!(
                    failures.lock_state(now_ms, &policy),
                    LockState::Locked { .. }
                );
                let action = if locked {
                    AuditAction::StaffLocked
                } else {
                    AuditAction::StaffLoginFailed
                };
                self.audit(&format!("staff:{staff_id}"), action, None, "")
                    .await?;
                tracing::warn!(staff = %staff_id, locked, "staff login refused");
                Err(StaffError::BadCredentials.into())
            }
            Err(e) => {
                tracing::warn!(code = e.code(), "staff login refused");
                Err(e.into())
            }
        }
    }

    fn open_session(
        &self,
        session: StaffSession,
        now_ms: i64,
        policy: &LoginPolicy,
    ) -> Result<LoginView, TerminalError> {
        let token = hex_token()?;
        let view = LoginView::new(&token, &session, policy.session_idle_minutes);
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.insert(
            token,
            LiveSession {
                session,
                last_used_ms: now_ms,
            },
        );
        Ok(view)
    }

    /// Who is asking: the staff member whose session `token` names (which counts as a use of it), or the
    /// anonymous resident for no token, an unknown one, or one left idle too long.
    pub fn actor(&self, token: Option<&str>) -> Actor {
        let Some(token) = token else {
            return Actor::Resident;
        };
        let now_ms = unix_ms(self.clock.now());
        let idle_ms = i64::from(self.login_policy().session_idle_minutes) * 60_000;
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| now_ms - s.last_used_ms < idle_ms);
        match sessions.get_mut(token) {
            Some(live) => {
                live.last_used_ms = now_ms;
                Actor::Staff(live.session.clone())
            }
            None => Actor::Resident,
        }
    }

    /// The session behind `token`, for the screen to show who is logged in.
    pub fn session_view(&self, token: Option<&str>) -> Option<LoginView> {
        let policy = self.login_policy();
        match self.actor(token) {
            Actor::Staff(s) => Some(LoginView::new(
                token.unwrap_or_default(),
                &s,
                policy.session_idle_minutes,
            )),
            Actor::Resident => None,
        }
    }

    /// End a session.
    pub async fn logout(&self, token: &str) -> Result<(), TerminalError> {
        let ended = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            sessions.remove(token)
        };
        if let Some(live) = ended {
            let who = format!("staff:{}", live.session.staff_id);
            self.release_held_cards(&who);
            self.reset_customer_screen();
            self.audit(&who, AuditAction::StaffLogout, None, "").await?;
        }
        Ok(())
    }

    /// Change one's own password with the old one (also when it has expired: that is how it gets renewed).
    pub async fn change_password(
        &self,
        staff_id: &str,
        old: &str,
        new: &str,
    ) -> Result<(), TerminalError> {
        let policy = self.login_policy();
        check_new_password(new, &policy)?;
        let now_ms = unix_ms(self.clock.now());
        let failures = self.login_failures(staff_id).await?;
        let account = self.account_here(staff_id).await?;
        let old = old.to_string();
        let checked = tokio::task::spawn_blocking({
            let account = account.clone();
            // Expiry is what this call repairs, so it is not held against it.
            let policy = LoginPolicy {
                password_max_age_days: None,
                ..policy.clone()
            };
            move || {
                let mut account = account;
                if let Some(a) = account.as_mut() {
                    a.must_change_password = false;
                }
                check_login(account.as_ref(), &failures, now_ms, &policy, |a| {
                    secret_matches(a, &Proof::Password(old))
                })
            }
        })
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))?;
        if let Err(e) = checked {
            if matches!(e, StaffError::BadCredentials) && account.is_some() {
                let mut failures = self.login_failures(staff_id).await?;
                failures.record_failure(now_ms, &policy);
                self.save_login_failures(staff_id, &failures).await?;
            }
            return Err(e.into());
        }
        let verifier = hash_secret(new).await?;
        self.update_account(staff_id, &format!("staff:{staff_id}"), move |a| {
            a.password_verifier = Some(verifier);
            a.password_set_at_ms = now_ms;
            a.must_change_password = false;
            a.updated_at_ms = now_ms;
        })
        .await
    }

    /// The accounts `actor` may manage: their hall's (a fleet admin: all this terminal holds).
    pub async fn staff_list(&self, actor: &Actor) -> Result<Vec<StaffAccountView>, TerminalError> {
        actor.require(Permission::ManageStaff)?;
        let mine = actor.staff().and_then(|s| s.hall_id.clone());
        let fleet = actor
            .staff()
            .is_some_and(|s| s.roles.contains(&Role::FleetAdmin));
        Ok(self
            .staff_accounts()
            .await?
            .into_iter()
            .filter(|r| fleet || r.body.hall_id == mine)
            .map(|r| StaffAccountView::from(&r.body))
            .collect())
    }

    /// Create or change an account. A hall manager manages their own hall's clerks, supervisors, field staff
    /// and managers; only a fleet admin creates fleet admins or accounts of other halls.
    pub async fn save_staff(
        &self,
        actor: &Actor,
        input: StaffInput,
    ) -> Result<StaffAccountView, TerminalError> {
        actor.require(Permission::ManageStaff)?;
        let me = actor.staff().ok_or(StaffError::LoginRequired)?.clone();
        let fleet = me.roles.contains(&Role::FleetAdmin);
        let hall_id = match (&input.hall_id, fleet) {
            (Some(h), true) => Some(h.clone()),
            (None, true) if input.roles.iter().all(|r| *r == Role::FleetAdmin) => None,
            (None, true) => Some(self.profile().terminal.hall_id.clone()),
            (requested, false) => {
                let own = me.hall_id.clone();
                if requested.is_some() && requested != &own {
                    return Err(StaffError::Forbidden {
                        permission: Permission::ManageFleet,
                    }
                    .into());
                }
                own
            }
        };
        if !fleet && input.roles.contains(&Role::FleetAdmin) {
            return Err(StaffError::Forbidden {
                permission: Permission::ManageFleet,
            }
            .into());
        }
        let policy = self.login_policy();
        if let Some(p) = &input.password {
            check_new_password(p, &policy)?;
        }
        if let Some(p) = &input.pin {
            check_new_pin(p)?;
        }
        let now_ms = unix_ms(self.clock.now());
        let existing = self
            .staff_accounts()
            .await?
            .into_iter()
            .find(|r| r.body.staff_id == input.staff_id);
        if let Some(e) = &existing {
            if !fleet && e.body.hall_id != me.hall_id {
                return Err(StaffError::Forbidden {
                    permission: Permission::ManageFleet,
                }
                .into());
            }
        }
        let password_verifier = match &input.password {
            Some(p) => Some(hash_secret(p).await?),
            None => existing
                .as_ref()
                .and_then(|e| e.body.password_verifier.clone()),
        };
        let pin_verifier = match &input.pin {
            Some(p) => Some(hash_secret(p).await?),
            None => existing.as_ref().and_then(|e| e.body.pin_verifier.clone()),
        };
        let setting_own = input.staff_id == me.staff_id;
        let account = StaffAccount {
            staff_id: input.staff_id.clone(),
            name: input.name.clone(),
            hall_id,
            roles: input.roles.clone(),
            windows: input.windows.clone(),
            password_verifier,
            password_set_at_ms: match (&input.password, &existing) {
                (None, Some(e)) => e.body.password_set_at_ms,
                _ => now_ms,
            },
            // Someone else's new password is a one-time password: its owner replaces it at first login.
            must_change_password: match (&input.password, &existing) {
                (Some(_), _) => input.one_time_password.unwrap_or(!setting_own),
                (None, Some(e)) => e.body.must_change_password,
                (None, None) => false,
            },
            card_key: match &input.id_number {
                Some(n) => Some(banshi_crypto::sm3_hex(n.trim().as_bytes())),
                None => existing.as_ref().and_then(|e| e.body.card_key.clone()),
            },
            pin_verifier,
            disabled: input.disabled,
            updated_at_ms: now_ms,
        };
        account.validate()?;
        let view = StaffAccountView::from(&account);
        let actor_name = actor.audit_name();
        match existing {
            Some(e) => {
                let store = Arc::clone(&self.store);
                let id = e.header.id.clone();
                blocking(move || {
                    store.acting(actor_name).update::<StaffAccount>(
                        &id,
                        Durability::Promised,
                        |a| *a = account,
                    )
                })
                .await?;
            }
            None => {
                let scope = hall_scope(
                    view.hall_id
                        .as_deref()
                        .unwrap_or(self.profile().terminal.hall_id.as_str()),
                );
                let store = Arc::clone(&self.store);
                blocking(move || {
                    store
                        .acting(actor_name)
                        .create(&scope, &account, Durability::Promised)
                })
                .await?;
            }
        }
        tracing::info!(staff = %view.staff_id, "staff account saved");
        self.sync_now.notify_one();
        Ok(view)
    }

    async fn update_account(
        &self,
        staff_id: &str,
        actor: &str,
        edit: impl FnOnce(&mut StaffAccount) + Send + 'static,
    ) -> Result<(), TerminalError> {
        let Some(rec) = self
            .staff_accounts()
            .await?
            .into_iter()
            .find(|r| r.body.staff_id == staff_id)
        else {
            return Err(StaffError::BadCredentials.into());
        };
        let (store, actor) = (Arc::clone(&self.store), actor.to_string());
        blocking(move || {
            store
                .acting(actor)
                .update::<StaffAccount>(&rec.header.id, Durability::Promised, edit)
        })
        .await?;
        self.sync_now.notify_one();
        Ok(())
    }

    async fn login_failures(&self, staff_id: &str) -> Result<LoginFailures, TerminalError> {
        let (store, key) = (Arc::clone(&self.store), failures_key(staff_id));
        let raw = blocking(move || store.local_get(&key)).await?;
        // An unreadable counter starts again from zero rather than locking someone out for good.
        Ok(raw
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    async fn save_login_failures(
        &self,
        staff_id: &str,
        failures: &LoginFailures,
    ) -> Result<(), TerminalError> {
        let json =
            serde_json::to_string(failures).map_err(|e| TerminalError::Task(e.to_string()))?;
        let (store, key) = (Arc::clone(&self.store), failures_key(staff_id));
        blocking(move || store.local_put(&key, &json)).await
    }

    /// Append a non-record event to the audit chain.
    pub(crate) async fn audit(
        &self,
        actor: &str,
        action: AuditAction,
        record: Option<(&str, &str)>,
        detail: &str,
    ) -> Result<(), TerminalError> {
        let entry = AuditEntry {
            at_ms: unix_ms(self.clock.now()),
            actor: actor.to_string(),
            action,
            record_kind: record.map(|(kind, _)| kind.to_string()),
            record_id: record.map(|(_, id)| id.to_string()),
            detail: detail.to_string(),
        };
        let store = Arc::clone(&self.store);
        blocking(move || store.audit(entry).map(|_| ())).await
    }
}

/// Whether `account` may log in at a terminal of `hall`: one of its staff, or a fleet-wide admin.
fn works_in(account: &StaffAccount, hall: &str) -> bool {
    account.hall_id.as_deref().is_none_or(|h| h == hall)
}

/// Whether `proof` matches `account`'s verifier. A missing verifier never matches.
fn secret_matches(account: &StaffAccount, proof: &Proof) -> bool {
    let (verifier, secret) = match proof {
        Proof::Password(p) => (account.password_verifier.as_deref(), p.as_str()),
        Proof::CardPin { person_key, pin } => {
            if account.card_key.as_deref() != Some(person_key.as_str()) {
                return false;
            }
            (account.pin_verifier.as_deref(), pin.as_str())
        }
    };
    verifier.is_some_and(|v| banshi_crypto::verify_password(secret, v).unwrap_or(false))
}

async fn hash_secret(secret: &str) -> Result<String, TerminalError> {
    let secret = secret.to_string();
    tokio::task::spawn_blocking(move || {
        banshi_crypto::hash_password(&secret, banshi_crypto::PASSWORD_ITERATIONS)
    })
    .await
    .map_err(|e| TerminalError::Task(e.to_string()))?
    .map_err(|e| TerminalError::Task(e.to_string()))
}

/// A session token: 128 random bits from the OS, hex. No fallback: without a good random source there is
/// no safe token, so the login fails instead.
pub(super) fn hex_token() -> Result<String, TerminalError> {
    let bytes: [u8; 16] =
        banshi_crypto::random_bytes().map_err(|e| TerminalError::Task(e.to_string()))?;
    Ok(hex::encode(bytes))
}

impl Terminal {
    /// Create the first fleet admin on an admin terminal that holds no staff account yet (installation).
    /// Refused once any account exists: after that, accounts are made by someone logged in.
    pub async fn bootstrap_admin(
        &self,
        staff_id: &str,
        name: &str,
        password: &str,
    ) -> Result<StaffAccountView, TerminalError> {
        if self.profile().mode != banshi_profile::Mode::Admin {
            return Err(TerminalError::WrongMode("admin"));
        }
        if !self.staff_accounts().await?.is_empty() {
            return Err(StaffError::Forbidden {
                permission: Permission::ManageStaff,
            }
            .into());
        }
        check_new_password(password, &self.login_policy())?;
        let now_ms = unix_ms(self.clock.now());
        let account = StaffAccount {
            staff_id: staff_id.to_string(),
            name: name.to_string(),
            hall_id: None,
            roles: vec![Role::FleetAdmin],
            windows: Vec::new(),
            password_verifier: Some(hash_secret(password).await?),
            password_set_at_ms: now_ms,
            must_change_password: false,
            card_key: None,
            pin_verifier: None,
            disabled: false,
            updated_at_ms: now_ms,
        };
        account.validate()?;
        let view = StaffAccountView::from(&account);
        let (store, scope) = (Arc::clone(&self.store), self.hall_scope());
        blocking(move || {
            store
                .acting("installer")
                .create(&scope, &account, Durability::Promised)
        })
        .await?;
        tracing::info!(staff = %view.staff_id, "first fleet admin created");
        self.sync_now.notify_one();
        Ok(view)
    }
}

impl Terminal {
    /// Check this terminal's audit chain; a broken one names its first broken event.
    pub async fn verify_audit(&self, actor: &Actor) -> Result<AuditCheckView, TerminalError> {
        actor.require(Permission::ViewAudit)?;
        let store = Arc::clone(&self.store);
        let checked = tokio::task::spawn_blocking(move || store.verify_audit())
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))?;
        Ok(match checked {
            Ok(summary) => AuditCheckView {
                ok: true,
                events: summary.events,
                problem: None,
            },
            Err(e) => AuditCheckView {
                ok: false,
                events: 0,
                problem: Some(e.to_body()),
            },
        })
    }
}
