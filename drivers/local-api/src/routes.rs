//! Handlers.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::{StatusView, Terminal, TerminalError, TerminalEvent, UnsyncedView};
use tokio::sync::broadcast::error::RecvError;

use crate::UiAssets;

#[derive(Debug, Clone)]
struct ApiState {
    terminal: Arc<Terminal>,
    ui: Arc<dyn UiAssets>,
}

impl axum::extract::FromRef<ApiState> for Arc<Terminal> {
    fn from_ref(s: &ApiState) -> Self {
        Arc::clone(&s.terminal)
    }
}

/// An error answer: status plus `{code, message}`. The device routes use it too.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) StatusCode, pub(crate) ErrorBody);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<TerminalError> for ApiError {
    fn from(e: TerminalError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        Self(status, e.to_body())
    }
}

/// The local API and UI routes for `terminal`.
pub fn router(terminal: Arc<Terminal>, ui: Arc<dyn UiAssets>) -> Router {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/sync/pending", get(unsynced_records))
        .route("/api/sync/export", post(export_bundle))
        .route("/api/events", get(events))
        .nest_service(
            "/api/device/v1",
            crate::device_routes::router(Arc::clone(&terminal)),
        )
        .route("/sdk/banshi-device.js", get(sdk_script))
        .route("/api/{*rest}", get(api_not_found).post(api_not_found))
        .fallback(ui_asset)
        .with_state(ApiState {
            terminal: Arc::clone(&terminal),
            ui: Arc::clone(&ui),
        })
        .merge(crate::queue_routes::router(Arc::clone(&terminal)))
        .merge(crate::staff_routes::router(Arc::clone(&terminal)))
        .merge(crate::fleet_routes::router(Arc::clone(&terminal)))
        .merge(crate::kiosk_routes::router(Arc::clone(&terminal)))
        .merge(crate::application_routes::router(Arc::clone(&terminal)))
        .merge(crate::customer_screen_routes::router(Arc::clone(&terminal)))
        .merge(crate::queue_routes::tv_router(terminal, ui))
        // A ticket request is a few bytes and a hall file a few kilobytes; nothing on this API needs more.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
}

async fn status(State(s): State<ApiState>) -> Result<Json<StatusView>, ApiError> {
    Ok(Json(s.terminal.status().await?))
}

async fn unsynced_records(
    State(s): State<ApiState>,
    c: crate::staff_routes::Caller,
) -> Result<Json<UnsyncedView>, ApiError> {
    Ok(Json(s.terminal.unsynced_records(&c.actor).await?))
}

#[derive(serde::Deserialize)]
struct ExportRequest {
    passphrase: String,
}

/// Write the records the server does not hold yet to a bundle on the removable media (field laptops).
async fn export_bundle(
    State(s): State<ApiState>,
    c: crate::staff_routes::Caller,
    body: axum::body::Bytes,
) -> Result<Json<banshi_terminal::BundleExportView>, ApiError> {
    let request: ExportRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new(
                "api.bad_request",
                format!("expected {{\"passphrase\": …}}: {e}"),
            ),
        )
    })?;
    Ok(Json(
        s.terminal
            .export_bundle_to_folder(&c.actor, &request.passphrase)
            .await?,
    ))
}

/// The device SDK (`ui/sdk`), for web apps that load it straight from the terminal.
const SDK_SCRIPT: &str = include_str!("../../../ui/sdk/banshi-device.js");

async fn sdk_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // Module scripts load in CORS mode; the script holds no secret, so any page may load it (using
            // the API it talks to is what the allow-list decides).
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        SDK_SCRIPT,
    )
        .into_response()
}

/// A body that is not the JSON a route takes: `api.too_large` or `api.bad_request`.
pub(crate) fn bad_request(e: JsonRejection) -> ApiError {
    let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "api.too_large"
    } else {
        "api.bad_request"
    };
    ApiError(e.status(), ErrorBody::new(code, e.body_text()))
}

async fn api_not_found(uri: Uri) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        ErrorBody::new("api.not_found", format!("no API route {}", uri.path())),
    )
}

async fn events(State(s): State<ApiState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| forward_events(socket, s.terminal))
}

async fn forward_events(socket: WebSocket, terminal: Arc<Terminal>) {
    // A slow client that missed events is told to reload everything.
    forward_terminal_events(socket, terminal, Some, TerminalEvent::StatusChanged).await
}

/// Send the terminal's events to a WebSocket, one JSON object per message, until either side closes.
/// `select` picks (and may rewrite) the events this socket gets; `on_lag` is sent when it fell behind.
pub(crate) async fn forward_terminal_events(
    mut socket: WebSocket,
    terminal: Arc<Terminal>,
    select: impl Fn(TerminalEvent) -> Option<TerminalEvent>,
    on_lag: TerminalEvent,
) {
    let mut events = terminal.subscribe();
    loop {
        tokio::select! {
            event = events.recv() => {
                let event = match event {
                    Ok(event) => match select(event) {
                        Some(event) => event,
                        None => continue,
                    },
                    Err(RecvError::Lagged(_)) => on_lag.clone(),
                    Err(RecvError::Closed) => return,
                };
                let Ok(text) = serde_json::to_string(&event) else { continue };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                // Clients only listen; pings are answered by axum, anything else is ignored.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    }
}

async fn ui_asset(State(s): State<ApiState>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match s.ui.get(path) {
        Some(bytes) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            (
                [(header::CONTENT_TYPE, mime.essence_str().to_string())],
                bytes.into_owned(),
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
