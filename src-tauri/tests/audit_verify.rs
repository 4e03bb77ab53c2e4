//! `banshi audit verify` on a real terminal database: it passes on the chain the store wrote and fails, naming
//! the kind of damage, when an event was deleted, edited or moved — as someone with `sqlite3` and the file would
//! do it (dropping the append-only triggers first).

use std::path::{Path, PathBuf};
use std::process::Command;

use banshi_core::queue::{hall_scope, Ticket};
use banshi_store::{DataKey, Durability, Store};

/// A terminal data folder whose store wrote a few records (each one an audit event).
fn real_chain(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let store = Store::open(
        &data.join("terminal.sqlite"),
        DataKey::from_bytes(*b"audit test key!!"),
    )
    .expect("store");
    store
        .set_terminal_id("hk-longhua-ck-05")
        .expect("terminal id");
    let now = banshi_core::queue::from_unix_ms(1_795_000_000_000);
    for n in 1..=4 {
        let ticket = Ticket::issue("hk-longhua", "A", n, "hk-longhua-qm-01", now);
        let header = store
            .create(&hall_scope("hk-longhua"), &ticket, Durability::Normal)
            .expect("create");
        store
            .acting("staff:s5")
            .update::<Ticket>(&header.id, Durability::Normal, |t| t.printed = true)
            .expect("update");
    }
    data
}

fn verify(data: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_banshi"))
        .args(["audit", "verify", "--data"])
        .arg(data)
        .env("BANSHI_LOG", "warn")
        .output()
        .expect("run banshi");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn tamper(data: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(data.join("terminal.sqlite")).expect("open db");
    conn.execute_batch(sql).expect("tamper");
}

#[test]
fn audit_verify_passes_on_a_real_chain_and_names_a_deleted_an_edited_and_a_reordered_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = real_chain(dir.path());
    let (ok, text) = verify(&data);
    assert!(ok, "{text}");
    assert!(text.contains("intact: 8 events"), "{text}");

    let cases = [
        (
            "deleted",
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 3;",
            "audit.missing_event",
        ),
        (
            "edited",
            "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'staff:nobody' WHERE seq = 4;",
            "audit.altered_event",
        ),
        (
            "reordered",
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET seq = -1 WHERE seq = 5;
             UPDATE audit_log SET seq = 5 WHERE seq = 6;
             UPDATE audit_log SET seq = 6 WHERE seq = -1;",
            "audit.out_of_order",
        ),
    ];
    for (what, sql, code) in cases {
        let copy = dir.path().join(what);
        std::fs::create_dir_all(&copy).expect("copy dir");
        std::fs::copy(data.join("terminal.sqlite"), copy.join("terminal.sqlite")).expect("copy");
        tamper(&copy, sql);
        let (ok, text) = verify(&copy);
        assert!(!ok, "a {what} event went unnoticed: {text}");
        assert!(
            text.contains(code),
            "a {what} event: expected {code}, got {text}"
        );
    }
}
