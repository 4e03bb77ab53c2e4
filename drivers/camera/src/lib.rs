//! Cameras for Banshi terminals: the document camera (高拍仪) with its page pipeline, and the face camera
//! with its quality gate and 1:1 comparison (人证核验).
//!
//! # Design
//!
//! **Frames.** Every camera is a [`FrameSource`]: `open`, `next_frame`, `close`, `status`, `formats`.
//! A [`Frame`] carries the bytes exactly as delivered plus the *declared* pixel format; [`Frame::to_rgb`]
//! is the single place bytes become pixels, and it checks the declaration (UVC cameras lie: MJPEG
//! announced, YUYV delivered) and repairs MJPEG frames that omit their Huffman tables ([`mjpeg`]).
//! Sources:
//!
//! * [`FileSource`]: a directory of JPEG/PNG files replayed in name order, looping (profile
//!   `device = "file:DIR"`). The CI machines have no `/dev/video*`, so this is how everything above the
//!   camera is tested; it can also lie about its fourcc to test the mismatch path.
//! * [`SyntheticSource`]: a rendered photo of a perspective-distorted page on a desk with known corners
//!   (profile `device = "synthetic"`), the ground truth for the page pipeline.
//! * `UvcSource` (cargo feature `uvc`): a real UVC camera through `nokhwa` + V4L2. Off by default
//!   because it needs libclang to build (bindgen for the V4L2 headers) and nothing here can run it.
//!
//! [`open_device`] turns the profile's `device` string into a source.
//!
//! **Pages.** [`page::scan_page`] finds the page quadrilateral on a 1000 px copy, refines its sides,
//! corrects perspective to A4 at the requested DPI (folding any text deskew into the same warp), whitens
//! the paper against a low-resolution background estimate, optionally binarises, and encodes a JPEG.
//! It returns JPEG bytes per page; assembling pages into a PDF belongs to `banshi-documents`.
//!
//! **Faces.** [`face::FaceGate`] accepts a frame when it holds exactly one face that is large, well
//! exposed, sharp and frontal. Detection is SeetaFace's frontal cascade (`rustface`, pure Rust) with its
//! 1.2 MB model compiled in (BSD-2-Clause; see `model/LICENSE-SeetaFace`), so nothing is downloaded.
//! [`face::FaceComparer`] sends two photos to the hall's comparison service; [`face::FaceSimulator`]
//! is that service on loopback for tests.
//!
//! # The face comparison API (what the hall's service must speak)
//!
//! ```text
//! POST {base}/compare            Content-Type: application/json
//! {"id_photo": "<base64 JPEG|PNG>", "live_photo": "<base64 JPEG|PNG>", "threshold": 70.0}
//!
//! 200 {"score": 91.5}                                   score: similarity 0–100
//! 4xx/5xx {"code": "no_face" | "bad_image" | …, "message": "…"}
//!
//! GET {base}/health  → 2xx when the service is up (used for the device status)
//! ```
//!
//! The shape follows the typical 人证核验 APIs (新中新's local `FaceMatch` returns `Score` 0–100 with a
//! default threshold of 70; Baidu's face `match` takes base64 images and returns `result.score` 0–100).
//! The terminal applies its own threshold (from the kiosk profile) to the score: `passed = score >=
//! threshold`. An adapter on the hall side maps vendor APIs onto this contract.
//!
//! # Health
//!
//! Sources report [`Health`] (`ok`, `degraded`, `offline`, `unknown` + a detail string) through
//! [`FrameSource::status`]; the comparer through [`face::FaceComparer::probe`]. [`HealthStatus::as_str`]
//! gives the device layer's status names.
//!
//! # Errors
//!
//! [`CameraError`] (`camera.*`) and [`FaceError`] (`face.*`) implement `banshi_core::ErrorCode`. No
//! message contains image bytes or anything read from a document.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;

use banshi_core::Clock;

pub mod error;
pub mod face;
pub mod file_source;
pub mod frame;
pub mod mjpeg;
pub mod page;
pub mod synthetic;
#[cfg(feature = "uvc")]
pub mod uvc;

pub use error::{CameraError, FaceError};
pub use file_source::FileSource;
pub use frame::{Frame, FrameFormat, FrameSource, Health, HealthStatus, PixelFormat};
pub use page::{scan_frame, scan_page, Page, PageMode, PageOptions};
pub use synthetic::{SyntheticScene, SyntheticSource};
#[cfg(feature = "uvc")]
pub use uvc::UvcSource;

/// Opens the camera a profile names: `file:DIR`, `synthetic`, or (with the `uvc` feature) a V4L2
/// device path such as `/dev/video0` or a camera index.
pub fn open_device(
    device: &str,
    clock: Arc<dyn Clock>,
) -> Result<Box<dyn FrameSource>, CameraError> {
    if let Some(dir) = device.strip_prefix("file:") {
        return Ok(Box::new(FileSource::new(dir, clock)));
    }
    if device == "synthetic" {
        return Ok(Box::new(SyntheticSource::new(
            SyntheticScene::default(),
            clock,
        )));
    }
    open_uvc(device, clock)
}

#[cfg(feature = "uvc")]
fn open_uvc(device: &str, clock: Arc<dyn Clock>) -> Result<Box<dyn FrameSource>, CameraError> {
    Ok(Box::new(UvcSource::new(device, clock)?))
}

#[cfg(not(feature = "uvc"))]
fn open_uvc(device: &str, _clock: Arc<dyn Clock>) -> Result<Box<dyn FrameSource>, CameraError> {
    Err(CameraError::UnsupportedDevice(format!(
        "{device}: this build has no UVC support (cargo feature `uvc`)"
    )))
}
