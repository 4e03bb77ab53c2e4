//! A hall on one machine, for scenario tests: a real `banshi-server` on loopback over a real SQLite file,
//! a wire-level ESC/POS printer simulator on TCP, and terminals built from the example profiles in
//! `kiosk-profiles/examples/`, each with its own data folder. Everything talks over real sockets.
//!
//! Terminals are enrolled the way an installer would (a one-time token from the server's admin
//! operations); [`RawTerminal`] speaks the signed wire protocol by hand for tests of refusals.
//! [`Hall::with_storage`] puts the server on another backend, e.g. one of two PostgreSQL nodes.
//! [`proxy::CuttingProxy`] stands between a terminal and a server and cuts the link at chosen bytes.
//!
//! [`crash`] is the harness of the crash-safety test: a writer process (`crash-writer`) and its line protocol.

pub mod crash;
pub mod proxy;

pub mod staff;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use banshi_core::{Clock, SystemClock};
use banshi_escpos_sim::{SimConfig, SimHandle, SimState, Simulator};
use banshi_profile::{EscPosTransport, Profile};
use banshi_server::auth::admin;
use banshi_server::storage::{ServerStorage, TerminalRole};
use banshi_sync_protocol as proto;
use banshi_terminal::Terminal;

/// The store in a terminal's data folder, opened with the data key `Terminal::open` uses (its KEK file
/// beside the folder, made on first use): a test can look into a running terminal's store, or give a bare
/// sync client the store a terminal would have.
pub fn open_terminal_store(data_dir: &Path) -> anyhow::Result<banshi_store::Store> {
    std::fs::create_dir_all(data_dir).context("making the data folder")?;
    let kek = banshi_store::KekSource::File(banshi_terminal::default_kek_file(data_dir));
    let key = banshi_store::open_data_key(data_dir, &kek).context("opening the data key")?;
    banshi_store::Store::open(&data_dir.join("terminal.sqlite"), key).context("opening the store")
}

/// The example profile for `mode` (file stem, e.g. `queue-ticket`).
pub fn example_profile(mode: &str) -> anyhow::Result<Profile> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../kiosk-profiles/examples")
        .join(format!("{mode}.toml"));
    banshi_profile::load_profile(&path).with_context(|| format!("loading {}", path.display()))
}

/// A running hall: server, printer simulator, and a scratch folder for terminals' data.
#[derive(Debug)]
pub struct Hall {
    pub server_url: String,
    pub printer: SimHandle,
    pub dir: tempfile::TempDir,
    pub storage: Arc<dyn ServerStorage>,
    server_task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The bearer token the scenario server's integration API (`/integration/v1`) accepts: the provincial
/// platform's in tests.
pub const INTEGRATION_TOKEN: &str = "scenario-platform-token";

/// Serve the central server until `stop` fires (then open connections close too, as when a link drops).
fn spawn_server(
    listener: tokio::net::TcpListener,
    storage: Arc<dyn ServerStorage>,
) -> (
    tokio::task::JoinHandle<std::io::Result<()>>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = banshi_server::AppState::new(storage, "scenario-central").with_integration(
        &banshi_server::integration::IntegrationConfig {
            token: Some(INTEGRATION_TOKEN.to_string()),
        },
    );
    let task = tokio::spawn(banshi_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (task, stop)
}

impl Hall {
    /// A hall whose server keeps its documents in a SQLite file in the hall's scratch folder.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with_db(None).await
    }

    /// A hall whose server keeps its data in `database` (a `--db` URL), or a fresh SQLite file.
    pub async fn start_with_db(database: Option<&str>) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let url = match database {
            Some(url) => url.to_string(),
            None => format!("sqlite:{}", dir.path().join("server.sqlite").display()),
        };
        let storage = banshi_server::storage::open(&url).await?;
        Self::start_on(storage, dir).await
    }

    /// A hall whose server uses `storage`: e.g. one of several PostgreSQL nodes on one database.
    pub async fn with_storage(
        storage: Arc<dyn banshi_server::storage::ServerStorage>,
    ) -> anyhow::Result<Self> {
        Self::start_on(storage, tempfile::tempdir()?).await
    }

    async fn start_on(
        storage: Arc<dyn banshi_server::storage::ServerStorage>,
        dir: tempfile::TempDir,
    ) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let server_url = format!("http://{}", listener.local_addr()?);
        let (server_task, stop) = spawn_server(listener, Arc::clone(&storage));
        let printer = Simulator::start("127.0.0.1:0", SimState::new(SimConfig::default())).await?;
        Ok(Self {
            server_url,
            printer,
            dir,
            storage,
            server_task,
            stop: Some(stop),
        })
    }

    /// A one-time enrollment token for `hall_id`, as `banshi-server token create` makes.
    pub async fn token(&self, hall_id: &str) -> anyhow::Result<String> {
        Ok(admin::create_token(
            self.storage.as_ref(),
            &SystemClock,
            hall_id,
            TerminalRole::Terminal,
            1,
            std::time::Duration::from_secs(3600),
        )
        .await?)
    }

    /// A terminal of the hall from the example profile for `mode`, pointed at this hall's server and
    /// printer, enrolled into the profile's hall.
    pub async fn terminal(&self, mode: &str, terminal_id: &str) -> anyhow::Result<Arc<Terminal>> {
        let terminal = self.unenrolled_terminal(mode, terminal_id)?;
        let token = self.token(&terminal.profile().terminal.hall_id).await?;
        terminal.enroll(&token).await?;
        Ok(terminal)
    }

    /// Like [`Hall::terminal`], with the profile adjusted by `adjust` first (e.g. its sync interval).
    pub async fn terminal_with(
        &self,
        mode: &str,
        terminal_id: &str,
        adjust: impl FnOnce(&mut Profile),
    ) -> anyhow::Result<Arc<Terminal>> {
        let terminal = self.open_terminal_with(mode, terminal_id, None, None, adjust)?;
        let token = self.token(&terminal.profile().terminal.hall_id).await?;
        terminal.enroll(&token).await?;
        Ok(terminal)
    }

    /// A terminal like [`Hall::terminal`] whose profile (and enrollment) names hall `hall_id`.
    pub async fn terminal_in_hall(
        &self,
        mode: &str,
        terminal_id: &str,
        hall_id: &str,
    ) -> anyhow::Result<Arc<Terminal>> {
        let terminal = self.open_terminal(mode, terminal_id, Some(hall_id))?;
        terminal.enroll(&self.token(hall_id).await?).await?;
        Ok(terminal)
    }

    /// A terminal enrolled centrally into the profile's hall but syncing with `server` (a relay).
    pub async fn terminal_via(
        &self,
        mode: &str,
        terminal_id: &str,
        server: &str,
    ) -> anyhow::Result<Arc<Terminal>> {
        self.terminal_via_with(mode, terminal_id, server, |_| {})
            .await
    }

    /// Like [`Hall::terminal_via`], with the profile adjusted by `adjust` first.
    pub async fn terminal_via_with(
        &self,
        mode: &str,
        terminal_id: &str,
        server: &str,
        adjust: impl FnOnce(&mut Profile),
    ) -> anyhow::Result<Arc<Terminal>> {
        let hall_id = example_profile(mode)?.terminal.hall_id;
        // The identity lives in the terminal's data folder, where `Terminal::open` finds it.
        self.enrolled_identity(terminal_id, &hall_id).await?;
        let terminal = self.open_terminal_with(mode, terminal_id, None, Some(server), adjust)?;
        Ok(terminal)
    }

    /// Like [`Hall::terminal`], on `clock` instead of the system clock (scenarios that span days).
    pub async fn terminal_with_clock(
        &self,
        mode: &str,
        terminal_id: &str,
        clock: Arc<dyn banshi_core::Clock>,
    ) -> anyhow::Result<Arc<Terminal>> {
        self.terminal_with_clock_and(mode, terminal_id, clock, |_| {})
            .await
    }

    /// Like [`Hall::terminal_with_clock`], with the profile adjusted by `adjust` first (e.g. its devices).
    pub async fn terminal_with_clock_and(
        &self,
        mode: &str,
        terminal_id: &str,
        clock: Arc<dyn banshi_core::Clock>,
        adjust: impl FnOnce(&mut Profile),
    ) -> anyhow::Result<Arc<Terminal>> {
        let terminal = self.open_terminal_on(mode, terminal_id, None, None, clock, adjust)?;
        let token = self.token(&terminal.profile().terminal.hall_id).await?;
        terminal.enroll(&token).await?;
        Ok(terminal)
    }

    /// Like [`Hall::terminal`], without enrolling it.
    pub fn unenrolled_terminal(
        &self,
        mode: &str,
        terminal_id: &str,
    ) -> anyhow::Result<Arc<Terminal>> {
        self.open_terminal(mode, terminal_id, None)
    }

    fn open_terminal(
        &self,
        mode: &str,
        terminal_id: &str,
        hall_id: Option<&str>,
    ) -> anyhow::Result<Arc<Terminal>> {
        self.open_terminal_with(mode, terminal_id, hall_id, None, |_| {})
    }

    fn open_terminal_with(
        &self,
        mode: &str,
        terminal_id: &str,
        hall_id: Option<&str>,
        server: Option<&str>,
        adjust: impl FnOnce(&mut Profile),
    ) -> anyhow::Result<Arc<Terminal>> {
        let clock = Arc::new(banshi_core::SystemClock);
        self.open_terminal_on(mode, terminal_id, hall_id, server, clock, adjust)
    }

    fn open_terminal_on(
        &self,
        mode: &str,
        terminal_id: &str,
        hall_id: Option<&str>,
        server: Option<&str>,
        clock: Arc<dyn banshi_core::Clock>,
        adjust: impl FnOnce(&mut Profile),
    ) -> anyhow::Result<Arc<Terminal>> {
        let mut profile = example_profile(mode)?;
        adjust(&mut profile);
        profile.terminal.id = terminal_id.to_string();
        if let Some(hall_id) = hall_id {
            profile.terminal.hall_id = hall_id.to_string();
        }
        if let Some(sync) = profile.sync.as_mut() {
            sync.server = server.unwrap_or(&self.server_url).to_string();
        }
        if let Some(printer) = profile.devices.ticket_printer.as_mut() {
            printer.transport = EscPosTransport::Tcp {
                address: self.printer.local_addr().to_string(),
            };
        }
        let data: PathBuf = self.dir.path().join(terminal_id);
        Ok(Terminal::open(profile, &data, clock)?)
    }
}

/// A terminal speaking the signed protocol by hand: for tests that send what a real terminal never would.
#[derive(Debug)]
pub struct RawTerminal {
    pub id: String,
    pub key: banshi_crypto::SigningKeyPair,
    pub base: String,
    http: reqwest::Client,
}

/// The signature headers of one request.
#[derive(Debug, Clone)]
pub struct Signed {
    pub time_ms: i64,
    pub nonce: String,
    pub signature: String,
}

impl RawTerminal {
    /// A new key pair for terminal `id` talking to `base` (not enrolled yet).
    pub fn new(base: &str, id: &str) -> Self {
        Self {
            id: id.to_string(),
            key: banshi_crypto::SigningKeyPair::generate().expect("key"),
            base: base.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// Enroll with `token`; returns the server's answer.
    pub async fn enroll(&self, token: &str) -> anyhow::Result<proto::Enrolled> {
        let response = self
            .http
            .post(format!("{}{}", self.base, proto::ENROLL_PATH))
            .json(&proto::EnrollRequest {
                token: token.to_string(),
                terminal_id: self.id.clone(),
                public_key: self.key.public_key_hex(),
            })
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "enroll: {}",
            response.text().await?
        );
        Ok(response.json().await?)
    }

    /// Signature headers for `method target body` at `time_ms`.
    pub fn sign(&self, method: &str, target: &str, body: &[u8], time_ms: i64) -> Signed {
        let nonce = hex::encode(banshi_crypto::random_bytes::<16>().expect("nonce"));
        let text = proto::signing_string(
            method,
            target,
            &self.id,
            time_ms,
            &nonce,
            &banshi_crypto::sm3_hex(body),
        );
        Signed {
            time_ms,
            nonce,
            signature: self.key.sign_hex(text.as_bytes()),
        }
    }

    /// Send `body` to `target` with the given signature headers (possibly not matching the request).
    pub async fn send_with(
        &self,
        method: &str,
        target: &str,
        body: Vec<u8>,
        signed: &Signed,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let response = self
            .http
            .request(method.parse()?, format!("{}{target}", self.base))
            .header(proto::TERMINAL_HEADER, &self.id)
            .header(proto::TIME_HEADER, signed.time_ms)
            .header(proto::NONCE_HEADER, &signed.nonce)
            .header(proto::SIGNATURE_HEADER, &signed.signature)
            .header(proto::VERSION_HEADER, "1")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        ))
    }

    /// Sign and send a request now.
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let signed = self.sign(method, target, &body, SystemClock.now_ms());
        self.send_with(method, target, body, &signed).await
    }
}

/// A hall relay: a second `banshi-server` on its own SQLite file, enrolled upstream with the central
/// server of a [`Hall`]. Tests drive its upstream passes by hand ([`RelayNode::sync_upstream`]) so that
/// "the WAN is down" is simply not calling it, or run it in the background like the real binary.
#[derive(Debug)]
pub struct RelayNode {
    pub url: String,
    pub storage: Arc<dyn ServerStorage>,
    pub relay: Arc<banshi_server::relay::Relay>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RelayNode {
    /// One upstream pass (terminals, push, pull).
    pub async fn sync_upstream(
        &self,
    ) -> Result<banshi_server::relay::RelayReport, banshi_server::relay::RelayError> {
        self.relay.sync_once().await
    }
}

impl Drop for RelayNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hall {
    /// Start a relay for `hall_id` and enroll it upstream (not yet synced: call `sync_upstream`).
    pub async fn start_relay(&self, hall_id: &str) -> anyhow::Result<RelayNode> {
        let dir = self.dir.path().join(format!("relay-{hall_id}"));
        std::fs::create_dir_all(&dir)?;
        let storage =
            banshi_server::storage::open(&format!("sqlite:{}", dir.join("relay.sqlite").display()))
                .await?;
        let state = banshi_server::AppState::new(Arc::clone(&storage), format!("relay-{hall_id}"));
        let relay = Arc::new(banshi_server::relay::Relay::new(
            &self.server_url,
            &format!("relay-{hall_id}"),
            &dir.join("identity"),
            Arc::clone(&state.engine),
            Arc::new(SystemClock),
        )?);
        let token = admin::create_token(
            self.storage.as_ref(),
            &SystemClock,
            hall_id,
            TerminalRole::Relay,
            1,
            std::time::Duration::from_secs(3600),
        )
        .await?;
        relay.enroll(&token).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(banshi_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        Ok(RelayNode {
            url,
            storage,
            relay,
            task,
        })
    }

    /// Stop the central server (the WAN link is down, or the server crashed): the listener and every open
    /// connection close. Its database stays.
    pub async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Graceful shutdown waits for requests in flight; none may hang a test.
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.server_task)
            .await
            .is_err()
        {
            self.server_task.abort();
        }
    }

    /// Start the central server again on the same address and database.
    pub async fn restart_server(&mut self) -> anyhow::Result<()> {
        let address = self.server_url.trim_start_matches("http://").to_string();
        let listener = loop {
            // The aborted task releases the socket shortly after.
            match tokio::net::TcpListener::bind(&address).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        let (task, stop) = spawn_server(listener, Arc::clone(&self.storage));
        self.server_task = task;
        self.stop = Some(stop);
        Ok(())
    }

    /// A sync client for a store of terminal `terminal_id`, enrolled centrally into `hall_id`, talking
    /// to `server` (central or a relay). Two clients may share one identity and store to move a
    /// terminal between servers.
    pub async fn enrolled_identity(
        &self,
        terminal_id: &str,
        hall_id: &str,
    ) -> anyhow::Result<Arc<banshi_sync_client::TerminalIdentity>> {
        let dir = self.dir.path().join(terminal_id).join("identity");
        let identity = Arc::new(banshi_sync_client::TerminalIdentity::load_or_create(
            &dir,
            terminal_id,
        )?);
        let client = banshi_sync_client::Connection::new(
            &self.server_url,
            Arc::clone(&identity),
            hall_id,
            Arc::new(SystemClock),
        )?;
        client.enroll(&self.token(hall_id).await?).await?;
        Ok(identity)
    }
}

impl Hall {
    /// A bare sync client with its own store (in the terminal's data folder), enrolled centrally into
    /// `hall_id` and talking to `server` (the central server, a relay or a [`proxy::CuttingProxy`]).
    pub async fn sync_client(
        &self,
        terminal_id: &str,
        hall_id: &str,
        server: &str,
    ) -> anyhow::Result<(Arc<banshi_store::Store>, banshi_sync_client::SyncClient)> {
        let identity = self.enrolled_identity(terminal_id, hall_id).await?;
        let store = Arc::new(open_terminal_store(&self.dir.path().join(terminal_id))?);
        let client = banshi_sync_client::SyncClient::new(
            server,
            identity,
            hall_id,
            Arc::clone(&store),
            Arc::new(SystemClock),
        )?;
        Ok((store, client))
    }
}

impl Drop for Hall {
    fn drop(&mut self) {
        self.server_task.abort();
        self.printer.shutdown();
    }
}
