//! Queue tickets (排队叫号): what a ticket is, how its number is chosen, and how windows call it.
//!
//! A ticket is one small record (one automerge document) that several terminals change while they may be cut
//! off from each other: queue machines issue tickets, windows call and finish them. Two rules must hold even
//! then (brief §3.3), and both are decided here from data alone, so every replica reaches the same answer once
//! it has seen the same changes:
//!
//! - **Numbers never collide.** Each ticket machine of a hall owns one residue class of the numbers
//!   ([`IssuerSlot`]): machine *k* of *n* only issues numbers ≡ *k*+1 (mod *n*), always above the highest
//!   number it knows of. While the machines see each other the hall's numbers increase; when they are
//!   partitioned they still cannot pick the same number. The price is a gap now and then (machine 1 issuing
//!   twice in a row skips machine 2's number), which halls with one machine never see.
//! - **A ticket is served once.** A window calling a ticket does not overwrite a shared field; it adds its own
//!   [`Claim`] under its own key, so concurrent calls merge instead of conflicting. The winner of a round is
//!   the earliest claim (then the lowest window number, then terminal id) — [`Ticket::state`] derives the
//!   ticket's status by replaying the rounds' winners. The set of claims only grows and the winner is a
//!   minimum, so a window that has seen itself lose can never win later; it marks its claim
//!   [`Outcome::Yielded`], tells the clerk and calls the next ticket.
//!
//! Transfers start a new round (the winner's claim ends with [`Outcome::Transferred`] and names the target),
//! so the ticket keeps its number, prefix and issue time.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::clock::HALL_UTC_OFFSET;

/// The record kind name of tickets in the record registry.
pub const TICKET_KIND: &str = "ticket";
/// Schema version of the ticket document (2: claims replace the status field).
pub const TICKET_SCHEMA_VERSION: u32 = 2;
/// The record kind name of window sessions.
pub const WINDOW_SESSION_KIND: &str = "window_session";

/// Where a ticket is in its life, as derived by [`Ticket::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    Done,
    NoShow,
}

/// Why a ticket is called before others. Calling order is by [`Priority::rank`], then by issue time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Normal,
    /// Checked in with an appointment (预约).
    Appointment,
    /// Age from the ID card at or above the profile's threshold.
    Elderly,
    /// Declared at the machine (残疾人优先).
    Disabled,
    /// 绿色通道: staff-directed, ahead of everyone.
    Green,
}

impl Priority {
    /// Higher is called first.
    pub fn rank(self) -> u8 {
        match self {
            Priority::Normal => 0,
            Priority::Appointment => 1,
            Priority::Elderly | Priority::Disabled => 2,
            Priority::Green => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Appointment => "appointment",
            Priority::Elderly => "elderly",
            Priority::Disabled => "disabled",
            Priority::Green => "green",
        }
    }
}

/// Who took the ticket, when they identified with an ID card. Only what the window needs: the name (the clerk
/// greets the person), the masked number and the age that gave the priority, and the full number, which only
/// a clerk with the personal-data permission may open (each opening is audited). Records are encrypted at rest
/// on every terminal (`banshi-store`) and purged from kiosks after the retention period.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Applicant {
    pub name: String,
    pub id_number_masked: String,
    pub age: u8,
    /// The full ID number (absent on tickets issued before it was kept).
    #[serde(default)]
    pub id_number: Option<String>,
}

impl std::fmt::Debug for Applicant {
    // Personal data: only the masked number may reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applicant")
            .field("id_number_masked", &self.id_number_masked)
            .field("age", &self.age)
            .finish_non_exhaustive()
    }
}

/// How a window's call of a ticket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Served,
    NoShow,
    /// Sent to another category or window; the ticket waits again in a new round.
    Transferred,
    /// This window learned that another window's call won; its claim no longer counts for anything.
    Yielded,
}

/// One window's call of a ticket in one round. Written only by the calling terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Claim {
    pub round: u32,
    pub window: u32,
    pub terminal: String,
    pub staff_id: String,
    pub called_at_ms: i64,
    pub recalls: u32,
    pub outcome: Option<Outcome>,
    pub ended_at_ms: Option<i64>,
    /// With [`Outcome::Transferred`]: the category the ticket now waits in (None = unchanged).
    pub transfer_category: Option<String>,
    /// With [`Outcome::Transferred`]: the one window that should call it next.
    pub transfer_window: Option<u32>,
}

impl Claim {
    /// The key of this claim in [`Ticket::claims`]: unique per round, window and terminal.
    pub fn map_key(&self) -> String {
        format!("{}/{}/{}", self.round, self.window, self.terminal)
    }

    /// Order in which concurrent claims of one round win: earliest call, then window, then terminal.
    fn precedence(&self) -> (i64, u32, &str) {
        (self.called_at_ms, self.window, self.terminal.as_str())
    }
}

/// A queue ticket as stored and synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Ticket {
    pub hall_id: String,
    /// The category's one-letter prefix the ticket was issued in, e.g. `A`; part of the number, so it stays
    /// after a transfer ([`TicketState::category`] is where it waits now).
    pub category: String,
    pub number: u32,
    /// Hall day (UTC+8) the number belongs to, `YYYY-MM-DD`.
    pub day: String,
    /// Unix milliseconds; calling order is by priority, then by this (never by number).
    pub issued_at_ms: i64,
    /// Terminal id of the queue machine that issued it.
    pub issued_by: String,
    /// Whether the ticket machine printed it; a ticket whose printing failed still holds its place.
    pub printed: bool,
    pub priority: Priority,
    pub applicant: Option<Applicant>,
    /// Booking number, when issued by an appointment check-in.
    pub appointment: Option<String>,
    /// Every window's call, keyed by [`Claim::map_key`].
    pub claims: BTreeMap<String, Claim>,
}

/// What [`Ticket::state`] derives from the claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState<'a> {
    pub status: TicketStatus,
    /// The round the ticket is in: 0 until its first transfer.
    pub round: u32,
    /// The category it waits in or was last called in.
    pub category: String,
    /// After a transfer to one window: only that window may call it.
    pub target_window: Option<u32>,
    /// The category before the last transfer.
    pub transferred_from: Option<String>,
    /// The winning claim of the current round, if any window called it.
    pub winner: Option<&'a Claim>,
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
            issued_at_ms: unix_ms(at),
            issued_by: issued_by.to_string(),
            printed: false,
            priority: Priority::Normal,
            applicant: None,
            appointment: None,
            claims: BTreeMap::new(),
        }
    }

    /// What the hall shows and announces: `A023`.
    pub fn display_number(&self) -> String {
        format!("{}{:03}", self.category, self.number)
    }

    pub fn issued_at(&self) -> OffsetDateTime {
        from_unix_ms(self.issued_at_ms)
    }

    /// The document scope a ticket belongs to: every terminal of the hall may see it.
    pub fn scope(&self) -> String {
        hall_scope(&self.hall_id)
    }

    /// The winner of `round`: the claim with the earliest [`Claim::precedence`].
    pub fn winner_of(&self, round: u32) -> Option<&Claim> {
        self.claims
            .values()
            .filter(|c| c.round == round)
            .min_by(|a, b| a.precedence().cmp(&b.precedence()))
    }

    /// Replay the rounds' winners: where the ticket is now.
    pub fn state(&self) -> TicketState<'_> {
        let mut state = TicketState {
            status: TicketStatus::Waiting,
            round: 0,
            category: self.category.clone(),
            target_window: None,
            transferred_from: None,
            winner: None,
        };
        loop {
            let Some(winner) = self.winner_of(state.round) else {
                return state;
            };
            state.winner = Some(winner);
            state.status = match winner.outcome {
                None | Some(Outcome::Yielded) => TicketStatus::Called,
                Some(Outcome::Served) => TicketStatus::Done,
                Some(Outcome::NoShow) => TicketStatus::NoShow,
                Some(Outcome::Transferred) => {
                    let to = winner
                        .transfer_category
                        .clone()
                        .unwrap_or_else(|| state.category.clone());
                    state.transferred_from = Some(std::mem::replace(&mut state.category, to));
                    state.target_window = winner.transfer_window;
                    state.round += 1;
                    state.winner = None;
                    state.status = TicketStatus::Waiting;
                    continue;
                }
            };
            return state;
        }
    }

    /// The claim of `window` at `terminal` in the current round, if it called the ticket.
    pub fn claim_of(&self, round: u32, window: u32, terminal: &str) -> Option<&Claim> {
        self.claims
            .values()
            .find(|c| c.round == round && c.window == window && c.terminal == terminal)
    }

    /// Record a call by `window` in the ticket's current round.
    pub fn add_claim(&mut self, window: u32, terminal: &str, staff_id: &str, at: OffsetDateTime) {
        let claim = Claim {
            round: self.state().round,
            window,
            terminal: terminal.to_string(),
            staff_id: staff_id.to_string(),
            called_at_ms: unix_ms(at),
            recalls: 0,
            outcome: None,
            ended_at_ms: None,
            transfer_category: None,
            transfer_window: None,
        };
        self.claims.insert(claim.map_key(), claim);
    }

    /// Claims of this window that are still open (no outcome) but are not the ticket's current winner: calls
    /// it lost, to an earlier claim in the same round or because an earlier round's winner changed.
    pub fn lost_claims(&self, window: u32, terminal: &str) -> Vec<String> {
        let current = self.state().winner.map(Claim::map_key);
        self.claims
            .values()
            .filter(|c| c.window == window && c.terminal == terminal && c.outcome.is_none())
            .filter(|c| current.as_deref() != Some(c.map_key().as_str()))
            .map(Claim::map_key)
            .collect()
    }

    /// The ordering key of the calling order: priority first, then issue time (number breaks ties).
    pub fn calling_order(&self) -> (Reverse<u8>, i64, u32) {
        (
            Reverse(self.priority.rank()),
            self.issued_at_ms,
            self.number,
        )
    }
}

/// Which residue class of the numbers a ticket machine owns: machine `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuerSlot {
    pub index: u32,
    pub count: u32,
}

impl IssuerSlot {
    /// A hall with one ticket machine: every number.
    pub const ONLY: IssuerSlot = IssuerSlot { index: 0, count: 1 };
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

/// Unix milliseconds of an instant, as records store time.
pub fn unix_ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The instant of stored Unix milliseconds (the epoch for values out of range).
pub fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The next number `slot` may issue for prefix `category` on `day`: the smallest number of its residue class
/// above every number it knows of (see the module docs for why this is partition-proof).
pub fn next_ticket_number<'a>(
    known: impl IntoIterator<Item = &'a Ticket>,
    category: &str,
    day: &str,
    slot: IssuerSlot,
) -> u32 {
    let count = slot.count.max(1);
    let residue = (slot.index % count + 1) % count;
    let highest = known
        .into_iter()
        .filter(|t| t.category == category && t.day == day)
        .map(|t| t.number)
        .max()
        .unwrap_or(0);
    let first = highest.saturating_add(1);
    let step = (residue + count - first % count) % count;
    first.saturating_add(step)
}

/// How many waiting tickets of the same category would be called before `ticket`.
pub fn people_ahead<'a>(known: impl IntoIterator<Item = &'a Ticket>, ticket: &Ticket) -> usize {
    let category = ticket.state().category;
    known
        .into_iter()
        .filter(|t| {
            let s = t.state();
            s.status == TicketStatus::Waiting
                && s.category == category
                && t.day == ticket.day
                && t.calling_order() < ticket.calling_order()
        })
        .count()
}

/// The ticket `window` should call next: waiting, either sent to this window or in one of its categories,
/// first by priority, then by issue time.
pub fn next_for_window<'a>(
    known: impl IntoIterator<Item = &'a Ticket>,
    window: u32,
    categories: &[String],
    day: &str,
) -> Option<&'a Ticket> {
    known
        .into_iter()
        .filter(|t| t.day == day)
        .filter(|t| {
            let s = t.state();
            s.status == TicketStatus::Waiting
                && match s.target_window {
                    Some(w) => w == window,
                    None => categories.contains(&s.category),
                }
        })
        .min_by_key(|t| t.calling_order())
}

/// A staff member's time at a window: signing in opens the window, signing out closes it (brief §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct WindowSession {
    pub hall_id: String,
    pub day: String,
    pub window: u32,
    pub terminal: String,
    pub staff_id: String,
    pub staff_name: String,
    pub opened_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    /// Paused windows call nobody; the call screen says so.
    pub paused: bool,
}

impl WindowSession {
    pub fn is_open(&self) -> bool {
        self.closed_at_ms.is_none()
    }
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
        let only = IssuerSlot::ONLY;
        assert_eq!(next_ticket_number(&known, "A", &hall_day(monday), only), 3);
        assert_eq!(next_ticket_number(&known, "B", &hall_day(monday), only), 2);
        assert_eq!(next_ticket_number(&known, "C", &hall_day(monday), only), 1);
        assert_eq!(next_ticket_number(&known, "A", &hall_day(tuesday), only), 1);
    }

    #[test]
    fn partitioned_ticket_machines_never_pick_the_same_number() {
        let day = datetime!(2026-11-23 09:00 +8);
        let d = hall_day(day);
        // Three machines, each only seeing its own tickets for a while.
        let mut seen: Vec<Vec<Ticket>> = vec![Vec::new(); 3];
        let mut all = std::collections::BTreeSet::new();
        for step in 0..300u32 {
            let m = (step * 7 % 3) as usize;
            let slot = IssuerSlot {
                index: m as u32,
                count: 3,
            };
            let n = next_ticket_number(&seen[m], "A", &d, slot);
            assert!(all.insert(n), "number {n} issued twice");
            seen[m].push(ticket("A", n, day));
            // Now and then a machine learns of the others' tickets (a healed partition).
            if step % 11 == 0 {
                let mut union: Vec<Ticket> = seen.concat();
                union.sort_by_key(|t| t.number);
                union.dedup_by_key(|t| t.number);
                seen[m] = union;
            }
        }
    }

    #[test]
    fn connected_ticket_machines_issue_increasing_numbers() {
        let day = datetime!(2026-11-23 09:00 +8);
        let d = hall_day(day);
        let mut known = Vec::new();
        let mut last = 0;
        for step in 0..20u32 {
            let slot = IssuerSlot {
                index: step % 2,
                count: 2,
            };
            let n = next_ticket_number(&known, "A", &d, slot);
            assert!(n > last);
            last = n;
            known.push(ticket("A", n, day));
        }
        // Alternating machines fill every number.
        assert_eq!(last, 20);
    }

    #[test]
    fn display_number_is_letter_and_three_digits() {
        assert_eq!(
            ticket("A", 23, datetime!(2026-11-23 09:00 +8)).display_number(),
            "A023"
        );
    }

    #[test]
    fn people_ahead_counts_tickets_that_would_be_called_first() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let mut served = ticket("A", 1, t0);
        served.add_claim(1, "w1", "s1", t0);
        served
            .claims
            .values_mut()
            .for_each(|c| c.outcome = Some(Outcome::Served));
        let mut elderly = ticket("A", 4, t0 + time::Duration::minutes(4));
        elderly.priority = Priority::Elderly;
        let known = vec![
            served,
            ticket("A", 2, t0 + time::Duration::minutes(1)),
            ticket("B", 1, t0 + time::Duration::minutes(2)),
            elderly,
        ];
        let new = ticket("A", 3, t0 + time::Duration::minutes(3));
        assert_eq!(people_ahead(&known, &new), 2);
    }

    #[test]
    fn calling_order_is_priority_then_issue_time_not_number() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let early = ticket("A", 9, t0);
        let later = ticket("A", 2, t0 + time::Duration::minutes(1));
        let mut elderly = ticket("A", 5, t0 + time::Duration::minutes(5));
        elderly.priority = Priority::Elderly;
        let known = vec![later.clone(), early.clone(), elderly.clone()];
        let cats = vec!["A".to_string()];
        let d = hall_day(t0);
        assert_eq!(next_for_window(&known, 1, &cats, &d), Some(&elderly));
        let known = vec![later.clone(), early.clone()];
        assert_eq!(next_for_window(&known, 1, &cats, &d), Some(&early));
    }

    #[test]
    fn concurrent_calls_resolve_to_the_earliest_claim_everywhere() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let mut at_w3 = ticket("A", 1, t0);
        let mut at_w5 = at_w3.clone();
        at_w5.add_claim(5, "ck-05", "s5", t0 + time::Duration::seconds(10));
        at_w3.add_claim(3, "ck-03", "s3", t0 + time::Duration::seconds(12));
        // Merge: both replicas end up with both claims.
        let mut merged = at_w3.clone();
        merged.claims.extend(at_w5.claims.clone());
        let state = merged.state();
        assert_eq!(state.status, TicketStatus::Called);
        assert_eq!(state.winner.map(|c| c.window), Some(5));
        assert_eq!(merged.lost_claims(3, "ck-03").len(), 1);
        assert!(merged.lost_claims(5, "ck-05").is_empty());
        // The loser yields; the winner is unchanged.
        for key in merged.lost_claims(3, "ck-03") {
            merged.claims.get_mut(&key).unwrap().outcome = Some(Outcome::Yielded);
        }
        assert_eq!(merged.state().winner.map(|c| c.window), Some(5));
        assert!(merged.lost_claims(3, "ck-03").is_empty());
    }

    #[test]
    fn equal_call_times_are_broken_by_window_number() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let mut t = ticket("A", 1, t0);
        t.add_claim(7, "ck-07", "s7", t0);
        t.add_claim(2, "ck-02", "s2", t0);
        assert_eq!(t.state().winner.map(|c| c.window), Some(2));
    }

    #[test]
    fn a_transfer_starts_a_new_round_in_the_new_category_keeping_number_and_time() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let mut t = ticket("A", 7, t0);
        t.add_claim(1, "ck-01", "s1", t0 + time::Duration::minutes(1));
        let key = t.claim_of(0, 1, "ck-01").unwrap().map_key();
        let c = t.claims.get_mut(&key).unwrap();
        c.outcome = Some(Outcome::Transferred);
        c.transfer_category = Some("C".into());
        let s = t.state();
        assert_eq!(
            (s.status, s.round, s.category.as_str()),
            (TicketStatus::Waiting, 1, "C")
        );
        assert_eq!(s.transferred_from.as_deref(), Some("A"));
        assert_eq!(t.display_number(), "A007");
        let cats = vec!["C".to_string()];
        assert!(next_for_window([&t], 6, &cats, &t.day.clone()).is_some());
        t.add_claim(6, "ck-06", "s6", t0 + time::Duration::minutes(2));
        assert_eq!(t.state().winner.map(|c| (c.round, c.window)), Some((1, 6)));
    }

    #[test]
    fn a_transfer_to_a_window_is_called_only_there() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let mut t = ticket("A", 7, t0);
        t.add_claim(1, "ck-01", "s1", t0);
        let key = t.claim_of(0, 1, "ck-01").unwrap().map_key();
        let c = t.claims.get_mut(&key).unwrap();
        c.outcome = Some(Outcome::Transferred);
        c.transfer_window = Some(4);
        let cats = vec!["A".to_string()];
        let d = t.day.clone();
        assert!(next_for_window([&t], 2, &cats, &d).is_none());
        assert!(next_for_window([&t], 4, &[], &d).is_some());
    }

    #[test]
    fn issued_at_round_trips_milliseconds() {
        let at = datetime!(2026-11-23 09:00:01.250 +8);
        assert_eq!(ticket("A", 1, at).issued_at(), at);
    }
}
