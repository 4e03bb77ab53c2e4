//! The queue as a terminal runs it: the hall set-up, issuing tickets (with ID card, priority and appointment
//! check-in), the clerk's window, the call screen and its announcements, and the KPIs.
//!
//! Every rule that must agree between terminals lives in `banshi_core` (numbering, claims, calling order,
//! appointment rules, KPI definitions); this module loads records, applies those rules under the terminal's
//! locks and saves the result durably before anyone is told.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use banshi_core::appointment::{self, Appointment, AppointmentStatus, BookingRequest};
use banshi_core::audit::AuditAction;
use banshi_core::hall::{HallCategory, HallSetup, HallWindow, StaffMember};
use banshi_core::kpi::{self, Kpi};
use banshi_core::mask::{mask_id_number, mask_name};
use banshi_core::queue::{
    from_unix_ms, hall_day, next_for_window, next_ticket_number, people_ahead, unix_ms, Applicant,
    IssuerSlot, Outcome, Priority, Ticket, TicketStatus, WindowSession, TICKET_KIND,
};
use banshi_core::staff::{Actor, Permission, StaffError};
use banshi_core::ErrorCode;
use banshi_profile::Mode;
use banshi_store::{Durability, Record, RecordKind, SyncStatus};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::{blocking, Terminal, TerminalError, TerminalEvent};
use crate::views::{
    ApplicantView, AppointmentView, CallsView, CurrentCallView, IdentityView, LostCallView,
    RecentCallView, SessionView, StaffView, TicketView, WaitingView, WindowCallView,
    WindowStateView,
};

/// How long a card read at the queue machine stands for the person (then they read it again).
const IDENTITY_TTL: time::Duration = time::Duration::minutes(3);
/// How long the queue machine waits for a card on the reader.
const CARD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Calls older than this are not announced when a call screen first learns of them (after a restart).
const ANNOUNCE_FRESH: time::Duration = time::Duration::minutes(2);
/// How many calls the call screen lists as recent.
const RECENT_CALLS: usize = 8;

/// A card read at this terminal, kept in memory only, for the ticket or check-in that follows.
pub(crate) struct HeldIdentity {
    name: String,
    id_number_masked: String,
    /// The full number, for the ticket's applicant (opened at the window only with the permission).
    id_number: Option<String>,
    age: u8,
    /// SM3 of the ID number: matches appointments without keeping the number.
    person_key: String,
    expires: OffsetDateTime,
}

impl std::fmt::Debug for HeldIdentity {
    // Personal data: only the masked number may reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldIdentity")
            .field("id_number_masked", &self.id_number_masked)
            .finish_non_exhaustive()
    }
}

/// What a ticket is issued with, beyond its category.
#[derive(Debug, Clone, Default)]
pub struct IssueRequest {
    pub category: String,
    /// A token from [`Terminal::identify`].
    pub identity: Option<String>,
    /// A declared priority: only `disabled` or `green` may be asked for.
    pub priority: Option<Priority>,
}

/// What the queue runs on: the hall set-up when there is one, else the profile's categories.
#[derive(Debug, Clone)]
pub(crate) struct QueueConfig {
    pub(crate) categories: Vec<HallCategory>,
    pub(crate) windows: Vec<HallWindow>,
    pub(crate) staff: Vec<StaffMember>,
    pub(crate) ticket_machines: Vec<String>,
    pub(crate) appointments: Option<appointment::AppointmentSetup>,
}

impl QueueConfig {
    fn category(&self, code: &str) -> Option<&HallCategory> {
        self.categories.iter().find(|c| c.code == code)
    }

    fn category_names(&self) -> kpi::CategoryNames {
        self.categories
            .iter()
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect()
    }

    fn categories_of(&self, window: u32) -> Vec<String> {
        self.categories
            .iter()
            .filter(|c| c.windows.contains(&window))
            .map(|c| c.code.clone())
            .collect()
    }

    pub(super) fn window_label(&self, window: u32) -> String {
        self.windows
            .iter()
            .find(|w| w.number == window)
            .map(|w| w.label.clone())
            .unwrap_or_else(|| format!("{window}号窗口"))
    }
}

impl Terminal {
    /// Every record of kind `T` in the store, off the async threads.
    pub(crate) async fn records<T: RecordKind + Clone + Send + 'static>(
        &self,
    ) -> Result<Vec<(Record<T>, SyncStatus)>, TerminalError> {
        let store = Arc::clone(&self.store);
        blocking(move || store.list::<T>()).await
    }

    // ---- Hall set-up ----

    /// The newest hall set-up of this terminal's hall, if one was imported.
    pub async fn hall_setup(&self) -> Result<Option<HallSetup>, TerminalError> {
        let hall = &self.profile().terminal.hall_id;
        Ok(self
            .records::<HallSetup>()
            .await?
            .into_iter()
            .map(|(r, _)| r.body)
            .filter(|h| &h.hall_id == hall)
            .reduce(|a, b| if b.newer_than(&a) { b } else { a }))
    }

    /// Import a hall file (admin mode): checked, then saved as the hall's newest set-up and synced.
    pub async fn import_hall(&self, actor: &Actor, toml: &str) -> Result<HallSetup, TerminalError> {
        actor.require(Permission::ManageHall)?;
        if self.profile().mode != Mode::Admin {
            return Err(TerminalError::WrongMode("admin"));
        }
        let mut setup = HallSetup::from_toml(toml)?;
        if setup.hall_id != self.profile().terminal.hall_id {
            return Err(TerminalError::Hall(banshi_core::hall::HallError::Invalid(
                format!(
                    "the file is for hall {}, this terminal is in hall {}",
                    setup.hall_id,
                    self.profile().terminal.hall_id
                ),
            )));
        }
        let previous = self.hall_setup().await?;
        setup.version = previous.map_or(1, |p| p.version + 1);
        setup.updated_at_ms = unix_ms(self.clock.now());
        let (store, scope, body) = (Arc::clone(&self.store), self.hall_scope(), setup.clone());
        let who = actor.audit_name();
        blocking(move || {
            store
                .acting(who)
                .create(&scope, &body, Durability::Promised)
        })
        .await?;
        tracing::info!(version = setup.version, "hall set-up imported");
        self.emit(TerminalEvent::TicketsChanged);
        self.emit(TerminalEvent::SyncChanged);
        self.sync_now.notify_one();
        Ok(setup)
    }

    pub(crate) async fn queue_config(&self) -> Result<QueueConfig, TerminalError> {
        if let Some(setup) = self.hall_setup().await? {
            return Ok(QueueConfig {
                categories: setup.categories,
                windows: setup.windows,
                staff: setup.staff,
                ticket_machines: setup.ticket_machines,
                appointments: setup.appointments,
            });
        }
        let categories: Vec<HallCategory> = self
            .profile()
            .queue
            .categories
            .iter()
            .map(|c| HallCategory {
                code: c.code.clone(),
                name: c.name.0.clone(),
                windows: c.windows.clone(),
            })
            .collect();
        let mut numbers: Vec<u32> = categories.iter().flat_map(|c| c.windows.clone()).collect();
        numbers.extend(self.profile().queue.window);
        numbers.sort_unstable();
        numbers.dedup();
        Ok(QueueConfig {
            windows: numbers
                .into_iter()
                .map(|n| HallWindow {
                    number: n,
                    label: format!("{n}号窗口"),
                })
                .collect(),
            categories,
            staff: Vec::new(),
            ticket_machines: Vec::new(),
            appointments: None,
        })
    }

    // ---- Queue machine ----

    /// Read the ID card on this terminal's reader and hold it for a ticket or a check-in.
    pub async fn identify(&self) -> Result<IdentityView, TerminalError> {
        if !matches!(self.profile().mode, Mode::QueueTicket | Mode::SelfService) {
            return Err(TerminalError::WrongMode("queue-ticket or self-service"));
        }
        let devices = self.devices();
        let card = tokio::task::spawn_blocking(move || devices.read_id_card(CARD_WAIT))
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))??;
        let now = self.clock.now();
        let age = age_on(&card.birth_date, now);
        let held = HeldIdentity {
            name: card.name.clone(),
            id_number_masked: mask_id_number(&card.id_number),
            id_number: Some(card.id_number.clone()),
            age,
            person_key: banshi_crypto::sm3_hex(card.id_number.as_bytes()),
            expires: now + IDENTITY_TTL,
        };
        let token = banshi_crypto::sm3_hex(
            format!(
                "{}:{}:{}",
                self.profile().terminal.id,
                held.person_key,
                unix_ms(now)
            )
            .as_bytes(),
        )[..32]
            .to_string();
        let config = self.queue_config().await?;
        let today = hall_day(now);
        let appointments = self
            .appointments()
            .await?
            .into_iter()
            .map(|r| r.body)
            .filter(|a| {
                a.person_key == held.person_key
                    && a.date == today
                    && a.status == AppointmentStatus::Booked
            })
            .map(|a| appointment_view(&a, &config))
            .collect();
        {
            let mut ids = self.identities.lock().unwrap_or_else(|p| p.into_inner());
            ids.retain(|_, h| h.expires > now);
            ids.insert(token.clone(), held);
        }
        Ok(IdentityView {
            token,
            name: mask_name(&card.name),
            id_number: mask_id_number(&card.id_number),
            age,
            elderly: age >= self.profile().queue.elderly_priority_age,
            appointments,
        })
    }

    fn take_identity(&self, token: &str) -> Result<HeldIdentity, TerminalError> {
        let now = self.clock.now();
        let mut ids = self.identities.lock().unwrap_or_else(|p| p.into_inner());
        match ids.remove(token) {
            Some(h) if h.expires > now => Ok(h),
            _ => Err(TerminalError::IdentityExpired),
        }
    }

    /// Issue a ticket in `category` with no card and no priority.
    pub async fn issue_ticket(&self, category: &str) -> Result<TicketView, TerminalError> {
        self.issue_ticket_with(IssueRequest {
            category: category.to_string(),
            ..IssueRequest::default()
        })
        .await
    }

    /// Issue a ticket: numbered, saved durably, then printed. A printing failure is reported in the view; the
    /// ticket keeps its place in the queue either way.
    pub async fn issue_ticket_with(&self, req: IssueRequest) -> Result<TicketView, TerminalError> {
        if !matches!(self.profile().mode, Mode::QueueTicket | Mode::SelfService) {
            return Err(TerminalError::NotAQueueMachine(
                self.profile().mode.as_str(),
            ));
        }
        let declared = match req.priority {
            None | Some(Priority::Normal) => None,
            Some(p @ (Priority::Disabled | Priority::Green)) => Some(p),
            Some(other) => return Err(TerminalError::BadPriority(other.as_str())),
        };
        let identity = req
            .identity
            .as_deref()
            .map(|t| self.take_identity(t))
            .transpose()?;
        let elderly = identity
            .as_ref()
            .is_some_and(|i| i.age >= self.profile().queue.elderly_priority_age);
        let priority = declared.unwrap_or(if elderly {
            Priority::Elderly
        } else {
            Priority::Normal
        });
        self.issue(&req.category, priority, identity.as_ref(), None)
            .await
    }

    async fn issue(
        &self,
        category: &str,
        priority: Priority,
        identity: Option<&HeldIdentity>,
        appointment: Option<String>,
    ) -> Result<TicketView, TerminalError> {
        let config = self.queue_config().await?;
        let cat = config
            .category(category)
            .ok_or_else(|| TerminalError::UnknownCategory(category.to_string()))?
            .clone();
        let slot = if config.ticket_machines.is_empty() {
            IssuerSlot::ONLY
        } else {
            let index = config
                .ticket_machines
                .iter()
                .position(|m| *m == self.profile().terminal.id)
                .ok_or(TerminalError::NotListedTicketMachine)?;
            IssuerSlot {
                index: index as u32,
                count: config.ticket_machines.len() as u32,
            }
        };

        let (record, known) = {
            let _one_at_a_time = self.issuing.lock().await;
            let now = self.clock.now();
            let known = self.todays_tickets(now).await?;
            let number = next_ticket_number(
                known.iter().map(|(r, _)| &r.body),
                category,
                &hall_day(now),
                slot,
            );
            let p = &self.profile().terminal;
            let mut ticket = Ticket::issue(&p.hall_id, category, number, &p.id, now);
            ticket.priority = priority;
            ticket.appointment = appointment;
            ticket.applicant = identity.map(|i| Applicant {
                name: i.name.clone(),
                id_number_masked: i.id_number_masked.clone(),
                id_number: i.id_number.clone(),
                age: i.age,
            });
            let (store, scope, body) = (Arc::clone(&self.store), self.hall_scope(), ticket.clone());
            let header =
                blocking(move || store.create(&scope, &body, Durability::Promised)).await?;
            (
                Record {
                    header,
                    body: ticket,
                },
                known,
            )
        };
        self.emit(TerminalEvent::TicketsChanged);
        // One more record waits for the server: sync indicators and the outbox screen count it.
        self.emit(TerminalEvent::SyncChanged);

        let ahead = people_ahead(known.iter().map(|(r, _)| &r.body), &record.body);
        let lang = self.profile().ui.default_language.clone();
        let name = cat.name.get(&lang).or_else(|| cat.name.get("zh-CN"));
        let slip = self.ticket_slip(&record, name.map(String::as_str).unwrap_or(""), ahead);
        let devices = self.devices();
        let printed = tokio::task::spawn_blocking(move || devices.print_ticket(&slip))
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))?;
        let print_error = match printed {
            Ok(()) => {
                let (store, id) = (Arc::clone(&self.store), record.header.id.clone());
                blocking(move || {
                    store.update::<Ticket>(&id, Durability::Normal, |t| t.printed = true)
                })
                .await?;
                None
            }
            Err(error) => {
                tracing::warn!(ticket = %record.body.display_number(), error = %error, "ticket not printed");
                Some(error)
            }
        };
        self.sync_now.notify_one();
        let mut view = self.ticket_view(&record, SyncStatus::Local, ahead, &config);
        view.printed = print_error.is_none();
        view.print_error = print_error
            .as_ref()
            .map(banshi_devices::DeviceError::to_body);
        Ok(view)
    }

    /// Today's tickets known to this terminal (its own and synced ones), in issue order.
    pub async fn list_tickets(&self, actor: &Actor) -> Result<Vec<TicketView>, TerminalError> {
        actor.require(Permission::ViewTickets)?;
        let config = self.queue_config().await?;
        let known = self.todays_tickets(self.clock.now()).await?;
        Ok(known
            .iter()
            .map(|(rec, status)| {
                let ahead = people_ahead(known.iter().map(|(r, _)| &r.body), &rec.body);
                self.ticket_view(rec, *status, ahead, &config)
            })
            .collect())
    }

    pub(crate) async fn todays_tickets(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<(Record<Ticket>, SyncStatus)>, TerminalError> {
        let day = hall_day(now);
        let hall = &self.profile().terminal.hall_id;
        let mut tickets = self.records::<Ticket>().await?;
        tickets.retain(|(r, _)| r.body.day == day && &r.body.hall_id == hall);
        tickets.sort_by_key(|(r, _)| (r.body.issued_at_ms, r.body.number));
        Ok(tickets)
    }

    pub(crate) fn ticket_view(
        &self,
        rec: &Record<Ticket>,
        sync_status: SyncStatus,
        people_ahead: usize,
        config: &QueueConfig,
    ) -> TicketView {
        let t = &rec.body;
        let state = t.state();
        let category_name = config
            .category(&state.category)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        TicketView {
            id: rec.header.id.clone(),
            number: t.display_number(),
            category: state.category.clone(),
            category_name,
            issued_at: rfc3339(t.issued_at()),
            issued_by: t.issued_by.clone(),
            people_ahead,
            status: state.status,
            printed: t.printed,
            print_error: None,
            sync_status,
            priority: t.priority,
            applicant: t.applicant.as_ref().map(|a| ApplicantView {
                name: mask_name(&a.name),
                id_number: a.id_number_masked.clone(),
                age: a.age,
            }),
            appointment: t.appointment.clone(),
            window: state.winner.map(|c| c.window),
            called_at: state.winner.map(|c| rfc3339(from_unix_ms(c.called_at_ms))),
            recalls: state.winner.map_or(0, |c| c.recalls),
            transferred_from: state.transferred_from.clone(),
        }
    }

    // ---- Appointments ----

    /// This hall's appointments, with their headers (a check-in updates one).
    async fn appointments(&self) -> Result<Vec<Record<Appointment>>, TerminalError> {
        let hall = &self.profile().terminal.hall_id;
        Ok(self
            .records::<Appointment>()
            .await?
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| &r.body.hall_id == hall)
            .collect())
    }

    /// Book a slot for the person whose card was read (`identity`). Phone and web bookings arrive through
    /// sync as the same records; this is the hall's own desk booking.
    pub async fn book_appointment(
        &self,
        identity: &str,
        item_code: &str,
        date: &str,
        slot: &str,
    ) -> Result<AppointmentView, TerminalError> {
        let config = self.queue_config().await?;
        let setup = config
            .appointments
            .clone()
            .ok_or(TerminalError::NoAppointments)?;
        let who = self.take_identity(identity)?;
        let now = self.clock.now();
        let existing: Vec<Appointment> = self
            .appointments()
            .await?
            .into_iter()
            .map(|r| r.body)
            .collect();
        let booking_number = format!(
            "{}{}",
            date.replace('-', ""),
            &banshi_crypto::sm3_hex(
                format!(
                    "{}:{}:{}",
                    self.profile().terminal.id,
                    who.person_key,
                    unix_ms(now)
                )
                .as_bytes()
            )[..6]
        )
        .to_uppercase();
        let appt = appointment::book(
            &setup,
            &existing,
            BookingRequest {
                hall_id: self.profile().terminal.hall_id.clone(),
                item_code: item_code.to_string(),
                date: date.to_string(),
                slot: slot.to_string(),
                person_key: who.person_key.clone(),
                name_masked: mask_name(&who.name),
                booking_number,
            },
            now,
        )?;
        let (store, scope, body) = (Arc::clone(&self.store), self.hall_scope(), appt.clone());
        blocking(move || store.create(&scope, &body, Durability::Promised)).await?;
        self.sync_now.notify_one();
        Ok(appointment_view(&appt, &config))
    }

    /// Check in for today's appointment, by booking number or by the card read: a ticket with appointment
    /// priority in the appointment's category.
    pub async fn check_in(
        &self,
        identity: Option<&str>,
        booking_number: Option<&str>,
    ) -> Result<TicketView, TerminalError> {
        if !matches!(self.profile().mode, Mode::QueueTicket | Mode::SelfService) {
            return Err(TerminalError::NotAQueueMachine(
                self.profile().mode.as_str(),
            ));
        }
        let config = self.queue_config().await?;
        let rules = config
            .appointments
            .as_ref()
            .ok_or(TerminalError::NoAppointments)?
            .rules
            .clone();
        let who = identity.map(|t| self.take_identity(t)).transpose()?;
        let now = self.clock.now();
        let today = hall_day(now);
        let mut candidates: Vec<Record<Appointment>> = self
            .appointments()
            .await?
            .into_iter()
            .filter(|r| match (booking_number, &who) {
                (Some(b), _) => r.body.booking_number.eq_ignore_ascii_case(b.trim()),
                (None, Some(w)) => r.body.person_key == w.person_key && r.body.date == today,
                (None, None) => false,
            })
            .collect();
        // Several bookings today: the one whose slot is nearest to now first.
        candidates.sort_by_key(|r| {
            (
                r.body.status != AppointmentStatus::Booked,
                r.body.date.clone(),
                r.body.slot.clone(),
            )
        });
        let found = candidates
            .into_iter()
            .next()
            .ok_or(TerminalError::Appointment(
                appointment::AppointmentError::NotFound(
                    booking_number.unwrap_or_default().to_string(),
                ),
            ))?;
        let checked = appointment::check_in(&found.body, now, &rules)?;
        let (store, id, updated) = (
            Arc::clone(&self.store),
            found.header.id.clone(),
            checked.clone(),
        );
        blocking(move || store.update::<Appointment>(&id, Durability::Promised, |a| *a = updated))
            .await?;
        let held = who.or_else(|| {
            // Checked in by number: the ticket still shows the booked person's masked name.
            Some(HeldIdentity {
                name: checked.name_masked.clone(),
                id_number_masked: String::new(),
                id_number: None,
                age: 0,
                person_key: checked.person_key.clone(),
                expires: now,
            })
        });
        self.issue(
            &checked.category,
            Priority::Appointment,
            held.as_ref(),
            Some(checked.booking_number.clone()),
        )
        .await
    }

    // ---- The clerk's window ----

    pub(super) fn window_number(&self) -> Result<u32, TerminalError> {
        if self.profile().mode != Mode::Window {
            return Err(TerminalError::WrongMode("window"));
        }
        self.profile()
            .queue
            .window
            .ok_or(TerminalError::NoWindowNumber)
    }

    async fn window_sessions(&self) -> Result<Vec<Record<WindowSession>>, TerminalError> {
        let hall = &self.profile().terminal.hall_id;
        let day = hall_day(self.clock.now());
        Ok(self
            .records::<WindowSession>()
            .await?
            .into_iter()
            .map(|(r, _)| r)
            .filter(|r| &r.body.hall_id == hall && r.body.day == day)
            .collect())
    }

    /// This desk's open session, if a clerk is signed in.
    pub(super) async fn my_session(&self) -> Result<Option<Record<WindowSession>>, TerminalError> {
        let window = self.window_number()?;
        let me = self.profile().terminal.id.clone();
        Ok(self
            .window_sessions()
            .await?
            .into_iter()
            .filter(|r| r.body.window == window && r.body.terminal == me && r.body.is_open())
            .max_by_key(|r| r.body.opened_at_ms))
    }

    /// This window's ticket being served, if it won the call.
    fn my_current(&self, tickets: &[(Record<Ticket>, SyncStatus)], window: u32) -> Option<usize> {
        let me = &self.profile().terminal.id;
        tickets.iter().position(|(r, _)| {
            let s = r.body.state();
            s.status == TicketStatus::Called
                && s.winner
                    .is_some_and(|c| c.window == window && &c.terminal == me)
        })
    }

    /// Give up calls this window lost to another window (seen after a sync): the clerk is told once and the
    /// next ticket is called for them.
    pub(crate) async fn settle_lost_calls(&self) -> Result<(), TerminalError> {
        let Ok(window) = self.window_number() else {
            return Ok(());
        };
        let _desk = self.desk.lock().await;
        let me = self.profile().terminal.id.clone();
        let now = self.clock.now();
        let tickets = self.todays_tickets(now).await?;
        let mut lost_any = None;
        for (rec, _) in &tickets {
            let keys = rec.body.lost_claims(window, &me);
            if keys.is_empty() {
                continue;
            }
            let winner = rec.body.state().winner.map_or(0, |c| c.window);
            tracing::info!(ticket = %rec.body.display_number(), winner, "call lost to another window");
            lost_any = Some(LostCallView {
                number: rec.body.display_number(),
                window: winner,
            });
            let (store, id, at) = (Arc::clone(&self.store), rec.header.id.clone(), unix_ms(now));
            blocking(move || {
                store.update::<Ticket>(&id, Durability::Promised, |t| {
                    for k in &keys {
                        if let Some(c) = t.claims.get_mut(k) {
                            c.outcome = Some(Outcome::Yielded);
                            c.ended_at_ms = Some(at);
                        }
                    }
                })
            })
            .await?;
        }
        if let Some(lost) = lost_any {
            *self.lost_call.lock().unwrap_or_else(|p| p.into_inner()) = Some(lost);
            let session = self.my_session().await?;
            let tickets = self.todays_tickets(now).await?;
            if session.is_some_and(|s| !s.body.paused)
                && self.my_current(&tickets, window).is_none()
            {
                self.call_next_locked(window, &tickets).await?;
            }
            self.emit(TerminalEvent::TicketsChanged);
        }
        Ok(())
    }

    /// The clerk's desk as the window screen shows it.
    pub async fn window_state(&self, actor: &Actor) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        self.desk_state().await
    }

    async fn desk_state(&self) -> Result<WindowStateView, TerminalError> {
        self.settle_lost_calls().await?;
        let window = self.window_number()?;
        let config = self.queue_config().await?;
        let session = self.my_session().await?;
        let tickets = self.todays_tickets(self.clock.now()).await?;
        let categories = config.categories_of(window);
        let day = hall_day(self.clock.now());
        let current = self.my_current(&tickets, window).map(|i| {
            let (rec, status) = &tickets[i];
            self.ticket_view(rec, *status, 0, &config)
        });
        let waiting = tickets
            .iter()
            .filter(|(r, _)| {
                let s = r.body.state();
                s.status == TicketStatus::Waiting
                    && match s.target_window {
                        Some(w) => w == window,
                        None => categories.contains(&s.category),
                    }
            })
            .count();
        let bodies: Vec<Ticket> = tickets.iter().map(|(r, _)| r.body.clone()).collect();
        let sessions: Vec<WindowSession> = self
            .window_sessions()
            .await?
            .into_iter()
            .map(|r| r.body)
            .collect();
        let ratings = self.rating_bodies().await?;
        let k = kpi::compute(
            &day,
            &bodies,
            &sessions,
            &ratings,
            &config.category_names(),
            &BTreeMap::new(),
        );
        let kpi = k
            .windows
            .into_iter()
            .find(|w| w.window == window)
            .map(|w| w.kpi)
            .unwrap_or_default();
        let lost = self
            .lost_call
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        Ok(WindowStateView {
            window,
            label: config.window_label(window),
            staff: config
                .staff
                .iter()
                .filter(|s| s.windows.is_empty() || s.windows.contains(&window))
                .map(|s| StaffView {
                    id: s.id.clone(),
                    name: s.name.clone(),
                })
                .collect(),
            session: session.map(|s| SessionView {
                staff_id: s.body.staff_id,
                staff_name: s.body.staff_name,
                opened_at: rfc3339(from_unix_ms(s.body.opened_at_ms)),
                paused: s.body.paused,
            }),
            categories,
            current,
            lost,
            recalls_before_no_show: self.profile().queue.recalls_before_no_show,
            waiting,
            kpi,
        })
    }

    /// Sign a clerk in: this opens the window (a session record; any earlier one of this desk is closed).
    pub async fn window_sign_in(&self, actor: &Actor) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        let me = actor.staff().ok_or(StaffError::LoginRequired)?;
        let window = self.window_number()?;
        let config = self.queue_config().await?;
        // The account's windows, else the hall file's list of who works where.
        let allowed = me.windows.contains(&window)
            || config.staff.iter().any(|s| {
                s.id == me.staff_id && (s.windows.is_empty() || s.windows.contains(&window))
            });
        if !allowed {
            return Err(TerminalError::UnknownStaff(me.staff_id.clone()));
        }
        let staff = StaffMember {
            id: me.staff_id.clone(),
            name: me.name.clone(),
            windows: me.windows.clone(),
        };
        if self.my_session().await?.is_some() {
            self.window_sign_out(actor).await?;
        }
        let now = self.clock.now();
        let session = WindowSession {
            hall_id: self.profile().terminal.hall_id.clone(),
            day: hall_day(now),
            window,
            terminal: self.profile().terminal.id.clone(),
            staff_id: staff.id.clone(),
            staff_name: staff.name.clone(),
            opened_at_ms: unix_ms(now),
            closed_at_ms: None,
            paused: false,
        };
        let (store, scope) = (Arc::clone(&self.store), self.hall_scope());
        // From now on this desk's writes are the clerk's in the audit log.
        self.store.set_operator(Some(actor.audit_name()));
        blocking(move || store.create(&scope, &session, Durability::Promised)).await?;
        tracing::info!(window, staff = %staff.id, "window opened");
        self.window_changed();
        self.desk_state().await
    }

    /// Sign the clerk out: the current ticket is finished, then the window closes.
    pub async fn window_sign_out(&self, actor: &Actor) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        let window = self.window_number()?;
        {
            let _desk = self.desk.lock().await;
            let tickets = self.todays_tickets(self.clock.now()).await?;
            self.end_current(window, &tickets, Outcome::Served, None, None)
                .await?;
            if let Some(s) = self.my_session().await? {
                let (store, at) = (Arc::clone(&self.store), unix_ms(self.clock.now()));
                blocking(move || {
                    store.update::<WindowSession>(&s.header.id, Durability::Promised, |w| {
                        w.closed_at_ms = Some(at)
                    })
                })
                .await?;
                tracing::info!(window, "window closed");
            }
            self.store.set_operator(None);
        }
        self.reset_customer_screen();
        self.window_changed();
        self.desk_state().await
    }

    /// Finish the current ticket (served) and call the next one by priority, then issue time.
    pub async fn window_call_next(&self, actor: &Actor) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        self.settle_lost_calls().await?;
        let window = self.window_number()?;
        {
            let _desk = self.desk.lock().await;
            let session = self
                .my_session()
                .await?
                .ok_or(TerminalError::WindowClosed)?;
            if session.body.paused {
                return Err(TerminalError::WindowPaused);
            }
            let tickets = self.todays_tickets(self.clock.now()).await?;
            self.end_current(window, &tickets, Outcome::Served, None, None)
                .await?;
            let tickets = self.todays_tickets(self.clock.now()).await?;
            self.call_next_locked(window, &tickets).await?;
        }
        // A new applicant (also after a case served without a ticket): the screen shows the nameplate.
        self.reset_customer_screen();
        self.window_changed();
        self.desk_state().await
    }

    /// Call the next ticket for `window` (the desk lock is held by the caller).
    async fn call_next_locked(
        &self,
        window: u32,
        tickets: &[(Record<Ticket>, SyncStatus)],
    ) -> Result<(), TerminalError> {
        let config = self.queue_config().await?;
        let categories = config.categories_of(window);
        let now = self.clock.now();
        let bodies: Vec<&Ticket> = tickets.iter().map(|(r, _)| &r.body).collect();
        let Some(next) =
            next_for_window(bodies.iter().copied(), window, &categories, &hall_day(now))
        else {
            return Ok(());
        };
        let id = tickets
            .iter()
            .find(|(r, _)| std::ptr::eq(&r.body, next))
            .map(|(r, _)| r.header.id.clone())
            .expect("the ticket comes from this list");
        let staff = self
            .my_session()
            .await?
            .map(|s| s.body.staff_id)
            .unwrap_or_default();
        let (store, me) = (Arc::clone(&self.store), self.profile().terminal.id.clone());
        let number = next.display_number();
        blocking(move || {
            store.update::<Ticket>(&id, Durability::Promised, |t| {
                t.add_claim(window, &me, &staff, now)
            })
        })
        .await?;
        tracing::info!(ticket = %number, window, "called");
        self.sync_now.notify_one();
        Ok(())
    }

    /// End this window's current ticket with `outcome` (the desk lock is held by the caller).
    async fn end_current(
        &self,
        window: u32,
        tickets: &[(Record<Ticket>, SyncStatus)],
        outcome: Outcome,
        transfer_category: Option<String>,
        transfer_window: Option<u32>,
    ) -> Result<bool, TerminalError> {
        let Some(i) = self.my_current(tickets, window) else {
            return Ok(false);
        };
        let rec = &tickets[i].0;
        let key = rec
            .body
            .state()
            .winner
            .map(|c| c.map_key())
            .expect("a current ticket has a winning claim");
        let (store, id, at) = (
            Arc::clone(&self.store),
            rec.header.id.clone(),
            unix_ms(self.clock.now()),
        );
        blocking(move || {
            store.update::<Ticket>(&id, Durability::Promised, |t| {
                if let Some(c) = t.claims.get_mut(&key) {
                    c.outcome = Some(outcome);
                    c.ended_at_ms = Some(at);
                    c.transfer_category = transfer_category;
                    c.transfer_window = transfer_window;
                }
            })
        })
        .await?;
        self.sync_now.notify_one();
        // The next person at the desk must not see this one's case.
        self.reset_customer_screen();
        Ok(true)
    }

    /// Announce the current ticket again.
    pub async fn window_recall(&self, actor: &Actor) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        let window = self.window_number()?;
        {
            let _desk = self.desk.lock().await;
            let tickets = self.todays_tickets(self.clock.now()).await?;
            let i = self
                .my_current(&tickets, window)
                .ok_or(TerminalError::NoCurrentTicket)?;
            let rec = &tickets[i].0;
            let key = rec
                .body
                .state()
                .winner
                .map(|c| c.map_key())
                .unwrap_or_default();
            let (store, id) = (Arc::clone(&self.store), rec.header.id.clone());
            blocking(move || {
                store.update::<Ticket>(&id, Durability::Promised, |t| {
                    if let Some(c) = t.claims.get_mut(&key) {
                        c.recalls += 1;
                    }
                })
            })
            .await?;
            self.sync_now.notify_one();
        }
        self.window_changed();
        self.desk_state().await
    }

    /// The person did not come (过号): allowed after the profile's number of recalls.
    pub async fn window_no_show(&self, actor: &Actor) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        self.end_current_and_answer(Outcome::NoShow, None, None)
            .await
    }

    /// The current ticket is done.
    pub async fn window_finish(&self, actor: &Actor) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        self.end_current_and_answer(Outcome::Served, None, None)
            .await
    }

    /// End this window's current ticket with `outcome` under the desk lock (a no-show only after enough
    /// recalls), then answer with the desk's new state.
    async fn end_current_and_answer(
        &self,
        outcome: Outcome,
        transfer_category: Option<String>,
        transfer_window: Option<u32>,
    ) -> Result<WindowStateView, TerminalError> {
        let window = self.window_number()?;
        {
            let _desk = self.desk.lock().await;
            let tickets = self.todays_tickets(self.clock.now()).await?;
            if outcome == Outcome::NoShow {
                let i = self
                    .my_current(&tickets, window)
                    .ok_or(TerminalError::NoCurrentTicket)?;
                let recalls = tickets[i].0.body.state().winner.map_or(0, |c| c.recalls);
                let needed = u32::from(self.profile().queue.recalls_before_no_show);
                if recalls < needed {
                    return Err(TerminalError::RecallFirst(needed));
                }
            }
            if !self
                .end_current(
                    window,
                    &tickets,
                    outcome,
                    transfer_category,
                    transfer_window,
                )
                .await?
            {
                return Err(TerminalError::NoCurrentTicket);
            }
        }
        self.window_changed();
        self.desk_state().await
    }

    /// The current ticket's applicant unmasked (name and full ID number), for a clerk allowed to see personal
    /// data. Every opening is an audit event naming the ticket; nothing of it is logged.
    pub async fn window_applicant(&self, actor: &Actor) -> Result<ApplicantView, TerminalError> {
        actor.require(Permission::ViewPersonalData)?;
        let window = self.window_number()?;
        let tickets = self.todays_tickets(self.clock.now()).await?;
        let i = self
            .my_current(&tickets, window)
            .ok_or(TerminalError::NoCurrentTicket)?;
        let rec = &tickets[i].0;
        let applicant = rec
            .body
            .applicant
            .clone()
            .ok_or(TerminalError::NoCurrentTicket)?;
        self.audit(
            &actor.audit_name(),
            AuditAction::PersonalDataOpened,
            Some((TICKET_KIND, rec.header.id.as_str())),
            "applicant",
        )
        .await?;
        Ok(ApplicantView {
            id_number: applicant.id_number.unwrap_or(applicant.id_number_masked),
            name: applicant.name,
            age: applicant.age,
        })
    }

    /// Pause or resume calling (the call screen shows a paused window).
    pub async fn window_pause(
        &self,
        actor: &Actor,
        paused: bool,
    ) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        let session = self
            .my_session()
            .await?
            .ok_or(TerminalError::WindowClosed)?;
        let store = Arc::clone(&self.store);
        blocking(move || {
            store.update::<WindowSession>(&session.header.id, Durability::Promised, |w| {
                w.paused = paused
            })
        })
        .await?;
        self.sync_now.notify_one();
        self.window_changed();
        self.desk_state().await
    }

    /// Send the current ticket to another category or window; it keeps its issue time.
    pub async fn window_transfer(
        &self,
        actor: &Actor,
        category: Option<String>,
        to_window: Option<u32>,
    ) -> Result<WindowStateView, TerminalError> {
        actor.require(Permission::ServeWindow)?;
        let window = self.window_number()?;
        let config = self.queue_config().await?;
        if let Some(c) = &category {
            if config.category(c).is_none() {
                return Err(TerminalError::UnknownCategory(c.clone()));
            }
        }
        if let Some(w) = to_window {
            if !config.windows.iter().any(|x| x.number == w) || w == window {
                return Err(TerminalError::UnknownWindow(w));
            }
        }
        if category.is_none() && to_window.is_none() {
            return Err(TerminalError::UnknownCategory(String::new()));
        }
        self.end_current_and_answer(Outcome::Transferred, category, to_window)
            .await
    }

    fn window_changed(&self) {
        self.emit(TerminalEvent::TicketsChanged);
        self.emit(TerminalEvent::SyncChanged);
    }

    // ---- Call screen ----

    /// What the call screen shows: no personal data.
    pub async fn calls(&self) -> Result<CallsView, TerminalError> {
        let config = self.queue_config().await?;
        let now = self.clock.now();
        let tickets = self.todays_tickets(now).await?;
        let sessions: Vec<WindowSession> = self
            .window_sessions()
            .await?
            .into_iter()
            .map(|r| r.body)
            .collect();
        // Every winning call of the day: (called_at, number, window, still current).
        let mut calls: Vec<(i64, String, u32, bool)> = Vec::new();
        for (rec, _) in &tickets {
            let state = rec.body.state();
            for round in 0..=state.round {
                if let Some(w) = rec.body.winner_of(round) {
                    let current = round == state.round && state.status == TicketStatus::Called;
                    calls.push((w.called_at_ms, rec.body.display_number(), w.window, current));
                }
            }
        }
        calls.sort_by_key(|c| std::cmp::Reverse(c.0));
        let windows = config
            .windows
            .iter()
            .map(|w| {
                let open: Vec<&WindowSession> = sessions
                    .iter()
                    .filter(|s| s.window == w.number && s.is_open())
                    .collect();
                WindowCallView {
                    window: w.number,
                    label: w.label.clone(),
                    open: !open.is_empty(),
                    paused: !open.is_empty() && open.iter().all(|s| s.paused),
                    current: calls.iter().find(|c| c.2 == w.number && c.3).map(|c| {
                        CurrentCallView {
                            number: c.1.clone(),
                            called_at: rfc3339(from_unix_ms(c.0)),
                        }
                    }),
                }
            })
            .collect();
        let recent = calls
            .iter()
            .take(RECENT_CALLS)
            .map(|c| RecentCallView {
                number: c.1.clone(),
                window: c.2,
                called_at: rfc3339(from_unix_ms(c.0)),
            })
            .collect();
        let mut waiting: HashMap<String, usize> = HashMap::new();
        for (rec, _) in &tickets {
            let s = rec.body.state();
            if s.status == TicketStatus::Waiting {
                *waiting.entry(s.category).or_default() += 1;
            }
        }
        Ok(CallsView {
            windows,
            recent,
            waiting: config
                .categories
                .iter()
                .map(|c| WaitingView {
                    category: c.code.clone(),
                    name: c.name.clone(),
                    n: waiting.get(&c.code).copied().unwrap_or(0),
                })
                .collect(),
        })
    }

    /// Call screens announce every call and recall they learn of, once, in the order they were made.
    pub(crate) async fn announce_new_calls(&self) -> Result<(), TerminalError> {
        if self.profile().mode != Mode::CallScreen {
            return Ok(());
        }
        let now = self.clock.now();
        let tickets = self.todays_tickets(now).await?;
        let mut due: Vec<(i64, String, u32)> = Vec::new();
        {
            let mut announced = self.announced.lock().unwrap_or_else(|p| p.into_inner());
            for (rec, _) in &tickets {
                let state = rec.body.state();
                let (TicketStatus::Called, Some(w)) = (state.status, state.winner) else {
                    continue;
                };
                let key = format!("{}#{}", rec.header.id, w.map_key());
                let fresh = from_unix_ms(w.called_at_ms) + ANNOUNCE_FRESH > now;
                let before = announced.insert(key, w.recalls);
                if before.is_none_or(|r| r < w.recalls) && (fresh || before.is_some()) {
                    due.push((w.called_at_ms, rec.body.display_number(), w.window));
                }
            }
        }
        due.sort();
        for (_, number, window) in due {
            let devices = self.devices();
            let result = tokio::task::spawn_blocking(move || {
                devices.announce(&number, &window.to_string(), None, 1)
            })
            .await
            .map_err(|e| TerminalError::Task(e.to_string()))?;
            if let Err(error) = result {
                tracing::warn!(%error, "announcement not played");
            }
        }
        Ok(())
    }

    // ---- KPIs ----

    /// Today's KPIs of the hall, its windows and staff, from the raw records.
    pub async fn kpi(&self, actor: &Actor) -> Result<Kpi, TerminalError> {
        actor.require(Permission::ViewHallKpi)?;
        let config = self.queue_config().await?;
        let now = self.clock.now();
        let tickets: Vec<Ticket> = self
            .todays_tickets(now)
            .await?
            .into_iter()
            .map(|(r, _)| r.body)
            .collect();
        let sessions: Vec<WindowSession> = self
            .window_sessions()
            .await?
            .into_iter()
            .map(|r| r.body)
            .collect();
        let mut staff_names: BTreeMap<String, String> = config
            .staff
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect();
        for s in &sessions {
            staff_names
                .entry(s.staff_id.clone())
                .or_insert_with(|| s.staff_name.clone());
        }
        let ratings = self.rating_bodies().await?;
        Ok(kpi::compute(
            &hall_day(now),
            &tickets,
            &sessions,
            &ratings,
            &config.category_names(),
            &staff_names,
        ))
    }
}

/// Age in whole years on the hall day of `now`; 0 when the birth date does not parse.
fn age_on(birth_date: &str, now: OffsetDateTime) -> u8 {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(born) = Date::parse(birth_date, &format) else {
        return 0;
    };
    let today = now.to_offset(banshi_core::clock::HALL_UTC_OFFSET).date();
    let mut age = today.year() - born.year();
    if (today.month() as u8, today.day()) < (born.month() as u8, born.day()) {
        age -= 1;
    }
    age.clamp(0, 150) as u8
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn appointment_view(a: &Appointment, config: &QueueConfig) -> AppointmentView {
    let (start, end) = a.slot.split_once('-').unwrap_or((&a.slot, ""));
    AppointmentView {
        booking_number: a.booking_number.clone(),
        item_code: a.item_code.clone(),
        category: a.category.clone(),
        category_name: config
            .category(&a.category)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        date: a.date.clone(),
        slot: a.slot.clone(),
        slot_start: start.to_string(),
        slot_end: end.to_string(),
        status: a.status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn age_counts_whole_years_in_hall_time() {
        // 16:30 UTC on the 28th is already the 1st of March in the hall.
        assert_eq!(age_on("1956-03-01", datetime!(2026-02-28 16:30 UTC)), 70);
        assert_eq!(age_on("1956-03-01", datetime!(2026-02-28 15:30 UTC)), 69);
        assert_eq!(age_on("not a date", datetime!(2026-02-28 15:30 UTC)), 0);
    }
}
