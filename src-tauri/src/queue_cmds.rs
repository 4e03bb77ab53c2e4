//! Tauri commands for the queue: the same operations as the local API's queue routes
//! (`drivers/local-api/src/queue_routes.rs`, contract `docs/queue-api.md`), over IPC.

use std::sync::Arc;

use banshi_core::kpi::Kpi;
use banshi_core::queue::Priority;
use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::{
    AppointmentView, CallsView, HallSetupView, IdentityView, IssueRequest, Terminal, TerminalError,
    TicketView, WindowStateView,
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
pub async fn window_state(terminal: Term<'_>) -> Result<WindowStateView, ErrorBody> {
    terminal.window_state().await.map_err(body)
}

#[tauri::command]
pub async fn window_sign_in(
    terminal: Term<'_>,
    staff_id: String,
) -> Result<WindowStateView, ErrorBody> {
    terminal.window_sign_in(&staff_id).await.map_err(body)
}

#[tauri::command]
pub async fn window_sign_out(terminal: Term<'_>) -> Result<WindowStateView, ErrorBody> {
    terminal.window_sign_out().await.map_err(body)
}

#[tauri::command]
pub async fn window_call_next(terminal: Term<'_>) -> Result<WindowStateView, ErrorBody> {
    terminal.window_call_next().await.map_err(body)
}

#[tauri::command]
pub async fn window_recall(terminal: Term<'_>) -> Result<WindowStateView, ErrorBody> {
    terminal.window_recall().await.map_err(body)
}

#[tauri::command]
pub async fn window_no_show(terminal: Term<'_>) -> Result<WindowStateView, ErrorBody> {
    terminal.window_no_show().await.map_err(body)
}

#[tauri::command]
pub async fn window_finish(terminal: Term<'_>) -> Result<WindowStateView, ErrorBody> {
    terminal.window_finish().await.map_err(body)
}

#[tauri::command]
pub async fn window_pause(terminal: Term<'_>, paused: bool) -> Result<WindowStateView, ErrorBody> {
    terminal.window_pause(paused).await.map_err(body)
}

#[tauri::command]
pub async fn window_transfer(
    terminal: Term<'_>,
    category: Option<String>,
    window: Option<u32>,
) -> Result<WindowStateView, ErrorBody> {
    terminal
        .window_transfer(category, window)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn calls(terminal: Term<'_>) -> Result<CallsView, ErrorBody> {
    terminal.calls().await.map_err(body)
}

#[tauri::command]
pub async fn kpi(terminal: Term<'_>) -> Result<Kpi, ErrorBody> {
    terminal.kpi().await.map_err(body)
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
pub async fn import_hall(terminal: Term<'_>, toml: String) -> Result<HallSetupView, ErrorBody> {
    terminal
        .import_hall(&toml)
        .await
        .map(HallSetupView::from)
        .map_err(body)
}
