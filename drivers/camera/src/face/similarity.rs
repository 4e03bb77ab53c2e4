//! The deterministic image similarity the comparison simulator scores with.
//!
//! It is not face recognition and does not pretend to be: it stands in for the hall's service so tests
//! can tell "same photo, slightly shifted or brighter" (high score) from "another picture" (low score)
//! through the real HTTP client. Both images are reduced to 32 × 32 grey, each is normalised to zero mean
//! and unit variance (so exposure and brightness do not matter), and the score is their Pearson
//! correlation mapped to 0–100 (negative correlation counts as 0).

use image::imageops::FilterType;

/// Side of the grey thumbnails that are correlated.
const THUMB_SIDE: u32 = 32;

/// Similarity 0–100 of two encoded images (JPEG or PNG).
pub fn similarity_score(a: &[u8], b: &[u8]) -> Result<f32, image::ImageError> {
    let thumb = |bytes: &[u8]| -> Result<Vec<f64>, image::ImageError> {
        let grey = image::load_from_memory(bytes)?.to_luma8();
        let small = image::imageops::resize(&grey, THUMB_SIDE, THUMB_SIDE, FilterType::Triangle);
        Ok(small.pixels().map(|p| f64::from(p.0[0])).collect())
    };
    let r = correlation(&thumb(a)?, &thumb(b)?);
    Ok((r.max(0.0) * 100.0) as f32)
}

/// Pearson correlation of two equally long series; 0 when either is flat.
pub(crate) fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let mean = |s: &[f64]| s.iter().take(n).sum::<f64>() / n as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b).take(n) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa <= f64::EPSILON || sbb <= f64::EPSILON {
        return 0.0;
    }
    sab / (saa * sbb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_is_scale_and_offset_invariant() {
        let a = [1.0, 5.0, 2.0, 8.0];
        let b = a.map(|v| v * 3.0 + 40.0);
        assert!((correlation(&a, &b) - 1.0).abs() < 1e-12);
        assert_eq!(correlation(&a, &[7.0; 4]), 0.0);
        assert_eq!(correlation(&[], &[]), 0.0);
    }
}
