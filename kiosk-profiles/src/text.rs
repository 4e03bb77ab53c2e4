//! Wording helpers shared by the structural and semantic checks: "did you mean" suggestions and
//! readable lists. Kept apart so both passes phrase things the same way.

/// The candidate closest to `input`, if it is close enough to be a plausible typo.
///
/// Spelling variants that differ only in case, `-`/`_` or spaces (`idle-timeout-secs`,
/// `SelfService`) always match; otherwise the edit distance may be 1 for short words, 2 for
/// medium and 3 for long ones.
pub(crate) fn suggest<'c>(
    input: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let norm_input = normalize(input);
    let input_len = input.chars().count();
    let mut best: Option<(usize, &'c str)> = None;
    for candidate in candidates {
        let cand_len = candidate.chars().count();
        let distance = if normalize(candidate) == norm_input {
            0
        } else if input_len > cand_len * 2 + 4 {
            continue;
        } else {
            let d = levenshtein(input, candidate);
            let allowed = match cand_len {
                0..=4 => 1,
                5..=8 => 2,
                _ => 3,
            };
            if d > allowed {
                continue;
            }
            d
        };
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `"a", "b", "c"` — quoted, for listing allowed string values.
pub(crate) fn quoted_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `` `a`, `b`, `c` `` — for listing keys.
pub(crate) fn key_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items
        .into_iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value shortened for a message, so a pasted megabyte does not end up in a log line.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys() {
        let keys = ["ticket_printer", "receipt_printer", "a4_printer", "voice"];
        assert_eq!(suggest("tiket_printer", keys), Some("ticket_printer"));
        assert_eq!(suggest("ticket-printer", keys), Some("ticket_printer"));
        assert_eq!(suggest("Voice", keys), Some("voice"));
        assert_eq!(suggest("scanner", keys), None);
        assert_eq!(suggest("", keys), None);
        assert_eq!(suggest(&"x".repeat(10_000), keys), None);
    }

    #[test]
    fn suggests_enum_spellings() {
        let modes = ["self-service", "queue-ticket", "window"];
        assert_eq!(suggest("selfservice", modes), Some("self-service"));
        assert_eq!(suggest("SelfService", modes), Some("self-service"));
        assert_eq!(suggest("windows", modes), Some("window"));
        assert_eq!(suggest("kiosk", modes), None);
    }

    #[test]
    fn lists_and_excerpts() {
        assert_eq!(quoted_list(["a", "b"]), "\"a\", \"b\"");
        assert_eq!(key_list(["a", "b"]), "`a`, `b`");
        assert_eq!(excerpt("短"), "\"短\"");
        assert!(excerpt(&"长".repeat(100)).ends_with('…'));
    }
}
