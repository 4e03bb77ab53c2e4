//! The page a resident's phone opens from the QR on a receipt or notice (`GET /c/{number}`, the URL the
//! terminals print: `<sync server>/c/<case number>`): the case's progress, with no personal data (what the
//! kiosk's progress lookup shows anyone holding the number), and the 好差评 form while the case has been taken
//! in and nobody has rated it (brief §3.4: "a dynamic QR printed on the receipt opens the rating for that
//! case"). `POST /c/{number}/rating` takes the form.
//!
//! The page is plain server-rendered HTML with a form, so it works in any phone browser without scripts.
//! Its words come from [`Texts`] in zh-CN or, when the browser prefers English, en.
//!
//! A rating given here is an ordinary `rating` record with channel `receipt_qr` (or `sms` when the page was
//! opened from the SMS link, `?via=sms`, [`crate::rating_sms`]), checked by the same rules as
//! every channel (nothing preselected, reasons for 不满意/非常不满意, comment length) and written in the case's
//! scope under an id derived from the case's ([`web_rating_doc_id`]), so two submissions at once, or on two
//! server nodes, make one document; it reaches the hall's terminals like any record, and a rating taken
//! earlier elsewhere still wins ([`banshi_core::rating::effective_rating`]). Only the central server takes
//! ratings: a hall relay shows the page without the form. The "rated already" check reads every rating
//! document (as the default-grade sweep does); an index of ratings by case would make it one lookup.

use std::fmt::Write as _;

use automerge::AutoCommit;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use banshi_core::application::{Application, CaseStatus};
use banshi_core::rating::{
    check_input, check_not_rated, effective_rating, quality_flags, reason_labels, Grade, Rating,
    RatingChannel, RatingInput, RatingRules, RATING_KIND,
};
use banshi_store::{new_record_doc_with_id, read_record};

use crate::app::AppState;
use crate::storage::{ServerStorage, StoredDoc};

/// The id of the rating a resident gives on the case page: fixed per case, so it is written once.
pub fn web_rating_doc_id(case_id: &str) -> String {
    format!("web-rating-{case_id}")
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/c", get(find))
        .route("/c/{number}", get(page))
        .route("/c/{number}/rating", post(rate))
        .route("/w/{hall}/{window}", get(window_page))
}

/// How the resident came to the page: the receipt's QR (default) or the SMS link (`?via=sms`).
#[derive(Debug, Default, serde::Deserialize)]
struct Via {
    via: Option<String>,
    /// The static window QR's hall and window (`?via=window&hall=…&window=…`).
    hall: Option<String>,
    window: Option<u32>,
}

impl Via {
    fn channel(&self) -> RatingChannel {
        match self.via.as_deref() {
            Some("sms") => RatingChannel::Sms,
            Some("window") => RatingChannel::WindowQr,
            _ => RatingChannel::ReceiptQr,
        }
    }

    /// The query string that keeps the channel (and the window QR's window) on the form's address.
    fn query(&self) -> String {
        match (self.channel(), &self.hall, self.window) {
            (RatingChannel::Sms, _, _) => "?via=sms".to_string(),
            (RatingChannel::WindowQr, Some(hall), Some(window)) => {
                format!("?via=window&hall={}&window={window}", url_segment(hall))
            }
            (RatingChannel::WindowQr, _, _) => "?via=window".to_string(),
            _ => String::new(),
        }
    }

    /// The window a static window QR names, when it is of the case's hall.
    fn window_of(&self, case: &Application) -> Option<u32> {
        (self.channel() == RatingChannel::WindowQr && self.hall.as_deref() == Some(&case.hall_id))
            .then_some(self.window)
            .flatten()
    }
}

/// What the page found out about the case.
struct CaseFacts {
    doc_id: String,
    scope: String,
    app: Application,
    rated: Option<Rating>,
}

async fn facts(state: &AppState, number: &str) -> Result<Option<CaseFacts>, Response> {
    let storage = state.engine.storage();
    let storage: &dyn ServerStorage = storage.as_ref();
    let Some((doc_id, scope)) = crate::cases::find_case(storage, number)
        .await
        .map_err(|e| failure(&e.to_string()))?
    else {
        return Ok(None);
    };
    let Some(stored) = storage
        .load_doc(&doc_id)
        .await
        .map_err(|e| failure(&e.to_string()))?
    else {
        return Ok(None);
    };
    let Some(app) = AutoCommit::load(&stored.bytes)
        .ok()
        .and_then(|doc| read_record::<Application>(&doc).ok())
        .map(|record| record.body)
    else {
        tracing::warn!(%doc_id, "case document unreadable; its page answers not found");
        return Ok(None);
    };
    let ratings = crate::rating_defaults::all_ratings(storage)
        .await
        .map_err(|e| failure(&e.to_string()))?;
    let rated = effective_rating(ratings.iter().filter(|r| r.case_id == doc_id)).cloned();
    Ok(Some(CaseFacts {
        doc_id,
        scope,
        app,
        rated,
    }))
}

fn failure(detail: &str) -> Response {
    tracing::error!(detail, "case page: storage failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html("<!doctype html><meta charset=utf-8><p>服务暂不可用，请稍后再试 · Service unavailable, please try again later</p>"),
    )
        .into_response()
}

/// Whether the page offers the form: taken in (submitted or later), not rated, not voided, and this is the
/// central server.
fn may_rate(state: &AppState, facts: &CaseFacts) -> bool {
    let status = facts.app.status();
    !state.engine.is_relay()
        && facts.rated.is_none()
        && !matches!(status, CaseStatus::Draft | CaseStatus::Voided)
}

async fn page(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(via): Query<Via>,
    headers: HeaderMap,
) -> Response {
    let texts = Texts::for_request(&headers);
    match facts(&state, &number).await {
        Err(response) => response,
        Ok(None) => not_found(texts, &number),
        Ok(Some(facts)) => {
            let form = may_rate(&state, &facts).then_some(FormState::default());
            Html(render(texts, &facts, form.as_ref(), &via)).into_response()
        }
    }
}

/// What the resident sent and what was wrong with it, to show the form again as they left it.
#[derive(Default)]
struct FormState {
    grade: Option<Grade>,
    reasons: Vec<String>,
    comment: String,
    anonymous: bool,
    error: Option<String>,
}

async fn rate(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(via): Query<Via>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let texts = Texts::for_request(&headers);
    let facts = match facts(&state, &number).await {
        Err(response) => return response,
        Ok(None) => return not_found(texts, &number),
        Ok(Some(facts)) => facts,
    };
    if !may_rate(&state, &facts) {
        // Rated meanwhile (or not rateable here): the page says so.
        return Redirect::to(&format!("/c/{}{}", url_segment(&number), via.query()))
            .into_response();
    }
    let mut form = FormState::default();
    for (key, value) in fields {
        match key.as_str() {
            "grade" => form.grade = grade_named(&value),
            "reason" => form.reasons.push(value),
            "comment" => form.comment = value.trim().to_string(),
            "anonymous" => form.anonymous = true,
            _ => {}
        }
    }
    // Reasons of the other grade family were ticked before the grade changed: only this grade's count.
    if let Some(grade) = form.grade {
        let offered = reason_labels(grade);
        form.reasons.retain(|r| offered.iter().any(|l| l.code == r));
    }
    let input = RatingInput {
        grade: form.grade,
        reasons: form.reasons.clone(),
        comment: form.comment.clone(),
        anonymous: form.anonymous,
    };
    let rules = RatingRules::default();
    let grade = match check_input(&input, &rules) {
        Ok(grade) => grade,
        Err(error) => {
            form.error = Some(
                texts
                    .refusal(banshi_core::ErrorCode::code(&error))
                    .to_string(),
            );
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(render(texts, &facts, Some(&form), &via)),
            )
                .into_response();
        }
    };
    let id = web_rating_doc_id(&facts.doc_id);
    let lock = state.engine.doc_lock(&id).await;
    let _guard = lock.lock().await;
    let storage = state.engine.storage();
    let ratings = match crate::rating_defaults::all_ratings(storage.as_ref()).await {
        Ok(ratings) => ratings,
        Err(e) => return failure(&e.to_string()),
    };
    if check_not_rated(&facts.doc_id, facts.app.number(), &ratings).is_err() {
        return Redirect::to(&format!("/c/{}{}", url_segment(&number), via.query()))
            .into_response();
    }
    let mut rating = Rating {
        case_number: facts.app.number().to_string(),
        case_id: facts.doc_id.clone(),
        item_code: facts.app.item_code.clone(),
        hall_id: facts.app.hall_id.clone(),
        window: via.window_of(&facts.app),
        staff_id: facts.app.serving_staff().map(str::to_string),
        grade,
        reasons: input.reasons,
        comment: input.comment,
        anonymous: input.anonymous,
        rater_key: (!input.anonymous).then(|| facts.app.applicant.person_key.clone()),
        channel: via.channel(),
        terminal_id: "server".to_string(),
        submitted_at_ms: state.clock.now_ms(),
        flags: Vec::new(),
    };
    let earlier: Vec<&Rating> = ratings.iter().collect();
    rating.flags = quality_flags(&rating, &earlier, &rules);
    let saved = match new_record_doc_with_id(&id, &facts.scope, &rating) {
        Ok((_, mut doc)) => storage
            .save_doc(
                &id,
                StoredDoc {
                    kind: RATING_KIND.to_string(),
                    scope: facts.scope.clone(),
                    bytes: doc.save(),
                },
            )
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(detail) = saved {
        return failure(&detail);
    }
    tracing::info!(doc_id = %id, case_id = %facts.doc_id, grade = grade.level(), "rated on the case page");
    Redirect::to(&format!("/c/{}{}", url_segment(&number), via.query())).into_response()
}

/// The static window QR (`/w/{hall}/{window}`, on the window's nameplate): the resident types the case number
/// from their receipt, and rates on the case's page with channel `window_qr`.
async fn window_page(Path((hall, window)): Path<(String, u32)>, headers: HeaderMap) -> Response {
    Html(render_window_page(
        Texts::for_request(&headers),
        &hall,
        window,
        None,
    ))
    .into_response()
}

fn render_window_page(texts: &Texts, hall: &str, window: u32, error: Option<&str>) -> String {
    let title = texts.window_title.replace("{window}", &window.to_string());
    let mut html = head(texts, &title);
    let _ = write!(
        html,
        "<main><h1>{title}</h1><section><form method=get action=\"/c\">\
         <input type=hidden name=via value=window><input type=hidden name=hall value=\"{hall}\">\
         <input type=hidden name=window value=\"{window}\">",
        title = escape(&title),
        hall = escape(hall),
    );
    if let Some(error) = error {
        let _ = write!(html, "<p class=error role=alert>{}</p>", escape(error));
    }
    let _ = write!(
        html,
        "<label>{prompt}<input name=number autocomplete=off style=\"font-size:1.1rem;width:100%\"></label>\
         <button type=submit>{go}</button></form></section></main></body></html>",
        prompt = texts.window_prompt,
        go = texts.window_go,
    );
    html
}

/// `GET /c?number=…&via=window&hall=…&window=…` (no `flatten`: query strings carry numbers as text).
#[derive(Debug, Default, serde::Deserialize)]
struct Find {
    #[serde(default)]
    number: String,
    via: Option<String>,
    hall: Option<String>,
    window: Option<u32>,
}

/// The window QR page's form: on to the case page, keeping the window.
async fn find(Query(find): Query<Find>, headers: HeaderMap) -> Response {
    let number = find.number.trim();
    let via = Via {
        via: find.via.clone(),
        hall: find.hall.clone(),
        window: find.window,
    };
    if number.is_empty() {
        let texts = Texts::for_request(&headers);
        let (hall, window) = (
            find.hall.clone().unwrap_or_default(),
            find.window.unwrap_or_default(),
        );
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(render_window_page(
                texts,
                &hall,
                window,
                Some(texts.window_prompt),
            )),
        )
            .into_response();
    }
    Redirect::to(&format!("/c/{}{}", url_segment(number), via.query())).into_response()
}

fn grade_named(name: &str) -> Option<Grade> {
    Grade::ALL.into_iter().find(|g| g.as_str() == name)
}

fn not_found(texts: &Texts, number: &str) -> Response {
    let mut html = head(texts, texts.title);
    let _ = write!(
        html,
        "<main><h1>{}</h1><p class=error>{}</p></main></body></html>",
        texts.title,
        escape(&texts.not_found.replace("{number}", number))
    );
    (StatusCode::NOT_FOUND, Html(html)).into_response()
}

fn head(texts: &Texts, title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>",
        lang = texts.lang,
        title = escape(title),
    )
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC',sans-serif;margin:0;background:#eef3fa;color:#1a2330;\
font-size:18px}main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem}\
section{background:#fff;border-radius:.6rem;padding:1rem;margin:1rem 0}ol{padding-left:1.2rem}\
li{margin:.4rem 0}.muted{color:#556}.error{color:#b00020;font-weight:600}.ok{color:#0a6b2d;font-weight:600}\
label{display:block;padding:.6rem 0;min-height:2.75rem}button{font-size:1.1rem;padding:.8rem 1.6rem;\
border-radius:.5rem;border:0;background:#0b4fa0;color:#fff;min-height:3rem}textarea{width:100%;font-size:1rem}";

fn render(texts: &Texts, facts: &CaseFacts, form: Option<&FormState>, via: &Via) -> String {
    let app = &facts.app;
    let mut html = head(texts, texts.title);
    let _ = write!(
        html,
        "<main><h1>{title}</h1><section><p>{number_label}{number}</p><p>{item}</p>\
         <p>{status_label}<strong data-status=\"{status_code}\">{status}</strong></p></section>",
        title = texts.title,
        number_label = texts.number,
        number = escape(app.number()),
        item = escape(&app.item_name),
        status_label = texts.status,
        status_code = app.status().as_str(),
        status = texts.status_name(app.status()),
    );
    let _ = write!(html, "<section><h2>{}</h2><ol>", texts.history);
    for step in &app.history {
        let _ = write!(
            html,
            "<li><strong>{}</strong> <span class=muted>{}</span> {} <span class=muted>{}</span></li>",
            texts.status_name(step.status),
            hall_time(step.at_ms),
            escape(&step.actor_name),
            escape(&step.note),
        );
    }
    html.push_str("</ol></section>");
    match (&facts.rated, form) {
        (Some(_), _) => {
            let _ = write!(
                html,
                "<section><p class=ok id=rated>{}</p></section>",
                texts.rated
            );
        }
        (None, Some(form)) => render_form(&mut html, texts, app.number(), form, via),
        (None, None) => {}
    }
    html.push_str("</main></body></html>");
    html
}

fn render_form(html: &mut String, texts: &Texts, number: &str, form: &FormState, via: &Via) {
    let _ = write!(
        html,
        "<section><h2>{}</h2><form method=post action=\"/c/{}/rating{}\">",
        texts.rate_title,
        escape(&url_segment(number)),
        escape(&via.query()),
    );
    if let Some(error) = &form.error {
        let _ = write!(html, "<p class=error role=alert>{}</p>", escape(error));
    }
    html.push_str("<fieldset><legend>");
    html.push_str(texts.grade);
    html.push_str("</legend>");
    // Nothing preselected: a default would count as the resident's opinion.
    for grade in Grade::ALL {
        let _ = write!(
            html,
            "<label><input type=radio name=grade value=\"{code}\"{checked}> {name}</label>",
            code = grade.as_str(),
            checked = if form.grade == Some(grade) {
                " checked"
            } else {
                ""
            },
            name = texts.grade_name(grade),
        );
    }
    html.push_str("</fieldset>");
    for (legend, grade) in [
        (texts.good_reasons, Grade::Satisfied),
        (texts.bad_reasons, Grade::Dissatisfied),
    ] {
        let _ = write!(html, "<fieldset><legend>{legend}</legend>");
        for label in reason_labels(grade) {
            let _ = write!(
                html,
                "<label><input type=checkbox name=reason value=\"{code}\"{checked}> {name}</label>",
                code = label.code,
                checked = if form.reasons.iter().any(|r| r == label.code) {
                    " checked"
                } else {
                    ""
                },
                name = texts.reason_name(label.code, label.zh),
            );
        }
        html.push_str("</fieldset>");
    }
    let _ = write!(
        html,
        "<label>{comment}<textarea name=comment rows=3 maxlength=500>{value}</textarea></label>\
         <label><input type=checkbox name=anonymous{anon}> {anonymous}</label>\
         <button type=submit>{submit}</button></form></section>",
        comment = texts.comment,
        value = escape(&form.comment),
        anon = if form.anonymous { " checked" } else { "" },
        anonymous = texts.anonymous,
        submit = texts.submit,
    );
}

/// `YYYY-MM-DD HH:MM` in hall time (China Standard Time).
fn hall_time(at_ms: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .map(|t| {
            let t = t.to_offset(offset);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

/// A case number as one URL path segment (numbers are letters, digits and dashes; anything else is escaped).
fn url_segment(number: &str) -> String {
    number
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's words in one language.
struct Texts {
    lang: &'static str,
    title: &'static str,
    number: &'static str,
    status: &'static str,
    history: &'static str,
    not_found: &'static str,
    rated: &'static str,
    rate_title: &'static str,
    grade: &'static str,
    good_reasons: &'static str,
    bad_reasons: &'static str,
    comment: &'static str,
    anonymous: &'static str,
    submit: &'static str,
    window_title: &'static str,
    window_prompt: &'static str,
    window_go: &'static str,
    english: bool,
}

const ZH: Texts = Texts {
    lang: "zh-CN",
    title: "办件进度",
    number: "办件编号：",
    status: "当前状态：",
    history: "办理过程",
    not_found: "没有找到办件编号为 {number} 的办件，请核对编号",
    rated: "本办件已评价，感谢您的参与",
    rate_title: "请对本次服务进行评价",
    grade: "评价等级",
    good_reasons: "满意的方面（可选）",
    bad_reasons: "不满意的原因（选择“不满意”或“非常不满意”时必选）",
    comment: "意见建议（可选）",
    anonymous: "匿名评价",
    submit: "提交评价",
    window_title: "评价 {window} 号窗口的服务",
    window_prompt: "请输入您的办件编号（见回执或通知书）",
    window_go: "去评价",
    english: false,
};

const EN: Texts = Texts {
    lang: "en",
    title: "Application progress",
    number: "Application no.: ",
    status: "Status: ",
    history: "Steps so far",
    not_found: "No application numbered {number} was found; please check the number",
    rated: "This application has been rated. Thank you!",
    rate_title: "Please rate our service",
    grade: "Your rating",
    good_reasons: "What went well (optional)",
    bad_reasons: "What went wrong (required for Dissatisfied and Very dissatisfied)",
    comment: "Comments (optional)",
    anonymous: "Rate anonymously",
    submit: "Submit rating",
    window_title: "Rate the service at window {window}",
    window_prompt: "Enter your application number (on your receipt or notice)",
    window_go: "Continue",
    english: true,
};

impl Texts {
    /// English when the browser's first language is English, otherwise zh-CN.
    fn for_request(headers: &HeaderMap) -> &'static Texts {
        let first = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if first.starts_with("en") {
            &EN
        } else {
            &ZH
        }
    }

    fn grade_name(&self, grade: Grade) -> &'static str {
        if !self.english {
            return grade.name_zh();
        }
        match grade {
            Grade::VerySatisfied => "Very satisfied",
            Grade::Satisfied => "Satisfied",
            Grade::Basic => "Fairly satisfied",
            Grade::Dissatisfied => "Dissatisfied",
            Grade::VeryDissatisfied => "Very dissatisfied",
        }
    }

    fn reason_name(&self, code: &str, zh: &'static str) -> &'static str {
        if !self.english {
            return zh;
        }
        match code {
            "attitude_good" => "Friendly service",
            "fast" => "Quick",
            "one_visit" => "Done in one visit",
            "clear_guidance" => "Clear guidance",
            "professional" => "Knowledgeable staff",
            "attitude_bad" => "Unfriendly service",
            "long_wait" => "Long wait",
            "many_visits" => "Too many visits",
            "unclear_materials" => "Unclear document requirements",
            "slow" => "Took longer than promised",
            "system_fault" => "System or device fault",
            _ => zh,
        }
    }

    /// Why the form was refused, from the rating error's code.
    fn refusal(&self, code: &str) -> &'static str {
        match (code, self.english) {
            ("rating.no_grade", false) => "请先选择评价等级",
            ("rating.no_grade", true) => "Please choose a rating first",
            ("rating.reason_required", false) => "选择“不满意”或“非常不满意”时，请至少选择一项原因",
            ("rating.reason_required", true) => {
                "For Dissatisfied or Very dissatisfied, please tick at least one reason"
            }
            ("rating.comment_too_long", false) => "意见建议太长了",
            ("rating.comment_too_long", true) => "The comment is too long",
            (_, false) => "评价未能提交，请检查后重试",
            (_, true) => "The rating could not be submitted; please check and try again",
        }
    }

    fn status_name(&self, status: CaseStatus) -> &'static str {
        use CaseStatus::*;
        match (status, self.english) {
            (Draft, false) => "草稿",
            (Submitted, false) => "已提交",
            (HandedOver, false) => "待窗口受理",
            (PreReview, false) => "待预审",
            (PreReviewPassed, false) => "预审通过",
            (PreReviewRejected, false) => "预审驳回",
            (Accepting, false) => "受理中",
            (Accepted, false) => "已受理",
            (AcceptedWithMissing, false) => "容缺受理",
            (Rejected, false) => "不予受理",
            (CorrectionRequested, false) => "补齐补正中",
            (Voided, false) => "已作废",
            (Reviewing, false) => "审查中",
            (Approving, false) => "审批中",
            (Completed, false) => "已办结",
            (Issued, false) => "已出件",
            (Printed, false) => "已打印",
            (Draft, true) => "Draft",
            (Submitted, true) => "Submitted",
            (HandedOver, true) => "Waiting at a window",
            (PreReview, true) => "Awaiting pre-review",
            (PreReviewPassed, true) => "Pre-review passed",
            (PreReviewRejected, true) => "Rejected in pre-review",
            (Accepting, true) => "Being taken in",
            (Accepted, true) => "Accepted",
            (AcceptedWithMissing, true) => "Accepted, documents to follow",
            (Rejected, true) => "Not accepted",
            (CorrectionRequested, true) => "Corrections requested",
            (Voided, true) => "Void",
            (Reviewing, true) => "Under review",
            (Approving, true) => "Awaiting approval",
            (Completed, true) => "Completed",
            (Issued, true) => "Result handed out",
            (Printed, true) => "Printed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_numbers_stay_one_path_segment() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(url_segment("HK-01-20261124-0001"), "HK-01-20261124-0001");
        assert_eq!(url_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn the_page_speaks_english_only_when_the_browser_prefers_it() {
        let mut headers = HeaderMap::new();
        assert_eq!(Texts::for_request(&headers).lang, "zh-CN");
        headers.insert(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9".parse().unwrap());
        assert_eq!(Texts::for_request(&headers).lang, "en");
        headers.insert(header::ACCEPT_LANGUAGE, "zh-CN,en;q=0.5".parse().unwrap());
        assert_eq!(Texts::for_request(&headers).lang, "zh-CN");
        assert_eq!(hall_time(0), "1970-01-01 08:00");
    }
}
