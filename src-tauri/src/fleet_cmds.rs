//! Tauri commands for the admin console's fleet screens: the same operations as the local API's fleet
//! routes (`drivers/local-api/src/fleet_routes.rs`), over IPC, each with the staff session token.

use std::sync::Arc;

use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::fleet::TerminalGroup;
use banshi_terminal::{FleetView, ProfileCheckView, RolloutView, Terminal};
use tauri::State;

type Term<'a> = State<'a, Arc<Terminal>>;

#[tauri::command]
pub async fn fleet_terminals(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<FleetView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .fleet_terminals(&actor)
        .await
        .map_err(|e| e.to_body())
}

#[tauri::command]
pub async fn fleet_rollouts(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<Vec<RolloutView>, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .fleet_rollouts(&actor)
        .await
        .map_err(|e| e.to_body())
}

#[tauri::command]
pub fn fleet_validate_profile(
    terminal: Term<'_>,
    token: Option<String>,
    toml: String,
) -> Result<ProfileCheckView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .validate_profile_text(&actor, &toml)
        .map_err(|e| e.to_body())
}

#[tauri::command]
pub fn fleet_profile_schema(
    terminal: Term<'_>,
    token: Option<String>,
) -> Result<serde_json::Value, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal.profile_schema(&actor).map_err(|e| e.to_body())
}

#[tauri::command]
pub async fn fleet_publish(
    terminal: Term<'_>,
    token: Option<String>,
    group: TerminalGroup,
    profile_toml: String,
) -> Result<RolloutView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .publish_profile(&actor, group, &profile_toml)
        .await
        .map_err(|e| e.to_body())
}

#[tauri::command]
pub async fn fleet_advance(
    terminal: Term<'_>,
    token: Option<String>,
    release_id: String,
) -> Result<RolloutView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .advance_rollout(&actor, &release_id)
        .await
        .map_err(|e| e.to_body())
}

#[tauri::command]
pub async fn fleet_rollback(
    terminal: Term<'_>,
    token: Option<String>,
    release_id: String,
) -> Result<RolloutView, ErrorBody> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .rollback_rollout(&actor, &release_id)
        .await
        .map_err(|e| e.to_body())
}
