//! The ID card reader as the profile configures it, and the card as the device API hands it out.

use std::sync::Mutex;
use std::time::Duration;

use banshi_idcard::{
    Card, CommandDecoder, PhotoDecoder, PlaceholderDecoder, ReaderStatus, SerialConfig,
    SerialReader, ValidUntil,
};
use banshi_profile::SerialDevice;
use base64::Engine as _;
use serde::Serialize;

use crate::{DeviceError, DeviceStatus};

/// How often a waiting read asks the reader for a new card.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long the vendor's photo converter may take.
const DECODER_TIMEOUT: Duration = Duration::from_secs(10);

/// One reader on a serial port. The mutex keeps a health probe from interleaving its frames with a read.
#[derive(Debug)]
pub(crate) struct IdReader {
    reader: Mutex<SerialReader>,
    photos: Box<dyn PhotoDecoder>,
}

/// A card for the web page or screen that asked for it. This is personal data: it is returned to the caller
/// and never logged (its `Debug` shows only the kind and the masked number).
#[derive(Clone, Serialize)]
pub struct IdCardView {
    /// `resident`, `hmt_permit`, `foreigner_2017`, `foreigner_2023`.
    pub card_type: &'static str,
    pub name: String,
    pub english_name: Option<String>,
    /// 男 / 女 / 未知的性别 / 未说明的性别.
    pub sex: &'static str,
    /// 汉, 维吾尔, … (resident cards).
    pub ethnicity: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub address: Option<String>,
    pub id_number: String,
    /// The number as lists and logs may show it.
    pub id_number_masked: String,
    pub issuer: Option<String>,
    pub valid_from: String,
    /// `YYYY-MM-DD`, or `长期` for no expiry.
    pub valid_until: String,
    pub nationality: Option<String>,
    pub pass_number: Option<String>,
    /// PNG in base64: the decoded photo, or a neutral placeholder when no vendor decoder is installed.
    pub photo_png_base64: String,
    /// True when `photo_png_base64` is the placeholder (face comparison must not use it).
    pub photo_is_placeholder: bool,
    /// The raw WLT photo in base64, for systems that decode it themselves.
    pub photo_wlt_base64: String,
}

impl std::fmt::Debug for IdCardView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdCardView")
            .field("card_type", &self.card_type)
            .field("id_number", &self.id_number_masked)
            .finish_non_exhaustive()
    }
}

impl IdReader {
    /// `decoder`: the vendor's WLT converter (program, then arguments with `{wlt}` and `{out}`); without one
    /// the photo is a placeholder.
    pub(crate) fn open(config: &SerialDevice, decoder: &[String]) -> Self {
        let photos: Box<dyn PhotoDecoder> = match decoder.split_first() {
            Some((program, args)) => Box::new(CommandDecoder {
                program: program.into(),
                args: args.to_vec(),
                timeout: DECODER_TIMEOUT,
            }),
            None => Box::new(PlaceholderDecoder),
        };
        Self {
            reader: Mutex::new(SerialReader::new(
                &config.port,
                SerialConfig {
                    baud_rate: config.baud,
                    ..SerialConfig::default()
                },
            )),
            photos,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SerialReader> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Probe the SAM; while a read holds the reader, report nothing new (`None`).
    pub(crate) fn probe(&self) -> Option<(DeviceStatus, Option<String>)> {
        let mut reader = self.reader.try_lock().ok()?;
        let health = reader.probe();
        let status = match health.status {
            ReaderStatus::Ok => DeviceStatus::Ok,
            ReaderStatus::Degraded => DeviceStatus::Degraded,
            ReaderStatus::Offline => DeviceStatus::Offline,
        };
        Some((status, health.detail))
    }

    /// Wait up to `timeout` for a new card and read it.
    pub(crate) fn read(&self, timeout: Duration) -> Result<IdCardView, DeviceError> {
        let card = self.lock().wait_for_card(timeout, POLL_INTERVAL)?;
        tracing::info!(card_type = card.kind.as_str(), "ID card read");
        Ok(self.view(card))
    }

    fn view(&self, card: Card) -> IdCardView {
        let b64 = base64::engine::general_purpose::STANDARD;
        let photo = self
            .photos
            .decode(&card.photo)
            .map_err(|error| tracing::warn!(%error, "the card photo could not be decoded"))
            .ok();
        IdCardView {
            card_type: card.kind.as_str(),
            id_number_masked: card.masked_number(),
            sex: card.gender.label_zh(),
            ethnicity: card.ethnicity.map(|e| e.label_zh()),
            birth_date: card.birth_date.to_string(),
            valid_from: card.valid_from.to_string(),
            valid_until: match card.valid_until {
                ValidUntil::Date(d) => d.to_string(),
                ValidUntil::LongTerm => "长期".to_owned(),
            },
            photo_png_base64: photo
                .as_ref()
                .map(|p| b64.encode(&p.png))
                .unwrap_or_default(),
            photo_is_placeholder: photo.as_ref().is_none_or(|p| p.placeholder),
            photo_wlt_base64: b64.encode(card.photo.as_bytes()),
            name: card.name,
            english_name: card.english_name,
            address: card.address,
            id_number: card.number,
            issuer: card.issuer,
            nationality: card.nationality,
            pass_number: card.pass_number,
        }
    }
}
