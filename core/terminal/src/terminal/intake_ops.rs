//! What a window clerk or field officer does around a case, apart from the case itself: the applicant's ID card,
//! read once and held in memory for a while, and the keypad evaluator as a rating channel.
//!
//! A reader hands out a card once per placement, yet the clerk needs it twice: to find the person's cases (a
//! kiosk hand-over waits among them) and to start a new one. So the card is held here under a random token for
//! [`HELD_CARD_TTL`], like the queue machine's identities; the screen only ever gets the masked name and number.
//! Held cards are memory only: a restart forgets them and the clerk reads the card again.
//!
//! The evaluator gives a grade and nothing else. The three good grades are recorded at once; for 不满意 and
//! 非常不满意 the rules want at least one reason (brief §3.4), so nothing is recorded and the screen asks the
//! applicant for the reasons before it rates with the `evaluator` channel.

use std::time::Duration;

use banshi_core::mask::{mask_id_number, mask_name};
use banshi_core::rating::{Grade, RatingChannel, RatingInput};
use banshi_core::staff::Actor;
use banshi_profile::Mode;
use serde::Serialize;
use time::OffsetDateTime;

use super::application_ops::{
    ApplicantInput, ApplicationError, CaseSummaryView, CaseView, RatingView,
};
use super::{Terminal, TerminalError};

/// How long a card read at a desk stays usable without being read again.
pub(super) const HELD_CARD_TTL: time::Duration = time::Duration::minutes(10);
/// How long the evaluator's prompt stays lit for one rating.
const EVALUATOR_WAIT: Duration = Duration::from_secs(60);

/// An applicant's card held for a desk, until it expires or the clerk who read it logs out.
#[derive(Debug)]
pub(super) struct HeldApplicant {
    applicant: ApplicantInput,
    /// Who read it (`Actor::audit_name`): only they may start cases from it.
    holder: String,
    expires: OffsetDateTime,
}

/// What the clerk's screen gets after reading a card: the token to start cases with, the masked person and the
/// person's cases (newest first).
#[derive(Debug, Clone, Serialize)]
pub struct ApplicantCardView {
    pub token: String,
    pub name_masked: String,
    pub id_number_masked: String,
    pub cases: Vec<CaseSummaryView>,
}

/// The key pressed on the evaluator, and the rating when it could be recorded at once (good grades).
#[derive(Debug, Clone, Serialize)]
pub struct EvaluatorOutcome {
    pub grade: Grade,
    pub rating: Option<RatingView>,
}

impl Terminal {
    /// Read the ID card on this desk's reader, hold it for [`HELD_CARD_TTL`] and list the person's cases.
    pub async fn read_applicant_card(
        &self,
        actor: &Actor,
    ) -> Result<ApplicantCardView, TerminalError> {
        self.require_clerk(actor)?;
        let applicant = self.read_applicant().await?;
        let cases = self
            .cases_for_applicant(actor, &applicant.id_number)
            .await?;
        let token = super::staff_ops::hex_token()?;
        let now = self.clock.now();
        let mut held = self
            .held_applicants
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        held.retain(|_, h| h.expires > now);
        let (name_masked, id_number_masked) = (
            mask_name(&applicant.name),
            mask_id_number(&applicant.id_number),
        );
        held.insert(
            token.clone(),
            HeldApplicant {
                applicant,
                holder: actor.audit_name(),
                expires: now + HELD_CARD_TTL,
            },
        );
        Ok(ApplicantCardView {
            token,
            name_masked,
            id_number_masked,
            cases,
        })
    }

    /// Start a case for the card this clerk read, held under `token` (it stays held: one applicant, several
    /// items).
    pub async fn start_application_for_card(
        &self,
        actor: &Actor,
        item_code: &str,
        token: &str,
    ) -> Result<CaseView, TerminalError> {
        self.require_clerk(actor)?;
        let now = self.clock.now();
        let applicant = self
            .held_applicants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .filter(|h| h.expires > now && h.holder == actor.audit_name())
            .map(|h| h.applicant.clone())
            .ok_or(ApplicationError::CardNotHeld)?;
        self.start_application(actor, item_code, applicant).await
    }

    /// Forget the cards `holder` read (they logged out: the next clerk reads the card again).
    pub(super) fn release_held_cards(&self, holder: &str) {
        self.held_applicants
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, h| h.holder != holder);
    }

    /// Light the window's evaluator for a case and wait for the applicant's key. Refused before the prompt is
    /// lit when the case is rated already.
    pub async fn rate_case_with_evaluator(
        &self,
        actor: &Actor,
        case_id: &str,
    ) -> Result<EvaluatorOutcome, TerminalError> {
        if self.profile().mode != Mode::Window {
            return Err(TerminalError::WrongMode("window"));
        }
        self.require_clerk(actor)?;
        let view = self.case_view(case_id).await?;
        if view.rated {
            return Err(
                ApplicationError::Rating(banshi_core::rating::RatingError::AlreadyRated(
                    view.number,
                ))
                .into(),
            );
        }
        let devices = self.devices();
        let (key, _) = tokio::task::spawn_blocking(move || devices.request_rating(EVALUATOR_WAIT))
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))??;
        // The driver only reports keys 1–5; anything else would be a driver bug, not the applicant's.
        let grade = Grade::from_level(key)
            .ok_or_else(|| TerminalError::Task(format!("the evaluator reported key {key}")))?;
        if grade.is_dissatisfied() {
            tracing::info!(
                case = case_id,
                "evaluator: dissatisfied, reasons asked on screen"
            );
            return Ok(EvaluatorOutcome {
                grade,
                rating: None,
            });
        }
        let input = RatingInput {
            grade: Some(grade),
            reasons: Vec::new(),
            comment: String::new(),
            anonymous: false,
        };
        let rating = self
            .rate_case(case_id, input, RatingChannel::Evaluator)
            .await?;
        Ok(EvaluatorOutcome {
            grade,
            rating: Some(rating),
        })
    }
}
