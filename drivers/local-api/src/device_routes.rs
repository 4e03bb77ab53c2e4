//! The device API (`/api/device/v1/…`): what the JS SDK (`ui/sdk`) calls, for existing government web apps
//! and for the app's own UI in a browser. `docs/device-api.md` is the reference; [`crate::device_access`]
//! decides who may call it.
//!
//! Device operations block (serial ports, printers, cameras), so each runs on the blocking pool and the
//! handler awaits it; a slow reader never stalls the event socket or other routes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_core::{ErrorBody, ErrorCode};
use banshi_devices::{DeviceError, DeviceSet};
use banshi_terminal::{Terminal, TerminalEvent};
use serde::{Deserialize, Serialize};

use crate::device_access::{self, DeviceAccess, SessionGrant};
use crate::routes::{bad_request, ApiError};

/// The largest body a device call takes: a multi-page PDF to print. Bigger is refused with `api.too_large`.
pub const MAX_DEVICE_BODY: usize = 32 * 1024 * 1024;
/// How long a call that waits for a person (a card on the reader, a scan, a key press) may wait at most.
const MAX_WAIT: Duration = Duration::from_secs(120);
const DEFAULT_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
struct DeviceState {
    terminal: Arc<Terminal>,
    access: Arc<DeviceAccess>,
}

impl From<DeviceError> for ApiError {
    fn from(e: DeviceError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            // Device errors carry no personal data (drivers mask it), so they may be logged.
            tracing::warn!(code = e.code(), error = %e, "device call failed");
        }
        Self(status, e.to_body())
    }
}

/// Run a blocking device operation on the blocking pool.
async fn blocking<T: Send + 'static>(
    devices: Arc<DeviceSet>,
    op: impl FnOnce(&DeviceSet) -> Result<T, DeviceError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || op(&devices))
        .await
        .map_err(|_| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorBody::new("device.failed", "the device operation stopped unexpectedly"),
            )
        })?
        .map_err(ApiError::from)
}

/// The device routes, each behind [`device_access::guard`].
pub fn router(terminal: Arc<Terminal>) -> Router {
    let access = Arc::new(DeviceAccess::new(&terminal.profile().sdk, terminal.clock()));
    let state = DeviceState {
        terminal,
        access: Arc::clone(&access),
    };
    Router::new()
        .route("/session", post(open_session).delete(close_session))
        .route("/status", get(status))
        .route("/id-card/read", post(read_id_card))
        .route("/print/slip", post(print_slip))
        .route("/print/pdf", post(print_pdf))
        .route("/camera/page", post(capture_page))
        .route("/qr/scan", post(scan_qr))
        .route("/evaluator/rate", post(request_rating))
        .route("/voice/announce", post(announce))
        .route("/events", get(events))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_DEVICE_BODY))
        .layer(axum::middleware::from_fn_with_state(
            access,
            device_access::guard,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        ErrorBody::new("api.not_found", "no such device API route"),
    )
}

async fn open_session(State(s): State<DeviceState>, headers: HeaderMap) -> Response {
    // The guard admitted the origin; bind the session to it.
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(|o| o.trim_end_matches('/').to_owned());
    match s.access.open_session(origin) {
        Ok(grant) => (StatusCode::CREATED, Json::<SessionGrant>(grant)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn close_session(State(s): State<DeviceState>, headers: HeaderMap) -> StatusCode {
    if let Some(token) = device_access::request_token(&headers, None) {
        s.access.close_session(&token);
    }
    StatusCode::NO_CONTENT
}

async fn status(State(s): State<DeviceState>) -> Json<Vec<banshi_devices::DeviceHealth>> {
    Json(s.terminal.devices().health())
}

/// A call that waits for a person: `{"timeout_ms": 20000}` (default 30 s, at most 120 s).
#[derive(Debug, Default, Deserialize)]
struct Wait {
    timeout_ms: Option<u64>,
}

/// An optional JSON body: empty means the defaults.
pub(crate) fn json_or_default<T: Default + serde::de::DeserializeOwned>(
    body: &Bytes,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new("api.bad_request", e.to_string()),
        )
    })
}

async fn read_id_card(
    State(s): State<DeviceState>,
    body: Bytes,
) -> Result<Json<banshi_devices::IdCardView>, ApiError> {
    let wait = wait_from(json_or_default::<Wait>(&body)?.timeout_ms);
    let card = blocking(s.terminal.devices(), move |d| d.read_id_card(wait)).await?;
    Ok(Json(card))
}

#[derive(Debug, Deserialize)]
struct PdfQuery {
    title: Option<String>,
}

#[derive(Debug, Serialize)]
struct PdfJob {
    job_id: i32,
}

/// `POST /print/pdf?title=…` with the PDF as the body (`application/pdf`).
async fn print_pdf(
    State(s): State<DeviceState>,
    axum::extract::Query(query): axum::extract::Query<PdfQuery>,
    body: Bytes,
) -> Result<Json<PdfJob>, ApiError> {
    if !body.starts_with(b"%PDF-") {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new("api.not_a_pdf", "the body is not a PDF document"),
        ));
    }
    let title = query.title.unwrap_or_else(|| "document".to_owned());
    let job_id = blocking(s.terminal.devices(), move |d| d.print_pdf(&body, &title)).await?;
    Ok(Json(PdfJob { job_id }))
}

#[derive(Debug, Default, Deserialize)]
struct PageRequest {
    /// `colour` (default) or `black_white`.
    mode: Option<String>,
}

async fn capture_page(
    State(s): State<DeviceState>,
    body: Bytes,
) -> Result<Json<banshi_devices::PageCapture>, ApiError> {
    let request: PageRequest = json_or_default(&body)?;
    let black_white = request.mode.as_deref() == Some("black_white");
    Ok(Json(
        blocking(s.terminal.devices(), move |d| d.capture_page(black_white)).await?,
    ))
}

#[derive(Debug, Serialize)]
struct Scanned {
    text: String,
}

async fn scan_qr(State(s): State<DeviceState>, body: Bytes) -> Result<Json<Scanned>, ApiError> {
    let wait = wait_from(json_or_default::<Wait>(&body)?.timeout_ms);
    let text = blocking(s.terminal.devices(), move |d| d.next_scan(wait)).await?;
    Ok(Json(Scanned { text }))
}

#[derive(Debug, Serialize)]
struct Rated {
    grade: u8,
    name: &'static str,
}

async fn request_rating(
    State(s): State<DeviceState>,
    body: Bytes,
) -> Result<Json<Rated>, ApiError> {
    let wait = wait_from(json_or_default::<Wait>(&body)?.timeout_ms);
    let (grade, name) = blocking(s.terminal.devices(), move |d| d.request_rating(wait)).await?;
    Ok(Json(Rated { grade, name }))
}

/// A slip as JSON: `{"printer": "ticket"|"receipt", "lines": [...]}`.
#[derive(Debug, Deserialize)]
struct PrintSlip {
    #[serde(default)]
    printer: banshi_devices::ThermalRole,
    lines: Vec<banshi_devices::SlipLineSpec>,
}

#[derive(Debug, Serialize)]
struct Printed {
    printed: bool,
}

async fn print_slip(
    State(s): State<DeviceState>,
    body: Result<Json<PrintSlip>, JsonRejection>,
) -> Result<Json<Printed>, ApiError> {
    let Json(req) = body.map_err(bad_request)?;
    blocking(s.terminal.devices(), move |d| {
        d.print_slip(req.printer, &req.lines)
    })
    .await?;
    Ok(Json(Printed { printed: true }))
}

#[derive(Debug, Deserialize)]
struct Announce {
    ticket: String,
    window: String,
    language: Option<String>,
    #[serde(default = "one")]
    repeat: u8,
}

fn one() -> u8 {
    1
}

#[derive(Debug, Serialize)]
struct Queued {
    queued: bool,
}

async fn announce(
    State(s): State<DeviceState>,
    body: Result<Json<Announce>, JsonRejection>,
) -> Result<Json<Queued>, ApiError> {
    let Json(req) = body.map_err(bad_request)?;
    blocking(s.terminal.devices(), move |d| {
        d.announce(
            &req.ticket,
            &req.window,
            req.language.as_deref(),
            req.repeat.clamp(1, 3),
        )
    })
    .await?;
    Ok(Json(Queued { queued: true }))
}

/// Device events over a WebSocket (token in the query): `devices.changed` and what the devices report.
async fn events(State(s): State<DeviceState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| forward_device_events(socket, s.terminal))
}

async fn forward_device_events(socket: WebSocket, terminal: Arc<Terminal>) {
    crate::routes::forward_terminal_events(
        socket,
        terminal,
        |event| matches!(event, TerminalEvent::DevicesChanged).then_some(event),
        TerminalEvent::DevicesChanged,
    )
    .await
}

/// A wait from the request, bounded.
fn wait_from(ms: Option<u64>) -> Duration {
    ms.map(Duration::from_millis)
        .unwrap_or(DEFAULT_WAIT)
        .min(MAX_WAIT)
}
