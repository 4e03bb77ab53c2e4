//! The two error enums of the crate: one for cameras and document pages, one for faces.
//!
//! They are split because the UI shows them in different places (a page capture dialog vs. the 人证核验
//! screen) and because the face errors include a remote service's failures. Every variant has a stable
//! dotted code (`camera.no_page`, `face.too_blurry`); messages are English and never carry personal data:
//! no image bytes, no file names of captured photos, only sizes, formats and counts.

use banshi_core::ErrorCode;

/// Something went wrong with a camera, a frame, or the document page pipeline.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    /// The device (or the directory of a file source) is not there.
    #[error("camera is offline: {0}")]
    Offline(String),
    /// A file source directory holds no image files.
    #[error("the frame directory holds no JPEG or PNG files")]
    NoFrames,
    /// `next_frame` was called before `open` (or after `close`).
    #[error("camera stream is not open")]
    NotOpen,
    /// The frame's bytes do not match the format the camera declared (nokhwa #19: MJPEG declared, raw
    /// frames delivered).
    #[error("frame declared as {declared} but its bytes are not: {detail}")]
    FormatMismatch {
        /// The fourcc the source declared.
        declared: &'static str,
        /// What was found instead.
        detail: String,
    },
    /// The frame could not be decoded (truncated or corrupt data).
    #[error("cannot decode {format} frame: {detail}")]
    BadFrame {
        /// The frame's fourcc.
        format: &'static str,
        /// The decoder's complaint.
        detail: String,
    },
    /// The profile names a device this build cannot drive.
    #[error("unsupported camera device: {0}")]
    UnsupportedDevice(String),
    /// The capture backend (V4L2 through nokhwa) failed.
    #[error("camera capture failed: {0}")]
    Capture(String),
    /// Reading a frame file failed.
    #[error("cannot read frame: {0}")]
    Io(#[from] std::io::Error),
    /// No document page was found in the photo.
    #[error("no document page found in the frame ({0})")]
    NoPage(&'static str),
    /// JPEG encoding of the page failed.
    #[error("cannot encode the page as JPEG: {0}")]
    Encode(String),
}

impl ErrorCode for CameraError {
    fn code(&self) -> &'static str {
        match self {
            Self::Offline(_) => "camera.offline",
            Self::NoFrames => "camera.no_frames",
            Self::NotOpen => "camera.not_open",
            Self::FormatMismatch { .. } => "camera.format_mismatch",
            Self::BadFrame { .. } => "camera.bad_frame",
            Self::UnsupportedDevice(_) => "camera.unsupported_device",
            Self::Capture(_) => "camera.capture_failed",
            Self::Io(_) => "camera.io",
            Self::NoPage(_) => "camera.no_page",
            Self::Encode(_) => "camera.encode_failed",
        }
    }
}

/// Something went wrong capturing a face or comparing it with the ID card photo.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// The image could not be decoded.
    #[error("cannot decode the face image: {0}")]
    BadImage(String),
    /// No face in the frame.
    #[error("no face found")]
    NoFace,
    /// More than one face: 人证核验 needs exactly one person in front of the camera.
    #[error("{0} faces found; exactly one person must face the camera")]
    SeveralFaces(usize),
    /// The face is too small (too far from the camera).
    #[error("face is {found} px wide, at least {min} px needed")]
    TooSmall {
        /// Width of the detected face box.
        found: u32,
        /// The gate's minimum.
        min: u32,
    },
    /// The face is out of focus or moving.
    #[error("face is too blurry (sharpness {found:.1}, at least {min:.1} needed)")]
    TooBlurry {
        /// Variance of the Laplacian on the normalised face crop.
        found: f32,
        /// The gate's minimum.
        min: f32,
    },
    /// The face is too dark or too bright.
    #[error("face exposure is off (mean grey level {0:.0} of 255)")]
    BadExposure(f32),
    /// The face is turned away from the camera.
    #[error("face is not frontal enough (symmetry {found:.2}, at least {min:.2} needed)")]
    NotFrontal {
        /// Left/right mirror correlation of the face crop.
        found: f32,
        /// The gate's minimum.
        min: f32,
    },
    /// The embedded detector model could not be loaded.
    #[error("face detector model cannot be loaded: {0}")]
    Detector(String),
    /// The comparison service cannot be reached (down, wrong address, network cut).
    #[error("face comparison service is unreachable: {0}")]
    ServiceUnreachable(String),
    /// The comparison service did not answer in time.
    #[error("face comparison service timed out")]
    ServiceTimeout,
    /// The comparison service answered with an error.
    #[error("face comparison service failed with HTTP {status}: {code}")]
    Service {
        /// HTTP status.
        status: u16,
        /// The service's error code, or `unknown`.
        code: String,
    },
    /// The comparison service's answer is not the documented JSON.
    #[error("face comparison service sent an unexpected answer: {0}")]
    BadResponse(String),
}

impl ErrorCode for FaceError {
    fn code(&self) -> &'static str {
        match self {
            Self::BadImage(_) => "face.bad_image",
            Self::NoFace => "face.no_face",
            Self::SeveralFaces(_) => "face.several_faces",
            Self::TooSmall { .. } => "face.too_small",
            Self::TooBlurry { .. } => "face.too_blurry",
            Self::BadExposure(_) => "face.bad_exposure",
            Self::NotFrontal { .. } => "face.not_frontal",
            Self::Detector(_) => "face.detector_unavailable",
            Self::ServiceUnreachable(_) => "face.service_unreachable",
            Self::ServiceTimeout => "face.service_timeout",
            Self::Service { .. } => "face.service_error",
            Self::BadResponse(_) => "face.bad_response",
        }
    }
}
