//! The face capture quality gate: is this frame good enough to send for 1:1 comparison?
//!
//! Comparison services reject (or, worse, mis-score) photos with two people, tiny or blurred faces,
//! faces in the dark or turned away. Checking on the terminal lets the kiosk tell the citizen what to
//! fix ("come closer", "hold still") before a slow round trip, and keeps bad photos out of the case file.
//!
//! Detection is SeetaFace's frontal cascade through `rustface`, with the model compiled into the binary
//! (`model/seeta_fd_frontal_v1.0.bin`, BSD-2-Clause, notice in `model/LICENSE-SeetaFace`): no download,
//! no C library. The cascade only finds roughly frontal faces, which is what 人证核验 wants anyway; a
//! mirror-symmetry check on the face crop rejects the half-profiles it still accepts. Sharpness is the
//! variance of the Laplacian on the face crop resized to a fixed size, so it measures focus on the face,
//! not the background, and does not depend on how far away the person stands.

use image::imageops::FilterType;
use image::{GrayImage, RgbImage};

use crate::error::FaceError;
use crate::frame::Frame;

/// The detector model, compiled in.
const SEETA_MODEL: &[u8] = include_bytes!("../../model/seeta_fd_frontal_v1.0.bin");
/// Frames are searched at this long side at most: a face big enough to pass is still > 40 px there.
const DETECT_LONG_SIDE: u32 = 640;
/// Side of the square the face crop is resized to before measuring sharpness and symmetry.
const CROP_SIDE: u32 = 112;

/// Thresholds of the gate. Defaults suit a 640×480 to 1080p face camera at arm's length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceGateConfig {
    /// Minimum face box width in frame pixels.
    pub min_face_px: u32,
    /// Minimum variance of the Laplacian on the 112 px face crop.
    pub min_sharpness: f32,
    /// Minimum left/right mirror correlation of the face crop (1 = perfectly symmetric).
    pub min_symmetry: f32,
    /// Acceptable mean grey level of the face, inclusive.
    pub exposure: (f32, f32),
    /// SeetaFace score below which a detection is ignored (its authors suggest 0.95–4.5).
    pub detector_score: f64,
}

impl Default for FaceGateConfig {
    fn default() -> Self {
        Self {
            min_face_px: 80,
            min_sharpness: 120.0,
            min_symmetry: 0.35,
            exposure: (45.0, 215.0),
            detector_score: 2.0,
        }
    }
}

/// A face box in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A frame that passed the gate, with the measurements (for logs and tuning; no pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceQuality {
    /// Where the face is.
    pub face: FaceBox,
    /// Detector score.
    pub score: f64,
    /// Variance of the Laplacian on the face crop.
    pub sharpness: f32,
    /// Mirror correlation of the face crop.
    pub symmetry: f32,
    /// Mean grey level of the face.
    pub brightness: f32,
}

/// The gate. Cheap to clone and `Send`: it keeps the parsed model and builds a detector per check
/// (the `rustface` detector itself is neither).
#[derive(Clone)]
pub struct FaceGate {
    config: FaceGateConfig,
    model: rustface::Model,
}

impl std::fmt::Debug for FaceGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceGate")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl FaceGate {
    /// Loads the compiled-in detector model.
    pub fn new(config: FaceGateConfig) -> Result<Self, FaceError> {
        let model = rustface::read_model(SEETA_MODEL)
            .map_err(|err| FaceError::Detector(err.to_string()))?;
        Ok(Self { config, model })
    }

    /// The thresholds in use.
    pub fn config(&self) -> &FaceGateConfig {
        &self.config
    }

    /// Checks a camera frame.
    pub fn check_frame(&self, frame: &Frame) -> Result<FaceQuality, FaceError> {
        let photo = frame
            .to_rgb()
            .map_err(|err| FaceError::BadImage(err.to_string()))?;
        self.check(&photo)
    }

    /// Checks a photo: exactly one face, big enough, well exposed, sharp, frontal.
    pub fn check(&self, photo: &RgbImage) -> Result<FaceQuality, FaceError> {
        let grey = image::DynamicImage::ImageRgb8(photo.clone()).to_luma8();
        let faces = self.detect(&grey);
        let (face, score) = match faces.as_slice() {
            [] => return Err(FaceError::NoFace),
            [one] => *one,
            several => return Err(FaceError::SeveralFaces(several.len())),
        };
        if face.width < self.config.min_face_px {
            return Err(FaceError::TooSmall {
                found: face.width,
                min: self.config.min_face_px,
            });
        }
        let crop =
            image::imageops::crop_imm(&grey, face.x, face.y, face.width, face.height).to_image();
        let crop = image::imageops::resize(&crop, CROP_SIDE, CROP_SIDE, FilterType::Triangle);
        let brightness = mean(&crop);
        let (low, high) = self.config.exposure;
        if !(low..=high).contains(&brightness) {
            return Err(FaceError::BadExposure(brightness));
        }
        let sharpness = laplacian_variance(&crop);
        if sharpness < self.config.min_sharpness {
            return Err(FaceError::TooBlurry {
                found: sharpness,
                min: self.config.min_sharpness,
            });
        }
        let symmetry = mirror_correlation(&crop);
        if symmetry < self.config.min_symmetry {
            return Err(FaceError::NotFrontal {
                found: symmetry,
                min: self.config.min_symmetry,
            });
        }
        let quality = FaceQuality {
            face,
            score,
            sharpness,
            symmetry,
            brightness,
        };
        tracing::debug!(?quality, "face passed the quality gate");
        Ok(quality)
    }

    /// All faces above the score threshold, in frame pixels, clipped to the frame.
    pub fn detect(&self, grey: &GrayImage) -> Vec<(FaceBox, f64)> {
        let (width, height) = grey.dimensions();
        if width < 24 || height < 24 {
            return Vec::new();
        }
        let scale = (DETECT_LONG_SIDE as f32 / width.max(height) as f32).min(1.0);
        let small = if scale < 1.0 {
            image::imageops::resize(
                grey,
                ((width as f32 * scale) as u32).max(24),
                ((height as f32 * scale) as u32).max(24),
                FilterType::Triangle,
            )
        } else {
            grey.clone()
        };
        let mut detector = rustface::create_detector_with_model(self.model.clone());
        detector.set_min_face_size(24);
        detector.set_score_thresh(self.config.detector_score);
        detector.set_pyramid_scale_factor(0.8);
        detector.set_slide_window_step(4, 4);
        let image = rustface::ImageData::new(small.as_raw(), small.width(), small.height());
        detector
            .detect(&image)
            .into_iter()
            .filter_map(|info| {
                let bbox = info.bbox();
                let to_frame = |v: f32| (v / scale).round().max(0.0) as u32;
                let x = to_frame(bbox.x() as f32).min(width - 1);
                let y = to_frame(bbox.y() as f32).min(height - 1);
                let w = to_frame(bbox.width() as f32).min(width - x);
                let h = to_frame(bbox.height() as f32).min(height - y);
                (w > 0 && h > 0).then_some((
                    FaceBox {
                        x,
                        y,
                        width: w,
                        height: h,
                    },
                    info.score(),
                ))
            })
            .collect()
    }
}

fn mean(image: &GrayImage) -> f32 {
    let sum: u64 = image.pixels().map(|p| u64::from(p.0[0])).sum();
    sum as f32 / (image.width() * image.height()).max(1) as f32
}

/// Variance of the 3×3 Laplacian: high when there are sharp edges, low when blurred.
pub(crate) fn laplacian_variance(image: &GrayImage) -> f32 {
    let laplacian = imageproc::filter::laplacian_filter(image);
    let values: Vec<f64> = laplacian.pixels().map(|p| f64::from(p.0[0])).collect();
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n) as f32
}

/// Pearson correlation between the left half and the mirrored right half.
fn mirror_correlation(image: &GrayImage) -> f32 {
    let (width, height) = image.dimensions();
    let half = width / 2;
    let mut left = Vec::with_capacity((half * height) as usize);
    let mut right = Vec::with_capacity((half * height) as usize);
    for y in 0..height {
        for x in 0..half {
            left.push(f64::from(image.get_pixel(x, y).0[0]));
            right.push(f64::from(image.get_pixel(width - 1 - x, y).0[0]));
        }
    }
    crate::face::similarity::correlation(&left, &right) as f32
}
