//! The device API over real HTTP: who gets in (origin allow-list, session token, host name) and what a
//! web app can do once in, against a terminal whose printer is the wire-level ESC/POS simulator.

use std::sync::Arc;
use std::time::Duration;

use banshi_local_api::DirAssets;
use banshi_scenarios::Hall;
use reqwest::header::{AUTHORIZATION, HOST, ORIGIN};
use serde_json::{json, Value};

const ALLOWED: &str = "http://10.1.2.3:8080";

/// A queue machine serving its API on loopback, with `ALLOWED` in its SDK allow-list.
async fn serve_queue_machine(hall: &Hall) -> String {
    let terminal = hall
        .terminal_with("queue-ticket", "qm-01", |p| {
            p.sdk.allowed_origins = vec![ALLOWED.into()];
        })
        .await
        .expect("terminal");
    serve(hall, terminal, "ui").await
}

/// Serve `terminal`'s local API on a loopback port (with an empty UI folder named `ui`); returns its base URL.
async fn serve(hall: &Hall, terminal: Arc<banshi_terminal::Terminal>, ui: &str) -> String {
    let ui_dir = hall.dir.path().join(ui);
    std::fs::create_dir_all(&ui_dir).expect("ui dir");
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

async fn open_session(client: &reqwest::Client, base: &str, origin: &str) -> reqwest::Response {
    client
        .post(format!("{base}/api/device/v1/session"))
        .header(ORIGIN, origin)
        .send()
        .await
        .expect("post")
}

async fn code_of(response: reqwest::Response) -> String {
    response.json::<Value>().await.expect("json")["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_from_another_origin_is_refused_and_can_only_read_why() {
    let hall = Hall::start().await.expect("hall");
    let base = serve_queue_machine(&hall).await;
    let client = reqwest::Client::new();

    let refused = open_session(&client, &base, "http://evil.example").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.headers()["access-control-allow-origin"],
        "http://evil.example"
    );
    assert_eq!(code_of(refused).await, "device_api.origin_refused");

    // A preflight from the wrong origin is refused too, so the browser never sends the real request.
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{base}/api/device/v1/status"),
        )
        .header(ORIGIN, "http://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("options");
    assert_eq!(preflight.status(), 403);
    assert!(preflight
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    // DNS rebinding: right address, foreign host name.
    let rebound = client
        .post(format!("{base}/api/device/v1/session"))
        .header(HOST, "evil.example")
        .send()
        .await
        .expect("post");
    assert_eq!(code_of(rebound).await, "device_api.bad_host");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_origin_needs_a_session_and_then_prints_through_the_real_printer() {
    let hall = Hall::start().await.expect("hall");
    let base = serve_queue_machine(&hall).await;
    let client = reqwest::Client::new();

    let no_session = client
        .get(format!("{base}/api/device/v1/status"))
        .header(ORIGIN, ALLOWED)
        .send()
        .await
        .expect("get");
    assert_eq!(no_session.status(), 401);
    assert_eq!(code_of(no_session).await, "device_api.no_session");

    let grant = open_session(&client, &base, ALLOWED).await;
    assert_eq!(grant.status(), 201);
    assert_eq!(grant.headers()["access-control-allow-origin"], ALLOWED);
    let token = grant.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let bearer = format!("Bearer {token}");

    let status: Value = client
        .get(format!("{base}/api/device/v1/status"))
        .header(ORIGIN, ALLOWED)
        .header(AUTHORIZATION, &bearer)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(status[0]["class"], "ticket_printer");

    // The token is bound to the origin that opened the session.
    let borrowed = client
        .get(format!("{base}/api/device/v1/status"))
        .header(ORIGIN, base.as_str())
        .header(AUTHORIZATION, &bearer)
        .send()
        .await
        .expect("get");
    assert_eq!(borrowed.status(), 401);

    let printed = client
        .post(format!("{base}/api/device/v1/print/slip"))
        .header(ORIGIN, ALLOWED)
        .header(AUTHORIZATION, &bearer)
        .json(&json!({
            "printer": "ticket",
            "lines": [
                {"type": "text", "text": "设备接口打印测试", "align": "center", "bold": true},
                {"type": "qr", "data": "https://zwfw.example/case/1"}
            ]
        }))
        .send()
        .await
        .expect("post");
    assert_eq!(printed.status(), 200, "{:?}", printed.text().await);
    let jobs = hall
        .printer
        .wait_for_jobs(1, Duration::from_secs(10))
        .await
        .expect("job");
    assert!(
        jobs[0].text.contains("设备接口打印测试"),
        "{}",
        jobs[0].text
    );
    assert!(jobs[0].text.contains("[QR: https://zwfw.example/case/1]"));

    // Bad input gets the error shape, and nothing reaches the printer.
    let control = client
        .post(format!("{base}/api/device/v1/print/slip"))
        .header(ORIGIN, ALLOWED)
        .header(AUTHORIZATION, &bearer)
        .json(&json!({"lines": [{"type": "text", "text": "\u{1b}@"}]}))
        .send()
        .await
        .expect("post");
    assert_eq!(control.status(), 400);
    assert_eq!(code_of(control).await, "printer.unencodable_text");
    let unknown_shape = client
        .post(format!("{base}/api/device/v1/print/slip"))
        .header(ORIGIN, ALLOWED)
        .header(AUTHORIZATION, &bearer)
        .json(&json!({"lines": [{"type": "hologram"}]}))
        .send()
        .await
        .expect("post");
    assert_eq!(code_of(unknown_shape).await, "api.bad_request");
    assert_eq!(hall.printer.jobs().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_script_is_served_to_any_page() {
    let hall = Hall::start().await.expect("hall");
    let base = serve_queue_machine(&hall).await;
    let script = reqwest::get(format!("{base}/sdk/banshi-device.js"))
        .await
        .expect("get");
    assert_eq!(script.headers()["access-control-allow-origin"], "*");
    assert!(script
        .text()
        .await
        .expect("text")
        .contains("export class BanshiDevices"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_is_assembled_from_the_clip_set_and_played_to_the_configured_output() {
    let hall = Hall::start().await.expect("hall");
    let spoken = hall.dir.path().join("spoken");
    let clips = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../voice/clips");
    let output = format!("wav:{}", spoken.display());
    let terminal = hall
        .terminal_with("call-screen", "cs-01", move |p| {
            let voice = p.devices.voice.as_mut().expect("call screens speak");
            voice.clips = clips.display().to_string();
            voice.output = output;
        })
        .await
        .expect("terminal");
    let base = serve(&hall, terminal, "ui-cs").await;
    let client = reqwest::Client::new();
    let token = open_session(&client, &base, &base)
        .await
        .json::<Value>()
        .await
        .expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let queued = client
        .post(format!("{base}/api/device/v1/voice/announce"))
        .header(ORIGIN, base.as_str())
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&json!({"ticket": "A001", "window": "5"}))
        .send()
        .await
        .expect("post");
    assert_eq!(queued.status(), 200, "{:?}", queued.text().await);
    let wav = (0..100)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            std::fs::read_dir(&spoken)
                .ok()?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| {
                    p.to_string_lossy().contains("A001")
                        && p.extension().is_some_and(|e| e == "wav")
                })
        })
        .expect("the announcement was played to the WAV folder");
    let bytes = std::fs::read(&wav).expect("read");
    assert_eq!(&bytes[..4], b"RIFF");
    assert!(bytes.len() > 16_000, "a second or more of speech");

    let bad = client
        .post(format!("{base}/api/device/v1/voice/announce"))
        .header(ORIGIN, base.as_str())
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&json!({"ticket": "<script>", "window": "5"}))
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 400);
    assert_eq!(code_of(bad).await, "voice.bad_ticket");
}
