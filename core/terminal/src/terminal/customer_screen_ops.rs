//! The window's customer-facing screen (窗口互动屏, brief §2 window mode and §4.5): a second window on the
//! applicant's side of the desk that shows the window's nameplate, what the clerk typed for the applicant to
//! confirm and sign, and the rating page.
//!
//! The screen belongs to whoever stands at the desk, so it may act on one thing only: the *offer* the clerk put
//! on it. The clerk shows a case ([`Terminal::show_on_customer_screen`]); the screen gets a fresh random offer
//! id with what it shows, and its answers (a signature, "something is wrong", a rating) name that id. An answer
//! to an offer that is no longer showing is refused, so a late tap can never land on the next applicant's case,
//! and nothing the screen sends can reach another case. No staff session is needed on the screen's side.
//!
//! The screen never shows another applicant's data (brief §2): it goes back to the nameplate when the clerk
//! clears it, ends the current ticket (finish, no-show, transfer, call next), signs out or logs out. The state
//! is memory only; a restart shows the nameplate.

use banshi_core::catalogue::Prefill;
use banshi_core::mask::mask_id_number;
use banshi_core::rating::{RatingChannel, RatingError, RatingInput};
use banshi_core::staff::Actor;
use banshi_core::ErrorCode;
use banshi_profile::Mode;
use serde::{Deserialize, Serialize};

use super::application_ops::{ApplicationError, RatingView};
use super::{Terminal, TerminalError, TerminalEvent};

/// What the clerk puts on the customer screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerOffer {
    /// The case's data to confirm, then the signature pad.
    Confirm,
    /// The rating page (好差评) for the case.
    Rate,
}

/// How the applicant answered an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerAnswer {
    /// Confirmed the data and signed: the signature is on the case.
    Signed,
    /// Said something is wrong: the clerk corrects it and shows the case again.
    Disputed,
    /// Rated the case.
    Rated,
}

/// Why the customer screen refused something.
#[derive(Debug, thiserror::Error)]
pub enum CustomerScreenError {
    #[error("this desk has no customer screen (`ui.customer_screen_monitor` in the profile)")]
    NotConfigured,
    #[error("what the customer screen answered is no longer showing; the clerk has moved on")]
    StaleOffer,
    #[error("the customer screen is not asking for that")]
    WrongAnswer,
}

impl ErrorCode for CustomerScreenError {
    fn code(&self) -> &'static str {
        match self {
            CustomerScreenError::NotConfigured => "customer_screen.not_configured",
            CustomerScreenError::StaleOffer => "customer_screen.stale_offer",
            CustomerScreenError::WrongAnswer => "customer_screen.wrong_answer",
        }
    }
}

impl CustomerScreenError {
    /// Each is a conflict with the desk's state (no screen here, or it shows something else now).
    pub fn http_status(&self) -> u16 {
        409
    }
}

/// What the screen shows now (memory only).
#[derive(Debug, Clone, Default)]
pub(super) enum Showing {
    #[default]
    Nameplate,
    Offer {
        offer: String,
        kind: CustomerOffer,
        case_id: String,
        /// Set once the applicant answered; the screen thanks them until the clerk moves on.
        answer: Option<CustomerAnswer>,
    },
}

/// One line of the form as the applicant checks it.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerFieldView {
    pub label: String,
    pub value: String,
}

/// A material as the applicant sees it: what was handed in.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerMaterialView {
    pub name: String,
    pub pages: usize,
    pub paper_received: bool,
}

/// The case as the applicant confirms it: the form in the catalogue's words, the ID number masked (it came
/// from the card, nobody typed it).
#[derive(Debug, Clone, Serialize)]
pub struct CustomerCaseView {
    pub number: String,
    pub item_name: String,
    pub fields: Vec<CustomerFieldView>,
    pub materials: Vec<CustomerMaterialView>,
    pub collection: banshi_core::application::Collection,
    pub signed: bool,
}

/// What the customer screen shows, for the screen and the clerk alike.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum CustomerScreenView {
    /// 水牌: the window and who serves at it; no applicant data.
    Nameplate {
        window: u32,
        label: String,
        outlet: String,
        staff_id: Option<String>,
        staff_name: Option<String>,
        paused: bool,
    },
    /// The case to confirm and sign.
    Confirm {
        offer: String,
        case: CustomerCaseView,
    },
    /// The rating page.
    Rate {
        offer: String,
        case_number: String,
        item_name: String,
        window: u32,
    },
    /// The applicant answered; thanks until the clerk moves on. `case_id` lets the clerk's desk refresh the case.
    Answered {
        offer: String,
        answer: CustomerAnswer,
        case_id: String,
    },
}

impl Terminal {
    /// Whether this desk has a customer screen (window mode and `ui.customer_screen_monitor`).
    pub fn has_customer_screen(&self) -> bool {
        let profile = self.profile();
        profile.mode == Mode::Window && profile.ui.customer_screen_monitor.is_some()
    }

    fn require_customer_screen(&self) -> Result<(), TerminalError> {
        if self.profile().mode != Mode::Window {
            return Err(TerminalError::WrongMode("window"));
        }
        if !self.has_customer_screen() {
            return Err(CustomerScreenError::NotConfigured.into());
        }
        Ok(())
    }

    /// What the customer screen shows now.
    pub async fn customer_screen(&self) -> Result<CustomerScreenView, TerminalError> {
        self.require_customer_screen()?;
        let showing = self.showing().clone();
        match showing {
            Showing::Nameplate => self.nameplate().await,
            Showing::Offer {
                offer,
                case_id,
                answer: Some(answer),
                ..
            } => Ok(CustomerScreenView::Answered {
                offer,
                answer,
                case_id,
            }),
            Showing::Offer {
                offer,
                kind: CustomerOffer::Confirm,
                case_id,
                answer: None,
            } => Ok(CustomerScreenView::Confirm {
                offer,
                case: self.customer_case(&case_id).await?,
            }),
            Showing::Offer {
                offer,
                kind: CustomerOffer::Rate,
                case_id,
                answer: None,
            } => {
                let case = self.case_view(&case_id).await?;
                Ok(CustomerScreenView::Rate {
                    offer,
                    case_number: case.number,
                    item_name: case.item_name,
                    window: self.window_number()?,
                })
            }
        }
    }

    /// The clerk shows a case on the customer screen: to confirm and sign, or to rate. Refused for a case that
    /// cannot take a signature any more, or that has been rated.
    pub async fn show_on_customer_screen(
        &self,
        actor: &Actor,
        case_id: &str,
        kind: CustomerOffer,
    ) -> Result<CustomerScreenView, TerminalError> {
        self.require_customer_screen()?;
        self.require_clerk(actor)?;
        let case = self.case_view(case_id).await?;
        match kind {
            CustomerOffer::Confirm => super::application_ops::editable_status(case.status)?,
            CustomerOffer::Rate if case.rated => {
                return Err(
                    ApplicationError::Rating(RatingError::AlreadyRated(case.number)).into(),
                );
            }
            CustomerOffer::Rate => {}
        }
        let offer = super::staff_ops::hex_token()?;
        *self.showing() = Showing::Offer {
            offer,
            kind,
            case_id: case_id.to_string(),
            answer: None,
        };
        tracing::info!(case = case_id, ?kind, "shown on the customer screen");
        self.emit(TerminalEvent::CustomerScreenChanged);
        self.customer_screen().await
    }

    /// The clerk takes whatever is on the customer screen off it: the nameplate shows.
    pub async fn clear_customer_screen(
        &self,
        actor: &Actor,
    ) -> Result<CustomerScreenView, TerminalError> {
        self.require_customer_screen()?;
        self.require_clerk(actor)?;
        self.reset_customer_screen();
        self.customer_screen().await
    }

    /// Back to the nameplate: the applicant at the desk changed (or the clerk left).
    pub(super) fn reset_customer_screen(&self) {
        let mut showing = self.showing();
        if !matches!(*showing, Showing::Nameplate) {
            *showing = Showing::Nameplate;
            drop(showing);
            self.emit(TerminalEvent::CustomerScreenChanged);
        }
    }

    /// The applicant confirmed the data and signed (a PNG from the screen's pad). Kept on the case like the
    /// kiosk's signature, durable when this returns; the audit names the resident.
    pub async fn customer_screen_sign(
        &self,
        offer: &str,
        png: Vec<u8>,
    ) -> Result<CustomerScreenView, TerminalError> {
        let case_id = self.offered_case(offer, CustomerOffer::Confirm)?;
        self.store_signature(&Actor::Resident, &case_id, png)
            .await?;
        self.answer(offer, CustomerAnswer::Signed);
        self.customer_screen().await
    }

    /// The applicant says something shown is wrong: nothing on the case changes, the clerk is told.
    pub async fn customer_screen_dispute(
        &self,
        offer: &str,
    ) -> Result<CustomerScreenView, TerminalError> {
        let case_id = self.offered_case(offer, CustomerOffer::Confirm)?;
        tracing::info!(case = %case_id, "the applicant disputes what the customer screen shows");
        self.answer(offer, CustomerAnswer::Disputed);
        self.customer_screen().await
    }

    /// The applicant rates the offered case (channel `customer_screen`), under the same rules as every channel.
    pub async fn customer_screen_rate(
        &self,
        offer: &str,
        input: RatingInput,
    ) -> Result<RatingView, TerminalError> {
        let case_id = self.offered_case(offer, CustomerOffer::Rate)?;
        let rating = self
            .rate_case(&case_id, input, RatingChannel::CustomerScreen)
            .await?;
        self.answer(offer, CustomerAnswer::Rated);
        Ok(rating)
    }

    /// The case of `offer` when it is the one showing, unanswered, and of `kind`.
    fn offered_case(&self, offer: &str, kind: CustomerOffer) -> Result<String, TerminalError> {
        self.require_customer_screen()?;
        match &*self.showing() {
            Showing::Offer {
                offer: showing,
                kind: showing_kind,
                case_id,
                answer: None,
            } if showing.as_bytes() == offer.as_bytes() => {
                if *showing_kind == kind {
                    Ok(case_id.clone())
                } else {
                    Err(CustomerScreenError::WrongAnswer.into())
                }
            }
            _ => Err(CustomerScreenError::StaleOffer.into()),
        }
    }

    fn answer(&self, offer: &str, given: CustomerAnswer) {
        if let Showing::Offer {
            offer: showing,
            answer,
            ..
        } = &mut *self.showing()
        {
            if showing == offer {
                *answer = Some(given);
            }
        }
        self.emit(TerminalEvent::CustomerScreenChanged);
    }

    fn showing(&self) -> std::sync::MutexGuard<'_, Showing> {
        self.customer_screen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    async fn nameplate(&self) -> Result<CustomerScreenView, TerminalError> {
        let window = self.window_number()?;
        let config = self.queue_config().await?;
        let session = self.my_session().await?;
        Ok(CustomerScreenView::Nameplate {
            window,
            label: config.window_label(window),
            outlet: self.profile().terminal.outlet.clone(),
            staff_id: session.as_ref().map(|s| s.body.staff_id.clone()),
            staff_name: session.as_ref().map(|s| s.body.staff_name.clone()),
            paused: session.is_some_and(|s| s.body.paused),
        })
    }

    async fn customer_case(&self, case_id: &str) -> Result<CustomerCaseView, TerminalError> {
        let view = self.case_view(case_id).await?;
        let (case, item, catalogue) = self.case_and_item(case_id).await?;
        let fields = item
            .fields_for(&case.body.answers)
            .into_iter()
            .filter_map(|f| {
                let value = case.body.form.get(&f.field)?.clone();
                let def = catalogue.field(&f.field);
                let value = if def.and_then(|d| d.prefill) == Some(Prefill::CardIdNumber) {
                    mask_id_number(&value)
                } else {
                    value
                };
                Some(CustomerFieldView {
                    label: def.map_or_else(|| f.field.clone(), |d| d.label.clone()),
                    value,
                })
            })
            .collect();
        Ok(CustomerCaseView {
            number: view.number,
            item_name: view.item_name,
            fields,
            materials: view
                .materials
                .into_iter()
                .map(|m| CustomerMaterialView {
                    name: m.name,
                    pages: m.pages,
                    paper_received: m.paper_received,
                })
                .collect(),
            collection: view.collection,
            signed: view.signed,
        })
    }
}
