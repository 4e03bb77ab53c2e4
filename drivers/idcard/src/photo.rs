//! The card photo: 1024 bytes of the proprietary WLT format, and the seam where a decoder plugs in.
//!
//! No open WLT decoder exists (research §1.4); the vendors ship closed libraries (`WltRS.dll`,
//! `libwlt2bmp.so`, …), several bound to a licence. This crate therefore keeps the raw bytes as they
//! came off the card ([`WltPhoto`], stored with the application record) and decodes only through the
//! [`PhotoDecoder`] trait. The one implementation shipped here, [`PlaceholderDecoder`], draws a neutral
//! grey silhouette of the real photo's size so screens and printouts have something to show.
//! See the crate documentation for how a vendor decoder is connected.

use std::io::Cursor;

use banshi_core::ErrorCode;

/// Width of a decoded card photo in pixels.
pub const PHOTO_WIDTH: u32 = 102;
/// Height of a decoded card photo in pixels.
pub const PHOTO_HEIGHT: u32 = 126;
/// Size of the WLT blob on the card.
pub const WLT_LEN: usize = 1024;

/// The card photo exactly as read from the chip (normally [`WLT_LEN`] bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct WltPhoto(Vec<u8>);

impl WltPhoto {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

// A photo is personal data: its bytes never go into logs.
impl std::fmt::Debug for WltPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WltPhoto({} bytes)", self.0.len())
    }
}

/// A displayable photo.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodedPhoto {
    /// PNG file bytes.
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// True when this is a stand-in, not the person's face: face comparison must not use it.
    pub placeholder: bool,
}

impl std::fmt::Debug for DecodedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedPhoto")
            .field("png_len", &self.png.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("placeholder", &self.placeholder)
            .finish()
    }
}

/// Why a photo could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The decoder rejected the blob or failed to run.
    #[error("photo decoder failed: {0}")]
    Decoder(String),
    /// Producing the PNG failed.
    #[error("encoding the photo as PNG failed: {0}")]
    Encode(#[from] image::ImageError),
}

impl ErrorCode for PhotoError {
    fn code(&self) -> &'static str {
        "idcard.photo_decode"
    }
}

/// Turns the card's WLT blob into a picture.
pub trait PhotoDecoder: Send + Sync + std::fmt::Debug {
    fn decode(&self, photo: &WltPhoto) -> Result<DecodedPhoto, PhotoError>;
}

/// Draws a neutral grey head-and-shoulders silhouette of the card photo's size, whatever the blob.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlaceholderDecoder;

impl PhotoDecoder for PlaceholderDecoder {
    fn decode(&self, _photo: &WltPhoto) -> Result<DecodedPhoto, PhotoError> {
        const BACKGROUND: image::Rgb<u8> = image::Rgb([0xE4, 0xE4, 0xE4]);
        const FIGURE: image::Rgb<u8> = image::Rgb([0xB0, 0xB0, 0xB0]);
        let inside = |x: f32, y: f32, cx: f32, cy: f32, rx: f32, ry: f32| {
            let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
            dx * dx + dy * dy <= 1.0
        };
        let picture = image::RgbImage::from_fn(PHOTO_WIDTH, PHOTO_HEIGHT, |x, y| {
            let (x, y) = (x as f32 + 0.5, y as f32 + 0.5);
            let head = inside(x, y, 51.0, 50.0, 21.0, 26.0);
            let shoulders = inside(x, y, 51.0, 134.0, 47.0, 46.0);
            if head || shoulders {
                FIGURE
            } else {
                BACKGROUND
            }
        });
        let mut png = Cursor::new(Vec::new());
        picture.write_to(&mut png, image::ImageFormat::Png)?;
        Ok(DecodedPhoto {
            png: png.into_inner(),
            width: PHOTO_WIDTH,
            height: PHOTO_HEIGHT,
            placeholder: true,
        })
    }
}

/// Decodes by running a vendor's command-line converter (e.g. a `wlt2bmp` tool shipped with the reader).
///
/// The photo is written to a private temporary `.wlt` file; `args` are passed with `{wlt}` replaced by
/// its path and `{out}` by the path the tool must write its picture to (BMP or PNG, detected by
/// content). The tool gets `timeout` to finish and is killed after that. Temporary files are removed
/// whatever happens. No library is loaded into this process, so no `unsafe` is involved, and a crashing
/// vendor tool cannot take the terminal down with it.
#[derive(Debug, Clone)]
pub struct CommandDecoder {
    /// The converter executable.
    pub program: std::path::PathBuf,
    /// Its arguments, with `{wlt}` and `{out}` placeholders.
    pub args: Vec<String>,
    /// How long the converter may run.
    pub timeout: std::time::Duration,
}

impl CommandDecoder {
    fn run(&self, wlt: &std::path::Path, out: &std::path::Path) -> Result<(), PhotoError> {
        let args = self.args.iter().map(|arg| {
            arg.replace("{wlt}", &wlt.to_string_lossy())
                .replace("{out}", &out.to_string_lossy())
        });
        let mut child = std::process::Command::new(&self.program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| PhotoError::Decoder(format!("cannot start the converter: {e}")))?;
        let deadline = std::time::Instant::now() + self.timeout;
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(PhotoError::Decoder(format!(
                        "the converter failed: {status}"
                    )))
                }
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PhotoError::Decoder("the converter timed out".into()));
                }
                Err(e) => {
                    return Err(PhotoError::Decoder(format!(
                        "waiting for the converter: {e}"
                    )))
                }
            }
        }
    }
}

impl PhotoDecoder for CommandDecoder {
    fn decode(&self, photo: &WltPhoto) -> Result<DecodedPhoto, PhotoError> {
        let io_error = |e: std::io::Error| PhotoError::Decoder(format!("temporary file: {e}"));
        // A private directory (mode 0700): the photo is personal data.
        let dir = tempfile::Builder::new()
            .prefix("banshi-wlt-")
            .tempdir()
            .map_err(io_error)?;
        let wlt = dir.path().join("photo.wlt");
        let out = dir.path().join("photo.out");
        std::fs::write(&wlt, photo.as_bytes()).map_err(io_error)?;
        self.run(&wlt, &out)?;
        let bytes = std::fs::read(&out).map_err(io_error)?;
        let picture = image::load_from_memory(&bytes)?.to_rgb8();
        let (width, height) = picture.dimensions();
        let mut png = Cursor::new(Vec::new());
        picture.write_to(&mut png, image::ImageFormat::Png)?;
        Ok(DecodedPhoto {
            png: png.into_inner(),
            width,
            height,
            placeholder: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholder_is_a_102_by_126_png_with_a_darker_figure_in_the_middle() {
        let decoded = PlaceholderDecoder
            .decode(&WltPhoto::new(vec![0; WLT_LEN]))
            .unwrap();
        assert!(decoded.placeholder);
        let picture = image::load_from_memory_with_format(&decoded.png, image::ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert_eq!(picture.dimensions(), (PHOTO_WIDTH, PHOTO_HEIGHT));
        assert_eq!(picture.get_pixel(2, 2), &image::Rgb([0xE4, 0xE4, 0xE4]));
        assert_eq!(picture.get_pixel(51, 50), &image::Rgb([0xB0, 0xB0, 0xB0]));
        assert_eq!(picture.get_pixel(51, 120), &image::Rgb([0xB0, 0xB0, 0xB0]));
    }

    fn converter(script: &str) -> CommandDecoder {
        CommandDecoder {
            program: "/bin/sh".into(),
            args: vec![
                "-c".into(),
                script.into(),
                "sh".into(),
                "{wlt}".into(),
                "{out}".into(),
            ],
            timeout: std::time::Duration::from_secs(20),
        }
    }

    #[test]
    fn a_command_line_converter_gets_the_blob_and_its_bmp_becomes_a_png() {
        let dir = tempfile::tempdir().unwrap();
        let bmp = dir.path().join("face.bmp");
        image::RgbImage::from_pixel(PHOTO_WIDTH, PHOTO_HEIGHT, image::Rgb([10, 20, 30]))
            .save_with_format(&bmp, image::ImageFormat::Bmp)
            .unwrap();
        // The stand-in vendor tool insists on a 1024-byte input, as a real one would.
        let decoder = converter(&format!(
            "test \"$(wc -c < \"$1\")\" -eq 1024 && cp '{}' \"$2\"",
            bmp.display()
        ));
        let decoded = decoder.decode(&WltPhoto::new(vec![7; WLT_LEN])).unwrap();
        assert!(!decoded.placeholder);
        let picture = image::load_from_memory(&decoded.png).unwrap().to_rgb8();
        assert_eq!(picture.dimensions(), (PHOTO_WIDTH, PHOTO_HEIGHT));
        assert_eq!(picture.get_pixel(50, 60), &image::Rgb([10, 20, 30]));

        let err = decoder.decode(&WltPhoto::new(vec![7; 10])).unwrap_err();
        assert_eq!(err.code(), "idcard.photo_decode");
    }

    #[test]
    fn a_hanging_converter_is_killed_at_its_timeout() {
        let mut decoder = converter("exec sleep 30");
        decoder.timeout = std::time::Duration::from_millis(100);
        let err = decoder
            .decode(&WltPhoto::new(vec![0; WLT_LEN]))
            .unwrap_err();
        assert!(err.to_string().contains("timed out"), "{err}");
    }

    #[test]
    fn debug_never_shows_photo_bytes() {
        let shown = format!("{:?}", WltPhoto::new(vec![0xAB; 4]));
        assert_eq!(shown, "WltPhoto(4 bytes)");
    }
}
