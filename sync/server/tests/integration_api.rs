//! Official case numbers, the catalogue's read-only scope and the acceptance platform's API, on a real
//! SQLite storage: cases arrive the way terminals send them (automerge sync messages through
//! `SyncEngine::sync_doc`), the platform talks HTTP to a served router.

use std::collections::BTreeMap;
use std::sync::Arc;

use automerge::sync::{Message, State as SyncState, SyncDoc};
use automerge::{AutoCommit, ROOT};
use banshi_core::application::{
    provisional_number, Application, CaseApplicant, CaseStatus, Channel, Collection, StatusEvent,
};
use banshi_core::catalogue::{Answers, CATALOGUE_SCOPE};
use banshi_core::queue::hall_scope;
use banshi_core::rating::{Grade, QualityFlag, Rating, RatingChannel, RatingRules};
use banshi_core::{Clock, ErrorCode, ManualClock};
use banshi_server::app::ApiError;
use banshi_server::auth::{scopes_for_hall, AuthedTerminal};
use banshi_server::integration::IntegrationConfig;
use banshi_server::storage::{self, ServerStorage, TerminalRole};
use banshi_server::sync::{SyncEngine, SyncError};
use banshi_server::AppState;
use banshi_store::DocHeader;
use serde_json::{json, Value};

const HALL: &str = "hk-longhua";
const TOKEN: &str = "platform-token-0123456789";
const ITEM: &str = "11460100MB1234567X444010010000100";
/// 2026-11-24 10:00 hall time.
const NOW: time::OffsetDateTime = time::macros::datetime!(2026-11-24 02:00 UTC);

struct Server {
    storage: Arc<dyn ServerStorage>,
    state: AppState,
    url: String,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(token: Option<&str>) -> Self {
        Self::start_with(token, |_| {}).await
    }

    /// A served node; `prepare` runs on its state before it serves (e.g. to make it a relay).
    async fn start_with(token: Option<&str>, prepare: impl FnOnce(&AppState)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("server.sqlite").display());
        let storage = storage::open(&url).await.expect("open SQLite");
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(NOW));
        let state = AppState::with_clock(Arc::clone(&storage), "central", clock).with_integration(
            &IntegrationConfig {
                token: token.map(str::to_string),
            },
        );
        prepare(&state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(banshi_server::serve(
            listener,
            state.clone(),
            std::future::pending(),
        ));
        Self {
            storage,
            state,
            url,
            task,
            _dir: dir,
        }
    }

    fn engine(&self) -> &SyncEngine {
        &self.state.engine
    }

    async fn post_status(&self, number: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}/integration/v1/cases/{number}/status", self.url))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("request")).await
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = reqwest::Client::new().get(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("request")).await
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

fn terminal(id: &str) -> AuthedTerminal {
    AuthedTerminal {
        id: id.to_string(),
        hall_id: HALL.to_string(),
        role: TerminalRole::Terminal,
        scopes: scopes_for_hall(HALL),
    }
}

fn doc_id(n: usize) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

fn step(status: CaseStatus, at_ms: i64, terminal: &str) -> StatusEvent {
    StatusEvent {
        status,
        at_ms,
        actor: "s1".into(),
        actor_name: "王芳".into(),
        terminal: terminal.into(),
        hall: HALL.into(),
        note: String::new(),
    }
}

/// An accepted case taken in at `kiosk-01`, its `seq`-th of the day.
fn case(seq: u32) -> Application {
    Application {
        hall_id: HALL.into(),
        item_code: ITEM.into(),
        item_name: "国内出生登记".into(),
        catalogue_version: 1,
        channel: Channel::Kiosk,
        terminal_id: "kiosk-01".into(),
        provisional_number: provisional_number("kiosk-01", "20261124", seq),
        official_number: None,
        applicant: CaseApplicant {
            name: "张三".into(),
            id_number: "460100199001011234".into(),
            gender: "男".into(),
            birth_date: "1990-01-01".into(),
            address: "海口市".into(),
            person_key: "person-key".into(),
        },
        agent: None,
        answers: Answers::new(),
        form: BTreeMap::new(),
        materials: BTreeMap::new(),
        signature: None,
        collection: Collection::Window,
        handover: None,
        decision: None,
        notices: Vec::new(),
        history: vec![
            step(CaseStatus::Submitted, 1_000, "kiosk-01"),
            step(CaseStatus::Accepted, 2_000, "window-02"),
        ],
        created_at_ms: 1_000,
        updated_at_ms: 2_000,
    }
}

fn rating(case_id: &str, case_number: &str, at_ms: i64, terminal: &str) -> Rating {
    Rating {
        case_number: case_number.into(),
        case_id: case_id.into(),
        item_code: ITEM.into(),
        hall_id: HALL.into(),
        window: Some(2),
        staff_id: Some("s1".into()),
        grade: Grade::Satisfied,
        reasons: vec!["fast".into()],
        comment: String::new(),
        anonymous: true,
        rater_key: None,
        channel: RatingChannel::Evaluator,
        terminal_id: terminal.into(),
        submitted_at_ms: at_ms,
        flags: Vec::new(),
    }
}

/// A record document as a terminal's store writes it.
fn record_doc<T: autosurgeon::Reconcile>(
    id: &str,
    kind: &str,
    scope: &str,
    body: &T,
) -> AutoCommit {
    let mut doc = AutoCommit::new();
    let header = DocHeader {
        id: id.to_string(),
        kind: kind.to_string(),
        scope: scope.to_string(),
        schema_version: 1,
    };
    autosurgeon::reconcile_prop(&mut doc, ROOT, "header", &header).expect("header");
    autosurgeon::reconcile_prop(&mut doc, ROOT, "body", body).expect("body");
    doc
}

/// Sync `doc` with the server until neither side has anything to say. Returns what the terminal's copy
/// looked like right after the reply to the request that changed the server's copy.
async fn exchange(
    engine: &SyncEngine,
    who: &AuthedTerminal,
    id: &str,
    doc: &mut AutoCommit,
) -> Result<Option<AutoCommit>, SyncError> {
    let mut state = SyncState::new();
    let mut after_change = None;
    for _ in 0..20 {
        let message = doc.sync().generate_sync_message(&mut state);
        let sent = message.is_some();
        let bytes = message.map(Message::encode).unwrap_or_default();
        let outcome = engine.sync_doc(id, who, &bytes).await?;
        if let Some(reply) = &outcome.reply {
            let reply = Message::decode(reply).expect("reply decodes");
            doc.sync()
                .receive_sync_message(&mut state, reply)
                .expect("reply applies");
        }
        if outcome.changed {
            after_change = Some(doc.fork());
        }
        if !sent && outcome.reply.is_none() {
            return Ok(after_change);
        }
    }
    panic!("the exchange did not settle");
}

fn body_of<T: autosurgeon::Hydrate>(doc: &AutoCommit) -> T {
    autosurgeon::hydrate_prop(doc, ROOT, "body").expect("body")
}

async fn stored_case(storage: &dyn ServerStorage, id: &str) -> Application {
    let stored = storage.load_doc(id).await.expect("load").expect("stored");
    body_of(&AutoCommit::load(&stored.bytes).expect("loads"))
}

/// Sync a new case from `kiosk-01`; returns the terminal's copy after the exchange.
async fn sync_case(server: &Server, n: usize, app: &Application) -> AutoCommit {
    let id = doc_id(n);
    let mut doc = record_doc(&id, "application", &hall_scope(HALL), app);
    exchange(server.engine(), &terminal("kiosk-01"), &id, &mut doc)
        .await
        .expect("sync");
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synced_case_gets_its_official_number_in_the_same_exchange() {
    let server = Server::start(Some(TOKEN)).await;
    let id = doc_id(1);
    let mut doc = record_doc(&id, "application", &hall_scope(HALL), &case(1));
    let after_change = exchange(server.engine(), &terminal("kiosk-01"), &id, &mut doc)
        .await
        .expect("sync")
        .expect("the server stored the case");
    let expected = "2026010000100000001";
    // The reply to the very request that stored the case carried the number back.
    assert_eq!(
        body_of::<Application>(&after_change)
            .official_number
            .as_deref(),
        Some(expected)
    );
    assert_eq!(
        stored_case(&*server.storage, &id)
            .await
            .official_number
            .as_deref(),
        Some(expected)
    );
    // Both numbers are indexed.
    for number in [expected, "KIOSK-01-20261124-0001"] {
        assert_eq!(
            server.storage.case_by_number(number).await.expect("find"),
            Some((id.clone(), hall_scope(HALL)))
        );
    }
    // The next case of the item gets the next number; a case synced again keeps its own.
    let second = sync_case(&server, 2, &case(2)).await;
    assert_eq!(
        body_of::<Application>(&second).official_number.as_deref(),
        Some("2026010000100000002")
    );
    let mut changed = body_of::<Application>(&doc);
    changed.form.insert("note".into(), "x".into());
    autosurgeon::reconcile_prop(&mut doc, ROOT, "body", &changed).expect("edit");
    exchange(server.engine(), &terminal("kiosk-01"), &id, &mut doc)
        .await
        .expect("sync");
    assert_eq!(
        stored_case(&*server.storage, &id)
            .await
            .official_number
            .as_deref(),
        Some(expected)
    );
    assert_eq!(
        server
            .storage
            .next_case_sequence(ITEM, 2026)
            .await
            .expect("next"),
        3,
        "no number was drawn for a case that had one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_does_not_number_cases() {
    let identity = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with(None, |state| {
        // Nothing listens upstream: the relay is only built, never run.
        banshi_server::relay::Relay::new(
            "http://127.0.0.1:9",
            "relay-longhua",
            identity.path(),
            Arc::clone(&state.engine),
            Arc::clone(&state.clock),
        )
        .expect("relay");
    })
    .await;
    assert!(server.engine().is_relay());
    let doc = sync_case(&server, 1, &case(1)).await;
    assert_eq!(body_of::<Application>(&doc).official_number, None);
    assert_eq!(
        stored_case(&*server.storage, &doc_id(1))
            .await
            .official_number,
        None
    );
    assert_eq!(
        server
            .storage
            .next_case_sequence(ITEM, 2026)
            .await
            .expect("next"),
        1,
        "the relay drew no number"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_moves_a_case_and_terminals_pull_the_step() {
    let server = Server::start(Some(TOKEN)).await;
    let mut doc = sync_case(&server, 1, &case(1)).await;
    let official = "2026010000100000001";
    let scope = hall_scope(HALL);
    let feed_before = server.storage.feed(&scope, 0, 100).await.expect("feed");

    // By the provisional number, typed in lower case.
    let (status, body) = server
        .post_status(
            "kiosk-01-20261124-0001",
            Some(TOKEN),
            json!({"status": "reviewing", "note": "材料审查", "actor_name": "市市场监管局"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"number": official, "status": "reviewing"}));

    // The save moved the case in its scope's feed, so waiting terminals pull it.
    let feed_after = server.storage.feed(&scope, 0, 100).await.expect("feed");
    assert!(feed_after[0].position > feed_before[0].position);
    exchange(
        server.engine(),
        &terminal("window-02"),
        &doc_id(1),
        &mut doc,
    )
    .await
    .expect("pull");
    let pulled: Application = body_of(&doc);
    assert_eq!(pulled.status(), CaseStatus::Reviewing);
    let last = pulled.latest_event().expect("a step");
    assert_eq!(
        (
            last.actor.as_str(),
            last.actor_name.as_str(),
            last.terminal.as_str(),
            last.hall.as_str()
        ),
        ("platform", "市市场监管局", "server", HALL)
    );
    assert_eq!(last.at_ms, NOW.unix_timestamp() * 1000);

    let (status, body) = server
        .get(&format!("/integration/v1/cases/{official}"), Some(TOKEN))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["provisional_number"], "KIOSK-01-20261124-0001");
    assert_eq!(body["official_number"], official);
    assert_eq!(body["item_code"], ITEM);
    assert_eq!(body["status"], "reviewing");
    let statuses: Vec<&str> = body["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|s| s["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["submitted", "accepted", "reviewing"]);
    assert_eq!(body["history"][2]["note"], "材料审查");
    let text = body.to_string();
    assert!(!text.contains("张三") && !text.contains("460100199001011234"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_is_refused_with_codes() {
    let server = Server::start(Some(TOKEN)).await;
    sync_case(&server, 1, &case(1)).await;
    let number = "2026010000100000001";
    let reviewing = json!({"status": "reviewing"});

    for token in [None, Some("wrong")] {
        let (status, body) = server.post_status(number, token, reviewing.clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("integration.unauthorized"))
        );
        let (status, _) = server.get("/integration/v1/ratings", token).await;
        assert_eq!(status, 401);
    }
    let (status, body) = server
        .post_status(number, Some(TOKEN), json!({"status": "archived"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("integration.bad_status"))
    );
    // 已出件 cannot follow 已受理.
    let (status, body) = server
        .post_status(number, Some(TOKEN), json!({"status": "issued"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("application.bad_transition"))
    );
    let (status, body) = server
        .post_status("2026010000100099999", Some(TOKEN), reviewing.clone())
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("integration.unknown_case"))
    );
    let (status, body) = server.get("/integration/v1/cases/nope", Some(TOKEN)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("integration.unknown_case"))
    );

    // Malformed requests get the same shape, never a panic or plain text.
    let client = reqwest::Client::new();
    let url = format!("{}/integration/v1/cases/{number}/status", server.url);
    let (status, body) = answer(
        client
            .post(&url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("integration.bad_request"))
    );
    let huge = json!({"status": "reviewing", "note": "x".repeat(100 * 1024)});
    let (status, body) = server.post_status(number, Some(TOKEN), huge).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("integration.too_large"))
    );
    let (status, body) = server
        .get("/integration/v1/ratings?after=abc", Some(TOKEN))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("integration.bad_request"))
    );

    // Nothing above changed the case.
    assert_eq!(
        stored_case(&*server.storage, &doc_id(1)).await.status(),
        CaseStatus::Accepted
    );

    let disabled = Server::start(None).await;
    let (status, body) = disabled.post_status(number, Some(TOKEN), reviewing).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("integration.disabled"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ratings_report_flags_the_later_rating_and_uses_the_official_serial() {
    let server = Server::start(Some(TOKEN)).await;
    sync_case(&server, 1, &case(1)).await;
    let case_id = doc_id(1);
    let scope = hall_scope(HALL);
    let provisional = "KIOSK-01-20261124-0001";
    // Two offline terminals each rated the case; the one synced first was given later.
    let ratings = [
        (
            doc_id(11),
            rating(&case_id, provisional, 9_000, "window-02"),
        ),
        (doc_id(12), rating(&case_id, provisional, 5_000, "kiosk-01")),
        // A case this server does not hold: its own number is the serial.
        (
            doc_id(13),
            rating(&doc_id(99), "KIOSK-09-20261124-0007", 7_000, "kiosk-09"),
        ),
    ];
    for (id, r) in &ratings {
        let mut doc = record_doc(id, "rating", &scope, r);
        exchange(server.engine(), &terminal(&r.terminal_id), id, &mut doc)
            .await
            .expect("sync rating");
    }

    let (status, first) = server
        .get("/integration/v1/ratings?after=0&limit=2", Some(TOKEN))
        .await;
    assert_eq!(status, 200, "{first}");
    let lines = first["ratings"].as_array().expect("ratings");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["serial"], "2026010000100000001");
    assert_eq!(lines[0]["rated_at_ms"], 9_000);
    assert_eq!(
        lines[0]["duplicate"], true,
        "a later rating of a rated case"
    );
    assert_eq!(lines[1]["rated_at_ms"], 5_000);
    assert_eq!(lines[1]["duplicate"], false, "the earliest rating counts");
    assert_eq!(lines[1]["grade_level"], 2);
    assert_eq!(lines[1]["grade_name"], "满意");

    let next = first["next"].as_i64().expect("next");
    let (status, rest) = server
        .get(
            &format!("/integration/v1/ratings?after={next}"),
            Some(TOKEN),
        )
        .await;
    assert_eq!(status, 200, "{rest}");
    let lines = rest["ratings"].as_array().expect("ratings");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["serial"], "KIOSK-09-20261124-0007");
    assert_eq!(lines[0]["duplicate"], false);
    let end = rest["next"].as_i64().expect("next");
    let (_, empty) = server
        .get(
            &format!("/integration/v1/ratings?after={end}&limit=9999"),
            Some(TOKEN),
        )
        .await;
    assert_eq!(empty, json!({"ratings": [], "next": end}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_is_read_only_for_terminals_but_not_for_fleet_admins() {
    let server = Server::start(None).await;
    assert!(terminal("kiosk-01").may_access(CATALOGUE_SCOPE));
    let id = doc_id(1);
    let mut doc = record_doc(
        &id,
        "catalogue",
        CATALOGUE_SCOPE,
        &BTreeMap::<String, String>::new(),
    );
    let error = exchange(server.engine(), &terminal("kiosk-01"), &id, &mut doc)
        .await
        .expect_err("refused");
    assert_eq!(error.code(), "sync.read_only_scope");
    assert_eq!(ApiError::from(error).status().as_u16(), 403);
    assert!(server.storage.load_doc(&id).await.expect("load").is_none());

    banshi_server::fleet::add_admin_terminal(&server.storage, "admin-01")
        .await
        .expect("admin");
    exchange(server.engine(), &terminal("admin-01"), &id, &mut doc)
        .await
        .expect("an admin publishes");
    assert!(server.storage.load_doc(&id).await.expect("load").is_some());
    // Terminals still read it.
    let mut copy = AutoCommit::new();
    exchange(server.engine(), &terminal("kiosk-01"), &id, &mut copy)
        .await
        .expect("read");
    assert_eq!(copy.get_heads(), doc.get_heads());
}

/// Brief §3.4: a finished case nobody rated gets the configured default grade after the configured days,
/// once; the terminals pull it like any rating and the report carries it; a rating an offline terminal took
/// before it was due still counts, and the default becomes the duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_case_nobody_rated_gets_the_default_grade_once_and_an_earlier_offline_rating_still_counts(
) {
    use banshi_server::rating_defaults::{default_rating_doc_id, sweep, SweepOutcome};

    const DAY: i64 = 86_400_000;
    let server = Server::start(Some(TOKEN)).await;
    let scope = hall_scope(HALL);
    let finished = |seq: u32, at_ms: i64| {
        let mut case = case(seq);
        case.history.push(StatusEvent {
            actor: "platform".into(),
            ..step(CaseStatus::Completed, at_ms, "server")
        });
        case
    };
    // 1: finished, nobody rated. 2: finished and rated at the window. 3: accepted, still open.
    // 4: finished five days after the others.
    sync_case(&server, 1, &finished(1, 10_000)).await;
    sync_case(&server, 2, &finished(2, 10_000)).await;
    sync_case(&server, 3, &case(3)).await;
    sync_case(&server, 4, &finished(4, 10_000 + 5 * DAY)).await;
    let rated = rating(&doc_id(2), "KIOSK-01-20261124-0002", 11_000, "window-02");
    let mut doc = record_doc(&doc_id(12), "rating", &scope, &rated);
    exchange(
        server.engine(),
        &terminal("window-02"),
        &doc_id(12),
        &mut doc,
    )
    .await
    .expect("sync rating");

    let rules = RatingRules {
        default_grade: Grade::Basic,
        default_after_days: 10,
        ..RatingRules::default()
    };
    let storage = server.storage.as_ref();
    let at = |days: i64| 10_000 + days * DAY;
    let nine = sweep(storage, at(9), &rules).await.expect("sweep");
    assert_eq!(
        nine,
        SweepOutcome {
            cases_read: 4,
            defaulted: 0
        },
        "nothing is due after nine days"
    );
    let ten = sweep(storage, at(10), &rules).await.expect("sweep");
    assert_eq!(ten.defaulted, 1, "only the unrated case 1");
    // The next sweep reads only what may still need a default: case 4, not yet due.
    let again = sweep(storage, at(10), &rules).await.expect("sweep");
    assert_eq!(
        again,
        SweepOutcome {
            cases_read: 1,
            defaulted: 0
        }
    );

    // A terminal of the hall pulls it from the feed like any record.
    let default_id = default_rating_doc_id(&doc_id(1));
    let feed = server.storage.feed(&scope, 0, 100).await.expect("feed");
    assert!(feed.iter().any(|e| e.doc_id == default_id), "{feed:?}");
    let mut pulled = AutoCommit::new();
    exchange(
        server.engine(),
        &terminal("window-02"),
        &default_id,
        &mut pulled,
    )
    .await
    .expect("pull");
    let default: Rating = body_of(&pulled);
    assert_eq!(
        (
            default.case_id.as_str(),
            default.grade,
            default.channel,
            default.anonymous
        ),
        (
            doc_id(1).as_str(),
            Grade::Basic,
            RatingChannel::Default,
            true
        )
    );
    assert_eq!(default.flags, [QualityFlag::Defaulted]);
    assert_eq!(default.submitted_at_ms, at(10), "when it became due");
    assert_eq!(
        default.staff_id.as_deref(),
        Some("s1"),
        "the clerk, not the platform"
    );

    let (status, report) = server.get("/integration/v1/ratings", Some(TOKEN)).await;
    assert_eq!(status, 200, "{report}");
    let line = |report: &Value, channel: &str| {
        report["ratings"]
            .as_array()
            .expect("ratings")
            .iter()
            .find(|l| l["channel"] == channel)
            .cloned()
            .unwrap_or_else(|| panic!("a {channel} line in {report}"))
    };
    let defaulted = line(&report, "default");
    assert_eq!(defaulted["serial"], "2026010000100000001");
    assert_eq!(
        (
            &defaulted["grade_level"],
            &defaulted["grade_name"],
            &defaulted["flags"],
            &defaulted["duplicate"]
        ),
        (
            &json!(3),
            &json!("基本满意"),
            &json!(["defaulted"]),
            &json!(false)
        )
    );

    // A kiosk offline since day 0 rated case 1 then; its rating arrives now and is the one that counts.
    let mut late = rating(&doc_id(1), "KIOSK-01-20261124-0001", 12_000, "kiosk-01");
    late.channel = RatingChannel::Kiosk;
    let mut doc = record_doc(&doc_id(13), "rating", &scope, &late);
    exchange(
        server.engine(),
        &terminal("kiosk-01"),
        &doc_id(13),
        &mut doc,
    )
    .await
    .expect("sync rating");
    let (_, report) = server.get("/integration/v1/ratings", Some(TOKEN)).await;
    assert_eq!(line(&report, "default")["duplicate"], true);
    assert_eq!(line(&report, "kiosk")["duplicate"], false);

    // Case 4 is due five days later; nothing is ever given twice.
    let fifteen = sweep(storage, at(15), &rules).await.expect("sweep");
    assert_eq!(fifteen.defaulted, 1);
    let later = sweep(storage, at(40), &rules).await.expect("sweep");
    assert_eq!(later.defaulted, 0);
}

/// The page a receipt's QR opens on a phone: the case's progress (no personal data) and, until someone
/// rated the case, the 好差评 form with nothing preselected; the form is checked by the rating rules and
/// its rating (channel `receipt_qr`) is written once, in the case's scope, for the hall's terminals to pull.
#[tokio::test]
async fn a_receipts_qr_opens_the_cases_progress_and_takes_one_rating_on_the_phone() {
    use banshi_server::case_page::web_rating_doc_id;

    let server = Server::start(None).await;
    sync_case(&server, 1, &case(1)).await;
    let number = case(1).provisional_number;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = |language: &'static str| {
        let (http, url) = (http.clone(), format!("{}/c/{number}", server.url));
        async move {
            let response = http
                .get(url)
                .header("Accept-Language", language)
                .send()
                .await
                .expect("page");
            (
                response.status().as_u16(),
                response.text().await.expect("html"),
            )
        }
    };
    let post = |body: &'static str| {
        let (http, url) = (http.clone(), format!("{}/c/{number}/rating", server.url));
        async move {
            let response = http
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept-Language", "zh-CN")
                .body(body)
                .send()
                .await
                .expect("rating");
            (
                response.status().as_u16(),
                response.text().await.expect("html"),
            )
        }
    };

    let (status, html) = page("zh-CN,zh;q=0.9").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("data-status=\"accepted\"") && html.contains("已受理"),
        "{html}"
    );
    assert!(html.contains("国内出生登记") && html.contains("王芳"));
    assert!(
        !html.contains("张三") && !html.contains("460100199001011234"),
        "no personal data on the page"
    );
    assert_eq!(html.matches("type=radio name=grade").count(), 5);
    assert!(!html.contains(" checked"), "nothing preselected");
    let (status, english) = page("en-US,en;q=0.8").await;
    assert_eq!(status, 200);
    assert!(english.contains("Accepted") && english.contains("Very satisfied"));
    let unknown = http
        .get(format!("{}/c/NO-SUCH-CASE", server.url))
        .send()
        .await
        .expect("page");
    assert_eq!(unknown.status().as_u16(), 404);
    assert!(html.contains("提交评价"));

    // The rules: a grade first; a reason for a dissatisfied grade. Nothing is stored until they hold.
    let (status, html) = post("comment=%E5%BE%88%E5%A5%BD").await;
    assert_eq!(status, 422);
    assert!(
        html.contains("请先选择评价等级") && html.contains("很好"),
        "{html}"
    );
    let (status, html) = post("grade=dissatisfied&reason=attitude_good").await;
    assert_eq!(status, 422, "a good-grade reason does not count for 不满意");
    assert!(html.contains("请至少选择一项原因"), "{html}");
    let stored = server
        .storage
        .load_doc(&web_rating_doc_id(&doc_id(1)))
        .await;
    assert!(stored.expect("storage").is_none());

    let (status, _) = post("grade=dissatisfied&reason=long_wait&anonymous=on").await;
    assert_eq!(status, 303);
    let doc = server
        .storage
        .load_doc(&web_rating_doc_id(&doc_id(1)))
        .await
        .expect("storage")
        .expect("the rating document");
    assert_eq!(doc.kind, "rating");
    assert_eq!(doc.scope, hall_scope(HALL));
    let rated: Rating = body_of(&AutoCommit::load(&doc.bytes).expect("automerge"));
    assert_eq!(rated.channel, RatingChannel::ReceiptQr);
    assert_eq!(rated.grade, Grade::Dissatisfied);
    assert_eq!(rated.reasons, ["long_wait"]);
    assert!(rated.anonymous && rated.rater_key.is_none());
    assert_eq!(rated.staff_id.as_deref(), Some("s1"));

    // Rated: the page says so and offers no form; another submission changes nothing.
    let (_, html) = page("zh-CN").await;
    assert!(
        html.contains("本办件已评价") && !html.contains("type=radio"),
        "{html}"
    );
    let (status, _) = post("grade=very_satisfied").await;
    assert_eq!(status, 303);
    let again: Rating = body_of(
        &AutoCommit::load(
            &server
                .storage
                .load_doc(&web_rating_doc_id(&doc_id(1)))
                .await
                .expect("storage")
                .expect("document")
                .bytes,
        )
        .expect("automerge"),
    );
    assert_eq!(
        again.grade,
        Grade::Dissatisfied,
        "a rating is never changed"
    );
}

/// A stand-in SMS gateway on loopback: keeps every message it is sent and answers `status`.
async fn sms_gateway(
    status: u16,
) -> (
    String,
    Arc<std::sync::Mutex<Vec<Value>>>,
    tokio::task::JoinHandle<()>,
) {
    let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = Arc::clone(&sent);
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let kept = Arc::clone(&kept);
            async move {
                kept.lock().expect("messages").push(body);
                axum::http::StatusCode::from_u16(status).expect("status")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/send", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("gateway");
    });
    (url, sent, task)
}

/// 好差评 by SMS: a day after a case is finished, while nobody has rated it, the applicant gets the case page's
/// link by text message, once; a gateway that fails is tried again; a rating through the link is channel `sms`.
#[tokio::test]
async fn a_finished_unrated_case_gets_the_rating_link_by_sms_once_and_its_rating_counts_as_sms() {
    use banshi_server::rating_sms::{sweep, SmsError, SmsSettings, PHONE_FIELD};

    const HOUR: i64 = 3_600_000;
    let server = Server::start(None).await;
    let finished = |seq: u32, at_ms: i64, phone: Option<&str>| {
        let mut case = case(seq);
        case.history.push(StatusEvent {
            actor: "platform".into(),
            ..step(CaseStatus::Completed, at_ms, "server")
        });
        if let Some(phone) = phone {
            case.form.insert(PHONE_FIELD.into(), phone.into());
        }
        case
    };
    // 1: finished, a mobile number. 2: finished, no number. 3: finished and rated. 4: still open.
    sync_case(&server, 1, &finished(1, 10_000, Some("13800138000"))).await;
    sync_case(&server, 2, &finished(2, 10_000, None)).await;
    sync_case(&server, 3, &finished(3, 10_000, Some("13900139000"))).await;
    let mut open = case(4);
    open.form.insert(PHONE_FIELD.into(), "13700137000".into());
    sync_case(&server, 4, &open).await;
    let rated = rating(&doc_id(3), "KIOSK-01-20261124-0003", 11_000, "window-02");
    let mut doc = record_doc(&doc_id(13), "rating", &hall_scope(HALL), &rated);
    exchange(
        server.engine(),
        &terminal("window-02"),
        &doc_id(13),
        &mut doc,
    )
    .await
    .expect("sync rating");

    let (gateway, messages, _gateway_task) = sms_gateway(200).await;
    let settings = SmsSettings {
        gateway,
        public_url: "https://zwfw.example.gov.cn".into(),
        after_hours: 24,
    };
    let http = reqwest::Client::new();
    let storage = server.storage.as_ref();
    let early = sweep(storage, &http, &settings, 10_000 + 23 * HOUR)
        .await
        .expect("sweep");
    assert_eq!(early.sent, 0, "not yet a day");
    let due = sweep(storage, &http, &settings, 10_000 + 24 * HOUR)
        .await
        .expect("sweep");
    assert_eq!(due.sent, 1, "only case 1");
    let number = stored_case(storage, &doc_id(1)).await.number().to_string();
    {
        let sent = messages.lock().expect("messages");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0]["phone"], "13800138000");
        let text = sent[0]["text"].as_str().expect("text");
        assert!(
            text.contains(&format!("https://zwfw.example.gov.cn/c/{number}?via=sms")),
            "{text}"
        );
        assert!(
            text.contains("国内出生登记") && !text.contains("张三"),
            "{text}"
        );
    }
    let again = sweep(storage, &http, &settings, 10_000 + 48 * HOUR)
        .await
        .expect("sweep");
    assert_eq!(again.sent, 0, "texted once");

    // A gateway that refuses: the case is tried again at the next sweep, through a working one.
    sync_case(
        &server,
        5,
        &finished(5, 10_000 + 30 * HOUR, Some("13600136000")),
    )
    .await;
    let (broken, refused, _broken_task) = sms_gateway(503).await;
    let failing = SmsSettings {
        gateway: broken,
        ..settings.clone()
    };
    let error = sweep(storage, &http, &failing, 10_000 + 60 * HOUR)
        .await
        .unwrap_err();
    assert!(matches!(error, SmsError::Gateway { ref case_id, .. } if *case_id == doc_id(5)));
    assert_eq!(refused.lock().expect("messages").len(), 1);
    let retried = sweep(storage, &http, &settings, 10_000 + 61 * HOUR)
        .await
        .expect("sweep");
    assert_eq!(retried.sent, 1);
    assert_eq!(
        messages.lock().expect("messages")[1]["phone"],
        "13600136000"
    );

    // The link's rating is the sms channel's.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{}/c/{number}/rating?via=sms", server.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grade=very_satisfied")
        .send()
        .await
        .expect("rating");
    assert_eq!(response.status().as_u16(), 303);
    let doc = server
        .storage
        .load_doc(&banshi_server::case_page::web_rating_doc_id(&doc_id(1)))
        .await
        .expect("storage")
        .expect("the rating");
    let given: Rating = body_of(&AutoCommit::load(&doc.bytes).expect("automerge"));
    assert_eq!(given.channel, RatingChannel::Sms);
}

/// The static window QR on a window's nameplate (`/w/{hall}/{window}`): the resident types the case number from
/// the receipt and rates on the case page; the rating is channel `window_qr` and names that window (only for a
/// case of that hall).
#[tokio::test]
async fn the_static_window_qr_asks_for_the_case_number_and_rates_under_that_window() {
    let server = Server::start(None).await;
    sync_case(&server, 1, &case(1)).await;
    sync_case(&server, 2, &case(2)).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http
        .get(format!("{}/w/{HALL}/5", server.url))
        .send()
        .await
        .expect("window page");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("评价 5 号窗口的服务") && html.contains("name=number"),
        "{html}"
    );

    let number = case(1).provisional_number;
    let go = |query: String| {
        let (http, url) = (http.clone(), format!("{}/c?{query}", server.url));
        async move { http.get(url).send().await.expect("find") }
    };
    let empty = go(format!("number=+&via=window&hall={HALL}&window=5")).await;
    assert_eq!(empty.status().as_u16(), 422);
    let found = go(format!("number={number}&via=window&hall={HALL}&window=5")).await;
    assert_eq!(found.status().as_u16(), 303);
    let location = found.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert_eq!(
        location,
        format!("/c/{number}?via=window&hall={HALL}&window=5")
    );
    let form = http
        .get(format!("{}{location}", server.url))
        .send()
        .await
        .expect("case page")
        .text()
        .await
        .expect("html");
    // The page names the case by its official number by now.
    let official = stored_case(server.storage.as_ref(), &doc_id(1))
        .await
        .number()
        .to_string();
    assert!(
        form.contains(&format!(
            "action=\"/c/{official}/rating?via=window&amp;hall={HALL}&amp;window=5\""
        )),
        "{form}"
    );

    let rate = |number: String, hall: &'static str| {
        let (http, url) = (
            http.clone(),
            format!(
                "{}/c/{number}/rating?via=window&hall={hall}&window=5",
                server.url
            ),
        );
        async move {
            http.post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("grade=satisfied&reason=fast")
                .send()
                .await
                .expect("rating")
        }
    };
    assert_eq!(rate(number, HALL).await.status().as_u16(), 303);
    let rating_of = |n: usize| {
        let storage = Arc::clone(&server.storage);
        async move {
            let doc = storage
                .load_doc(&banshi_server::case_page::web_rating_doc_id(&doc_id(n)))
                .await
                .expect("storage")
                .expect("the rating");
            body_of::<Rating>(&AutoCommit::load(&doc.bytes).expect("automerge"))
        }
    };
    let given = rating_of(1).await;
    assert_eq!(given.channel, RatingChannel::WindowQr);
    assert_eq!(given.window, Some(5));
    // Another hall's window QR names no window of this case.
    assert_eq!(
        rate(case(2).provisional_number, "hk-other")
            .await
            .status()
            .as_u16(),
        303
    );
    let other = rating_of(2).await;
    assert_eq!(other.channel, RatingChannel::WindowQr);
    assert_eq!(other.window, None);
}
