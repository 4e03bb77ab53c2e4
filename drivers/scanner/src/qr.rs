//! QR decoding from camera frames.
//!
//! `rqrr` does the work (brief §9 prefers a maintained crate made for the job). We feed it our own greyscale view
//! of the frame instead of enabling its `img` feature, which keeps the `image` dependency at the workspace's single
//! feature set. Payloads are returned as text: UTF-8 when the bytes are UTF-8, otherwise GB18030, because codes
//! printed by older Chinese systems carry GBK text that `rqrr`'s own `String` conversion would reject.

use image::DynamicImage;

/// Every QR payload found in `frame`, in the order `rqrr` finds the grids. Unreadable grids are skipped (and
/// logged at debug level); an image without codes gives an empty vector.
pub fn decode_qr(frame: &DynamicImage) -> Vec<String> {
    let grey = frame.to_luma8();
    let (width, height) = grey.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            grey.get_pixel_checked(x as u32, y as u32)
                .map_or(255, |p| p.0[0])
        });
    let mut found = Vec::new();
    for grid in prepared.detect_grids() {
        let mut bytes = Vec::new();
        match grid.decode_to(&mut bytes) {
            Ok(_) => found.push(payload_text(&bytes)),
            Err(e) => tracing::debug!(error = %e, "a QR grid was found but could not be decoded"),
        }
    }
    found
}

/// UTF-8 if it is UTF-8, else GB18030 (a superset of GBK); GB18030 decodes any byte string without failing.
pub(crate) fn payload_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_payloads_become_chinese_text() {
        // "办事" in GBK.
        assert_eq!(payload_text(&[0xB0, 0xEC, 0xCA, 0xC2]), "办事");
        assert_eq!(payload_text("办事".as_bytes()), "办事");
    }

    #[test]
    fn a_blank_frame_has_no_codes() {
        let blank = DynamicImage::new_luma8(64, 48);
        assert!(decode_qr(&blank).is_empty());
    }
}
