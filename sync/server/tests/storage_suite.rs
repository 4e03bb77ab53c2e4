//! One storage story suite for both backends: every story in `stories!` runs once on SQLite (a temp file)
//! and once on PostgreSQL (a fresh database per test on `BANSHI_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). The PostgreSQL tests fail, never skip, when no
//! PostgreSQL answers. Stories only PostgreSQL can tell (several nodes on one database, the listener)
//! follow in `mod postgres_only`.
//!
//! "Another node" is a second storage on the same database for PostgreSQL; for SQLite, whose file one
//! process owns, it is the same storage, so the same story holds for both.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use banshi_core::queue::{hall_scope, Ticket};
use banshi_core::{ErrorCode, SystemClock};
use banshi_server::auth::admin;
use banshi_server::storage::{self, Change, ServerStorage, StoredDoc, TerminalRole};
use banshi_server::testing::ScratchDatabase;
use banshi_store::{DataKey, DocHeader, Durability, Store, SyncStatus};
use banshi_sync_client::{SyncClient, TerminalIdentity};
use tokio::sync::broadcast;

/// Only a guard against hanging forever; nothing here measures time.
const GUARD: Duration = Duration::from_secs(30);
const HALL: &str = "hk-longhua";

enum Place {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(ScratchDatabase),
}

/// A backend under test. Fields drop in order: the storage before its database.
struct Backend {
    storage: Arc<dyn ServerStorage>,
    place: Place,
}

impl Backend {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("server.sqlite").display());
        Self {
            storage: storage::open(&url).await.expect("open SQLite"),
            place: Place::Sqlite(dir),
        }
    }

    async fn postgres() -> Self {
        let db = ScratchDatabase::create().await;
        Self {
            storage: storage::open(db.url()).await.expect("open PostgreSQL"),
            place: Place::Postgres(db),
        }
    }

    /// Another server node on the same database.
    async fn other_node(&self) -> Arc<dyn ServerStorage> {
        match &self.place {
            Place::Sqlite(_) => Arc::clone(&self.storage),
            Place::Postgres(db) => storage::open(db.url()).await.expect("second node"),
        }
    }
}

macro_rules! stories {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    super::$story(super::Backend::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $story() {
                    super::$story(super::Backend::postgres().await).await;
                }
            )*
        }
    };
}

stories!(
    documents_save_and_load,
    the_feed_lists_each_document_once_in_order_with_paging_and_a_cursor,
    sync_state_round_trips,
    a_save_from_a_stale_copy_keeps_what_is_stored,
    saves_are_announced_to_every_node,
    a_record_syncs_over_http_from_one_terminal_to_another,
    a_long_poll_answers_when_another_node_stores_a_change,
    a_blob_upload_is_kept_once_and_read_only_in_its_scopes,
    tokens_terminals_and_nonces_behave_the_same,
    fleet_state_is_kept_by_kind_and_id_and_changes_are_announced_to_every_node,
    case_counters_start_at_one_per_item_and_year,
    two_nodes_numbering_at_once_never_get_the_same_number,
    case_numbers_name_their_document_and_keep_the_first,
    documents_of_one_kind_are_listed_across_scopes_in_feed_order,
);

// ---- helpers ----

/// A record document as a terminal would send it: `{header, body}`.
fn record_doc(id: &str, scope: &str) -> AutoCommit {
    let mut doc = AutoCommit::new();
    let header = DocHeader {
        id: id.to_string(),
        kind: "ticket".to_string(),
        scope: scope.to_string(),
        schema_version: 1,
    };
    autosurgeon::reconcile_prop(&mut doc, ROOT, "header", &header).expect("header");
    doc.put_object(ROOT, "body", ObjType::Map).expect("body");
    doc
}

fn stored(doc: &mut AutoCommit, scope: &str) -> StoredDoc {
    StoredDoc {
        kind: "ticket".to_string(),
        scope: scope.to_string(),
        bytes: doc.save(),
    }
}

async fn save_new(storage: &dyn ServerStorage, id: &str, scope: &str) -> i64 {
    storage
        .save_doc(id, stored(&mut record_doc(id, scope), scope))
        .await
        .expect("save")
}

fn doc_id(n: usize) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

async fn ids_in_feed(storage: &dyn ServerStorage, scope: &str, after: i64) -> Vec<String> {
    storage
        .feed(scope, after, 1000)
        .await
        .expect("feed")
        .into_iter()
        .map(|e| e.doc_id)
        .collect()
}

/// Wait for an announcement of `scope`, skipping others.
async fn expect_change(changes: &mut broadcast::Receiver<Change>, scope: &str) {
    let found = tokio::time::timeout(GUARD, async {
        loop {
            match changes.recv().await {
                Ok(Change::Scope(s)) if s == scope => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("change stream closed"),
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no announcement of {scope}");
}

/// One server node on an ephemeral loopback port.
struct Node {
    url: String,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Node {
    async fn start(storage: Arc<dyn ServerStorage>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = banshi_server::AppState::new(storage, "story-node");
        let task = tokio::spawn(banshi_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        Self { url, task }
    }

    async fn wait_until_feed_waiting(&self, n: u64) {
        wait_until_feed_waiting(&self.url, n).await;
    }
}

/// Wait until `n` feed long-polls wait on the server at `url` (its `/metrics` gauge).
async fn wait_until_feed_waiting(url: &str, n: u64) {
    let waiting = || async {
        let text = reqwest::get(format!("{url}/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|l| l.strip_prefix("banshi_server_feed_waiting "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let reached = tokio::time::timeout(GUARD, async {
        while waiting().await < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(reached.is_ok(), "no long-poll started waiting");
}

impl Drop for Node {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A terminal's store and sync client, enrolled (with a token made in `storage`) and talking to `server`.
async fn terminal(
    dir: &tempfile::TempDir,
    storage: &dyn ServerStorage,
    id: &str,
    server: &str,
) -> (Arc<Store>, SyncClient) {
    let store = Arc::new(
        Store::open(
            &dir.path().join(format!("{id}.sqlite")),
            DataKey::generate().expect("key"),
        )
        .expect("store"),
    );
    let identity = Arc::new(
        TerminalIdentity::load_or_create(&dir.path().join(format!("{id}-identity")), id)
            .expect("identity"),
    );
    let client = SyncClient::new(
        server,
        identity,
        HALL,
        Arc::clone(&store),
        Arc::new(SystemClock),
    )
    .expect("client");
    let token = admin::create_token(
        storage,
        &SystemClock,
        HALL,
        TerminalRole::Terminal,
        1,
        Duration::from_secs(600),
    )
    .await
    .expect("token");
    client.enroll(&token).await.expect("enroll");
    (store, client)
}

fn ticket(number: u32) -> Ticket {
    Ticket::issue(HALL, "A", number, "qm-01", time::OffsetDateTime::now_utc())
}

// ---- stories for both backends ----

async fn documents_save_and_load(b: Backend) {
    let s = &*b.storage;
    assert!(s.load_doc(&doc_id(1)).await.expect("load").is_none());
    assert_eq!(s.document_count().await.expect("count"), 0);

    let mut doc = record_doc(&doc_id(1), "hall:a");
    let bytes = doc.save();
    let first = s
        .save_doc(&doc_id(1), stored(&mut doc, "hall:a"))
        .await
        .expect("save");
    let loaded = s.load_doc(&doc_id(1)).await.expect("load").expect("stored");
    assert_eq!(
        (loaded.kind.as_str(), loaded.scope.as_str()),
        ("ticket", "hall:a")
    );
    assert_eq!(loaded.bytes, bytes);

    // Saving again replaces the document and gives it a later position.
    let body = doc.get(ROOT, "body").expect("get").expect("body").1;
    doc.put(&body, "printed", true).expect("edit");
    let second = s
        .save_doc(&doc_id(1), stored(&mut doc, "hall:a"))
        .await
        .expect("save");
    assert!(second > first, "{second} after {first}");
    let reloaded = AutoCommit::load(
        &s.load_doc(&doc_id(1))
            .await
            .expect("load")
            .expect("doc")
            .bytes,
    )
    .expect("loads");
    let body = reloaded.get(ROOT, "body").expect("get").expect("body").1;
    assert!(reloaded.get(&body, "printed").expect("get").is_some());
    assert_eq!(s.document_count().await.expect("count"), 1);
}

async fn the_feed_lists_each_document_once_in_order_with_paging_and_a_cursor(b: Backend) {
    let s = &*b.storage;
    for n in 1..=3 {
        save_new(s, &doc_id(n), "hall:a").await;
    }
    save_new(s, &doc_id(4), "hall:b").await;

    let all = s.feed("hall:a", 0, 10).await.expect("feed");
    assert_eq!(
        all.iter().map(|e| e.doc_id.clone()).collect::<Vec<_>>(),
        vec![doc_id(1), doc_id(2), doc_id(3)]
    );
    assert!(all.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(ids_in_feed(s, "hall:b", 0).await, vec![doc_id(4)]);
    assert!(ids_in_feed(s, "hall:none", 0).await.is_empty());

    // Paging: a cursor at the last entry seen continues where the page ended.
    let page = s.feed("hall:a", 0, 2).await.expect("feed");
    assert_eq!(page.len(), 2);
    let cursor = page[1].position;
    assert_eq!(ids_in_feed(s, "hall:a", cursor).await, vec![doc_id(3)]);
    assert!(ids_in_feed(s, "hall:a", all[2].position).await.is_empty());

    // A changed document moves to the end and is listed once.
    save_new(s, &doc_id(1), "hall:a").await;
    assert_eq!(
        ids_in_feed(s, "hall:a", 0).await,
        vec![doc_id(2), doc_id(3), doc_id(1)]
    );
    assert_eq!(
        ids_in_feed(s, "hall:a", cursor).await,
        vec![doc_id(3), doc_id(1)]
    );
}

async fn sync_state_round_trips(b: Backend) {
    let s = &*b.storage;
    let (doc, peer) = (doc_id(1), "qm-01");
    assert!(s.load_sync_state(&doc, peer).await.expect("load").is_none());
    s.save_sync_state(&doc, peer, vec![1, 2, 3])
        .await
        .expect("save");
    s.save_sync_state(&doc, "ck-05", vec![9])
        .await
        .expect("save");
    assert_eq!(
        s.load_sync_state(&doc, peer).await.expect("load"),
        Some(vec![1, 2, 3])
    );
    s.save_sync_state(&doc, peer, vec![4]).await.expect("save");
    assert_eq!(
        s.load_sync_state(&doc, peer).await.expect("load"),
        Some(vec![4])
    );
    assert_eq!(
        s.load_sync_state(&doc, "ck-05").await.expect("load"),
        Some(vec![9])
    );
}

async fn a_save_from_a_stale_copy_keeps_what_is_stored(b: Backend) {
    // Two nodes load the same document and apply different changes at once; the second save must not
    // drop the first one's change.
    let other = b.other_node().await;
    let id = doc_id(7);
    let mut base = record_doc(&id, "hall:a");
    b.storage
        .save_doc(&id, stored(&mut base, "hall:a"))
        .await
        .expect("save");
    let body = base.get(ROOT, "body").expect("get").expect("body").1;
    let (mut at_a, mut at_b) = (base.fork(), base.fork());
    at_a.put(&body, "called_by", "ck-05").expect("edit");
    at_b.put(&body, "printed", true).expect("edit");
    b.storage
        .save_doc(&id, stored(&mut at_a, "hall:a"))
        .await
        .expect("save a");
    other
        .save_doc(&id, stored(&mut at_b, "hall:a"))
        .await
        .expect("save b");

    let merged = AutoCommit::load(
        &b.storage
            .load_doc(&id)
            .await
            .expect("load")
            .expect("doc")
            .bytes,
    )
    .expect("loads");
    let body = merged.get(ROOT, "body").expect("get").expect("body").1;
    assert!(
        merged.get(&body, "called_by").expect("get").is_some(),
        "node A's change was lost"
    );
    assert!(
        merged.get(&body, "printed").expect("get").is_some(),
        "node B's change was lost"
    );
    assert_eq!(ids_in_feed(&*b.storage, "hall:a", 0).await, vec![id]);
}

async fn saves_are_announced_to_every_node(b: Backend) {
    let other = b.other_node().await;
    let mut here = b.storage.changes();
    let mut there = other.changes();
    save_new(&*b.storage, &doc_id(1), "hall:a").await;
    expect_change(&mut here, "hall:a").await;
    expect_change(&mut there, "hall:a").await;
    save_new(&*other, &doc_id(2), "hall:b").await;
    expect_change(&mut here, "hall:b").await;
    expect_change(&mut there, "hall:b").await;
}

async fn fleet_state_is_kept_by_kind_and_id_and_changes_are_announced_to_every_node(b: Backend) {
    use banshi_server::storage::FLEET_SCOPE;
    let other = b.other_node().await;
    let mut there = other.changes();
    assert_eq!(
        b.storage.fleet_get("release", "r1").await.expect("get"),
        None
    );
    b.storage
        .fleet_put("heartbeat", "t2", r#"{"n":1}"#, false)
        .await
        .expect("put");
    b.storage
        .fleet_put("heartbeat", "t1", r#"{"n":2}"#, false)
        .await
        .expect("put");
    b.storage
        .fleet_put("heartbeat", "t1", r#"{"n":3}"#, false)
        .await
        .expect("overwrite");
    b.storage
        .fleet_put("release", "r1", r#"{"v":1}"#, true)
        .await
        .expect("put release");
    expect_change(&mut there, FLEET_SCOPE).await;
    assert_eq!(
        other.fleet_list("heartbeat").await.expect("list"),
        vec![
            ("t1".to_string(), r#"{"n":3}"#.to_string()),
            ("t2".to_string(), r#"{"n":1}"#.to_string())
        ]
    );
    assert_eq!(
        other.fleet_get("release", "r1").await.expect("get"),
        Some(r#"{"v":1}"#.to_string())
    );
}

async fn a_blob_upload_is_kept_once_and_read_only_in_its_scopes(b: Backend) {
    let s = &*b.storage;
    let sm3 = banshi_crypto::sm3_hex(b"scan");
    s.put_blob_upload_chunk(&sm3, "hall:a", 4, 0, b"sc".to_vec())
        .await
        .expect("chunk");
    // A new declared size starts the upload over.
    s.put_blob_upload_chunk(&sm3, "hall:a", 4, 0, b"scan".to_vec())
        .await
        .expect("chunk");
    let upload = s
        .blob_upload(&sm3, "hall:a")
        .await
        .expect("upload")
        .expect("in progress");
    assert_eq!((upload.size, upload.chunks_present.clone()), (4, vec![0]));
    assert_eq!(s.blob_in_scope(&sm3, "hall:a").await.expect("lookup"), None);
    // A stale generation changes nothing.
    assert_eq!(
        s.finish_blob_upload(&sm3, "hall:a", upload.generation - 1)
            .await
            .expect("finish"),
        storage::FinishedUpload::Changed
    );
    assert_eq!(
        s.finish_blob_upload(&sm3, "hall:a", upload.generation)
            .await
            .expect("finish"),
        storage::FinishedUpload::Stored
    );
    assert_eq!(
        s.blob_in_scope(&sm3, "hall:a").await.expect("lookup"),
        Some(4)
    );
    assert_eq!(s.blob_in_scope(&sm3, "hall:b").await.expect("lookup"), None);
    assert_eq!(
        s.blob_chunk(&sm3, 0).await.expect("chunk").as_deref(),
        Some(&b"scan"[..])
    );
    // The same content uploaded for another scope is deduplicated.
    s.put_blob_upload_chunk(&sm3, "hall:b", 4, 0, b"scan".to_vec())
        .await
        .expect("chunk");
    let g = s
        .blob_upload(&sm3, "hall:b")
        .await
        .expect("upload")
        .expect("upload")
        .generation;
    assert_eq!(
        s.finish_blob_upload(&sm3, "hall:b", g)
            .await
            .expect("finish"),
        storage::FinishedUpload::Deduplicated
    );
    assert_eq!(
        s.blob_in_scope(&sm3, "hall:b").await.expect("lookup"),
        Some(4)
    );
    // A bad upload is discarded whole.
    let other = banshi_crypto::sm3_hex(b"other");
    s.put_blob_upload_chunk(&other, "hall:a", 5, 0, b"xxxxx".to_vec())
        .await
        .expect("chunk");
    let g = s
        .blob_upload(&other, "hall:a")
        .await
        .expect("upload")
        .expect("upload")
        .generation;
    assert!(s
        .discard_blob_upload(&other, "hall:a", g)
        .await
        .expect("discard"));
    assert!(s
        .blob_upload(&other, "hall:a")
        .await
        .expect("upload")
        .is_none());
    assert!(s
        .blob_upload_chunk(&other, "hall:a", 0)
        .await
        .expect("chunk")
        .is_none());
}

async fn tokens_terminals_and_nonces_behave_the_same(b: Backend) {
    let s = &*b.storage;
    let token = admin::create_token(
        s,
        &SystemClock,
        "hall-x",
        TerminalRole::Relay,
        2,
        Duration::from_secs(60),
    )
    .await
    .expect("token");
    let hash = banshi_crypto::sm3_hex(token.as_bytes());
    let now = banshi_core::Clock::now_ms(&SystemClock);
    let first = s.redeem_enrollment_token(&hash, now).await.expect("redeem");
    assert_eq!(
        first.map(|t| (t.hall_id, t.role, t.uses_left)),
        Some(("hall-x".to_string(), TerminalRole::Relay, 1))
    );
    assert!(s
        .redeem_enrollment_token(&hash, now)
        .await
        .expect("redeem")
        .is_some());
    assert!(
        s.redeem_enrollment_token(&hash, now)
            .await
            .expect("redeem")
            .is_none(),
        "used up"
    );
    let fresh = admin::create_token(
        s,
        &SystemClock,
        "h",
        TerminalRole::Terminal,
        1,
        Duration::from_secs(60),
    )
    .await
    .expect("token");
    let expired_at = now + 120_000;
    assert!(
        s.redeem_enrollment_token(&banshi_crypto::sm3_hex(fresh.as_bytes()), expired_at)
            .await
            .expect("redeem")
            .is_none(),
        "expired"
    );

    let t = storage::TerminalRecord {
        id: "qm-01".into(),
        hall_id: "hall-x".into(),
        public_key: "04ab".into(),
        role: TerminalRole::Terminal,
        revoked: false,
        enrolled_at_ms: now,
        updated_at_ms: now,
    };
    s.put_terminal(t.clone()).await.expect("put");
    assert_eq!(s.terminal("qm-01").await.expect("get"), Some(t.clone()));
    assert!(admin::revoke(s, &SystemClock, "qm-01")
        .await
        .expect("revoke"));
    assert!(
        s.terminal("qm-01")
            .await
            .expect("get")
            .expect("kept")
            .revoked
    );
    assert_eq!(s.terminals(Some("hall-x")).await.expect("list").len(), 1);
    assert!(s
        .terminals(Some("elsewhere"))
        .await
        .expect("list")
        .is_empty());

    assert!(s
        .remember_nonce("qm-01", "n1", now + 1000, now)
        .await
        .expect("nonce"));
    assert!(
        !s.remember_nonce("qm-01", "n1", now + 1000, now)
            .await
            .expect("nonce"),
        "replay"
    );
    assert!(
        s.remember_nonce("qm-02", "n1", now + 1000, now)
            .await
            .expect("nonce"),
        "per terminal"
    );
    // Once expired it is forgotten.
    assert!(s
        .remember_nonce("qm-01", "n1", now + 9000, now + 2000)
        .await
        .expect("nonce"));

    assert_eq!(s.cursor("push:hall-x").await.expect("cursor"), 0);
    s.set_cursor("push:hall-x", 42).await.expect("cursor");
    assert_eq!(s.cursor("push:hall-x").await.expect("cursor"), 42);
}

async fn a_record_syncs_over_http_from_one_terminal_to_another(b: Backend) {
    let node_a = Node::start(Arc::clone(&b.storage)).await;
    let node_b = Node::start(b.other_node().await).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (qm_store, qm) = terminal(&dir, &*b.storage, "qm-01", &node_a.url).await;
    let (window_store, window) = terminal(&dir, &*b.storage, "ck-05", &node_b.url).await;

    let issued = ticket(1);
    let header = qm_store
        .create(&hall_scope(HALL), &issued, Durability::Promised)
        .expect("create");
    let pushed = qm.sync_once().await.expect("push");
    assert_eq!((pushed.pushed, pushed.refused), (1, 0));
    assert_eq!(
        qm_store
            .meta(&header.id)
            .expect("meta")
            .expect("known")
            .sync_status,
        SyncStatus::Synced
    );

    let pulled = window.sync_once().await.expect("pull");
    assert_eq!(pulled.pulled, 1);
    let record = window_store
        .get::<Ticket>(&header.id)
        .expect("get")
        .expect("pulled");
    assert_eq!(record.header, header);
    assert_eq!(record.body, issued);
    assert_eq!(b.storage.document_count().await.expect("count"), 1);

    // Nothing new: the next pass pulls nothing.
    assert_eq!(window.sync_once().await.expect("pass").pulled, 0);
}

async fn a_long_poll_answers_when_another_node_stores_a_change(b: Backend) {
    let node_a = Node::start(Arc::clone(&b.storage)).await;
    let node_b = Node::start(b.other_node().await).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (qm_store, qm) = terminal(&dir, &*b.storage, "qm-01", &node_a.url).await;
    let (_window_store, window) = terminal(&dir, &*b.storage, "ck-05", &node_b.url).await;
    let window = Arc::new(window);
    let scope = hall_scope(HALL);

    // Nothing there: the wait runs out and says so.
    assert!(!window
        .wait_for_feed(&scope, Duration::from_millis(200))
        .await
        .expect("wait"));

    // The window waits on node B while the queue machine pushes to node A.
    let waiting = {
        let (window, scope) = (Arc::clone(&window), scope.clone());
        tokio::spawn(async move { window.wait_for_feed(&scope, Duration::from_secs(20)).await })
    };
    node_b.wait_until_feed_waiting(1).await;
    qm_store
        .create(&scope, &ticket(1), Durability::Promised)
        .expect("create");
    qm.sync_once().await.expect("push");
    let woke = tokio::time::timeout(GUARD, waiting)
        .await
        .expect("the long-poll never answered")
        .expect("task")
        .expect("wait");
    assert!(woke, "the long-poll answered without the new record");

    // Announced once: until a pass pulls it, the next wait does not report the same change again.
    assert!(!window
        .wait_for_feed(&scope, Duration::from_millis(200))
        .await
        .expect("wait"));
    assert_eq!(window.sync_once().await.expect("pull").pulled, 1);
}

async fn case_counters_start_at_one_per_item_and_year(b: Backend) {
    let s = &*b.storage;
    for expected in 1..=3 {
        assert_eq!(
            s.next_case_sequence("ITEM-A", 2026).await.expect("next"),
            expected
        );
    }
    assert_eq!(s.next_case_sequence("ITEM-B", 2026).await.expect("next"), 1);
    // A new year starts over; the old year's counter is untouched.
    assert_eq!(s.next_case_sequence("ITEM-A", 2027).await.expect("next"), 1);
    assert_eq!(s.next_case_sequence("ITEM-A", 2026).await.expect("next"), 4);
}

async fn two_nodes_numbering_at_once_never_get_the_same_number(b: Backend) {
    const PER_TASK: usize = 25;
    let nodes = [Arc::clone(&b.storage), b.other_node().await];
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let storage = Arc::clone(&nodes[t % 2]);
            tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..PER_TASK {
                    got.push(
                        storage
                            .next_case_sequence("ITEM-C", 2026)
                            .await
                            .expect("next"),
                    );
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(
            tokio::time::timeout(GUARD, task)
                .await
                .expect("hung")
                .expect("task"),
        );
    }
    let distinct: HashSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a number was given twice");
    assert_eq!(
        distinct,
        (1..=(4 * PER_TASK) as u64).collect::<HashSet<_>>()
    );
}

async fn case_numbers_name_their_document_and_keep_the_first(b: Backend) {
    let s = &*b.storage;
    assert_eq!(
        s.case_by_number("KIOSK-01-20261124-0001")
            .await
            .expect("find"),
        None
    );
    s.put_case_number("KIOSK-01-20261124-0001", &doc_id(1), "hall:a")
        .await
        .expect("put");
    s.put_case_number("2026010000100000001", &doc_id(1), "hall:a")
        .await
        .expect("put");
    // Idempotent, and a number never moves to another document.
    s.put_case_number("KIOSK-01-20261124-0001", &doc_id(1), "hall:a")
        .await
        .expect("again");
    s.put_case_number("KIOSK-01-20261124-0001", &doc_id(2), "hall:b")
        .await
        .expect("clash");
    let other = b.other_node().await;
    for number in ["KIOSK-01-20261124-0001", "2026010000100000001"] {
        assert_eq!(
            other.case_by_number(number).await.expect("find"),
            Some((doc_id(1), "hall:a".to_string()))
        );
    }
}

async fn documents_of_one_kind_are_listed_across_scopes_in_feed_order(b: Backend) {
    let s = &*b.storage;
    let save = |id: String, kind: &'static str, scope: &'static str| async move {
        let mut doc = record_doc(&id, scope);
        let position = s
            .save_doc(
                &id,
                StoredDoc {
                    kind: kind.to_string(),
                    scope: scope.to_string(),
                    bytes: doc.save(),
                },
            )
            .await
            .expect("save");
        (position, id)
    };
    let r1 = save(doc_id(1), "rating", "hall:a").await;
    save(doc_id(2), "ticket", "hall:a").await;
    let r2 = save(doc_id(3), "rating", "hall:b").await;
    let r3 = save(doc_id(4), "rating", "hall:a").await;
    let listed = |after, limit| async move {
        s.docs_of_kind_after("rating", after, limit)
            .await
            .expect("list")
            .into_iter()
            .map(|(position, id, bytes)| {
                assert!(AutoCommit::load(&bytes).is_ok(), "whole document bytes");
                (position, id)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listed(0, 10).await,
        vec![r1.clone(), r2.clone(), r3.clone()]
    );
    assert_eq!(listed(0, 2).await, vec![r1.clone(), r2.clone()]);
    assert_eq!(listed(r2.0, 10).await, vec![r3.clone()]);
    // A document saved again moves behind the others, like in the scope feed.
    let r1_again = save(doc_id(1), "rating", "hall:a").await;
    assert_eq!(listed(r3.0, 10).await, vec![r1_again]);
    assert!(listed(0, 10).await.iter().all(|(p, _)| *p != r1.0));
}

// ---- stories only several PostgreSQL nodes can tell ----

mod postgres_only {
    use super::*;
    use banshi_server::storage::postgres::{PostgresStorage, LISTENER_APPLICATION_NAME};

    async fn admin_of(db: &ScratchDatabase) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(connection);
        client
    }

    /// Saves of one scope from two nodes at once while a reader follows the feed with a cursor, as
    /// terminals do: the reader must see every document. Positions committing out of order (10 after 11)
    /// would make it skip one for good.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn feed_positions_become_visible_in_order_across_nodes() {
        const WRITERS: usize = 8;
        const SAVES_PER_WRITER: usize = 40;
        let b = Backend::postgres().await;
        let nodes = [Arc::clone(&b.storage), b.other_node().await];
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

        let reader = {
            let (storage, done) = (Arc::clone(&nodes[1]), Arc::clone(&done));
            tokio::spawn(async move {
                let (mut cursor, mut seen) = (0, HashSet::new());
                loop {
                    // Read `done` before the page: a page read after the writers finished sees them all.
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let page = storage.feed("hall:busy", cursor, 5).await.expect("feed");
                    for entry in &page {
                        seen.insert(entry.doc_id.clone());
                        cursor = entry.position;
                    }
                    if page.is_empty() {
                        if finished {
                            return seen;
                        }
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let storage = Arc::clone(&nodes[w % 2]);
                tokio::spawn(async move {
                    for i in 0..SAVES_PER_WRITER {
                        let id = doc_id(w * 1000 + i);
                        save_new(&*storage, &id, "hall:busy").await;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = tokio::time::timeout(GUARD, reader)
            .await
            .expect("reader hung")
            .expect("reader");

        let all: HashSet<String> = (0..WRITERS)
            .flat_map(|w| (0..SAVES_PER_WRITER).map(move |i| doc_id(w * 1000 + i)))
            .collect();
        let missed: Vec<_> = all.difference(&seen).collect();
        assert!(
            missed.is_empty(),
            "the cursor reader missed {} of {} documents, e.g. {:?}",
            missed.len(),
            all.len(),
            missed.first()
        );
    }

    /// The same for a report that follows one kind across every scope (the ratings report): saves of many
    /// scopes from two nodes must still become visible to it in position order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn documents_of_a_kind_become_visible_in_order_across_scopes_and_nodes() {
        const WRITERS: usize = 6;
        const SAVES_PER_WRITER: usize = 30;
        let b = Backend::postgres().await;
        let nodes = [Arc::clone(&b.storage), b.other_node().await];
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

        let reader = {
            let (storage, done) = (Arc::clone(&nodes[1]), Arc::clone(&done));
            tokio::spawn(async move {
                let (mut cursor, mut seen) = (0, HashSet::new());
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let page = storage
                        .docs_of_kind_after("ticket", cursor, 5)
                        .await
                        .expect("list");
                    for (position, id, _) in &page {
                        seen.insert(id.clone());
                        cursor = *position;
                    }
                    if page.is_empty() {
                        if finished {
                            return seen;
                        }
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let storage = Arc::clone(&nodes[w % 2]);
                tokio::spawn(async move {
                    // Every writer its own scope: the scope feed lock orders nothing between them.
                    let scope = format!("hall:h{w}");
                    for i in 0..SAVES_PER_WRITER {
                        save_new(&*storage, &doc_id(w * 1000 + i), &scope).await;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = tokio::time::timeout(GUARD, reader)
            .await
            .expect("reader hung")
            .expect("reader");
        assert_eq!(
            seen.len(),
            WRITERS * SAVES_PER_WRITER,
            "the cursor reader missed documents"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_starting_together_apply_each_migration_once() {
        let db = ScratchDatabase::create().await;
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let url = db.url().to_string();
                tokio::spawn(async move { PostgresStorage::connect(&url).await })
            })
            .collect();
        let mut nodes = Vec::new();
        for start in starts {
            nodes.push(start.await.expect("task").expect("node starts"));
        }
        let row = admin_of(&db)
            .await
            .query_one(
                "SELECT count(*), count(DISTINCT version) FROM banshi_migrations",
                &[],
            )
            .await
            .expect("migrations table");
        let (applied, distinct): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(applied, distinct, "a migration was applied twice");
        assert!(applied >= 2, "{applied} migrations recorded");
        // And a node started later finds nothing to do.
        nodes.push(
            PostgresStorage::connect(db.url())
                .await
                .expect("later node"),
        );
        drop(nodes);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_listener_reconnects_after_losing_its_connection() {
        let b = Backend::postgres().await;
        let Place::Postgres(db) = &b.place else {
            unreachable!()
        };
        let other = b.other_node().await;
        let mut changes = b.storage.changes();
        let killed: i64 = admin_of(db)
            .await
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE application_name = $1 AND datname = current_database()",
                &[&LISTENER_APPLICATION_NAME],
            )
            .await
            .expect("terminate")
            .get(0);
        assert_eq!(killed, 2, "both nodes' listeners");

        // After reconnecting, the node tells its waiters to look again …
        let unknown = tokio::time::timeout(GUARD, async {
            loop {
                if let Ok(Change::Unknown) = changes.recv().await {
                    return;
                }
            }
        })
        .await;
        assert!(unknown.is_ok(), "the listener did not come back");
        // … and hears the other node's saves again.
        save_new(&*other, &doc_id(1), "hall:after").await;
        expect_change(&mut changes, "hall:after").await;
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_clear_error_not_a_panic() {
        let error = storage::open("postgres://postgres@127.0.0.1:1/postgres")
            .await
            .expect_err("nothing listens on port 1");
        assert_eq!(error.code(), "server.database");
        assert!(error.to_string().contains("connecting"), "{error}");

        let error = storage::open("postgresql://banshi:s3cret@db:notaport/banshi")
            .await
            .expect_err("bad port");
        assert_eq!(error.code(), "server.bad_database_url");
        assert!(!error.to_string().contains("s3cret"), "{error}");

        let error = storage::open("mysql://db/banshi")
            .await
            .expect_err("unsupported");
        assert_eq!(error.code(), "server.bad_database_url");
    }
}

// ---- the HTTP surface, one backend ----

/// A graceful shutdown answers waiting long-polls at once instead of holding the server up to 25 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_answers_waiting_long_polls() {
    let b = Backend::sqlite().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(banshi_server::serve(
        listener,
        banshi_server::AppState::new(Arc::clone(&b.storage), "story-node"),
        async move {
            let _ = stopped.await;
        },
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let (_store, window) = terminal(&dir, &*b.storage, "ck-05", &url).await;
    window.granted_scopes().await.expect("hello");
    let poll = tokio::spawn(async move {
        window
            .wait_for_feed(&hall_scope(HALL), Duration::from_secs(60))
            .await
            .expect("feed")
    });
    wait_until_feed_waiting(&url, 1).await;
    stop.send(()).expect("stop");
    // The wait asked for (60 s, capped to 25 s) is longer than this guard: only the shutdown can answer.
    let page = tokio::time::timeout(Duration::from_secs(15), poll)
        .await
        .expect("the long-poll held the shutdown up")
        .expect("task");
    assert!(!page, "nothing changed, so the answer says nothing new");
    tokio::time::timeout(GUARD, server)
        .await
        .expect("server stops")
        .expect("task")
        .expect("serve");
}
