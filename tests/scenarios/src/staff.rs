//! Staff for scenarios: accounts written straight into a terminal's store (as a synced account arrives) with
//! a cheap verifier, then a real login, so tests act through the same permission checks as the screens.

use banshi_core::queue::{hall_scope, unix_ms};
use banshi_core::staff::{Actor, Role, StaffAccount};
use banshi_store::{Durability, SyncStatus};
use banshi_terminal::Terminal;

/// The password every scenario account has.
pub const TEST_PASSWORD: &str = "test-pass-2026";

/// Write the account `staff_id` (if this terminal has none yet) with `roles` and `windows`.
pub fn ensure_account(terminal: &Terminal, staff_id: &str, roles: &[Role], windows: &[u32]) {
    let store = terminal.store();
    let exists = store
        .list::<StaffAccount>()
        .expect("list staff")
        .iter()
        .any(|(r, _)| r.body.staff_id == staff_id);
    if exists {
        return;
    }
    let now = unix_ms(terminal.clock().now());
    let account = StaffAccount {
        staff_id: staff_id.to_string(),
        name: format!("测试{staff_id}"),
        hall_id: Some(terminal.profile().terminal.hall_id.clone()),
        roles: roles.to_vec(),
        windows: windows.to_vec(),
        // A thousand iterations: the verifier format is the production one, only cheaper to check.
        password_verifier: Some(
            banshi_crypto::hash_password(TEST_PASSWORD, 1000).expect("hash password"),
        ),
        password_set_at_ms: now,
        must_change_password: false,
        card_key: None,
        pin_verifier: None,
        disabled: false,
        updated_at_ms: now,
    };
    let header = store
        .create(
            &hall_scope(&terminal.profile().terminal.hall_id),
            &account,
            Durability::Normal,
        )
        .expect("save staff account");
    // As if it had come from the server: it is not this terminal's to send, and outbox counts stay the test's.
    store
        .set_sync_status(&header.id, SyncStatus::Synced, None)
        .expect("mark synced");
}

/// Log `staff_id` in on `terminal` (creating the account with `roles` first if needed).
pub async fn login_as(terminal: &Terminal, staff_id: &str, roles: &[Role]) -> Actor {
    ensure_account(terminal, staff_id, roles, &[]);
    let view = terminal
        .login_password(staff_id, TEST_PASSWORD)
        .await
        .expect("log in");
    terminal.actor(Some(&view.token))
}

/// A clerk named `staff_id` (the hall file says which windows they may open).
pub async fn clerk(terminal: &Terminal, staff_id: &str) -> Actor {
    login_as(terminal, staff_id, &[Role::Clerk]).await
}

/// Whoever works the desk now: any clerk may press the window's buttons once the window is open.
pub async fn desk_clerk(terminal: &Terminal) -> Actor {
    clerk(terminal, "test-desk").await
}

/// A supervisor: sees the day's tickets and the hall's KPIs.
pub async fn supervisor(terminal: &Terminal) -> Actor {
    login_as(terminal, "test-supervisor", &[Role::Supervisor]).await
}

/// A hall manager: imports the hall file, manages staff.
pub async fn manager(terminal: &Terminal) -> Actor {
    login_as(terminal, "test-manager", &[Role::HallManager]).await
}
