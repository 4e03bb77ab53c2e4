//! Who is asking: terminal enrollment and the verification of every signed request.
//!
//! A terminal generates an SM2 key pair and enrolls once with a one-time token an admin created for a hall
//! (`banshi-server token create`); the server binds the terminal's public key to that hall and the hall's
//! scopes. From then on every request carries the terminal id, a time, a fresh nonce and an SM2 signature of
//! [`proto::signing_string`]. [`authenticate`] checks all four before any handler runs, so handlers only see
//! an [`AuthedTerminal`] and decide what it may touch (its scopes). Refusals are specific
//! (`auth.unenrolled`, `auth.revoked`, `auth.stale`, `auth.bad_signature`, `auth.replayed`) so a terminal
//! and an admin can tell what is wrong; none of them reveals anything about other terminals.

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use banshi_core::catalogue::CATALOGUE_SCOPE;
use banshi_core::queue::hall_scope;
use banshi_sync_protocol as proto;

use crate::app::{ApiError, AppState, MAX_SYNC_MESSAGE_BYTES};
use crate::storage::{EnrollmentToken, TerminalRecord, TerminalRole};

/// The authenticated sender of a request, put in the request's extensions by [`authenticate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthedTerminal {
    pub id: String,
    pub hall_id: String,
    pub role: TerminalRole,
    /// Scopes this terminal may read and write.
    pub scopes: Vec<String>,
}

impl AuthedTerminal {
    pub fn may_access(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The scopes a terminal bound to `hall_id` may read, and write except where
/// [`crate::sync::SyncEngine::sync_doc`] says otherwise: its hall's records and the service catalogue
/// (which only fleet admin terminals may change).
pub fn scopes_for_hall(hall_id: &str) -> Vec<String> {
    vec![hall_scope(hall_id), CATALOGUE_SCOPE.to_string()]
}

/// A terminal id: what a profile may name it, never a path or a header injection.
pub fn valid_terminal_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn header<'a>(request: &'a Request, name: &'static str) -> Result<&'a str, ApiError> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.missing_header",
                format!("this request must be signed: the {name} header is missing"),
            )
        })
}

/// Middleware: verify the request's signature and freshness, then let the handler run with an
/// [`AuthedTerminal`]. The body is read here (its SM3 hash is signed) and handed on unchanged.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match verify_request(&state, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn verify_request(state: &AppState, request: Request) -> Result<Request, ApiError> {
    let terminal_id = header(&request, proto::TERMINAL_HEADER)?.to_string();
    let time_ms: i64 = header(&request, proto::TIME_HEADER)?.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "auth.bad_time",
            format!("{} must be Unix milliseconds", proto::TIME_HEADER),
        )
    })?;
    let nonce = header(&request, proto::NONCE_HEADER)?.to_string();
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "auth.bad_nonce",
            format!("{} must be 32 hex characters", proto::NONCE_HEADER),
        ));
    }
    let signature = header(&request, proto::SIGNATURE_HEADER)?.to_string();

    let terminal = state
        .engine
        .storage()
        .terminal(&terminal_id)
        .await
        .map_err(ApiError::storage)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.unenrolled",
                format!("terminal {terminal_id} is not enrolled here; enroll it with a token from an admin"),
            )
        })?;
    if terminal.revoked {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.revoked",
            format!("terminal {terminal_id} has been revoked by an admin"),
        ));
    }
    let now = state.clock.now_ms();
    if (now - time_ms).abs() > proto::MAX_CLOCK_SKEW_MS {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.stale",
            format!(
                "the request's time is {} s away from the server's; check the terminal's clock",
                (now - time_ms) / 1000
            ),
        ));
    }

    let (parts, body) = request.into_parts();
    let limit = body_limit(parts.uri.path());
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "sync.too_large",
            format!("request bodies are limited to {limit} bytes here"),
        )
    })?;
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let signed = proto::signing_string(
        parts.method.as_str(),
        target,
        &terminal_id,
        time_ms,
        &nonce,
        &banshi_crypto::sm3_hex(&body),
    );
    banshi_crypto::verify(&terminal.public_key, signed.as_bytes(), &signature).map_err(|_| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.bad_signature",
            "the request's signature does not match its content and the terminal's key",
        )
    })?;
    // Only a correctly signed request may use up a nonce, so nobody can block a terminal's nonces.
    let fresh = state
        .engine
        .storage()
        .remember_nonce(
            &terminal_id,
            &nonce,
            time_ms + proto::MAX_CLOCK_SKEW_MS,
            now,
        )
        .await
        .map_err(ApiError::storage)?;
    if !fresh {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.replayed",
            "this request was already received once (replayed nonce)",
        ));
    }

    let mut request = Request::from_parts(parts, Body::from(body));
    request.extensions_mut().insert(AuthedTerminal {
        scopes: scopes_for_hall(&terminal.hall_id),
        id: terminal.id,
        hall_id: terminal.hall_id,
        role: terminal.role,
    });
    Ok(request)
}

/// The most body a signed request to `path` may carry. The body is read (and hashed) before the
/// signature can be checked, so blob routes, whose bodies are at most one chunk, get a tight limit.
fn body_limit(path: &str) -> usize {
    if path.starts_with(proto::BLOBS_PATH_PREFIX) {
        proto::MAX_BLOB_REQUEST_BYTES
    } else {
        MAX_SYNC_MESSAGE_BYTES
    }
}

/// `POST /sync/v1/enroll`: redeem a token, bind the terminal's key to the token's hall.
pub async fn enroll(
    State(state): State<AppState>,
    body: Result<Json<proto::EnrollRequest>, JsonRejection>,
) -> Result<Json<proto::Enrolled>, ApiError> {
    let Json(req) = body?;
    if !valid_terminal_id(&req.terminal_id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "auth.bad_terminal_id",
            "terminal ids are 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    banshi_crypto::check_public_key(&req.public_key).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "auth.bad_public_key",
            "the public key is not a valid SM2 key (hex of the SEC1 uncompressed point)",
        )
    })?;
    let now = state.clock.now_ms();
    let token = state
        .engine
        .storage()
        .redeem_enrollment_token(&banshi_crypto::sm3_hex(req.token.trim().as_bytes()), now)
        .await
        .map_err(ApiError::storage)?
        .ok_or_else(|| {
            // One answer for unknown, used-up and expired tokens: a guesser learns nothing.
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.bad_token",
                "this enrollment token is unknown, used up or expired; ask an admin for a new one",
            )
        })?;
    state
        .engine
        .storage()
        .put_terminal(TerminalRecord {
            id: req.terminal_id.clone(),
            hall_id: token.hall_id.clone(),
            public_key: req.public_key.to_ascii_lowercase(),
            role: token.role,
            revoked: false,
            enrolled_at_ms: now,
            updated_at_ms: now,
        })
        .await
        .map_err(ApiError::storage)?;
    tracing::info!(terminal = %req.terminal_id, hall = %token.hall_id, role = token.role.as_str(), "terminal enrolled");
    Ok(Json(proto::Enrolled {
        terminal_id: req.terminal_id,
        scopes: scopes_for_hall(&token.hall_id),
        hall_id: token.hall_id,
        role: token.role.as_str().to_string(),
    }))
}

/// `GET /sync/v1/hall/terminals`: a relay learns which terminals of its hall to accept.
pub async fn hall_terminals(
    State(state): State<AppState>,
    Extension(who): Extension<AuthedTerminal>,
) -> Result<Json<Vec<proto::TerminalEntry>>, ApiError> {
    if who.role != TerminalRole::Relay {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.not_a_relay",
            "only a hall relay may list the hall's terminals",
        ));
    }
    let terminals = state
        .engine
        .storage()
        .terminals(Some(&who.hall_id))
        .await
        .map_err(ApiError::storage)?;
    Ok(Json(terminals.into_iter().map(terminal_entry).collect()))
}

pub fn terminal_entry(t: TerminalRecord) -> proto::TerminalEntry {
    proto::TerminalEntry {
        terminal_id: t.id,
        hall_id: t.hall_id,
        public_key: t.public_key,
        role: t.role.as_str().to_string(),
        status: if t.revoked { "revoked" } else { "active" }.to_string(),
    }
}

/// Admin operations on enrollment, used by the `banshi-server` command line and by tests.
pub mod admin {
    use super::*;
    use crate::storage::{ServerStorage, StorageError};
    use banshi_core::Clock;

    /// Create a token that enrolls up to `uses` terminals into `hall_id` within `ttl`; returns the token
    /// (shown once; only its hash is stored).
    pub async fn create_token(
        storage: &dyn ServerStorage,
        clock: &dyn Clock,
        hall_id: &str,
        role: TerminalRole,
        uses: u32,
        ttl: std::time::Duration,
    ) -> Result<String, StorageError> {
        let raw: [u8; 16] =
            banshi_crypto::random_bytes().map_err(|e| StorageError::Task(e.to_string()))?;
        let token = hex::encode(raw);
        let now = clock.now_ms();
        storage
            .create_enrollment_token(EnrollmentToken {
                token_sm3: banshi_crypto::sm3_hex(token.as_bytes()),
                hall_id: hall_id.to_string(),
                role,
                uses_left: i64::from(uses),
                expires_at_ms: now + ttl.as_millis() as i64,
                created_at_ms: now,
            })
            .await?;
        Ok(token)
    }

    /// Revoke a terminal: every later request is refused and the terminal purges what it holds.
    pub async fn revoke(
        storage: &dyn ServerStorage,
        clock: &dyn Clock,
        terminal_id: &str,
    ) -> Result<bool, StorageError> {
        update(storage, clock, terminal_id, |t| t.revoked = true).await
    }

    /// Bind a terminal to another hall: it loses the old hall's scopes (and purges their records).
    pub async fn move_to_hall(
        storage: &dyn ServerStorage,
        clock: &dyn Clock,
        terminal_id: &str,
        hall_id: &str,
    ) -> Result<bool, StorageError> {
        update(storage, clock, terminal_id, |t| {
            t.hall_id = hall_id.to_string()
        })
        .await
    }

    async fn update(
        storage: &dyn ServerStorage,
        clock: &dyn Clock,
        terminal_id: &str,
        change: impl FnOnce(&mut TerminalRecord),
    ) -> Result<bool, StorageError> {
        let Some(mut t) = storage.terminal(terminal_id).await? else {
            return Ok(false);
        };
        change(&mut t);
        t.updated_at_ms = clock.now_ms();
        storage.put_terminal(t).await?;
        Ok(true)
    }
}
