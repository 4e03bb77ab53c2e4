//! The terminal's local API: HTTP + WebSocket on a loopback address, with the UI served at `/`.
//!
//! This is how the UI reaches the backend when it runs in a plain browser (`banshi serve`: browser tests,
//! call screens on a hall TV), and the seam the device SDK for existing government web apps (brief §4.9)
//! grows from. Inside the app the same operations are Tauri commands; both call [`banshi_terminal`]
//! and return the same JSON, so the UI's one adapter (`ui/src/backend`) only switches transport.
//!
//! Routes: `GET /api/status`, `GET /api/tickets`, `POST /api/tickets` `{"category":"A"}`,
//! `GET /api/sync/pending` (the records the server does not hold yet, each with its reason),
//! `POST /api/sync/export` `{"passphrase":…}` (a field laptop's bundle for removable media),
//! `GET /api/events` (WebSocket, one JSON event per message); anything else is a UI asset, with
//! `index.html` for `/`. Errors are `{code, message}` with a fitting status.
//!
//! The device API for web apps and the JS SDK lives under `/api/device/v1` ([`device_routes`]), behind
//! its own access checks ([`device_access`]): loopback peers, loopback host names, allowed origins and
//! a session token. `docs/device-api.md` documents it.

mod application_routes;
mod assets;
mod customer_screen_routes;
pub mod device_access;
mod device_routes;
mod fleet_routes;
mod kiosk_routes;
mod queue_routes;
mod routes;
mod staff_routes;

pub use assets::{DirAssets, UiAssets};
pub use device_routes::MAX_DEVICE_BODY;
pub use routes::router;
pub use staff_routes::ROUTE_TABLE;

use std::sync::Arc;

use banshi_terminal::Terminal;

/// Serve the API and UI on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    terminal: Arc<Terminal>,
    ui: Arc<dyn UiAssets>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The device API needs the peer address to refuse other hosts.
    axum::serve(
        listener,
        router(terminal, ui).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serve only the plain TV call page (`/tv`, `/tv/calls.json`) on `listener`, which may face the hall LAN:
/// no personal data and no other route is reachable through it.
pub async fn serve_tv(
    listener: tokio::net::TcpListener,
    terminal: Arc<Terminal>,
    ui: Arc<dyn UiAssets>,
) -> std::io::Result<()> {
    axum::serve(listener, queue_routes::tv_router(terminal, ui)).await
}
