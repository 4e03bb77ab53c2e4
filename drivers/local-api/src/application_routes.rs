//! Applications over HTTP (`banshi serve` and browser kiosks): the catalogue, cases, decisions, progress
//! lookup and ratings.
//!
//! Thin, like the other route modules: each handler hands the caller's actor to the [`Terminal`], which checks
//! who may do what *by run mode* (a resident at a self-service kiosk, a clerk with `serve-window` at a window,
//! field staff with `field-intake` in the field). That is why these routes carry no permission in
//! [`crate::ROUTE_TABLE`] except publishing the catalogue. ID numbers travel in request bodies, never in URLs,
//! so they cannot reach an access log.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use banshi_core::application::{Collection, Decision, NoticeKind, NoticeRecord, PreReview};
use banshi_core::catalogue::{Answers, Catalogue, Item};
use banshi_core::rating::{RatingChannel, RatingInput};
use banshi_core::ErrorBody;
use banshi_terminal::{
    ApplicantCardView, ApplicantInput, ApplicationPatch, CaseSummaryView, CaseView,
    EvaluatorOutcome, ProgressView, RatingView, Terminal,
};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::device_routes::json_or_default;
use crate::routes::ApiError;
use crate::staff_routes::Caller;

type Shared = State<Arc<Terminal>>;

/// Ten scanned pages in base64 fit with room to spare; the terminal limits pages again.
const MAX_PAGES_BODY: usize = 48 * 1024 * 1024;

pub(crate) fn router(terminal: Arc<Terminal>) -> Router {
    let pages = Router::new()
        .route("/api/cases/{id}/pages", post(add_pages))
        .route("/api/cases/{id}/signature", post(sign))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_PAGES_BODY));
    Router::new()
        .route("/api/catalogue", get(catalogue).put(publish_catalogue))
        .route("/api/catalogue/search", get(search))
        .route("/api/cases", get(open_cases).post(start_case))
        .route("/api/cases/lookup", post(lookup))
        .route("/api/cases/card", post(read_card))
        .route("/api/cases/{id}", get(case))
        .route("/api/cases/{id}/draft", post(save_draft))
        .route("/api/cases/{id}/materials/{material}", post(mark_material))
        .route("/api/cases/{id}/capture", post(capture))
        .route("/api/cases/{id}/submit", post(submit))
        .route("/api/cases/{id}/decision", post(decide))
        .route("/api/cases/{id}/pre-review", post(pre_review))
        .route("/api/cases/{id}/rating", post(rate))
        .route(
            "/api/cases/{id}/rating/evaluator",
            post(rate_with_evaluator),
        )
        .route("/api/cases/{id}/notices", post(issue_notice))
        .route("/api/progress/{number}", get(progress))
        .route("/api/progress/scan", post(progress_by_scan))
        .merge(pages)
        .with_state(terminal)
}

async fn catalogue(State(t): Shared) -> Result<Json<Catalogue>, ApiError> {
    Ok(Json(Catalogue::clone(&*t.catalogue().await?)))
}

#[derive(Serialize)]
struct Published {
    version: u32,
}

/// The body is the catalogue TOML itself.
async fn publish_catalogue(
    State(t): Shared,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Published>, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new("api.bad_request", "the catalogue must be UTF-8 TOML"),
        )
    })?;
    let version = t.publish_catalogue(&caller.actor, text).await?;
    Ok(Json(Published { version }))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Items matching a name, pinyin initials or code, best first.
async fn search(
    State(t): Shared,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Vec<Item>>, ApiError> {
    let catalogue = t.catalogue().await?;
    Ok(Json(
        catalogue.search(&query.q).into_iter().cloned().collect(),
    ))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct StartCase {
    item_code: String,
    /// Typed by a clerk.
    applicant: Option<ApplicantInput>,
    /// A card read at this desk (`POST /api/cases/card`). Without this or `applicant`, the ID card on this
    /// terminal's reader is read (the kiosk).
    card_token: Option<String>,
}

async fn start_case(
    State(t): Shared,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let start: StartCase = json_or_default(&body)?;
    let view = match (start.applicant, start.card_token) {
        (Some(applicant), _) => {
            t.start_application(&caller.actor, &start.item_code, applicant)
                .await?
        }
        (None, Some(token)) => {
            t.start_application_for_card(&caller.actor, &start.item_code, &token)
                .await?
        }
        (None, None) => {
            t.start_application_with_card(&caller.actor, &start.item_code)
                .await?
        }
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// A window or field desk reads the applicant's card: the person's cases and a token to start new ones.
async fn read_card(State(t): Shared, caller: Caller) -> Result<Json<ApplicantCardView>, ApiError> {
    Ok(Json(t.read_applicant_card(&caller.actor).await?))
}

async fn open_cases(
    State(t): Shared,
    caller: Caller,
) -> Result<Json<Vec<CaseSummaryView>>, ApiError> {
    Ok(Json(t.open_cases(&caller.actor).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Lookup {
    id_number: String,
}

/// The applicant's cases, by the ID number a window read from the card.
async fn lookup(
    State(t): Shared,
    caller: Caller,
    body: Bytes,
) -> Result<Json<Vec<CaseSummaryView>>, ApiError> {
    let lookup: Lookup = json_or_default(&body)?;
    Ok(Json(
        t.cases_for_applicant(&caller.actor, &lookup.id_number)
            .await?,
    ))
}

async fn case(State(t): Shared, Path(id): Path<String>) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(t.case_view(&id).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Draft {
    answers: Option<Answers>,
    form: Option<BTreeMap<String, String>>,
    collection: Option<Collection>,
}

async fn save_draft(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let draft: Draft = json_or_default(&body)?;
    let patch = ApplicationPatch {
        answers: draft.answers,
        form: draft.form,
        collection: draft.collection,
    };
    Ok(Json(t.save_application(&caller.actor, &id, patch).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Pages {
    material_id: String,
    /// JPEG or PNG pages, base64.
    pages: Vec<String>,
}

pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| {
            ApiError(
                StatusCode::BAD_REQUEST,
                ErrorBody::new("api.bad_request", "a page is not valid base64"),
            )
        })
}

async fn add_pages(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let pages: Pages = json_or_default(&body)?;
    let bytes = pages
        .pages
        .iter()
        .map(|p| decode_base64(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(
        t.add_material_pages(&caller.actor, &id, &pages.material_id, bytes)
            .await?,
    ))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Signature {
    png: String,
}

async fn sign(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let signature: Signature = json_or_default(&body)?;
    let png = decode_base64(&signature.png)?;
    Ok(Json(t.sign_application(&caller.actor, &id, png).await?))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct MaterialMark {
    paper_received: bool,
    reviewed: bool,
}

async fn mark_material(
    State(t): Shared,
    caller: Caller,
    Path((id, material)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let mark: MaterialMark = json_or_default(&body)?;
    Ok(Json(
        t.mark_material(
            &caller.actor,
            &id,
            &material,
            mark.paper_received,
            mark.reviewed,
        )
        .await?,
    ))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Capture {
    material_id: String,
}

/// One page from this terminal's document camera into the material.
async fn capture(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let capture: Capture = json_or_default(&body)?;
    Ok(Json(
        t.capture_material_page(&caller.actor, &id, &capture.material_id)
            .await?,
    ))
}

async fn submit(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(t.submit_application(&caller.actor, &id).await?))
}

async fn decide(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let decision: Decision = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new("api.bad_request", e.to_string()),
        )
    })?;
    Ok(Json(
        t.decide_application(&caller.actor, &id, decision).await?,
    ))
}

/// `{"verdict": "pass"|"reject", "opinion": …}`.
async fn pre_review(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let verdict: PreReview = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new("api.bad_request", e.to_string()),
        )
    })?;
    Ok(Json(
        t.pre_review_application(&caller.actor, &id, verdict)
            .await?,
    ))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Rate {
    #[serde(flatten)]
    input: RatingInput,
    channel: Option<RatingChannel>,
}

async fn rate(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<RatingView>), ApiError> {
    let rate: Rate = json_or_default(&body)?;
    let channel = rate.channel.unwrap_or(RatingChannel::Kiosk);
    let view = t
        .rate_case_from_screen(&caller.actor, &id, rate.input, channel)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Lights the window's evaluator and waits for the applicant's key (up to a minute).
async fn rate_with_evaluator(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EvaluatorOutcome>, ApiError> {
    Ok(Json(t.rate_case_with_evaluator(&caller.actor, &id).await?))
}

#[derive(Deserialize)]
struct NoticeRequest {
    kind: NoticeKind,
}

/// Make (again) and print a notice of the case: a reprint, or the material list in two copies.
async fn issue_notice(
    State(t): Shared,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<NoticeRecord>), ApiError> {
    let request: NoticeRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            ErrorBody::new("api.bad_request", e.to_string()),
        )
    })?;
    let record = t.issue_notice(&caller.actor, &id, request.kind).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// Waits (up to 30 s) for a receipt's QR under the terminal's scanner, then answers its case's progress.
async fn progress_by_scan(State(t): Shared) -> Result<Json<ProgressView>, ApiError> {
    Ok(Json(t.scan_case_progress().await?))
}

async fn progress(
    State(t): Shared,
    Path(number): Path<String>,
) -> Result<Json<ProgressView>, ApiError> {
    Ok(Json(t.case_progress(&number).await?))
}
