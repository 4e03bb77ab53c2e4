//! The app window: Tauri commands over the same [`Terminal`] the HTTP API uses, and its events forwarded.
//! Full-screen modes open a locked kiosk window: always on top, undecorated, and deaf to close requests until
//! the admin PIN is given (`lockdown_cmds`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use banshi_core::{ErrorBody, ErrorCode};
use banshi_profile::{Mode, Profile};
use banshi_terminal::{StatusView, Terminal, TerminalEvent, TicketView, UnsyncedView};
use tauri::{Emitter, Manager, State, WebviewUrl, WebviewWindowBuilder};

/// The event name the UI listens on (`ui/src/backend/tauri.ts`).
const EVENT: &str = "banshi://event";

#[tauri::command]
async fn status(terminal: State<'_, Arc<Terminal>>) -> Result<StatusView, ErrorBody> {
    terminal.status().await.map_err(|e| e.to_body())
}

#[tauri::command]
async fn list_tickets(
    terminal: State<'_, Arc<Terminal>>,
    token: Option<String>,
) -> Result<Vec<TicketView>, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.list_tickets(&actor).await.map_err(|e| e.to_body())
}

#[tauri::command]
async fn unsynced_records(
    terminal: State<'_, Arc<Terminal>>,
    token: Option<String>,
) -> Result<UnsyncedView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .unsynced_records(&actor)
        .await
        .map_err(|e| e.to_body())
}

pub fn run(profile: Profile, data: PathBuf) -> anyhow::Result<()> {
    let mode = profile.mode;
    let customer_monitor = profile.ui.customer_screen_monitor;
    let title = format!(
        "办事 · {} · {}",
        profile.terminal.outlet, profile.terminal.label
    );
    tauri::Builder::default()
        .setup(move |app| {
            let terminal = Terminal::open(profile, &data, Arc::new(banshi_core::SystemClock))?;
            crate::cli::offer_enrollment_token(&terminal);
            let handle = app.handle().clone();
            let forwarded = Arc::clone(&terminal);
            tauri::async_runtime::spawn(async move {
                forwarded.start_background();
                if let Err(error) = crate::serve::spawn_tv_page(&forwarded).await {
                    tracing::error!(%error, "TV page not served");
                }
                let mut events = forwarded.subscribe();
                loop {
                    let event = match events.recv().await {
                        Ok(event) => event,
                        // The window fell behind: have it reload everything rather than miss a change.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            TerminalEvent::StatusChanged
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    };
                    if let Err(error) = handle.emit(EVENT, event) {
                        tracing::warn!(%error, "could not forward an event to the window");
                    }
                }
            });
            app.manage(terminal);
            if let Some(watchdog) = crate::systemd::notify_ready() {
                tauri::async_runtime::spawn(watchdog);
            }
            app.manage(crate::lockdown_cmds::KioskLock::new(
                mode.has_window() && mode.opens_full_screen(),
            ));
            if mode.has_window() {
                let full_screen = mode.opens_full_screen();
                WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
                    .title(&title)
                    .inner_size(1280.0, 800.0)
                    .fullscreen(full_screen)
                    .decorations(!full_screen)
                    // Every full-screen mode is a kiosk nobody may leave; on top so no other window covers it.
                    .always_on_top(full_screen)
                    .build()?;
                if let (Mode::Window, Some(monitor)) = (mode, customer_monitor) {
                    let title = format!("{title} · 互动屏");
                    crate::customer_screen_cmds::open_window(app, monitor, &title)?;
                }
            }
            Ok(())
        })
        .on_window_event(crate::lockdown_cmds::refuse_close_while_locked)
        .invoke_handler(tauri::generate_handler![
            status,
            list_tickets,
            unsynced_records,
            crate::queue_cmds::issue_ticket,
            crate::queue_cmds::queue_identify,
            crate::queue_cmds::book_appointment,
            crate::queue_cmds::appointment_check_in,
            crate::queue_cmds::window_state,
            crate::queue_cmds::window_sign_in,
            crate::queue_cmds::window_applicant,
            crate::staff_cmds::login,
            crate::staff_cmds::login_card,
            crate::staff_cmds::logout,
            crate::staff_cmds::session,
            crate::staff_cmds::change_password,
            crate::staff_cmds::staff_list,
            crate::staff_cmds::save_staff,
            crate::staff_cmds::verify_audit,
            crate::queue_cmds::window_sign_out,
            crate::queue_cmds::window_call_next,
            crate::queue_cmds::window_recall,
            crate::queue_cmds::window_no_show,
            crate::queue_cmds::window_finish,
            crate::queue_cmds::window_pause,
            crate::queue_cmds::window_transfer,
            crate::queue_cmds::calls,
            crate::queue_cmds::kpi,
            crate::queue_cmds::hall_setup,
            crate::queue_cmds::import_hall,
            crate::application_cmds::catalogue,
            crate::application_cmds::catalogue_search,
            crate::application_cmds::catalogue_publish,
            crate::application_cmds::case_start,
            crate::application_cmds::case_get,
            crate::application_cmds::case_open_list,
            crate::application_cmds::case_lookup,
            crate::application_cmds::case_read_card,
            crate::application_cmds::case_rate_evaluator,
            crate::application_cmds::sync_export,
            crate::application_cmds::case_save_draft,
            crate::application_cmds::case_capture,
            crate::application_cmds::case_add_pages,
            crate::application_cmds::case_sign,
            crate::application_cmds::case_mark_material,
            crate::application_cmds::case_submit,
            crate::application_cmds::case_decide,
            crate::application_cmds::case_pre_review,
            crate::application_cmds::case_rate,
            crate::application_cmds::case_progress,
            crate::application_cmds::case_progress_scan,
            crate::application_cmds::case_notice,
            crate::fleet_cmds::fleet_terminals,
            crate::fleet_cmds::fleet_rollouts,
            crate::fleet_cmds::fleet_validate_profile,
            crate::fleet_cmds::fleet_profile_schema,
            crate::fleet_cmds::fleet_publish,
            crate::fleet_cmds::fleet_advance,
            crate::fleet_cmds::fleet_rollback,
            crate::customer_screen_cmds::customer_screen,
            crate::customer_screen_cmds::customer_screen_show,
            crate::customer_screen_cmds::customer_screen_clear,
            crate::customer_screen_cmds::customer_screen_sign,
            crate::customer_screen_cmds::customer_screen_dispute,
            crate::customer_screen_cmds::customer_screen_rate,
            crate::lockdown_cmds::unlock_kiosk,
            crate::lockdown_cmds::reset_session
        ])
        .run(tauri::generate_context!())
        .context("running the terminal window")
}
