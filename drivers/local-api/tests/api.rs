//! The local API over real HTTP and WebSocket, against a terminal in a scenario hall.

use std::sync::Arc;
use std::time::Duration;

use banshi_core::staff::Role;
use banshi_local_api::DirAssets;
use banshi_scenarios::Hall;
use banshi_terminal::Terminal;
use futures_util::StreamExt;

async fn serve_terminal(hall: &Hall, mode: &str, id: &str) -> String {
    serve(hall, hall.terminal(mode, id).await.expect("terminal")).await
}

async fn serve(hall: &Hall, terminal: Arc<Terminal>) -> String {
    let ui_dir = hall.dir.path().join("ui");
    std::fs::create_dir_all(&ui_dir).expect("ui dir");
    std::fs::write(
        ui_dir.join("index.html"),
        "<!doctype html><title>办事</title>",
    )
    .expect("index");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(banshi_local_api::serve(
        listener,
        terminal,
        Arc::new(DirAssets(ui_dir)),
        std::future::pending(),
    ));
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_profiles_identity_and_devices() {
    let hall = Hall::start().await.expect("hall");
    let base = serve_terminal(&hall, "queue-ticket", "qm-01").await;
    let status: serde_json::Value = reqwest::get(format!("{base}/api/status"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(status["mode"], "queue-ticket");
    assert_eq!(status["terminal"]["id"], "qm-01");
    assert_eq!(status["terminal"]["outlet"], "海口市龙华区政务服务中心");
    assert_eq!(status["devices"][0]["class"], "ticket_printer");
    assert_eq!(
        status["queue"]["categories"][0]["name"]["zh-CN"],
        "个人业务"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuing_a_ticket_over_http_notifies_websocket_listeners() {
    let hall = Hall::start().await.expect("hall");
    let base = serve_terminal(&hall, "queue-ticket", "qm-01").await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{}/api/events", base.replace("http", "ws")))
            .await
            .expect("ws");
    let response = reqwest::Client::new()
        .post(format!("{base}/api/tickets"))
        .json(&serde_json::json!({ "category": "B" }))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 201);
    let ticket: serde_json::Value = response.json().await.expect("json");
    assert_eq!(ticket["number"], "B001");
    let event = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("event in time")
        .expect("open")
        .expect("ok");
    let event: serde_json::Value =
        serde_json::from_str(event.to_text().expect("text")).expect("json");
    assert_eq!(event["type"], "tickets.changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_error_shape() {
    let hall = Hall::start().await.expect("hall");
    let base = serve_terminal(&hall, "queue-ticket", "qm-01").await;
    let client = reqwest::Client::new();
    let malformed = client
        .post(format!("{base}/api/tickets"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.json::<serde_json::Value>().await.expect("json")["code"],
        "api.bad_request"
    );
    let unknown = client
        .post(format!("{base}/api/tickets"))
        .json(&serde_json::json!({"category": "Q"}))
        .send()
        .await
        .expect("post");
    assert_eq!(
        unknown.json::<serde_json::Value>().await.expect("json")["code"],
        "queue.unknown_category"
    );
    let huge = client
        .post(format!("{base}/api/tickets"))
        .header("content-type", "application/json")
        .body(vec![b' '; 1 << 20])
        .send()
        .await
        .expect("post");
    assert_eq!(huge.status(), 413);
    let missing = reqwest::get(format!("{base}/api/nothing"))
        .await
        .expect("get");
    assert_eq!(
        missing.json::<serde_json::Value>().await.expect("json")["code"],
        "api.not_found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_is_served_at_the_root_and_paths_cannot_escape_it() {
    let hall = Hall::start().await.expect("hall");
    let base = serve_terminal(&hall, "window", "ck-05").await;
    let index = reqwest::get(format!("{base}/")).await.expect("get");
    assert_eq!(index.headers()["content-type"], "text/html");
    assert!(index.text().await.expect("text").contains("办事"));
    let escape = reqwest::get(format!("{base}/..%2F..%2Fserver.sqlite"))
        .await
        .expect("get");
    assert_eq!(escape.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_not_yet_synced_are_listed_with_their_reason_until_the_server_has_them() {
    let hall = Hall::start().await.expect("hall");
    let terminal = hall
        .terminal("queue-ticket", "qm-01")
        .await
        .expect("terminal");
    let base = serve(&hall, Arc::clone(&terminal)).await;
    // The list is staff-only: a supervisor looks at it.
    banshi_scenarios::staff::ensure_account(&terminal, "sup", &[Role::Supervisor], &[]);
    let client = reqwest::Client::new();
    let token = terminal
        .login_password("sup", banshi_scenarios::staff::TEST_PASSWORD)
        .await
        .expect("login")
        .token;
    let pending = || async {
        let response = client
            .get(format!("{base}/api/sync/pending"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 200);
        response.json::<serde_json::Value>().await.expect("json")
    };
    let status = || async {
        reqwest::get(format!("{base}/api/status"))
            .await
            .expect("get")
            .json::<serde_json::Value>()
            .await
            .expect("json")
    };
    assert_eq!(
        pending().await,
        serde_json::json!({"total": 0, "records": []})
    );

    // No sync pass has reached the server yet: the terminal counts as offline.
    let first = terminal.issue_ticket("A").await.expect("issue");
    let list = pending().await;
    assert_eq!(list["total"], 1);
    let record = &list["records"][0];
    assert_eq!(record["id"], first.id.as_str());
    assert_eq!(record["kind"], "ticket");
    assert_eq!(record["label"], "A001");
    assert_eq!(record["status"], "local");
    assert_eq!(record["reason"]["code"], "sync.offline");
    assert!(
        record["changed_at"]
            .as_str()
            .is_some_and(|t| t.len() >= 20 && t.ends_with('Z')),
        "{record}"
    );
    let sync = &status().await["sync"];
    assert_eq!(
        (sync["state"].as_str(), sync["pending"].as_u64()),
        (Some("offline"), Some(1))
    );
    assert_eq!(sync["refused"], 0);

    terminal.sync_now().await;
    assert_eq!(pending().await["total"], 0);
    let sync = &status().await["sync"];
    assert_eq!(
        (sync["state"].as_str(), sync["pending"].as_u64()),
        (Some("online"), Some(0))
    );

    // Online, a new ticket only waits for the next pass.
    terminal.issue_ticket("B").await.expect("issue");
    let list = pending().await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["records"][0]["label"], "B001");
    assert_eq!(list["records"][0]["reason"]["code"], "sync.queued");
}
