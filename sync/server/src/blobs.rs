//! Blobs: scanned pages, photos and PDFs, synced apart from record documents.
//!
//! A blob is named by the SM3 of its content, so the same scan sent twice (by one terminal or by two) is
//! stored once, and a receiver can check what it got without trusting anybody. Blobs travel in fixed
//! 1 MiB chunks ([`proto::BLOB_CHUNK_BYTES`]) so a hall's flaky link costs at most the chunk in flight:
//! the server remembers every chunk it received, a terminal asks which ones are there and sends the rest.
//! Only when the whole content hashes to its name does the server keep it (`…/complete`), and only then
//! may the uploading scope read it. Access is per scope: content already verified for another scope is
//! not handed to a terminal that merely knows its hash; that terminal must upload it (proof it holds the
//! content), after which the stored copy is shared and nothing is stored twice.
//!
//! Requests about one blob are serialised on this node by the same lock table as documents (keyed
//! `blob:<sm3>`, which no document id can collide with), so a chunk cannot change while `complete`
//! verifies it. Across nodes (PostgreSQL) the upload's generation does the same job: `complete` keeps or
//! discards an upload only if no chunk arrived since it read it, and verifies again otherwise.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use banshi_core::ErrorCode;
use banshi_sync_protocol as proto;
use serde::Deserialize;

use crate::app::{check_version, ApiError, AppState};
use crate::auth::AuthedTerminal;
use crate::storage::{FinishedUpload, ServerStorage, StorageError};

/// How often `complete` verifies again when chunks of the upload keep arriving meanwhile.
const VERIFY_ATTEMPTS: usize = 3;

/// Why a blob request was refused.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob ids are the lower-case hex SM3 of the content (64 characters)")]
    BadId,
    #[error("this request needs the {0} query parameter")]
    MissingParameter(&'static str),
    #[error("terminal {terminal} may not use scope {scope}")]
    OutOfScope { terminal: String, scope: String },
    #[error("no blob {sm3} in scope {scope}")]
    Unknown { sm3: String, scope: String },
    #[error(
        "blobs are limited to {} MiB ({} bytes); this one is {declared} bytes",
        proto::MAX_BLOB_BYTES / (1024 * 1024),
        proto::MAX_BLOB_BYTES
    )]
    TooLarge { declared: u64 },
    #[error("{index:?} is not a chunk of a {size}-byte blob (chunks 0 to {last})")]
    NoSuchChunk { index: String, size: u64, last: u32 },
    #[error("chunk {index} of a {size}-byte blob is {expected} bytes long, not {got}")]
    BadChunkLength {
        index: u32,
        size: u64,
        expected: u64,
        got: usize,
    },
    #[error("the upload lacks chunks {missing:?}; send them, then complete it")]
    Incomplete { missing: Vec<u32> },
    #[error("the uploaded content hashes to {got}, not {expected}; the upload was discarded, send it again")]
    HashMismatch { expected: String, got: String },
    #[error("chunks of this upload kept arriving while it was verified; complete it again")]
    Busy,
    #[error("verified blob {sm3} lacks chunk {index}")]
    Damaged { sm3: String, index: u32 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for BlobError {
    fn code(&self) -> &'static str {
        match self {
            BlobError::BadId => "blob.bad_id",
            BlobError::MissingParameter(_) => "sync.bad_request",
            BlobError::OutOfScope { .. } => "auth.out_of_scope",
            BlobError::Unknown { .. } => "blob.unknown",
            BlobError::TooLarge { .. } => "blob.too_large",
            BlobError::NoSuchChunk { .. } | BlobError::BadChunkLength { .. } => "blob.bad_chunk",
            BlobError::Incomplete { .. } | BlobError::Busy => "blob.incomplete",
            BlobError::HashMismatch { .. } => "blob.hash_mismatch",
            BlobError::Damaged { .. } => "server.blob_damaged",
            BlobError::Storage(e) => e.code(),
        }
    }
}

impl BlobError {
    pub fn status(&self) -> StatusCode {
        match self {
            BlobError::BadId
            | BlobError::MissingParameter(_)
            | BlobError::NoSuchChunk { .. }
            | BlobError::BadChunkLength { .. } => StatusCode::BAD_REQUEST,
            BlobError::OutOfScope { .. } => StatusCode::FORBIDDEN,
            BlobError::Unknown { .. } => StatusCode::NOT_FOUND,
            BlobError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BlobError::Incomplete { .. } | BlobError::Busy => StatusCode::CONFLICT,
            BlobError::HashMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            BlobError::Damaged { .. } | BlobError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        let status = e.status();
        if status.is_server_error() {
            tracing::error!(error = %e, "blob request failed");
        }
        ApiError::from_body(status, e.to_body())
    }
}

#[derive(Debug, Deserialize)]
pub struct BlobQuery {
    scope: Option<String>,
    size: Option<u64>,
}

/// The checks every blob request starts with: a well-formed id, the protocol version, and a scope this
/// terminal holds. Returns the scope.
fn admit(
    sm3: &str,
    who: &AuthedTerminal,
    headers: &HeaderMap,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<(String, Option<u64>), ApiError> {
    if !proto::valid_blob_id(sm3) {
        return Err(BlobError::BadId.into());
    }
    check_version(headers)?;
    let Query(q) = query?;
    let scope = q.scope.ok_or(BlobError::MissingParameter("scope"))?;
    if !who.may_access(&scope) {
        return Err(BlobError::OutOfScope {
            terminal: who.id.clone(),
            scope,
        }
        .into());
    }
    Ok((scope, q.size))
}

fn parse_index(index: &str, size: u64) -> Result<u32, BlobError> {
    index
        .parse::<u32>()
        .ok()
        .filter(|i| proto::blob_chunk_len(size, *i).is_some())
        .ok_or_else(|| BlobError::NoSuchChunk {
            index: index.chars().take(16).collect(),
            size,
            last: proto::blob_chunk_count(size) - 1,
        })
}

fn complete_status(size: u64) -> proto::BlobStatus {
    proto::BlobStatus {
        size,
        chunk_size: proto::BLOB_CHUNK_BYTES,
        complete: true,
        chunks_present: (0..proto::blob_chunk_count(size)).collect(),
    }
}

/// `GET /sync/v1/blobs/{sm3}?scope=S`: what the server holds of this blob for this scope.
pub async fn status(
    State(state): State<AppState>,
    Path(sm3): Path<String>,
    Extension(who): Extension<AuthedTerminal>,
    headers: HeaderMap,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<Json<proto::BlobStatus>, ApiError> {
    let (scope, _) = admit(&sm3, &who, &headers, query)?;
    let storage = state.engine.storage();
    if let Some(size) = storage
        .blob_in_scope(&sm3, &scope)
        .await
        .map_err(BlobError::from)?
    {
        return Ok(Json(complete_status(size)));
    }
    match storage
        .blob_upload(&sm3, &scope)
        .await
        .map_err(BlobError::from)?
    {
        Some(upload) => Ok(Json(proto::BlobStatus {
            size: upload.size,
            chunk_size: proto::BLOB_CHUNK_BYTES,
            complete: false,
            chunks_present: upload.chunks_present,
        })),
        None => Err(BlobError::Unknown { sm3, scope }.into()),
    }
}

/// `PUT /sync/v1/blobs/{sm3}/chunks/{index}?size=TOTAL&scope=S`: keep one chunk of an upload.
/// Idempotent; a chunk of a blob the scope already has is accepted and dropped.
pub async fn put_chunk(
    State(state): State<AppState>,
    Path((sm3, index)): Path<(String, String)>,
    Extension(who): Extension<AuthedTerminal>,
    headers: HeaderMap,
    query: Result<Query<BlobQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let (scope, size) = admit(&sm3, &who, &headers, query)?;
    let size = size.ok_or(BlobError::MissingParameter("size"))?;
    if size > proto::MAX_BLOB_BYTES {
        return Err(BlobError::TooLarge { declared: size }.into());
    }
    let index = parse_index(&index, size)?;
    let body = body?;
    let expected = proto::blob_chunk_len(size, index).unwrap_or_default();
    if body.len() as u64 != expected {
        return Err(BlobError::BadChunkLength {
            index,
            size,
            expected,
            got: body.len(),
        }
        .into());
    }
    let lock = state.engine.doc_lock(&lock_key(&sm3)).await;
    let _guard = lock.lock().await;
    let storage = state.engine.storage();
    if storage
        .blob_in_scope(&sm3, &scope)
        .await
        .map_err(BlobError::from)?
        .is_none()
    {
        storage
            .put_blob_upload_chunk(&sm3, &scope, size, index, body.to_vec())
            .await
            .map_err(BlobError::from)?;
        state.metrics.blob_chunks_received.inc();
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /sync/v1/blobs/{sm3}/complete?scope=S`: verify the uploaded content against its name and keep
/// it. A blob the scope already has answers at once (a client may skip the upload entirely).
pub async fn complete(
    State(state): State<AppState>,
    Path(sm3): Path<String>,
    Extension(who): Extension<AuthedTerminal>,
    headers: HeaderMap,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<Json<proto::BlobStatus>, ApiError> {
    let (scope, _) = admit(&sm3, &who, &headers, query)?;
    let lock = state.engine.doc_lock(&lock_key(&sm3)).await;
    let _guard = lock.lock().await;
    let storage = state.engine.storage();
    if let Some(size) = storage
        .blob_in_scope(&sm3, &scope)
        .await
        .map_err(BlobError::from)?
    {
        return Ok(Json(complete_status(size)));
    }
    // Another node may take a chunk of this upload while this one hashes; then verify again.
    for _ in 0..VERIFY_ATTEMPTS {
        let Some(upload) = storage
            .blob_upload(&sm3, &scope)
            .await
            .map_err(BlobError::from)?
        else {
            return Err(BlobError::Unknown { sm3, scope }.into());
        };
        let count = proto::blob_chunk_count(upload.size);
        let missing: Vec<u32> = (0..count)
            .filter(|i| upload.chunks_present.binary_search(i).is_err())
            .collect();
        if !missing.is_empty() {
            return Err(BlobError::Incomplete { missing }.into());
        }
        let Some(got) = hash_upload(storage.as_ref(), &sm3, &scope, count).await? else {
            continue;
        };
        if got != sm3 {
            // The whole-content hash cannot say which chunk is wrong, so none of them can be trusted.
            if !storage
                .discard_blob_upload(&sm3, &scope, upload.generation)
                .await
                .map_err(BlobError::from)?
            {
                continue;
            }
            tracing::warn!(terminal = %who.id, %sm3, %scope, "blob upload did not match its SM3; discarded");
            return Err(BlobError::HashMismatch { expected: sm3, got }.into());
        }
        let deduplicated = match storage
            .finish_blob_upload(&sm3, &scope, upload.generation)
            .await
            .map_err(BlobError::from)?
        {
            FinishedUpload::Stored => false,
            FinishedUpload::Deduplicated => true,
            FinishedUpload::Changed => continue,
        };
        if deduplicated {
            state.metrics.blobs_deduplicated.inc();
        } else {
            state.metrics.blobs_stored.inc();
        }
        tracing::info!(terminal = %who.id, %sm3, %scope, size = upload.size, deduplicated, "blob verified");
        return Ok(Json(complete_status(upload.size)));
    }
    Err(BlobError::Busy.into())
}

/// SM3 of the upload's chunks in order, off the async threads (up to 64 MiB of SM3 is a fraction of a
/// second of CPU). `None` when a chunk vanished meanwhile (the upload restarted on another node).
async fn hash_upload(
    storage: &dyn ServerStorage,
    sm3: &str,
    scope: &str,
    count: u32,
) -> Result<Option<String>, BlobError> {
    let mut hasher = banshi_crypto::Sm3Hasher::new();
    for index in 0..count {
        let Some(bytes) = storage.blob_upload_chunk(sm3, scope, index).await? else {
            return Ok(None);
        };
        hasher = tokio::task::spawn_blocking(move || {
            hasher.update(&bytes);
            hasher
        })
        .await
        .map_err(|e| BlobError::Storage(StorageError::Task(e.to_string())))?;
    }
    Ok(Some(hasher.finish_hex()))
}

/// `GET /sync/v1/blobs/{sm3}/chunks/{index}?scope=S`: one chunk of a verified blob.
pub async fn get_chunk(
    State(state): State<AppState>,
    Path((sm3, index)): Path<(String, String)>,
    Extension(who): Extension<AuthedTerminal>,
    headers: HeaderMap,
    query: Result<Query<BlobQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (scope, _) = admit(&sm3, &who, &headers, query)?;
    let storage = state.engine.storage();
    let Some(size) = storage
        .blob_in_scope(&sm3, &scope)
        .await
        .map_err(BlobError::from)?
    else {
        return Err(BlobError::Unknown { sm3, scope }.into());
    };
    let index = parse_index(&index, size)?;
    let bytes = storage
        .blob_chunk(&sm3, index)
        .await
        .map_err(BlobError::from)?
        .ok_or(BlobError::Damaged {
            sm3: sm3.clone(),
            index,
        })?;
    state.metrics.blob_chunks_sent.inc();
    Ok((
        [(header::CONTENT_TYPE, proto::BLOB_CHUNK_MEDIA_TYPE)],
        bytes,
    )
        .into_response())
}

fn lock_key(sm3: &str) -> String {
    format!("blob:{sm3}")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::HeaderValue;

    use super::*;
    use crate::storage::sqlite::SqliteStorage;
    use crate::storage::{ServerStorage, TerminalRole};

    const SCOPE: &str = "hall:hk-longhua";
    const C: usize = proto::BLOB_CHUNK_BYTES as usize;

    fn setup() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage: Arc<dyn ServerStorage> =
            Arc::new(SqliteStorage::open(&dir.path().join("server.sqlite")).expect("open"));
        (dir, AppState::new(storage, "test"))
    }

    fn terminal(hall: &str) -> AuthedTerminal {
        AuthedTerminal {
            id: format!("{hall}-qm-01"),
            hall_id: hall.to_string(),
            role: TerminalRole::Terminal,
            scopes: vec![format!("hall:{hall}")],
        }
    }

    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(proto::VERSION_HEADER, HeaderValue::from_static("1"));
        h
    }

    fn q(scope: &str, size: Option<u64>) -> Result<Query<BlobQuery>, QueryRejection> {
        Ok(Query(BlobQuery {
            scope: Some(scope.to_string()),
            size,
        }))
    }

    /// Deterministic, not all-equal bytes.
    fn content(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    async fn put(
        state: &AppState,
        who: &AuthedTerminal,
        sm3: &str,
        scope: &str,
        size: u64,
        index: &str,
        body: &[u8],
    ) -> Result<StatusCode, ApiError> {
        put_chunk(
            State(state.clone()),
            Path((sm3.to_string(), index.to_string())),
            Extension(who.clone()),
            headers(),
            q(scope, Some(size)),
            Ok(Bytes::copy_from_slice(body)),
        )
        .await
    }

    async fn finish(
        state: &AppState,
        who: &AuthedTerminal,
        sm3: &str,
    ) -> Result<proto::BlobStatus, ApiError> {
        complete(
            State(state.clone()),
            Path(sm3.to_string()),
            Extension(who.clone()),
            headers(),
            q(&who.scopes[0], None),
        )
        .await
        .map(|Json(s)| s)
    }

    async fn status_of(
        state: &AppState,
        who: &AuthedTerminal,
        sm3: &str,
    ) -> Result<proto::BlobStatus, ApiError> {
        status(
            State(state.clone()),
            Path(sm3.to_string()),
            Extension(who.clone()),
            headers(),
            q(&who.scopes[0], None),
        )
        .await
        .map(|Json(s)| s)
    }

    async fn upload(state: &AppState, who: &AuthedTerminal, data: &[u8]) -> proto::BlobStatus {
        let sm3 = banshi_crypto::sm3_hex(data);
        // `chunks` yields nothing for no bytes, but an empty blob is one empty chunk.
        let chunks: Vec<&[u8]> = if data.is_empty() {
            vec![&[]]
        } else {
            data.chunks(C).collect()
        };
        for (i, chunk) in chunks.into_iter().enumerate() {
            put(
                state,
                who,
                &sm3,
                &who.scopes[0],
                data.len() as u64,
                &i.to_string(),
                chunk,
            )
            .await
            .expect("put");
        }
        finish(state, who, &sm3).await.expect("complete")
    }

    fn code(e: &ApiError) -> (u16, &str) {
        (e.status().as_u16(), e.body().code.as_str())
    }

    #[tokio::test]
    async fn an_upload_resumes_from_the_chunks_present_and_completes() {
        let (_dir, state) = setup();
        let who = terminal("hk-longhua");
        let data = content(2 * C + 10);
        let sm3 = banshi_crypto::sm3_hex(&data);
        let e = status_of(&state, &who, &sm3).await.unwrap_err();
        assert_eq!(code(&e), (404, "blob.unknown"));

        let size = data.len() as u64;
        put(&state, &who, &sm3, SCOPE, size, "2", &data[2 * C..])
            .await
            .unwrap();
        put(&state, &who, &sm3, SCOPE, size, "0", &data[..C])
            .await
            .unwrap();
        // The same chunk again is harmless.
        put(&state, &who, &sm3, SCOPE, size, "0", &data[..C])
            .await
            .unwrap();
        let s = status_of(&state, &who, &sm3).await.unwrap();
        assert_eq!(
            (s.size, s.complete, s.chunks_present),
            (size, false, vec![0, 2])
        );

        let e = finish(&state, &who, &sm3).await.unwrap_err();
        assert_eq!(code(&e), (409, "blob.incomplete"));
        assert!(e.body().message.contains("[1]"), "{}", e.body().message);

        put(&state, &who, &sm3, SCOPE, size, "1", &data[C..2 * C])
            .await
            .unwrap();
        let s = finish(&state, &who, &sm3).await.unwrap();
        assert_eq!((s.complete, s.chunks_present), (true, vec![0, 1, 2]));

        let mut downloaded = Vec::new();
        for i in 0..3 {
            let response = get_chunk(
                State(state.clone()),
                Path((sm3.clone(), i.to_string())),
                Extension(who.clone()),
                headers(),
                q(SCOPE, None),
            )
            .await
            .unwrap();
            let body = axum::body::to_bytes(response.into_body(), 2 * C)
                .await
                .unwrap();
            downloaded.extend_from_slice(&body);
        }
        assert_eq!(downloaded, data);
    }

    #[tokio::test]
    async fn the_same_content_is_stored_once_across_terminals_and_scopes() {
        let (dir, state) = setup();
        let data = content(C + 1);
        let sm3 = banshi_crypto::sm3_hex(&data);
        assert!(
            upload(&state, &terminal("hk-longhua"), &data)
                .await
                .complete
        );
        // Another scope must prove it holds the content: knowing the hash is not enough.
        let other = terminal("hk-futian");
        assert_eq!(
            code(&status_of(&state, &other, &sm3).await.unwrap_err()),
            (404, "blob.unknown")
        );
        assert!(upload(&state, &other, &data).await.complete);
        assert_eq!(state.metrics.blobs_stored.get(), 1);
        assert_eq!(state.metrics.blobs_deduplicated.get(), 1);
        let chunks: i64 = rusqlite::Connection::open(dir.path().join("server.sqlite"))
            .unwrap()
            .query_row("SELECT count(*) FROM blob_chunks", [], |r| r.get(0))
            .unwrap();
        assert_eq!(chunks, 2, "the content is kept once");
        // A chunk for a blob the scope already has is accepted and dropped.
        let before = state.metrics.blob_chunks_received.get();
        put(
            &state,
            &other,
            &sm3,
            "hall:hk-futian",
            C as u64 + 1,
            "1",
            &data[C..],
        )
        .await
        .unwrap();
        assert_eq!(state.metrics.blob_chunks_received.get(), before);
    }

    #[tokio::test]
    async fn a_tampered_upload_is_refused_and_discarded() {
        let (_dir, state) = setup();
        let who = terminal("hk-longhua");
        let data = content(C + 100);
        let sm3 = banshi_crypto::sm3_hex(&data);
        let mut bad = data[C..].to_vec();
        bad[3] ^= 0xff;
        put(
            &state,
            &who,
            &sm3,
            SCOPE,
            data.len() as u64,
            "0",
            &data[..C],
        )
        .await
        .unwrap();
        put(&state, &who, &sm3, SCOPE, data.len() as u64, "1", &bad)
            .await
            .unwrap();
        let e = finish(&state, &who, &sm3).await.unwrap_err();
        assert_eq!(code(&e), (422, "blob.hash_mismatch"));
        assert_eq!(
            code(&status_of(&state, &who, &sm3).await.unwrap_err()),
            (404, "blob.unknown"),
            "nothing of the upload is kept"
        );
        assert!(upload(&state, &who, &data).await.complete);
    }

    #[tokio::test]
    async fn refusals_have_stable_codes() {
        let (_dir, state) = setup();
        let who = terminal("hk-longhua");
        let sm3 = banshi_crypto::sm3_hex(b"x");

        let e = put(&state, &who, "ABC", SCOPE, 1, "0", b"x")
            .await
            .unwrap_err();
        assert_eq!(code(&e), (400, "blob.bad_id"));

        let e = put(&state, &who, &sm3, "hall:elsewhere", 1, "0", b"x")
            .await
            .unwrap_err();
        assert_eq!(code(&e), (403, "auth.out_of_scope"));

        let e = put(
            &state,
            &who,
            &sm3,
            SCOPE,
            proto::MAX_BLOB_BYTES + 1,
            "0",
            b"x",
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), (413, "blob.too_large"));
        assert!(e.body().message.contains("64 MiB"), "{}", e.body().message);

        let e = put(&state, &who, &sm3, SCOPE, 1, "1", b"x")
            .await
            .unwrap_err();
        assert_eq!(code(&e), (400, "blob.bad_chunk"));
        let e = put(&state, &who, &sm3, SCOPE, 1, "-1", b"x")
            .await
            .unwrap_err();
        assert_eq!(code(&e), (400, "blob.bad_chunk"));
        let e = put(&state, &who, &sm3, SCOPE, 2, "0", b"x")
            .await
            .unwrap_err();
        assert_eq!(code(&e), (400, "blob.bad_chunk"));

        let e = put_chunk(
            State(state.clone()),
            Path((sm3.clone(), "0".into())),
            Extension(who.clone()),
            headers(),
            q(SCOPE, None),
            Ok(Bytes::from_static(b"x")),
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), (400, "sync.bad_request"));

        let e = put_chunk(
            State(state.clone()),
            Path((sm3.clone(), "0".into())),
            Extension(who.clone()),
            HeaderMap::new(),
            q(SCOPE, Some(1)),
            Ok(Bytes::from_static(b"x")),
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), (400, "sync.no_version"));

        let e = finish(&state, &who, &sm3).await.unwrap_err();
        assert_eq!(code(&e), (404, "blob.unknown"));
        let e = get_chunk(
            State(state.clone()),
            Path((sm3.clone(), "0".into())),
            Extension(who.clone()),
            headers(),
            q(SCOPE, None),
        )
        .await
        .unwrap_err();
        assert_eq!(code(&e), (404, "blob.unknown"));
    }

    #[tokio::test]
    async fn an_upload_that_changed_while_verified_is_neither_kept_nor_discarded() {
        let (_dir, state) = setup();
        let storage = state.engine.storage();
        let sm3 = banshi_crypto::sm3_hex(b"ab");
        storage
            .put_blob_upload_chunk(&sm3, SCOPE, 2, 0, b"ab".to_vec())
            .await
            .unwrap();
        let seen = storage.blob_upload(&sm3, SCOPE).await.unwrap().unwrap();
        // Another node takes the chunk again meanwhile.
        storage
            .put_blob_upload_chunk(&sm3, SCOPE, 2, 0, b"ab".to_vec())
            .await
            .unwrap();
        assert_eq!(
            storage
                .finish_blob_upload(&sm3, SCOPE, seen.generation)
                .await
                .unwrap(),
            FinishedUpload::Changed
        );
        assert!(!storage
            .discard_blob_upload(&sm3, SCOPE, seen.generation)
            .await
            .unwrap());
        let now = storage.blob_upload(&sm3, SCOPE).await.unwrap().unwrap();
        assert!(now.generation > seen.generation);
        assert_eq!(
            storage
                .finish_blob_upload(&sm3, SCOPE, now.generation)
                .await
                .unwrap(),
            FinishedUpload::Stored
        );
        assert_eq!(storage.blob_in_scope(&sm3, SCOPE).await.unwrap(), Some(2));
    }

    #[tokio::test]
    async fn an_empty_blob_is_one_empty_chunk() {
        let (_dir, state) = setup();
        let who = terminal("hk-longhua");
        let s = upload(&state, &who, b"").await;
        assert_eq!((s.size, s.complete, s.chunks_present), (0, true, vec![0]));
    }
}
