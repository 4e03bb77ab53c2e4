//! The locked kiosk: the admin PIN that lets staff leave it, and the wipe of a resident's session.
//!
//! Full-screen modes (self-service, queue-ticket, call-screen) stand in public with no keyboard a resident
//! could use to leave them (brief §2). The only way out is the admin gesture followed by the PIN whose
//! verifier the profile holds (`lockdown.admin_pin_hash`, PBKDF2-HMAC-SM3 like staff passwords). A public
//! screen invites guessing, so wrong PINs count like staff logins (`banshi_core::staff::LoginFailures` with
//! the profile's `[security]` limits): after `max_login_failures` within `lock_minutes` every PIN is refused
//! for `lock_minutes`. The count lives in `local_state` so pulling the plug does not reset it, and every
//! attempt is an audit event (actor `kiosk-admin`: the PIN names nobody).
//!
//! The window decides what "unlocked" does (it closes the app); this module only answers whether the PIN
//! is right, so the HTTP front door and the tests share it.
//!
//! [`Terminal::reset_session`] is the backend half of the idle reset: when a kiosk has been left alone, the
//! screen wipes itself and asks the terminal to forget the ID cards it still holds for the last resident.

use std::sync::Arc;

use banshi_core::audit::{AuditAction, ACTOR_KIOSK_ADMIN};
use banshi_core::queue::unix_ms;
use banshi_core::staff::{LockState, LoginFailures, LoginPolicy};
use banshi_core::ErrorCode;
use time::format_description::well_known::Rfc3339;

use super::{blocking, Terminal, TerminalError};

/// The `local_state` key of the failed admin PINs on this terminal.
const FAILURES_KEY: &str = "kiosk-exit-failures";

/// Why an admin PIN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockdownError {
    #[error("wrong admin PIN")]
    BadPin,
    #[error("too many wrong admin PINs: locked until {}", until_text(*until_ms))]
    Locked { until_ms: i64 },
    #[error("this terminal ({0} mode) is not a locked kiosk")]
    NotLocked(&'static str),
    #[error("the profile holds no usable admin PIN verifier")]
    NoVerifier,
}

fn until_text(until_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(until_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| until_ms.to_string())
}

impl LockdownError {
    /// The HTTP status the local API answers this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            LockdownError::BadPin => 401,
            LockdownError::Locked { .. } => 423,
            LockdownError::NotLocked(_) => 409,
            LockdownError::NoVerifier => 500,
        }
    }
}

impl ErrorCode for LockdownError {
    fn code(&self) -> &'static str {
        match self {
            LockdownError::BadPin => "lockdown.bad_pin",
            LockdownError::Locked { .. } => "lockdown.locked",
            LockdownError::NotLocked(_) => "lockdown.not_locked",
            LockdownError::NoVerifier => "lockdown.no_verifier",
        }
    }
}

impl Terminal {
    /// The lockout rules for admin PINs: the profile's `[security]` limits, as for staff logins.
    fn kiosk_exit_policy(&self) -> LoginPolicy {
        let s = &self.profile().security;
        LoginPolicy {
            max_failures: s.max_login_failures,
            lock_minutes: s.lock_minutes,
            failure_window_minutes: s.lock_minutes,
            ..LoginPolicy::default()
        }
    }

    /// Check the admin PIN of a locked kiosk. `Ok(())` means the caller may leave the kiosk (the window
    /// closes the app). Errors: `lockdown.bad_pin` (401), `lockdown.locked` (423) after too many wrong
    /// PINs, `lockdown.not_locked` (409) when this terminal's mode is not a full-screen one.
    pub async fn unlock_kiosk(&self, pin: &str) -> Result<(), TerminalError> {
        let mode = self.profile().mode;
        if !mode.opens_full_screen() {
            return Err(LockdownError::NotLocked(mode.as_str()).into());
        }
        // One attempt at a time: two PINs typed at once must not both read the same failure count.
        let _turn = self.kiosk_unlock.lock().await;
        let policy = self.kiosk_exit_policy();
        let now_ms = unix_ms(self.clock.now());
        let mut failures = self.kiosk_exit_failures().await?;
        if let LockState::Locked { until_ms } = failures.lock_state(now_ms, &policy) {
            // Refused before the PIN is looked at: a locked kiosk gives a guesser no answer at all.
            self.audit(
                ACTOR_KIOSK_ADMIN,
                AuditAction::KioskExitRefused,
                None,
                "locked",
            )
            .await?;
            tracing::warn!("admin PIN refused: too many wrong PINs");
            return Err(LockdownError::Locked { until_ms }.into());
        }
        let Some(verifier) = self.profile().lockdown.admin_pin_hash.clone() else {
            return Err(LockdownError::NoVerifier.into());
        };
        let pin = pin.to_string();
        // PBKDF2 is slow by design; keep it off the async threads.
        let checked =
            tokio::task::spawn_blocking(move || banshi_crypto::verify_password(&pin, &verifier))
                .await
                .map_err(|e| TerminalError::Task(e.to_string()))?;
        let matches = match checked {
            Ok(matches) => matches,
            Err(_) => return Err(LockdownError::NoVerifier.into()),
        };
        if matches {
            if !failures.failures_ms.is_empty() {
                failures.clear();
                self.save_kiosk_exit_failures(&failures).await?;
            }
            self.audit(ACTOR_KIOSK_ADMIN, AuditAction::KioskExit, None, "")
                .await?;
            tracing::info!("kiosk unlocked with the admin PIN");
            return Ok(());
        }
        failures.record_failure(now_ms, &policy);
        self.save_kiosk_exit_failures(&failures).await?;
        let state = failures.lock_state(now_ms, &policy);
        let detail = match state {
            LockState::Locked { .. } => "bad_pin; locked".to_string(),
            LockState::Open { attempts_left } => format!("bad_pin; {attempts_left} left"),
        };
        self.audit(
            ACTOR_KIOSK_ADMIN,
            AuditAction::KioskExitRefused,
            None,
            &detail,
        )
        .await?;
        tracing::warn!(%detail, "wrong admin PIN at the kiosk");
        Err(match state {
            LockState::Locked { until_ms } => LockdownError::Locked { until_ms },
            LockState::Open { .. } => LockdownError::BadPin,
        }
        .into())
    }

    /// Forget everything this terminal holds for the resident at the screen: the ID cards read and not yet
    /// used for a ticket. Called by the kiosk's idle reset; returns how many cards were forgotten.
    pub fn reset_session(&self) -> usize {
        let mut held = self.identities.lock().unwrap_or_else(|p| p.into_inner());
        let forgotten = held.len();
        held.clear();
        if forgotten > 0 {
            tracing::info!(forgotten, "resident session reset: held ID cards forgotten");
        }
        forgotten
    }

    async fn kiosk_exit_failures(&self) -> Result<LoginFailures, TerminalError> {
        let store = Arc::clone(&self.store);
        let raw = blocking(move || store.local_get(FAILURES_KEY)).await?;
        // An unreadable counter starts again from zero rather than locking staff out for good.
        Ok(raw
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    async fn save_kiosk_exit_failures(
        &self,
        failures: &LoginFailures,
    ) -> Result<(), TerminalError> {
        let json =
            serde_json::to_string(failures).map_err(|e| TerminalError::Task(e.to_string()))?;
        let store = Arc::clone(&self.store);
        blocking(move || store.local_put(FAILURES_KEY, &json)).await
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use banshi_core::ManualClock;
    use banshi_profile::Profile;
    use time::macros::datetime;

    use super::*;

    /// Low, so debug test runs stay quick; the scheme is the same at any count.
    const TEST_ITERATIONS: u32 = 1000;
    const PIN: &str = "246810";

    fn example(mode: &str) -> Profile {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../kiosk-profiles/examples")
            .join(format!("{mode}.toml"));
        let mut profile = banshi_profile::load_profile(&path).expect("example profile");
        profile.sync = None;
        profile.devices = banshi_profile::Devices::default();
        profile
    }

    fn kiosk(dir: &Path, clock: Arc<ManualClock>) -> Arc<Terminal> {
        let mut profile = example("self-service");
        profile.lockdown.admin_pin_hash =
            Some(banshi_crypto::hash_password(PIN, TEST_ITERATIONS).expect("verifier"));
        Terminal::open(profile, &dir.join("kiosk"), clock).expect("open")
    }

    fn code(result: Result<(), TerminalError>) -> &'static str {
        match result {
            Ok(()) => "ok",
            Err(e) => e.code(),
        }
    }

    fn audit_trail(terminal: &Terminal) -> Vec<(String, AuditAction, String)> {
        terminal
            .store()
            .audit_events(0, 1000)
            .expect("audit")
            .into_iter()
            .filter(|e| {
                matches!(
                    e.action,
                    AuditAction::KioskExit | AuditAction::KioskExitRefused
                )
            })
            .map(|e| (e.actor, e.action, e.detail))
            .collect()
    }

    #[tokio::test]
    async fn the_right_pin_unlocks_and_a_wrong_one_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
        let terminal = kiosk(dir.path(), clock);
        assert_eq!(
            code(terminal.unlock_kiosk("135790").await),
            "lockdown.bad_pin"
        );
        assert_eq!(code(terminal.unlock_kiosk("").await), "lockdown.bad_pin");
        assert_eq!(code(terminal.unlock_kiosk(PIN).await), "ok");
        let trail = audit_trail(&terminal);
        assert_eq!(
            trail,
            [
                (
                    "kiosk-admin".to_string(),
                    AuditAction::KioskExitRefused,
                    "bad_pin; 4 left".to_string()
                ),
                (
                    "kiosk-admin".to_string(),
                    AuditAction::KioskExitRefused,
                    "bad_pin; 3 left".to_string()
                ),
                (
                    "kiosk-admin".to_string(),
                    AuditAction::KioskExit,
                    String::new()
                ),
            ]
        );
        // The success cleared the count: five more wrong PINs are needed for a lock.
        for _ in 0..4 {
            assert_eq!(
                code(terminal.unlock_kiosk("000000").await),
                "lockdown.bad_pin"
            );
        }
    }

    #[tokio::test]
    async fn five_wrong_pins_lock_the_kiosk_for_the_profiles_minutes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
        let terminal = kiosk(dir.path(), Arc::clone(&clock));
        assert_eq!(terminal.profile().security.max_login_failures, 5);
        assert_eq!(terminal.profile().security.lock_minutes, 15);
        for _ in 0..4 {
            assert_eq!(
                code(terminal.unlock_kiosk("111111").await),
                "lockdown.bad_pin"
            );
            clock.advance(time::Duration::seconds(10));
        }
        let fifth = terminal.unlock_kiosk("111111").await.expect_err("fifth");
        assert_eq!(fifth.code(), "lockdown.locked");
        assert_eq!(fifth.http_status(), 423);
        // Locked: even the right PIN is refused, without being checked.
        assert_eq!(code(terminal.unlock_kiosk(PIN).await), "lockdown.locked");
        clock.advance(time::Duration::minutes(14));
        assert_eq!(code(terminal.unlock_kiosk(PIN).await), "lockdown.locked");
        clock.advance(time::Duration::minutes(1));
        assert_eq!(code(terminal.unlock_kiosk(PIN).await), "ok");
        let actions: Vec<_> = audit_trail(&terminal)
            .into_iter()
            .map(|(_, action, detail)| (action, detail))
            .collect();
        assert_eq!(actions.len(), 8);
        assert_eq!(
            actions[4],
            (AuditAction::KioskExitRefused, "bad_pin; locked".to_string())
        );
        assert_eq!(
            actions[5],
            (AuditAction::KioskExitRefused, "locked".to_string())
        );
        assert_eq!(actions[7], (AuditAction::KioskExit, String::new()));
    }

    #[tokio::test]
    async fn the_failure_count_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
        {
            let terminal = kiosk(dir.path(), Arc::clone(&clock));
            for _ in 0..5 {
                let _ = terminal.unlock_kiosk("111111").await;
            }
        }
        let terminal = kiosk(dir.path(), clock);
        assert_eq!(code(terminal.unlock_kiosk(PIN).await), "lockdown.locked");
    }

    #[tokio::test]
    async fn a_desk_terminal_is_not_locked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
        let terminal =
            Terminal::open(example("window"), &dir.path().join("desk"), clock).expect("open");
        let error = terminal.unlock_kiosk(PIN).await.expect_err("not a kiosk");
        assert_eq!(error.code(), "lockdown.not_locked");
        assert_eq!(error.http_status(), 409);
        assert!(audit_trail(&terminal).is_empty());
    }

    #[tokio::test]
    async fn resetting_a_session_with_no_card_held_forgets_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
        let terminal = kiosk(dir.path(), clock);
        assert_eq!(terminal.reset_session(), 0);
    }
}
