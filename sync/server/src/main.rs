//! `banshi-server` command line.

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "banshi-server",
    version,
    about = "Banshi sync server (central, or a hall relay)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve terminals over HTTP.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "BANSHI_LISTEN", default_value = "127.0.0.1:8300")]
        listen: std::net::SocketAddr,
        /// Database URL: `sqlite:PATH`, or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (also
        /// `postgresql://`) for several server nodes sharing one database.
        #[arg(long, env = "BANSHI_DB", default_value = "sqlite:banshi-server.sqlite")]
        db: String,
        /// This node's name in logs and handshakes.
        #[arg(long, env = "BANSHI_SERVER_ID", default_value = "central")]
        server_id: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BANSHI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve {
            listen,
            db,
            server_id,
        } => {
            let shown = banshi_server::storage::redact_url(&db);
            let storage = banshi_server::storage::open(&db)
                .await
                .with_context(|| format!("opening database {shown}"))?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, db = %shown, "banshi-server listening");
            let state = banshi_server::AppState::new(storage, server_id);
            banshi_server::serve(listener, state, shutdown_signal())
                .await
                .context("serving")?;
            tracing::info!("banshi-server stopped");
            Ok(())
        }
    }
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
