//! Time behind a trait, so domain rules (ticket days, ages, deadlines) can be tested at any instant.

use std::sync::Mutex;
use time::{OffsetDateTime, UtcOffset};

/// Every hall Banshi serves keeps China Standard Time (UTC+8, no daylight saving), so a "day" for ticket
/// numbering and opening hours is a UTC+8 day regardless of the machine's time-zone setting.
pub const HALL_UTC_OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// The current instant in hall time (UTC+8).
    fn hall_now(&self) -> OffsetDateTime {
        self.now().to_offset(HALL_UTC_OFFSET)
    }

    /// The current instant as Unix milliseconds (how times are stored and sent).
    fn now_ms(&self) -> i64 {
        (self.now().unix_timestamp_nanos() / 1_000_000) as i64
    }
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    pub fn set(&self, to: OffsetDateTime) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A `YYYY-MM-DD` date as records, forms and decisions write it; `None` when it is not one.
pub fn parse_date(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hall_day_is_utc_plus_8_even_when_utc_is_still_yesterday() {
        let clock = ManualClock::new(datetime!(2026-11-23 17:30 UTC));
        assert_eq!(clock.hall_now().date(), time::macros::date!(2026 - 11 - 24));
    }
}
