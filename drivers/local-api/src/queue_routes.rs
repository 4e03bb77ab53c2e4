//! The queue's routes: the queue machine (card, priority, appointment check-in), the clerk's window, the call
//! screen, KPIs and the hall set-up. Contract: `docs/queue-api.md`.
//!
//! Handlers only translate HTTP to [`Terminal`] calls; every rule is in `banshi-terminal` and `banshi-core`.
//! `tv_router` is the one part that may face the hall LAN: the plain call page for TV browsers and its JSON,
//! which carry no personal data.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_core::kpi::Kpi;
use banshi_core::queue::Priority;
use banshi_terminal::{
    ApplicantView, AppointmentView, CallsView, HallSetupView, IdentityView, IssueRequest, Terminal,
    TicketView, WindowStateView,
};
use serde::Deserialize;

use crate::device_routes::json_or_default;
use crate::routes::ApiError;
use crate::staff_routes::Caller;
use crate::UiAssets;

type Shared = State<Arc<Terminal>>;

/// Routes under `/api` for the queue.
pub(crate) fn router(terminal: Arc<Terminal>) -> Router {
    Router::new()
        .route("/api/tickets", get(list_tickets).post(issue_ticket))
        .route("/api/queue/identify", post(identify))
        .route("/api/appointments", post(book))
        .route("/api/appointments/check-in", post(check_in))
        .route("/api/window", get(window_state))
        .route("/api/window/applicant", get(window_applicant))
        .route("/api/window/sign-in", post(sign_in))
        .route("/api/window/sign-out", post(sign_out))
        .route("/api/window/call-next", post(call_next))
        .route("/api/window/recall", post(recall))
        .route("/api/window/no-show", post(no_show))
        .route("/api/window/finish", post(finish))
        .route("/api/window/pause", post(pause))
        .route("/api/window/transfer", post(transfer))
        .route("/api/calls", get(calls))
        .route("/api/kpi", get(kpi))
        .route("/api/hall", get(hall_setup).put(import_hall))
        .with_state(terminal)
}

/// The TV page and its data; safe to serve on the hall LAN.
pub(crate) fn tv_router(terminal: Arc<Terminal>, ui: Arc<dyn UiAssets>) -> Router {
    Router::new()
        .route(
            "/tv",
            get(move || {
                let ui = Arc::clone(&ui);
                async move {
                    match ui.get("tv.html") {
                        Some(page) => (
                            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                            page.into_owned(),
                        )
                            .into_response(),
                        None => (StatusCode::NOT_FOUND, "not found").into_response(),
                    }
                }
            }),
        )
        .route("/tv/calls.json", get(calls))
        .with_state(terminal)
}

#[derive(Debug, Default, Deserialize)]
struct IssueTicket {
    category: String,
    identity: Option<String>,
    priority: Option<Priority>,
}

async fn issue_ticket(
    State(t): Shared,
    body: Bytes,
) -> Result<(StatusCode, Json<TicketView>), ApiError> {
    let req: IssueTicket = json_or_default(&body)?;
    let view = t
        .issue_ticket_with(IssueRequest {
            category: req.category,
            identity: req.identity,
            priority: req.priority,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn list_tickets(State(t): Shared, c: Caller) -> Result<Json<Vec<TicketView>>, ApiError> {
    Ok(Json(t.list_tickets(&c.actor).await?))
}

async fn identify(State(t): Shared) -> Result<Json<IdentityView>, ApiError> {
    Ok(Json(t.identify().await?))
}

#[derive(Debug, Default, Deserialize)]
struct Book {
    identity: String,
    item_code: String,
    date: String,
    slot: String,
}

async fn book(
    State(t): Shared,
    body: Bytes,
) -> Result<(StatusCode, Json<AppointmentView>), ApiError> {
    let b: Book = json_or_default(&body)?;
    let view = t
        .book_appointment(&b.identity, &b.item_code, &b.date, &b.slot)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Default, Deserialize)]
struct CheckIn {
    identity: Option<String>,
    booking_number: Option<String>,
}

async fn check_in(
    State(t): Shared,
    body: Bytes,
) -> Result<(StatusCode, Json<TicketView>), ApiError> {
    let c: CheckIn = json_or_default(&body)?;
    let view = t
        .check_in(c.identity.as_deref(), c.booking_number.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

type WindowAnswer = Result<Json<WindowStateView>, ApiError>;

async fn window_state(State(t): Shared, c: Caller) -> WindowAnswer {
    Ok(Json(t.window_state(&c.actor).await?))
}

async fn window_applicant(State(t): Shared, c: Caller) -> Result<Json<ApplicantView>, ApiError> {
    Ok(Json(t.window_applicant(&c.actor).await?))
}

/// The logged-in staff member opens the window.
async fn sign_in(State(t): Shared, c: Caller) -> WindowAnswer {
    Ok(Json(t.window_sign_in(&c.actor).await?))
}

async fn sign_out(State(t): Shared, c: Caller) -> WindowAnswer {
    Ok(Json(t.window_sign_out(&c.actor).await?))
}

async fn call_next(State(t): Shared, c: Caller) -> WindowAnswer {
    Ok(Json(t.window_call_next(&c.actor).await?))
}

async fn recall(State(t): Shared, c: Caller) -> WindowAnswer {
    Ok(Json(t.window_recall(&c.actor).await?))
}

async fn no_show(State(t): Shared, c: Caller) -> WindowAnswer {
    Ok(Json(t.window_no_show(&c.actor).await?))
}

async fn finish(State(t): Shared, c: Caller) -> WindowAnswer {
    Ok(Json(t.window_finish(&c.actor).await?))
}

#[derive(Debug, Default, Deserialize)]
struct Pause {
    paused: bool,
}

async fn pause(State(t): Shared, c: Caller, body: Bytes) -> WindowAnswer {
    let p: Pause = json_or_default(&body)?;
    Ok(Json(t.window_pause(&c.actor, p.paused).await?))
}

#[derive(Debug, Default, Deserialize)]
struct Transfer {
    category: Option<String>,
    window: Option<u32>,
}

async fn transfer(State(t): Shared, c: Caller, body: Bytes) -> WindowAnswer {
    let x: Transfer = json_or_default(&body)?;
    Ok(Json(
        t.window_transfer(&c.actor, x.category, x.window).await?,
    ))
}

async fn calls(State(t): Shared) -> Result<Json<CallsView>, ApiError> {
    Ok(Json(t.calls().await?))
}

async fn kpi(State(t): Shared, c: Caller) -> Result<Json<Kpi>, ApiError> {
    Ok(Json(t.kpi(&c.actor).await?))
}

async fn hall_setup(State(t): Shared) -> Result<Json<Option<HallSetupView>>, ApiError> {
    Ok(Json(t.hall_setup().await?.map(HallSetupView::from)))
}

/// The hall file is TOML text, not JSON: what the admin wrote, unchanged.
async fn import_hall(State(t): Shared, c: Caller, body: Bytes) -> Result<Response, ApiError> {
    let text = String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            banshi_core::ErrorBody::new("hall.invalid", "the hall file is not UTF-8 text"),
        )
    })?;
    Ok(Json(HallSetupView::from(t.import_hall(&c.actor, &text).await?)).into_response())
}
