//! The terminal side of sync: push what changed here, pull what changed elsewhere.
//!
//! A sync pass ([`SyncClient::sync_once`]) says hello (version negotiation) once per session, syncs every
//! document in the store's outbox, then reads each granted scope's change feed from the stored cursor and
//! syncs the documents it lists. Each document sync is the standard automerge message exchange, one HTTP
//! request per message, until neither side has anything to send. A record's status moves local → sending →
//! synced (the server holds all our heads) or refused (the server said why; the record stays here).
//!
//! Between passes, [`SyncClient::wait_for_feed`] long-polls a scope's feed so a terminal learns of another
//! terminal's change as soon as the server commits it, not one `sync.interval_ms` later.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{Message, SyncDoc};
use automerge::AutoCommit;
use banshi_core::ErrorCode;
use banshi_store::{Store, StoreError, SyncStatus};
use banshi_sync_protocol as proto;
use tokio::sync::Mutex;

pub use proto::MAX_FEED_WAIT_MS;

/// Stop a document's exchange after this many messages; a healthy exchange takes two or three.
const MAX_ROUNDS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum SyncClientError {
    #[error("sync server unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    #[error("sync server refused the request ({code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error("sync server answered something that is not a sync message: {0}")]
    BadReply(String),
    #[error("no protocol version in common with the server")]
    NoCommonVersion,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("local task failed: {0}")]
    Task(String),
}

impl ErrorCode for SyncClientError {
    fn code(&self) -> &'static str {
        match self {
            SyncClientError::Unreachable(_) => "sync.unreachable",
            SyncClientError::Refused { .. } => "sync.refused",
            SyncClientError::BadReply(_) => "sync.bad_reply",
            SyncClientError::NoCommonVersion => "sync.no_common_version",
            SyncClientError::Store(e) => e.code(),
            SyncClientError::Task(_) => "sync.internal",
        }
    }
}

impl SyncClientError {
    /// A refusal about this document's content (the server will refuse it again), as opposed to a
    /// connection or server problem worth retrying.
    fn is_refusal_of_document(&self) -> bool {
        matches!(self, SyncClientError::Refused { status, .. } if (400..500).contains(status) && *status != 401)
    }
}

/// What a sync pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: usize,
    pub pulled: usize,
    pub refused: usize,
}

#[derive(Debug)]
struct Session {
    version: u32,
    scopes: Vec<String>,
}

/// Syncs one store with one server.
#[derive(Debug)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    terminal_id: String,
    hall_id: String,
    store: Arc<Store>,
    session: Mutex<Option<Session>>,
    /// Per scope, the newest feed position [`SyncClient::wait_for_feed`] has reported: the next wait looks
    /// past it, so one change is announced once even before a sync pass has pulled it.
    announced: std::sync::Mutex<HashMap<String, i64>>,
}

impl SyncClient {
    pub fn new(
        server: &str,
        terminal_id: &str,
        hall_id: &str,
        store: Arc<Store>,
    ) -> Result<Self, SyncClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(SyncClientError::Unreachable)?;
        Ok(Self {
            http,
            base: server.trim_end_matches('/').to_string(),
            terminal_id: terminal_id.to_string(),
            hall_id: hall_id.to_string(),
            store,
            session: Mutex::new(None),
            announced: std::sync::Mutex::default(),
        })
    }

    /// The server this client talks to; also the peer name its sync state is kept under.
    pub fn server(&self) -> &str {
        &self.base
    }

    /// Forget the session (after a connection failure) so the next pass says hello again.
    pub async fn reset(&self) {
        *self.session.lock().await = None;
    }

    async fn ensure_session(&self) -> Result<(u32, Vec<String>), SyncClientError> {
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref() {
            return Ok((s.version, s.scopes.clone()));
        }
        let hello = proto::Hello {
            terminal_id: self.terminal_id.clone(),
            hall_id: self.hall_id.clone(),
            versions: proto::SUPPORTED_VERSIONS.to_vec(),
        };
        let response = self
            .http
            .post(format!("{}{}", self.base, proto::HELLO_PATH))
            .json(&hello)
            .send()
            .await
            .map_err(SyncClientError::Unreachable)?;
        let welcome: proto::Welcome = check(response)
            .await?
            .json()
            .await
            .map_err(|e| SyncClientError::BadReply(e.to_string()))?;
        if !proto::SUPPORTED_VERSIONS.contains(&welcome.version) {
            return Err(SyncClientError::NoCommonVersion);
        }
        tracing::info!(server = %self.base, server_id = %welcome.server_id, version = welcome.version, "sync session opened");
        let out = (welcome.version, welcome.scopes.clone());
        *session = Some(Session {
            version: welcome.version,
            scopes: welcome.scopes,
        });
        Ok(out)
    }

    /// One full pass: push the outbox, pull every granted scope's feed.
    pub async fn sync_once(&self) -> Result<SyncReport, SyncClientError> {
        let result = self.sync_pass().await;
        if matches!(result, Err(SyncClientError::Unreachable(_))) {
            self.reset().await;
        }
        result
    }

    async fn sync_pass(&self) -> Result<SyncReport, SyncClientError> {
        let (version, scopes) = self.ensure_session().await?;
        let mut report = SyncReport::default();

        let store = Arc::clone(&self.store);
        for doc_id in blocking(move || store.pending()).await? {
            match self.sync_doc(version, &doc_id).await {
                Ok(_) => report.pushed += 1,
                Err(e) if e.is_refusal_of_document() => {
                    tracing::warn!(%doc_id, error = %e, "server refused a record");
                    let (store, reason) = (Arc::clone(&self.store), e.to_string());
                    blocking(move || {
                        store.set_sync_status(&doc_id, SyncStatus::Refused, Some(&reason))
                    })
                    .await?;
                    report.refused += 1;
                }
                Err(e) => return Err(e),
            }
        }

        for scope in scopes {
            loop {
                let store = Arc::clone(&self.store);
                let (peer, sc) = (self.base.clone(), scope.clone());
                let after = blocking(move || store.feed_cursor(&peer, &sc)).await?;
                let page = self.feed(version, &scope, after, None).await?;
                for entry in &page.entries {
                    match self.sync_doc(version, &entry.doc_id).await {
                        Ok(true) => report.pulled += 1,
                        Ok(false) => {}
                        // Losing the server ends the pass; one bad document must not stall the feed for good.
                        Err(e @ SyncClientError::Unreachable(_)) => return Err(e),
                        Err(error) => {
                            tracing::warn!(doc_id = %entry.doc_id, %error, "skipping a document from the feed")
                        }
                    }
                }
                let store = Arc::clone(&self.store);
                let (peer, sc, next) = (self.base.clone(), scope.clone(), page.next);
                blocking(move || store.set_feed_cursor(&peer, &sc, next)).await?;
                if !page.more {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// The scopes the server grants this terminal (saying hello first if needed).
    pub async fn granted_scopes(&self) -> Result<Vec<String>, SyncClientError> {
        let result = self.ensure_session().await;
        if matches!(result, Err(SyncClientError::Unreachable(_))) {
            self.reset().await;
        }
        Ok(result?.1)
    }

    /// Wait up to `wait` (at most [`proto::MAX_FEED_WAIT_MS`]) until `scope`'s feed lists a change this
    /// terminal has neither pulled (its stored cursor) nor been told about by an earlier call. Returns true
    /// when there is one: a sync pass ([`SyncClient::sync_once`]) will pull it. Pulls nothing itself.
    pub async fn wait_for_feed(
        &self,
        scope: &str,
        wait: Duration,
    ) -> Result<bool, SyncClientError> {
        let result = self.wait_for_feed_once(scope, wait).await;
        if matches!(result, Err(SyncClientError::Unreachable(_))) {
            self.reset().await;
        }
        result
    }

    async fn wait_for_feed_once(
        &self,
        scope: &str,
        wait: Duration,
    ) -> Result<bool, SyncClientError> {
        let (version, _) = self.ensure_session().await?;
        let (store, peer, sc) = (
            Arc::clone(&self.store),
            self.base.clone(),
            scope.to_string(),
        );
        let cursor = blocking(move || store.feed_cursor(&peer, &sc)).await?;
        let announced = self.announced_position(scope);
        let after = cursor.max(announced.unwrap_or(0));
        let page = self.feed(version, scope, after, Some(wait)).await?;
        if page.entries.is_empty() {
            return Ok(false);
        }
        self.announced
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(scope.to_string(), page.next);
        Ok(true)
    }

    fn announced_position(&self, scope: &str) -> Option<i64> {
        self.announced
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(scope)
            .copied()
    }

    /// One feed page; with `wait`, the server holds an empty page back until the scope changes.
    async fn feed(
        &self,
        version: u32,
        scope: &str,
        after: i64,
        wait: Option<Duration>,
    ) -> Result<proto::FeedPage, SyncClientError> {
        let mut query = vec![("scope", scope.to_string()), ("after", after.to_string())];
        if let Some(wait) = wait {
            let wait_ms = u64::try_from(wait.as_millis())
                .unwrap_or(u64::MAX)
                .min(proto::MAX_FEED_WAIT_MS);
            query.push(("wait_ms", wait_ms.to_string()));
        }
        let response = self
            .http
            .get(format!("{}{}", self.base, proto::FEED_PATH))
            .query(&query)
            .header(proto::TERMINAL_HEADER, &self.terminal_id)
            .header(proto::VERSION_HEADER, version)
            .send()
            .await
            .map_err(SyncClientError::Unreachable)?;
        check(response)
            .await?
            .json()
            .await
            .map_err(|e| SyncClientError::BadReply(e.to_string()))
    }

    /// Exchange sync messages for one document until both sides are done. Returns whether the local copy
    /// changed.
    pub async fn sync_doc(&self, version: u32, doc_id: &str) -> Result<bool, SyncClientError> {
        let (store, id, peer) = (
            Arc::clone(&self.store),
            doc_id.to_string(),
            self.base.clone(),
        );
        let (seen_local_changes, doc, mut state) = blocking(move || {
            // Read before loading: a write that lands in between makes `mark_synced` refuse, never the reverse.
            let seen = store.local_changes(&id)?;
            let doc = store.load_doc(&id)?;
            let state = store.sync_state(&id, &peer)?;
            Ok::<_, SyncClientError>((seen, doc, state))
        })
        .await?;
        let is_new = doc.is_none();
        let mut doc = doc.unwrap_or_else(AutoCommit::new);
        if !is_new {
            let (store, id) = (Arc::clone(&self.store), doc_id.to_string());
            blocking(move || store.set_sync_status(&id, SyncStatus::Sending, None)).await?;
        }
        let heads_before = doc.get_heads();

        for _ in 0..MAX_ROUNDS {
            let outgoing = doc.sync().generate_sync_message(&mut state);
            let sent_something = outgoing.is_some();
            let body = outgoing.map(Message::encode).unwrap_or_default();
            let response = self
                .http
                .post(format!("{}{}{}", self.base, proto::DOC_PATH_PREFIX, doc_id))
                .header(proto::TERMINAL_HEADER, &self.terminal_id)
                .header(proto::VERSION_HEADER, version)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    proto::SYNC_MESSAGE_MEDIA_TYPE,
                )
                .body(body)
                .send()
                .await
                .map_err(SyncClientError::Unreachable)?;
            let response = check(response).await?;
            let got_something = response.status() != reqwest::StatusCode::NO_CONTENT;
            if got_something {
                let bytes = response
                    .bytes()
                    .await
                    .map_err(SyncClientError::Unreachable)?;
                let msg = Message::decode(&bytes)
                    .map_err(|e| SyncClientError::BadReply(e.to_string()))?;
                doc.sync()
                    .receive_sync_message(&mut state, msg)
                    .map_err(|e| SyncClientError::BadReply(e.to_string()))?;
            }
            if !sent_something && !got_something {
                break;
            }
        }

        let changed = doc.get_heads() != heads_before;
        let all_acknowledged = doc
            .get_heads()
            .iter()
            .all(|h| state.shared_heads.contains(h));
        let (store, id, peer) = (
            Arc::clone(&self.store),
            doc_id.to_string(),
            self.base.clone(),
        );
        blocking(move || {
            if !doc.get_heads().is_empty() {
                store.save_synced(&id, &mut doc)?;
                if all_acknowledged {
                    store.mark_synced(&id, seen_local_changes)?;
                }
            }
            store.save_sync_state(&id, &peer, &state)?;
            Ok::<_, SyncClientError>(())
        })
        .await?;
        Ok(changed)
    }
}

async fn check(response: reqwest::Response) -> Result<reqwest::Response, SyncClientError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let (code, message) = match serde_json::from_str::<banshi_core::ErrorBody>(&text) {
        Ok(body) => (body.code, body.message),
        Err(_) => ("sync.http_error".to_string(), format!("HTTP {status}")),
    };
    Err(SyncClientError::Refused {
        status,
        code,
        message,
    })
}

async fn blocking<R: Send + 'static, E>(
    work: impl FnOnce() -> Result<R, E> + Send + 'static,
) -> Result<R, SyncClientError>
where
    SyncClientError: From<E>,
    E: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SyncClientError::Task(e.to_string()))?
        .map_err(SyncClientError::from)
}
