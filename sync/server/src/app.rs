//! The HTTP surface: routes, error shape, request logging and metrics.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use banshi_core::{Clock, ErrorBody, ErrorCode, SystemClock};
use banshi_sync_protocol as proto;
use serde::Deserialize;
use tracing::Instrument;

use crate::auth::{self, AuthedTerminal};
use crate::blobs;
use crate::feed_wait::FeedWaiters;
use crate::fleet;
use crate::integration::{IntegrationAuth, IntegrationConfig};
use crate::metrics::{Metrics, RouteLabels};
use crate::storage::ServerStorage;
use crate::sync::{SyncEngine, SyncError};
use banshi_sync_protocol::fleet as fleet_proto;

/// Largest sync message accepted; a record document is kilobytes, so this only stops abuse.
pub const MAX_SYNC_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Shared state of every request handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub engine: Arc<SyncEngine>,
    pub metrics: Arc<Metrics>,
    pub server_id: String,
    /// Request times are checked against this clock (tests move it to test stale requests).
    pub clock: Arc<dyn Clock>,
    /// Feed long-polls waiting for their scope to change.
    pub(crate) feed_waiters: Arc<FeedWaiters>,
    /// Set when [`serve`] begins a graceful shutdown, so long-polls answer now instead of holding it up.
    pub(crate) stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// The acceptance platform's token; `None` disables `/integration/v1` ([`crate::integration`]).
    pub integration: Option<IntegrationAuth>,
}

impl AppState {
    pub fn new(storage: Arc<dyn ServerStorage>, server_id: impl Into<String>) -> Self {
        Self::with_clock(storage, server_id, Arc::new(SystemClock))
    }

    pub fn with_clock(
        storage: Arc<dyn ServerStorage>,
        server_id: impl Into<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            engine: Arc::new(SyncEngine::with_clock(storage, Arc::clone(&clock))),
            metrics: Arc::new(Metrics::default()),
            server_id: server_id.into(),
            clock,
            feed_waiters: Arc::default(),
            stopping: Arc::new(tokio::sync::watch::channel(false).0),
            integration: None,
        }
    }

    /// Enable the integration API when `config` has a token.
    pub fn with_integration(mut self, config: &IntegrationConfig) -> Self {
        self.integration = IntegrationAuth::from_config(config);
        self
    }
}

/// An error answer: status plus the `{code, message}` body.
#[derive(Debug)]
pub struct ApiError(StatusCode, ErrorBody);

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self(status, ErrorBody::new(code, message))
    }

    pub(crate) fn from_body(status: StatusCode, body: ErrorBody) -> Self {
        Self(status, body)
    }

    /// The answer's status, for tests of error shapes.
    pub fn status(&self) -> StatusCode {
        self.0
    }

    /// The answer's `{code, message}`.
    pub fn body(&self) -> &ErrorBody {
        &self.1
    }

    /// A storage failure while handling a request: logged here, answered as a server error.
    pub(crate) fn storage(e: crate::storage::StorageError) -> Self {
        SyncError::from(e).into()
    }
}

/// Malformed requests (bad JSON, bad query, too large) get the same `{code, message}` shape as every other
/// error, never axum's plain-text rejections.
fn rejected(status: StatusCode, detail: String) -> ApiError {
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "sync.too_large"
    } else {
        "sync.bad_request"
    };
    ApiError::new(status, code, detail)
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        rejected(e.status(), e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        rejected(e.status(), e.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> Self {
        rejected(e.status(), e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let status = match e {
            SyncError::BadMessage(_) | SyncError::BadChanges(_) => StatusCode::BAD_REQUEST,
            SyncError::NoHeader(_)
            | SyncError::IdMismatch { .. }
            | SyncError::ScopeChange { .. }
            | SyncError::KindChange { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            SyncError::OutOfScope { .. } | SyncError::ReadOnlyScope { .. } => StatusCode::FORBIDDEN,
            SyncError::Corrupt(_) | SyncError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "sync request failed");
        }
        Self(status, e.to_body())
    }
}

/// The server's routes.
///
/// Everything under `/sync/v1` and `/fleet/v1` except enrollment requires a signed request ([`auth::authenticate`]),
/// blobs included ([`blobs`]).
pub fn router(state: AppState) -> Router {
    let signed = Router::new()
        .route(proto::HELLO_PATH, post(hello))
        .route(
            &format!("{}{{doc_id}}", proto::DOC_PATH_PREFIX),
            post(sync_doc),
        )
        .route(proto::FEED_PATH, get(feed))
        .route(proto::BATCH_PATH, post(sync_batch))
        .route(proto::HALL_TERMINALS_PATH, get(auth::hall_terminals))
        .route(fleet_proto::HEARTBEAT_PATH, post(fleet::heartbeat))
        .route(fleet_proto::ASSIGNMENT_PATH, get(fleet::assignment))
        .route(
            fleet_proto::ROLLOUTS_PATH,
            get(fleet::rollouts).post(fleet::publish),
        )
        .route(
            &format!("{}/{{release_id}}/advance", fleet_proto::ROLLOUTS_PATH),
            post(fleet::advance),
        )
        .route(
            &format!("{}/{{release_id}}/rollback", fleet_proto::ROLLOUTS_PATH),
            post(fleet::rollback),
        )
        .route(fleet_proto::FLEET_TERMINALS_PATH, get(fleet::terminals))
        .route(
            &format!("{}{{sm3}}", proto::BLOBS_PATH_PREFIX),
            get(blobs::status),
        )
        .route(
            &format!("{}{{sm3}}/chunks/{{index}}", proto::BLOBS_PATH_PREFIX),
            put(blobs::put_chunk).get(blobs::get_chunk),
        )
        .route(
            &format!("{}{{sm3}}/complete", proto::BLOBS_PATH_PREFIX),
            post(blobs::complete),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route(proto::ENROLL_PATH, post(auth::enroll))
        .merge(signed)
        .merge(crate::integration::routes())
        .merge(crate::case_page::routes())
        .layer(DefaultBodyLimit::max(MAX_SYNC_MESSAGE_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Serve `router` on `listener` until `shutdown` resolves; then waiting feed long-polls answer at once and
/// requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stopping = Arc::clone(&state.stopping);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            shutdown.await;
            stopping.send_replace(true);
        })
        .await
}

/// Request span with the matched route, plus the request counter.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let span = tracing::info_span!("request", method = %request.method(), route = %route);
    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    tracing::debug!(parent: &span, status, elapsed = ?started.elapsed(), "answered");
    state
        .metrics
        .http_requests
        .get_or_create(&RouteLabels { route, status })
        .inc();
    response
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(count) = state.engine.storage().document_count().await {
        state.metrics.documents.set(count);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn hello(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    hello: Result<Json<proto::Hello>, JsonRejection>,
) -> Result<Json<proto::Welcome>, ApiError> {
    let Json(hello) = hello?;
    let version =
        proto::negotiate(proto::SUPPORTED_VERSIONS, &hello.versions).ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "sync.no_common_version",
                format!(
                    "server speaks protocol versions {:?}, terminal {:?}",
                    proto::SUPPORTED_VERSIONS,
                    hello.versions
                ),
            )
        })?;
    if hello.hall_id != who.hall_id {
        // The enrollment decides; a profile naming another hall is a configuration mistake worth a log line.
        tracing::warn!(terminal = %who.id, profile_hall = %hello.hall_id, enrolled_hall = %who.hall_id, "terminal's profile names another hall than its enrollment");
    }
    tracing::info!(terminal = %who.id, hall = %who.hall_id, version, "terminal connected");
    Ok(Json(proto::Welcome {
        version,
        server_id: state.server_id.clone(),
        scopes: who.scopes,
    }))
}

/// Every request after the handshake names the protocol version it speaks.
pub(crate) fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let version = headers
        .get(proto::VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    match version {
        Some(v) if proto::SUPPORTED_VERSIONS.contains(&v) => Ok(()),
        Some(v) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "sync.unsupported_version",
            format!(
                "protocol version {v} is not one of {:?}; say hello again",
                proto::SUPPORTED_VERSIONS
            ),
        )),
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "sync.no_version",
            format!("missing or malformed {} header", proto::VERSION_HEADER),
        )),
    }
}

/// `POST /sync/v1/batch`: the single-document exchange for many documents in one request, so a terminal
/// catching up on thousands of records pays one signature and one round trip per batch, not per document.
async fn sync_batch(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_version(&headers)?;
    let body = body?;
    let items = proto::decode_batch(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "sync.bad_batch",
            format!("not a valid batch: {e}"),
        )
    })?;
    let mut replies = Vec::with_capacity(items.len());
    for item in items {
        if !item.message.is_empty() {
            state.metrics.sync_messages_received.inc();
            state
                .metrics
                .sync_bytes_received
                .inc_by(item.message.len() as u64);
        }
        let (status, reply_body) = if !proto::valid_doc_id(&item.doc_id) {
            let e = ErrorBody::new(
                "sync.bad_doc_id",
                "document ids are 1 to 64 ASCII letters, digits and hyphens (UUIDs)",
            );
            (400, serde_json::to_vec(&e).unwrap_or_default())
        } else {
            match state
                .engine
                .sync_doc(&item.doc_id, &who, &item.message)
                .await
            {
                Ok(outcome) => {
                    if outcome.changed {
                        state.metrics.documents_changed.inc();
                    }
                    match outcome.reply {
                        Some(bytes) => {
                            state.metrics.sync_bytes_sent.inc_by(bytes.len() as u64);
                            (200, bytes)
                        }
                        None => (204, Vec::new()),
                    }
                }
                Err(e) => {
                    let ApiError(status, body) = ApiError::from(e);
                    (
                        status.as_u16(),
                        serde_json::to_vec(&body).unwrap_or_default(),
                    )
                }
            }
        };
        replies.push(proto::BatchReply {
            doc_id: item.doc_id,
            status,
            body: reply_body,
        });
    }
    Ok((
        [(header::CONTENT_TYPE, proto::BATCH_MEDIA_TYPE)],
        proto::encode_batch_replies(&replies),
    )
        .into_response())
}

async fn sync_doc(
    State(state): State<AppState>,
    Path(doc_id): Path<String>,
    Extension(who): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if !proto::valid_doc_id(&doc_id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "sync.bad_doc_id",
            "document ids are 1 to 64 ASCII letters, digits and hyphens (UUIDs)",
        ));
    }
    check_version(&headers)?;
    let body = body?;
    if !body.is_empty() {
        state.metrics.sync_messages_received.inc();
        state.metrics.sync_bytes_received.inc_by(body.len() as u64);
    }
    let outcome = state.engine.sync_doc(&doc_id, &who, &body).await?;
    if outcome.changed {
        state.metrics.documents_changed.inc();
    }
    if let Some(reply) = &outcome.reply {
        state.metrics.sync_bytes_sent.inc_by(reply.len() as u64);
    }
    Ok(match outcome.reply {
        Some(bytes) => (
            [(header::CONTENT_TYPE, proto::SYNC_MESSAGE_MEDIA_TYPE)],
            bytes,
        )
            .into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

#[derive(Debug, Deserialize)]
struct FeedQuery {
    scope: String,
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
    /// Long-poll: when the page would be empty, wait up to this long (capped) for the scope to change.
    wait_ms: Option<u64>,
}

/// How long a feed request with `wait_ms` may wait.
fn feed_wait(wait_ms: Option<u64>) -> Option<std::time::Duration> {
    wait_ms
        .filter(|ms| *ms > 0)
        .map(|ms| std::time::Duration::from_millis(ms.min(proto::MAX_FEED_WAIT_MS)))
}

async fn feed(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
    headers: HeaderMap,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Json<proto::FeedPage>, ApiError> {
    check_version(&headers)?;
    let Query(q) = query?;
    if !who.may_access(&q.scope) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.out_of_scope",
            format!("terminal {} may not read scope {}", who.id, q.scope),
        ));
    }
    let limit = q
        .limit
        .unwrap_or(proto::MAX_FEED_PAGE)
        .clamp(1, proto::MAX_FEED_PAGE);
    let Some(wait) = feed_wait(q.wait_ms) else {
        return Ok(Json(feed_page(&state, &q.scope, q.after, limit).await?));
    };
    // Wait first, read second: a save that commits between the read and the wait still wakes us.
    let mut waiter = state
        .feed_waiters
        .wait_for(state.engine.storage(), &q.scope);
    let mut stopping = state.stopping.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    let _waiting = GaugeGuard::inc(&state.metrics.feed_waiting);
    loop {
        let page = feed_page(&state, &q.scope, q.after, limit).await?;
        if !page.entries.is_empty() {
            return Ok(Json(page));
        }
        tokio::select! {
            _ = waiter.changed() => {}
            _ = tokio::time::sleep_until(deadline) => return Ok(Json(page)),
            _ = stopping.wait_for(|stopping| *stopping) => return Ok(Json(page)),
        }
    }
}

/// Counts a waiting request in a gauge for as long as it lives (the request may be dropped mid-wait when
/// the terminal hangs up).
struct GaugeGuard<'a>(&'a prometheus_client::metrics::gauge::Gauge);

impl<'a> GaugeGuard<'a> {
    fn inc(gauge: &'a prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

async fn feed_page(
    state: &AppState,
    scope: &str,
    after: i64,
    limit: u32,
) -> Result<proto::FeedPage, ApiError> {
    // Ask for one more than the page to know whether more follow.
    let mut entries = state
        .engine
        .storage()
        .feed(scope, after, limit + 1)
        .await
        .map_err(SyncError::from)?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next = entries.last().map(|e| e.position).unwrap_or(after);
    Ok(proto::FeedPage {
        entries,
        next,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_waits_are_capped_and_zero_means_no_wait() {
        assert_eq!(feed_wait(None), None);
        assert_eq!(feed_wait(Some(0)), None);
        assert_eq!(
            feed_wait(Some(1500)),
            Some(std::time::Duration::from_millis(1500))
        );
        assert_eq!(
            feed_wait(Some(u64::MAX)),
            Some(std::time::Duration::from_millis(proto::MAX_FEED_WAIT_MS))
        );
    }
}
