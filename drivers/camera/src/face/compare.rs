//! The 1:1 comparison (人证核验) client: is the person at the kiosk the person on the ID card?
//!
//! Halls run their own comparison server (a vendor appliance or a provincial platform); its API shape
//! varies, so the terminal speaks one small JSON contract, modelled on the common ones (新中新's local
//! `FaceMatch`, Baidu's `match`, Tencent's `Compare`: two base64 images in, a 0–100 score out), and a
//! thin adapter on the hall side maps it when needed. The contract is documented in the crate docs.
//!
//! The pass/fail **threshold is ours** (it comes from the kiosk profile): the client decides `passed`
//! from the score, so a server with a different default cannot silently loosen the check. Images are
//! never logged; only their sizes are.

use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::FaceError;
use crate::frame::{Health, HealthStatus};

/// Request body of `POST /compare`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareRequest {
    /// The reference photo (decoded ID card photo or stored portrait), base64 JPEG or PNG.
    pub id_photo: String,
    /// The photo just taken at the kiosk, base64 JPEG or PNG.
    pub live_photo: String,
    /// The threshold the terminal will apply (informational for the server).
    pub threshold: f32,
}

/// Successful answer of `POST /compare`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompareResponse {
    /// Similarity, 0–100.
    pub score: f32,
}

/// Error answer of the service (any non-2xx status).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceError {
    /// Machine-readable reason, e.g. `no_face`, `bad_image`.
    pub code: String,
    /// Human-readable reason.
    pub message: String,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceMatch {
    /// Similarity, 0–100, as the service scored it.
    pub score: f32,
    /// The threshold applied.
    pub threshold: f32,
    /// `score >= threshold`.
    pub passed: bool,
}

/// Client for the hall's face comparison service.
#[derive(Debug, Clone)]
pub struct FaceComparer {
    base_url: String,
    threshold: f32,
    http: reqwest::Client,
}

impl FaceComparer {
    /// A client for the service at `base_url` (e.g. `http://10.0.0.5:8080`), passing at `threshold`
    /// (0–100; 70 is the common vendor default), giving up after `timeout`.
    pub fn new(base_url: &str, threshold: f32, timeout: Duration) -> Result<Self, FaceError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|err| FaceError::ServiceUnreachable(err.to_string()))?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            threshold,
            http,
        })
    }

    /// Compares two encoded photos (JPEG or PNG).
    pub async fn compare(
        &self,
        id_photo: &[u8],
        live_photo: &[u8],
    ) -> Result<FaceMatch, FaceError> {
        let engine = base64::engine::general_purpose::STANDARD;
        let request = CompareRequest {
            id_photo: engine.encode(id_photo),
            live_photo: engine.encode(live_photo),
            threshold: self.threshold,
        };
        tracing::debug!(
            id_photo_bytes = id_photo.len(),
            live_photo_bytes = live_photo.len(),
            "face comparison request"
        );
        let response = self
            .http
            .post(format!("{}/compare", self.base_url))
            .json(&request)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if !status.is_success() {
            let code = response
                .json::<ServiceError>()
                .await
                .map(|body| body.code)
                .unwrap_or_else(|_| "unknown".into());
            tracing::warn!(status = status.as_u16(), %code, "face comparison service refused");
            return Err(match code.as_str() {
                "no_face" => FaceError::NoFace,
                _ => FaceError::Service {
                    status: status.as_u16(),
                    code,
                },
            });
        }
        let body: CompareResponse = response
            .json()
            .await
            .map_err(|err| FaceError::BadResponse(err.to_string()))?;
        if !(0.0..=100.0).contains(&body.score) {
            return Err(FaceError::BadResponse(format!(
                "score {} outside 0–100",
                body.score
            )));
        }
        let outcome = FaceMatch {
            score: body.score,
            threshold: self.threshold,
            passed: body.score >= self.threshold,
        };
        tracing::info!(
            score = outcome.score,
            passed = outcome.passed,
            "face comparison done"
        );
        Ok(outcome)
    }

    /// Probes `GET /health`: ok when it answers 2xx, degraded on another status, offline when unreachable.
    pub async fn probe(&self) -> Health {
        match self
            .http
            .get(format!("{}/health", self.base_url))
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => Health::new(
                HealthStatus::Ok,
                format!("face service at {}", self.base_url),
            ),
            Ok(response) => Health::new(
                HealthStatus::Degraded,
                format!("face service answered HTTP {}", response.status().as_u16()),
            ),
            Err(err) => Health::new(HealthStatus::Offline, transport_error(err).to_string()),
        }
    }
}

fn transport_error(err: reqwest::Error) -> FaceError {
    if err.is_timeout() {
        FaceError::ServiceTimeout
    } else {
        // Connection refused, DNS, TLS: the message names the address and the cause, never the images.
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        FaceError::ServiceUnreachable(message)
    }
}
