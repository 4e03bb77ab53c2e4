//! Queue tickets (排队叫号): what a ticket is and how its number is chosen.
//!
//! A ticket is one small record (one automerge document). Numbers are unique per hall, category and hall day
//! (brief §3.3). While every issuing terminal sees every other one's tickets, "highest known + 1" is unique;
//! the partition-proof scheme (disjoint ranges per issuing terminal) builds on [`next_ticket_number`] in the
//! queue issue and keeps this signature.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::clock::HALL_UTC_OFFSET;

/// The record kind name of tickets in the record registry.
pub const TICKET_KIND: &str = "ticket";
/// Schema version of the ticket document.
pub const TICKET_SCHEMA_VERSION: u32 = 1;

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Serving,
    Done,
    NoShow,
}

/// A queue ticket as stored and synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Ticket {
    pub hall_id: String,
    /// The category's one-letter prefix, e.g. `A`.
    pub category: String,
    pub number: u32,
    /// Hall day (UTC+8) the number belongs to, `YYYY-MM-DD`.
    pub day: String,
    /// Unix milliseconds; calling order is by priority, then by this (never by number).
    pub issued_at_ms: i64,
    /// Terminal id of the queue machine that issued it.
    pub issued_by: String,
    pub status: TicketStatus,
    /// Whether the ticket machine printed it; a ticket whose printing failed still holds its place.
    pub printed: bool,
}

impl Ticket {
    /// A new waiting ticket.
    pub fn issue(
        hall_id: &str,
        category: &str,
        number: u32,
        issued_by: &str,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            hall_id: hall_id.to_string(),
            category: category.to_string(),
            number,
            day: hall_day(at),
            issued_at_ms: (at.unix_timestamp_nanos() / 1_000_000) as i64,
            issued_by: issued_by.to_string(),
            status: TicketStatus::Waiting,
            printed: false,
        }
    }

    /// What the hall shows and announces: `A023`.
    pub fn display_number(&self) -> String {
        format!("{}{:03}", self.category, self.number)
    }

    pub fn issued_at(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.issued_at_ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The document scope a ticket belongs to: every terminal of the hall may see it.
    pub fn scope(&self) -> String {
        hall_scope(&self.hall_id)
    }
}

/// The scope name shared by every terminal of a hall.
pub fn hall_scope(hall_id: &str) -> String {
    format!("hall:{hall_id}")
}

/// The hall day (`YYYY-MM-DD`, UTC+8) of an instant.
pub fn hall_day(at: OffsetDateTime) -> String {
    let date = at.to_offset(HALL_UTC_OFFSET).date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The next number for `category` on `day`, given the tickets this terminal knows of.
pub fn next_ticket_number<'a>(
    known: impl IntoIterator<Item = &'a Ticket>,
    category: &str,
    day: &str,
) -> u32 {
    known
        .into_iter()
        .filter(|t| t.category == category && t.day == day)
        .map(|t| t.number)
        .max()
        .unwrap_or(0)
        .saturating_add(1)
}

/// How many waiting tickets of the same category were issued before `ticket`.
pub fn people_ahead<'a>(known: impl IntoIterator<Item = &'a Ticket>, ticket: &Ticket) -> usize {
    known
        .into_iter()
        .filter(|t| {
            t.status == TicketStatus::Waiting
                && t.category == ticket.category
                && t.day == ticket.day
                && (t.issued_at_ms, t.number) < (ticket.issued_at_ms, ticket.number)
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ticket(category: &str, number: u32, day_time: OffsetDateTime) -> Ticket {
        Ticket::issue("hk-longhua", category, number, "qm-01", day_time)
    }

    #[test]
    fn numbers_restart_per_category_and_day() {
        let monday = datetime!(2026-11-23 09:00 +8);
        let tuesday = datetime!(2026-11-24 09:00 +8);
        let known = vec![
            ticket("A", 1, monday),
            ticket("A", 2, monday),
            ticket("B", 1, monday),
        ];
        assert_eq!(next_ticket_number(&known, "A", &hall_day(monday)), 3);
        assert_eq!(next_ticket_number(&known, "B", &hall_day(monday)), 2);
        assert_eq!(next_ticket_number(&known, "C", &hall_day(monday)), 1);
        assert_eq!(next_ticket_number(&known, "A", &hall_day(tuesday)), 1);
    }

    #[test]
    fn display_number_is_letter_and_three_digits() {
        assert_eq!(
            ticket("A", 23, datetime!(2026-11-23 09:00 +8)).display_number(),
            "A023"
        );
    }

    #[test]
    fn people_ahead_counts_only_earlier_waiting_tickets_of_the_category() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let mut served = ticket("A", 1, t0);
        served.status = TicketStatus::Done;
        let known = vec![
            served,
            ticket("A", 2, t0 + time::Duration::minutes(1)),
            ticket("B", 1, t0 + time::Duration::minutes(2)),
        ];
        let new = ticket("A", 3, t0 + time::Duration::minutes(3));
        assert_eq!(people_ahead(&known, &new), 1);
    }

    #[test]
    fn issued_at_round_trips_milliseconds() {
        let at = datetime!(2026-11-23 09:00:01.250 +8);
        assert_eq!(ticket("A", 1, at).issued_at(), at);
    }
}
