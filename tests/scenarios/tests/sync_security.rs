//! Who may sync what: enrollment, signed requests, refusals, revocation and moving halls.
//!
//! Every refusal is checked by its `{code}` so a terminal (and an admin reading its log) can tell an
//! unenrolled terminal from a replay or a wrong clock.

use banshi_core::{Clock, SystemClock};
use banshi_scenarios::{open_terminal_store, Hall, RawTerminal};
use banshi_server::auth::admin;

const HELLO: &str = "/sync/v1/hello";

fn hello_body(id: &str) -> Vec<u8> {
    format!(r#"{{"terminal_id":"{id}","hall_id":"hk-longhua","versions":[1]}}"#).into_bytes()
}

async fn enrolled(hall: &Hall, id: &str, hall_id: &str) -> RawTerminal {
    let raw = RawTerminal::new(&hall.server_url, id);
    raw.enroll(&hall.token(hall_id).await.expect("token"))
        .await
        .expect("enroll");
    raw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unenrolled_terminal_is_refused() {
    let hall = Hall::start().await.expect("hall");
    let raw = RawTerminal::new(&hall.server_url, "stranger");
    let (status, body) = raw
        .send("POST", HELLO, hello_body("stranger"))
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.unenrolled"))
    );

    let (status, body) = raw.send("POST", HELLO, Vec::new()).await.unwrap();
    assert_eq!(body["code"], "auth.unenrolled", "{status}");

    // Unsigned: no headers at all.
    let response = reqwest::Client::new()
        .post(format!("{}{HELLO}", hall.server_url))
        .body(hello_body("stranger"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["code"],
        "auth.missing_header"
    );

    // A real terminal without enrollment says so in its status instead of syncing.
    let qm = hall.unenrolled_terminal("queue-ticket", "qm-09").unwrap();
    qm.sync_now().await;
    assert_eq!(qm.status().await.unwrap().sync.state, "unenrolled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_token_works_once_and_a_wrong_one_never() {
    let hall = Hall::start().await.expect("hall");
    let token = hall.token("hk-longhua").await.unwrap();
    let first = RawTerminal::new(&hall.server_url, "qm-01");
    let enrolled = first.enroll(&token).await.unwrap();
    assert_eq!(enrolled.hall_id, "hk-longhua");
    assert_eq!(
        enrolled.scopes,
        vec!["hall:hk-longhua".to_string(), "catalogue".to_string()]
    );

    let second = RawTerminal::new(&hall.server_url, "qm-02");
    let error = second.enroll(&token).await.unwrap_err().to_string();
    assert!(error.contains("auth.bad_token"), "{error}");
    let error = second
        .enroll("00000000000000000000000000000000")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("auth.bad_token"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_request_is_refused() {
    let hall = Hall::start().await.expect("hall");
    let raw = enrolled(&hall, "qm-01", "hk-longhua").await;
    let now = SystemClock.now_ms();

    // Body changed after signing.
    let signed = raw.sign("POST", HELLO, &hello_body("qm-01"), now);
    let mut other = hello_body("qm-01");
    other.extend_from_slice(b" ");
    let (status, body) = raw.send_with("POST", HELLO, other, &signed).await.unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.bad_signature"))
    );

    // Path changed after signing (a feed of another scope).
    let signed = raw.sign("GET", "/sync/v1/feed?scope=hall:hk-longhua", &[], now);
    let (_, body) = raw
        .send_with(
            "GET",
            "/sync/v1/feed?scope=hall:elsewhere",
            Vec::new(),
            &signed,
        )
        .await
        .unwrap();
    assert_eq!(body["code"], "auth.bad_signature");

    // Signed by another key claiming this terminal's id.
    let impostor = RawTerminal::new(&hall.server_url, "qm-01");
    let (_, body) = impostor
        .send("POST", HELLO, hello_body("qm-01"))
        .await
        .unwrap();
    assert_eq!(body["code"], "auth.bad_signature");

    // And the genuine request still works.
    let (status, _) = raw.send("POST", HELLO, hello_body("qm-01")).await.unwrap();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_or_stale_request_is_refused() {
    let hall = Hall::start().await.expect("hall");
    let raw = enrolled(&hall, "qm-01", "hk-longhua").await;
    let signed = raw.sign("POST", HELLO, &hello_body("qm-01"), SystemClock.now_ms());
    let (status, _) = raw
        .send_with("POST", HELLO, hello_body("qm-01"), &signed)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (status, body) = raw
        .send_with("POST", HELLO, hello_body("qm-01"), &signed)
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.replayed"))
    );

    let ten_minutes_ago = SystemClock.now_ms() - 10 * 60 * 1000;
    let stale = raw.sign("POST", HELLO, &hello_body("qm-01"), ten_minutes_ago);
    let (status, body) = raw
        .send_with("POST", HELLO, hello_body("qm-01"), &stale)
        .await
        .unwrap();
    assert_eq!((status, body["code"].as_str()), (401, Some("auth.stale")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_halls_scope_and_documents_are_out_of_reach() {
    let hall = Hall::start().await.expect("hall");
    let longhua = hall.terminal("queue-ticket", "qm-01").await.unwrap();
    let ticket = longhua.issue_ticket("A").await.unwrap();
    longhua.sync_now().await;

    let outsider = enrolled(&hall, "qm-x", "meilan").await;
    let (status, body) = outsider
        .send("GET", "/sync/v1/feed?scope=hall:hk-longhua", Vec::new())
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth.out_of_scope"))
    );

    // Asking for the document by id gets nothing of it.
    let (status, body) = outsider
        .send("POST", &format!("/sync/v1/docs/{}", ticket.id), Vec::new())
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth.out_of_scope"))
    );

    // A terminal of hall meilan cannot write into hk-longhua either: its record is refused, not stored.
    let meilan_qm = hall
        .terminal_in_hall("queue-ticket", "qm-m1", "meilan")
        .await
        .unwrap();
    meilan_qm.issue_ticket("A").await.unwrap();
    meilan_qm.sync_now().await;
    assert_eq!(hall.storage.document_count().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_document_of_another_hall_reaches_a_terminal() {
    let hall = Hall::start().await.expect("hall");
    let a_qm = hall.terminal("queue-ticket", "a-qm").await.unwrap();
    let a_win = hall.terminal("window", "a-win").await.unwrap();
    let b_qm = hall
        .terminal_in_hall("queue-ticket", "b-qm", "meilan")
        .await
        .unwrap();
    let b_win = hall
        .terminal_in_hall("window", "b-win", "meilan")
        .await
        .unwrap();
    for _ in 0..3 {
        a_qm.issue_ticket("A").await.unwrap();
        b_qm.issue_ticket("B").await.unwrap();
    }
    for t in [&a_qm, &b_qm, &a_win, &b_win] {
        t.sync_now().await;
    }
    for (id, scope) in [
        ("a-win", "hall:hk-longhua"),
        ("a-qm", "hall:hk-longhua"),
        ("b-win", "hall:meilan"),
        ("b-qm", "hall:meilan"),
    ] {
        let store = open_terminal_store(&hall.dir.path().join(id)).unwrap();
        let scopes = store.scopes().unwrap();
        assert_eq!(
            scopes,
            vec![(scope.to_string(), 3)],
            "{id} holds {scopes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_terminal_is_refused_and_purges_what_it_held() {
    let hall = Hall::start().await.expect("hall");
    let qm = hall.terminal("queue-ticket", "qm-01").await.unwrap();
    let window = hall.terminal("window", "ck-05").await.unwrap();
    qm.issue_ticket("A").await.unwrap();
    qm.sync_now().await;
    window.sync_now().await;
    assert_eq!(
        window
            .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
            .await
            .unwrap()
            .len(),
        1
    );

    assert!(admin::revoke(hall.storage.as_ref(), &SystemClock, "ck-05")
        .await
        .unwrap());
    window.sync_now().await;
    assert_eq!(window.status().await.unwrap().sync.state, "revoked");
    assert!(window
        .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
        .await
        .unwrap()
        .is_empty());
    assert!(!window.is_enrolled());

    // The queue machine is unaffected.
    qm.sync_now().await;
    assert_eq!(qm.status().await.unwrap().sync.state, "online");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_moved_to_another_hall_drops_the_old_halls_records() {
    let hall = Hall::start().await.expect("hall");
    let qm = hall.terminal("queue-ticket", "qm-01").await.unwrap();
    let window = hall.terminal("window", "ck-05").await.unwrap();
    qm.issue_ticket("A").await.unwrap();
    qm.sync_now().await;
    window.sync_now().await;
    assert_eq!(
        window
            .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
            .await
            .unwrap()
            .len(),
        1
    );

    admin::move_to_hall(hall.storage.as_ref(), &SystemClock, "ck-05", "meilan")
        .await
        .unwrap();
    // The first pass runs on the old session and is refused the old scope; that ends the session, and
    // the next hello brings the new grant.
    let store = open_terminal_store(&hall.dir.path().join("ck-05")).unwrap();
    window.sync_now().await;
    window.sync_now().await;
    assert!(store.scopes().unwrap().is_empty(), "{:?}", store.scopes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_answers_each_document_on_its_own() {
    let hall = Hall::start().await.expect("hall");
    let longhua = hall.terminal("queue-ticket", "qm-01").await.unwrap();
    let ticket = longhua.issue_ticket("A").await.unwrap();
    longhua.sync_now().await;

    let outsider = enrolled(&hall, "qm-x", "meilan").await;
    let batch = banshi_sync_protocol::encode_batch(&[
        banshi_sync_protocol::BatchItem {
            doc_id: ticket.id.clone(),
            message: Vec::new(),
        },
        banshi_sync_protocol::BatchItem {
            doc_id: "../etc/passwd".into(),
            message: Vec::new(),
        },
        banshi_sync_protocol::BatchItem {
            doc_id: "0192f3a4-5b6c-7d8e-9f00-112233445566".into(),
            message: vec![0x42, 0xff],
        },
    ]);
    let signed = outsider.sign("POST", "/sync/v1/batch", &batch, SystemClock.now_ms());
    let response = reqwest::Client::new()
        .post(format!("{}/sync/v1/batch", hall.server_url))
        .header("x-banshi-terminal", "qm-x")
        .header("x-banshi-time", signed.time_ms)
        .header("x-banshi-nonce", &signed.nonce)
        .header("x-banshi-signature", &signed.signature)
        .header("x-banshi-protocol", "1")
        .body(batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let replies =
        banshi_sync_protocol::decode_batch_replies(&response.bytes().await.unwrap()).unwrap();
    let codes: Vec<(u16, String)> = replies
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
            (
                r.status,
                body["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (403, "auth.out_of_scope".to_string()),
            (400, "sync.bad_doc_id".to_string()),
            (400, "sync.bad_message".to_string()),
        ]
    );
    // A body that is not a batch is refused as a whole.
    let (status, body) = outsider
        .send("POST", "/sync/v1/batch", vec![0, 0, 0, 9, 1])
        .await
        .unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("sync.bad_batch"))
    );
}
