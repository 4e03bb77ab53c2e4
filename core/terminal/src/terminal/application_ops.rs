//! Applications on a terminal: the catalogue it works from, the kiosk's self-service flow, the window's and the
//! field laptop's intake, progress lookup and ratings.
//!
//! Every step that a person is told is saved is written with `Durability::Promised` before the call returns
//! (typed form data in the draft box, scanned pages, the submission, a decision, a rating), so `kill -9` or a
//! power cut right after never loses it. Cases and ratings are records in the hall's scope and sync like
//! tickets; the server gives the official number and relays the provincial platform's status updates
//! (`sync/server/src/cases.rs`).
//!
//! The catalogue is the newest `catalogue` record the terminal has: published by a fleet admin (here, on an
//! admin console, or with `banshi-server catalogue publish`) and synced read-only to every terminal.

use std::collections::BTreeMap;
use std::sync::Arc;

use banshi_core::application::{
    provisional_number, Application, CaseApplicant, CaseError, CaseStatus, Channel, Collection,
    Decision, MaterialEntry, NoticeKind, PreReview, StatusEvent,
};
use banshi_core::catalogue::{
    AnswerError, Answers, Catalogue, CatalogueError, Item, Prefill, CATALOGUE_SCOPE,
};
use banshi_core::mask::{mask_id_number, mask_name};
use banshi_core::queue::{hall_day, unix_ms};
use banshi_core::rating::{
    check_input, check_not_rated, effective_rating, quality_flags, Rating, RatingChannel,
    RatingError, RatingInput,
};
use banshi_core::staff::{Actor, Permission};
use banshi_core::ErrorCode;
use banshi_devices::IdCardView;
use banshi_profile::Mode;
use banshi_store::{Durability, Record};
use serde::{Deserialize, Serialize};

use super::{blocking, Terminal, TerminalError, TerminalEvent};

/// Most pages one material may have, and the largest page, so a runaway camera or client cannot fill the disk.
pub const MAX_PAGES_PER_MATERIAL: usize = 50;
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// How long the progress lookup waits for a receipt under the QR scanner.
pub const SCAN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why an application step is refused.
#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("no service catalogue has reached this terminal yet")]
    NoCatalogue,
    #[error("item {0} is not in the catalogue")]
    UnknownItem(String),
    #[error("{0} has been withdrawn from the catalogue and cannot be applied for any more")]
    ItemWithdrawn(String),
    #[error("no case {0} is known at this terminal")]
    UnknownCase(String),
    #[error("material {0} is not needed for this case")]
    UnknownMaterial(String),
    #[error("a material may have at most {MAX_PAGES_PER_MATERIAL} pages of at most 8 MiB each")]
    TooManyPages,
    #[error("this case is {0} and can no longer be changed here")]
    NotEditable(&'static str),
    #[error("catalogue version {given} is not newer than the published version {current}")]
    StaleCatalogue { given: u32, current: u32 },
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Answers(#[from] AnswerError),
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Rating(#[from] RatingError),
    #[error("the notice could not be made: {0}")]
    Notice(String),
    #[error("a default grade is given by the server, not by a screen")]
    DefaultChannel,
    #[error("ratings through the {0} channel are not taken by this terminal's screens")]
    ChannelNotHere(&'static str),
    #[error("the ID card read at this desk has expired or was never read; read the card again")]
    CardNotHeld,
    #[error("the ID card's photo cannot be read here, so the face cannot be compared with it")]
    CardPhotoUnavailable,
    #[error("the face in front of the camera does not match the ID card's photo")]
    FaceMismatch,
}

impl ErrorCode for ApplicationError {
    fn code(&self) -> &'static str {
        match self {
            ApplicationError::NoCatalogue => "catalogue.none",
            ApplicationError::UnknownItem(_) => "application.unknown_item",
            ApplicationError::ItemWithdrawn(_) => "application.item_withdrawn",
            ApplicationError::UnknownCase(_) => "application.unknown_case",
            ApplicationError::UnknownMaterial(_) => "application.unknown_material",
            ApplicationError::TooManyPages => "application.too_many_pages",
            ApplicationError::NotEditable(_) => "application.not_editable",
            ApplicationError::StaleCatalogue { .. } => "catalogue.stale_version",
            ApplicationError::Catalogue(e) => e.code(),
            ApplicationError::Answers(e) => e.code(),
            ApplicationError::Case(e) => e.code(),
            ApplicationError::Rating(e) => e.code(),
            ApplicationError::Notice(_) => "application.notice_failed",
            ApplicationError::DefaultChannel | ApplicationError::ChannelNotHere(_) => {
                "rating.bad_channel"
            }
            ApplicationError::CardNotHeld => "application.card_not_held",
            ApplicationError::CardPhotoUnavailable => "face.photo_unavailable",
            ApplicationError::FaceMismatch => "face.mismatch",
        }
    }
}

impl ApplicationError {
    pub fn http_status(&self) -> u16 {
        match self {
            ApplicationError::UnknownItem(_) | ApplicationError::UnknownCase(_) => 404,
            ApplicationError::TooManyPages => 413,
            ApplicationError::Catalogue(_)
            | ApplicationError::Answers(_)
            | ApplicationError::UnknownMaterial(_) => 400,
            ApplicationError::Rating(RatingError::AlreadyRated(_)) => 409,
            ApplicationError::Rating(_) => 400,
            ApplicationError::Case(CaseError::BadTransition { .. }) => 409,
            ApplicationError::Case(_) => 400,
            ApplicationError::Notice(_) => 500,
            ApplicationError::DefaultChannel | ApplicationError::ChannelNotHere(_) => 400,
            ApplicationError::CardNotHeld => 409,
            ApplicationError::CardPhotoUnavailable => 503,
            ApplicationError::FaceMismatch => 403,
            ApplicationError::NoCatalogue
            | ApplicationError::ItemWithdrawn(_)
            | ApplicationError::NotEditable(_)
            | ApplicationError::StaleCatalogue { .. } => 409,
        }
    }
}

/// The applicant as a clerk types it or a card gives it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantInput {
    pub name: String,
    pub id_number: String,
    #[serde(default)]
    pub gender: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub ethnicity: String,
}

impl std::fmt::Debug for ApplicantInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicantInput")
            .field("id_number", &mask_id_number(&self.id_number))
            .finish_non_exhaustive()
    }
}

/// What a draft-box save changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ApplicationPatch {
    #[serde(default)]
    pub answers: Option<Answers>,
    /// Merged into the form: a key with an empty value clears the field.
    #[serde(default)]
    pub form: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub collection: Option<Collection>,
}

/// A material of a case as screens show it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseMaterialView {
    pub id: String,
    pub name: String,
    pub medium: banshi_core::catalogue::Medium,
    pub copies: u32,
    pub requirement: banshi_core::catalogue::Requirement,
    pub review_points: Vec<String>,
    pub kiosk_capturable: bool,
    pub pages: usize,
    pub paper_received: bool,
    pub reviewed: bool,
    pub collected: bool,
}

/// One step of a case's history, for screens and the progress lookup (no personal data).
#[derive(Debug, Clone, Serialize)]
pub struct CaseStepView {
    pub status: CaseStatus,
    pub at_ms: i64,
    pub actor_name: String,
    pub hall: String,
    pub note: String,
}

/// A case for the resident's own screen or the clerk's workspace. It holds the applicant's name and form
/// data (the person at the screen is the applicant or the clerk taking the case); lists use
/// [`CaseSummaryView`].
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: String,
    pub number: String,
    pub provisional_number: String,
    pub official_number: Option<String>,
    pub item_code: String,
    pub item_name: String,
    pub catalogue_version: u32,
    pub channel: Channel,
    pub status: CaseStatus,
    pub applicant_name_masked: String,
    pub applicant_id_masked: String,
    pub answers: Answers,
    pub form: BTreeMap<String, String>,
    pub materials: Vec<CaseMaterialView>,
    pub missing_materials: Vec<String>,
    pub missing_fields: Vec<String>,
    pub collection: Collection,
    pub handover: Option<String>,
    pub decision: Option<Decision>,
    pub history: Vec<CaseStepView>,
    /// The documents issued for the case, oldest first.
    pub notices: Vec<NoticeView>,
    /// What the documents' QR carries: the progress page of the case's number.
    pub progress_url: String,
    pub rated: bool,
    /// The applicant signed (kiosk pad or the window's customer screen).
    pub signed: bool,
    pub synced: bool,
    pub created_at_ms: i64,
}

/// A document issued for a case.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    pub kind: banshi_core::application::NoticeKind,
    pub at_ms: i64,
    pub printed: bool,
}

/// A line of a case list (draft box, the applicant's cases): no personal data but the masked name.
#[derive(Debug, Clone, Serialize)]
pub struct CaseSummaryView {
    pub id: String,
    pub number: String,
    pub item_name: String,
    pub status: CaseStatus,
    pub applicant_name_masked: String,
    pub updated_at_ms: i64,
}

/// What the kiosk's progress lookup shows to anyone holding the number: no personal data.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressView {
    pub number: String,
    pub provisional_number: String,
    pub official_number: Option<String>,
    pub item_name: String,
    pub status: CaseStatus,
    pub promised_days: Option<u32>,
    pub history: Vec<CaseStepView>,
    pub missing_materials: Vec<String>,
    pub deadline: Option<String>,
}

/// What a rater is told after rating.
#[derive(Debug, Clone, Serialize)]
pub struct RatingView {
    pub case_number: String,
    pub grade: banshi_core::rating::Grade,
    pub submitted_at_ms: i64,
}

impl Terminal {
    // ---- Catalogue ----

    /// The newest catalogue this terminal has.
    pub async fn catalogue(&self) -> Result<Arc<Catalogue>, TerminalError> {
        self.records::<Catalogue>()
            .await?
            .into_iter()
            .map(|(r, _)| r.body)
            .max_by_key(|c| (c.version, c.published_at_ms))
            .map(Arc::new)
            .ok_or(TerminalError::Application(ApplicationError::NoCatalogue))
    }

    /// Publish a catalogue file (fleet admins): checked, then saved as a new record in the catalogue scope,
    /// which every terminal receives read-only. Its version must be above the newest one.
    pub async fn publish_catalogue(&self, actor: &Actor, toml: &str) -> Result<u32, TerminalError> {
        actor.require(Permission::ManageFleet)?;
        let mut catalogue = Catalogue::from_toml(toml).map_err(ApplicationError::from)?;
        if let Ok(current) = self.catalogue().await {
            if catalogue.version <= current.version {
                return Err(ApplicationError::StaleCatalogue {
                    given: catalogue.version,
                    current: current.version,
                }
                .into());
            }
        }
        catalogue.published_at_ms = unix_ms(self.clock.now());
        let version = catalogue.version;
        let (store, who) = (Arc::clone(&self.store), actor.audit_name());
        blocking(move || {
            store
                .acting(who)
                .create(CATALOGUE_SCOPE, &catalogue, Durability::Promised)
        })
        .await?;
        tracing::info!(version, "catalogue published");
        self.sync_now.notify_one();
        Ok(version)
    }

    // ---- Starting and filling a case ----

    /// Start a case for the applicant whose ID card is on this terminal's reader (kiosk, window, field). A
    /// kiosk whose profile has `devices.face_verification` first compares the person at its face camera with
    /// the card's photo (人证核验) and starts nothing unless they match.
    pub async fn start_application_with_card(
        &self,
        actor: &Actor,
        item_code: &str,
    ) -> Result<CaseView, TerminalError> {
        let card = self.read_card().await?;
        let profile = self.profile();
        if profile.mode == Mode::SelfService && profile.devices.face_verification.is_some() {
            self.verify_face(&card).await?;
        }
        self.start_application(actor, item_code, applicant_of(card))
            .await
    }

    /// 人证核验: the face camera's photo against the card's, at the hall's comparison service. The photos go
    /// to the service only; the outcome is logged with its score, never with the person.
    async fn verify_face(&self, card: &IdCardView) -> Result<(), TerminalError> {
        use base64::Engine as _;
        if card.photo_is_placeholder {
            return Err(ApplicationError::CardPhotoUnavailable.into());
        }
        let card_photo = base64::engine::general_purpose::STANDARD
            .decode(&card.photo_png_base64)
            .map_err(|_| ApplicationError::CardPhotoUnavailable)?;
        let devices = self.devices();
        let live_photo = tokio::task::spawn_blocking(move || devices.capture_face())
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))??;
        let outcome = self
            .devices()
            .compare_faces(&card_photo, &live_photo)
            .await?;
        tracing::info!(
            score = outcome.score,
            threshold = outcome.threshold,
            passed = outcome.passed,
            "face verification"
        );
        if !outcome.passed {
            return Err(ApplicationError::FaceMismatch.into());
        }
        Ok(())
    }

    /// The applicant on the ID card on this terminal's reader (waiting up to 5 s for a card).
    pub(super) async fn read_applicant(&self) -> Result<ApplicantInput, TerminalError> {
        Ok(applicant_of(self.read_card().await?))
    }

    async fn read_card(&self) -> Result<IdCardView, TerminalError> {
        let devices = self.devices();
        Ok(tokio::task::spawn_blocking(move || {
            devices.read_id_card(std::time::Duration::from_secs(5))
        })
        .await
        .map_err(|e| TerminalError::Task(e.to_string()))??)
    }

    /// Start a case: a draft with a provisional number, the form pre-filled from the applicant. Saved
    /// durably before it returns.
    pub async fn start_application(
        &self,
        actor: &Actor,
        item_code: &str,
        applicant: ApplicantInput,
    ) -> Result<CaseView, TerminalError> {
        let channel = self.intake_channel(actor)?;
        let catalogue = self.catalogue().await?;
        let item = usable_item(&catalogue, item_code)?;
        let now = self.clock.now();
        let now_ms = unix_ms(now);
        let profile = self.profile();
        let day = hall_day(now).replace('-', "");
        let _numbering = self.issuing.lock().await;
        let seq = self.next_case_seq(&day).await?;
        let mut form = BTreeMap::new();
        for field in &item.form {
            if let Some(value) = catalogue
                .field(&field.field)
                .and_then(|def| def.prefill)
                .map(|p| prefill(p, &applicant))
                .filter(|v| !v.is_empty())
            {
                form.insert(field.field.clone(), value);
            }
        }
        let (who, who_name) = actor_names(actor);
        let case = Application {
            hall_id: profile.terminal.hall_id.clone(),
            item_code: item.code.clone(),
            item_name: item.name.clone(),
            catalogue_version: catalogue.version,
            channel,
            terminal_id: profile.terminal.id.clone(),
            provisional_number: provisional_number(&profile.terminal.id, &day, seq),
            official_number: None,
            applicant: CaseApplicant {
                person_key: banshi_crypto::sm3_hex(applicant.id_number.as_bytes()),
                name: applicant.name,
                id_number: applicant.id_number,
                gender: applicant.gender,
                birth_date: applicant.birth_date,
                address: applicant.address,
            },
            agent: None,
            answers: Answers::new(),
            form,
            materials: BTreeMap::new(),
            signature: None,
            collection: Collection::Window,
            handover: None,
            decision: None,
            notices: Vec::new(),
            history: vec![StatusEvent {
                status: CaseStatus::Draft,
                at_ms: now_ms,
                actor: who.clone(),
                actor_name: who_name,
                terminal: profile.terminal.id.clone(),
                hall: profile.terminal.hall_id.clone(),
                note: String::new(),
            }],
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        };
        let (store, scope, body) = (Arc::clone(&self.store), self.hall_scope(), case);
        let audit_name = actor.audit_name();
        let header = blocking(move || {
            store
                .acting(audit_name)
                .create(&scope, &body, Durability::Promised)
        })
        .await?;
        drop(_numbering);
        tracing::info!(case = %header.id, item = item_code, "case started");
        self.case_changed();
        self.case_view(&header.id).await
    }

    /// Save answers, form data or the collection method (the draft box); durable when it returns.
    pub async fn save_application(
        &self,
        actor: &Actor,
        id: &str,
        patch: ApplicationPatch,
    ) -> Result<CaseView, TerminalError> {
        self.intake_channel(actor)?;
        let (case, item, catalogue) = self.case_and_item(id).await?;
        editable(&case.body)?;
        if let Some(answers) = &patch.answers {
            // Partial answers are fine in a draft; only options that exist are kept.
            for (q, o) in answers {
                let known = item
                    .questions
                    .iter()
                    .any(|qq| &qq.id == q && qq.options.iter().any(|oo| &oo.id == o));
                if !known {
                    return Err(ApplicationError::Answers(AnswerError::UnknownOption {
                        question: q.clone(),
                        option: o.clone(),
                    })
                    .into());
                }
            }
        }
        if let Some(form) = &patch.form {
            for (code, value) in form.iter().filter(|(_, v)| !v.trim().is_empty()) {
                let def = item
                    .form
                    .iter()
                    .any(|f| &f.field == code)
                    .then(|| catalogue.field(code))
                    .flatten();
                let checked = match def {
                    Some(def) => def.check_value(value),
                    None => Err("not a field of this item's form".to_string()),
                };
                if let Err(expected) = checked {
                    return Err(ApplicationError::Case(CaseError::BadFieldValue {
                        field: code.clone(),
                        expected,
                    })
                    .into());
                }
            }
        }
        let now_ms = unix_ms(self.clock.now());
        self.edit_case(actor, id, move |c| {
            if let Some(answers) = patch.answers {
                c.answers = answers;
            }
            if let Some(form) = patch.form {
                for (k, v) in form {
                    if v.trim().is_empty() {
                        c.form.remove(&k);
                    } else {
                        c.form.insert(k, v);
                    }
                }
            }
            if let Some(collection) = patch.collection {
                c.collection = collection;
            }
            c.updated_at_ms = now_ms;
        })
        .await?;
        self.case_view(id).await
    }

    /// Add scanned pages (JPEG or PNG bytes) to a material; each page becomes a blob that syncs with the case.
    pub async fn add_material_pages(
        &self,
        actor: &Actor,
        id: &str,
        material_id: &str,
        pages: Vec<Vec<u8>>,
    ) -> Result<CaseView, TerminalError> {
        self.intake_channel(actor)?;
        let (case, item, _) = self.case_and_item(id).await?;
        editable(&case.body)?;
        if !item.materials.iter().any(|m| m.id == material_id) {
            return Err(ApplicationError::UnknownMaterial(material_id.to_string()).into());
        }
        let already = case
            .body
            .materials
            .get(material_id)
            .map_or(0, |m| m.pages.len());
        if pages.is_empty()
            || already + pages.len() > MAX_PAGES_PER_MATERIAL
            || pages.iter().any(|p| p.len() > MAX_PAGE_BYTES)
        {
            return Err(ApplicationError::TooManyPages.into());
        }
        let (store, scope) = (Arc::clone(&self.store), self.hall_scope());
        let names = blocking(move || {
            pages
                .iter()
                .map(|p| store.add_blob_bytes(&scope, p).map(|m| m.sm3))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
        let (material, now_ms) = (material_id.to_string(), unix_ms(self.clock.now()));
        self.edit_case(actor, id, move |c| {
            c.materials.entry(material).or_default().pages.extend(names);
            c.updated_at_ms = now_ms;
        })
        .await?;
        self.case_view(id).await
    }

    /// Take one page of a material with this terminal's document camera (the page pipeline finds, flattens
    /// and enhances it) and add it to the case.
    pub async fn capture_material_page(
        &self,
        actor: &Actor,
        id: &str,
        material_id: &str,
    ) -> Result<CaseView, TerminalError> {
        self.intake_channel(actor)?;
        let devices = self.devices();
        let capture = tokio::task::spawn_blocking(move || devices.capture_page(false))
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))??;
        use base64::Engine;
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(capture.jpeg_base64.as_bytes())
            .map_err(|e| TerminalError::Task(format!("the camera's page is not base64: {e}")))?;
        self.add_material_pages(actor, id, material_id, vec![jpeg])
            .await
    }

    /// The clerk took (or gave back) the paper of a material and ticked its review points.
    pub async fn mark_material(
        &self,
        actor: &Actor,
        id: &str,
        material_id: &str,
        paper_received: bool,
        reviewed: bool,
    ) -> Result<CaseView, TerminalError> {
        self.require_clerk(actor)?;
        let (case, item, _) = self.case_and_item(id).await?;
        editable(&case.body)?;
        if !item.materials.iter().any(|m| m.id == material_id) {
            return Err(ApplicationError::UnknownMaterial(material_id.to_string()).into());
        }
        let (material, now_ms) = (material_id.to_string(), unix_ms(self.clock.now()));
        self.edit_case(actor, id, move |c| {
            let entry = c
                .materials
                .entry(material)
                .or_insert_with(MaterialEntry::default);
            entry.paper_received = paper_received;
            entry.reviewed = reviewed;
            c.updated_at_ms = now_ms;
        })
        .await?;
        self.case_view(id).await
    }

    /// Keep the applicant's signature (a PNG from the signature pad or customer screen).
    pub async fn sign_application(
        &self,
        actor: &Actor,
        id: &str,
        png: Vec<u8>,
    ) -> Result<CaseView, TerminalError> {
        self.intake_channel(actor)?;
        self.store_signature(actor, id, png).await?;
        self.case_view(id).await
    }

    /// Keep a signature on a case that can still change, in `signer`'s name (the audit's writer).
    pub(super) async fn store_signature(
        &self,
        signer: &Actor,
        id: &str,
        png: Vec<u8>,
    ) -> Result<(), TerminalError> {
        let (case, _, _) = self.case_and_item(id).await?;
        editable(&case.body)?;
        if png.is_empty() || png.len() > MAX_PAGE_BYTES {
            return Err(ApplicationError::TooManyPages.into());
        }
        let (store, scope) = (Arc::clone(&self.store), self.hall_scope());
        let sm3 = blocking(move || store.add_blob_bytes(&scope, &png).map(|m| m.sm3)).await?;
        self.edit_case(signer, id, move |c| c.signature = Some(sm3))
            .await
    }

    /// Submit a case taken at a kiosk or in the field. Materials the kiosk cannot take hand the case over to
    /// a window (it waits there for the applicant's ID card). A query/print item ends here. Durable before it
    /// returns, online or not: the provisional number is what the receipt shows.
    pub async fn submit_application(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<CaseView, TerminalError> {
        let channel = self.intake_channel(actor)?;
        let (case, item, catalogue) = self.case_and_item(id).await?;
        if case.body.status() != CaseStatus::Draft {
            return Err(ApplicationError::NotEditable(case.body.status().as_str()).into());
        }
        usable_item(&catalogue, &item.code)?;
        item.check_answers(&case.body.answers)
            .map_err(ApplicationError::from)?;
        if let Some(field) = case.body.missing_fields(&item).into_iter().next() {
            return Err(ApplicationError::Case(CaseError::FieldRequired(field)).into());
        }
        let (status, handover) = if item.is_query_print() {
            (CaseStatus::Printed, None)
        } else {
            let missing = case.body.missing_materials(&item);
            let window_only: Vec<String> = item
                .materials_for(&case.body.answers)
                .into_iter()
                .filter(|m| missing.contains(&m.id) && !m.kiosk_capturable)
                .map(|m| m.name.clone())
                .collect();
            if channel == Channel::Kiosk && (!item.kiosk || !window_only.is_empty()) {
                let reason = if window_only.is_empty() {
                    "该事项需到窗口办理".to_string()
                } else {
                    window_only.join("、")
                };
                (CaseStatus::HandedOver, Some(reason))
            } else if let Some(first) = missing.first() {
                if channel == Channel::Kiosk {
                    return Err(
                        ApplicationError::Case(CaseError::MaterialMissing(first.clone())).into(),
                    );
                }
                (CaseStatus::Submitted, None)
            } else {
                (CaseStatus::Submitted, None)
            }
        };
        let event = self.step(actor, status, handover.clone().unwrap_or_default());
        self.edit_case_checked(actor, id, move |c| {
            c.handover = handover;
            c.record_step(event)
        })
        .await?;
        tracing::info!(case = id, status = status.as_str(), "case submitted");
        // The kiosk hands the resident a receipt with the number and the progress QR; a printer problem is
        // noted on the case and never undoes the submission.
        if channel == Channel::Kiosk {
            if let Err(error) = self.issue_notice(actor, id, NoticeKind::Receipt).await {
                tracing::warn!(case = id, %error, "case submitted, receipt not issued");
            }
        }
        self.case_view(id).await
    }

    /// A window's (or field officer's) decision: 受理, 容缺受理, 不予受理 or 补齐补正, checked against the
    /// item's generated material list.
    pub async fn decide_application(
        &self,
        actor: &Actor,
        id: &str,
        decision: Decision,
    ) -> Result<CaseView, TerminalError> {
        self.require_clerk(actor)?;
        let (case, item, _) = self.case_and_item(id).await?;
        case.body
            .check_decision(&item, &decision)
            .map_err(ApplicationError::from)?;
        let note = decision_note(&decision, &item);
        let event = self.step(actor, decision.status(), note);
        let kind = decision.notice();
        self.edit_case_checked(actor, id, move |c| {
            c.record_step(event)?;
            c.decision = Some(decision);
            Ok(())
        })
        .await?;
        // The decision stands whatever happens to its paper: a notice that could not be made or printed is
        // made again with `issue_notice`.
        if let Err(error) = self.issue_notice(actor, id, kind).await {
            tracing::warn!(case = id, %error, "decision saved, notice not issued");
        }
        self.case_view(id).await
    }

    /// A clerk's pre-review (业务预审) of a case submitted at a kiosk or in the field: 预审通过 or 预审驳回 with
    /// the opinion. No notice is printed: the applicant is not at the desk (the progress lookup shows the step).
    pub async fn pre_review_application(
        &self,
        actor: &Actor,
        id: &str,
        verdict: PreReview,
    ) -> Result<CaseView, TerminalError> {
        self.require_clerk(actor)?;
        let step = self.step(actor, verdict.status(), String::new());
        let status = verdict.status();
        self.edit_case_checked(actor, id, move |c| c.record_pre_review(&verdict, step))
            .await?;
        tracing::info!(case = id, status = status.as_str(), "pre-reviewed");
        self.case_view(id).await
    }

    // ---- Reading cases ----

    /// A case as the applicant's screen or the clerk's workspace shows it.
    pub async fn case_view(&self, id: &str) -> Result<CaseView, TerminalError> {
        let (case, status) = self
            .find_case_record(|r| r.header.id == id)
            .await?
            .ok_or_else(|| {
                TerminalError::Application(ApplicationError::UnknownCase(id.to_string()))
            })?;
        let catalogue = self.catalogue().await.ok();
        let item = catalogue
            .as_ref()
            .and_then(|c| c.item(&case.body.item_code));
        let rated = self.rating_of(&case.header.id).await?.is_some();
        let url = super::notices::progress_url(self, case.body.number());
        Ok(case_view(
            &case,
            item,
            rated,
            status == banshi_store::SyncStatus::Synced,
            url,
        ))
    }

    /// The progress of the case on the receipt held under this terminal's QR scanner (its QR carries the progress
    /// URL; a typed-in number's barcode works too), waiting up to [`SCAN_WAIT`] for the scan.
    pub async fn scan_case_progress(&self) -> Result<ProgressView, TerminalError> {
        let devices = self.devices();
        let scanned = tokio::task::spawn_blocking(move || devices.next_scan(SCAN_WAIT))
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))??;
        self.case_progress(&scanned).await
    }

    /// The progress of the case with this provisional or official number (a receipt's QR carries it).
    pub async fn case_progress(&self, number: &str) -> Result<ProgressView, TerminalError> {
        let number = super::notices::number_from_scan(number);
        let (case, _) = self
            .find_case_record(|r| r.body.has_number(number))
            .await?
            .ok_or_else(|| {
                TerminalError::Application(ApplicationError::UnknownCase(number.to_string()))
            })?;
        let catalogue = self.catalogue().await.ok();
        let item = catalogue
            .as_ref()
            .and_then(|c| c.item(&case.body.item_code));
        let a = &case.body;
        let (missing, deadline) = match &a.decision {
            Some(Decision::AcceptWithMissing {
                missing,
                promise_date,
            }) => (missing.clone(), Some(promise_date.clone())),
            Some(Decision::RequestCorrection {
                materials,
                deadline,
                ..
            }) => (materials.clone(), Some(deadline.clone())),
            _ => (Vec::new(), None),
        };
        let names = |ids: Vec<String>| -> Vec<String> {
            ids.into_iter()
                .map(|id| {
                    item.and_then(|i| i.materials.iter().find(|m| m.id == id))
                        .map_or(id, |m| m.name.clone())
                })
                .collect()
        };
        Ok(ProgressView {
            number: a.number().to_string(),
            provisional_number: a.provisional_number.clone(),
            official_number: a.official_number.clone(),
            item_name: a.item_name.clone(),
            status: a.status(),
            promised_days: item.map(|i| i.promised_days),
            history: steps(a),
            missing_materials: names(missing),
            deadline,
        })
    }

    /// The cases of the person with this ID number, newest first: what a window sees after reading the card
    /// (a kiosk hand-over is among them).
    pub async fn cases_for_applicant(
        &self,
        actor: &Actor,
        id_number: &str,
    ) -> Result<Vec<CaseSummaryView>, TerminalError> {
        self.require_clerk(actor)?;
        let key = banshi_crypto::sm3_hex(id_number.trim().as_bytes());
        let mut cases: Vec<_> = self
            .records::<Application>()
            .await?
            .into_iter()
            .filter(|(r, _)| r.body.applicant.person_key == key)
            .map(|(r, _)| summary(&r))
            .collect();
        cases.sort_by_key(|c| std::cmp::Reverse(c.updated_at_ms));
        Ok(cases)
    }

    /// The draft box and the not-yet-finished cases of this terminal, newest first.
    pub async fn open_cases(&self, actor: &Actor) -> Result<Vec<CaseSummaryView>, TerminalError> {
        self.require_clerk(actor)?;
        let me = self.profile().terminal.id.clone();
        let mut cases: Vec<_> = self
            .records::<Application>()
            .await?
            .into_iter()
            .filter(|(r, _)| {
                r.body.terminal_id == me && !r.body.status().is_final()
                    || r.body.status().awaits_intake() && r.body.status() != CaseStatus::Draft
            })
            .map(|(r, _)| summary(&r))
            .collect();
        cases.sort_by_key(|c| std::cmp::Reverse(c.updated_at_ms));
        Ok(cases)
    }

    // ---- Ratings ----

    /// A rating from this terminal's own screens, as its API takes it: the kiosk flow's last step (channel
    /// `kiosk`, self-service mode), or the reasons a clerk records for the keypad evaluator's dissatisfied grade
    /// (`evaluator`, window mode, a clerk logged in). The customer screen rates through its offer
    /// ([`Terminal::customer_screen_rate`]); receipt and window QRs and SMS do not reach a terminal. So a caller
    /// cannot pass a rating off as another channel's.
    pub async fn rate_case_from_screen(
        &self,
        actor: &Actor,
        case_id: &str,
        input: RatingInput,
        channel: RatingChannel,
    ) -> Result<RatingView, TerminalError> {
        let mode = self.profile().mode;
        match channel {
            RatingChannel::Kiosk if mode == Mode::SelfService => {}
            RatingChannel::Evaluator if mode == Mode::Window => self.require_clerk(actor)?,
            RatingChannel::Default => return Err(ApplicationError::DefaultChannel.into()),
            other => return Err(ApplicationError::ChannelNotHere(other.as_str()).into()),
        }
        self.rate_case(case_id, input, channel).await
    }

    /// Rate a case (kiosk's last step, the window's evaluator or customer screen). Refused when the case was
    /// rated already: one rating per case, never changed.
    pub async fn rate_case(
        &self,
        case_id: &str,
        input: RatingInput,
        channel: RatingChannel,
    ) -> Result<RatingView, TerminalError> {
        if channel == RatingChannel::Default {
            return Err(ApplicationError::DefaultChannel.into());
        }
        let rules = self
            .hall_setup()
            .await?
            .map(|hall| hall.rating_rules())
            .unwrap_or_default();
        let grade = check_input(&input, &rules).map_err(ApplicationError::from)?;
        let (case, _) = self
            .find_case_record(|r| r.header.id == case_id)
            .await?
            .ok_or_else(|| {
                TerminalError::Application(ApplicationError::UnknownCase(case_id.to_string()))
            })?;
        let _one_at_a_time = self.rating.lock().await;
        let ratings = self.rating_bodies().await?;
        check_not_rated(case_id, case.body.number(), &ratings).map_err(ApplicationError::from)?;
        let profile = self.profile();
        let staff_id = case.body.serving_staff().map(str::to_string);
        let mut rating = Rating {
            case_number: case.body.number().to_string(),
            case_id: case_id.to_string(),
            item_code: case.body.item_code.clone(),
            hall_id: case.body.hall_id.clone(),
            window: profile.queue.window,
            staff_id,
            grade,
            reasons: input.reasons,
            comment: input.comment,
            anonymous: input.anonymous,
            rater_key: (!input.anonymous).then(|| case.body.applicant.person_key.clone()),
            channel,
            terminal_id: profile.terminal.id.clone(),
            submitted_at_ms: unix_ms(self.clock.now()),
            flags: Vec::new(),
        };
        let earlier: Vec<&Rating> = ratings.iter().collect();
        rating.flags = quality_flags(&rating, &earlier, &rules);
        let view = RatingView {
            case_number: rating.case_number.clone(),
            grade,
            submitted_at_ms: rating.submitted_at_ms,
        };
        let (store, scope) = (Arc::clone(&self.store), self.hall_scope());
        blocking(move || {
            store
                .acting("resident")
                .create(&scope, &rating, Durability::Promised)
        })
        .await?;
        self.case_changed();
        Ok(view)
    }

    async fn rating_of(&self, case_id: &str) -> Result<Option<Rating>, TerminalError> {
        let ratings = self.rating_bodies().await?;
        Ok(effective_rating(ratings.iter().filter(|r| r.case_id == case_id)).cloned())
    }

    /// Every rating this terminal holds (its hall's, from every channel and the server's default grades).
    pub(super) async fn rating_bodies(&self) -> Result<Vec<Rating>, TerminalError> {
        Ok(self
            .records::<Rating>()
            .await?
            .into_iter()
            .map(|(r, _)| r.body)
            .collect())
    }

    // ---- Helpers ----

    /// The channel this terminal takes cases in, checking who may: residents at a kiosk, clerks at a window,
    /// field staff in the field.
    fn intake_channel(&self, actor: &Actor) -> Result<Channel, TerminalError> {
        match self.profile().mode {
            Mode::SelfService => Ok(Channel::Kiosk),
            Mode::Window => {
                actor.require(Permission::ServeWindow)?;
                Ok(Channel::Window)
            }
            Mode::Field => {
                actor.require(Permission::FieldIntake)?;
                Ok(Channel::Field)
            }
            _ => Err(TerminalError::WrongMode("self-service, window or field")),
        }
    }

    pub(super) fn require_clerk(&self, actor: &Actor) -> Result<(), TerminalError> {
        match self.intake_channel(actor)? {
            Channel::Kiosk => Err(TerminalError::WrongMode("window or field")),
            _ => Ok(()),
        }
    }

    fn step(&self, actor: &Actor, status: CaseStatus, note: String) -> StatusEvent {
        let profile = self.profile();
        let (actor, actor_name) = actor_names(actor);
        StatusEvent {
            status,
            at_ms: unix_ms(self.clock.now()),
            actor,
            actor_name,
            terminal: profile.terminal.id.clone(),
            hall: profile.terminal.hall_id.clone(),
            note,
        }
    }

    async fn next_case_seq(&self, day: &str) -> Result<u32, TerminalError> {
        let store = Arc::clone(&self.store);
        let key = format!("case_seq:{day}");
        blocking(move || {
            let next = store
                .local_get(&key)?
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
                + 1;
            store.local_put(&key, &next.to_string())?;
            Ok(next)
        })
        .await
    }

    async fn find_case_record(
        &self,
        pick: impl Fn(&Record<Application>) -> bool,
    ) -> Result<Option<(Record<Application>, banshi_store::SyncStatus)>, TerminalError> {
        Ok(self
            .records::<Application>()
            .await?
            .into_iter()
            .find(|(r, _)| pick(r)))
    }

    pub(super) async fn case_and_item(
        &self,
        id: &str,
    ) -> Result<(Record<Application>, Item, Arc<Catalogue>), TerminalError> {
        let (case, _) = self
            .find_case_record(|r| r.header.id == id)
            .await?
            .ok_or_else(|| {
                TerminalError::Application(ApplicationError::UnknownCase(id.to_string()))
            })?;
        let catalogue = self.catalogue().await?;
        let item = catalogue
            .item(&case.body.item_code)
            .cloned()
            .ok_or_else(|| ApplicationError::UnknownItem(case.body.item_code.clone()))?;
        Ok((case, item, catalogue))
    }

    pub(super) async fn edit_case(
        &self,
        actor: &Actor,
        id: &str,
        edit: impl FnOnce(&mut Application) + Send + 'static,
    ) -> Result<(), TerminalError> {
        self.edit_case_checked(actor, id, move |c| {
            edit(c);
            Ok(())
        })
        .await
    }

    /// Applies `edit` durably; a refused edit changes nothing.
    async fn edit_case_checked(
        &self,
        actor: &Actor,
        id: &str,
        edit: impl FnOnce(&mut Application) -> Result<(), CaseError> + Send + 'static,
    ) -> Result<(), TerminalError> {
        let (store, id, who) = (Arc::clone(&self.store), id.to_string(), actor.audit_name());
        let _one_at_a_time = self.desk.lock().await;
        // Check on a copy first: the store's update cannot fail half-way, so a refused step never writes.
        let current = self
            .find_case_record(|r| r.header.id == id)
            .await?
            .ok_or_else(|| ApplicationError::UnknownCase(id.clone()))?
            .0
            .body;
        let mut next = current.clone();
        edit(&mut next).map_err(ApplicationError::from)?;
        blocking(move || {
            store
                .acting(who)
                .update::<Application>(&id, Durability::Promised, |c| *c = next)
                .map(|_| ())
        })
        .await?;
        self.case_changed();
        Ok(())
    }

    fn case_changed(&self) {
        self.emit(TerminalEvent::CasesChanged);
        self.emit(TerminalEvent::SyncChanged);
        self.sync_now.notify_one();
    }
}

fn usable_item<'a>(catalogue: &'a Catalogue, code: &str) -> Result<&'a Item, ApplicationError> {
    let item = catalogue
        .item(code)
        .ok_or_else(|| ApplicationError::UnknownItem(code.to_string()))?;
    if item.withdrawn {
        return Err(ApplicationError::ItemWithdrawn(item.name.clone()));
    }
    Ok(item)
}

/// The applicant as the card gives it.
fn applicant_of(card: IdCardView) -> ApplicantInput {
    ApplicantInput {
        name: card.name,
        id_number: card.id_number,
        gender: card.sex.to_string(),
        birth_date: card.birth_date,
        address: card.address.unwrap_or_default(),
        ethnicity: card.ethnicity.unwrap_or_default(),
    }
}

fn editable(case: &Application) -> Result<(), ApplicationError> {
    editable_status(case.status())
}

/// Whether a case in `status` can still change at a desk (form, materials, signature).
pub(super) fn editable_status(status: CaseStatus) -> Result<(), ApplicationError> {
    if status.is_final() || !status.awaits_intake() {
        return Err(ApplicationError::NotEditable(status.as_str()));
    }
    Ok(())
}

fn prefill(source: Prefill, a: &ApplicantInput) -> String {
    match source {
        Prefill::CardName => a.name.clone(),
        Prefill::CardIdNumber => a.id_number.clone(),
        Prefill::CardGender => a.gender.clone(),
        Prefill::CardBirthDate => a.birth_date.clone(),
        Prefill::CardAddress => a.address.clone(),
        Prefill::CardEthnicity => a.ethnicity.clone(),
    }
}

/// The actor's id and printable name for a status step: `resident` at a kiosk, else the staff id and name.
pub(super) fn actor_names(actor: &Actor) -> (String, String) {
    match actor.staff() {
        Some(s) => (s.staff_id.clone(), s.name.clone()),
        None => ("resident".to_string(), String::new()),
    }
}

fn decision_note(decision: &Decision, item: &Item) -> String {
    let names = |ids: &[String]| {
        ids.iter()
            .map(|id| {
                item.materials
                    .iter()
                    .find(|m| &m.id == id)
                    .map_or(id.as_str(), |m| m.name.as_str())
            })
            .collect::<Vec<_>>()
            .join("、")
    };
    match decision {
        Decision::Accept => String::new(),
        Decision::AcceptWithMissing {
            missing,
            promise_date,
        } => format!("容缺：{}，承诺于{promise_date}前补交", names(missing)),
        Decision::Reject { reason } => reason.clone(),
        Decision::RequestCorrection {
            materials,
            reason,
            deadline,
        } => format!("补正：{}（{reason}），期限{deadline}", names(materials)),
    }
}

fn steps(a: &Application) -> Vec<CaseStepView> {
    let mut history: Vec<_> = a.history.iter().collect();
    history.sort_by(|x, y| (x.at_ms, &x.terminal).cmp(&(y.at_ms, &y.terminal)));
    history
        .into_iter()
        .map(|e| CaseStepView {
            status: e.status,
            at_ms: e.at_ms,
            actor_name: e.actor_name.clone(),
            hall: e.hall.clone(),
            note: e.note.clone(),
        })
        .collect()
}

fn summary(r: &Record<Application>) -> CaseSummaryView {
    CaseSummaryView {
        id: r.header.id.clone(),
        number: r.body.number().to_string(),
        item_name: r.body.item_name.clone(),
        status: r.body.status(),
        applicant_name_masked: mask_name(&r.body.applicant.name),
        updated_at_ms: r.body.updated_at_ms,
    }
}

fn case_view(
    r: &Record<Application>,
    item: Option<&Item>,
    rated: bool,
    synced: bool,
    progress_url: String,
) -> CaseView {
    let a = &r.body;
    let materials = item
        .map(|item| {
            item.materials_for(&a.answers)
                .into_iter()
                .map(|m| {
                    let entry = a.materials.get(&m.id).cloned().unwrap_or_default();
                    CaseMaterialView {
                        id: m.id.clone(),
                        name: m.name.clone(),
                        medium: m.medium,
                        copies: m.copies,
                        requirement: m.requirement,
                        review_points: m.review_points.clone(),
                        kiosk_capturable: m.kiosk_capturable,
                        pages: entry.pages.len(),
                        paper_received: entry.paper_received,
                        reviewed: entry.reviewed,
                        collected: entry.is_collected(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    CaseView {
        id: r.header.id.clone(),
        number: a.number().to_string(),
        provisional_number: a.provisional_number.clone(),
        official_number: a.official_number.clone(),
        item_code: a.item_code.clone(),
        item_name: a.item_name.clone(),
        catalogue_version: a.catalogue_version,
        channel: a.channel,
        status: a.status(),
        applicant_name_masked: mask_name(&a.applicant.name),
        applicant_id_masked: mask_id_number(&a.applicant.id_number),
        answers: a.answers.clone(),
        form: a.form.clone(),
        materials,
        missing_materials: item.map(|i| a.missing_materials(i)).unwrap_or_default(),
        missing_fields: item.map(|i| a.missing_fields(i)).unwrap_or_default(),
        collection: a.collection.clone(),
        handover: a.handover.clone(),
        decision: a.decision.clone(),
        history: steps(a),
        notices: a
            .notices
            .iter()
            .map(|n| NoticeView {
                kind: n.kind,
                at_ms: n.at_ms,
                printed: n.printed,
            })
            .collect(),
        progress_url,
        rated,
        signed: a.signature.is_some(),
        synced,
        created_at_ms: a.created_at_ms,
    }
}
