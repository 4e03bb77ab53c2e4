//! `banshi serve`: the terminal with no window — the UI and API over HTTP on one address. It is what the
//! device service unit runs, so it reports readiness and feeds the watchdog ([`crate::systemd`]).

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use banshi_local_api::UiAssets;
use banshi_profile::Profile;
use banshi_terminal::Terminal;

/// The UI embedded in this binary by Tauri (`frontendDist`), so `serve` shows the same build as the window.
pub struct EmbeddedUi(tauri::Context<tauri::Wry>);

impl EmbeddedUi {
    pub fn new() -> Self {
        Self(tauri::generate_context!())
    }
}

impl std::fmt::Debug for EmbeddedUi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmbeddedUi")
    }
}

impl UiAssets for EmbeddedUi {
    fn get(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        self.0.assets().get(&path.into())
    }
}

pub fn run(profile: Profile, listen: std::net::SocketAddr, data: PathBuf) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let terminal = Terminal::open(profile, &data, Arc::new(banshi_core::SystemClock))?;
        crate::cli::offer_enrollment_token(&terminal);
        terminal.start_background();
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        let address = listener.local_addr()?;
        tracing::info!(url = %format!("http://{address}/"), mode = terminal.profile().mode.as_str(), "banshi serving");
        spawn_tv_page(&terminal).await?;
        if let Some(watchdog) = crate::systemd::notify_ready() {
            tokio::spawn(watchdog);
        }
        banshi_local_api::serve(listener, terminal, Arc::new(EmbeddedUi::new()), shutdown_signal())
            .await
            .context("serving")?;
        crate::systemd::notify_stopping();
        tracing::info!("banshi stopped");
        Ok(())
    })
}

/// A call screen's plain page for TV browsers on the hall LAN (`queue.tv_listen`): only `/tv` and its JSON,
/// never the local API, which stays on loopback.
pub async fn spawn_tv_page(terminal: &Arc<Terminal>) -> anyhow::Result<()> {
    let Some(listen) = terminal.profile().queue.tv_listen.clone() else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening for the TV page on {listen}"))?;
    tracing::info!(url = %format!("http://{}/tv", listener.local_addr()?), "TV call page");
    let (terminal, ui) = (Arc::clone(terminal), Arc::new(EmbeddedUi::new()));
    tokio::spawn(async move {
        if let Err(error) = banshi_local_api::serve_tv(listener, terminal, ui).await {
            tracing::error!(%error, "TV page stopped");
        }
    });
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
