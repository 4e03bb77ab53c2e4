//! Appointments (预约): what can be booked, and the rules a booking, cancellation, check-in and no-show obey.
//!
//! The tenders (brief §3.3; Heilongjiang §2.3) describe slot supply (号源 = item + date + time slot + capacity),
//! item-group caps across a window's items, calendar labels (周末不打烊, 法定节假日办公, 禁止预约), check-in
//! within an early/late window, at most three cancellations a day, and automatic blacklisting after more than
//! three no-shows in a month. All of that is decided here, as pure functions over the appointments a terminal
//! knows of, with the current time passed in: the same rules then run on a kiosk that is offline, on the queue
//! machine at check-in and on the server, and are testable at any instant. Storage and ticket issuing call in.
//!
//! An appointment never holds an ID number: callers pass an opaque `person_key` (an SM3 of the number), which
//! is all the duplicate, cancellation and blacklist rules need.

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, Weekday};

use crate::clock::HALL_UTC_OFFSET;
use crate::error::ErrorCode;
use crate::queue::hall_scope;

/// The record kind name of appointments in the record registry.
pub const APPOINTMENT_KIND: &str = "appointment";
/// Schema version of the appointment document.
pub const APPOINTMENT_SCHEMA_VERSION: u32 = 1;

/// The configurable numbers behind check-in, cancellation and blacklisting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(default, deny_unknown_fields)]
pub struct AppointmentRules {
    /// How many minutes before the slot starts check-in opens.
    pub check_in_early_minutes: u32,
    /// How many minutes after the slot starts check-in is still allowed; later, the booking is a no-show.
    pub check_in_late_minutes: u32,
    /// Cancellations one person may make per hall day (一天最多进行三次取消行为).
    pub max_cancellations_per_day: u32,
    /// No-shows tolerated per calendar month; one more blacklists (当月失约超过三次).
    pub no_show_limit_per_month: u32,
    /// Days after the no-show that crossed the limit on which the blacklisting lifts by itself.
    pub blacklist_days: u32,
}

impl Default for AppointmentRules {
    fn default() -> Self {
        Self {
            check_in_early_minutes: 30,
            check_in_late_minutes: 15,
            max_cancellations_per_day: 3,
            no_show_limit_per_month: 3,
            blacklist_days: 30,
        }
    }
}

/// What a hall offers for booking; the `[appointments]` table of the hall's TOML file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct AppointmentSetup {
    #[serde(default)]
    pub rules: AppointmentRules,
    #[serde(default)]
    pub items: Vec<BookableItem>,
    #[serde(default)]
    pub group_caps: Vec<GroupCap>,
    /// Exceptions to "weekdays open, weekends closed".
    #[serde(default)]
    pub calendar: Vec<CalendarDay>,
}

/// An item that can be booked, with its slot supply (号源).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct BookableItem {
    /// The item's code in the catalogue.
    pub code: String,
    pub name: String,
    /// Letter of the queue category the check-in ticket goes to.
    pub category: String,
    pub window: u32,
    /// Daily time slots, `HH:MM-HH:MM` in hall time.
    pub slots: Vec<String>,
    /// Bookings per slot.
    pub capacity: u32,
}

/// A daily cap across several items of one window (事项组限号): the window serves fewer people than the
/// items' slots add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct GroupCap {
    pub window: u32,
    /// Item codes sharing the cap.
    pub items: Vec<String>,
    pub cap_per_day: u32,
}

/// A calendar label (日历标签) on one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub label: DayLabel,
}

/// Whether a date that is not an ordinary weekday or weekend is open for booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum DayLabel {
    /// 周末不打烊: a Saturday or Sunday that is open.
    WeekendOpen,
    /// 法定节假日办公: a public holiday that is open.
    HolidayOpen,
    /// 禁止预约: closed for booking.
    NoBooking,
    /// A public holiday on which the hall is closed.
    Holiday,
}

impl DayLabel {
    fn is_open(self) -> bool {
        matches!(self, DayLabel::WeekendOpen | DayLabel::HolidayOpen)
    }

    /// The label as halls know it, with its English name for logs.
    pub fn describe(self) -> &'static str {
        match self {
            DayLabel::WeekendOpen => "周末不打烊 (weekend open)",
            DayLabel::HolidayOpen => "法定节假日办公 (holiday open)",
            DayLabel::NoBooking => "禁止预约 (no booking)",
            DayLabel::Holiday => "法定节假日 (public holiday)",
        }
    }
}

/// Where an appointment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
    CheckedIn,
    NoShow,
}

/// An appointment as stored and synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Appointment {
    pub hall_id: String,
    /// What the citizen shows at the queue machine (as text or QR).
    pub booking_number: String,
    pub item_code: String,
    /// Queue category letter of the check-in ticket.
    pub category: String,
    pub window: u32,
    /// `YYYY-MM-DD`, hall time.
    pub date: String,
    /// `HH:MM-HH:MM`, hall time.
    pub slot: String,
    /// Opaque key of the person (an SM3 of the ID number); never the number itself.
    pub person_key: String,
    /// The name as screens may show it, e.g. `张*三`.
    pub name_masked: String,
    pub status: AppointmentStatus,
    /// Unix milliseconds.
    pub booked_at_ms: i64,
    /// Unix milliseconds of the last status change; the cancellation limit counts by its hall day.
    pub changed_at_ms: i64,
}

impl Appointment {
    /// The document scope an appointment belongs to: the hall's queue machines check it in.
    pub fn scope(&self) -> String {
        hall_scope(&self.hall_id)
    }

    /// Counts against slot capacity: a no-show still used the slot, a cancellation freed it.
    fn takes_capacity(&self) -> bool {
        self.status != AppointmentStatus::Cancelled
    }

    fn is_live(&self) -> bool {
        matches!(
            self.status,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn
        )
    }

    fn with_status(&self, status: AppointmentStatus, now: OffsetDateTime) -> Self {
        Self {
            status,
            changed_at_ms: unix_ms(now),
            ..self.clone()
        }
    }
}

/// What a booking screen submits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    pub hall_id: String,
    pub item_code: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM-HH:MM`, one of the item's slots.
    pub slot: String,
    pub person_key: String,
    pub name_masked: String,
    /// Chosen by the caller (unique in the hall).
    pub booking_number: String,
}

/// One slot on a booking screen: how many were booked and whether any are left (已预约人数、名额是否已满).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    pub slot: String,
    pub capacity: u32,
    pub booked: u32,
    /// Bookable places, also limited by any group cap the item is in.
    pub left: u32,
}

/// Why an appointment action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppointmentError {
    #[error("invalid appointment setup: {0}")]
    InvalidSetup(String),
    #[error("invalid date {0:?}, expected YYYY-MM-DD")]
    InvalidDate(String),
    #[error("invalid slot {0:?}, expected HH:MM-HH:MM")]
    InvalidSlot(String),
    #[error("{date} is closed for booking: {label}")]
    DayClosed { date: String, label: String },
    #[error("slot {slot} on {date} has already started")]
    SlotPast { date: String, slot: String },
    #[error("item {item_code} has no bookable slot {slot}")]
    UnknownSlot { item_code: String, slot: String },
    #[error("slot {slot} of item {item_code} on {date} is full ({capacity} places)")]
    Full {
        item_code: String,
        date: String,
        slot: String,
        capacity: u32,
    },
    #[error("window {window} is fully booked on {date} ({cap} places across its items)")]
    GroupFull { window: u32, date: String, cap: u32 },
    #[error("booking is blocked after repeated no-shows until {released_on}")]
    Blacklisted { released_on: String },
    #[error("already booked item {item_code} on {date} ({booking_number})")]
    Duplicate {
        item_code: String,
        date: String,
        booking_number: String,
    },
    #[error("booking number {0} is already in use")]
    BookingNumberTaken(String),
    #[error("no appointment with booking number {0}")]
    NotFound(String),
    #[error("appointment {0} was cancelled")]
    Cancelled(String),
    #[error("appointment {0} is already checked in")]
    AlreadyCheckedIn(String),
    #[error("appointment {0} was missed (no-show)")]
    NoShow(String),
    #[error("at most {limit} cancellations a day")]
    CancelLimit { limit: u32 },
    #[error("too early to check in: check-in is open {from}–{until}")]
    TooEarly { from: String, until: String },
    #[error("too late to check in: check-in was open {from}–{until}")]
    TooLate { from: String, until: String },
    #[error("appointment {booking_number} can still be checked in until {until}")]
    NotDue {
        booking_number: String,
        until: String,
    },
}

impl ErrorCode for AppointmentError {
    fn code(&self) -> &'static str {
        match self {
            AppointmentError::InvalidSetup(_) => "appointment.invalid_setup",
            AppointmentError::InvalidDate(_) => "appointment.invalid_date",
            AppointmentError::InvalidSlot(_) => "appointment.invalid_slot",
            AppointmentError::DayClosed { .. } => "appointment.day_closed",
            AppointmentError::SlotPast { .. } => "appointment.slot_past",
            AppointmentError::UnknownSlot { .. } => "appointment.unknown_slot",
            AppointmentError::Full { .. } => "appointment.full",
            AppointmentError::GroupFull { .. } => "appointment.group_full",
            AppointmentError::Blacklisted { .. } => "appointment.blacklisted",
            AppointmentError::Duplicate { .. } => "appointment.duplicate",
            AppointmentError::BookingNumberTaken(_) => "appointment.booking_number_taken",
            AppointmentError::NotFound(_) => "appointment.not_found",
            AppointmentError::Cancelled(_) => "appointment.cancelled",
            AppointmentError::AlreadyCheckedIn(_) => "appointment.already_checked_in",
            AppointmentError::NoShow(_) => "appointment.no_show",
            AppointmentError::CancelLimit { .. } => "appointment.cancel_limit",
            AppointmentError::TooEarly { .. } => "appointment.too_early",
            AppointmentError::TooLate { .. } => "appointment.too_late",
            AppointmentError::NotDue { .. } => "appointment.not_due",
        }
    }
}

impl AppointmentSetup {
    /// Checks the setup as loaded from a hall file, reporting every problem found at once so an operator can
    /// fix the file in one pass.
    pub fn validate(&self) -> Result<(), AppointmentError> {
        let mut problems = Vec::new();
        let mut codes = BTreeSet::new();
        for item in &self.items {
            if item.code.trim().is_empty() {
                problems.push(format!("item {:?} has an empty code", item.name));
            } else if !codes.insert(item.code.as_str()) {
                problems.push(format!("duplicate item code {}", item.code));
            }
            if item.category.trim().is_empty() {
                problems.push(format!("item {} has no queue category", item.code));
            }
            if item.capacity == 0 {
                problems.push(format!("item {} has zero capacity", item.code));
            }
            if item.slots.is_empty() {
                problems.push(format!("item {} has no slots", item.code));
            }
            let mut seen = BTreeSet::new();
            for slot in &item.slots {
                if parse_slot(slot).is_err() {
                    problems.push(format!("item {} has a bad slot {slot:?}", item.code));
                } else if !seen.insert(slot.as_str()) {
                    problems.push(format!("item {} lists slot {slot} twice", item.code));
                }
            }
        }
        for cap in &self.group_caps {
            if cap.cap_per_day == 0 {
                problems.push(format!("group cap of window {} is zero", cap.window));
            }
            if cap.items.is_empty() {
                problems.push(format!("group cap of window {} names no items", cap.window));
            }
            for code in &cap.items {
                match self.item(code) {
                    None => problems.push(format!(
                        "group cap of window {} names unknown item {code}",
                        cap.window
                    )),
                    Some(item) if item.window != cap.window => problems.push(format!(
                        "group cap of window {} names item {code} of window {}",
                        cap.window, item.window
                    )),
                    Some(_) => {}
                }
            }
        }
        let mut dates = BTreeSet::new();
        for day in &self.calendar {
            match parse_date(&day.date) {
                Err(_) => problems.push(format!("calendar has a bad date {:?}", day.date)),
                Ok(date) => {
                    if !dates.insert(date) {
                        problems.push(format!("calendar labels {} twice", day.date));
                    }
                    if day.label == DayLabel::WeekendOpen && !is_weekend(date) {
                        problems.push(format!(
                            "calendar marks {} weekend_open but it is a {}",
                            day.date,
                            date.weekday()
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AppointmentError::InvalidSetup(problems.join("; ")))
        }
    }

    /// The bookable item with this code.
    pub fn item(&self, code: &str) -> Option<&BookableItem> {
        self.items.iter().find(|item| item.code == code)
    }

    /// Why `date` takes no bookings (the calendar label, or the default weekend), or `None` when it is open.
    fn closed_reason(&self, date: Date) -> Option<&'static str> {
        let label = self
            .calendar
            .iter()
            .find(|day| parse_date(&day.date).is_ok_and(|d| d == date))
            .map(|day| day.label);
        match label {
            Some(label) if label.is_open() => None,
            Some(label) => Some(label.describe()),
            None if is_weekend(date) => Some("周末 (weekend)"),
            None => None,
        }
    }

    fn caps_of<'a>(&'a self, item_code: &'a str) -> impl Iterator<Item = &'a GroupCap> + 'a {
        self.group_caps
            .iter()
            .filter(move |cap| cap.items.iter().any(|code| code == item_code))
    }
}

/// Books a slot for a person, or says which rule refuses it.
pub fn book(
    setup: &AppointmentSetup,
    existing: &[Appointment],
    request: BookingRequest,
    now: OffsetDateTime,
) -> Result<Appointment, AppointmentError> {
    let date = parse_date(&request.date)?;
    let item = setup
        .item(&request.item_code)
        .filter(|item| item.slots.contains(&request.slot))
        .ok_or_else(|| AppointmentError::UnknownSlot {
            item_code: request.item_code.clone(),
            slot: request.slot.clone(),
        })?;
    let (start, _) = parse_slot(&request.slot)?;
    let date_text = format_date(date);
    if let Some(label) = setup.closed_reason(date) {
        return Err(AppointmentError::DayClosed {
            date: date_text,
            label: label.to_string(),
        });
    }
    if hall_instant(date, start) <= now {
        return Err(AppointmentError::SlotPast {
            date: date_text,
            slot: request.slot,
        });
    }
    if let Some(released_on) = blacklist(existing, &request.person_key, now, &setup.rules) {
        return Err(AppointmentError::Blacklisted {
            released_on: format_date(released_on),
        });
    }
    let hall: Vec<&Appointment> = existing
        .iter()
        .filter(|a| a.hall_id == request.hall_id)
        .collect();
    if hall
        .iter()
        .any(|a| a.booking_number == request.booking_number)
    {
        return Err(AppointmentError::BookingNumberTaken(request.booking_number));
    }
    if let Some(held) = hall.iter().find(|a| {
        a.is_live()
            && a.person_key == request.person_key
            && a.item_code == item.code
            && a.date == date_text
    }) {
        return Err(AppointmentError::Duplicate {
            item_code: item.code.clone(),
            date: date_text,
            booking_number: held.booking_number.clone(),
        });
    }
    let on_day = || {
        hall.iter()
            .filter(|a| a.takes_capacity() && a.date == date_text)
    };
    let in_slot = on_day()
        .filter(|a| a.item_code == item.code && a.slot == request.slot)
        .count();
    if in_slot >= item.capacity as usize {
        return Err(AppointmentError::Full {
            item_code: item.code.clone(),
            date: date_text,
            slot: request.slot,
            capacity: item.capacity,
        });
    }
    for cap in setup.caps_of(&item.code) {
        let in_group = on_day()
            .filter(|a| cap.items.contains(&a.item_code))
            .count();
        if in_group >= cap.cap_per_day as usize {
            return Err(AppointmentError::GroupFull {
                window: cap.window,
                date: date_text,
                cap: cap.cap_per_day,
            });
        }
    }
    let at = unix_ms(now);
    Ok(Appointment {
        hall_id: request.hall_id,
        booking_number: request.booking_number,
        item_code: item.code.clone(),
        category: item.category.clone(),
        window: item.window,
        date: date_text,
        slot: request.slot,
        person_key: request.person_key,
        name_masked: request.name_masked,
        status: AppointmentStatus::Booked,
        booked_at_ms: at,
        changed_at_ms: at,
    })
}

/// Cancels a booking before its slot starts; returns the updated record.
pub fn cancel(
    existing: &[Appointment],
    booking_number: &str,
    now: OffsetDateTime,
    rules: &AppointmentRules,
) -> Result<Appointment, AppointmentError> {
    let appt = existing
        .iter()
        .find(|a| a.booking_number == booking_number)
        .ok_or_else(|| AppointmentError::NotFound(booking_number.to_string()))?;
    refuse_unless_booked(appt)?;
    let (date, start, _) = appointment_times(appt)?;
    if hall_instant(date, start) <= now {
        return Err(AppointmentError::SlotPast {
            date: appt.date.clone(),
            slot: appt.slot.clone(),
        });
    }
    let today = now.to_offset(HALL_UTC_OFFSET).date();
    let cancelled_today = existing
        .iter()
        .filter(|a| {
            a.status == AppointmentStatus::Cancelled
                && a.person_key == appt.person_key
                && hall_date_of_ms(a.changed_at_ms) == Some(today)
        })
        .count();
    if cancelled_today >= rules.max_cancellations_per_day as usize {
        return Err(AppointmentError::CancelLimit {
            limit: rules.max_cancellations_per_day,
        });
    }
    Ok(appt.with_status(AppointmentStatus::Cancelled, now))
}

/// Checks a booking in at the queue machine within its check-in window; returns the updated record (the
/// caller then issues a ticket with appointment priority in `appt.category`).
pub fn check_in(
    appt: &Appointment,
    now: OffsetDateTime,
    rules: &AppointmentRules,
) -> Result<Appointment, AppointmentError> {
    refuse_unless_booked(appt)?;
    let (opens, closes) = check_in_window(appt, rules)?;
    let from = clock_text(opens);
    let until = clock_text(closes);
    if now < opens {
        return Err(AppointmentError::TooEarly { from, until });
    }
    if now > closes {
        return Err(AppointmentError::TooLate { from, until });
    }
    Ok(appt.with_status(AppointmentStatus::CheckedIn, now))
}

/// Booking numbers of booked appointments whose check-in window has closed: they are no-shows now.
pub fn due_no_shows(
    existing: &[Appointment],
    now: OffsetDateTime,
    rules: &AppointmentRules,
) -> Vec<String> {
    existing
        .iter()
        .filter(|a| a.status == AppointmentStatus::Booked)
        .filter(|a| check_in_window(a, rules).is_ok_and(|(_, closes)| now > closes))
        .map(|a| a.booking_number.clone())
        .collect()
}

/// Marks a booking as a no-show once its check-in window has closed; returns the updated record.
pub fn mark_no_show(
    appt: &Appointment,
    now: OffsetDateTime,
    rules: &AppointmentRules,
) -> Result<Appointment, AppointmentError> {
    refuse_unless_booked(appt)?;
    let (_, closes) = check_in_window(appt, rules)?;
    if now <= closes {
        return Err(AppointmentError::NotDue {
            booking_number: appt.booking_number.clone(),
            until: clock_text(closes),
        });
    }
    Ok(appt.with_status(AppointmentStatus::NoShow, now))
}

/// The date a blacklisted person may book again, or `None` when they may book now.
///
/// No-shows count per calendar month of the appointment's date; the one that takes a month past the limit
/// starts the blacklisting, which lifts by itself `blacklist_days` later. Months never add up.
pub fn blacklist(
    existing: &[Appointment],
    person_key: &str,
    now: OffsetDateTime,
    rules: &AppointmentRules,
) -> Option<Date> {
    let mut by_month: BTreeMap<(i32, u8), Vec<Date>> = BTreeMap::new();
    for appt in existing {
        if appt.status != AppointmentStatus::NoShow || appt.person_key != person_key {
            continue;
        }
        if let Ok(date) = parse_date(&appt.date) {
            by_month
                .entry((date.year(), u8::from(date.month())))
                .or_default()
                .push(date);
        }
    }
    let today = now.to_offset(HALL_UTC_OFFSET).date();
    let crossing = rules.no_show_limit_per_month as usize;
    by_month
        .into_values()
        .filter_map(|mut dates| {
            dates.sort_unstable();
            dates.get(crossing).copied()
        })
        .filter(|crossed_on| *crossed_on <= today)
        .map(|crossed_on| {
            crossed_on.saturating_add(Duration::days(i64::from(rules.blacklist_days)))
        })
        .filter(|released_on| today < *released_on)
        .max()
}

/// The item's slots on `date` in `hall_id` with booked counts and places left, for a booking screen; empty
/// when the item is unknown.
pub fn slots_for(
    setup: &AppointmentSetup,
    existing: &[Appointment],
    hall_id: &str,
    item_code: &str,
    date: &str,
) -> Vec<SlotView> {
    let Some(item) = setup.item(item_code) else {
        return Vec::new();
    };
    let on_day: Vec<&Appointment> = existing
        .iter()
        .filter(|a| a.hall_id == hall_id && a.date == date && a.takes_capacity())
        .collect();
    let group_left = setup
        .caps_of(item_code)
        .map(|cap| {
            let used = on_day
                .iter()
                .filter(|a| cap.items.contains(&a.item_code))
                .count();
            cap.cap_per_day.saturating_sub(count_u32(used))
        })
        .min();
    item.slots
        .iter()
        .map(|slot| {
            let booked = count_u32(
                on_day
                    .iter()
                    .filter(|a| a.item_code == item_code && &a.slot == slot)
                    .count(),
            );
            let slot_left = item.capacity.saturating_sub(booked);
            SlotView {
                slot: slot.clone(),
                capacity: item.capacity,
                booked,
                left: group_left.map_or(slot_left, |group| slot_left.min(group)),
            }
        })
        .collect()
}

fn refuse_unless_booked(appt: &Appointment) -> Result<(), AppointmentError> {
    let number = appt.booking_number.clone();
    match appt.status {
        AppointmentStatus::Booked => Ok(()),
        AppointmentStatus::Cancelled => Err(AppointmentError::Cancelled(number)),
        AppointmentStatus::CheckedIn => Err(AppointmentError::AlreadyCheckedIn(number)),
        AppointmentStatus::NoShow => Err(AppointmentError::NoShow(number)),
    }
}

fn appointment_times(appt: &Appointment) -> Result<(Date, Time, Time), AppointmentError> {
    let date = parse_date(&appt.date)?;
    let (start, end) = parse_slot(&appt.slot)?;
    Ok((date, start, end))
}

/// First and last instant (both allowed) at which the appointment can be checked in.
fn check_in_window(
    appt: &Appointment,
    rules: &AppointmentRules,
) -> Result<(OffsetDateTime, OffsetDateTime), AppointmentError> {
    let (date, start, _) = appointment_times(appt)?;
    let starts = hall_instant(date, start);
    Ok((
        starts - Duration::minutes(i64::from(rules.check_in_early_minutes)),
        starts + Duration::minutes(i64::from(rules.check_in_late_minutes)),
    ))
}

fn parse_date(text: &str) -> Result<Date, AppointmentError> {
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| AppointmentError::InvalidDate(text.to_string()))
}

fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Parses `HH:MM-HH:MM` strictly (two digits each, start before end), so a slot has one spelling and
/// string comparison of slots is sound.
fn parse_slot(text: &str) -> Result<(Time, Time), AppointmentError> {
    let bad = || AppointmentError::InvalidSlot(text.to_string());
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let start = parse_clock(start).ok_or_else(bad)?;
    let end = parse_clock(end).ok_or_else(bad)?;
    if start < end {
        Ok((start, end))
    } else {
        Err(bad())
    }
}

fn parse_clock(text: &str) -> Option<Time> {
    let (hour, minute) = text.split_once(':')?;
    let two_digits = |part: &str| {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u8>().ok())
            .flatten()
    };
    Time::from_hms(two_digits(hour)?, two_digits(minute)?, 0).ok()
}

fn clock_text(at: OffsetDateTime) -> String {
    let at = at.to_offset(HALL_UTC_OFFSET);
    format!("{:02}:{:02}", at.hour(), at.minute())
}

fn hall_instant(date: Date, time: Time) -> OffsetDateTime {
    PrimitiveDateTime::new(date, time).assume_offset(HALL_UTC_OFFSET)
}

fn hall_date_of_ms(ms: i64) -> Option<Date> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(|at| at.to_offset(HALL_UTC_OFFSET).date())
}

fn unix_ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn count_u32(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const HALL: &str = "hlj-harbin";
    /// A Friday; the Monday after is 2026-11-23.
    const NOW: OffsetDateTime = datetime!(2026-11-20 10:00 +8);

    fn item(code: &str, slots: &[&str], capacity: u32) -> BookableItem {
        BookableItem {
            code: code.to_string(),
            name: format!("item {code}"),
            category: "A".to_string(),
            window: 1,
            slots: slots.iter().map(|s| s.to_string()).collect(),
            capacity,
        }
    }

    fn label(date: &str, label: DayLabel) -> CalendarDay {
        CalendarDay {
            date: date.to_string(),
            label,
        }
    }

    fn setup() -> AppointmentSetup {
        AppointmentSetup {
            rules: AppointmentRules::default(),
            items: vec![
                item("hj-01", &["09:00-09:30", "09:30-10:00"], 2),
                item("hj-02", &["09:00-09:30"], 2),
                item("hj-03", &["09:00-09:30"], 2),
            ],
            group_caps: vec![GroupCap {
                window: 1,
                items: vec!["hj-01".into(), "hj-02".into(), "hj-03".into()],
                cap_per_day: 3,
            }],
            calendar: vec![
                label("2026-11-28", DayLabel::WeekendOpen),
                label("2026-10-03", DayLabel::HolidayOpen),
                label("2026-11-25", DayLabel::NoBooking),
                label("2026-10-01", DayLabel::Holiday),
            ],
        }
    }

    fn request(number: &str, person: &str, item: &str, date: &str, slot: &str) -> BookingRequest {
        BookingRequest {
            hall_id: HALL.to_string(),
            item_code: item.to_string(),
            date: date.to_string(),
            slot: slot.to_string(),
            person_key: person.to_string(),
            name_masked: "张*三".to_string(),
            booking_number: number.to_string(),
        }
    }

    /// Books on Monday 2026-11-23, 09:00-09:30.
    fn monday(number: &str, person: &str, item: &str) -> BookingRequest {
        request(number, person, item, "2026-11-23", "09:00-09:30")
    }

    fn booked(existing: &mut Vec<Appointment>, req: BookingRequest) {
        let appt = book(&setup(), existing, req, NOW).expect("booking accepted");
        existing.push(appt);
    }

    fn appt(number: &str, person: &str, date: &str, status: AppointmentStatus) -> Appointment {
        Appointment {
            hall_id: HALL.to_string(),
            booking_number: number.to_string(),
            item_code: "hj-01".to_string(),
            category: "A".to_string(),
            window: 1,
            date: date.to_string(),
            slot: "09:00-09:30".to_string(),
            person_key: person.to_string(),
            name_masked: "张*三".to_string(),
            status,
            booked_at_ms: 0,
            changed_at_ms: 0,
        }
    }

    fn replace(existing: &mut [Appointment], updated: Appointment) {
        let slot = existing
            .iter_mut()
            .find(|a| a.booking_number == updated.booking_number)
            .expect("known appointment");
        *slot = updated;
    }

    fn code(result: Result<Appointment, AppointmentError>) -> &'static str {
        result.expect_err("refused").code()
    }

    #[test]
    fn booking_fills_in_item_category_window_and_status() {
        let a = book(&setup(), &[], monday("Y001", "p1", "hj-01"), NOW).unwrap();
        assert_eq!(a.status, AppointmentStatus::Booked);
        assert_eq!((a.category.as_str(), a.window), ("A", 1));
        assert_eq!(a.booked_at_ms, unix_ms(NOW));
        assert_eq!(a.scope(), "hall:hlj-harbin");
    }

    #[test]
    fn full_slot_refuses_counting_booked_checked_in_and_no_show_but_not_cancelled() {
        let s = setup();
        let mut existing = vec![appt(
            "Y001",
            "p1",
            "2026-11-23",
            AppointmentStatus::Cancelled,
        )];
        // A cancellation frees its place: two more fit a capacity of 2.
        booked(&mut existing, monday("Y002", "p2", "hj-01"));
        booked(&mut existing, monday("Y003", "p3", "hj-01"));
        assert_eq!(
            code(book(&s, &existing, monday("Y004", "p4", "hj-01"), NOW)),
            "appointment.full"
        );
        for status in [AppointmentStatus::CheckedIn, AppointmentStatus::NoShow] {
            let existing = vec![
                appt("Y001", "p1", "2026-11-23", status),
                appt("Y002", "p2", "2026-11-23", AppointmentStatus::Booked),
            ];
            assert_eq!(
                code(book(&s, &existing, monday("Y004", "p4", "hj-01"), NOW)),
                "appointment.full",
                "{status:?} takes a place"
            );
        }
        // The other slot of the same item is unaffected.
        let other = request("Y005", "p5", "hj-01", "2026-11-23", "09:30-10:00");
        assert!(book(&s, &existing, other, NOW).is_ok());
    }

    #[test]
    fn group_cap_limits_the_windows_items_together() {
        let s = setup();
        let mut existing = Vec::new();
        booked(&mut existing, monday("Y001", "p1", "hj-01"));
        booked(&mut existing, monday("Y002", "p2", "hj-02"));
        booked(&mut existing, monday("Y003", "p3", "hj-03"));
        // Every item still has a place in its slot, but the window's 3 a day are taken.
        let err = book(&s, &existing, monday("Y004", "p4", "hj-02"), NOW).unwrap_err();
        assert_eq!(err.code(), "appointment.group_full");
        assert!(err.to_string().contains("window 1"), "{err}");
        // Another day has its own cap.
        let tuesday = request("Y005", "p4", "hj-02", "2026-11-24", "09:00-09:30");
        assert!(book(&s, &existing, tuesday, NOW).is_ok());
    }

    #[test]
    fn plain_weekday_is_open_and_plain_weekend_is_closed() {
        let s = setup();
        assert!(book(&s, &[], monday("Y001", "p1", "hj-01"), NOW).is_ok());
        let sunday = request("Y002", "p1", "hj-01", "2026-11-29", "09:00-09:30");
        let err = book(&s, &[], sunday, NOW).unwrap_err();
        assert_eq!(err.code(), "appointment.day_closed");
        assert!(err.to_string().contains("周末"), "{err}");
    }

    #[test]
    fn weekend_open_label_opens_a_saturday() {
        let saturday = request("Y001", "p1", "hj-01", "2026-11-28", "09:00-09:30");
        assert!(book(&setup(), &[], saturday, NOW).is_ok());
    }

    #[test]
    fn holiday_open_label_opens_a_public_holiday() {
        let now = datetime!(2026-09-20 10:00 +8);
        let open = request("Y001", "p1", "hj-01", "2026-10-03", "09:00-09:30");
        assert!(book(&setup(), &[], open, now).is_ok());
    }

    #[test]
    fn no_booking_label_closes_a_weekday() {
        let wednesday = request("Y001", "p1", "hj-01", "2026-11-25", "09:00-09:30");
        let err = book(&setup(), &[], wednesday, NOW).unwrap_err();
        assert_eq!(err.code(), "appointment.day_closed");
        assert!(err.to_string().contains("禁止预约"), "{err}");
    }

    #[test]
    fn holiday_label_closes_a_weekday() {
        let now = datetime!(2026-09-20 10:00 +8);
        let national_day = request("Y001", "p1", "hj-01", "2026-10-01", "09:00-09:30");
        let err = book(&setup(), &[], national_day, now).unwrap_err();
        assert_eq!(err.code(), "appointment.day_closed");
        assert!(err.to_string().contains("holiday"), "{err}");
    }

    #[test]
    fn past_day_and_started_slot_are_refused() {
        let s = setup();
        let thursday = request("Y001", "p1", "hj-01", "2026-11-19", "09:30-10:00");
        assert_eq!(code(book(&s, &[], thursday, NOW)), "appointment.slot_past");
        // 10:00 today: the 09:30 slot has started, exactly at its start too.
        let today = request("Y002", "p1", "hj-01", "2026-11-20", "09:30-10:00");
        assert_eq!(
            code(book(&s, &[], today.clone(), datetime!(2026-11-20 09:30 +8))),
            "appointment.slot_past"
        );
        assert!(book(&s, &[], today, datetime!(2026-11-20 09:29 +8)).is_ok());
    }

    #[test]
    fn unknown_item_or_slot_is_refused() {
        let s = setup();
        assert_eq!(
            code(book(&s, &[], monday("Y001", "p1", "nope"), NOW)),
            "appointment.unknown_slot"
        );
        let odd_slot = request("Y001", "p1", "hj-02", "2026-11-23", "09:30-10:00");
        assert_eq!(
            code(book(&s, &[], odd_slot, NOW)),
            "appointment.unknown_slot"
        );
        let bad_date = request("Y001", "p1", "hj-01", "23/11/2026", "09:00-09:30");
        assert_eq!(
            code(book(&s, &[], bad_date, NOW)),
            "appointment.invalid_date"
        );
    }

    #[test]
    fn one_live_booking_per_person_item_and_day() {
        let s = setup();
        let mut existing = Vec::new();
        booked(&mut existing, monday("Y001", "p1", "hj-01"));
        let again = request("Y002", "p1", "hj-01", "2026-11-23", "09:30-10:00");
        let err = book(&s, &existing, again.clone(), NOW).unwrap_err();
        assert_eq!(err.code(), "appointment.duplicate");
        assert!(err.to_string().contains("Y001"), "{err}");
        // Another item the same day is fine; so is the same item after cancelling.
        assert!(book(&s, &existing, monday("Y003", "p1", "hj-02"), NOW).is_ok());
        let cancelled = cancel(&existing, "Y001", NOW, &s.rules).unwrap();
        replace(&mut existing, cancelled);
        assert!(book(&s, &existing, again, NOW).is_ok());
    }

    #[test]
    fn booking_number_must_be_unique_in_the_hall() {
        let mut existing = Vec::new();
        booked(&mut existing, monday("Y001", "p1", "hj-01"));
        assert_eq!(
            code(book(
                &setup(),
                &existing,
                monday("Y001", "p2", "hj-02"),
                NOW
            )),
            "appointment.booking_number_taken"
        );
    }

    #[test]
    fn blacklisted_person_cannot_book_and_is_told_the_release_date() {
        let existing: Vec<Appointment> = ["2026-11-02", "2026-11-04", "2026-11-06", "2026-11-09"]
            .iter()
            .enumerate()
            .map(|(i, d)| appt(&format!("N{i}"), "p1", d, AppointmentStatus::NoShow))
            .collect();
        let err = book(&setup(), &existing, monday("Y001", "p1", "hj-01"), NOW).unwrap_err();
        assert_eq!(err.code(), "appointment.blacklisted");
        assert!(err.to_string().contains("2026-12-09"), "{err}");
        assert!(book(&setup(), &existing, monday("Y002", "p2", "hj-01"), NOW).is_ok());
    }

    fn rules() -> AppointmentRules {
        AppointmentRules::default()
    }

    fn monday_booking() -> Appointment {
        appt("Y001", "p1", "2026-11-23", AppointmentStatus::Booked)
    }

    #[test]
    fn check_in_opens_exactly_early_minutes_before_slot_start() {
        let a = monday_booking();
        let err = check_in(&a, datetime!(2026-11-23 08:29:59 +8), &rules()).unwrap_err();
        assert_eq!(err.code(), "appointment.too_early");
        assert!(err.to_string().contains("08:30–09:15"), "{err}");
        let done = check_in(&a, datetime!(2026-11-23 08:30 +8), &rules()).unwrap();
        assert_eq!(done.status, AppointmentStatus::CheckedIn);
        assert_eq!(done.changed_at_ms, unix_ms(datetime!(2026-11-23 08:30 +8)));
    }

    #[test]
    fn check_in_closes_exactly_late_minutes_after_slot_start() {
        let a = monday_booking();
        assert!(check_in(&a, datetime!(2026-11-23 09:15 +8), &rules()).is_ok());
        let err = check_in(&a, datetime!(2026-11-23 09:15:01 +8), &rules()).unwrap_err();
        assert_eq!(err.code(), "appointment.too_late");
        assert!(err.to_string().contains("08:30–09:15"), "{err}");
    }

    #[test]
    fn check_in_window_follows_the_rules_and_hall_time() {
        let custom = AppointmentRules {
            check_in_early_minutes: 10,
            check_in_late_minutes: 0,
            ..rules()
        };
        let a = monday_booking();
        // 00:50 UTC is 08:50 hall time.
        assert!(check_in(&a, datetime!(2026-11-23 00:50 UTC), &custom).is_ok());
        assert_eq!(
            code(check_in(&a, datetime!(2026-11-23 00:49 UTC), &custom)),
            "appointment.too_early"
        );
        assert_eq!(
            code(check_in(&a, datetime!(2026-11-23 01:00:01 UTC), &custom)),
            "appointment.too_late"
        );
    }

    #[test]
    fn check_in_refuses_cancelled_checked_in_and_no_show() {
        let at = datetime!(2026-11-23 09:00 +8);
        for (status, expected) in [
            (AppointmentStatus::Cancelled, "appointment.cancelled"),
            (
                AppointmentStatus::CheckedIn,
                "appointment.already_checked_in",
            ),
            (AppointmentStatus::NoShow, "appointment.no_show"),
        ] {
            let a = appt("Y001", "p1", "2026-11-23", status);
            assert_eq!(code(check_in(&a, at, &rules())), expected);
        }
    }

    #[test]
    fn cancel_only_a_booked_appointment_before_its_slot_starts() {
        let existing = vec![
            monday_booking(),
            appt("Y002", "p1", "2026-11-23", AppointmentStatus::CheckedIn),
        ];
        let before = datetime!(2026-11-23 08:59 +8);
        let cancelled = cancel(&existing, "Y001", before, &rules()).unwrap();
        assert_eq!(cancelled.status, AppointmentStatus::Cancelled);
        assert_eq!(cancelled.changed_at_ms, unix_ms(before));
        assert_eq!(
            code(cancel(
                &existing,
                "Y001",
                datetime!(2026-11-23 09:00 +8),
                &rules()
            )),
            "appointment.slot_past"
        );
        assert_eq!(
            code(cancel(&existing, "Y002", before, &rules())),
            "appointment.already_checked_in"
        );
        assert_eq!(
            code(cancel(&existing, "Y404", before, &rules())),
            "appointment.not_found"
        );
    }

    #[test]
    fn three_cancellations_a_day_are_allowed_the_fourth_is_refused_until_the_next_day() {
        let mut existing: Vec<Appointment> = (1..=5)
            .map(|i| {
                appt(
                    &format!("Y00{i}"),
                    "p1",
                    "2026-11-30",
                    AppointmentStatus::Booked,
                )
            })
            .collect();
        // Someone else's cancellations do not count.
        let mut other = appt("Z001", "p2", "2026-11-30", AppointmentStatus::Cancelled);
        other.changed_at_ms = unix_ms(NOW);
        existing.push(other);
        for number in ["Y001", "Y002", "Y003"] {
            let cancelled = cancel(&existing, number, NOW, &rules()).unwrap();
            replace(&mut existing, cancelled);
        }
        let err = cancel(&existing, "Y004", NOW, &rules()).unwrap_err();
        assert_eq!(err.code(), "appointment.cancel_limit");
        // Late on the same hall day still counts; just after midnight hall time is a new day.
        assert_eq!(
            code(cancel(
                &existing,
                "Y004",
                datetime!(2026-11-20 23:59 +8),
                &rules()
            )),
            "appointment.cancel_limit"
        );
        assert!(cancel(&existing, "Y004", datetime!(2026-11-21 00:00 +8), &rules()).is_ok());
    }

    #[test]
    fn due_no_shows_are_booked_appointments_whose_check_in_window_closed() {
        let mut other_slot = appt("Y002", "p2", "2026-11-23", AppointmentStatus::Booked);
        other_slot.slot = "09:30-10:00".into();
        let existing = vec![
            monday_booking(),
            other_slot,
            appt("Y003", "p3", "2026-11-23", AppointmentStatus::CheckedIn),
            appt("Y004", "p4", "2026-11-23", AppointmentStatus::Cancelled),
        ];
        assert!(due_no_shows(&existing, datetime!(2026-11-23 09:15 +8), &rules()).is_empty());
        assert_eq!(
            due_no_shows(&existing, datetime!(2026-11-23 09:15:01 +8), &rules()),
            vec!["Y001".to_string()]
        );
        assert_eq!(
            due_no_shows(&existing, datetime!(2026-11-23 10:00 +8), &rules()),
            vec!["Y001".to_string(), "Y002".to_string()]
        );
    }

    #[test]
    fn mark_no_show_waits_until_check_in_closes() {
        let a = monday_booking();
        assert_eq!(
            code(mark_no_show(&a, datetime!(2026-11-23 09:15 +8), &rules())),
            "appointment.not_due"
        );
        let missed = mark_no_show(&a, datetime!(2026-11-23 09:16 +8), &rules()).unwrap();
        assert_eq!(missed.status, AppointmentStatus::NoShow);
    }

    fn no_shows(person: &str, dates: &[&str]) -> Vec<Appointment> {
        dates
            .iter()
            .enumerate()
            .map(|(i, d)| {
                appt(
                    &format!("{person}-{i}"),
                    person,
                    d,
                    AppointmentStatus::NoShow,
                )
            })
            .collect()
    }

    #[test]
    fn three_no_shows_in_a_month_are_tolerated_the_fourth_blacklists() {
        let mut existing = no_shows("p1", &["2026-11-02", "2026-11-04", "2026-11-06"]);
        existing.push(appt("Y9", "p1", "2026-11-10", AppointmentStatus::CheckedIn));
        assert_eq!(blacklist(&existing, "p1", NOW, &rules()), None);
        existing.push(appt("Y10", "p1", "2026-11-12", AppointmentStatus::NoShow));
        assert_eq!(
            blacklist(&existing, "p1", NOW, &rules()),
            Some(date!(2026 - 12 - 12))
        );
        assert_eq!(blacklist(&existing, "p2", NOW, &rules()), None);
    }

    #[test]
    fn blacklist_lifts_blacklist_days_after_the_crossing_no_show() {
        let existing = no_shows(
            "p1",
            &[
                "2026-11-02",
                "2026-11-04",
                "2026-11-06",
                "2026-11-12",
                "2026-11-13",
            ],
        );
        let still = datetime!(2026-12-11 23:59 +8);
        assert_eq!(
            blacklist(&existing, "p1", still, &rules()),
            Some(date!(2026 - 12 - 12))
        );
        assert_eq!(
            blacklist(&existing, "p1", datetime!(2026-12-12 00:00 +8), &rules()),
            None
        );
        let shorter = AppointmentRules {
            blacklist_days: 7,
            ..rules()
        };
        assert_eq!(
            blacklist(&existing, "p1", NOW, &shorter),
            None,
            "released on 2026-11-19"
        );
    }

    #[test]
    fn no_shows_in_different_months_do_not_add_up() {
        let existing = no_shows(
            "p1",
            &[
                "2026-10-27",
                "2026-10-29",
                "2026-10-31",
                "2026-11-02",
                "2026-11-04",
                "2026-11-06",
            ],
        );
        assert_eq!(blacklist(&existing, "p1", NOW, &rules()), None);
    }

    #[test]
    fn slots_for_shows_booked_and_places_left_within_the_group_cap() {
        let s = setup();
        let mut existing = Vec::new();
        booked(&mut existing, monday("Y001", "p1", "hj-01"));
        let views = slots_for(&s, &existing, HALL, "hj-01", "2026-11-23");
        assert_eq!(
            views,
            vec![
                SlotView {
                    slot: "09:00-09:30".into(),
                    capacity: 2,
                    booked: 1,
                    left: 1
                },
                SlotView {
                    slot: "09:30-10:00".into(),
                    capacity: 2,
                    booked: 0,
                    left: 2
                },
            ]
        );
        booked(&mut existing, monday("Y002", "p2", "hj-02"));
        booked(&mut existing, monday("Y003", "p3", "hj-03"));
        let views = slots_for(&s, &existing, HALL, "hj-01", "2026-11-23");
        assert!(views.iter().all(|v| v.left == 0), "{views:?}");
        assert!(slots_for(&s, &existing, "elsewhere", "hj-01", "2026-11-23")
            .iter()
            .all(|v| v.booked == 0));
        assert!(slots_for(&s, &existing, HALL, "nope", "2026-11-23").is_empty());
    }

    #[test]
    fn validate_accepts_a_sound_setup() {
        assert_eq!(setup().validate(), Ok(()));
    }

    #[test]
    fn validate_reports_every_problem_of_a_bad_setup() {
        let mut s = setup();
        s.items[0].slots.push("9:00-09:30".into());
        s.items[0].slots.push("10:00-09:30".into());
        s.items[1].slots.push("09:00-09:30".into());
        s.items[1].capacity = 0;
        s.items[2].code = "hj-01".into();
        s.group_caps.push(GroupCap {
            window: 1,
            items: vec!["ghost".into()],
            cap_per_day: 0,
        });
        s.calendar.push(label("2026-02-30", DayLabel::Holiday));
        s.calendar.push(label("2026-11-23", DayLabel::WeekendOpen));
        s.calendar.push(label("2026-11-25", DayLabel::Holiday));
        let Err(AppointmentError::InvalidSetup(message)) = s.validate() else {
            panic!("setup should be refused");
        };
        for expected in [
            "bad slot \"9:00-09:30\"",
            "bad slot \"10:00-09:30\"",
            "lists slot 09:00-09:30 twice",
            "hj-02 has zero capacity",
            "duplicate item code hj-01",
            "unknown item ghost",
            "group cap of window 1 is zero",
            "bad date \"2026-02-30\"",
            "weekend_open but it is a Monday",
            "labels 2026-11-25 twice",
        ] {
            assert!(
                message.contains(expected),
                "{expected:?} missing in {message}"
            );
        }
    }

    const HALL_FILE: &str = r#"
[appointments.rules]
check_in_early_minutes = 20
blacklist_days = 60

[[appointments.items]]
code = "230100-HJ-001"
name = "户口迁入"
category = "A"
window = 1
slots = ["08:30-09:00", "09:00-09:30"]
capacity = 20

[[appointments.items]]
code = "230100-HJ-002"
name = "户口迁出"
category = "A"
window = 1
slots = ["08:30-09:00"]
capacity = 20

[[appointments.group_caps]]
window = 1
items = ["230100-HJ-001", "230100-HJ-002"]
cap_per_day = 40

[[appointments.calendar]]
date = "2026-11-28"
label = "weekend_open"

[[appointments.calendar]]
date = "2026-10-01"
label = "holiday"
"#;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct HallFile {
        appointments: AppointmentSetup,
    }

    #[test]
    fn appointments_table_round_trips_through_toml_with_default_rules_filled_in() {
        let file: HallFile = toml::from_str(HALL_FILE).expect("example parses");
        let setup = &file.appointments;
        assert_eq!(setup.validate(), Ok(()));
        assert_eq!(setup.rules.check_in_early_minutes, 20);
        assert_eq!(setup.rules.check_in_late_minutes, 15);
        assert_eq!(setup.rules.max_cancellations_per_day, 3);
        assert_eq!(setup.calendar[0].label, DayLabel::WeekendOpen);
        assert_eq!(setup.group_caps[0].cap_per_day, 40);
        let written = toml::to_string(&file).expect("serialises");
        assert_eq!(
            toml::from_str::<HallFile>(&written).expect("re-parses"),
            file
        );
    }

    #[test]
    fn appointments_table_refuses_unknown_fields() {
        let typo = HALL_FILE.replace("capacity = 20", "capacty = 20");
        assert!(toml::from_str::<HallFile>(&typo).is_err());
        let bad_label = HALL_FILE.replace("\"holiday\"", "\"day_off\"");
        assert!(toml::from_str::<HallFile>(&bad_label).is_err());
    }

    #[test]
    fn appointment_and_setup_round_trip_through_automerge() {
        let a = monday_booking();
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &a).expect("reconcile appointment");
        assert_eq!(autosurgeon::hydrate::<_, Appointment>(&doc).unwrap(), a);
        let s = setup();
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &s).expect("reconcile setup");
        assert_eq!(
            autosurgeon::hydrate::<_, AppointmentSetup>(&doc).unwrap(),
            s
        );
    }

    #[test]
    fn every_error_code_is_in_the_appointment_namespace() {
        let errors = [
            AppointmentError::InvalidSetup(String::new()),
            AppointmentError::InvalidSlot(String::new()),
            AppointmentError::CancelLimit { limit: 3 },
            AppointmentError::NotDue {
                booking_number: String::new(),
                until: String::new(),
            },
        ];
        for err in errors {
            assert!(err.code().starts_with("appointment."), "{err:?}");
            assert_eq!(err.to_body().code, err.code());
        }
    }
}
