//! Retention on a queue machine: a resident's ticket leaves the terminal once synced and older than the
//! profile's days; one not yet synced stays whatever its age.

use std::sync::Arc;

use banshi_core::queue::{hall_scope, Applicant, Ticket};
use banshi_core::ManualClock;
use banshi_scenarios::example_profile;
use banshi_store::{Durability, SyncStatus};
use banshi_terminal::Terminal;
use time::macros::datetime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_forgets_synced_personal_data_after_its_retention_days_but_keeps_unsynced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
    let mut profile = example_profile("queue-ticket").expect("profile");
    profile.sync = None;
    assert_eq!(profile.security.retention_days_for(profile.mode), 1);
    let terminal = Terminal::open(profile, dir.path(), clock.clone()).expect("open");
    let store = terminal.store();
    let ticket_on = |at, number| {
        let mut t = Ticket::issue("hk-longhua", "A", number, "hk-longhua-qm-01", at);
        t.applicant = Some(Applicant {
            name: "测试甲".into(),
            id_number_masked: "4601**********1234".into(),
            age: 70,
            id_number: Some("460100195603011234".into()),
        });
        t
    };
    let scope = hall_scope("hk-longhua");
    let mut ids = Vec::new();
    for (at, synced) in [
        (datetime!(2026-11-21 10:00 +8), true), // three days old, synced: goes
        (datetime!(2026-11-21 10:05 +8), false), // three days old, never synced: stays
        (datetime!(2026-11-23 10:00 +8), true), // yesterday: within one day, stays
        (datetime!(2026-11-24 08:30 +8), true), // today: stays
    ] {
        let header = store
            .create(
                &scope,
                &ticket_on(at, ids.len() as u32 + 1),
                Durability::Normal,
            )
            .expect("ticket");
        if synced {
            store
                .set_sync_status(&header.id, SyncStatus::Synced, None)
                .expect("synced");
        }
        ids.push(header.id);
    }
    assert_eq!(
        terminal.purge_expired_personal_data().await.expect("purge"),
        1
    );
    let left: Vec<String> = store
        .list::<Ticket>()
        .expect("list")
        .into_iter()
        .map(|(r, _)| r.header.id)
        .collect();
    assert_eq!(left, ids[1..].to_vec());

    // A day later yesterday's ticket has aged out too; the unsynced one still stays.
    clock.advance(time::Duration::days(1));
    assert_eq!(
        terminal.purge_expired_personal_data().await.expect("purge"),
        1
    );
    assert_eq!(store.list::<Ticket>().expect("list").len(), 2);
    assert!(store.get::<Ticket>(&ids[1]).expect("get").is_some());
}
