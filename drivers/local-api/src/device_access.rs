//! Who may use the terminal's devices through the local API (brief §4.9).
//!
//! Existing government web apps in the terminal's browser call the device API at
//! `/api/device/v1/…` on a loopback address. Reading an ID card from any page the browser happens to show
//! would be a disaster, so every device route passes four checks, in this order:
//!
//! 1. **The peer is this machine.** `banshi serve` may listen on the hall LAN for a call screen on a TV;
//!    the device routes still answer only loopback peers (`device_api.not_local`).
//! 2. **The `Host` is a loopback name** (`127.0.0.1`, `localhost`, `[::1]`). A web page that re-points its own
//!    domain at 127.0.0.1 (DNS rebinding) keeps its domain in `Host` and is refused (`device_api.bad_host`).
//! 3. **The `Origin`, when the browser sends one, is allowed**: the profile's `sdk.allowed_origins`, or the
//!    local API's own origin (the app's UI in a plain browser). Anything else gets `device_api.origin_refused`
//!    (readable by the page, so its developers see why) and its preflights get no CORS headers, so the
//!    browser sends it nothing but simple requests, which are refused here before any handler runs.
//!    Requests without `Origin` come from local programs, not web pages; they still need a session.
//! 4. **A live session token** (`Authorization: Bearer …`, or `?token=` on the WebSocket, where browsers cannot
//!    set headers). `POST /api/device/v1/session` hands one out to an allowed caller; it is bound to the caller's
//!    origin and lapses after `sdk.session_idle_minutes` without use (`device_api.no_session`).
//!
//! Sessions live in memory only: a restarted terminal forgets them and the SDK opens a new one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use banshi_core::{Clock, ErrorBody};
use banshi_profile::SdkSettings;
use time::OffsetDateTime;

/// The most sessions kept at once; the oldest idle ones go first. A kiosk has a handful of pages open.
const MAX_SESSIONS: usize = 64;

/// One open session.
#[derive(Debug, Clone)]
struct Session {
    /// The origin that opened it (`None`: a local program without `Origin`).
    origin: Option<String>,
    last_used: OffsetDateTime,
}

/// The allow-list and the open sessions.
#[derive(Debug)]
pub struct DeviceAccess {
    allowed_origins: Vec<String>,
    idle: time::Duration,
    clock: Arc<dyn Clock>,
    sessions: Mutex<HashMap<String, Session>>,
}

/// A refusal: the status and the `{code, message}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody::new(self.code, self.message))).into_response()
    }
}

/// A session as handed to the caller.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionGrant {
    pub token: String,
    pub idle_timeout_secs: i64,
}

impl DeviceAccess {
    pub fn new(sdk: &SdkSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            allowed_origins: sdk.allowed_origins.clone(),
            idle: time::Duration::minutes(i64::from(sdk.session_idle_minutes)),
            clock,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Checks 1–3: may this request talk to the device API at all? Returns the caller's origin.
    pub fn admit(&self, peer: SocketAddr, headers: &HeaderMap) -> Result<Option<String>, Refusal> {
        if !peer.ip().is_loopback() {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "device_api.not_local",
                "the device API answers programs on this terminal only",
            ));
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !is_loopback_host(host) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "device_api.bad_host",
                "the device API must be addressed as 127.0.0.1 or localhost",
            ));
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(None);
        };
        let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
        if self.origin_allowed(origin, host) {
            Ok(Some(origin.to_owned()))
        } else {
            Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "device_api.origin_refused",
                format!("web origin {origin:?} is not in this terminal's sdk.allowed_origins"),
            ))
        }
    }

    /// The profile's allow-list, plus the API's own origin (the app's UI served by this API).
    fn origin_allowed(&self, origin: &str, host: &str) -> bool {
        let own = origin
            .strip_prefix("http://")
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host));
        own || self.allowed_origins.iter().any(|o| o == origin)
    }

    /// Open a session for an admitted caller.
    pub fn open_session(&self, origin: Option<String>) -> Result<SessionGrant, Refusal> {
        let token = banshi_crypto::random_bytes::<24>()
            .map(hex::encode)
            .map_err(|_| {
                Refusal::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "device_api.no_randomness",
                    "the terminal could not make a session token",
                )
            })?;
        let now = self.clock.now();
        let mut sessions = self.lock();
        sessions.retain(|_, s| now - s.last_used < self.idle);
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(t, _)| t.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            token.clone(),
            Session {
                origin,
                last_used: now,
            },
        );
        Ok(SessionGrant {
            token,
            idle_timeout_secs: self.idle.whole_seconds(),
        })
    }

    /// Check 4: a live session opened by the same origin. Touches it.
    pub fn check_session(&self, token: Option<&str>, origin: Option<&str>) -> Result<(), Refusal> {
        let refused = || {
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                "device_api.no_session",
                "open a device session first (POST /api/device/v1/session)",
            )
        };
        let token = token.ok_or_else(refused)?;
        let now = self.clock.now();
        let mut sessions = self.lock();
        let session = sessions.get_mut(token).ok_or_else(refused)?;
        if now - session.last_used >= self.idle {
            sessions.remove(token);
            return Err(refused());
        }
        if session.origin.as_deref() != origin {
            return Err(refused());
        }
        session.last_used = now;
        Ok(())
    }

    /// End a session (the SDK's `close()`).
    pub fn close_session(&self, token: &str) {
        self.lock().remove(token);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        // `[::1]:8400` or `127.0.0.1:8400`; a bare `::1` has no brackets and is not a valid Host anyway.
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "[::1]"
    )
}

/// The bearer token of a request: the `Authorization` header, or `token` in the query (WebSocket).
pub fn request_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        return value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
    }
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_owned)
}

/// Middleware for every device route: admission, CORS, and (except for opening a session) the session.
pub async fn guard(
    State(access): State<Arc<DeviceAccess>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let origin = match access.admit(peer, request.headers()) {
        Ok(origin) => origin,
        Err(refusal) => {
            tracing::warn!(code = refusal.code, peer = %peer, path = request.uri().path(), "device API refused");
            // A page from an unlisted origin may read *why* it was refused (so its developers see
            // `device_api.origin_refused` rather than a bare network error), never anything else: nothing
            // past this point ran, and a refused preflight carries no CORS headers, so the browser sends
            // no request that needs one.
            let readable =
                refusal.code == "device_api.origin_refused" && request.method() != Method::OPTIONS;
            let origin = request
                .headers()
                .get(header::ORIGIN)
                .and_then(|o| o.to_str().ok())
                .map(str::to_owned);
            let response = refusal.into_response();
            return if readable {
                with_cors(response, origin.as_deref())
            } else {
                response
            };
        }
    };
    if request.method() == Method::OPTIONS {
        return with_cors(StatusCode::NO_CONTENT.into_response(), origin.as_deref());
    }
    let opening = request.uri().path().ends_with("/session") && request.method() == Method::POST;
    if !opening {
        let token = request_token(request.headers(), request.uri().query());
        if let Err(refusal) = access.check_session(token.as_deref(), origin.as_deref()) {
            return with_cors(refusal.into_response(), origin.as_deref());
        }
    }
    let response = next.run(request).await;
    with_cors(response, origin.as_deref())
}

/// CORS headers for an admitted cross-origin caller. Refused origins never get here, so they get none.
fn with_cors(mut response: Response, origin: Option<&str>) -> Response {
    let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return response;
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use banshi_core::ManualClock;

    fn access(clock: Arc<ManualClock>) -> DeviceAccess {
        DeviceAccess::new(
            &SdkSettings {
                allowed_origins: vec!["http://10.1.2.3:8080".into()],
                session_idle_minutes: 15,
            },
            clock,
        )
    }

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    fn local() -> SocketAddr {
        "127.0.0.1:50000".parse().unwrap()
    }

    fn clock() -> Arc<ManualClock> {
        Arc::new(ManualClock::new(
            time::macros::datetime!(2026-11-24 09:00 UTC),
        ))
    }

    #[test]
    fn only_loopback_peers_and_loopback_host_names_are_admitted() {
        let a = access(clock());
        let lan: SocketAddr = "10.1.2.3:50000".parse().unwrap();
        let h = headers("127.0.0.1:8400", None);
        assert_eq!(a.admit(lan, &h).unwrap_err().code, "device_api.not_local");
        assert_eq!(a.admit(local(), &h), Ok(None));
        assert!(a.admit(local(), &headers("localhost:8400", None)).is_ok());
        assert!(a.admit(local(), &headers("[::1]:8400", None)).is_ok());
        // DNS rebinding: the attacker's name resolves to 127.0.0.1 but stays in Host.
        let rebound = headers("evil.example:8400", Some("http://evil.example:8400"));
        assert_eq!(
            a.admit(local(), &rebound).unwrap_err().code,
            "device_api.bad_host"
        );
    }

    #[test]
    fn origins_must_be_listed_or_be_the_apis_own() {
        let a = access(clock());
        let ok = headers("127.0.0.1:8400", Some("http://10.1.2.3:8080"));
        assert_eq!(
            a.admit(local(), &ok),
            Ok(Some("http://10.1.2.3:8080".into()))
        );
        let own = headers("127.0.0.1:8400", Some("http://127.0.0.1:8400"));
        assert!(a.admit(local(), &own).is_ok());
        let other_port = headers("127.0.0.1:8400", Some("http://10.1.2.3:9090"));
        assert_eq!(
            a.admit(local(), &other_port).unwrap_err().code,
            "device_api.origin_refused"
        );
        let null = headers("127.0.0.1:8400", Some("null"));
        assert_eq!(
            a.admit(local(), &null).unwrap_err().code,
            "device_api.origin_refused"
        );
    }

    #[test]
    fn a_session_is_bound_to_its_origin_and_lapses_when_idle() {
        let clock = clock();
        let a = access(Arc::clone(&clock));
        let origin = Some("http://10.1.2.3:8080");
        let grant = a.open_session(origin.map(str::to_owned)).unwrap();
        assert_eq!(grant.idle_timeout_secs, 900);
        assert!(a.check_session(Some(&grant.token), origin).is_ok());
        assert_eq!(
            a.check_session(Some(&grant.token), Some("http://127.0.0.1:8400"))
                .unwrap_err()
                .code,
            "device_api.no_session",
            "another origin cannot borrow the token"
        );
        assert!(a.check_session(Some("not-a-token"), origin).is_err());
        assert!(a.check_session(None, origin).is_err());

        // Use keeps it alive; 15 minutes of silence ends it.
        clock.advance(time::Duration::minutes(14));
        assert!(a.check_session(Some(&grant.token), origin).is_ok());
        clock.advance(time::Duration::minutes(15));
        assert!(a.check_session(Some(&grant.token), origin).is_err());

        let grant = a.open_session(None).unwrap();
        a.close_session(&grant.token);
        assert!(a.check_session(Some(&grant.token), None).is_err());
    }

    #[test]
    fn tokens_come_from_the_header_or_the_websocket_query() {
        let mut h = HeaderMap::new();
        assert_eq!(request_token(&h, Some("a=1&token=abc")), Some("abc".into()));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xyz"),
        );
        assert_eq!(request_token(&h, Some("token=abc")), Some("xyz".into()));
        assert_eq!(request_token(&HeaderMap::new(), None), None);
    }
}
