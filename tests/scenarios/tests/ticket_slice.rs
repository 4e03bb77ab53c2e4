//! The foundation's thin slice through every layer: a queue machine issues a ticket (automerge document in
//! its SQLite store), prints it as ESC/POS to the TCP printer simulator, syncs it to the server, and a
//! window terminal of the same hall sees it.

use std::time::Duration;

use banshi_core::Clock;
use banshi_scenarios::{Hall, RawTerminal};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_issued_at_the_queue_machine_is_printed_and_reaches_the_window() {
    let hall = Hall::start().await.expect("hall");
    let queue_machine = hall
        .terminal("queue-ticket", "hk-longhua-qm-01")
        .await
        .expect("queue machine");
    let window = hall
        .terminal("window", "hk-longhua-ck-05")
        .await
        .expect("window");

    let ticket = queue_machine.issue_ticket("A").await.expect("issue");
    assert_eq!(ticket.number, "A001");
    assert!(ticket.printed, "print error: {:?}", ticket.print_error);

    // The printer received real ESC/POS bytes: GB18030 Chinese text and a native QR with the follow URL.
    let jobs = hall
        .printer
        .wait_for_jobs(1, Duration::from_secs(10))
        .await
        .expect("print job");
    let text = &jobs[0].text;
    assert!(text.contains("A001"), "{text}");
    assert!(text.contains("海口市龙华区政务服务中心"), "{text}");
    assert!(text.contains("个人业务"), "{text}");
    assert!(
        text.contains(&format!("[QR: http://127.0.0.1:8300/q/{}]", ticket.id)),
        "{text}"
    );

    // Not yet on the window: it has not synced.
    assert!(window
        .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
        .await
        .expect("list")
        .is_empty());

    queue_machine.sync_now().await;
    window.sync_now().await;
    let seen = window
        .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
        .await
        .expect("list");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].id.as_str(), seen[0].number.as_str()),
        (ticket.id.as_str(), "A001")
    );
    assert_eq!(seen[0].issued_by, "hk-longhua-qm-01");

    // And the queue machine knows the server holds it.
    let own = queue_machine
        .list_tickets(&banshi_scenarios::staff::supervisor(&queue_machine).await)
        .await
        .expect("list");
    assert_eq!(
        serde_json::to_value(own[0].sync_status).expect("json"),
        "synced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_continue_across_synced_queue_machines_and_categories_count_separately() {
    let hall = Hall::start().await.expect("hall");
    let qm1 = hall.terminal("queue-ticket", "qm-01").await.expect("qm1");
    let qm2 = hall.terminal("queue-ticket", "qm-02").await.expect("qm2");

    assert_eq!(qm1.issue_ticket("A").await.expect("issue").number, "A001");
    assert_eq!(qm1.issue_ticket("B").await.expect("issue").number, "B001");
    qm1.sync_now().await;
    qm2.sync_now().await;
    let third = qm2.issue_ticket("A").await.expect("issue");
    assert_eq!(third.number, "A002");
    assert_eq!(third.people_ahead, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_out_of_paper_is_reported_and_the_ticket_still_holds_its_place() {
    let hall = Hall::start().await.expect("hall");
    hall.printer.set_paper(banshi_escpos_sim::PaperState::Out);
    let qm = hall.terminal("queue-ticket", "qm-01").await.expect("qm");
    let ticket = qm.issue_ticket("C").await.expect("issue");
    assert!(!ticket.printed);
    assert_eq!(ticket.print_error.expect("error").code, "printer.paper_out");
    assert_eq!(
        qm.list_tickets(&banshi_scenarios::staff::supervisor(&qm).await)
            .await
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_category_is_refused_with_a_translatable_code() {
    let hall = Hall::start().await.expect("hall");
    let qm = hall.terminal("queue-ticket", "qm-01").await.expect("qm");
    let err = qm.issue_ticket("Z").await.expect_err("refused");
    assert_eq!(banshi_core::ErrorCode::code(&err), "queue.unknown_category");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_exposes_health_and_prometheus_metrics() {
    let hall = Hall::start().await.expect("hall");
    let qm = hall.terminal("queue-ticket", "qm-01").await.expect("qm");
    qm.issue_ticket("A").await.expect("issue");
    qm.sync_now().await;
    let health: serde_json::Value = reqwest::get(format!("{}/healthz", hall.server_url))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    let metrics = reqwest::get(format!("{}/metrics", hall.server_url))
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("banshi_server_documents 1"), "{metrics}");
    assert!(
        metrics.contains("banshi_server_http_requests_total{"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_sync_message_is_refused_and_stores_nothing() {
    let hall = Hall::start().await.expect("hall");
    let raw = RawTerminal::new(&hall.server_url, "qm-01");
    raw.enroll(&hall.token("hk-longhua").await.expect("token"))
        .await
        .expect("enroll");
    let (status, body) = raw
        .send(
            "POST",
            "/sync/v1/docs/0192f3a4-5b6c-7d8e-9f00-112233445566",
            vec![0x42, 0xff, 0x00, 0x13],
        )
        .await
        .expect("send");
    assert_eq!(status, 400);
    assert_eq!(body["code"], "sync.bad_message");
    let metrics = reqwest::get(format!("{}/metrics", hall.server_url))
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("banshi_server_documents 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_the_error_shape_not_plain_text() {
    let hall = Hall::start().await.expect("hall");
    let raw = RawTerminal::new(&hall.server_url, "qm-01");
    raw.enroll(&hall.token("hk-longhua").await.expect("token"))
        .await
        .expect("enroll");
    let (status, body) = raw
        .send("POST", "/sync/v1/hello", b"{\"terminal_id\": 7".to_vec())
        .await
        .expect("send");
    // axum tells syntax (400) from data (422) errors; either way the body is our error shape.
    assert!((400..500).contains(&status));
    assert_eq!(body["code"], "sync.bad_request");

    let (_, body) = raw
        .send("GET", "/sync/v1/feed", Vec::new())
        .await
        .expect("send");
    assert_eq!(body["code"], "sync.bad_request");

    let client = reqwest::Client::new();
    let enroll = client
        .post(format!("{}/sync/v1/enroll", hall.server_url))
        .header("content-type", "application/json")
        .body("[1, 2")
        .send()
        .await
        .expect("send");
    assert!(enroll.status().is_client_error());
    assert_eq!(
        enroll.json::<serde_json::Value>().await.expect("json")["code"],
        "sync.bad_request"
    );

    let target = "/sync/v1/docs/0192f3a4-5b6c-7d8e-9f00-112233445566";
    let huge = vec![0u8; 17 * 1024 * 1024];
    let signed = raw.sign("POST", target, &huge, banshi_core::SystemClock.now_ms());
    let (status, body) = raw
        .send_with("POST", target, huge, &signed)
        .await
        .expect("send");
    assert_eq!(status, 413);
    assert_eq!(body["code"], "sync.too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_version_from_the_future_is_refused_with_its_own_code() {
    let hall = Hall::start().await.expect("hall");
    let raw = RawTerminal::new(&hall.server_url, "qm-01");
    raw.enroll(&hall.token("hk-longhua").await.expect("token"))
        .await
        .expect("enroll");
    let target = "/sync/v1/feed?scope=hall:hk-longhua";
    let signed = raw.sign("GET", target, &[], banshi_core::SystemClock.now_ms());
    let response = reqwest::Client::new()
        .get(format!("{}{target}", hall.server_url))
        .header("x-banshi-terminal", "qm-01")
        .header("x-banshi-time", signed.time_ms)
        .header("x-banshi-nonce", &signed.nonce)
        .header("x-banshi-signature", &signed.signature)
        .header("x-banshi-protocol", "99")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 409);
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["code"],
        "sync.unsupported_version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_print_flag_written_during_sync_still_reaches_the_server() {
    let hall = Hall::start().await.expect("hall");
    let qm = hall.terminal("queue-ticket", "qm-01").await.expect("qm");
    let window = hall.terminal("window", "ck-05").await.expect("window");
    // Printing succeeds, so the ticket is written twice (issued, then printed); both writes must arrive.
    let ticket = qm.issue_ticket("A").await.expect("issue");
    assert!(ticket.printed);
    qm.sync_now().await;
    window.sync_now().await;
    let seen = window
        .list_tickets(&banshi_scenarios::staff::supervisor(&window).await)
        .await
        .expect("list");
    assert!(
        seen[0].printed,
        "the window got the ticket without its printed flag"
    );
}
