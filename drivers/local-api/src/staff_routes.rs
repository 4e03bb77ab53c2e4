//! Staff on the local API: logging in and out, one's own password, the accounts a manager keeps, the audit
//! chain's check — and [`Caller`], the extractor every handler uses to learn who is asking.
//!
//! A staff request carries its session token as `Authorization: Bearer <token>` (the screen got it from
//! `POST /api/login`); a request without one, or with one that expired, is the anonymous resident. Handlers
//! pass the caller to the terminal, which checks the permission (`banshi_core::staff`), so the Tauri commands
//! and this API enforce the same rules. `route_table` lists the permission each route needs (for the
//! table-driven test and `docs/security.md`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequestParts, MatchedPath, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_core::staff::{Actor, Permission};
use banshi_terminal::{AuditCheckView, LoginView, StaffAccountView, StaffInput, Terminal};
use serde::Deserialize;

use crate::device_routes::json_or_default;
use crate::routes::ApiError;

/// Who is asking: the staff member whose session token came with the request, else the resident.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) actor: Actor,
    pub(crate) token: Option<String>,
}

impl<S> FromRequestParts<S> for Caller
where
    Arc<Terminal>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    /// Also refuses a caller without the route's permission (per [`ROUTE_TABLE`]) before the handler reads
    /// the body: who may not use a route learns nothing about what it would accept. The terminal checks again.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let terminal = Arc::<Terminal>::from_ref(state);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let actor = terminal.actor(token.as_deref());
        let path = parts
            .extensions
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string());
        let needed = ROUTE_TABLE
            .iter()
            .find(|(m, p, _)| *m == parts.method.as_str() && *p == path)
            .and_then(|(_, _, permission)| *permission);
        if let Some(permission) = needed {
            actor
                .require(permission)
                .map_err(|e| ApiError::from(banshi_terminal::TerminalError::from(e)))?;
        }
        Ok(Caller { actor, token })
    }
}

type Shared = State<Arc<Terminal>>;

/// The staff routes under `/api`.
pub(crate) fn router(terminal: Arc<Terminal>) -> Router {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/login/card", post(login_card))
        .route("/api/logout", post(logout))
        .route("/api/session", get(session))
        .route("/api/password", post(change_password))
        .route("/api/staff", get(list_staff).post(save_staff))
        .route("/api/audit/verify", get(verify_audit))
        .with_state(terminal)
}

/// Every `/api` route and the permission it needs (`None`: open to anyone, such as logging in). The router
/// is the truth; a test checks that this table names every route registered in this crate and that each
/// route refuses exactly the roles the table says.
pub const ROUTE_TABLE: &[(&str, &str, Option<Permission>)] = &[
    ("GET", "/api/status", Some(Permission::ViewStatus)),
    ("GET", "/api/events", Some(Permission::ViewStatus)),
    ("GET", "/api/sync/pending", Some(Permission::ViewSyncStatus)),
    // Field staff or hall managers: the terminal decides (`Terminal::export_bundle_to_folder`).
    ("POST", "/api/sync/export", None),
    ("POST", "/api/login", None),
    ("POST", "/api/login/card", None),
    ("POST", "/api/logout", None),
    ("GET", "/api/session", None),
    ("POST", "/api/password", None),
    ("GET", "/api/staff", Some(Permission::ManageStaff)),
    ("POST", "/api/staff", Some(Permission::ManageStaff)),
    ("GET", "/api/audit/verify", Some(Permission::ViewAudit)),
    ("GET", "/api/tickets", Some(Permission::ViewTickets)),
    ("POST", "/api/tickets", Some(Permission::TakeTicket)),
    ("POST", "/api/queue/identify", Some(Permission::TakeTicket)),
    ("POST", "/api/appointments", Some(Permission::TakeTicket)),
    (
        "POST",
        "/api/appointments/check-in",
        Some(Permission::TakeTicket),
    ),
    ("GET", "/api/window", Some(Permission::ServeWindow)),
    (
        "GET",
        "/api/window/applicant",
        Some(Permission::ViewPersonalData),
    ),
    ("POST", "/api/window/sign-in", Some(Permission::ServeWindow)),
    (
        "POST",
        "/api/window/sign-out",
        Some(Permission::ServeWindow),
    ),
    (
        "POST",
        "/api/window/call-next",
        Some(Permission::ServeWindow),
    ),
    ("POST", "/api/window/recall", Some(Permission::ServeWindow)),
    ("POST", "/api/window/no-show", Some(Permission::ServeWindow)),
    ("POST", "/api/window/finish", Some(Permission::ServeWindow)),
    ("POST", "/api/window/pause", Some(Permission::ServeWindow)),
    (
        "POST",
        "/api/window/transfer",
        Some(Permission::ServeWindow),
    ),
    ("GET", "/api/calls", Some(Permission::ViewCalls)),
    ("GET", "/api/kpi", Some(Permission::ViewHallKpi)),
    ("GET", "/api/hall", Some(Permission::ViewStatus)),
    ("PUT", "/api/hall", Some(Permission::ManageHall)),
    ("POST", "/api/kiosk/unlock", None),
    ("POST", "/api/kiosk/reset-session", None),
    // Applications: the terminal decides by run mode (resident at a kiosk, clerk at a window, field staff).
    ("GET", "/api/catalogue", None),
    ("PUT", "/api/catalogue", Some(Permission::ManageFleet)),
    ("GET", "/api/catalogue/search", None),
    ("GET", "/api/cases", None),
    ("POST", "/api/cases", None),
    ("POST", "/api/cases/lookup", None),
    ("POST", "/api/cases/card", None),
    ("GET", "/api/cases/{id}", None),
    ("POST", "/api/cases/{id}/draft", None),
    ("POST", "/api/cases/{id}/materials/{material}", None),
    ("POST", "/api/cases/{id}/capture", None),
    ("POST", "/api/cases/{id}/submit", None),
    ("POST", "/api/cases/{id}/decision", None),
    ("POST", "/api/cases/{id}/pre-review", None),
    ("POST", "/api/cases/{id}/rating", None),
    ("POST", "/api/cases/{id}/rating/evaluator", None),
    ("POST", "/api/cases/{id}/notices", None),
    // The window's customer screen: the clerk puts a case on it; the applicant answers only that offer.
    (
        "POST",
        "/api/window/customer-screen",
        Some(Permission::ServeWindow),
    ),
    (
        "POST",
        "/api/window/customer-screen/clear",
        Some(Permission::ServeWindow),
    ),
    ("GET", "/api/customer-screen", None),
    ("POST", "/api/customer-screen/signature", None),
    ("POST", "/api/customer-screen/dispute", None),
    ("POST", "/api/customer-screen/rating", None),
    ("POST", "/api/cases/{id}/pages", None),
    ("POST", "/api/cases/{id}/signature", None),
    ("GET", "/api/progress/{number}", None),
    ("POST", "/api/progress/scan", None),
    ("GET", "/api/fleet/terminals", Some(Permission::ManageFleet)),
    ("GET", "/api/fleet/rollouts", Some(Permission::ManageFleet)),
    (
        "POST",
        "/api/fleet/profile/validate",
        Some(Permission::ManageFleet),
    ),
    (
        "GET",
        "/api/fleet/profile/schema",
        Some(Permission::ManageFleet),
    ),
    ("POST", "/api/fleet/releases", Some(Permission::ManageFleet)),
    (
        "POST",
        "/api/fleet/rollouts/{release_id}/advance",
        Some(Permission::ManageFleet),
    ),
    (
        "POST",
        "/api/fleet/rollouts/{release_id}/rollback",
        Some(Permission::ManageFleet),
    ),
];

#[derive(Default, Deserialize)]
#[serde(default)]
struct Login {
    staff_id: String,
    password: String,
}

async fn login(State(t): Shared, body: Bytes) -> Result<Json<LoginView>, ApiError> {
    let l: Login = json_or_default(&body)?;
    Ok(Json(t.login_password(&l.staff_id, &l.password).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct CardLogin {
    pin: String,
}

async fn login_card(State(t): Shared, body: Bytes) -> Result<Json<LoginView>, ApiError> {
    let l: CardLogin = json_or_default(&body)?;
    Ok(Json(t.login_card(&l.pin).await?))
}

async fn logout(State(t): Shared, caller: Caller) -> Result<StatusCode, ApiError> {
    if let Some(token) = &caller.token {
        t.logout(token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn session(State(t): Shared, caller: Caller) -> Result<Json<LoginView>, ApiError> {
    t.session_view(caller.token.as_deref())
        .map(Json)
        .ok_or_else(|| {
            ApiError::from(banshi_terminal::TerminalError::from(
                banshi_core::staff::StaffError::LoginRequired,
            ))
        })
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ChangePassword {
    staff_id: String,
    old_password: String,
    new_password: String,
}

async fn change_password(State(t): Shared, body: Bytes) -> Result<StatusCode, ApiError> {
    let c: ChangePassword = json_or_default(&body)?;
    t.change_password(&c.staff_id, &c.old_password, &c.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_staff(
    State(t): Shared,
    caller: Caller,
) -> Result<Json<Vec<StaffAccountView>>, ApiError> {
    Ok(Json(t.staff_list(&caller.actor).await?))
}

async fn save_staff(
    State(t): Shared,
    caller: Caller,
    body: Bytes,
) -> Result<Json<StaffAccountView>, ApiError> {
    let input: StaffInput = json_or_default(&body)?;
    Ok(Json(t.save_staff(&caller.actor, input).await?))
}

async fn verify_audit(State(t): Shared, caller: Caller) -> Result<Json<AuditCheckView>, ApiError> {
    Ok(Json(t.verify_audit(&caller.actor).await?))
}
