//! Staff login on terminals: lockout by the terminal's clock, idle sessions, offline login against the
//! verifiers synced to the hall, and the clerk opening a resident's data that the terminal's files never hold
//! in clear.

use std::sync::Arc;

use banshi_core::queue::{hall_scope, Applicant, Ticket};
use banshi_core::staff::{Permission, Role};
use banshi_core::{ErrorCode, ManualClock};
use banshi_scenarios::staff::{ensure_account, TEST_PASSWORD};
use banshi_scenarios::{example_profile, Hall};
use banshi_store::Durability;
use banshi_terminal::{StaffInput, Terminal};
use time::macros::datetime;

/// A window terminal with no sync server, on a clock the test moves.
fn standalone_window(dir: &std::path::Path, clock: Arc<ManualClock>) -> Arc<Terminal> {
    let mut profile = example_profile("window").expect("profile");
    profile.sync = None;
    Terminal::open(profile, &dir.join("ck-05"), clock).expect("open terminal")
}

async fn login_code(terminal: &Terminal, password: &str) -> String {
    match terminal.login_password("s5", password).await {
        Ok(_) => "ok".into(),
        Err(e) => e.code().into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes_by_the_terminal_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
    let terminal = standalone_window(dir.path(), Arc::clone(&clock));
    ensure_account(&terminal, "s5", &[Role::Clerk], &[5]);

    for _ in 0..4 {
        assert_eq!(
            login_code(&terminal, "wrong-password-1").await,
            "staff.bad_credentials"
        );
    }
    // The fifth failure locks: even the right password is refused, with the same answer for 15 minutes.
    assert_eq!(
        login_code(&terminal, "wrong-password-1").await,
        "staff.bad_credentials"
    );
    assert_eq!(login_code(&terminal, TEST_PASSWORD).await, "staff.locked");
    clock.advance(time::Duration::minutes(14) + time::Duration::seconds(59));
    assert_eq!(login_code(&terminal, TEST_PASSWORD).await, "staff.locked");

    // The lock is kept in the store: a restart does not lift it.
    drop(terminal);
    let terminal = standalone_window(dir.path(), Arc::clone(&clock));
    assert_eq!(login_code(&terminal, TEST_PASSWORD).await, "staff.locked");

    clock.advance(time::Duration::seconds(1));
    assert_eq!(login_code(&terminal, TEST_PASSWORD).await, "ok");
    // A success starts the count again: four more failures do not lock.
    for _ in 0..4 {
        assert_eq!(
            login_code(&terminal, "wrong-password-1").await,
            "staff.bad_credentials"
        );
    }
    assert_eq!(login_code(&terminal, TEST_PASSWORD).await, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_left_idle_for_the_profiles_minutes_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
    let terminal = standalone_window(dir.path(), Arc::clone(&clock));
    ensure_account(&terminal, "s5", &[Role::Clerk], &[5]);
    let token = terminal
        .login_password("s5", TEST_PASSWORD)
        .await
        .expect("login")
        .token;
    clock.advance(time::Duration::minutes(14));
    assert!(terminal.actor(Some(&token)).can(Permission::ServeWindow));
    // Each use restarts the idle time; 15 minutes without one end the session.
    clock.advance(time::Duration::minutes(14));
    assert!(terminal.actor(Some(&token)).can(Permission::ServeWindow));
    clock.advance(time::Duration::minutes(15));
    assert!(!terminal.actor(Some(&token)).can(Permission::ServeWindow));
    assert!(terminal.actor(Some("not-a-token")).staff().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_made_at_the_admin_terminal_logs_in_at_a_window_while_the_server_is_down() {
    let mut hall = Hall::start().await.expect("hall");
    let admin = hall.terminal("admin", "adm-01").await.expect("admin");
    let window = hall
        .terminal("window", "hk-longhua-ck-05")
        .await
        .expect("window");

    admin
        .bootstrap_admin("root", "管理员", "Root-2026-pw")
        .await
        .expect("first admin");
    assert_eq!(
        admin
            .bootstrap_admin("root2", "管理员", "Root-2026-pw")
            .await
            .expect_err("only once")
            .code(),
        "staff.forbidden"
    );
    let root = admin
        .login_password("root", "Root-2026-pw")
        .await
        .expect("admin login");
    let root = admin.actor(Some(&root.token));
    let saved = admin
        .save_staff(
            &root,
            StaffInput {
                staff_id: "s5".into(),
                name: "王芳".into(),
                roles: vec![Role::Clerk],
                windows: vec![5],
                password: Some("Clerk-2026-pw".into()),
                ..StaffInput::default()
            },
        )
        .await
        .expect("save clerk");
    assert!(
        saved.must_change_password,
        "a password set by someone else is one-time"
    );
    admin.sync_now().await;
    window.sync_now().await;

    hall.stop_server().await;
    window.sync_now().await;

    // Offline: the verifier synced earlier is enough. The one-time password must be replaced first.
    assert_eq!(
        window
            .login_password("s5", "Clerk-2026-pw")
            .await
            .expect_err("one-time")
            .code(),
        "staff.password_expired"
    );
    window
        .change_password("s5", "Clerk-2026-pw", "Own-pass-2026")
        .await
        .expect("change password offline");
    assert_eq!(
        window
            .login_password("s5", "Clerk-2026-pw")
            .await
            .expect_err("old password")
            .code(),
        "staff.bad_credentials"
    );
    let view = window
        .login_password("s5", "Own-pass-2026")
        .await
        .expect("offline login");
    assert_eq!(view.name, "王芳");
    let clerk = window.actor(Some(&view.token));
    let state = window.window_sign_in(&clerk).await.expect("open window");
    assert_eq!(state.session.expect("session").staff_id, "s5");
    // A clerk may not import the hall file or manage staff, offline or not.
    assert_eq!(
        window.staff_list(&clerk).await.expect_err("clerk").code(),
        "staff.forbidden"
    );
    // Unknown accounts get the same answer as wrong passwords.
    assert_eq!(
        window
            .login_password("nobody", "Own-pass-2026")
            .await
            .expect_err("unknown")
            .code(),
        "staff.bad_credentials"
    );
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clerk_opens_a_residents_name_and_id_number_that_the_terminal_files_hold_only_encrypted(
) {
    const ID_NUMBER: &str = "460100195603011234";
    const NAME: &str = "测试甲";
    let hall = Hall::start().await.expect("hall");
    let window = hall
        .terminal("window", "hk-longhua-ck-05")
        .await
        .expect("window");
    // A ticket taken with an ID card, as it arrives from the queue machine.
    let mut ticket = Ticket::issue(
        "hk-longhua",
        "A",
        1,
        "hk-longhua-qm-01",
        window.clock().now(),
    );
    ticket.applicant = Some(Applicant {
        name: NAME.into(),
        id_number_masked: banshi_core::mask::mask_id_number(ID_NUMBER),
        age: 70,
        id_number: Some(ID_NUMBER.into()),
    });
    window
        .store()
        .create(&hall_scope("hk-longhua"), &ticket, Durability::Promised)
        .expect("ticket");

    ensure_account(&window, "s5", &[Role::Clerk], &[5]);
    let clerk = banshi_scenarios::staff::clerk(&window, "s5").await;
    window.window_sign_in(&clerk).await.expect("open");
    let state = window.window_call_next(&clerk).await.expect("call");
    let current = state.current.expect("current ticket");
    let shown = current.applicant.expect("applicant");
    assert_eq!(shown.name, "测*甲", "the desk's list shows the name masked");
    let opened = window
        .window_applicant(&clerk)
        .await
        .expect("open personal data");
    assert_eq!(
        (opened.name.as_str(), opened.id_number.as_str()),
        (NAME, ID_NUMBER)
    );
    // A fleet admin manages; it does not serve residents.
    let admin = banshi_scenarios::staff::login_as(&window, "fa", &[Role::FleetAdmin]).await;
    assert_eq!(
        window
            .window_applicant(&admin)
            .await
            .expect_err("admin")
            .code(),
        "staff.forbidden"
    );

    // The opening is in the audit chain, which is intact.
    let events = window.store().audit_events(0, 10_000).expect("audit");
    assert!(events
        .iter()
        .any(|e| e.action.as_str() == "personal_data_opened" && e.actor == "staff:s5"));
    window.store().verify_audit().expect("chain intact");

    // Nothing of it in clear in the database, its WAL or the blob folder.
    let data = hall.dir.path().join("hk-longhua-ck-05");
    let (gb_name, _, _) = encoding_rs::GB18030.encode(NAME);
    for file in files_under(&data) {
        let bytes = std::fs::read(&file).expect("read");
        for needle in [ID_NUMBER.as_bytes(), NAME.as_bytes(), gb_name.as_ref()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds personal data in clear",
                file.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_logs_in_with_their_own_id_card_and_pin() {
    use banshi_idcard::sim::fixtures::CardFixture;
    use banshi_idcard::sim::IdCardSimulator;

    let dir = tempfile::tempdir().expect("tempdir");
    let sim = IdCardSimulator::start(dir.path().join("idcard")).expect("ID card simulator");
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-24 09:00 +8)));
    let mut profile = example_profile("window").expect("profile");
    profile.sync = None;
    profile.devices.id_reader = Some(banshi_profile::SerialDevice {
        port: sim.link().display().to_string(),
        baud: 115_200,
        simulated: true,
    });
    let terminal = Terminal::open(profile, &dir.path().join("ck-05"), clock).expect("open");
    let card = CardFixture::resident().with_name("测试乙");
    let manager = banshi_scenarios::staff::manager(&terminal).await;
    terminal
        .save_staff(
            &manager,
            StaffInput {
                staff_id: "s5".into(),
                name: "测试乙".into(),
                roles: vec![Role::Clerk],
                windows: vec![5],
                pin: Some("730518".into()),
                id_number: Some(card.number()),
                ..StaffInput::default()
            },
        )
        .await
        .expect("save clerk with card login");

    sim.place_card(card.clone());
    assert_eq!(
        terminal
            .login_card("111111")
            .await
            .expect_err("weak, wrong PIN")
            .code(),
        "staff.bad_credentials"
    );
    // The reader reads a card once per placing: the clerk lays it down again.
    sim.remove_card();
    sim.place_card(card);
    let view = terminal.login_card("730518").await.expect("card + PIN");
    assert_eq!(view.staff_id, "s5");
    assert!(terminal
        .actor(Some(&view.token))
        .can(Permission::ServeWindow));

    // Someone else's card with the right PIN is nobody.
    sim.remove_card();
    sim.place_card(CardFixture::resident().with_name("测试丙").with_sequence(7));
    assert_eq!(
        terminal
            .login_card("730518")
            .await
            .expect_err("other card")
            .code(),
        "staff.bad_credentials"
    );
}
