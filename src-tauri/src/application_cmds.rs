//! Tauri commands for applications: the same operations as the local API's application routes
//! (`drivers/local-api/src/application_routes.rs`), over IPC. Each takes the optional staff session token; the
//! terminal decides by run mode who may act (a resident at a kiosk, a clerk at a window, field staff).

use std::sync::Arc;

use banshi_core::application::{Decision, NoticeKind, NoticeRecord, PreReview};
use banshi_core::catalogue::{Catalogue, Item};
use banshi_core::rating::{RatingChannel, RatingInput};
use banshi_core::{ErrorBody, ErrorCode};
use banshi_terminal::{
    ApplicantCardView, ApplicantInput, ApplicationPatch, BundleExportView, CaseSummaryView,
    CaseView, EvaluatorOutcome, ProgressView, RatingView, Terminal,
};
use base64::Engine;
use tauri::State;

type Term<'a> = State<'a, Arc<Terminal>>;
type Answer<T> = Result<T, ErrorBody>;

fn body(e: banshi_terminal::TerminalError) -> ErrorBody {
    e.to_body()
}

fn decode(text: &str) -> Answer<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| ErrorBody::new("api.bad_request", "a page is not valid base64"))
}

#[tauri::command]
pub async fn catalogue(terminal: Term<'_>) -> Answer<Catalogue> {
    Ok(Catalogue::clone(
        &*terminal.catalogue().await.map_err(body)?,
    ))
}

#[tauri::command]
pub async fn catalogue_search(terminal: Term<'_>, q: String) -> Answer<Vec<Item>> {
    let catalogue = terminal.catalogue().await.map_err(body)?;
    Ok(catalogue.search(&q).into_iter().cloned().collect())
}

#[tauri::command]
pub async fn catalogue_publish(
    terminal: Term<'_>,
    token: Option<String>,
    toml: String,
) -> Answer<u32> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .publish_catalogue(&actor, &toml)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_start(
    terminal: Term<'_>,
    token: Option<String>,
    item_code: String,
    applicant: Option<ApplicantInput>,
    card_token: Option<String>,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    match (applicant, card_token) {
        (Some(a), _) => terminal.start_application(&actor, &item_code, a).await,
        (None, Some(card)) => {
            terminal
                .start_application_for_card(&actor, &item_code, &card)
                .await
        }
        (None, None) => {
            terminal
                .start_application_with_card(&actor, &item_code)
                .await
        }
    }
    .map_err(body)
}

/// A window or field desk reads the applicant's card: the person's cases and a token to start new ones.
#[tauri::command]
pub async fn case_read_card(
    terminal: Term<'_>,
    token: Option<String>,
) -> Answer<ApplicantCardView> {
    let actor = terminal.actor(token.as_deref());
    terminal.read_applicant_card(&actor).await.map_err(body)
}

/// Light the window's evaluator for a case and wait for the applicant's key.
#[tauri::command]
pub async fn case_rate_evaluator(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
) -> Answer<EvaluatorOutcome> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .rate_case_with_evaluator(&actor, &id)
        .await
        .map_err(body)
}

/// The field screen's 导出: a bundle of everything not yet synced, on the removable media.
#[tauri::command]
pub async fn sync_export(
    terminal: Term<'_>,
    token: Option<String>,
    passphrase: String,
) -> Answer<BundleExportView> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .export_bundle_to_folder(&actor, &passphrase)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_get(terminal: Term<'_>, id: String) -> Answer<CaseView> {
    terminal.case_view(&id).await.map_err(body)
}

#[tauri::command]
pub async fn case_open_list(
    terminal: Term<'_>,
    token: Option<String>,
) -> Answer<Vec<CaseSummaryView>> {
    let actor = terminal.actor(token.as_deref());
    terminal.open_cases(&actor).await.map_err(body)
}

#[tauri::command]
pub async fn case_lookup(
    terminal: Term<'_>,
    token: Option<String>,
    id_number: String,
) -> Answer<Vec<CaseSummaryView>> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .cases_for_applicant(&actor, &id_number)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_save_draft(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    patch: ApplicationPatch,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .save_application(&actor, &id, patch)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_capture(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    material_id: String,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .capture_material_page(&actor, &id, &material_id)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_add_pages(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    material_id: String,
    pages: Vec<String>,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    let pages = pages
        .iter()
        .map(|p| decode(p))
        .collect::<Result<Vec<_>, _>>()?;
    terminal
        .add_material_pages(&actor, &id, &material_id, pages)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_sign(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    png: String,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    let png = decode(&png)?;
    terminal
        .sign_application(&actor, &id, png)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_mark_material(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    material_id: String,
    paper_received: bool,
    reviewed: bool,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .mark_material(&actor, &id, &material_id, paper_received, reviewed)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_submit(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    terminal.submit_application(&actor, &id).await.map_err(body)
}

#[tauri::command]
pub async fn case_decide(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    decision: Decision,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .decide_application(&actor, &id, decision)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_pre_review(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    verdict: PreReview,
) -> Answer<CaseView> {
    let actor = terminal.actor(token.as_deref());
    terminal
        .pre_review_application(&actor, &id, verdict)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_rate(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    input: RatingInput,
    channel: Option<RatingChannel>,
) -> Answer<RatingView> {
    let actor = terminal.actor(token.as_deref());
    let channel = channel.unwrap_or(RatingChannel::Kiosk);
    terminal
        .rate_case_from_screen(&actor, &id, input, channel)
        .await
        .map_err(body)
}

#[tauri::command]
pub async fn case_progress(terminal: Term<'_>, number: String) -> Answer<ProgressView> {
    terminal.case_progress(&number).await.map_err(body)
}

#[tauri::command]
pub async fn case_progress_scan(terminal: Term<'_>) -> Answer<ProgressView> {
    terminal.scan_case_progress().await.map_err(body)
}

#[tauri::command]
pub async fn case_notice(
    terminal: Term<'_>,
    token: Option<String>,
    id: String,
    kind: NoticeKind,
) -> Answer<NoticeRecord> {
    let actor = terminal.actor(token.as_deref());
    terminal.issue_notice(&actor, &id, kind).await.map_err(body)
}
