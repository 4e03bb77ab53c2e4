//! A hall on one machine, for scenario tests: a real `banshi-server` on loopback over a real SQLite file,
//! a wire-level ESC/POS printer simulator on TCP, and terminals built from the example profiles in
//! `kiosk-profiles/examples/`, each with its own data folder. Everything talks over real sockets.
//!
//! [`crash`] is the harness of the crash-safety test: a writer process (`crash-writer`) and its line protocol.

pub mod crash;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use banshi_escpos_sim::{SimConfig, SimHandle, SimState, Simulator};
use banshi_profile::{EscPosTransport, Profile};
use banshi_terminal::Terminal;

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
    server_task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Hall {
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let storage = banshi_server::storage::open(&format!(
            "sqlite:{}",
            dir.path().join("server.sqlite").display()
        ))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let server_url = format!("http://{}", listener.local_addr()?);
        let state = banshi_server::AppState::new(storage, "scenario-central");
        let server_task = tokio::spawn(banshi_server::serve(
            listener,
            state,
            std::future::pending(),
        ));
        let printer = Simulator::start("127.0.0.1:0", SimState::new(SimConfig::default())).await?;
        Ok(Self {
            server_url,
            printer,
            dir,
            server_task,
        })
    }

    /// A terminal of the hall from the example profile for `mode`, pointed at this hall's server and printer.
    pub fn terminal(&self, mode: &str, terminal_id: &str) -> anyhow::Result<Arc<Terminal>> {
        let mut profile = example_profile(mode)?;
        profile.terminal.id = terminal_id.to_string();
        if let Some(sync) = profile.sync.as_mut() {
            sync.server = self.server_url.clone();
        }
        if let Some(printer) = profile.devices.ticket_printer.as_mut() {
            printer.transport = EscPosTransport::Tcp {
                address: self.printer.local_addr().to_string(),
            };
        }
        let data: PathBuf = self.dir.path().join(terminal_id);
        Ok(Terminal::open(
            profile,
            &data,
            Arc::new(banshi_core::SystemClock),
        )?)
    }
}

impl Drop for Hall {
    fn drop(&mut self) {
        self.server_task.abort();
        self.printer.shutdown();
    }
}
