//! A hall relay keeps the hall working when the WAN link is down, and hands everything upstream exactly
//! once when it returns.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use banshi_scenarios::Hall;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_upstream_cut_the_hall_syncs_through_the_relay_and_upstream_gets_everything_once()
{
    let mut hall = Hall::start().await.expect("hall");
    let relay = hall.start_relay("hk-longhua").await.expect("relay");
    let qm = hall
        .terminal_via("queue-ticket", "qm-01", &relay.url)
        .await
        .expect("queue machine");
    let window = hall
        .terminal_via("window", "ck-05", &relay.url)
        .await
        .expect("window");
    let report = relay
        .sync_upstream()
        .await
        .expect("relay learns the terminals");
    assert!(report.terminals >= 3, "{report:?}");

    hall.stop_server().await;
    let mut issued = Vec::new();
    for category in ["A", "B", "A", "C", "A"] {
        issued.push(qm.issue_ticket(category).await.expect("issue").id);
    }
    qm.sync_now().await;
    window.sync_now().await;
    assert_eq!(qm.status().await.unwrap().sync.state, "online");
    let seen = window
        .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
        .await
        .expect("list");
    assert_eq!(
        seen.len(),
        5,
        "the window got the tickets through the relay"
    );
    assert!(
        relay.sync_upstream().await.is_err(),
        "upstream is down, the pass must fail"
    );

    hall.restart_server().await.expect("restart");
    relay.sync_upstream().await.expect("upstream back");
    // A second pass and more terminal syncs must not duplicate anything.
    qm.sync_now().await;
    window.sync_now().await;
    relay.sync_upstream().await.expect("again");

    // The five tickets and the audit batches the two terminals sent with them (each once).
    let batches: std::collections::BTreeSet<String> = [&qm, &window]
        .iter()
        .flat_map(|t| {
            t.store()
                .list::<banshi_core::audit::AuditBatch>()
                .expect("batches")
        })
        .map(|(r, _)| r.header.id)
        .collect();
    assert_eq!(
        hall.storage.document_count().await.unwrap(),
        5 + batches.len() as i64
    );
    let mut central_changes = BTreeMap::new();
    for id in &issued {
        let mut central =
            AutoCommit::load(&hall.storage.load_doc(id).await.unwrap().unwrap().bytes)
                .expect("central copy");
        let mut at_relay =
            AutoCommit::load(&relay.storage.load_doc(id).await.unwrap().unwrap().bytes)
                .expect("relay copy");
        let mut a = central.get_heads();
        let mut b = at_relay.get_heads();
        a.sort();
        b.sort();
        assert_eq!(a, b, "central and relay differ on {id}");
        let hashes: Vec<_> = central.get_changes(&[]).iter().map(|c| c.hash()).collect();
        let mut unique = hashes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(hashes.len(), unique.len(), "a change of {id} arrived twice");
        central_changes.insert(id.clone(), hashes.len());
    }
    // Issued, then printed: two changes per ticket, each once.
    assert!(
        central_changes.values().all(|n| *n == 2),
        "{central_changes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_revoked_centrally_is_refused_by_the_relay_too() {
    let hall = Hall::start().await.expect("hall");
    let relay = hall.start_relay("hk-longhua").await.expect("relay");
    let window = hall
        .terminal_via("window", "ck-05", &relay.url)
        .await
        .expect("window");
    relay.sync_upstream().await.expect("learn");
    window.sync_now().await;
    assert_eq!(window.status().await.unwrap().sync.state, "online");

    banshi_server::auth::admin::revoke(hall.storage.as_ref(), &banshi_core::SystemClock, "ck-05")
        .await
        .unwrap();
    relay.sync_upstream().await.expect("learn the revocation");
    window.sync_now().await;
    assert_eq!(window.status().await.unwrap().sync.state, "revoked");
}
