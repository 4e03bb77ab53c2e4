//! The SMS rating link (brief §3.4: "SMS link for finished unrated cases"): some hours after a case is
//! finished, while nobody has rated it, the central server texts the applicant the case page's address
//! (`<public URL>/c/<number>?via=sms`, [`crate::case_page`]), where a rating takes the channel `sms`.
//!
//! Text messages leave through the hall's SMS gateway, spoken to in one small documented request
//! (`docs/integration-api.md`): `POST <gateway>` with `{"phone", "text"}`, any 2xx meaning accepted. A hall adapts
//! its provider's API to that, as it does for the face comparison service.
//!
//! Like the default-grade sweep ([`crate::rating_defaults`]) it runs on the central server only and resumes
//! from a stored cursor over application documents that waits before the oldest finished case not yet due.
//! Each case is texted at most once: the server notes it under a cursor named `rating-sms:<case id>` once the
//! gateway accepted the message (a case that changes later is read again and skipped). A gateway that fails
//! ends the sweep; that case, and those after it, are tried again at the next sweep. The phone number goes to
//! the gateway and nowhere else: logs name the case only.

use std::sync::Arc;
use std::time::Duration;

use banshi_core::application::Application;
use banshi_core::rating::{effective_rating, FinishedCase};
use banshi_core::Clock;
use serde::Serialize;

use crate::rating_defaults::CasePages;

use crate::storage::{ServerStorage, StorageError};

/// The storage cursor the sweep keeps its place in.
pub const CURSOR: &str = "rating-sms";
/// The form field that holds the applicant's mobile number (the demo catalogue's field dictionary).
pub const PHONE_FIELD: &str = "applicant_phone";
/// How long the gateway may take to accept one message.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and when to text.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    /// The SMS gateway's URL (`POST {"phone", "text"}`).
    pub gateway: String,
    /// The address phones reach this server's case pages at, e.g. `https://zwfw.example.gov.cn`.
    pub public_url: String,
    /// Hours after a case is finished before the link is sent.
    pub after_hours: u32,
}

/// Why a sweep stopped. What it sent before is noted; the next sweep goes on from the stored cursor.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the SMS gateway did not take the message for case {case_id}: {detail}")]
    Gateway { case_id: String, detail: String },
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SmsOutcome {
    /// Application documents read.
    pub cases_read: usize,
    /// Messages the gateway accepted.
    pub sent: usize,
}

/// The body of a gateway request.
#[derive(Debug, Serialize)]
struct GatewayMessage<'a> {
    phone: &'a str,
    text: &'a str,
}

/// The name of the cursor that notes case `case_id` was texted.
fn sent_marker(case_id: &str) -> String {
    format!("{CURSOR}:{case_id}")
}

/// A mainland mobile number (11 digits starting with 1), or `None`.
fn mobile_of(case: &Application) -> Option<&str> {
    let phone = case.form.get(PHONE_FIELD)?.trim();
    (phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit()))
        .then_some(phone)
}

/// The message: what was finished, and where to rate it (zh-CN: it goes to mainland phones).
fn message(settings: &SmsSettings, case: &Application) -> String {
    format!(
        "【政务服务】您办理的“{item}”（办件编号 {number}）已办结，请对本次服务进行评价：{base}/c/{number}?via=sms",
        item = case.item_name,
        number = case.number(),
        base = settings.public_url.trim_end_matches('/'),
    )
}

/// Text every finished case that is due and nobody rated, as of `now_ms`. Running it again sends nothing new.
pub async fn sweep(
    storage: &dyn ServerStorage,
    http: &reqwest::Client,
    settings: &SmsSettings,
    now_ms: i64,
) -> Result<SmsOutcome, SmsError> {
    let due_after_ms = i64::from(settings.after_hours) * 3_600_000;
    let mut outcome = SmsOutcome::default();
    let start = storage.cursor(CURSOR).await?;
    let mut oldest_pending: Option<i64> = None;
    let mut due: Vec<(i64, String, Application)> = Vec::new();
    let mut pages = CasePages::after(start);
    while let Some(page) = pages.next(storage).await? {
        for (position, id, _scope, case) in page {
            outcome.cases_read += 1;
            let Some(finished) = FinishedCase::of(&id, &case) else {
                continue;
            };
            if mobile_of(&case).is_none() {
                continue;
            }
            if now_ms - finished.finished_at_ms < due_after_ms {
                oldest_pending = Some(oldest_pending.map_or(position, |p| p.min(position)));
            } else {
                due.push((position, id, case));
            }
        }
    }
    if !due.is_empty() {
        let ratings = crate::rating_defaults::all_ratings(storage).await?;
        for (position, id, case) in due {
            if effective_rating(ratings.iter().filter(|r| r.case_id == id)).is_some()
                || storage.cursor(&sent_marker(&id)).await? > 0
            {
                continue;
            }
            let phone = mobile_of(&case).unwrap_or_default();
            if let Err(detail) = send(http, settings, phone, &message(settings, &case)).await {
                // Try this case (and what follows) again next time.
                let resume = oldest_pending.map_or(position, |p| p.min(position)) - 1;
                storage.set_cursor(CURSOR, resume.max(start)).await?;
                return Err(SmsError::Gateway {
                    case_id: id,
                    detail,
                });
            }
            storage.set_cursor(&sent_marker(&id), now_ms.max(1)).await?;
            tracing::info!(case_id = %id, "rating link texted");
            outcome.sent += 1;
        }
    }
    let resume_after = oldest_pending.map_or(pages.position(), |p| p - 1);
    storage.set_cursor(CURSOR, resume_after).await?;
    Ok(outcome)
}

async fn send(
    http: &reqwest::Client,
    settings: &SmsSettings,
    phone: &str,
    text: &str,
) -> Result<(), String> {
    let response = http
        .post(&settings.gateway)
        .json(&GatewayMessage { phone, text })
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {}", response.status().as_u16()))
    }
}

/// Sweep now and then every `every`, for as long as the server runs. Failures are logged and retried at the
/// next turn.
pub async fn run(
    storage: Arc<dyn ServerStorage>,
    clock: Arc<dyn Clock>,
    settings: SmsSettings,
    every: Duration,
) {
    let http = match reqwest::Client::builder().timeout(GATEWAY_TIMEOUT).build() {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "no HTTP client for the SMS gateway; no rating links are texted");
            return;
        }
    };
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sweep(storage.as_ref(), &http, &settings, clock.now_ms()).await {
            Ok(SmsOutcome { cases_read, sent }) if sent > 0 => {
                tracing::info!(cases_read, sent, "rating links texted");
            }
            Ok(SmsOutcome { cases_read, .. }) => {
                tracing::debug!(cases_read, "no rating link due");
            }
            Err(error) => tracing::warn!(%error, "SMS sweep stopped; retrying later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_mainland_mobile_number_is_texted() {
        let mut case: Application = serde_json::from_value(serde_json::json!({
            "hall_id": "h", "item_code": "i", "item_name": "国内出生登记", "catalogue_version": 1,
            "channel": "kiosk", "terminal_id": "t", "provisional_number": "T-20261124-0001",
            "official_number": null,
            "applicant": {"name": "张三", "id_number": "x", "gender": "", "birth_date": "", "address": "",
                          "person_key": "k"},
            "agent": null, "answers": {}, "form": {}, "materials": {}, "signature": null,
            "collection": {"method": "window"}, "handover": null, "decision": null, "notices": [],
            "history": [], "created_at_ms": 0, "updated_at_ms": 0
        }))
        .expect("case");
        assert_eq!(mobile_of(&case), None);
        for (phone, texted) in [
            ("13800138000", true),
            (" 13800138000 ", true),
            ("0898-66668888", false),
            ("1380013800", false),
            ("2380013800x", false),
        ] {
            case.form.insert(PHONE_FIELD.into(), phone.into());
            assert_eq!(mobile_of(&case).is_some(), texted, "{phone}");
        }
        let settings = SmsSettings {
            gateway: "http://sms.example".into(),
            public_url: "https://zwfw.example.gov.cn/".into(),
            after_hours: 24,
        };
        assert_eq!(
            message(&settings, &case),
            "【政务服务】您办理的“国内出生登记”（办件编号 T-20261124-0001）已办结，请对本次服务进行评价：https://zwfw.example.gov.cn/c/T-20261124-0001?via=sms"
        );
    }
}
