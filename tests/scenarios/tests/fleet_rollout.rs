//! Fleet: a signed profile reaches 20 terminals in two halls in stages (5 %, 20 %, all); a profile the
//! terminals refuse halts its rollout by itself; rollback puts every terminal back on the release before;
//! a profile whose signature does not verify is refused by every terminal, which keep their last good one.
//!
//! Real parts: the sync server on loopback (SQLite), 20 headless terminals with their background loops
//! (heartbeats, assignment long-polls), an admin console terminal that signs with a key file, and a fleet
//! admin logged in at it.

use std::sync::Arc;
use std::time::Duration;

use banshi_core::staff::{Actor, Role};
use banshi_crypto::SigningKeyPair;
use banshi_scenarios::staff::login_as;
use banshi_scenarios::Hall;
use banshi_terminal::fleet::{PublishRelease, RolloutState, TerminalGroup};
use banshi_terminal::{sign_release, RolloutView, Terminal};

const TERMINALS: usize = 20;

/// Poll `check` until it holds; a liveness bound, not a timing assertion.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn running_version(terminals: &[Arc<Terminal>], version: Option<u64>) -> usize {
    terminals
        .iter()
        .filter(|t| t.applied_release().map(|a| a.version) == version)
        .count()
}

/// The queue-ticket example profile with this hall's server and printer, and `idle_timeout_secs` as a
/// visible mark of the release.
fn group_profile(hall: &Hall, idle_timeout_secs: u32) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../kiosk-profiles/examples/queue-ticket.toml"
    );
    let mut doc: toml::Table = std::fs::read_to_string(path)
        .expect("example")
        .parse()
        .expect("example parses");
    doc["ui"]["idle_timeout_secs"] = toml::Value::Integer(i64::from(idle_timeout_secs));
    doc["sync"]["server"] = toml::Value::String(hall.server_url.clone());
    doc["devices"]["ticket_printer"]["transport"]["address"] =
        toml::Value::String(hall.printer.local_addr().to_string());
    toml::to_string(&doc).expect("toml")
}

fn group() -> TerminalGroup {
    TerminalGroup {
        hall_id: None,
        mode: "queue-ticket".into(),
        tags: vec![],
    }
}

async fn rollout(admin: &Terminal, actor: &Actor, release_id: &str) -> RolloutView {
    admin
        .fleet_rollouts(actor)
        .await
        .expect("rollouts")
        .into_iter()
        .find(|r| r.release_id == release_id)
        .expect("the rollout is listed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_profile_rolls_out_in_stages_halts_on_refusals_and_rolls_back_everywhere() {
    let hall = Hall::start().await.expect("hall");
    let key = SigningKeyPair::generate().expect("key");
    let key_file = hall.dir.path().join("fleet-admin.key");
    std::fs::write(&key_file, hex::encode(key.secret_bytes())).expect("key file");
    let trusted = key.public_key_hex();

    let mut terminals = Vec::new();
    for i in 0..TERMINALS {
        let hall_id = if i < TERMINALS / 2 {
            "hall-a"
        } else {
            "hall-b"
        };
        let trusted = trusted.clone();
        let t = hall
            .terminal_with("queue-ticket", &format!("qt-{i:02}"), |p| {
                p.terminal.hall_id = hall_id.to_string();
                p.fleet.trusted_keys = vec![trusted];
                p.fleet.heartbeat_secs = 1;
            })
            .await
            .expect("terminal");
        t.start_background();
        terminals.push(t);
    }
    let admin = hall
        .terminal_with("admin", "console-01", |p| {
            p.fleet.signing_key_file = Some(key_file.display().to_string());
        })
        .await
        .expect("admin console");
    banshi_server::fleet::add_admin_terminal(&hall.storage, "console-01")
        .await
        .expect("fleet admin terminal");
    let actor = login_as(&admin, "fleet-admin", &[Role::FleetAdmin]).await;

    // Every terminal reports in, with its mode and devices.
    let mut seen = 0;
    for _ in 0..600 {
        let view = admin.fleet_terminals(&actor).await.expect("fleet view");
        seen = view
            .terminals
            .iter()
            .filter(|t| t.mode.as_deref() == Some("queue-ticket") && t.online)
            .count();
        if seen == TERMINALS {
            let row = view
                .terminals
                .iter()
                .find(|t| t.id == "qt-00")
                .expect("row");
            assert!(row.devices.iter().any(|d| d.class == "ticket_printer"));
            assert_eq!(row.applied, None, "running the installed profile");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        seen, TERMINALS,
        "every terminal's heartbeat reached the fleet view"
    );

    // Version 1 in stages: 1 of 20 (5 %), then 4 (20 %), then all.
    let v1 = admin
        .publish_profile(&actor, group(), &group_profile(&hall, 90))
        .await
        .expect("publish v1");
    assert_eq!((v1.version, v1.stage_percent), (1, 5));
    until("5 % run version 1", || {
        running_version(&terminals, Some(1)) == 1
    })
    .await;
    let advanced = admin
        .advance_rollout(&actor, &v1.release_id)
        .await
        .expect("advance");
    assert_eq!(advanced.stage_percent, 20);
    until("20 % run version 1", || {
        running_version(&terminals, Some(1)) == 4
    })
    .await;
    let complete = admin
        .advance_rollout(&actor, &v1.release_id)
        .await
        .expect("advance");
    assert_eq!(complete.state, RolloutState::Complete);
    until("all run version 1", || {
        running_version(&terminals, Some(1)) == TERMINALS
    })
    .await;
    for t in &terminals {
        assert_eq!(
            t.profile().ui.idle_timeout_secs,
            90,
            "the pushed profile is in effect"
        );
        assert_eq!(t.profile().terminal.id, t.installed_profile().terminal.id);
        assert_eq!(
            t.profile().terminal.hall_id,
            t.installed_profile().terminal.hall_id
        );
    }
    let mut counted = 0;
    for _ in 0..100 {
        counted = rollout(&admin, &actor, &v1.release_id).await.applied_count;
        if counted == TERMINALS as u32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counted, TERMINALS as u32);

    // Version 2 is signed but invalid here (a newer schema): the first terminal refuses it and the rollout
    // halts at 5 %; nobody runs it, the refusing terminal keeps version 1.
    let mut bad = group_profile(&hall, 60);
    bad = bad.replacen("schema_version = 1", "schema_version = 2", 1);
    let v2 = publish_signed(&admin, &actor, &key, 2, &bad, 1).await;
    let mut halted = rollout(&admin, &actor, &v2).await;
    for _ in 0..600 {
        if halted.state == RolloutState::Halted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        halted = rollout(&admin, &actor, &v2).await;
    }
    assert_eq!(halted.state, RolloutState::Halted, "{halted:?}");
    assert_eq!(halted.failed_count, 1);
    assert!(halted
        .halt_reason
        .as_deref()
        .unwrap_or("")
        .contains("fleet.invalid_profile"));
    let refusing: Vec<_> = terminals
        .iter()
        .filter(|t| t.refused_release().is_some())
        .collect();
    assert_eq!(refusing.len(), 1);
    assert_eq!(
        running_version(&terminals, Some(1)),
        TERMINALS,
        "everyone keeps version 1"
    );
    let not_rolling = admin
        .advance_rollout(&actor, &v2)
        .await
        .expect_err("halted");
    assert_eq!(
        banshi_core::ErrorCode::code(&not_rolling),
        "fleet.not_rolling"
    );
    let view = admin.fleet_terminals(&actor).await.expect("fleet view");
    let flagged = view
        .terminals
        .iter()
        .filter(|t| t.faults.iter().any(|f| f == "profile_refused"))
        .count();
    assert_eq!(flagged, 1, "the fleet view flags the refusing terminal");
    admin
        .rollback_rollout(&actor, &v2)
        .await
        .expect("roll back v2");

    // Version 3 reaches everyone; rolling it back puts every terminal back on version 1.
    let v3 = admin
        .publish_profile(&actor, group(), &group_profile(&hall, 75))
        .await
        .expect("publish v3");
    assert_eq!(v3.version, 3);
    admin
        .advance_rollout(&actor, &v3.release_id)
        .await
        .expect("20 %");
    admin
        .advance_rollout(&actor, &v3.release_id)
        .await
        .expect("100 %");
    until("all run version 3", || {
        running_version(&terminals, Some(3)) == TERMINALS
    })
    .await;
    assert!(terminals
        .iter()
        .all(|t| t.profile().ui.idle_timeout_secs == 75));
    let back = admin
        .rollback_rollout(&actor, &v3.release_id)
        .await
        .expect("roll back v3");
    assert_eq!(back.state, RolloutState::RolledBack);
    until("all back on version 1", || {
        running_version(&terminals, Some(1)) == TERMINALS
    })
    .await;
    assert!(terminals
        .iter()
        .all(|t| t.profile().ui.idle_timeout_secs == 90));

    // Version 4's profile was changed after signing: every terminal refuses it, none applies it.
    let tampered = publish_tampered(&admin, &actor, &key, 4, &group_profile(&hall, 30)).await;
    admin
        .advance_rollout(&actor, &tampered)
        .await
        .expect("20 %");
    admin
        .advance_rollout(&actor, &tampered)
        .await
        .expect("100 %");
    until("every terminal refused the bad signature", || {
        terminals.iter().all(|t| {
            t.refused_release()
                .is_some_and(|r| r.release_id == tampered && r.code == "fleet.bad_signature")
        })
    })
    .await;
    assert_eq!(running_version(&terminals, Some(1)), TERMINALS);
    assert!(terminals
        .iter()
        .all(|t| t.profile().ui.idle_timeout_secs == 90));
}

/// Sign and publish through the admin console's server connection with a chosen halt threshold: as a
/// console of another version would, whose checks let this profile through.
async fn publish_signed(
    admin: &Terminal,
    _actor: &Actor,
    key: &SigningKeyPair,
    version: u64,
    toml: &str,
    halt_after_failures: u32,
) -> String {
    let release_id = uuid::Uuid::now_v7().to_string();
    let release = sign_release(key, &release_id, version, group(), toml);
    admin
        .sync_connection()
        .expect("connection")
        .publish_release(&PublishRelease {
            release,
            halt_after_failures,
        })
        .await
        .expect("publish");
    release_id
}

/// A release whose profile was altered after it was signed; never halts, so it reaches every terminal.
async fn publish_tampered(
    admin: &Terminal,
    _actor: &Actor,
    key: &SigningKeyPair,
    version: u64,
    toml: &str,
) -> String {
    let release_id = uuid::Uuid::now_v7().to_string();
    let mut release = sign_release(key, &release_id, version, group(), toml);
    release.profile_toml = release
        .profile_toml
        .replace("idle_timeout_secs = 30", "idle_timeout_secs = 31");
    admin
        .sync_connection()
        .expect("connection")
        .publish_release(&PublishRelease {
            release,
            halt_after_failures: 0,
        })
        .await
        .expect("publish");
    release_id
}
