//! Decoding what a `30 01` read returns into a [`Card`].
//!
//! The read's data is `TL PL text photo` (two big-endian lengths, research §1.2). The 256-byte text
//! block is UCS-2 little-endian, space-padded, with fixed-width fields whose layout depends on the card
//! type flag at byte 248 (§1.3): resident ID card (space), Hong Kong/Macau/Taiwan residence permit
//! (`J`), foreigner permanent residence card 2017 (`I`) and 2023 (`Y`). Each layout is a table of
//! `(offset, length)` constants below, so it can be checked against the research line by line.
//!
//! [`Card`] is one flat struct for all four types (fields a type lacks are `None`) because every
//! consumer — forms, the device API's JSON, the application record — wants the same handful of fields
//! whatever the card. Its `Debug` masks everything personal.
//!
//! The decoder is strict about what must be right for a record to be trusted (dates, the check digit of
//! 18-character numbers) and lenient about the rest (unknown gender and ethnicity codes are kept, not
//! refused), because the SAM has already authenticated the card: a wrong field means a layout we do not
//! understand, and silently filing a wrong birth date is worse than asking the person to try again.

use banshi_core::ErrorCode;
use encoding_rs::UTF_16LE;
use time::{Date, Month};

use crate::codes::{Ethnicity, Gender};
use crate::id_number::{is_valid_id_number, mask_id_number};
use crate::photo::WltPhoto;

/// Length of the text block.
pub const TEXT_LEN: usize = 256;

/// Which document the chip belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardKind {
    /// 居民身份证.
    Resident,
    /// 港澳台居民居住证 (flag `J`).
    HmtPermit,
    /// 外国人永久居留身份证, 2017 edition (flag `I`).
    Foreigner2017,
    /// 外国人永久居留身份证, 2023 edition (flag `Y`).
    Foreigner2023,
}

impl CardKind {
    /// The type flag character at byte 248 (a space for resident cards).
    pub fn flag(self) -> char {
        match self {
            Self::Resident => ' ',
            Self::HmtPermit => 'J',
            Self::Foreigner2017 => 'I',
            Self::Foreigner2023 => 'Y',
        }
    }

    /// Stable snake_case name for APIs and records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::HmtPermit => "hmt_permit",
            Self::Foreigner2017 => "foreigner_2017",
            Self::Foreigner2023 => "foreigner_2023",
        }
    }

    fn from_flag(text: &[u8]) -> Self {
        match (text.get(248), text.get(249)) {
            (Some(b'J'), Some(0)) => Self::HmtPermit,
            (Some(b'I'), Some(0)) => Self::Foreigner2017,
            (Some(b'Y'), Some(0)) => Self::Foreigner2023,
            _ => Self::Resident,
        }
    }
}

/// End of validity: a date, or `长期` (long-term, no expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidUntil {
    Date(Date),
    LongTerm,
}

/// A decoded card. `Debug` masks the number and hides names, address and birth date.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    pub kind: CardKind,
    /// Chinese name (may be empty on a 2017 foreigner card without one).
    pub name: String,
    /// English name (foreigner cards).
    pub english_name: Option<String>,
    pub gender: Gender,
    /// Resident cards only.
    pub ethnicity: Option<Ethnicity>,
    pub birth_date: Date,
    /// Resident cards and residence permits.
    pub address: Option<String>,
    /// 公民身份号码 / permit number / permanent residence number.
    pub number: String,
    /// Issuing authority (resident cards and residence permits).
    pub issuer: Option<String>,
    pub valid_from: Date,
    pub valid_until: ValidUntil,
    /// ISO 3166-1 alpha-3 nationality (foreigner cards).
    pub nationality: Option<String>,
    /// 通行证号码 (residence permits).
    pub pass_number: Option<String>,
    /// 签发次数 (residence permits) or 换证次数 (2023 foreigner cards).
    pub issue_count: Option<u8>,
    /// 证件版本号 (2017 foreigner cards).
    pub card_version: Option<String>,
    /// 当次申请受理机关代码 (2017 foreigner cards).
    pub issuing_office: Option<String>,
    /// 既往版本证件号码关联项 (2023 foreigner cards).
    pub previous_number_link: Option<String>,
    /// The raw WLT photo.
    pub photo: WltPhoto,
}

impl Card {
    /// The number masked for logs and screens that must not show it (`110***********1234`).
    pub fn masked_number(&self) -> String {
        mask_id_number(&self.number)
    }

    /// Age in whole years on `today` (hall date, e.g. `clock.hall_now().date()`).
    pub fn age_on(&self, today: Date) -> i32 {
        let mut age = today.year() - self.birth_date.year();
        if (today.month() as u8, today.day())
            < (self.birth_date.month() as u8, self.birth_date.day())
        {
            age -= 1;
        }
        age
    }

    /// True when `today` lies within the card's validity (both ends included).
    pub fn is_valid_on(&self, today: Date) -> bool {
        today >= self.valid_from
            && match self.valid_until {
                ValidUntil::LongTerm => true,
                ValidUntil::Date(until) => today <= until,
            }
    }
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |present: bool| if present { "<hidden>" } else { "<none>" };
        f.debug_struct("Card")
            .field("kind", &self.kind)
            .field("number", &self.masked_number())
            .field("name", &hidden(!self.name.is_empty()))
            .field("english_name", &hidden(self.english_name.is_some()))
            .field("address", &hidden(self.address.is_some()))
            .field("birth_date", &"<hidden>")
            .field("gender", &self.gender)
            .field("valid_until", &self.valid_until)
            .field("photo", &self.photo)
            .finish_non_exhaustive()
    }
}

/// Why a read's data could not be turned into a [`Card`]. Messages name fields, never their values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The `TL PL` header or the lengths it announces do not fit the data.
    #[error("card data is malformed: {0}")]
    Payload(&'static str),
    /// A field does not have the shape its type requires.
    #[error("card field `{0}` is malformed")]
    Field(&'static str),
    /// The card number fails its check digit or format.
    #[error("card number fails validation")]
    Number,
}

impl ErrorCode for DecodeError {
    fn code(&self) -> &'static str {
        match self {
            Self::Payload(_) => "idcard.bad_payload",
            Self::Field(_) => "idcard.bad_field",
            Self::Number => "idcard.bad_id_number",
        }
    }
}

/// Decodes the data of a successful `30 01` response: `TL(2) PL(2) text photo`.
pub fn decode_base_info(data: &[u8]) -> Result<Card, DecodeError> {
    let Some(&[t0, t1, p0, p1]) = data.get(0..4) else {
        return Err(DecodeError::Payload("missing length header"));
    };
    let text_len = usize::from(u16::from_be_bytes([t0, t1]));
    let photo_len = usize::from(u16::from_be_bytes([p0, p1]));
    let text = data
        .get(4..4 + text_len)
        .ok_or(DecodeError::Payload("text shorter than announced"))?;
    let photo = data
        .get(4 + text_len..4 + text_len + photo_len)
        .ok_or(DecodeError::Payload("photo shorter than announced"))?;
    decode_text_block(text, WltPhoto::new(photo.to_vec()))
}

/// Decodes a text block (normally [`TEXT_LEN`] bytes) and attaches the photo.
///
/// Blocks of 220–255 bytes are padded with spaces (some readers announce a shorter text length); blocks
/// shorter than that are refused; extra bytes are ignored.
pub fn decode_text_block(text: &[u8], photo: WltPhoto) -> Result<Card, DecodeError> {
    if text.len() < 220 {
        return Err(DecodeError::Payload("text block too short"));
    }
    let mut block = [0x20u8, 0x00].repeat(TEXT_LEN / 2);
    let n = text.len().min(TEXT_LEN);
    if let (Some(dst), Some(src)) = (block.get_mut(..n), text.get(..n)) {
        dst.copy_from_slice(src);
    }
    let t = Text(&block);
    match CardKind::from_flag(&block) {
        CardKind::Resident => decode_resident(t, photo),
        CardKind::HmtPermit => decode_hmt(t, photo),
        CardKind::Foreigner2017 => decode_foreigner_2017(t, photo),
        CardKind::Foreigner2023 => decode_foreigner_2023(t, photo),
    }
}

/// Field offsets and lengths in bytes, straight from the research tables (§1.3).
mod layout {
    pub type Field = (usize, usize);

    pub mod resident {
        use super::Field;
        pub const NAME: Field = (0, 30);
        pub const GENDER: Field = (30, 2);
        pub const ETHNICITY: Field = (32, 4);
        pub const BIRTH: Field = (36, 16);
        pub const ADDRESS: Field = (52, 70);
        pub const NUMBER: Field = (122, 36);
        pub const ISSUER: Field = (158, 30);
        pub const VALID_FROM: Field = (188, 16);
        pub const VALID_UNTIL: Field = (204, 16);
    }

    /// Residence permits share the resident fields except ethnicity (reserved) and add these.
    pub mod hmt {
        use super::Field;
        pub const PASS_NUMBER: Field = (220, 18);
        pub const ISSUE_COUNT: Field = (238, 4);
    }

    pub mod foreigner_2017 {
        use super::Field;
        pub const ENGLISH_NAME: Field = (0, 120);
        pub const GENDER: Field = (120, 2);
        pub const NUMBER: Field = (122, 30);
        pub const NATIONALITY: Field = (152, 6);
        pub const CHINESE_NAME: Field = (158, 30);
        pub const VALID_FROM: Field = (188, 16);
        pub const VALID_UNTIL: Field = (204, 16);
        pub const BIRTH: Field = (220, 16);
        pub const VERSION: Field = (236, 4);
        pub const OFFICE: Field = (240, 8);
    }

    pub mod foreigner_2023 {
        use super::Field;
        pub const CHINESE_NAME: Field = (0, 30);
        pub const GENDER: Field = (30, 2);
        pub const RENEWALS: Field = (32, 4);
        pub const BIRTH: Field = (36, 16);
        pub const ENGLISH_NAME_1: Field = (52, 70);
        pub const NUMBER: Field = (122, 36);
        pub const VALID_FROM: Field = (188, 16);
        pub const VALID_UNTIL: Field = (204, 16);
        pub const ENGLISH_NAME_2: Field = (220, 22);
        pub const NATIONALITY: Field = (242, 6);
        pub const PREVIOUS_LINK: Field = (250, 6);
    }
}

use layout::Field;

/// A 256-byte block with typed field readers.
#[derive(Clone, Copy)]
struct Text<'a>(&'a [u8]);

impl Text<'_> {
    /// The field as a string with its padding (spaces, NULs) trimmed.
    fn string(self, (offset, len): Field) -> String {
        let raw = self.0.get(offset..offset + len).unwrap_or_default();
        let (decoded, _) = UTF_16LE.decode_without_bom_handling(raw);
        decoded
            .trim_matches(|c: char| c == ' ' || c == '\0' || c == '\u{3000}')
            .to_owned()
    }

    /// `Some` unless the field is blank.
    fn optional(self, field: Field) -> Option<String> {
        Some(self.string(field)).filter(|s| !s.is_empty())
    }

    fn date(self, field: Field, name: &'static str) -> Result<Date, DecodeError> {
        parse_date(&self.string(field)).ok_or(DecodeError::Field(name))
    }

    fn valid_until(self, field: Field) -> Result<ValidUntil, DecodeError> {
        let value = self.string(field);
        if value.starts_with("长期") {
            Ok(ValidUntil::LongTerm)
        } else {
            parse_date(&value)
                .map(ValidUntil::Date)
                .ok_or(DecodeError::Field("valid_until"))
        }
    }

    fn gender(self, field: Field) -> Result<Gender, DecodeError> {
        let value = self.string(field);
        value
            .chars()
            .next()
            .map(Gender::from_code)
            .ok_or(DecodeError::Field("gender"))
    }

    /// A two-digit number; `None` when the field is blank.
    fn two_digits(self, field: Field, name: &'static str) -> Result<Option<u8>, DecodeError> {
        let value = self.string(field);
        if value.is_empty() {
            return Ok(None);
        }
        if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecodeError::Field(name));
        }
        value
            .parse()
            .map(Some)
            .map_err(|_| DecodeError::Field(name))
    }

    fn checked_number(self, field: Field) -> Result<String, DecodeError> {
        let number = self.string(field);
        if is_valid_id_number(&number) {
            Ok(number.to_ascii_uppercase())
        } else {
            Err(DecodeError::Number)
        }
    }
}

/// `YYYYMMDD` in ASCII digits.
fn parse_date(value: &str) -> Option<Date> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = value.get(0..4)?.parse().ok()?;
    let month: u8 = value.get(4..6)?.parse().ok()?;
    let day: u8 = value.get(6..8)?.parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn decode_resident(t: Text<'_>, photo: WltPhoto) -> Result<Card, DecodeError> {
    use layout::resident::*;
    let ethnicity = t
        .two_digits(ETHNICITY, "ethnicity")?
        .ok_or(DecodeError::Field("ethnicity"))?;
    Ok(Card {
        kind: CardKind::Resident,
        name: t.string(NAME),
        english_name: None,
        gender: t.gender(GENDER)?,
        ethnicity: Some(Ethnicity::from_code(ethnicity)),
        birth_date: t.date(BIRTH, "birth_date")?,
        address: t.optional(ADDRESS),
        number: t.checked_number(NUMBER)?,
        issuer: t.optional(ISSUER),
        valid_from: t.date(VALID_FROM, "valid_from")?,
        valid_until: t.valid_until(VALID_UNTIL)?,
        nationality: None,
        pass_number: None,
        issue_count: None,
        card_version: None,
        issuing_office: None,
        previous_number_link: None,
        photo,
    })
}

fn decode_hmt(t: Text<'_>, photo: WltPhoto) -> Result<Card, DecodeError> {
    use layout::hmt::*;
    use layout::resident::*;
    Ok(Card {
        kind: CardKind::HmtPermit,
        name: t.string(NAME),
        english_name: None,
        gender: t.gender(GENDER)?,
        ethnicity: None,
        birth_date: t.date(BIRTH, "birth_date")?,
        address: t.optional(ADDRESS),
        number: t.checked_number(NUMBER)?,
        issuer: t.optional(ISSUER),
        valid_from: t.date(VALID_FROM, "valid_from")?,
        valid_until: t.valid_until(VALID_UNTIL)?,
        nationality: None,
        pass_number: t.optional(PASS_NUMBER),
        issue_count: t.two_digits(ISSUE_COUNT, "issue_count")?,
        card_version: None,
        issuing_office: None,
        previous_number_link: None,
        photo,
    })
}

fn decode_foreigner_2017(t: Text<'_>, photo: WltPhoto) -> Result<Card, DecodeError> {
    use layout::foreigner_2017::*;
    let number = t.string(NUMBER);
    let well_formed = number.len() == 15
        && number.bytes().take(3).all(|b| b.is_ascii_uppercase())
        && number.bytes().skip(3).all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(DecodeError::Number);
    }
    Ok(Card {
        kind: CardKind::Foreigner2017,
        name: t.string(CHINESE_NAME),
        english_name: t.optional(ENGLISH_NAME),
        gender: t.gender(GENDER)?,
        ethnicity: None,
        birth_date: t.date(BIRTH, "birth_date")?,
        address: None,
        number,
        issuer: None,
        valid_from: t.date(VALID_FROM, "valid_from")?,
        valid_until: t.valid_until(VALID_UNTIL)?,
        nationality: t.optional(NATIONALITY),
        pass_number: None,
        issue_count: None,
        card_version: t.optional(VERSION),
        issuing_office: t.optional(OFFICE),
        previous_number_link: None,
        photo,
    })
}

fn decode_foreigner_2023(t: Text<'_>, photo: WltPhoto) -> Result<Card, DecodeError> {
    use layout::foreigner_2023::*;
    let number = t.checked_number(NUMBER)?;
    if !number.starts_with('9') {
        return Err(DecodeError::Number);
    }
    // The English name is split over two fields; the first is full (35 chars) whenever there is a
    // second part, so joining the untrimmed halves and trimming once restores the name.
    let english_name = format!("{}{}", t.raw(ENGLISH_NAME_1), t.raw(ENGLISH_NAME_2));
    let english_name = english_name.trim_matches(|c: char| c == ' ' || c == '\0');
    Ok(Card {
        kind: CardKind::Foreigner2023,
        name: t.string(CHINESE_NAME),
        english_name: Some(english_name.to_owned()).filter(|s| !s.is_empty()),
        gender: t.gender(GENDER)?,
        ethnicity: None,
        birth_date: t.date(BIRTH, "birth_date")?,
        address: None,
        number,
        issuer: None,
        valid_from: t.date(VALID_FROM, "valid_from")?,
        valid_until: t.valid_until(VALID_UNTIL)?,
        nationality: t.optional(NATIONALITY),
        pass_number: None,
        issue_count: t.two_digits(RENEWALS, "renewal_count")?,
        card_version: None,
        issuing_office: None,
        previous_number_link: t.optional(PREVIOUS_LINK),
        photo,
    })
}

impl Text<'_> {
    /// The field decoded without trimming (for fields that continue in another field).
    fn raw(self, (offset, len): Field) -> String {
        let raw = self.0.get(offset..offset + len).unwrap_or_default();
        UTF_16LE.decode_without_bom_handling(raw).0.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Writes `value` as UCS-2 LE at `offset`, the way the research describes the block, independently
    /// of the simulator's encoder.
    fn put(block: &mut [u8], offset: usize, value: &str) {
        for (i, unit) in value.encode_utf16().enumerate() {
            block[offset + 2 * i..offset + 2 * i + 2].copy_from_slice(&unit.to_le_bytes());
        }
    }

    fn blank() -> Vec<u8> {
        [0x20u8, 0x00].repeat(128)
    }

    fn resident_block() -> Vec<u8> {
        let mut b = blank();
        put(&mut b, 0, "测试甲");
        put(&mut b, 30, "1");
        put(&mut b, 32, "01");
        put(&mut b, 36, "19491231");
        put(&mut b, 52, "测试省测试市测试路1号");
        put(&mut b, 122, "11010519491231002X");
        put(&mut b, 158, "测试市公安局");
        put(&mut b, 188, "20200101");
        put(&mut b, 204, "长期");
        b
    }

    #[test]
    fn a_resident_block_decodes_field_by_field() {
        let card = decode_text_block(&resident_block(), WltPhoto::new(vec![1; 1024])).unwrap();
        assert_eq!(card.kind, CardKind::Resident);
        assert_eq!(card.name, "测试甲");
        assert_eq!(card.gender, Gender::Male);
        assert_eq!(card.ethnicity.unwrap().label_zh(), "汉");
        assert_eq!(card.birth_date, date!(1949 - 12 - 31));
        assert_eq!(card.address.as_deref(), Some("测试省测试市测试路1号"));
        assert_eq!(card.number, "11010519491231002X");
        assert_eq!(card.issuer.as_deref(), Some("测试市公安局"));
        assert_eq!(card.valid_from, date!(2020 - 01 - 01));
        assert_eq!(card.valid_until, ValidUntil::LongTerm);
        assert_eq!(card.age_on(date!(2019 - 12 - 30)), 69);
        assert_eq!(card.age_on(date!(2019 - 12 - 31)), 70);
        assert!(card.is_valid_on(date!(2090 - 01 - 01)));
        assert!(!card.is_valid_on(date!(2019 - 12 - 31)));
    }

    #[test]
    fn long_term_is_the_documented_bytes() {
        let b = resident_block();
        assert_eq!(&b[204..208], &[0x7F, 0x95, 0x1F, 0x67]);
        assert_eq!(&b[208..220], &[0x20, 0x00].repeat(6)[..]);
    }

    #[test]
    fn debug_masks_number_and_hides_name_address_and_birth_date() {
        let card = decode_text_block(&resident_block(), WltPhoto::new(vec![1; 1024])).unwrap();
        let shown = format!("{card:?}");
        assert!(shown.contains("110***********002X"), "{shown}");
        for secret in ["测试甲", "11010519491231002X", "测试省", "1949"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn a_bad_check_digit_or_date_is_refused_with_a_code() {
        let mut b = resident_block();
        put(&mut b, 122, "110105194912310021");
        let err = decode_text_block(&b, WltPhoto::new(vec![])).unwrap_err();
        assert_eq!(err.code(), "idcard.bad_id_number");
        let mut b = resident_block();
        put(&mut b, 36, "19491331");
        let err = decode_text_block(&b, WltPhoto::new(vec![])).unwrap_err();
        assert_eq!(err, DecodeError::Field("birth_date"));
        assert_eq!(err.code(), "idcard.bad_field");
    }

    #[test]
    fn each_type_flag_selects_its_layout() {
        let mut j = resident_block();
        put(&mut j, 32, "  ");
        put(&mut j, 122, "810000199001011230");
        put(&mut j, 220, "H12345678");
        put(&mut j, 238, "03");
        put(&mut j, 248, "J");
        let card = decode_text_block(&j, WltPhoto::new(vec![])).unwrap();
        assert_eq!(card.kind, CardKind::HmtPermit);
        assert_eq!(card.pass_number.as_deref(), Some("H12345678"));
        assert_eq!(card.issue_count, Some(3));
        assert_eq!(card.ethnicity, None);

        let mut i = blank();
        put(&mut i, 0, "TEST, ALPHA");
        put(&mut i, 120, "2");
        put(&mut i, 122, "CAN110081080319");
        put(&mut i, 152, "CAN");
        put(&mut i, 158, "测试乙");
        put(&mut i, 188, "20170101");
        put(&mut i, 204, "20270101");
        put(&mut i, 220, "19810803");
        put(&mut i, 236, "01");
        put(&mut i, 240, "1500");
        put(&mut i, 248, "I");
        let card = decode_text_block(&i, WltPhoto::new(vec![])).unwrap();
        assert_eq!(card.kind, CardKind::Foreigner2017);
        assert_eq!(card.english_name.as_deref(), Some("TEST, ALPHA"));
        assert_eq!(card.name, "测试乙");
        assert_eq!(card.nationality.as_deref(), Some("CAN"));
        assert_eq!(card.issuing_office.as_deref(), Some("1500"));
        assert_eq!(card.card_version.as_deref(), Some("01"));
        assert_eq!(card.birth_date, date!(1981 - 08 - 03));
        assert_eq!(card.valid_until, ValidUntil::Date(date!(2027 - 01 - 01)));

        let mut y = blank();
        put(&mut y, 0, "测试丙");
        put(&mut y, 30, "2");
        put(&mut y, 32, "00");
        put(&mut y, 36, "19800101");
        let long_name = "TESTPERSON, ALPHA BRAVO CHARLIE DEL"; // exactly 35 characters
        assert_eq!(long_name.len(), 35);
        put(&mut y, 52, long_name);
        put(&mut y, 122, "931586198001010028");
        put(&mut y, 188, "20240101");
        put(&mut y, 204, "20340101");
        put(&mut y, 220, "TA ECHO");
        put(&mut y, 242, "PAK");
        put(&mut y, 248, "Y");
        put(&mut y, 250, "000");
        let card = decode_text_block(&y, WltPhoto::new(vec![])).unwrap();
        assert_eq!(card.kind, CardKind::Foreigner2023);
        assert_eq!(
            card.english_name.as_deref(),
            Some("TESTPERSON, ALPHA BRAVO CHARLIE DELTA ECHO")
        );
        assert_eq!(card.nationality.as_deref(), Some("PAK"));
        assert_eq!(card.previous_number_link.as_deref(), Some("000"));
        assert_eq!(card.issue_count, Some(0));
    }

    #[test]
    fn base_info_payload_lengths_are_checked() {
        let mut data = vec![0x01, 0x00, 0x04, 0x00];
        data.extend(resident_block());
        data.extend([7u8; 1024]);
        let card = decode_base_info(&data).unwrap();
        assert_eq!(card.photo.as_bytes(), &[7u8; 1024][..]);
        assert_eq!(
            decode_base_info(&data[..1000]).unwrap_err(),
            DecodeError::Payload("photo shorter than announced")
        );
        assert_eq!(
            decode_base_info(&data[..3]).unwrap_err().code(),
            "idcard.bad_payload"
        );
    }
}
