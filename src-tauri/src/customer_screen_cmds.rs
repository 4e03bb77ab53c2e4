//! Tauri commands for the window's customer-facing screen, the same operations as the local API's
//! `customer_screen_routes.rs`: the clerk's desk shows a case on it or clears it (with the staff session token);
//! the screen's own window reads what it shows and answers the offer on it, without a session.
//!
//! The screen is a second window of the app (label [`CUSTOMER_WINDOW`]) on the monitor the profile names
//! (`ui.customer_screen_monitor`), full screen there; with one monitor it opens as an ordinary window beside the
//! desk so nothing is lost on a desk that lacks the second screen.

use std::sync::Arc;

use banshi_core::rating::RatingInput;
use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::{CustomerOffer, CustomerScreenView, RatingView, Terminal};
use base64::Engine;
use tauri::{Manager, State, WebviewUrl, WebviewWindowBuilder};

/// The customer screen's window label.
pub const CUSTOMER_WINDOW: &str = "customer";

type Term<'a> = State<'a, Arc<Terminal>>;
type Answer<T> = Result<T, ErrorBody>;

fn body(e: banshi_terminal::TerminalError) -> ErrorBody {
    e.to_body()
}

#[tauri::command]
pub async fn customer_screen(terminal: Term<'_>) -> Answer<CustomerScreenView> {
    terminal.customer_screen().await.map_err(body)
}

#[tauri::command]
pub async fn customer_screen_show(
    terminal: Term<'_>,
    token: Option<String>,
    case_id: String,
    show: CustomerOffer,
) -> Answer<CustomerScreenView> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .show_on_customer_screen(&actor, &case_id, show)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn customer_screen_clear(
    terminal: Term<'_>,
    token: Option<String>,
) -> Answer<CustomerScreenView> {
    let actor = terminal.actor(token.as_deref());
    terminal.clear_customer_screen(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn customer_screen_sign(
    terminal: Term<'_>,
    offer: String,
    png: String,
) -> Answer<CustomerScreenView> {
    let png = base64::engine::general_purpose::STANDARD
        .decode(png.trim())
        .map_err(|_| ErrorBody::new("api.bad_request", "the signature is not valid base64"))?;
    terminal
        .customer_screen_sign(&offer, png)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn customer_screen_dispute(
    terminal: Term<'_>,
    offer: String,
) -> Answer<CustomerScreenView> {
    terminal.customer_screen_dispute(&offer).await.map_err(body)
}

#[tauri::command]
pub async fn customer_screen_rate(
    terminal: Term<'_>,
    offer: String,
    input: RatingInput,
) -> Answer<RatingView> {
    terminal
        .customer_screen_rate(&offer, input)
        .await
        .map_err(body)
}

/// Open the customer screen's window on monitor `monitor` (full screen there), or beside the desk when the
/// machine has fewer monitors.
pub fn open_window(app: &tauri::App, monitor: u8, title: &str) -> tauri::Result<()> {
    let url = WebviewUrl::App("index.html#/customer".into());
    let builder = WebviewWindowBuilder::new(app, CUSTOMER_WINDOW, url).title(title);
    let monitors = app
        .get_webview_window("main")
        .map(|w| w.available_monitors())
        .transpose()?
        .unwrap_or_default();
    match monitors.get(usize::from(monitor)) {
        Some(screen) => {
            let at = screen.position().to_logical::<f64>(screen.scale_factor());
            builder
                .position(at.x, at.y)
                .fullscreen(true)
                .decorations(false)
                .build()?;
        }
        None => {
            tracing::warn!(
                monitor,
                found = monitors.len(),
                "the customer screen's monitor is missing: opening it as a window"
            );
            builder.inner_size(1024.0, 768.0).build()?;
        }
    }
    Ok(())
}
