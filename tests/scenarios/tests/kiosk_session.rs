//! A kiosk's idle reset on the backend: the ID card read for one resident is forgotten, so the next person at
//! the screen cannot take a ticket (with the first one's elderly priority and name) on it.

use std::sync::Arc;

use banshi_core::{ErrorCode, ManualClock};
use banshi_idcard::sim::fixtures::CardFixture;
use banshi_idcard::sim::IdCardSimulator;
use banshi_scenarios::example_profile;
use banshi_terminal::{IssueRequest, Terminal};
use time::macros::datetime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_reset_forgets_the_id_card_held_for_the_last_resident() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = IdCardSimulator::start(dir.path().join("idcard")).expect("ID card simulator");
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
    let mut profile = example_profile("queue-ticket").expect("profile");
    profile.sync = None;
    profile.devices.ticket_printer = None;
    profile.devices.id_reader = Some(banshi_profile::SerialDevice {
        port: sim.link().display().to_string(),
        baud: 115_200,
        simulated: true,
    });
    let terminal = Terminal::open(profile, &dir.path().join("qm-01"), clock).expect("open");

    sim.place_card(CardFixture::resident().with_name("测试甲"));
    let first = terminal.identify().await.expect("card read");
    sim.remove_card();
    sim.place_card(CardFixture::resident().with_name("测试乙").with_sequence(7));
    let second = terminal.identify().await.expect("second card read");

    assert_eq!(terminal.reset_session(), 2, "both held cards are forgotten");
    for token in [first.token, second.token] {
        let error = terminal
            .issue_ticket_with(IssueRequest {
                category: "A".into(),
                identity: Some(token),
                ..IssueRequest::default()
            })
            .await
            .expect_err("the card is forgotten");
        assert_eq!(error.code(), "queue.identity_expired");
    }
    assert_eq!(terminal.reset_session(), 0);
}
