//! The window's customer-facing screen over HTTP (`banshi serve`; in the app the same operations are Tauri
//! commands). Two sides:
//!
//! - the clerk's: `POST /api/window/customer-screen` `{"case_id", "show": "confirm"|"rate"}` and
//!   `POST /api/window/customer-screen/clear`, with `serve-window`;
//! - the screen's: `GET /api/customer-screen` and the answers `POST /api/customer-screen/signature`
//!   `{"offer", "png"}`, `/dispute` `{"offer"}` and `/rating` `{"offer", "grade", "reasons", …}`. No login: the
//!   applicant at the desk uses them, and the terminal accepts an answer only for the offer on the screen
//!   (`banshi_terminal`'s `customer_screen_ops`), so they reach nothing else.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_core::rating::RatingInput;
use banshi_core::ErrorBody;
use banshi_terminal::{CustomerOffer, CustomerScreenView, RatingView, Terminal};
use serde::Deserialize;

use crate::application_routes::decode_base64;
use crate::device_routes::json_or_default;
use crate::routes::ApiError;
use crate::staff_routes::Caller;

type Shared = State<Arc<Terminal>>;

/// A signature pad's PNG is tens of kilobytes; the terminal refuses more than 8 MiB of image anyway.
const MAX_SIGNATURE_BODY: usize = 12 * 1024 * 1024;

pub(crate) fn router(terminal: Arc<Terminal>) -> Router {
    let signature = Router::new()
        .route("/api/customer-screen/signature", post(sign))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_SIGNATURE_BODY));
    Router::new()
        .route("/api/window/customer-screen", post(show))
        .route("/api/window/customer-screen/clear", post(clear))
        .route("/api/customer-screen", get(screen))
        .route("/api/customer-screen/dispute", post(dispute))
        .route("/api/customer-screen/rating", post(rate))
        .merge(signature)
        .with_state(terminal)
}

#[derive(Deserialize)]
struct Show {
    case_id: String,
    show: CustomerOffer,
}

async fn show(
    State(t): Shared,
    caller: Caller,
    body: Bytes,
) -> Result<Json<CustomerScreenView>, ApiError> {
    let show: Show = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new(
                "api.bad_request",
                format!("expected {{\"case_id\": …, \"show\": \"confirm\"|\"rate\"}}: {e}"),
            ),
        )
    })?;
    Ok(Json(
        t.show_on_customer_screen(&caller.actor, &show.case_id, show.show)
            .await?,
    ))
}

async fn clear(State(t): Shared, caller: Caller) -> Result<Json<CustomerScreenView>, ApiError> {
    Ok(Json(t.clear_customer_screen(&caller.actor).await?))
}

async fn screen(State(t): Shared) -> Result<Json<CustomerScreenView>, ApiError> {
    Ok(Json(t.customer_screen().await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Signature {
    offer: String,
    /// Base64 PNG from the screen's pad.
    png: String,
}

async fn sign(State(t): Shared, body: Bytes) -> Result<Json<CustomerScreenView>, ApiError> {
    let signature: Signature = json_or_default(&body)?;
    let png = decode_base64(&signature.png)?;
    Ok(Json(t.customer_screen_sign(&signature.offer, png).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Offer {
    offer: String,
}

async fn dispute(State(t): Shared, body: Bytes) -> Result<Json<CustomerScreenView>, ApiError> {
    let offer: Offer = json_or_default(&body)?;
    Ok(Json(t.customer_screen_dispute(&offer.offer).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Rate {
    offer: String,
    #[serde(flatten)]
    input: RatingInput,
}

async fn rate(State(t): Shared, body: Bytes) -> Result<(StatusCode, Json<RatingView>), ApiError> {
    let rate: Rate = json_or_default(&body)?;
    let view = t.customer_screen_rate(&rate.offer, rate.input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}
