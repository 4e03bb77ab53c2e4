//! Calling in a hall (issue 5): a window's call reaches the call screen, which announces it from the clip
//! set; two windows calling the same ticket while cut off from each other resolve to one, and the clerk who
//! lost is told and gets the next ticket.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use banshi_core::queue::TicketStatus;
use banshi_scenarios::Hall;
use banshi_terminal::Terminal;

const HALL_FILE: &str = r#"
hall_id = "hk-longhua"
ticket_machines = ["qm-01"]

[[categories]]
code = "A"
name = { zh-CN = "个人业务" }
windows = [3, 5]

[[windows]]
number = 3
label = "3号窗口"
[[windows]]
number = 5
label = "5号窗口"

[[staff]]
id = "s3"
name = "张伟"
[[staff]]
id = "s5"
name = "王芳"
windows = [5]
"#;

fn clips() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../drivers/voice/clips")
}

/// The clip scripts written so far, in playing order.
fn scripts(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("script"))
        .collect()
}

async fn wait_for_scripts(dir: &Path, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let found = scripts(dir);
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    scripts(dir)
}

async fn window(hall: &Hall, id: &str, number: u32) -> Arc<Terminal> {
    hall.terminal_with("window", id, move |p| p.queue.window = Some(number))
        .await
        .expect("window")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_at_window_5_is_announced_by_the_call_screen_with_the_right_clips() {
    let hall = Hall::start().await.expect("hall");
    let spoken = tempfile::tempdir().expect("tmp");
    let admin = hall.terminal("admin", "admin-01").await.expect("admin");
    admin
        .import_hall(&banshi_scenarios::staff::manager(&admin).await, HALL_FILE)
        .await
        .expect("hall file");
    admin.sync_now().await;
    let qm = hall.terminal("queue-ticket", "qm-01").await.expect("qm");
    let desk = window(&hall, "ck-05", 5).await;
    let output = format!("wav:{}", spoken.path().display());
    let screen = hall
        .terminal_with("call-screen", "screen-01", |p| {
            let voice = p.devices.voice.as_mut().expect("the example has voice");
            voice.clips = clips().display().to_string();
            voice.output = output;
        })
        .await
        .expect("screen");
    for t in [&qm, &desk, &screen] {
        t.sync_now().await;
    }

    let ticket = qm.issue_ticket("A").await.expect("issue");
    assert_eq!(ticket.number, "A001");
    qm.sync_now().await;
    desk.sync_now().await;
    desk.window_sign_in(&banshi_scenarios::staff::clerk(&desk, "s5").await)
        .await
        .expect("sign in");
    let state = desk
        .window_call_next(&banshi_scenarios::staff::desk_clerk(&desk).await)
        .await
        .expect("call");
    assert_eq!(
        state.current.as_ref().map(|t| t.number.as_str()),
        Some("A001")
    );
    desk.sync_now().await;
    screen.sync_now().await;

    let said = wait_for_scripts(spoken.path(), 1).await;
    assert_eq!(
        said,
        vec!["chime please letter_A digit_0 digit_0 digit_1 hao dao digit_5 hao_window handle"],
        "请 A001 号到 5 号窗口办理"
    );
    let calls = screen.calls().await.expect("calls");
    let five = calls
        .windows
        .iter()
        .find(|w| w.window == 5)
        .expect("window 5");
    assert!(five.open);
    assert_eq!(
        five.current.as_ref().map(|c| c.number.as_str()),
        Some("A001")
    );

    // No-show (过号) only after the profile's two recalls.
    let early = desk
        .window_no_show(&banshi_scenarios::staff::desk_clerk(&desk).await)
        .await
        .unwrap_err();
    assert_eq!(banshi_core::ErrorCode::code(&early), "queue.recall_first");

    // A recall is announced again; a sync that brings nothing new announces nothing.
    desk.window_recall(&banshi_scenarios::staff::desk_clerk(&desk).await)
        .await
        .expect("recall");
    desk.sync_now().await;
    screen.sync_now().await;
    screen.sync_now().await;
    let said = wait_for_scripts(spoken.path(), 2).await;
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(said[0], said[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_windows_calling_the_same_ticket_offline_resolve_to_one_and_the_loser_gets_the_next() {
    let hall = Hall::start().await.expect("hall");
    let admin = hall.terminal("admin", "admin-01").await.expect("admin");
    admin
        .import_hall(&banshi_scenarios::staff::manager(&admin).await, HALL_FILE)
        .await
        .expect("hall file");
    admin.sync_now().await;
    let qm = hall.terminal("queue-ticket", "qm-01").await.expect("qm");
    let w3 = window(&hall, "ck-03", 3).await;
    let w5 = window(&hall, "ck-05", 5).await;
    for t in [&qm, &w3, &w5] {
        t.sync_now().await;
    }
    let first = qm.issue_ticket("A").await.expect("issue");
    let second = qm.issue_ticket("A").await.expect("issue");
    qm.sync_now().await;
    w3.sync_now().await;
    w5.sync_now().await;
    w3.window_sign_in(&banshi_scenarios::staff::clerk(&w3, "s3").await)
        .await
        .expect("sign in");
    w5.window_sign_in(&banshi_scenarios::staff::clerk(&w5, "s5").await)
        .await
        .expect("sign in");

    // Neither syncs before calling: both call the first ticket. Window 5 calls first.
    let at5 = w5
        .window_call_next(&banshi_scenarios::staff::desk_clerk(&w5).await)
        .await
        .expect("call");
    let at3 = w3
        .window_call_next(&banshi_scenarios::staff::desk_clerk(&w3).await)
        .await
        .expect("call");
    assert_eq!(at5.current.as_ref().map(|t| &t.number), Some(&first.number));
    assert_eq!(at3.current.as_ref().map(|t| &t.number), Some(&first.number));

    // They meet: window 5's earlier call wins on both; window 3 is told and has the next ticket.
    w5.sync_now().await;
    w3.sync_now().await;
    w5.sync_now().await;
    let at3 = w3
        .window_state(&banshi_scenarios::staff::desk_clerk(&w3).await)
        .await
        .expect("state");
    let lost = at3.lost.expect("window 3 is told it lost");
    assert_eq!(
        (lost.number.as_str(), lost.window),
        (first.number.as_str(), 5)
    );
    assert_eq!(
        at3.current.as_ref().map(|t| &t.number),
        Some(&second.number)
    );
    let at5 = w5
        .window_state(&banshi_scenarios::staff::desk_clerk(&w5).await)
        .await
        .expect("state");
    assert!(at5.lost.is_none());
    assert_eq!(at5.current.as_ref().map(|t| &t.number), Some(&first.number));
    // Told once.
    assert!(w3
        .window_state(&banshi_scenarios::staff::desk_clerk(&w3).await)
        .await
        .expect("state")
        .lost
        .is_none());
    // Once window 3's new call reaches the hall, both tickets are called, each at one window.
    w3.sync_now().await;
    qm.sync_now().await;
    let everywhere_after = qm
        .list_tickets(&banshi_scenarios::staff::supervisor(&qm).await)
        .await
        .expect("list");
    assert_eq!(everywhere_after.len(), 2);
    for t in &everywhere_after {
        assert_eq!(t.status, TicketStatus::Called);
    }
    let by_number = |n: &str| {
        everywhere_after
            .iter()
            .find(|t| t.number == n)
            .unwrap()
            .window
    };
    assert_eq!(by_number(&first.number), Some(5));
    assert_eq!(by_number(&second.number), Some(3));
}

/// A booked appointment at `start` (hall time) for today, stored as if it had arrived through sync.
fn appointment(
    booking: &str,
    start: time::OffsetDateTime,
) -> banshi_core::appointment::Appointment {
    let local = start.to_offset(banshi_core::clock::HALL_UTC_OFFSET);
    // A slot ends on the day it starts: near midnight it is cut at 23:59.
    let end = (local + time::Duration::minutes(30)).min(
        local
            .replace_time(time::Time::from_hms(23, 59, 0).expect("23:59"))
            .max(local),
    );
    banshi_core::appointment::Appointment {
        hall_id: "hk-longhua".into(),
        booking_number: booking.into(),
        item_code: "11460100MB1234567X4000111001000".into(),
        category: "A".into(),
        window: 5,
        date: banshi_core::queue::hall_day(local),
        slot: format!(
            "{:02}:{:02}-{:02}:{:02}",
            local.hour(),
            local.minute(),
            end.hour(),
            end.minute()
        ),
        person_key: "k".into(),
        name_masked: "测*甲".into(),
        status: banshi_core::appointment::AppointmentStatus::Booked,
        booked_at_ms: 0,
        changed_at_ms: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appointment_checks_in_only_within_its_window_and_gets_appointment_priority() {
    let hall = Hall::start().await.expect("hall");
    let admin = hall.terminal("admin", "admin-01").await.expect("admin");
    let with_appointments = format!(
        "{HALL_FILE}\n[[appointments.items]]\ncode = \"11460100MB1234567X4000111001000\"\nname = \"居民身份证换领\"\n\
         category = \"A\"\nwindow = 5\nslots = [\"09:00-09:30\"]\ncapacity = 20\n"
    );
    let manager = banshi_scenarios::staff::manager(&admin).await;
    admin
        .import_hall(&manager, &with_appointments)
        .await
        .expect("hall file");
    admin.sync_now().await;
    let qm = hall.terminal("queue-ticket", "qm-01").await.expect("qm");
    qm.sync_now().await;
    let now = time::OffsetDateTime::now_utc();
    let local = now.to_offset(banshi_core::clock::HALL_UTC_OFFSET);
    // Slots are within one hall day: near midnight the "later" slot would wrap, so this test needs the clock
    // between 00:00 and 21:00 hall time to place both.
    let later = now + time::Duration::hours(2);
    let store = qm.store();
    let scope = banshi_core::queue::hall_scope("hk-longhua");
    // Due in ten minutes; after 23:20 hall time such a slot would run into tomorrow, so it started five minutes
    // ago instead (still inside the late check-in window).
    let soon_at = if banshi_core::queue::hall_day(now + time::Duration::minutes(40))
        == banshi_core::queue::hall_day(now)
    {
        now + time::Duration::minutes(10)
    } else {
        now - time::Duration::minutes(5)
    };
    let soon = appointment("B-SOON", soon_at);
    let too_early = appointment("B-LATER", later);
    let placeable = local.hour() < 21;
    for a in [&soon, &too_early] {
        store
            .create(&scope, a, banshi_store::Durability::Promised)
            .expect("store");
    }
    let missing = qm.check_in(None, Some("NO-SUCH")).await.unwrap_err();
    assert_eq!(
        banshi_core::ErrorCode::code(&missing),
        "appointment.not_found"
    );
    if placeable {
        let refused = qm.check_in(None, Some("B-LATER")).await.unwrap_err();
        assert_eq!(
            banshi_core::ErrorCode::code(&refused),
            "appointment.too_early"
        );
    }
    let ticket = qm.check_in(None, Some("b-soon")).await.expect("check in");
    assert_eq!(ticket.priority, banshi_core::queue::Priority::Appointment);
    assert_eq!(ticket.appointment.as_deref(), Some("B-SOON"));
    assert_eq!(ticket.category, "A");
    let again = qm.check_in(None, Some("B-SOON")).await.unwrap_err();
    assert_eq!(
        banshi_core::ErrorCode::code(&again),
        "appointment.already_checked_in"
    );
}
