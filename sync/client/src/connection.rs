//! One authenticated connection to a sync server: enrollment, signed requests, the session handshake, the
//! change feed, the per-document message exchange and blob chunks. [`crate::SyncClient`] uses it for a terminal's
//! store; a hall relay (`banshi-server --upstream`) uses it for its own storage.

use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{Message, State as SyncState, SyncDoc};
use automerge::AutoCommit;
use banshi_core::Clock;
use banshi_sync_protocol as proto;
use tokio::sync::Mutex;

use crate::{blocking, SyncClientError, TerminalIdentity, MAX_ROUNDS};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug)]
struct Session {
    version: u32,
    scopes: Vec<String>,
}

/// An authenticated connection to one server.
#[derive(Debug)]
pub struct Connection {
    http: reqwest::Client,
    base: String,
    identity: Arc<TerminalIdentity>,
    hall_id: String,
    clock: Arc<dyn Clock>,
    session: Mutex<Option<Session>>,
}

impl Connection {
    pub fn new(
        server: &str,
        identity: Arc<TerminalIdentity>,
        hall_id: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SyncClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(SyncClientError::Unreachable)?;
        Ok(Self {
            http,
            base: server.trim_end_matches('/').to_string(),
            identity,
            hall_id: hall_id.to_string(),
            clock,
            session: Mutex::new(None),
        })
    }

    pub fn identity(&self) -> &Arc<TerminalIdentity> {
        &self.identity
    }

    /// Enroll this terminal with a one-time token from an admin; the enrollment is kept for later runs.
    pub async fn enroll(&self, token: &str) -> Result<proto::Enrolled, SyncClientError> {
        let request = proto::EnrollRequest {
            token: token.trim().to_string(),
            terminal_id: self.identity.terminal_id().to_string(),
            public_key: self.identity.public_key_hex(),
        };
        let response = self
            .http
            .post(format!("{}{}", self.base, proto::ENROLL_PATH))
            .json(&request)
            .send()
            .await
            .map_err(SyncClientError::Unreachable)?;
        let enrolled: proto::Enrolled = check(response)
            .await?
            .json()
            .await
            .map_err(|e| SyncClientError::BadReply(e.to_string()))?;
        let identity = Arc::clone(&self.identity);
        let saved = enrolled.clone();
        blocking(move || identity.set_enrollment(Some(saved))).await?;
        tracing::info!(terminal = %enrolled.terminal_id, hall = %enrolled.hall_id, "terminal enrolled");
        self.reset().await;
        Ok(enrolled)
    }

    /// Send a signed request to `path` with `query` and `body`.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<reqwest::Response, SyncClientError> {
        let mut url = reqwest::Url::parse(&format!("{}{}", self.base, path))
            .map_err(|e| SyncClientError::BadReply(format!("bad server address: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let signature = self
            .identity
            .sign(method.as_str(), &target, &body, self.clock.now_ms())?;
        let mut request = self
            .http
            .request(method, url)
            .header(proto::TERMINAL_HEADER, self.identity.terminal_id())
            .header(proto::TIME_HEADER, signature.time_ms)
            .header(proto::NONCE_HEADER, signature.nonce)
            .header(proto::SIGNATURE_HEADER, signature.signature);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request
            .body(body)
            .send()
            .await
            .map_err(SyncClientError::Unreachable)
    }

    /// The server this client talks to; also the peer name its sync state is kept under.
    pub fn server(&self) -> &str {
        &self.base
    }

    /// Forget the session (after a connection failure) so the next pass says hello again.
    pub async fn reset(&self) {
        *self.session.lock().await = None;
    }

    /// The session's protocol version and granted scopes, saying hello first if needed.
    pub async fn session(&self) -> Result<(u32, Vec<String>), SyncClientError> {
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref() {
            return Ok((s.version, s.scopes.clone()));
        }
        let hello = proto::Hello {
            terminal_id: self.identity.terminal_id().to_string(),
            hall_id: self.hall_id.clone(),
            versions: proto::SUPPORTED_VERSIONS.to_vec(),
        };
        let body = serde_json::to_vec(&hello).map_err(|e| SyncClientError::Task(e.to_string()))?;
        let response = self
            .send(
                reqwest::Method::POST,
                proto::HELLO_PATH,
                &[],
                body,
                &[("content-type", "application/json".to_string())],
            )
            .await?;
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

    /// One page of `scope`'s change feed after position `after`; with `wait`, the server holds an empty
    /// page back until the scope changes (long-poll, at most [`proto::MAX_FEED_WAIT_MS`]).
    pub async fn feed(
        &self,
        version: u32,
        scope: &str,
        after: i64,
        wait: Option<Duration>,
    ) -> Result<proto::FeedPage, SyncClientError> {
        let after = after.to_string();
        let mut query = vec![("scope", scope), ("after", after.as_str())];
        let wait_ms;
        if let Some(wait) = wait {
            wait_ms = u64::try_from(wait.as_millis())
                .unwrap_or(u64::MAX)
                .min(proto::MAX_FEED_WAIT_MS)
                .to_string();
            query.push(("wait_ms", wait_ms.as_str()));
        }
        self.get_json(version, proto::FEED_PATH, &query).await
    }

    /// A signed `GET` whose answer is JSON.
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        version: u32,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, SyncClientError> {
        let response = self
            .send(
                reqwest::Method::GET,
                path,
                query,
                Vec::new(),
                &[(proto::VERSION_HEADER, version.to_string())],
            )
            .await?;
        check(response)
            .await?
            .json()
            .await
            .map_err(|e| SyncClientError::BadReply(e.to_string()))
    }

    /// The enrolled hall's terminals (relays only).
    pub async fn hall_terminals(
        &self,
        version: u32,
    ) -> Result<Vec<proto::TerminalEntry>, SyncClientError> {
        self.get_json(version, proto::HALL_TERMINALS_PATH, &[])
            .await
    }

    /// What the server holds of blob `sm3` for `scope`; `None` when it holds nothing (`blob.unknown`).
    pub async fn blob_status(
        &self,
        version: u32,
        sm3: &str,
        scope: &str,
    ) -> Result<Option<proto::BlobStatus>, SyncClientError> {
        let response = self
            .send(
                reqwest::Method::GET,
                &proto::blob_path(sm3),
                &[("scope", scope)],
                Vec::new(),
                &[(proto::VERSION_HEADER, version.to_string())],
            )
            .await?;
        match check(response).await {
            Ok(response) => response.json().await.map(Some).map_err(read_error),
            Err(SyncClientError::Refused {
                status: 404, code, ..
            }) if code == "blob.unknown" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Send chunk `index` of blob `sm3` (`size` bytes in all) for `scope`.
    pub async fn put_blob_chunk(
        &self,
        version: u32,
        sm3: &str,
        scope: &str,
        size: u64,
        index: u32,
        chunk: Vec<u8>,
    ) -> Result<(), SyncClientError> {
        let response = self
            .send(
                reqwest::Method::PUT,
                &proto::blob_chunk_path(sm3, index),
                &[("size", &size.to_string()), ("scope", scope)],
                chunk,
                &[
                    (proto::VERSION_HEADER, version.to_string()),
                    ("content-type", proto::BLOB_CHUNK_MEDIA_TYPE.to_string()),
                ],
            )
            .await?;
        check(response).await?;
        Ok(())
    }

    /// Ask the server to verify and keep the uploaded blob `sm3` for `scope`.
    pub async fn complete_blob(
        &self,
        version: u32,
        sm3: &str,
        scope: &str,
    ) -> Result<proto::BlobStatus, SyncClientError> {
        let response = self
            .send(
                reqwest::Method::POST,
                &proto::blob_complete_path(sm3),
                &[("scope", scope)],
                Vec::new(),
                &[(proto::VERSION_HEADER, version.to_string())],
            )
            .await?;
        check(response).await?.json().await.map_err(read_error)
    }

    /// Chunk `index` of verified blob `sm3` in `scope`.
    pub async fn blob_chunk(
        &self,
        version: u32,
        sm3: &str,
        scope: &str,
        index: u32,
    ) -> Result<Vec<u8>, SyncClientError> {
        let response = self
            .send(
                reqwest::Method::GET,
                &proto::blob_chunk_path(sm3, index),
                &[("scope", scope)],
                Vec::new(),
                &[(proto::VERSION_HEADER, version.to_string())],
            )
            .await?;
        let bytes = check(response).await?.bytes().await.map_err(read_error)?;
        Ok(bytes.to_vec())
    }

    /// [`Connection::exchange`] for many documents at once: each round sends every unfinished document's
    /// next message in one batch request (at most [`proto::MAX_BATCH_DOCS`] per request). Returns, per
    /// document in order, whether its exchange finished or the server's refusal of it.
    pub async fn exchange_batch(
        &self,
        version: u32,
        docs: &mut [(String, AutoCommit, SyncState)],
    ) -> Result<Vec<Result<(), SyncClientError>>, SyncClientError> {
        let mut outcome: Vec<Result<(), SyncClientError>> = docs.iter().map(|_| Ok(())).collect();
        let mut active: Vec<usize> = (0..docs.len()).collect();
        for _ in 0..MAX_ROUNDS {
            if active.is_empty() {
                break;
            }
            let mut still_active = Vec::new();
            for group in active.chunks(proto::MAX_BATCH_DOCS) {
                let mut sent = Vec::with_capacity(group.len());
                let items: Vec<proto::BatchItem> = group
                    .iter()
                    .map(|&i| {
                        let (id, doc, state) = &mut docs[i];
                        let message = doc.sync().generate_sync_message(state).map(Message::encode);
                        sent.push(message.is_some());
                        proto::BatchItem {
                            doc_id: id.clone(),
                            message: message.unwrap_or_default(),
                        }
                    })
                    .collect();
                let response = self
                    .send(
                        reqwest::Method::POST,
                        proto::BATCH_PATH,
                        &[],
                        proto::encode_batch(&items),
                        &[
                            (proto::VERSION_HEADER, version.to_string()),
                            ("content-type", proto::BATCH_MEDIA_TYPE.to_string()),
                        ],
                    )
                    .await?;
                let bytes = check(response)
                    .await?
                    .bytes()
                    .await
                    .map_err(SyncClientError::Unreachable)?;
                let replies = proto::decode_batch_replies(&bytes)
                    .map_err(|e| SyncClientError::BadReply(e.to_string()))?;
                if replies.len() != group.len() {
                    return Err(SyncClientError::BadReply(format!(
                        "{} replies to a batch of {}",
                        replies.len(),
                        group.len()
                    )));
                }
                for ((&i, reply), sent_something) in group.iter().zip(replies).zip(sent) {
                    let (id, doc, state) = &mut docs[i];
                    if reply.doc_id != *id {
                        return Err(SyncClientError::BadReply(
                            "batch replies out of order".into(),
                        ));
                    }
                    match reply.status {
                        200 => {
                            let msg = Message::decode(&reply.body)
                                .map_err(|e| SyncClientError::BadReply(e.to_string()))?;
                            match doc.sync().receive_sync_message(state, msg) {
                                Ok(()) => still_active.push(i),
                                Err(e) => {
                                    outcome[i] = Err(SyncClientError::BadReply(e.to_string()))
                                }
                            }
                        }
                        204 if !sent_something => {}
                        204 => still_active.push(i),
                        status => {
                            let (code, message) = match serde_json::from_slice::<
                                banshi_core::ErrorBody,
                            >(&reply.body)
                            {
                                Ok(body) => (body.code, body.message),
                                Err(_) => ("sync.http_error".to_string(), format!("HTTP {status}")),
                            };
                            outcome[i] = Err(SyncClientError::Refused {
                                status,
                                code,
                                message,
                            });
                        }
                    }
                }
            }
            active = still_active;
        }
        Ok(outcome)
    }

    /// Exchange automerge sync messages for `doc_id` until neither side has anything to send.
    pub async fn exchange(
        &self,
        version: u32,
        doc_id: &str,
        doc: &mut AutoCommit,
        state: &mut SyncState,
    ) -> Result<(), SyncClientError> {
        for _ in 0..MAX_ROUNDS {
            let outgoing = doc.sync().generate_sync_message(state);
            let sent_something = outgoing.is_some();
            let body = outgoing.map(Message::encode).unwrap_or_default();
            let response = self
                .send(
                    reqwest::Method::POST,
                    &format!("{}{doc_id}", proto::DOC_PATH_PREFIX),
                    &[],
                    body,
                    &[
                        (proto::VERSION_HEADER, version.to_string()),
                        ("content-type", proto::SYNC_MESSAGE_MEDIA_TYPE.to_string()),
                    ],
                )
                .await?;
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
                    .receive_sync_message(state, msg)
                    .map_err(|e| SyncClientError::BadReply(e.to_string()))?;
            }
            if !sent_something && !got_something {
                break;
            }
        }
        Ok(())
    }
}

/// An answer's body could not be read: a link cut mid-answer is the link's fault (retry), a body that
/// arrived whole but does not parse is the server's.
fn read_error(e: reqwest::Error) -> SyncClientError {
    // reqwest calls both "decode" errors; only a JSON error underneath means the bytes were all there.
    let unparsable = std::error::Error::source(&e).is_some_and(|s| s.is::<serde_json::Error>());
    if unparsable {
        SyncClientError::BadReply(e.to_string())
    } else {
        SyncClientError::Unreachable(e)
    }
}

pub(crate) async fn check(
    response: reqwest::Response,
) -> Result<reqwest::Response, SyncClientError> {
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

/// The fleet routes (`banshi_sync_protocol::fleet`): heartbeats, assignments, and the admin's rollouts.
impl Connection {
    async fn fleet_json<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<T, SyncClientError> {
        let headers = [("content-type", "application/json".to_string())];
        let response = self
            .send(
                method,
                path,
                query,
                body.unwrap_or_default(),
                if path == proto::fleet::ASSIGNMENT_PATH {
                    &[]
                } else {
                    &headers
                },
            )
            .await?;
        check(response)
            .await?
            .json()
            .await
            .map_err(|e| SyncClientError::BadReply(e.to_string()))
    }

    fn to_json(value: &impl serde::Serialize) -> Result<Vec<u8>, SyncClientError> {
        serde_json::to_vec(value).map_err(|e| SyncClientError::Task(e.to_string()))
    }

    /// Report this terminal's state; the answer is the release it should run.
    pub async fn heartbeat(
        &self,
        heartbeat: &proto::fleet::Heartbeat,
    ) -> Result<proto::fleet::Assignment, SyncClientError> {
        let body = Self::to_json(heartbeat)?;
        self.fleet_json(
            reqwest::Method::POST,
            proto::fleet::HEARTBEAT_PATH,
            &[],
            Some(body),
        )
        .await
    }

    /// The release this terminal should run, held back by the server up to `wait` while it is `known`.
    pub async fn wait_assignment(
        &self,
        known: &str,
        wait: Duration,
    ) -> Result<proto::fleet::Assignment, SyncClientError> {
        let wait_ms = wait.as_millis().min(u128::from(u64::MAX)).to_string();
        self.fleet_json(
            reqwest::Method::GET,
            proto::fleet::ASSIGNMENT_PATH,
            &[("known", known), ("wait_ms", wait_ms.as_str())],
            None,
        )
        .await
    }

    /// Admin terminals: start rolling out a signed release.
    pub async fn publish_release(
        &self,
        publish: &proto::fleet::PublishRelease,
    ) -> Result<proto::fleet::RolloutInfo, SyncClientError> {
        let body = Self::to_json(publish)?;
        self.fleet_json(
            reqwest::Method::POST,
            proto::fleet::ROLLOUTS_PATH,
            &[],
            Some(body),
        )
        .await
    }

    /// Admin terminals: every rollout, newest first.
    pub async fn rollouts(&self) -> Result<Vec<proto::fleet::RolloutInfo>, SyncClientError> {
        self.fleet_json(reqwest::Method::GET, proto::fleet::ROLLOUTS_PATH, &[], None)
            .await
    }

    /// Admin terminals: move a rollout to its next stage.
    pub async fn advance_rollout(
        &self,
        release_id: &str,
    ) -> Result<proto::fleet::RolloutInfo, SyncClientError> {
        let path = proto::fleet::rollout_advance_path(release_id);
        self.fleet_json(reqwest::Method::POST, &path, &[], Some(Vec::new()))
            .await
    }

    /// Admin terminals: withdraw a release.
    pub async fn rollback_rollout(
        &self,
        release_id: &str,
    ) -> Result<proto::fleet::RolloutInfo, SyncClientError> {
        let path = proto::fleet::rollout_rollback_path(release_id);
        self.fleet_json(reqwest::Method::POST, &path, &[], Some(Vec::new()))
            .await
    }

    /// Admin terminals: every enrolled terminal with its last heartbeat.
    pub async fn fleet_terminals(&self) -> Result<proto::fleet::FleetOverview, SyncClientError> {
        self.fleet_json(
            reqwest::Method::GET,
            proto::fleet::FLEET_TERMINALS_PATH,
            &[],
            None,
        )
        .await
    }
}
