//! A camera fed from a directory of image files (profile `device = "file:DIR"`).
//!
//! Test machines have no `/dev/video*` (and cannot load v4l2loopback), so this is how the kiosk, the
//! scenarios and installers without hardware get frames. Files are replayed in name order and loop
//! forever, like a live stream. JPEG files are delivered as MJPEG frames byte for byte, so a frame
//! recorded from a real camera (with or without Huffman tables) goes through the same repair and decode
//! path as a live one; PNG files are decoded and delivered as RGB frames.
//!
//! [`FileSource::declaring`] makes the source lie about its fourcc, the way some UVC cameras do, so the
//! format-mismatch path can be exercised without such a camera.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use banshi_core::Clock;

use crate::error::CameraError;
use crate::frame::{Frame, FrameFormat, FrameSource, Health, HealthStatus, PixelFormat};
use crate::mjpeg;

/// Replays the JPEG and PNG files of a directory as camera frames.
#[derive(Debug)]
pub struct FileSource {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    declared: Option<PixelFormat>,
    files: Vec<PathBuf>,
    next: usize,
    open: bool,
}

impl FileSource {
    /// A source over `dir`; nothing is read until [`FrameSource::open`].
    pub fn new(dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self {
            dir: dir.into(),
            clock,
            declared: None,
            files: Vec::new(),
            next: 0,
            open: false,
        }
    }

    /// Stamps every frame with `format` whatever the file holds (simulates a camera that lies).
    pub fn declaring(mut self, format: PixelFormat) -> Self {
        self.declared = Some(format);
        self
    }

    fn list_files(&self) -> Result<Vec<PathBuf>, CameraError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|err| {
            CameraError::Offline(format!("frame directory {}: {err}", self.dir.display()))
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.is_file() && file_kind(path).is_some())
            .collect();
        files.sort();
        Ok(files)
    }

    fn read_frame(&self, path: &Path) -> Result<Frame, CameraError> {
        let bytes = std::fs::read(path)?;
        let (format, width, height, bytes) = match file_kind(path) {
            Some(PixelFormat::Mjpeg) => {
                // A file that does not parse keeps a 0×0 size; decoding it reports the problem.
                let (width, height) = mjpeg::read_header(&bytes)
                    .map(|header| (header.width, header.height))
                    .unwrap_or((0, 0));
                (PixelFormat::Mjpeg, width, height, bytes)
            }
            _ => {
                let rgb = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
                    .map_err(|err| CameraError::BadFrame {
                        format: "PNG",
                        detail: err.to_string(),
                    })?
                    .to_rgb8();
                let (width, height) = rgb.dimensions();
                (PixelFormat::Rgb24, width, height, rgb.into_raw())
            }
        };
        Ok(Frame {
            format: self.declared.unwrap_or(format),
            width,
            height,
            bytes,
            timestamp: self.clock.now(),
        })
    }
}

/// JPEG files are MJPEG frames; PNG files become RGB frames; anything else is ignored.
fn file_kind(path: &Path) -> Option<PixelFormat> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "jpg" | "jpeg" | "mjpg" | "mjpeg" => Some(PixelFormat::Mjpeg),
        "png" => Some(PixelFormat::Rgb24),
        _ => None,
    }
}

impl FrameSource for FileSource {
    fn formats(&self) -> Vec<FrameFormat> {
        let mut formats: Vec<FrameFormat> = Vec::new();
        for path in &self.files {
            let Ok(frame) = self.read_frame(path) else {
                continue;
            };
            let format = FrameFormat {
                pixel_format: frame.format,
                width: frame.width,
                height: frame.height,
            };
            if !formats.contains(&format) {
                formats.push(format);
            }
        }
        formats
    }

    fn open(&mut self) -> Result<(), CameraError> {
        let files = self.list_files()?;
        if files.is_empty() {
            return Err(CameraError::NoFrames);
        }
        tracing::debug!(dir = %self.dir.display(), frames = files.len(), "file camera opened");
        self.files = files;
        self.next = 0;
        self.open = true;
        Ok(())
    }

    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        if !self.open {
            return Err(CameraError::NotOpen);
        }
        let path = self.files.get(self.next).ok_or(CameraError::NoFrames)?;
        let frame = self.read_frame(path)?;
        self.next = (self.next + 1) % self.files.len();
        Ok(frame)
    }

    fn close(&mut self) {
        self.open = false;
    }

    fn status(&self) -> Health {
        match self.list_files() {
            Ok(files) if files.is_empty() => Health::new(
                HealthStatus::Degraded,
                format!("{} holds no JPEG or PNG files", self.dir.display()),
            ),
            Ok(files) => Health::new(
                HealthStatus::Ok,
                format!("{} frames in {}", files.len(), self.dir.display()),
            ),
            Err(err) => Health::new(HealthStatus::Offline, err.to_string()),
        }
    }
}
