//! Masking of personal data for screens and printouts that do not need it in full (brief §3.5).
//!
//! Masks work on characters, not bytes, so Chinese names and any malformed input are handled without panics.

/// `460100199001011234` → `4601**********1234`. Anything shorter than 9 characters is fully masked.
pub fn mask_id_number(id: &str) -> String {
    mask_middle(id, 4, 4)
}

/// `张三` → `张*`, `张三丰` → `张*丰`, `欧阳娜娜` → `欧**娜`.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut out = String::new();
            out.push(chars[0]);
            out.extend(std::iter::repeat_n('*', n - 2));
            out.push(chars[n - 1]);
            out
        }
    }
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    mask_middle(phone, 3, 4)
}

fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep_start].iter().collect();
    out.extend(std::iter::repeat_n(
        '*',
        chars.len() - keep_start - keep_end,
    ));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_as_the_brief_shows() {
        assert_eq!(mask_id_number("460100199001011234"), "4601**********1234");
        assert_eq!(mask_name("张三丰"), "张*丰");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn short_values_are_fully_masked() {
        assert_eq!(mask_id_number("12345678"), "********");
        assert_eq!(mask_name("李"), "*");
    }

    proptest::proptest! {
        #[test]
        fn masking_never_panics_and_keeps_length(s in ".{0,40}") {
            proptest::prop_assert_eq!(mask_id_number(&s).chars().count(), s.chars().count());
            proptest::prop_assert_eq!(mask_phone(&s).chars().count(), s.chars().count());
            proptest::prop_assert_eq!(mask_name(&s).chars().count(), s.chars().count());
        }
    }
}
