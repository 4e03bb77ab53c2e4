//! The admin console's fleet routes under `/api/fleet`: the fleet view, profile authoring and rollouts.
//!
//! Thin: each handler hands the caller's [`Caller`] actor to the [`Terminal`]'s fleet operation, which
//! checks the `manage-fleet` permission again and talks to the sync server (`banshi_terminal` `fleet_ops`).
//! Validation and the schema need no server, so an admin can author a profile offline.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_terminal::fleet::TerminalGroup;
use banshi_terminal::{FleetView, ProfileCheckView, RolloutView, Terminal};
use serde::Deserialize;

use crate::device_routes::json_or_default;
use crate::routes::ApiError;
use crate::staff_routes::Caller;

type Shared = State<Arc<Terminal>>;

/// The fleet routes (their permissions are in [`crate::ROUTE_TABLE`]).
pub(crate) fn router(terminal: Arc<Terminal>) -> Router {
    Router::new()
        .route("/api/fleet/terminals", get(terminals))
        .route("/api/fleet/rollouts", get(rollouts))
        .route("/api/fleet/profile/validate", post(validate))
        .route("/api/fleet/profile/schema", get(schema))
        .route("/api/fleet/releases", post(publish))
        .route("/api/fleet/rollouts/{release_id}/advance", post(advance))
        .route("/api/fleet/rollouts/{release_id}/rollback", post(rollback))
        .with_state(terminal)
}

async fn terminals(State(t): Shared, caller: Caller) -> Result<Json<FleetView>, ApiError> {
    Ok(Json(t.fleet_terminals(&caller.actor).await?))
}

async fn rollouts(State(t): Shared, caller: Caller) -> Result<Json<Vec<RolloutView>>, ApiError> {
    Ok(Json(t.fleet_rollouts(&caller.actor).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ProfileText {
    toml: String,
}

async fn validate(
    State(t): Shared,
    caller: Caller,
    body: Bytes,
) -> Result<Json<ProfileCheckView>, ApiError> {
    let text: ProfileText = json_or_default(&body)?;
    Ok(Json(t.validate_profile_text(&caller.actor, &text.toml)?))
}

async fn schema(State(t): Shared, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(t.profile_schema(&caller.actor)?))
}

#[derive(Deserialize)]
struct Publish {
    group: TerminalGroup,
    profile_toml: String,
}

impl Default for Publish {
    fn default() -> Self {
        Publish {
            group: TerminalGroup {
                hall_id: None,
                mode: String::new(),
                tags: Vec::new(),
            },
            profile_toml: String::new(),
        }
    }
}

async fn publish(
    State(t): Shared,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<RolloutView>), ApiError> {
    let p: Publish = json_or_default(&body)?;
    let view = t
        .publish_profile(&caller.actor, p.group, &p.profile_toml)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn advance(
    State(t): Shared,
    caller: Caller,
    Path(release_id): Path<String>,
) -> Result<Json<RolloutView>, ApiError> {
    Ok(Json(t.advance_rollout(&caller.actor, &release_id).await?))
}

async fn rollback(
    State(t): Shared,
    caller: Caller,
    Path(release_id): Path<String>,
) -> Result<Json<RolloutView>, ApiError> {
    Ok(Json(t.rollback_rollout(&caller.actor, &release_id).await?))
}
