//! What the queue asks the voice to say: a ticket, a window and a language.
//!
//! Windows arrive in the forms halls use — a number, "5号", "5号窗口" or a name such as "综合窗口" — so
//! [`Window::parse`] folds the numeric forms into one and keeps anything else as a name for the clip
//! set's `[windows]` table. Tickets are parsed here once so every language reads the same letters and
//! digits.

use crate::error::VoiceError;

/// Where the called person goes: a numbered window or one known by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    Number(u32),
    Named(String),
}

impl Window {
    /// `"5"`, `"5号"`, `"5号窗口"`, `"5窗口"` → `Number(5)`; anything else (trimmed) → `Named`.
    pub fn parse(text: &str) -> Window {
        let trimmed = text.trim();
        let number = ["号窗口", "窗口", "号"]
            .iter()
            .find_map(|suffix| trimmed.strip_suffix(suffix))
            .unwrap_or(trimmed)
            .trim();
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = number.parse() {
                return Window::Number(n);
            }
        }
        Window::Named(trimmed.to_owned())
    }
}

impl From<u32> for Window {
    fn from(number: u32) -> Self {
        Window::Number(number)
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Window::Number(n) => write!(f, "{n}"),
            Window::Named(name) => f.write_str(name),
        }
    }
}

/// One call to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Ticket number as printed, e.g. `A001`, `C120` (letters are case-insensitive).
    pub ticket: String,
    pub window: Window,
    /// Language tag of the wanted clip set, e.g. `zh-CN`, `en`, `ug`.
    pub language: String,
}

impl Call {
    pub fn new(
        ticket: impl Into<String>,
        window: impl Into<Window>,
        language: impl Into<String>,
    ) -> Self {
        Self {
            ticket: ticket.into(),
            window: window.into(),
            language: language.into(),
        }
    }
}

/// How a call is played: how many times it is said (halls often say it twice) and whether the clip
/// set's prelude (the chime) comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallOptions {
    /// Times the call is said; 0 is taken as 1.
    pub repeat: u8,
    pub chime: bool,
}

impl Default for CallOptions {
    fn default() -> Self {
        Self {
            repeat: 1,
            chime: true,
        }
    }
}

/// Longest letter prefix and digit run accepted; hall tickets are one letter and three or four digits.
const MAX_LETTERS: usize = 3;
const MAX_DIGITS: usize = 6;

/// A ticket split into what is read as letters and what is read as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TicketNumber {
    /// Uppercase ASCII letters.
    pub letters: String,
    /// ASCII digits, leading zeros kept (they are read aloud: A001 → "A zero zero one").
    pub digits: String,
}

impl TicketNumber {
    pub(crate) fn parse(ticket: &str) -> Result<Self, VoiceError> {
        let bad = |reason: &str| VoiceError::BadTicket {
            ticket: ticket.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = ticket.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(trimmed.len());
        let (letters, digits) = trimmed.split_at(split);
        if letters.len() > MAX_LETTERS {
            return Err(bad("more than 3 letters"));
        }
        if digits.is_empty() {
            return Err(bad("no digits"));
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("expected letters followed by digits"));
        }
        if digits.len() > MAX_DIGITS {
            return Err(bad("more than 6 digits"));
        }
        Ok(Self {
            letters: letters.to_ascii_uppercase(),
            digits: digits.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_numbers_in_hall_forms_parse_to_the_number() {
        assert_eq!(Window::parse("5"), Window::Number(5));
        assert_eq!(Window::parse(" 5号 "), Window::Number(5));
        assert_eq!(Window::parse("12号窗口"), Window::Number(12));
        assert_eq!(Window::parse("7窗口"), Window::Number(7));
        assert_eq!(Window::parse("综合窗口"), Window::Named("综合窗口".into()));
        assert_eq!(Window::parse("号"), Window::Named("号".into()));
        assert_eq!(Window::parse("VIP"), Window::Named("VIP".into()));
        // Too large for u32: a name, which then fails as unknown rather than wrapping.
        assert!(matches!(Window::parse("99999999999"), Window::Named(_)));
    }

    #[test]
    fn tickets_split_into_letters_and_digits() {
        let t = TicketNumber::parse("a001").unwrap();
        assert_eq!((t.letters.as_str(), t.digits.as_str()), ("A", "001"));
        let t = TicketNumber::parse("120").unwrap();
        assert_eq!((t.letters.as_str(), t.digits.as_str()), ("", "120"));
    }

    #[test]
    fn malformed_tickets_are_refused_with_bad_ticket() {
        for ticket in [
            "", "A", "ABCD1", "A12B", "A-001", "A1234567", "Ａ001", "甲001",
        ] {
            let error = TicketNumber::parse(ticket).unwrap_err();
            assert!(
                matches!(error, VoiceError::BadTicket { .. }),
                "{ticket}: {error}"
            );
        }
    }
}
