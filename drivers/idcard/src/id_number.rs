//! The 18-character identity number: GB 11643-1999 check digit (ISO 7064 MOD 11-2) and masking.
//!
//! The same rule covers the citizen number, the Hong Kong/Macau/Taiwan residence permit number and the
//! 2023 foreigner permanent residence card number, so it lives in one place and is public: forms that
//! take a number typed by a clerk validate it with [`is_valid_id_number`] too.
//!
//! [`mask_id_number`] is the one way an identity number may appear in logs or debug output.

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits of an identity number, or `None` when `first17` is
/// not exactly 17 ASCII digits.
pub fn check_digit(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, weight) in first17.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * weight;
    }
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// True when `number` is 17 digits followed by the correct check character (`X` in either case).
pub fn is_valid_id_number(number: &str) -> bool {
    let Some((first17, last)) = number.split_at_checked(17) else {
        return false;
    };
    let mut last_chars = last.chars();
    match (check_digit(first17), last_chars.next(), last_chars.next()) {
        (Some(expected), Some(actual), None) => expected == actual.to_ascii_uppercase(),
        _ => false,
    }
}

/// The number with all but its first three and last four characters hidden: `110***********1234`.
///
/// Short or odd strings are hidden entirely, so nothing personal leaks whatever the input.
pub fn mask_id_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 3 || i + 4 >= chars.len() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_and_a_second_known_number_check_out() {
        assert_eq!(check_digit("11010519491231002"), Some('X'));
        assert!(is_valid_id_number("11010519491231002X"));
        assert!(is_valid_id_number("11010519491231002x"));
        assert!(is_valid_id_number("440524188001010014"));
        // The 2023 foreigner card sample from the vendor documentation.
        assert!(is_valid_id_number("931586198001010028"));
    }

    #[test]
    fn wrong_or_malformed_numbers_are_rejected() {
        // A sample found in public API docs that fails the check (expected 7).
        assert!(!is_valid_id_number("110101197608056896"));
        assert_eq!(check_digit("11010119760805689"), Some('7'));
        for bad in [
            "",
            "1101051949123100",
            "11010519491231002XX",
            "1101051949123100AX",
            "１１010519491231002X",
            "11010519491231002é",
        ] {
            assert!(!is_valid_id_number(bad), "{bad}");
        }
    }

    #[test]
    fn masking_keeps_only_the_ends() {
        assert_eq!(mask_id_number("110105194912310021"), "110***********0021");
        assert_eq!(mask_id_number("CAN110081080319"), "CAN********0319");
        assert_eq!(mask_id_number("12345"), "*****");
    }
}
