//! Blobs across a flaky link: a 20 MB scan uploaded and downloaded through a proxy that cuts the
//! connection at seeded random byte offsets, deduplication, and the refusals (too large, tampered, out of
//! scope) by their codes.
//!
//! Figures (bytes on the wire, interruptions, attempts) are logged at info level; see them with
//! `cargo nextest run --workspace --all-targets -E 'test(blob)' --no-capture`.

use banshi_core::ErrorCode;
use banshi_scenarios::proxy::{CuttingProxy, Direction, SplitMix64};
use banshi_scenarios::{Hall, RawTerminal};
use banshi_store::BlobState;
use banshi_sync_protocol as proto;
use banshi_terminal::TerminalEvent;

const HALL: &str = "hk-longhua";
const SCOPE: &str = "hall:hk-longhua";
/// "20 MB": not a whole number of chunks, so the short last chunk is exercised too.
const SIZE: usize = 20_000_000;
const CUTS: usize = 6;
const CHUNK: usize = proto::BLOB_CHUNK_BYTES as usize;

fn log_figures() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("blob_transfer=info")
        .with_test_writer()
        .try_init();
}

/// The blob as the server assembled it for `scope`, if it holds it verified.
async fn on_server(hall: &Hall, sm3: &str, scope: &str) -> Option<Vec<u8>> {
    let size = hall
        .storage
        .blob_in_scope(sm3, scope)
        .await
        .expect("meta")?;
    let mut out = Vec::with_capacity(size as usize);
    for index in 0..proto::blob_chunk_count(size) {
        out.extend(
            hall.storage
                .blob_chunk(sm3, index)
                .await
                .expect("chunk")
                .expect("present"),
        );
    }
    Some(out)
}

/// Progress reports of one attempt: never backwards, never past the total.
fn check_progress(seen: &[(u64, u64)], total: u64) {
    assert!(
        seen.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress went backwards: {seen:?}"
    );
    assert!(seen.iter().all(|&(done, t)| t == total && done <= total));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mb_blob_cut_at_random_points_resumes_both_ways_with_the_right_sm3() {
    log_figures();
    let hall = Hall::start().await.expect("hall");
    let mut rng = SplitMix64::new(0x0b10_b5ee_d001);
    let data = rng.bytes(SIZE);
    let sm3 = banshi_crypto::sm3_hex(&data);

    // Upload: the link drops CUTS times at random points of the request stream.
    let up = CuttingProxy::start(&hall.server_url).await.expect("proxy");
    let cuts: Vec<u64> = (0..CUTS).map(|_| rng.below(SIZE as u64)).collect();
    up.schedule_cuts(Direction::Up, cuts.clone());
    let (store, client) = hall
        .sync_client("hk-longhua-ck-05", HALL, &up.url)
        .await
        .expect("client");
    let meta = store.add_blob_bytes(SCOPE, &data).expect("add");
    assert_eq!(meta.sm3, sm3);
    let mut attempts = 0;
    let mut last = (0, 0);
    loop {
        attempts += 1;
        assert!(
            attempts <= CUTS + 2,
            "no progress after {attempts} attempts"
        );
        let mut seen = Vec::new();
        let result = client
            .upload_blob(&sm3, SCOPE, |done, total| seen.push((done, total)))
            .await;
        check_progress(&seen, SIZE as u64);
        last = seen.last().copied().unwrap_or(last);
        match result {
            Ok(_) => break,
            Err(e) => assert_eq!(e.code(), "sync.unreachable", "{e}"),
        }
    }
    assert_eq!(
        up.cuts_done() as usize,
        CUTS,
        "every scheduled cut happened"
    );
    assert_eq!(last, (SIZE as u64, SIZE as u64));
    assert_eq!(
        store.blob(&sm3, SCOPE).expect("meta").expect("row").state,
        BlobState::Synced
    );
    let assembled = on_server(&hall, &sm3, SCOPE)
        .await
        .expect("the server holds the verified blob");
    assert_eq!(banshi_crypto::sm3_hex(&assembled), sm3);
    assert!(assembled == data, "the server's bytes differ");
    let sent = up.bytes_sent(Direction::Up);
    assert!(
        sent < 2 * SIZE as u64,
        "{sent} bytes sent for a {SIZE}-byte blob: an interruption restarted the upload"
    );
    // Each cut costs at most the chunk in flight (plus HTTP overhead).
    assert!(sent < (SIZE + (CUTS + 1) * (CHUNK + 4096)) as u64, "{sent}");
    tracing::info!(
        size = SIZE,
        cuts = CUTS,
        attempts,
        bytes_on_wire = sent,
        overhead_bytes = sent - SIZE as u64,
        connections = up.connections(),
        "upload"
    );

    // Download by another terminal of the hall: the link drops in the answers this time.
    let down = CuttingProxy::start(&hall.server_url).await.expect("proxy");
    let cuts: Vec<u64> = (0..CUTS).map(|_| rng.below(SIZE as u64)).collect();
    down.schedule_cuts(Direction::Down, cuts);
    let (store2, client2) = hall
        .sync_client("hk-longhua-ck-06", HALL, &down.url)
        .await
        .expect("client");
    let mut attempts = 0;
    loop {
        attempts += 1;
        assert!(
            attempts <= CUTS + 2,
            "no progress after {attempts} attempts"
        );
        let mut seen = Vec::new();
        let result = client2
            .download_blob(&sm3, SCOPE, |done, total| seen.push((done, total)))
            .await;
        check_progress(&seen, SIZE as u64);
        match result {
            Ok(transfer) => {
                assert_eq!(seen.last(), Some(&(SIZE as u64, SIZE as u64)));
                assert!(transfer.chunks < proto::blob_chunk_count(SIZE as u64));
                break;
            }
            Err(e) => assert_eq!(e.code(), "sync.unreachable", "{e}"),
        }
    }
    assert_eq!(down.cuts_done() as usize, CUTS);
    assert!(store2.read_blob(&sm3).expect("read") == data);
    let meta = store2.blob(&sm3, SCOPE).expect("meta").expect("row");
    assert_eq!((meta.size, meta.state), (SIZE as u64, BlobState::Synced));
    let received = down.bytes_sent(Direction::Down);
    assert!(
        received < 2 * SIZE as u64,
        "{received} bytes received for a {SIZE}-byte blob"
    );
    tracing::info!(
        size = SIZE,
        cuts = CUTS,
        attempts,
        bytes_on_wire = received,
        overhead_bytes = received - SIZE as u64,
        connections = down.connections(),
        "download"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_reports_blob_progress_and_the_same_content_is_never_sent_twice() {
    log_figures();
    let hall = Hall::start().await.expect("hall");
    let data = SplitMix64::new(42).bytes(3 * CHUNK + 5);
    let sm3 = banshi_crypto::sm3_hex(&data);

    let clerk = hall
        .terminal("window", "hk-longhua-ck-01")
        .await
        .expect("terminal");
    let mut events = clerk.subscribe();
    let meta = clerk.add_blob_bytes(data.clone()).await.expect("add");
    assert_eq!(meta.sm3, sm3);
    assert_eq!(clerk.status().await.expect("status").sync.pending_blobs, 1);
    clerk.sync_now().await;
    assert_eq!(clerk.status().await.expect("status").sync.pending_blobs, 0);
    let mut progress = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let TerminalEvent::BlobProgress {
            sm3: id,
            done_bytes,
            total_bytes,
            ..
        } = &event
        {
            assert_eq!(id, &sm3);
            progress.push((*done_bytes, *total_bytes));
            let json = serde_json::to_value(&event).expect("json");
            assert_eq!(json["type"], "blob.progress");
            assert_eq!(json["direction"], "upload");
        }
    }
    check_progress(&progress, data.len() as u64);
    assert_eq!(progress.first(), Some(&(0, data.len() as u64)));
    assert_eq!(
        progress.last(),
        Some(&(data.len() as u64, data.len() as u64))
    );
    assert_eq!(progress.len(), 5, "one report at the start, one per chunk");

    // Another terminal of the hall scans the same page: the server already has it, no chunk is sent.
    let proxy = CuttingProxy::start(&hall.server_url).await.expect("proxy");
    let (store, client) = hall
        .sync_client("hk-longhua-ck-02", HALL, &proxy.url)
        .await
        .expect("client");
    store.add_blob_bytes(SCOPE, &data).expect("add");
    let report = client.sync_once().await.expect("sync");
    assert_eq!((report.blobs_uploaded, report.blobs_refused), (1, 0));
    assert_eq!(
        store.blob(&sm3, SCOPE).expect("meta").expect("row").state,
        BlobState::Synced
    );
    let transfer = client
        .upload_blob(&sm3, SCOPE, |_, _| {})
        .await
        .expect("again");
    assert!(transfer.already_there);
    assert_eq!((transfer.chunks, transfer.bytes), (0, 0));
    let sent = proxy.bytes_sent(Direction::Up);
    assert!(
        sent < 64 * 1024,
        "{sent} bytes sent for content the server already had"
    );
    tracing::info!(
        bytes_on_wire = sent,
        "deduplicated upload (hello, feed, status)"
    );

    // A third terminal fetches it for display, with download progress.
    let other = hall
        .terminal("window", "hk-longhua-ck-03")
        .await
        .expect("terminal");
    let mut events = other.subscribe();
    assert!(other.fetch_blob(&sm3).await.expect("fetch") == data);
    let downloads = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| matches!(e, TerminalEvent::BlobProgress { direction, .. } if serde_json::to_value(direction).ok() == Some(serde_json::json!("download"))))
        .count();
    assert_eq!(downloads, 5);
    // Fetching again reads the local copy.
    assert!(other.fetch_blob(&sm3).await.expect("fetch") == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_tampered_and_out_of_scope_blobs_are_refused() {
    let hall = Hall::start().await.expect("hall");
    let raw = RawTerminal::new(&hall.server_url, "hk-longhua-ck-07");
    raw.enroll(&hall.token(HALL).await.expect("token"))
        .await
        .expect("enroll");
    let data = SplitMix64::new(7).bytes(CHUNK + CHUNK / 2);
    let sm3 = banshi_crypto::sm3_hex(&data);
    let put = |sm3: &str, index: u32, size: usize, scope: &str| {
        format!(
            "{}?size={size}&scope={scope}",
            proto::blob_chunk_path(sm3, index)
        )
    };

    // A declared 65 MiB blob: refused before anything is stored, with the limit named.
    let declared = 65 * 1024 * 1024;
    let (status, body) = raw
        .send(
            "PUT",
            &put(&sm3, 0, declared, SCOPE),
            data[..CHUNK].to_vec(),
        )
        .await
        .expect("send");
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("blob.too_large"))
    );
    assert!(
        body["message"].as_str().unwrap_or("").contains("64 MiB"),
        "{body}"
    );

    // A body over one chunk never reaches the handler.
    let (status, body) = raw
        .send("PUT", &put(&sm3, 0, declared, SCOPE), vec![0; 2 * CHUNK])
        .await
        .expect("send");
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("sync.too_large"))
    );

    // A tampered chunk: the content does not hash to its name, nothing is kept.
    let mut tampered = data[CHUNK..].to_vec();
    tampered[100] ^= 1;
    for (index, chunk) in [(0, data[..CHUNK].to_vec()), (1, tampered)] {
        let (status, body) = raw
            .send("PUT", &put(&sm3, index, data.len(), SCOPE), chunk)
            .await
            .expect("send");
        assert_eq!(status, 204, "{body}");
    }
    let complete = format!("{}?scope={SCOPE}", proto::blob_complete_path(&sm3));
    let (status, body) = raw.send("POST", &complete, Vec::new()).await.expect("send");
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("blob.hash_mismatch"))
    );
    let status_path = format!("{}?scope={SCOPE}", proto::blob_path(&sm3));
    let (status, body) = raw
        .send("GET", &status_path, Vec::new())
        .await
        .expect("send");
    assert_eq!((status, body["code"].as_str()), (404, Some("blob.unknown")));
    assert!(on_server(&hall, &sm3, SCOPE).await.is_none());

    // Sent right, it is kept.
    for (index, chunk) in [(0, &data[..CHUNK]), (1, &data[CHUNK..])] {
        let (status, _) = raw
            .send("PUT", &put(&sm3, index, data.len(), SCOPE), chunk.to_vec())
            .await
            .expect("send");
        assert_eq!(status, 204);
    }
    let (status, body) = raw.send("POST", &complete, Vec::new()).await.expect("send");
    assert_eq!((status, body["complete"].as_bool()), (200, Some(true)));

    // A terminal of another hall may neither write into this hall's scope nor read its blob, and knowing
    // the hash does not show it the blob in its own scope either.
    let outsider = RawTerminal::new(&hall.server_url, "hk-futian-ck-01");
    outsider
        .enroll(&hall.token("hk-futian").await.expect("token"))
        .await
        .expect("enroll");
    let other = SplitMix64::new(8).bytes(10);
    let (status, body) = outsider
        .send(
            "PUT",
            &put(&banshi_crypto::sm3_hex(&other), 0, 10, SCOPE),
            other,
        )
        .await
        .expect("send");
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth.out_of_scope"))
    );
    let read = format!("{}?scope={SCOPE}", proto::blob_chunk_path(&sm3, 0));
    let (status, body) = outsider.send("GET", &read, Vec::new()).await.expect("send");
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth.out_of_scope"))
    );
    let own = "hall:hk-futian";
    for target in [
        format!("{}?scope={own}", proto::blob_chunk_path(&sm3, 0)),
        format!("{}?scope={own}", proto::blob_path(&sm3)),
        format!("{}?scope={own}", proto::blob_complete_path(&sm3)),
    ] {
        let method = if target.contains("/complete") {
            "POST"
        } else {
            "GET"
        };
        let (status, body) = outsider
            .send(method, &target, Vec::new())
            .await
            .expect("send");
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("blob.unknown")),
            "{target}"
        );
    }
}
