//! Coded fields of the card text: gender (GB/T 2261.1) and ethnicity (GB/T 3304).
//!
//! Both are kept as the code the card carries plus a lookup, never as a closed Rust enum of names:
//! vendors have added codes over the years (穿青人, 革家人, with codes that disagree between sources), and
//! a card with a code we do not know must still be read. Unknown ethnicity codes display as
//! `民族代码 NN` (research §1.3, "design rule").

/// Gender as coded by GB/T 2261.1 (one ASCII digit on the card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    /// `0` 未知的性别
    NotKnown,
    /// `1` 男
    Male,
    /// `2` 女
    Female,
    /// `9` 未说明的性别
    NotStated,
    /// Any other character the card carries.
    Other(char),
}

impl Gender {
    /// Interprets the card's gender character.
    pub fn from_code(code: char) -> Self {
        match code {
            '0' => Self::NotKnown,
            '1' => Self::Male,
            '2' => Self::Female,
            '9' => Self::NotStated,
            other => Self::Other(other),
        }
    }

    /// The character stored on the card.
    pub fn code(self) -> char {
        match self {
            Self::NotKnown => '0',
            Self::Male => '1',
            Self::Female => '2',
            Self::NotStated => '9',
            Self::Other(c) => c,
        }
    }

    /// The Chinese label printed on forms.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::NotKnown => "未知的性别",
            Self::Male => "男",
            Self::Female => "女",
            Self::NotStated | Self::Other(_) => "未说明的性别",
        }
    }
}

/// GB/T 3304 ethnicity codes with their names; 97 and 98 are the standard's two non-group codes.
const ETHNICITIES: [(u8, &str); 58] = [
    (1, "汉"),
    (2, "蒙古"),
    (3, "回"),
    (4, "藏"),
    (5, "维吾尔"),
    (6, "苗"),
    (7, "彝"),
    (8, "壮"),
    (9, "布依"),
    (10, "朝鲜"),
    (11, "满"),
    (12, "侗"),
    (13, "瑶"),
    (14, "白"),
    (15, "土家"),
    (16, "哈尼"),
    (17, "哈萨克"),
    (18, "傣"),
    (19, "黎"),
    (20, "傈僳"),
    (21, "佤"),
    (22, "畲"),
    (23, "高山"),
    (24, "拉祜"),
    (25, "水"),
    (26, "东乡"),
    (27, "纳西"),
    (28, "景颇"),
    (29, "柯尔克孜"),
    (30, "土"),
    (31, "达斡尔"),
    (32, "仫佬"),
    (33, "羌"),
    (34, "布朗"),
    (35, "撒拉"),
    (36, "毛南"),
    (37, "仡佬"),
    (38, "锡伯"),
    (39, "阿昌"),
    (40, "普米"),
    (41, "塔吉克"),
    (42, "怒"),
    (43, "乌孜别克"),
    (44, "俄罗斯"),
    (45, "鄂温克"),
    (46, "德昂"),
    (47, "保安"),
    (48, "裕固"),
    (49, "京"),
    (50, "塔塔尔"),
    (51, "独龙"),
    (52, "鄂伦春"),
    (53, "赫哲"),
    (54, "门巴"),
    (55, "珞巴"),
    (56, "基诺"),
    (97, "其他"),
    (98, "外国血统中国籍人士"),
];

/// An ethnicity code (民族代码) from a resident ID card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ethnicity(u8);

impl Ethnicity {
    pub const fn from_code(code: u8) -> Self {
        Self(code)
    }

    /// The two-digit code as stored on the card.
    pub const fn code(self) -> u8 {
        self.0
    }

    /// The standard name (`汉`, `蒙古`, …, `其他`, `外国血统中国籍人士`), or `None` for a code the
    /// standard does not define.
    pub fn name_zh(self) -> Option<&'static str> {
        ETHNICITIES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, name)| *name)
    }

    /// What to display: the standard name (98 is shortened to `外国血统`, as readers display it), or
    /// `民族代码 NN` for an unknown code.
    pub fn label_zh(self) -> String {
        match self.0 {
            98 => "外国血统".to_owned(),
            _ => self
                .name_zh()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("民族代码 {:02}", self.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_56_groups_and_the_two_special_codes_are_named() {
        let named: Vec<u8> = (0..=99)
            .filter(|c| Ethnicity::from_code(*c).name_zh().is_some())
            .collect();
        let mut expected: Vec<u8> = (1..=56).collect();
        expected.extend([97, 98]);
        assert_eq!(named, expected);
        assert_eq!(Ethnicity::from_code(1).label_zh(), "汉");
        assert_eq!(Ethnicity::from_code(46).label_zh(), "德昂");
        assert_eq!(Ethnicity::from_code(98).label_zh(), "外国血统");
        assert_eq!(Ethnicity::from_code(97).label_zh(), "其他");
    }

    #[test]
    fn unknown_codes_fall_back_to_the_number() {
        assert_eq!(Ethnicity::from_code(81).label_zh(), "民族代码 81");
        assert_eq!(Ethnicity::from_code(0).label_zh(), "民族代码 00");
    }

    #[test]
    fn gender_codes_round_trip() {
        for (c, g, label) in [
            ('0', Gender::NotKnown, "未知的性别"),
            ('1', Gender::Male, "男"),
            ('2', Gender::Female, "女"),
            ('9', Gender::NotStated, "未说明的性别"),
        ] {
            assert_eq!(Gender::from_code(c), g);
            assert_eq!(g.code(), c);
            assert_eq!(g.label_zh(), label);
        }
        assert_eq!(Gender::from_code('M'), Gender::Other('M'));
    }
}
