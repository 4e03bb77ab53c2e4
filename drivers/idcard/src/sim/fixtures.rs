//! Synthetic cards for the simulator: obviously fake people with valid numbers.
//!
//! Every fixture is a test person (`测试甲`, `测试省测试市…`) whose number is *derived* from its fields
//! (birth date, sequence, gender parity) with a correct MOD 11-2 check digit, so changing the birth
//! date to make a 70-year-old keeps the card valid. The text block is written here from the research
//! tables (§1.3) with literal offsets — deliberately not from the decoder's layout constants, so the
//! encoder and decoder are two independent transcriptions of the same tables.

use time::{Date, Month};

use crate::card::{CardKind, ValidUntil, TEXT_LEN};
use crate::codes::Gender;
use crate::id_number::check_digit;
use crate::photo::WLT_LEN;
use crate::sim::rng::XorShift64;

/// A card to place on the simulated reader.
#[derive(Clone, PartialEq, Eq)]
pub struct CardFixture {
    kind: CardKind,
    name: String,
    english_name: String,
    gender: Gender,
    ethnicity_code: u8,
    birth_date: Date,
    address: String,
    sequence: u16,
    issuer: String,
    valid_from: Date,
    valid_until: ValidUntil,
    nationality: String,
    pass_number: String,
    issue_count: u8,
    office_code: String,
    serial: [u8; 8],
    photo_seed: u64,
    fingerprint_len: usize,
    appended_address: Option<String>,
}

// Fixtures are synthetic, but the same masking discipline applies everywhere.
impl std::fmt::Debug for CardFixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardFixture")
            .field("kind", &self.kind)
            .field("number", &crate::id_number::mask_id_number(&self.number()))
            .finish_non_exhaustive()
    }
}

fn date(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MIN)
}

impl CardFixture {
    fn base(kind: CardKind) -> Self {
        Self {
            kind,
            name: "测试甲".into(),
            english_name: String::new(),
            gender: Gender::Male,
            ethnicity_code: 1,
            birth_date: date(1990, Month::January, 1),
            address: "测试省测试市测试区测试路1号".into(),
            sequence: 1,
            issuer: "测试市公安局测试分局".into(),
            valid_from: date(2020, Month::January, 1),
            valid_until: ValidUntil::Date(date(2040, Month::January, 1)),
            nationality: String::new(),
            pass_number: String::new(),
            issue_count: 0,
            office_code: String::new(),
            serial: [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80],
            photo_seed: 1,
            fingerprint_len: 0,
            appended_address: None,
        }
    }

    /// 居民身份证 of 测试甲, male, 汉, born 1990-01-01, valid until 2040-01-01.
    pub fn resident() -> Self {
        Self::base(CardKind::Resident)
    }

    /// 港澳台居民居住证 (Hong Kong number range 810000).
    pub fn hmt_permit() -> Self {
        Self {
            name: "测试乙".into(),
            gender: Gender::Female,
            sequence: 2,
            issuer: "测试市公安局".into(),
            pass_number: "H12345678".into(),
            issue_count: 1,
            ..Self::base(CardKind::HmtPermit)
        }
    }

    /// 2017 foreigner permanent residence card (15-character number, English name first).
    pub fn foreigner_2017() -> Self {
        Self {
            name: "测试丙".into(),
            english_name: "TEST, ALPHA".into(),
            nationality: "CAN".into(),
            office_code: "1500".into(),
            address: String::new(),
            issuer: String::new(),
            valid_from: date(2017, Month::June, 1),
            valid_until: ValidUntil::Date(date(2027, Month::June, 1)),
            ..Self::base(CardKind::Foreigner2017)
        }
    }

    /// 2023 foreigner permanent residence card (18-digit number starting with 9).
    pub fn foreigner_2023() -> Self {
        Self {
            name: "测试丁".into(),
            english_name: "TEST, BRAVO".into(),
            gender: Gender::Female,
            nationality: "PAK".into(),
            sequence: 2,
            address: String::new(),
            issuer: String::new(),
            valid_from: date(2024, Month::January, 1),
            valid_until: ValidUntil::Date(date(2034, Month::January, 1)),
            ..Self::base(CardKind::Foreigner2023)
        }
    }

    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }

    pub fn with_english_name(mut self, name: &str) -> Self {
        self.english_name = name.into();
        self
    }

    /// Also changes the number, which embeds the birth date.
    pub fn with_birth_date(mut self, birth_date: Date) -> Self {
        self.birth_date = birth_date;
        self
    }

    /// Also changes the number's sequence parity (odd = male).
    pub fn with_gender(mut self, gender: Gender) -> Self {
        self.gender = gender;
        self
    }

    /// Any two-digit code, including ones the standard does not define (e.g. 81).
    pub fn with_ethnicity_code(mut self, code: u8) -> Self {
        self.ethnicity_code = code % 100;
        self
    }

    pub fn with_address(mut self, address: &str) -> Self {
        self.address = address.into();
        self
    }

    /// Distinguishes otherwise identical people (the number's 3-digit sequence).
    pub fn with_sequence(mut self, sequence: u16) -> Self {
        self.sequence = sequence % 500;
        self
    }

    pub fn with_validity(mut self, from: Date, until: ValidUntil) -> Self {
        self.valid_from = from;
        self.valid_until = until;
        self
    }

    /// The card's 8-byte serial returned by select.
    pub fn with_serial(mut self, serial: [u8; 8]) -> Self {
        self.serial = serial;
        self
    }

    /// Seed of the deterministic pseudo-random 1024-byte "WLT" photo.
    pub fn with_photo_seed(mut self, seed: u64) -> Self {
        self.photo_seed = seed;
        self
    }

    /// Fingerprint data length returned by `30 10` (0, 512 or 1024).
    pub fn with_fingerprint_len(mut self, len: usize) -> Self {
        self.fingerprint_len = len.min(1024);
        self
    }

    /// An appended address (`30 03`), at most 35 characters.
    pub fn with_appended_address(mut self, address: &str) -> Self {
        self.appended_address = Some(address.into());
        self
    }

    pub fn kind(&self) -> CardKind {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    pub fn serial(&self) -> [u8; 8] {
        self.serial
    }

    pub fn appended_address(&self) -> Option<&str> {
        self.appended_address.as_deref()
    }

    fn birth_digits(&self) -> String {
        format!(
            "{:04}{:02}{:02}",
            self.birth_date.year(),
            self.birth_date.month() as u8,
            self.birth_date.day()
        )
    }

    /// The 3-digit sequence with the parity the gender requires (odd = male).
    fn sequence_digits(&self) -> String {
        let base = u32::from(self.sequence) * 2;
        let seq = if self.gender == Gender::Male {
            base + 1
        } else {
            base + 2
        };
        format!("{:03}", seq % 1000)
    }

    /// The card number, derived from the fields, with a valid check digit where the type has one.
    pub fn number(&self) -> String {
        let with_check = |first17: String| {
            let check = check_digit(&first17).unwrap_or('0');
            format!("{first17}{check}")
        };
        match self.kind {
            CardKind::Resident => with_check(format!(
                "110101{}{}",
                self.birth_digits(),
                self.sequence_digits()
            )),
            CardKind::HmtPermit => with_check(format!(
                "810000{}{}",
                self.birth_digits(),
                self.sequence_digits()
            )),
            CardKind::Foreigner2023 => with_check(format!(
                "931586{}{}",
                self.birth_digits(),
                self.sequence_digits()
            )),
            CardKind::Foreigner2017 => format!(
                "{}1100{}{:02}",
                self.nationality,
                self.birth_digits().get(2..).unwrap_or("000000"),
                self.sequence % 100
            ),
        }
    }

    fn date_digits(d: Date) -> String {
        format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day())
    }

    fn valid_until_text(&self) -> String {
        match self.valid_until {
            ValidUntil::LongTerm => "长期".into(),
            ValidUntil::Date(d) => Self::date_digits(d),
        }
    }

    /// The 256-byte UCS-2 LE text block, space-padded, with the type flag at byte 248.
    pub fn text_block(&self) -> [u8; TEXT_LEN] {
        let mut block = [0u8; TEXT_LEN];
        for pair in block.chunks_exact_mut(2) {
            pair.copy_from_slice(&[0x20, 0x00]);
        }
        let gender = self.gender.code().to_string();
        let from = Self::date_digits(self.valid_from);
        let until = self.valid_until_text();
        let birth = self.birth_digits();
        let number = self.number();
        let flag = self.kind.flag().to_string();
        let owned: Vec<(usize, usize, String)> = match self.kind {
            CardKind::Resident => vec![
                (0, 30, self.name.clone()),
                (30, 2, gender),
                (32, 4, format!("{:02}", self.ethnicity_code)),
                (36, 16, birth),
                (52, 70, self.address.clone()),
                (122, 36, number),
                (158, 30, self.issuer.clone()),
                (188, 16, from),
                (204, 16, until),
            ],
            CardKind::HmtPermit => vec![
                (0, 30, self.name.clone()),
                (30, 2, gender),
                (36, 16, birth),
                (52, 70, self.address.clone()),
                (122, 36, number),
                (158, 30, self.issuer.clone()),
                (188, 16, from),
                (204, 16, until),
                (220, 18, self.pass_number.clone()),
                (238, 4, format!("{:02}", self.issue_count % 100)),
                (248, 2, flag),
            ],
            CardKind::Foreigner2017 => vec![
                (0, 120, self.english_name.clone()),
                (120, 2, gender),
                (122, 30, number),
                (152, 6, self.nationality.clone()),
                (158, 30, self.name.clone()),
                (188, 16, from),
                (204, 16, until),
                (220, 16, birth),
                (236, 4, "01".into()),
                (240, 8, self.office_code.clone()),
                (248, 2, flag),
            ],
            CardKind::Foreigner2023 => {
                let english: Vec<char> = self.english_name.chars().collect();
                let first: String = english.iter().take(35).collect();
                let rest: String = english.iter().skip(35).take(11).collect();
                vec![
                    (0, 30, self.name.clone()),
                    (30, 2, gender),
                    (32, 4, format!("{:02}", self.issue_count % 100)),
                    (36, 16, birth),
                    (52, 70, first),
                    (122, 36, number),
                    (188, 16, from),
                    (204, 16, until),
                    (220, 22, rest),
                    (242, 6, self.nationality.clone()),
                    (248, 2, flag),
                    (250, 6, "000".into()),
                ]
            }
        };
        for (offset, len, value) in owned {
            put_ucs2(&mut block, offset, len, &value);
        }
        block
    }

    /// The deterministic 1024-byte photo blob.
    pub fn photo(&self) -> Vec<u8> {
        let mut rng = XorShift64::new(self.photo_seed);
        (0..WLT_LEN).map(|_| rng.next_u8()).collect()
    }

    /// Data of a successful `30 01` answer: `TL PL text photo`.
    pub fn base_info_payload(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(4 + TEXT_LEN + WLT_LEN);
        data.extend_from_slice(&(TEXT_LEN as u16).to_be_bytes());
        data.extend_from_slice(&(WLT_LEN as u16).to_be_bytes());
        data.extend_from_slice(&self.text_block());
        data.extend_from_slice(&self.photo());
        data
    }

    /// Data of a successful `30 10` answer: `TL PL FL text photo fingerprint`.
    pub fn fingerprint_payload(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(6 + TEXT_LEN + WLT_LEN + self.fingerprint_len);
        data.extend_from_slice(&(TEXT_LEN as u16).to_be_bytes());
        data.extend_from_slice(&(WLT_LEN as u16).to_be_bytes());
        data.extend_from_slice(&(self.fingerprint_len as u16).to_be_bytes());
        data.extend_from_slice(&self.text_block());
        data.extend_from_slice(&self.photo());
        let mut rng = XorShift64::new(self.photo_seed ^ 0xF1F1);
        data.extend((0..self.fingerprint_len).map(|_| rng.next_u8()));
        data
    }

    /// The appended address as UCS-2 LE (≤ 70 bytes), if the card has one.
    pub fn appended_address_bytes(&self) -> Option<Vec<u8>> {
        self.appended_address.as_ref().map(|address| {
            let mut bytes = [0x20, 0x00].repeat(35);
            put_ucs2(&mut bytes, 0, 70, address);
            bytes
        })
    }
}

/// Writes `value` as UCS-2 LE into `block[offset..offset + len]`, cut to fit.
fn put_ucs2(block: &mut [u8], offset: usize, len: usize, value: &str) {
    for (i, unit) in value.encode_utf16().take(len / 2).enumerate() {
        if let Some(slot) = block.get_mut(offset + 2 * i..offset + 2 * i + 2) {
            slot.copy_from_slice(&unit.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::decode_base_info;
    use crate::id_number::is_valid_id_number;

    #[test]
    fn every_fixture_decodes_to_its_own_fields() {
        for fixture in [
            CardFixture::resident(),
            CardFixture::hmt_permit(),
            CardFixture::foreigner_2017(),
            CardFixture::foreigner_2023(),
        ] {
            let card = decode_base_info(&fixture.base_info_payload()).unwrap();
            assert_eq!(card.kind, fixture.kind());
            assert_eq!(card.number, fixture.number());
            assert_eq!(card.name, fixture.name());
            assert_eq!(card.birth_date, fixture.birth_date());
            assert_eq!(card.photo.as_bytes(), &fixture.photo()[..]);
        }
    }

    #[test]
    fn numbers_follow_birth_date_and_gender_and_stay_valid() {
        let old = CardFixture::resident()
            .with_birth_date(date(1955, Month::March, 9))
            .with_gender(Gender::Female);
        let number = old.number();
        assert!(is_valid_id_number(&number));
        assert_eq!(&number[6..14], "19550309");
        let sequence_digit = number.as_bytes()[16] - b'0';
        assert_eq!(sequence_digit % 2, 0);
        assert!(is_valid_id_number(&CardFixture::hmt_permit().number()));
        assert!(CardFixture::hmt_permit().number().starts_with("810000"));
        assert!(CardFixture::foreigner_2023().number().starts_with('9'));
        assert_eq!(CardFixture::foreigner_2017().number(), "CAN110090010101");
    }
}
