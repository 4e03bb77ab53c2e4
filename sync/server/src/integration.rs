//! The integration API for the provincial unified acceptance platform (`docs/integration-api.md`).
//!
//! The platform is not a terminal: it holds no SM2 key and no scope, so it gets its own small surface
//! under `/integration/v1`, authorised by one bearer token from the server's configuration
//! (`BANSHI_INTEGRATION_TOKEN`). Without a token the surface does not exist (404 `integration.disabled`).
//! Three things cross it:
//!
//! - status updates (审查中, 已办结 …) written into the case document as a `platform` step, under the same
//!   per-document lock as terminal syncs, and saved like any change, so terminals' feed long-polls wake and
//!   pull them;
//! - a case's numbers, item and status history, without personal data;
//! - the 好差评 upstream report: every rating with the case's official number as its serial, later
//!   ratings of an already rated case flagged as duplicates.

use std::collections::{HashMap, HashSet};

use automerge::{AutoCommit, ROOT};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_core::application::{Application, CaseStatus, StatusEvent};
use banshi_core::rating::{effective_rating, Rating, UpstreamRating, RATING_KIND};
use banshi_core::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::app::{ApiError, AppState};
use crate::cases::find_case;
use crate::storage::{ServerStorage, StoredDoc};

/// Largest request body: a status update is a few hundred bytes.
pub const MAX_INTEGRATION_BODY_BYTES: usize = 64 * 1024;
/// Largest ratings page.
pub const MAX_RATINGS_PAGE: usize = 500;
const DEFAULT_RATINGS_PAGE: usize = 100;

pub const STATUS_PATH: &str = "/integration/v1/cases/{number}/status";
pub const CASE_PATH: &str = "/integration/v1/cases/{number}";
pub const RATINGS_PATH: &str = "/integration/v1/ratings";

/// The integration part of the server's configuration.
#[derive(Clone, Default)]
pub struct IntegrationConfig {
    /// The platform's bearer token; `None` (or blank) disables the integration API.
    pub token: Option<String>,
}

impl std::fmt::Debug for IntegrationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationConfig")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// What requests are checked against: the token's SM3, so the comparison runs over digests of equal
/// length whatever the caller sends.
#[derive(Clone)]
pub struct IntegrationAuth {
    token_sm3: String,
}

impl std::fmt::Debug for IntegrationAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntegrationAuth(***)")
    }
}

impl IntegrationAuth {
    /// `None` when the configuration has no (or a blank) token: the API is disabled.
    pub fn from_config(config: &IntegrationConfig) -> Option<Self> {
        let token = config
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())?;
        Some(Self {
            token_sm3: banshi_crypto::sm3_hex(token.as_bytes()),
        })
    }

    fn accepts(&self, presented: &str) -> bool {
        let digest = banshi_crypto::sm3_hex(presented.trim().as_bytes());
        constant_time_eq(digest.as_bytes(), self.token_sm3.as_bytes())
    }
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The integration routes, with their own small body limit.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(STATUS_PATH, post(update_status))
        .route(CASE_PATH, get(case))
        .route(RATINGS_PATH, get(ratings))
        .layer(DefaultBodyLimit::max(MAX_INTEGRATION_BODY_BYTES))
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

fn internal(message: impl Into<String>) -> ApiError {
    let message = message.into();
    tracing::error!(%message, "integration request failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "integration.internal",
        message,
    )
}

/// Malformed requests answer with this API's `{code, message}` shape.
fn rejected(status: StatusCode, detail: String) -> ApiError {
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "integration.too_large"
    } else {
        "integration.bad_request"
    };
    error(status, code, detail)
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(auth) = &state.integration else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "integration.disabled",
            "the integration API is not enabled on this server",
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(token) if auth.accepts(token) => Ok(()),
        _ => Err(error(
            StatusCode::UNAUTHORIZED,
            "integration.unauthorized",
            "missing or wrong bearer token",
        )),
    }
}

fn unknown_case(number: &str) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        "integration.unknown_case",
        format!("no case has the number {number}"),
    )
}

/// The case `number` names: its document id, the stored document and the application in it.
async fn load_case(
    storage: &dyn ServerStorage,
    number: &str,
) -> Result<(String, StoredDoc, AutoCommit, Application), ApiError> {
    let (doc_id, _scope) = find_case(storage, number)
        .await
        .map_err(ApiError::storage)?
        .ok_or_else(|| unknown_case(number))?;
    let stored = storage
        .load_doc(&doc_id)
        .await
        .map_err(ApiError::storage)?
        .ok_or_else(|| unknown_case(number))?;
    let doc = AutoCommit::load(&stored.bytes)
        .map_err(|_| internal(format!("stored case {doc_id} is damaged")))?;
    let app: Application = autosurgeon::hydrate_prop(&doc, ROOT, "body").map_err(|_| {
        internal(format!(
            "stored case {doc_id} is not a readable application"
        ))
    })?;
    Ok((doc_id, stored, doc, app))
}

/// `POST /integration/v1/cases/{number}/status`
#[derive(Debug, Deserialize)]
pub struct StatusUpdate {
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub actor_name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct StatusUpdated {
    /// The official number (the provisional one if the case has none yet).
    pub number: String,
    pub status: CaseStatus,
}

async fn update_status(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
    body: Result<Json<StatusUpdate>, JsonRejection>,
) -> Result<Json<StatusUpdated>, ApiError> {
    authorize(&state, &headers)?;
    let Json(update) = body.map_err(|e| rejected(e.status(), e.body_text()))?;
    let status = CaseStatus::parse(update.status.trim()).ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "integration.bad_status",
            format!("{} is not a case status", update.status),
        )
    })?;
    let storage = state.engine.storage();
    let (doc_id, _) = find_case(storage.as_ref(), &number)
        .await
        .map_err(ApiError::storage)?
        .ok_or_else(|| unknown_case(&number))?;
    // Serialised with terminal syncs of the same case on this node; `save_doc` merges with what other
    // nodes stored meanwhile.
    let lock = state.engine.doc_lock(&doc_id).await;
    let _guard = lock.lock().await;
    let (doc_id, stored, mut doc, mut app) = load_case(storage.as_ref(), &number).await?;
    app.record_step(StatusEvent {
        status,
        at_ms: state.clock.now_ms(),
        actor: "platform".to_string(),
        actor_name: update.actor_name.trim().to_string(),
        terminal: "server".to_string(),
        hall: app.hall_id.clone(),
        note: update.note.trim().to_string(),
    })
    .map_err(|e| error(StatusCode::CONFLICT, e.code(), e.to_string()))?;
    autosurgeon::reconcile_prop(&mut doc, ROOT, "body", &app)
        .map_err(|e| internal(format!("writing case {doc_id}: {e}")))?;
    storage
        .save_doc(
            &doc_id,
            StoredDoc {
                kind: stored.kind,
                scope: stored.scope,
                bytes: doc.save(),
            },
        )
        .await
        .map_err(ApiError::storage)?;
    tracing::info!(%doc_id, status = status.as_str(), "platform status update");
    Ok(Json(StatusUpdated {
        number: app.number().to_string(),
        status: app.status(),
    }))
}

/// `GET /integration/v1/cases/{number}`: no personal data (no applicant, form or materials).
#[derive(Debug, Serialize, Deserialize)]
pub struct CaseView {
    pub provisional_number: String,
    pub official_number: Option<String>,
    pub item_code: String,
    pub item_name: String,
    pub status: CaseStatus,
    pub history: Vec<HistoryStep>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryStep {
    pub status: CaseStatus,
    pub at_ms: i64,
    pub actor_name: String,
    pub hall: String,
    pub note: String,
}

async fn case(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
) -> Result<Json<CaseView>, ApiError> {
    authorize(&state, &headers)?;
    let (_, _, _, app) = load_case(state.engine.storage().as_ref(), &number).await?;
    // In the order the status is derived from (time, then terminal, then entry).
    let mut steps: Vec<(usize, &StatusEvent)> = app.history.iter().enumerate().collect();
    steps.sort_by(|(ia, a), (ib, b)| (a.at_ms, &a.terminal, ia).cmp(&(b.at_ms, &b.terminal, ib)));
    let history = steps
        .into_iter()
        .map(|(_, e)| HistoryStep {
            status: e.status,
            at_ms: e.at_ms,
            actor_name: e.actor_name.clone(),
            hall: e.hall.clone(),
            note: e.note.clone(),
        })
        .collect();
    Ok(Json(CaseView {
        status: app.status(),
        provisional_number: app.provisional_number,
        official_number: app.official_number,
        item_code: app.item_code,
        item_name: app.item_name,
        history,
    }))
}

#[derive(Debug, Deserialize)]
struct RatingsQuery {
    #[serde(default)]
    after: i64,
    limit: Option<usize>,
}

/// `GET /integration/v1/ratings?after=&limit=`
#[derive(Debug, Serialize, Deserialize)]
pub struct RatingsPage {
    pub ratings: Vec<UpstreamRating>,
    /// Pass as `after` to get the following ratings (equal to `after` when there were none).
    pub next: i64,
}

fn read_rating(doc_id: &str, bytes: &[u8]) -> Option<Rating> {
    let body = AutoCommit::load(bytes)
        .ok()
        .and_then(|doc| autosurgeon::hydrate_prop(&doc, ROOT, "body").ok());
    if body.is_none() {
        tracing::warn!(%doc_id, "rating document unreadable; left out of the report");
    }
    body
}

async fn ratings(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RatingsQuery>, QueryRejection>,
) -> Result<Json<RatingsPage>, ApiError> {
    authorize(&state, &headers)?;
    let Query(q) = query.map_err(|e| rejected(e.status(), e.body_text()))?;
    let limit = q
        .limit
        .unwrap_or(DEFAULT_RATINGS_PAGE)
        .clamp(1, MAX_RATINGS_PAGE);
    let storage = state.engine.storage();
    let page = storage
        .docs_of_kind_after(RATING_KIND, q.after, limit)
        .await
        .map_err(ApiError::storage)?;
    let next = page.last().map(|(p, _, _)| *p).unwrap_or(q.after);
    let ratings: Vec<(String, Rating)> = page
        .into_iter()
        .filter_map(|(_, id, bytes)| read_rating(&id, &bytes).map(|r| (id, r)))
        .collect();

    let cases: HashSet<&str> = ratings.iter().map(|(_, r)| r.case_id.as_str()).collect();
    let effective = effective_ratings(storage.as_ref(), &cases).await?;
    let mut serials: HashMap<String, Option<String>> = HashMap::new();
    let mut lines = Vec::with_capacity(ratings.len());
    for (doc_id, rating) in &ratings {
        if !serials.contains_key(&rating.case_id) {
            let official = official_number_of(storage.as_ref(), &rating.case_id).await?;
            serials.insert(rating.case_id.clone(), official);
        }
        let serial = serials[&rating.case_id]
            .clone()
            .unwrap_or_else(|| rating.case_number.clone());
        let duplicate = effective
            .get(&rating.case_id)
            .is_some_and(|first| first != doc_id);
        lines.push(UpstreamRating::new(rating, &serial, duplicate));
    }
    Ok(Json(RatingsPage {
        ratings: lines,
        next,
    }))
}

/// For each case of `cases`, the document id of the rating that counts ([`effective_rating`]) among every
/// rating the server holds. Reads every rating: a case's ratings are few but may arrive far apart.
async fn effective_ratings(
    storage: &dyn ServerStorage,
    cases: &HashSet<&str>,
) -> Result<HashMap<String, String>, ApiError> {
    let mut by_case: HashMap<String, Vec<(String, Rating)>> = HashMap::new();
    let mut after = 0;
    loop {
        let page = storage
            .docs_of_kind_after(RATING_KIND, after, MAX_RATINGS_PAGE)
            .await
            .map_err(ApiError::storage)?;
        let Some((last, _, _)) = page.last() else {
            break;
        };
        after = *last;
        for (_, id, bytes) in page {
            if let Some(r) = read_rating(&id, &bytes) {
                if cases.contains(r.case_id.as_str()) {
                    by_case.entry(r.case_id.clone()).or_default().push((id, r));
                }
            }
        }
    }
    Ok(by_case
        .into_iter()
        .filter_map(|(case, ratings)| {
            let first = effective_rating(ratings.iter().map(|(_, r)| r))?;
            let (id, _) = ratings.iter().find(|(_, r)| std::ptr::eq(r, first))?;
            Some((case, id.clone()))
        })
        .collect())
}

/// The official number of the case document `case_id`, if the server holds it and it has one.
async fn official_number_of(
    storage: &dyn ServerStorage,
    case_id: &str,
) -> Result<Option<String>, ApiError> {
    let Some(stored) = storage.load_doc(case_id).await.map_err(ApiError::storage)? else {
        return Ok(None);
    };
    Ok(AutoCommit::load(&stored.bytes)
        .ok()
        .and_then(|doc| autosurgeon::hydrate_prop::<_, Application, _, _>(&doc, ROOT, "body").ok())
        .and_then(|app| app.official_number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_reaches_debug_output_and_blank_disables() {
        let config = IntegrationConfig {
            token: Some("s3cret-token".into()),
        };
        assert!(!format!("{config:?}").contains("s3cret"));
        let auth = IntegrationAuth::from_config(&config).expect("enabled");
        assert!(!format!("{auth:?}").contains("s3cret"));
        assert!(auth.accepts("s3cret-token"));
        assert!(!auth.accepts("s3cret-toke"));
        assert!(!auth.accepts(""));
        let blank = IntegrationConfig {
            token: Some("  ".into()),
        };
        assert!(IntegrationAuth::from_config(&blank).is_none());
        assert!(IntegrationAuth::from_config(&IntegrationConfig::default()).is_none());
    }

    #[test]
    fn constant_time_eq_compares_whole_inputs() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
