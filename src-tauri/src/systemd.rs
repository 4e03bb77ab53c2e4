//! systemd's service notifications (`sd_notify(3)`) for the terminal: readiness and the watchdog.
//!
//! `banshi serve` runs as the device service (`packaging/systemd/banshi-device.service`: `Type=notify`,
//! `WatchdogSec=`); the window runs inside cage in the kiosk unit, which accepts the readiness of its child
//! (`NotifyAccess=all`). Without systemd every call here does nothing.

use std::future::Future;

use sd_notify::NotifyState;

/// Report the terminal ready (its store is open and it serves). When the unit asks for a watchdog for this
/// very process (`WATCHDOG_USEC`, and `WATCHDOG_PID` naming us or absent), returns the task that pings it at
/// half that period; spawned on the terminal's runtime, it stops when that runtime stalls.
pub fn notify_ready() -> Option<impl Future<Output = ()> + Send + 'static> {
    send(&[NotifyState::Ready]);
    let period = sd_notify::watchdog_enabled()? / 2;
    tracing::info!(
        period_ms = period.as_millis() as u64,
        "systemd watchdog enabled"
    );
    Some(async move {
        let mut ticks = tokio::time::interval(period);
        loop {
            ticks.tick().await;
            send(&[NotifyState::Watchdog]);
        }
    })
}

/// Report a clean shutdown, so the service manager does not take it for a crash.
pub fn notify_stopping() {
    send(&[NotifyState::Stopping]);
}

fn send(state: &[NotifyState]) {
    // A failed notification must never stop the terminal; systemd's timeout will tell.
    if let Err(error) = sd_notify::notify(state) {
        tracing::warn!(%error, "could not notify systemd");
    }
}
