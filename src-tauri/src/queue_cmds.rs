//! Tauri commands for the queue: the same operations as the local API's queue routes
//! (`drivers/local-api/src/queue_routes.rs`, contract `docs/queue-api.md`), over IPC. Staff commands take the
//! session `token` from `login` (`staff_cmds.rs`); the terminal checks the permission.

use std::sync::Arc;

use banshi_core::kpi::Kpi;
use banshi_core::queue::Priority;
use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::{
    ApplicantView, AppointmentView, CallsView, HallSetupView, IdentityView, IssueRequest, Terminal,
    TerminalError, TicketView, WindowStateView,
};
use tauri::State;

type Term<'a> = State<'a, Arc<Terminal>>;

fn body(e: TerminalError) -> ErrorBody {
    e.to_body()
}

#[tauri::command]
pub async fn issue_ticket(
    terminal: Term<'_>,
    category: String,
    identity: Option<String>,
    priority: Option<Priority>,
) -> Result<TicketView, ErrorBody> {
    terminal
        .issue_ticket_with(IssueRequest {
            category,
            identity,
            priority,
        })
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn queue_identify(terminal: Term<'_>) -> Result<IdentityView, ErrorBody> {
    terminal.identify().await.map_err(body)
}

#[tauri::command]
pub async fn book_appointment(
    terminal: Term<'_>,
    identity: String,
    item_code: String,
    date: String,
    slot: String,
) -> Result<AppointmentView, ErrorBody> {
    terminal
        .book_appointment(&identity, &item_code, &date, &slot)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn appointment_check_in(
    terminal: Term<'_>,
    identity: Option<String>,
    booking_number: Option<String>,
) -> Result<TicketView, ErrorBody> {
    terminal
        .check_in(identity.as_deref(), booking_number.as_deref())
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn window_state(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_state(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_applicant(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<ApplicantView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_applicant(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_sign_in(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_sign_in(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_sign_out(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_sign_out(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_call_next(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_call_next(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_recall(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_recall(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_no_show(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_no_show(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_finish(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_finish(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn window_pause(
    terminal: Term<'_>,
    token: Option<String>,
    paused: bool,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.window_pause(&actor, paused).await.map_err(body)
}

#[tauri::command]
pub async fn window_transfer(
    terminal: Term<'_>,
    token: Option<String>,
    category: Option<String>,
    window: Option<u32>,
) -> Result<WindowStateView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .window_transfer(&actor, category, window)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn calls(terminal: Term<'_>) -> Result<CallsView, ErrorBody> {
    terminal.calls().await.map_err(body)
}

#[tauri::command]
pub async fn kpi(terminal: Term<'_>, token: Option<String>) -> Result<Kpi, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.kpi(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn hall_setup(terminal: Term<'_>) -> Result<Option<HallSetupView>, ErrorBody> {
    terminal
        .hall_setup()
        .await
        .map(|h| h.map(HallSetupView::from))
        .map_err(body)
}

#[tauri::command]
pub async fn import_hall(
    terminal: Term<'_>,
    token: Option<String>,
    toml: String,
) -> Result<HallSetupView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .import_hall(&actor, &toml)
        .await
        .map(HallSetupView::from)
        .map_err(body)
}
