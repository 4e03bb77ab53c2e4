//! The document camera (高拍仪) and the face camera as the profile configures them.
//!
//! A camera is opened for each capture and closed afterwards: the stream costs USB bandwidth and power,
//! and a camera that was unplugged in between simply fails that capture and works on the next.

use std::sync::{Arc, Mutex};

use banshi_camera::face::{FaceGate, FaceGateConfig};
use banshi_camera::{scan_frame, FrameSource, HealthStatus, PageMode, PageOptions, PixelFormat};
use banshi_core::SystemClock;
use banshi_profile::Camera;
use base64::Engine as _;
use serde::Serialize;

use crate::{DeviceError, DeviceStatus};

/// JPEG quality of a face photo sent for comparison: services expect a clear photo, not a small one.
const FACE_JPEG_QUALITY: u8 = 90;

#[derive(Debug)]
pub(crate) struct CameraDevice {
    source: Mutex<Result<Box<dyn FrameSource>, String>>,
}

/// A captured page: found, straightened, cropped, enhanced.
#[derive(Debug, Clone, Serialize)]
pub struct PageCapture {
    /// JPEG in base64.
    pub jpeg_base64: String,
    pub width: u32,
    pub height: u32,
    /// Page corners found in the photo (TL, TR, BR, BL), photo pixels.
    pub corners: [(f32, f32); 4],
}

impl CameraDevice {
    pub(crate) fn open(config: &Camera) -> Self {
        let source = banshi_camera::open_device(&config.device, Arc::new(SystemClock))
            .map_err(|e| e.to_string());
        Self {
            source: Mutex::new(source),
        }
    }

    pub(crate) fn probe(&self) -> Option<(DeviceStatus, Option<String>)> {
        let source = self.source.try_lock().ok()?;
        Some(match &*source {
            Ok(source) => {
                let health = source.status();
                let status = match health.status {
                    HealthStatus::Ok => DeviceStatus::Ok,
                    HealthStatus::Degraded => DeviceStatus::Degraded,
                    HealthStatus::Offline => DeviceStatus::Offline,
                    HealthStatus::Unknown => DeviceStatus::Unknown,
                };
                (status, health.detail)
            }
            Err(why) => (DeviceStatus::Unknown, Some(why.clone())),
        })
    }

    /// Take one frame of the person in front of the face camera and check it is worth comparing (one face,
    /// big, sharp, lit and frontal enough: the person can fix each of these). Returns the frame as JPEG.
    pub(crate) fn capture_face(&self) -> Result<Vec<u8>, DeviceError> {
        let frame = {
            let mut guard = self.source.lock().unwrap_or_else(|p| p.into_inner());
            let source = guard.as_mut().map_err(|why| DeviceError::Unusable {
                class: "face_camera",
                why: why.clone(),
            })?;
            source.open()?;
            let frame = source.next_frame();
            source.close();
            frame?
        };
        let gate = FaceGate::new(FaceGateConfig::default())?;
        let quality = gate.check_frame(&frame)?;
        tracing::debug!(?quality, "face frame passed the quality gate");
        // An MJPEG camera's frame is sent as it came; other formats are encoded once.
        Ok(match frame.format {
            PixelFormat::Mjpeg => frame.to_jpeg()?,
            _ => banshi_camera::page::encode_jpeg(&frame.to_rgb()?, FACE_JPEG_QUALITY)?,
        })
    }

    /// Take one frame and turn it into an upright page.
    pub(crate) fn capture_page(&self, black_white: bool) -> Result<PageCapture, DeviceError> {
        let mut guard = self.source.lock().unwrap_or_else(|p| p.into_inner());
        let source = guard.as_mut().map_err(|why| DeviceError::Unusable {
            class: "document_camera",
            why: why.clone(),
        })?;
        source.open()?;
        let frame = source.next_frame();
        source.close();
        let page = scan_frame(
            &frame?,
            &PageOptions {
                mode: if black_white {
                    PageMode::BlackAndWhite
                } else {
                    PageMode::Colour
                },
                ..PageOptions::default()
            },
        )?;
        Ok(PageCapture {
            jpeg_base64: base64::engine::general_purpose::STANDARD.encode(&page.jpeg),
            width: page.width,
            height: page.height,
            corners: page.corners,
        })
    }
}
