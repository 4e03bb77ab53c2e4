//! Numbers read aloud: digit by digit (tickets: "零零一") or as a number (windows: "十二").
//!
//! The number words and their combination are data from the manifest, not code per language: a table of
//! digits, of tens, of exact readings (English "eleven" … "nineteen") and a hundred word. That covers
//! Mandarin (十二, 二十, 一百零五, 一百一十五), English (twelve, twenty five, one hundred five) and Uyghur
//! (on ikki, yigirme besh, bir yüz besh) without a branch on the language.

use serde::Deserialize;
use std::collections::BTreeMap;

/// How a ticket's digits or a window number is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Reading {
    /// Digit by digit, leading zeros kept: 001 → "zero zero one".
    Digits,
    /// As a number: 12 → "twelve" / "十二".
    Cardinal,
}

/// Number words of a clip set, each entry a sequence of clip tokens.
#[derive(Debug, Clone)]
pub(crate) struct Cardinal {
    pub digits: [String; 10],
    /// Readings that are not composed, looked up first (English 10–19).
    pub exact: BTreeMap<u32, Vec<String>>,
    /// The reading of each tens digit 1–9 (二十 = digit 2 + 十; "twenty").
    pub tens: BTreeMap<u32, Vec<String>>,
    /// Tens read differently after a hundred (Mandarin 一百一十 keeps the 一 that 十二 drops).
    pub tens_after_hundred: BTreeMap<u32, Vec<String>>,
    /// The hundred word; empty means the set reads numbers up to 99 only.
    pub hundred: Vec<String>,
    /// Said between a hundred and a lone units digit (Mandarin 一百零五).
    pub zero_after_hundred: Option<String>,
}

impl Cardinal {
    /// Largest number the set can read as a number.
    pub(crate) fn max(&self) -> u32 {
        if self.hundred.is_empty() {
            99
        } else {
            999
        }
    }

    /// The tokens for `n`, or `None` when it is beyond [`Cardinal::max`] or the tables have a gap.
    pub(crate) fn read(&self, n: u32) -> Option<Vec<String>> {
        if n < 100 {
            return self.below_hundred(n, false);
        }
        if n > self.max() {
            return None;
        }
        let (hundreds, rest) = (n / 100, n % 100);
        let mut tokens = vec![self.digit(hundreds)?.clone()];
        tokens.extend(self.hundred.iter().cloned());
        if rest == 0 {
            return Some(tokens);
        }
        if rest < 10 {
            tokens.extend(self.zero_after_hundred.iter().cloned());
        }
        tokens.extend(self.below_hundred(rest, true)?);
        Some(tokens)
    }

    fn below_hundred(&self, n: u32, after_hundred: bool) -> Option<Vec<String>> {
        if let Some(exact) = self.exact.get(&n) {
            return Some(exact.clone());
        }
        if n < 10 {
            return Some(vec![self.digit(n)?.clone()]);
        }
        let (tens, units) = (n / 10, n % 10);
        let after = after_hundred
            .then(|| self.tens_after_hundred.get(&tens))
            .flatten();
        let mut tokens = after.or_else(|| self.tens.get(&tens))?.clone();
        if units > 0 {
            tokens.push(self.digit(units)?.clone());
        }
        Some(tokens)
    }

    fn digit(&self, d: u32) -> Option<&String> {
        usize::try_from(d).ok().and_then(|i| self.digits.get(i))
    }

    /// Every token the tables mention, for the completeness check at load.
    pub(crate) fn tokens(&self) -> impl Iterator<Item = &String> {
        let tables = [&self.exact, &self.tens, &self.tens_after_hundred];
        self.digits
            .iter()
            .chain(tables.into_iter().flat_map(|t| t.values().flatten()))
            .chain(self.hundred.iter())
            .chain(self.zero_after_hundred.iter())
    }
}

/// Digit-by-digit reading of a string of ASCII digits; `None` if anything else is in it.
pub(crate) fn read_digits(digits: &str, words: &[String; 10]) -> Option<Vec<String>> {
    digits
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| usize::try_from(d).ok())
                .and_then(|i| words.get(i).cloned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn table(entries: &[(u32, &[&str])]) -> BTreeMap<u32, Vec<String>> {
        entries.iter().map(|(n, w)| (*n, words(w))).collect()
    }

    fn digits(list: [&str; 10]) -> [String; 10] {
        list.map(str::to_owned)
    }

    fn mandarin() -> Cardinal {
        let digits = digits(["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]);
        // 十 alone for the first ten (十二), digit + 十 above it (二十).
        let tens = (1..=9usize)
            .map(|t| {
                let mut reading = if t == 1 {
                    vec![]
                } else {
                    vec![digits[t].clone()]
                };
                reading.push("十".to_owned());
                (t as u32, reading)
            })
            .collect();
        Cardinal {
            digits,
            exact: BTreeMap::new(),
            tens,
            tens_after_hundred: table(&[(1, &["一", "十"])]),
            hundred: words(&["百"]),
            zero_after_hundred: Some("零".into()),
        }
    }

    fn english() -> Cardinal {
        let teens = [
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ];
        let tens = [
            "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
        ];
        Cardinal {
            digits: digits([
                "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            ]),
            exact: (10..=19)
                .zip(teens)
                .map(|(n, w)| (n, words(&[w])))
                .collect(),
            tens: (2..=9).map(|t| (t, words(&[tens[t as usize]]))).collect(),
            tens_after_hundred: BTreeMap::new(),
            hundred: words(&["hundred"]),
            zero_after_hundred: None,
        }
    }

    fn said(cardinal: &Cardinal, n: u32) -> String {
        cardinal.read(n).expect("readable").join(" ")
    }

    #[test]
    fn mandarin_numbers_read_as_halls_say_them() {
        let zh = mandarin();
        assert_eq!(said(&zh, 5), "五");
        assert_eq!(said(&zh, 10), "十");
        assert_eq!(said(&zh, 12), "十 二");
        assert_eq!(said(&zh, 20), "二 十");
        assert_eq!(said(&zh, 25), "二 十 五");
        assert_eq!(said(&zh, 100), "一 百");
        assert_eq!(said(&zh, 105), "一 百 零 五");
        assert_eq!(said(&zh, 110), "一 百 一 十");
        assert_eq!(said(&zh, 115), "一 百 一 十 五");
        assert_eq!(said(&zh, 230), "二 百 三 十");
        assert_eq!(zh.read(1000), None);
    }

    #[test]
    fn english_numbers_use_teens_and_tens_words() {
        let en = english();
        assert_eq!(said(&en, 12), "twelve");
        assert_eq!(said(&en, 25), "twenty five");
        assert_eq!(said(&en, 40), "forty");
        assert_eq!(said(&en, 105), "one hundred five");
        assert_eq!(said(&en, 112), "one hundred twelve");
        assert_eq!(said(&en, 999), "nine hundred ninety nine");
    }

    #[test]
    fn without_a_hundred_word_numbers_stop_at_99() {
        let mut en = english();
        en.hundred.clear();
        assert_eq!(en.max(), 99);
        assert_eq!(en.read(100), None);
    }

    #[test]
    fn digits_are_read_one_by_one_with_leading_zeros() {
        let en = english();
        assert_eq!(
            read_digits("001", &en.digits).unwrap().join(" "),
            "zero zero one"
        );
        assert_eq!(read_digits("0x1", &en.digits), None);
    }
}
