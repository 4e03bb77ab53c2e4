//! Frames, the [`FrameSource`] trait every camera implements, and the one place raw frames become RGB.
//!
//! A frame keeps the bytes exactly as the camera delivered them together with the format the camera
//! *declared*. Conversion to RGB ([`Frame::to_rgb`]) checks that the bytes really are what was declared,
//! because UVC cameras do lie (nokhwa #19: MJPEG announced, raw YUYV delivered; #90: NV12 announced as
//! YUV422). A lie becomes `camera.format_mismatch`, never a panic or a garbage image. The same code runs
//! for the real UVC source and for the file and synthetic sources, so tests exercise it for real.

use image::RgbImage;
use time::OffsetDateTime;

use crate::error::CameraError;
use crate::mjpeg;

/// Pixel encodings cameras deliver (the V4L2 fourccs nokhwa knows, minus the ones no 高拍仪 uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// Motion JPEG: each frame a JPEG, possibly without Huffman tables.
    Mjpeg,
    /// YUV 4:2:2 packed as Y0 U Y1 V.
    Yuyv,
    /// Y plane followed by interleaved U V at half resolution.
    Nv12,
    /// 8-bit grey.
    Gray,
    /// 8-bit RGB, three bytes a pixel.
    Rgb24,
}

impl PixelFormat {
    /// The V4L2 fourcc, for logs and error messages.
    pub fn fourcc(self) -> &'static str {
        match self {
            Self::Mjpeg => "MJPG",
            Self::Yuyv => "YUYV",
            Self::Nv12 => "NV12",
            Self::Gray => "GREY",
            Self::Rgb24 => "RGB3",
        }
    }
}

/// A mode a source can deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameFormat {
    /// Pixel encoding.
    pub pixel_format: PixelFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// One frame as the camera delivered it.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// The format the source declared (not necessarily what the bytes are: see [`Frame::to_rgb`]).
    pub format: PixelFormat,
    /// Declared width.
    pub width: u32,
    /// Declared height.
    pub height: u32,
    /// The raw bytes.
    pub bytes: Vec<u8>,
    /// When the frame was taken (from the source's clock).
    pub timestamp: OffsetDateTime,
}

impl std::fmt::Debug for Frame {
    // Frames are photos of people and documents: never print their bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.bytes.len())
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

impl Frame {
    /// Decodes the frame into RGB, checking that the bytes match the declared format.
    pub fn to_rgb(&self) -> Result<RgbImage, CameraError> {
        match self.format {
            PixelFormat::Mjpeg => {
                let jpeg = self.to_jpeg()?;
                image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
                    .map(|decoded| decoded.to_rgb8())
                    .map_err(|err| CameraError::BadFrame {
                        format: self.format.fourcc(),
                        detail: err.to_string(),
                    })
            }
            PixelFormat::Yuyv => {
                self.expect_len(self.pixels()?.checked_mul(2))?;
                Ok(yuyv_to_rgb(&self.bytes, self.width, self.height))
            }
            PixelFormat::Nv12 => {
                self.expect_len(self.pixels()?.checked_mul(3).map(|n| n / 2))?;
                Ok(nv12_to_rgb(&self.bytes, self.width, self.height))
            }
            PixelFormat::Gray => {
                self.expect_len(Some(self.pixels()?))?;
                let grey = image::GrayImage::from_raw(self.width, self.height, self.bytes.clone())
                    .ok_or_else(|| self.mismatch("grey buffer does not fit".into()))?;
                Ok(image::DynamicImage::ImageLuma8(grey).to_rgb8())
            }
            PixelFormat::Rgb24 => {
                self.expect_len(self.pixels()?.checked_mul(3))?;
                RgbImage::from_raw(self.width, self.height, self.bytes.clone())
                    .ok_or_else(|| self.mismatch("RGB buffer does not fit".into()))
            }
        }
    }

    /// The frame as a standalone JPEG file (Huffman tables inserted when the camera left them out).
    /// Only for MJPEG frames; this is what gets stored as evidence without re-encoding.
    pub fn to_jpeg(&self) -> Result<Vec<u8>, CameraError> {
        if self.format != PixelFormat::Mjpeg {
            return Err(self.mismatch("not an MJPEG frame".into()));
        }
        mjpeg::with_huffman_tables(&self.bytes)
            .map(|jpeg| jpeg.into_owned())
            .map_err(|problem| match problem {
                mjpeg::JpegProblem::NotJpeg => self.mismatch(describe_bytes(&self.bytes)),
                other => CameraError::BadFrame {
                    format: self.format.fourcc(),
                    detail: other.to_string(),
                },
            })
    }

    fn pixels(&self) -> Result<usize, CameraError> {
        usize::try_from(u64::from(self.width) * u64::from(self.height))
            .map_err(|_| self.mismatch("frame size overflows".into()))
    }

    fn expect_len(&self, expected: Option<usize>) -> Result<(), CameraError> {
        match expected {
            Some(expected) if expected == self.bytes.len() && self.width > 0 && self.height > 0 => {
                Ok(())
            }
            _ => Err(self.mismatch(format!(
                "{} bytes for {}x{}, {}",
                self.bytes.len(),
                self.width,
                self.height,
                describe_bytes(&self.bytes)
            ))),
        }
    }

    fn mismatch(&self, detail: String) -> CameraError {
        tracing::warn!(declared = self.format.fourcc(), %detail, "camera frame format mismatch");
        CameraError::FormatMismatch {
            declared: self.format.fourcc(),
            detail,
        }
    }
}

/// A short guess at what the bytes are, for the mismatch message.
fn describe_bytes(bytes: &[u8]) -> String {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        "the bytes are a JPEG".into()
    } else if bytes.starts_with(b"\x89PNG") {
        "the bytes are a PNG file".into()
    } else {
        "the bytes look like raw pixels".into()
    }
}

/// BT.601 limited-range YUV to RGB, the matrix UVC cameras use for YUYV and NV12.
fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = 298 * (i32::from(y) - 16);
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    let clamp = |value: i32| ((value + 128) >> 8).clamp(0, 255) as u8;
    [
        clamp(c + 409 * e),
        clamp(c - 100 * d - 208 * e),
        clamp(c + 516 * d),
    ]
}

/// Converts packed YUYV (Y0 U Y1 V per two pixels). The caller has checked the length.
fn yuyv_to_rgb(bytes: &[u8], width: u32, height: u32) -> RgbImage {
    let mut rgb = Vec::with_capacity(bytes.len() / 2 * 3);
    let row_bytes = width as usize * 2;
    for row in bytes.chunks_exact(row_bytes) {
        for quad in row.chunks_exact(4) {
            if let &[y0, u, y1, v] = quad {
                rgb.extend_from_slice(&yuv_to_rgb(y0, u, v));
                rgb.extend_from_slice(&yuv_to_rgb(y1, u, v));
            }
        }
        // An odd width leaves a last Y U pair without its V: treat it as grey-chroma.
        if let &[y, _] = row.chunks_exact(4).remainder() {
            rgb.extend_from_slice(&yuv_to_rgb(y, 128, 128));
        }
    }
    RgbImage::from_raw(width, height, rgb).unwrap_or_else(|| RgbImage::new(width, height))
}

/// Converts NV12 (Y plane, then U V pairs at half resolution). The caller has checked the length.
fn nv12_to_rgb(bytes: &[u8], width: u32, height: u32) -> RgbImage {
    let (w, h) = (width as usize, height as usize);
    let (luma, chroma) = bytes.split_at(w * h);
    RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (x as usize, y as usize);
        let luma_value = luma.get(y * w + x).copied().unwrap_or(0);
        let pair = (y / 2) * (w / 2 * 2) + (x / 2) * 2;
        let u = chroma.get(pair).copied().unwrap_or(128);
        let v = chroma.get(pair + 1).copied().unwrap_or(128);
        image::Rgb(yuv_to_rgb(luma_value, u, v))
    })
}

/// Health of a source, in the terms the terminal's device list uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    /// Working.
    Ok,
    /// Working with a problem (e.g. frames fail to decode).
    Degraded,
    /// Not there.
    Offline,
    /// Not probed yet.
    Unknown,
}

impl HealthStatus {
    /// The status name the device layer uses (`ok`, `degraded`, `offline`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Offline => "offline",
            Self::Unknown => "unknown",
        }
    }
}

/// A status and a human detail string, as shown to installers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The status.
    pub status: HealthStatus,
    /// What is wrong, or what the device is.
    pub detail: Option<String>,
}

impl Health {
    pub(crate) fn new(status: HealthStatus, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: Some(detail.into()),
        }
    }
}

/// A camera: the real UVC device, a directory of image files, or a synthetic scene.
pub trait FrameSource: Send + std::fmt::Debug {
    /// The modes this source can deliver (after `open` for sources that must look first).
    fn formats(&self) -> Vec<FrameFormat>;
    /// Starts the stream. Must be called before `next_frame` (nokhwa hangs otherwise, #227).
    fn open(&mut self) -> Result<(), CameraError>;
    /// The next frame, as delivered.
    fn next_frame(&mut self) -> Result<Frame, CameraError>;
    /// Stops the stream; `next_frame` then fails with `camera.not_open`.
    fn close(&mut self);
    /// Probes the device without taking a frame.
    fn status(&self) -> Health;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(format: PixelFormat, width: u32, height: u32, bytes: Vec<u8>) -> Frame {
        Frame {
            format,
            width,
            height,
            bytes,
            timestamp: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn yuyv_converts_with_bt601_limited_range() {
        // white, black, red, green as (Y, U, V) pairs sharing chroma per two pixels
        let bytes = vec![235, 128, 16, 128, 81, 90, 81, 240, 145, 54, 145, 34];
        let rgb = frame(PixelFormat::Yuyv, 2, 3, bytes)
            .to_rgb()
            .expect("decode");
        let close = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3);
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [0, 0, 0]);
        assert!(
            close(rgb.get_pixel(0, 1).0, [255, 0, 0]),
            "{:?}",
            rgb.get_pixel(0, 1)
        );
        assert!(
            close(rgb.get_pixel(0, 2).0, [0, 255, 0]),
            "{:?}",
            rgb.get_pixel(0, 2)
        );
    }

    #[test]
    fn nv12_uses_the_shared_chroma_of_each_2x2_block() {
        let mut bytes = vec![235; 4 * 2];
        bytes.extend_from_slice(&[128, 128, 90, 240]);
        let rgb = frame(PixelFormat::Nv12, 4, 2, bytes)
            .to_rgb()
            .expect("decode");
        assert_eq!(rgb.get_pixel(1, 1).0, [255, 255, 255]);
        assert!(rgb.get_pixel(3, 1).0[0] > 250 && rgb.get_pixel(3, 1).0[2] < 200);
    }

    #[test]
    fn jpeg_bytes_declared_as_yuyv_are_a_format_mismatch() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.resize(100, 0);
        let err = frame(PixelFormat::Yuyv, 640, 480, jpeg)
            .to_rgb()
            .expect_err("mismatch");
        assert_eq!(banshi_core::ErrorCode::code(&err), "camera.format_mismatch");
        assert!(err.to_string().contains("JPEG"), "{err}");
    }

    #[test]
    fn raw_bytes_declared_as_mjpeg_are_a_format_mismatch_not_a_decoder_panic() {
        let raw = vec![16u8; 4 * 2 * 2];
        let err = frame(PixelFormat::Mjpeg, 4, 2, raw)
            .to_rgb()
            .expect_err("mismatch");
        assert_eq!(banshi_core::ErrorCode::code(&err), "camera.format_mismatch");
    }

    #[test]
    fn truncated_mjpeg_is_a_bad_frame() {
        let err = frame(PixelFormat::Mjpeg, 4, 2, vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00])
            .to_rgb()
            .expect_err("bad");
        assert_eq!(banshi_core::ErrorCode::code(&err), "camera.bad_frame");
    }

    #[test]
    fn zero_sized_raw_frames_are_refused() {
        let err = frame(PixelFormat::Rgb24, 0, 0, Vec::new())
            .to_rgb()
            .expect_err("empty");
        assert_eq!(banshi_core::ErrorCode::code(&err), "camera.format_mismatch");
    }
}
