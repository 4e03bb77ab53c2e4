//! The locked kiosk in the window: close requests refused until the admin PIN is given, the commands the
//! PIN pad and the idle reset call, and `banshi lockdown pin-hash` that makes the profile's PIN verifier.
//!
//! A full-screen terminal (self-service, queue-ticket, call-screen) must not be left by a resident (brief §2).
//! The page blocks browser shortcuts itself (`ui/src/kiosk/keyGuard.ts`); what reaches the window from outside
//! the page — Alt+F4 from a window manager, a close button — arrives as `CloseRequested`, which
//! [`refuse_close_while_locked`] turns down. The admin PIN ([`unlock_kiosk`]) ends the app with exit status 0,
//! which the kiosk's systemd unit treats as a deliberate stop and does not restart.

use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::Terminal;
use tauri::{AppHandle, Manager, State, Window, WindowEvent};

/// Whether this window is a locked kiosk, and whether the admin PIN has opened it.
#[derive(Debug)]
pub struct KioskLock {
    locked: bool,
    unlocked: AtomicBool,
}

impl KioskLock {
    pub fn new(locked: bool) -> Self {
        Self {
            locked,
            unlocked: AtomicBool::new(false),
        }
    }

    /// Whether a close request must be refused now.
    fn holds(&self) -> bool {
        self.locked && !self.unlocked.load(Ordering::SeqCst)
    }
}

/// The window-event hook: a locked kiosk's window does not close on request (Alt+F4, the window manager).
pub fn refuse_close_while_locked(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if window
            .try_state::<KioskLock>()
            .is_some_and(|lock| lock.holds())
        {
            api.prevent_close();
            tracing::warn!(
                window = window.label(),
                "close request refused: the kiosk is locked (admin gesture + PIN to leave)"
            );
        }
    }
}

/// The admin PIN pad's OK: a right PIN closes the app (exit status 0); otherwise `lockdown.bad_pin`,
/// `lockdown.locked` or `lockdown.not_locked`.
#[tauri::command]
pub async fn unlock_kiosk(
    app: AppHandle,
    terminal: State<'_, Arc<Terminal>>,
    lock: State<'_, KioskLock>,
    pin: String,
) -> Result<(), ErrorBody> {
    terminal.unlock_kiosk(&pin).await.map_err(|e| e.to_body())?;
    lock.unlocked.store(true, Ordering::SeqCst);
    tracing::info!("leaving the kiosk: admin PIN accepted");
    app.exit(0);
    Ok(())
}

/// The idle reset's backend half: forget the ID cards held for the last resident.
#[tauri::command]
pub fn reset_session(terminal: State<'_, Arc<Terminal>>) -> usize {
    terminal.reset_session()
}

/// `banshi lockdown pin-hash`: read an admin PIN from `BANSHI_ADMIN_PIN`, else the first line of standard
/// input (never an argument, which the process list shows), and print its verifier for
/// `lockdown.admin_pin_hash`.
#[allow(clippy::print_stdout, reason = "the verifier is the command's output")]
pub fn pin_hash() -> anyhow::Result<()> {
    let pin = match std::env::var("BANSHI_ADMIN_PIN") {
        Ok(pin) => pin,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the PIN from standard input (or set BANSHI_ADMIN_PIN)")?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    banshi_core::staff::check_new_pin(&pin).map_err(|_| {
        anyhow::anyhow!(
            "the admin PIN must be 6 digits (the PIN pad has only digits), not one digit repeated and not a run such as 123456"
        )
    })?;
    let verifier = banshi_crypto::hash_password(&pin, banshi_crypto::PASSWORD_ITERATIONS)
        .context("deriving the PIN verifier")?;
    println!("{verifier}");
    Ok(())
}
