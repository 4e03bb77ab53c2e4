//! MJPEG frame repair: walk a JPEG's header segments, read its size, and insert the standard Huffman
//! tables when the camera left them out.
//!
//! The USB Video Class MJPEG payload spec makes the DHT segment optional: a frame without one means
//! "use the example tables of ISO/IEC 10918-1 Annex K.3.3". Many webcams and 高拍仪 main cameras rely on
//! that, and pure-Rust decoders (jpeg-decoder, zune-jpeg, which `image` uses) refuse such frames
//! ("no DC table"). Since we also keep camera frames as `.jpg` evidence, the repair happens on the bytes,
//! before any decoder sees them, so the stored file is a standalone, valid JPEG everywhere.
//!
//! The walker only reads the header part (up to SOS); it never trusts a length without bounds checks.

use std::borrow::Cow;

/// What the header of a JPEG says, as far as the camera code cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegHeader {
    /// Width from the SOF segment.
    pub width: u32,
    /// Height from the SOF segment.
    pub height: u32,
    /// Whether a DHT (define Huffman table) segment comes before the first scan.
    pub has_huffman_tables: bool,
    /// Byte offset of the SOS marker (`FF DA`), where a missing DHT is inserted.
    sos_offset: usize,
}

/// Why bytes are not a JPEG we can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JpegProblem {
    /// No `FF D8` at the start.
    NotJpeg,
    /// The header segments run past the end or contain a bad marker.
    Truncated,
    /// No SOF (frame header) before the first scan.
    NoFrameHeader,
}

impl std::fmt::Display for JpegProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotJpeg => "no JPEG start-of-image marker",
            Self::Truncated => "JPEG header is truncated or malformed",
            Self::NoFrameHeader => "JPEG has no frame header before its first scan",
        })
    }
}

/// Reads the header segments of a JPEG up to its first scan.
pub fn read_header(bytes: &[u8]) -> Result<JpegHeader, JpegProblem> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8][..]) {
        return Err(JpegProblem::NotJpeg);
    }
    let mut at = 2;
    let mut size = None;
    let mut has_huffman_tables = false;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if bytes.get(at) != Some(&0xFF) {
            return Err(JpegProblem::Truncated);
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(JpegProblem::Truncated)?;
        let marker_at = at - 1;
        at += 1;
        match marker {
            // Standalone markers without a length (TEM, RSTn) are legal but carry nothing for us.
            0x01 | 0xD0..=0xD7 => continue,
            0xDA => {
                let (width, height) = size.ok_or(JpegProblem::NoFrameHeader)?;
                return Ok(JpegHeader {
                    width,
                    height,
                    has_huffman_tables,
                    sos_offset: marker_at,
                });
            }
            0xD8 | 0xD9 | 0x00 => return Err(JpegProblem::Truncated),
            _ => {}
        }
        let length = usize::from(be16(bytes, at).ok_or(JpegProblem::Truncated)?);
        if length < 2 {
            return Err(JpegProblem::Truncated);
        }
        let payload = bytes
            .get(at + 2..at + length)
            .ok_or(JpegProblem::Truncated)?;
        match marker {
            0xC4 => has_huffman_tables = true,
            // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
            0xC0..=0xCF if marker != 0xC8 && marker != 0xCC => {
                let height = be16(payload, 1).ok_or(JpegProblem::Truncated)?;
                let width = be16(payload, 3).ok_or(JpegProblem::Truncated)?;
                size = Some((u32::from(width), u32::from(height)));
            }
            _ => {}
        }
        at += length;
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    match bytes.get(at..at.checked_add(2)?)? {
        &[high, low] => Some(u16::from_be_bytes([high, low])),
        _ => None,
    }
}

/// Returns the frame unchanged when it has Huffman tables, or a copy with the standard tables of
/// ISO/IEC 10918-1 K.3.3 inserted just before the first scan when it has none.
pub fn with_huffman_tables(bytes: &[u8]) -> Result<Cow<'_, [u8]>, JpegProblem> {
    let header = read_header(bytes)?;
    if header.has_huffman_tables {
        return Ok(Cow::Borrowed(bytes));
    }
    let (before_scan, scan) = bytes.split_at(header.sos_offset);
    let dht = standard_dht_segment();
    let mut repaired = Vec::with_capacity(bytes.len() + dht.len());
    repaired.extend_from_slice(before_scan);
    repaired.extend_from_slice(&dht);
    repaired.extend_from_slice(scan);
    Ok(Cow::Owned(repaired))
}

/// One DHT segment holding the four standard tables (luminance/chrominance × DC/AC).
fn standard_dht_segment() -> Vec<u8> {
    // Table class (0 = DC, 1 = AC) in the high nibble, destination id in the low nibble.
    let tables: [(u8, &[u8; 16], &[u8]); 4] = [
        (0x00, &DC_LUMINANCE_COUNTS, &DC_VALUES),
        (0x10, &AC_LUMINANCE_COUNTS, &AC_LUMINANCE_VALUES),
        (0x01, &DC_CHROMINANCE_COUNTS, &DC_VALUES),
        (0x11, &AC_CHROMINANCE_COUNTS, &AC_CHROMINANCE_VALUES),
    ];
    let body_len: usize = tables
        .iter()
        .map(|(_, _, values)| 1 + 16 + values.len())
        .sum();
    let segment_len = (2 + body_len) as u16; // 420 bytes, well within u16
    let mut segment = vec![0xFF, 0xC4];
    segment.extend_from_slice(&segment_len.to_be_bytes());
    for (class_and_id, counts, values) in tables {
        segment.push(class_and_id);
        segment.extend_from_slice(counts);
        segment.extend_from_slice(values);
    }
    segment
}

// ISO/IEC 10918-1 Annex K.3.3, tables K.3 to K.6: code counts per bit length 1..=16, then the symbols.
const DC_LUMINANCE_COUNTS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_CHROMINANCE_COUNTS: [u8; 16] = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_VALUES: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMINANCE_COUNTS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D];
const AC_LUMINANCE_VALUES: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];
const AC_CHROMINANCE_COUNTS: [u8; 16] = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMINANCE_VALUES: [u8; 162] = [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
    0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
    0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
    0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
    0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
    0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

/// Removes every DHT segment from a JPEG: builds the "webcam MJPEG frame" test fixtures.
#[cfg(test)]
pub(crate) fn strip_huffman_tables(bytes: &[u8]) -> Vec<u8> {
    let header = read_header(bytes).expect("test input is a JPEG");
    let mut out = bytes[..2].to_vec();
    let mut at = 2;
    while at < header.sos_offset {
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if bytes[at + 1] != 0xC4 {
            out.extend_from_slice(&bytes[at..at + 2 + length]);
        }
        at += 2 + length;
    }
    out.extend_from_slice(&bytes[header.sos_offset..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_jpeg() -> Vec<u8> {
        let image = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 2) as u8])
        });
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 85)
            .encode(image.as_raw(), 64, 48, jpeg_encoder::ColorType::Rgb)
            .expect("encode");
        out
    }

    #[test]
    fn header_reports_size_and_tables() {
        let jpeg = sample_jpeg();
        let header = read_header(&jpeg).expect("header");
        assert_eq!((header.width, header.height), (64, 48));
        assert!(header.has_huffman_tables);
        assert!(matches!(with_huffman_tables(&jpeg), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn frame_without_dht_is_refused_by_the_decoder_and_repaired_by_inserting_the_standard_tables() {
        let jpeg = sample_jpeg();
        let stripped = strip_huffman_tables(&jpeg);
        assert!(!read_header(&stripped).expect("header").has_huffman_tables);
        assert!(
            image::load_from_memory_with_format(&stripped, image::ImageFormat::Jpeg).is_err(),
            "the pure-Rust decoder should refuse a frame without DHT, or this test proves nothing"
        );
        let repaired = with_huffman_tables(&stripped).expect("repair");
        let header = read_header(&repaired).expect("header");
        assert!(header.has_huffman_tables);
        let original = image::load_from_memory(&jpeg).expect("decode").to_rgb8();
        let fixed = image::load_from_memory(&repaired)
            .expect("decode")
            .to_rgb8();
        // The encoder used the K.3.3 tables, so the repaired frame decodes to exactly the same pixels.
        assert_eq!(original, fixed);
    }

    #[test]
    fn standard_segment_has_the_k3_symbol_counts() {
        let dht = standard_dht_segment();
        assert_eq!(dht.len(), 2 + 2 + 4 * 17 + 12 + 162 + 12 + 162);
        for counts in [
            &DC_LUMINANCE_COUNTS,
            &DC_CHROMINANCE_COUNTS,
            &AC_LUMINANCE_COUNTS,
            &AC_CHROMINANCE_COUNTS,
        ] {
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            assert!(total == 12 || total == 162);
        }
    }

    #[test]
    fn garbage_and_truncation_are_errors_not_panics() {
        assert_eq!(read_header(b""), Err(JpegProblem::NotJpeg));
        assert_eq!(read_header(b"\x89PNG\r\n"), Err(JpegProblem::NotJpeg));
        let jpeg = sample_jpeg();
        for cut in [2, 3, 5, 20, 100] {
            assert!(read_header(&jpeg[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            read_header(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]),
            Err(JpegProblem::NoFrameHeader)
        );
    }
}
