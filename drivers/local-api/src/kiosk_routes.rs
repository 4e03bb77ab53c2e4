//! The locked kiosk's routes for a kiosk screen served over HTTP (`banshi serve`): the admin PIN check and
//! the idle reset. Open to anyone at the screen (the PIN is the credential); in the app window the same
//! operations are Tauri commands, where a right PIN also closes the window.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use banshi_terminal::Terminal;
use serde::Deserialize;

use crate::device_routes::json_or_default;
use crate::routes::ApiError;

type Shared = State<Arc<Terminal>>;

pub(crate) fn router(terminal: Arc<Terminal>) -> Router {
    Router::new()
        .route("/api/kiosk/unlock", post(unlock))
        .route("/api/kiosk/reset-session", post(reset_session))
        .with_state(terminal)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Unlock {
    pin: String,
}

/// A right PIN answers 204 (there is no window to close over HTTP); wrong ones count towards the lockout.
async fn unlock(State(t): Shared, body: Bytes) -> Result<StatusCode, ApiError> {
    let u: Unlock = json_or_default(&body)?;
    t.unlock_kiosk(&u.pin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forget the ID cards held for the last resident: `{"forgotten": n}`.
async fn reset_session(State(t): Shared) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "forgotten": t.reset_session() }))
}
