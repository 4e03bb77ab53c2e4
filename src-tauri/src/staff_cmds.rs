//! Tauri commands for staff: the same operations as the local API's staff routes
//! (`drivers/local-api/src/staff_routes.rs`), over IPC. The screen keeps the token `login` returns and passes
//! it to every staff command.

use std::sync::Arc;

use banshi_core::staff::StaffError;
use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::{
    AuditCheckView, LoginView, StaffAccountView, StaffInput, Terminal, TerminalError,
};
use tauri::State;

type Term<'a> = State<'a, Arc<Terminal>>;

fn body(e: TerminalError) -> ErrorBody {
    e.to_body()
}

#[tauri::command]
pub async fn login(
    terminal: Term<'_>,
    staff_id: String,
    password: String,
) -> Result<LoginView, ErrorBody> {
    terminal
        .login_password(&staff_id, &password)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn login_card(terminal: Term<'_>, pin: String) -> Result<LoginView, ErrorBody> {
    terminal.login_card(&pin).await.map_err(body)
}

#[tauri::command]
pub async fn logout(terminal: Term<'_>, token: String) -> Result<(), ErrorBody> {
    terminal.logout(&token).await.map_err(body)
}

#[tauri::command]
pub async fn session(terminal: Term<'_>, token: Option<String>) -> Result<LoginView, ErrorBody> {
    terminal
        .session_view(token.as_deref())
        .ok_or_else(|| StaffError::LoginRequired.to_body())
}

#[tauri::command]
pub async fn change_password(
    terminal: Term<'_>,
    staff_id: String,
    old_password: String,
    new_password: String,
) -> Result<(), ErrorBody> {
    terminal
        .change_password(&staff_id, &old_password, &new_password)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn staff_list(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<Vec<StaffAccountView>, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.staff_list(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn save_staff(
    terminal: Term<'_>,
    token: Option<String>,
    input: StaffInput,
) -> Result<StaffAccountView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.save_staff(&actor, input).await.map_err(body)
}

#[tauri::command]
pub async fn verify_audit(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<AuditCheckView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.verify_audit(&actor).await.map_err(body)
}
