//! Queue KPIs (brief §3.3): per window, per staff member and per hall, computed from the raw records.
//!
//! Nothing is counted as it happens: every figure is recomputed from the ticket and window-session records,
//! so figures on any terminal agree once their records agree, and a recount can always check them. Only
//! winning claims count ([`Ticket::state`]); a window's call that lost a race counts for nobody.
//!
//! Definitions: *wait* is issue → the first winning call; *service* is a winning call → its end as served;
//! *called* counts winning calls (a transferred ticket is called once per round).
//!
//! 好差评 figures count the ratings given on the day, one per case (the one that counts when offline
//! terminals took two, [`effective_rating`]), under the window and the staff member the rating names. They
//! are aggregates only: nothing here says who rated (brief §3.4).

use std::collections::BTreeMap;

use crate::clock::HALL_UTC_OFFSET;
use crate::queue::{from_unix_ms, hall_day, Outcome, Ticket, TicketStatus, WindowSession};
use crate::rating::{effective_rating, Rating, RatingChannel};
use serde::Serialize;

/// 好差评 figures of a window, a staff member or the hall.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RatingKpi {
    pub total: u32,
    /// By grade, 非常满意 first (index = level − 1).
    pub by_grade: [u32; 5],
    /// Default grades among them (nobody rated in time).
    pub defaulted: u32,
    /// 好评率 in percent: every grade but 不满意 and 非常不满意, over all; `None` without ratings.
    pub good_pct: Option<f64>,
}

impl RatingKpi {
    fn add(&mut self, rating: &Rating) {
        self.total += 1;
        self.by_grade[usize::from(rating.grade.level() - 1)] += 1;
        if rating.channel == RatingChannel::Default {
            self.defaulted += 1;
        }
        let bad = self.by_grade[3] + self.by_grade[4];
        self.good_pct = Some(f64::from(self.total - bad) * 100.0 / f64::from(self.total));
    }
}

/// Figures of one window or one staff member.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StaffKpi {
    pub called: u32,
    pub served: u32,
    pub no_shows: u32,
    pub avg_wait_secs: Option<f64>,
    pub avg_service_secs: Option<f64>,
    pub ratings: RatingKpi,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowKpi {
    pub window: u32,
    #[serde(flatten)]
    pub kpi: StaffKpi,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffMemberKpi {
    pub staff_id: String,
    pub name: String,
    #[serde(flatten)]
    pub kpi: StaffKpi,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryKpi {
    pub category: String,
    pub name: BTreeMap<String, String>,
    pub waiting: u32,
    pub served: u32,
    pub avg_wait_secs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HourKpi {
    /// Hall time, 0–23.
    pub hour: u8,
    pub issued: u32,
    pub served: u32,
    pub avg_wait_secs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HallKpi {
    pub windows_open: u32,
    pub waiting: u32,
    pub served: u32,
    pub no_shows: u32,
    pub avg_wait_secs: Option<f64>,
    pub by_category: Vec<CategoryKpi>,
    pub by_hour: Vec<HourKpi>,
    pub ratings: RatingKpi,
}

/// Everything the window panel and the admin screen show for one hall day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    pub day: String,
    pub hall: HallKpi,
    pub windows: Vec<WindowKpi>,
    pub staff: Vec<StaffMemberKpi>,
}

/// Running sums behind an average.
#[derive(Debug, Default, Clone, Copy)]
struct Mean {
    sum_ms: i64,
    n: u32,
}

impl Mean {
    fn add(&mut self, ms: i64) {
        self.sum_ms += ms.max(0);
        self.n += 1;
    }
    fn secs(self) -> Option<f64> {
        (self.n > 0).then(|| self.sum_ms as f64 / 1000.0 / f64::from(self.n))
    }
}

#[derive(Debug, Default, Clone)]
struct Acc {
    called: u32,
    served: u32,
    no_shows: u32,
    wait: Mean,
    service: Mean,
    ratings: RatingKpi,
}

impl Acc {
    fn finish(&self) -> StaffKpi {
        StaffKpi {
            called: self.called,
            served: self.served,
            no_shows: self.no_shows,
            avg_wait_secs: self.wait.secs(),
            avg_service_secs: self.service.secs(),
            ratings: self.ratings.clone(),
        }
    }
}

/// Category names for the per-category figures (code → language → name).
pub type CategoryNames = BTreeMap<String, BTreeMap<String, String>>;

/// Compute the KPIs of `day` from every ticket, window session and rating known.
pub fn compute(
    day: &str,
    tickets: &[Ticket],
    sessions: &[WindowSession],
    ratings: &[Rating],
    category_names: &CategoryNames,
    staff_names: &BTreeMap<String, String>,
) -> Kpi {
    let mut windows: BTreeMap<u32, Acc> = BTreeMap::new();
    let mut staff: BTreeMap<String, Acc> = BTreeMap::new();
    let mut categories: BTreeMap<String, (u32, u32, Mean)> = category_names
        .keys()
        .map(|c| (c.clone(), (0, 0, Mean::default())))
        .collect();
    let mut hours: BTreeMap<u8, (u32, u32, Mean)> = BTreeMap::new();
    let (mut waiting, mut served, mut no_shows, mut hall_wait) = (0, 0, 0, Mean::default());

    for t in tickets.iter().filter(|t| t.day == day) {
        let state = t.state();
        let hour = from_unix_ms(t.issued_at_ms)
            .to_offset(HALL_UTC_OFFSET)
            .hour();
        let hour_row = hours.entry(hour).or_default();
        hour_row.0 += 1;
        let cat_row = categories.entry(t.category.clone()).or_default();
        match state.status {
            TicketStatus::Waiting => {
                waiting += 1;
                cat_row.0 += 1;
            }
            TicketStatus::Done => {
                served += 1;
                cat_row.1 += 1;
                hour_row.1 += 1;
            }
            TicketStatus::NoShow => no_shows += 1,
            TicketStatus::Called => {}
        }
        // Walk the rounds' winners: each is one call by one window and one staff member.
        for round in 0..=state.round {
            let Some(w) = t.winner_of(round) else { break };
            let win = windows.entry(w.window).or_default();
            let person = staff.entry(w.staff_id.clone()).or_default();
            for acc in [&mut *win, &mut *person] {
                acc.called += 1;
            }
            if round == 0 {
                let wait = w.called_at_ms - t.issued_at_ms;
                win.wait.add(wait);
                person.wait.add(wait);
                hall_wait.add(wait);
                cat_row.2.add(wait);
                hour_row.2.add(wait);
            }
            match (w.outcome, w.ended_at_ms) {
                (Some(Outcome::Served), Some(end)) => {
                    for acc in [&mut *win, &mut *person] {
                        acc.served += 1;
                        acc.service.add(end - w.called_at_ms);
                    }
                }
                (Some(Outcome::NoShow), _) => {
                    win.no_shows += 1;
                    person.no_shows += 1;
                }
                _ => {}
            }
        }
    }

    let mut by_case: BTreeMap<&str, Vec<&Rating>> = BTreeMap::new();
    for r in ratings {
        by_case.entry(r.case_id.as_str()).or_default().push(r);
    }
    let mut hall_ratings = RatingKpi::default();
    for r in by_case
        .into_values()
        .filter_map(effective_rating)
        .filter(|r| hall_day(from_unix_ms(r.submitted_at_ms)) == day)
    {
        hall_ratings.add(r);
        if let Some(w) = r.window {
            windows.entry(w).or_default().ratings.add(r);
        }
        if let Some(s) = &r.staff_id {
            staff.entry(s.clone()).or_default().ratings.add(r);
        }
    }

    let windows_open = sessions
        .iter()
        .filter(|s| s.day == day && s.is_open())
        .map(|s| s.window)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u32;
    Kpi {
        day: day.to_string(),
        hall: HallKpi {
            windows_open,
            waiting,
            served,
            no_shows,
            avg_wait_secs: hall_wait.secs(),
            by_category: categories
                .into_iter()
                .map(|(category, (waiting, served, wait))| CategoryKpi {
                    name: category_names.get(&category).cloned().unwrap_or_default(),
                    category,
                    waiting,
                    served,
                    avg_wait_secs: wait.secs(),
                })
                .collect(),
            by_hour: hours
                .into_iter()
                .map(|(hour, (issued, served, wait))| HourKpi {
                    hour,
                    issued,
                    served,
                    avg_wait_secs: wait.secs(),
                })
                .collect(),
            ratings: hall_ratings,
        },
        windows: windows
            .into_iter()
            .map(|(window, acc)| WindowKpi {
                window,
                kpi: acc.finish(),
            })
            .collect(),
        staff: staff
            .into_iter()
            .map(|(staff_id, acc)| StaffMemberKpi {
                name: staff_names.get(&staff_id).cloned().unwrap_or_default(),
                staff_id,
                kpi: acc.finish(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{hall_day, Claim};
    use time::macros::datetime;

    fn served(t: &mut Ticket, window: u32, staff: &str, called_min: i64, end_min: i64) {
        let t0 = t.issued_at();
        t.add_claim(
            window,
            &format!("ck-{window}"),
            staff,
            t0 + time::Duration::minutes(called_min),
        );
        let key = format!("{}/{window}/ck-{window}", t.state().round);
        let c: &mut Claim = t.claims.get_mut(&key).unwrap();
        c.outcome = Some(Outcome::Served);
        c.ended_at_ms = Some(c.called_at_ms + (end_min - called_min) * 60_000);
    }

    #[test]
    fn waits_and_service_times_average_over_winning_calls_only() {
        let t0 = datetime!(2026-11-23 09:00 +8);
        let mut a = Ticket::issue("h", "A", 1, "qm", t0);
        served(&mut a, 1, "s1", 10, 15);
        // A losing concurrent call by window 2 counts for nobody.
        a.add_claim(2, "ck-2", "s2", t0 + time::Duration::minutes(11));
        let mut b = Ticket::issue("h", "A", 2, "qm", t0);
        served(&mut b, 1, "s1", 20, 30);
        let waiting = Ticket::issue("h", "B", 1, "qm", t0 + time::Duration::hours(1));
        let names = CategoryNames::new();
        let k = compute(
            &hall_day(t0),
            &[a, b, waiting],
            &[],
            &[],
            &names,
            &BTreeMap::new(),
        );
        assert_eq!(k.windows.len(), 1);
        let w1 = &k.windows[0].kpi;
        assert_eq!((w1.called, w1.served), (2, 2));
        assert_eq!(w1.avg_wait_secs, Some(15.0 * 60.0));
        assert_eq!(w1.avg_service_secs, Some(7.5 * 60.0));
        assert_eq!((k.hall.waiting, k.hall.served), (1, 2));
        assert_eq!(k.hall.by_hour.iter().map(|h| h.issued).sum::<u32>(), 3);
        assert_eq!(k.staff[0].staff_id, "s1");
    }

    #[test]
    fn ratings_count_once_per_case_under_their_window_and_staff_on_their_day() {
        use crate::rating::Grade;
        let t0 = datetime!(2026-11-23 10:00 +8);
        let at = |min: i64| (t0 + time::Duration::minutes(min)).unix_timestamp() * 1000;
        let rating =
            |case: &str, grade: Grade, window: Option<u32>, staff: &str, at_ms: i64| Rating {
                window,
                staff_id: Some(staff.into()),
                ..crate::rating::tests::rating(case, at_ms, grade)
            };
        let mut defaulted = rating("c3", Grade::Satisfied, None, "s2", at(30));
        defaulted.channel = RatingChannel::Default;
        let ratings = [
            rating("c1", Grade::VerySatisfied, Some(1), "s1", at(0)),
            // An offline terminal rated c1 again later: it does not count.
            rating("c1", Grade::VeryDissatisfied, Some(2), "s2", at(5)),
            rating("c2", Grade::Dissatisfied, Some(1), "s1", at(10)),
            defaulted,
            // Yesterday's.
            rating("c4", Grade::Basic, Some(1), "s1", at(-24 * 60)),
        ];
        let k = compute(
            &hall_day(t0),
            &[],
            &[],
            &ratings,
            &CategoryNames::new(),
            &BTreeMap::new(),
        );
        let hall = &k.hall.ratings;
        assert_eq!(
            (hall.total, hall.by_grade, hall.defaulted),
            (3, [1, 1, 0, 1, 0], 1)
        );
        assert_eq!(hall.good_pct, Some(200.0 / 3.0));
        assert_eq!(k.windows.len(), 1, "window 2's rating was the duplicate");
        let w1 = &k.windows[0].kpi.ratings;
        assert_eq!((w1.total, w1.good_pct), (2, Some(50.0)));
        let s2 = &k.staff.iter().find(|s| s.staff_id == "s2").expect("s2").kpi;
        assert_eq!((s2.ratings.total, s2.ratings.defaulted), (1, 1));
        assert_eq!(s2.called, 0, "rated, not called, today");
    }
}
