//! `banshi-server` command line.
//!
//! Under systemd (`Type=notify`, `WatchdogSec=`, see `packaging/systemd/banshi-server.service`) `serve`
//! reports ready once it listens and then keeps the watchdog fed; without systemd that is a no-op.

use std::io::Write;

use anyhow::Context;
use banshi_core::rating::{Grade, RatingRules};
use banshi_core::SystemClock;
use banshi_server::auth::admin;
use banshi_server::storage::TerminalRole;
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

// Parsed once at start-up: the size of the serve variant's settings costs nothing worth boxing them for.
#[allow(clippy::large_enum_variant)]
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
        /// Run as a hall relay syncing with this upstream server (e.g. `https://central.example:8300`).
        #[arg(long, env = "BANSHI_UPSTREAM")]
        upstream: Option<String>,
        /// The relay's terminal id towards upstream [default: the server id].
        #[arg(long, env = "BANSHI_RELAY_ID")]
        relay_id: Option<String>,
        /// Folder for the relay's key and enrollment [default: `relay-identity` next to the database].
        #[arg(long, env = "BANSHI_RELAY_IDENTITY")]
        relay_identity: Option<std::path::PathBuf>,
        /// A relay enrollment token (`token create --relay` on the upstream), used once.
        #[arg(long, env = "BANSHI_ENROLLMENT_TOKEN", hide_env_values = true)]
        enrollment_token: Option<String>,
        /// How often the relay syncs with upstream, in milliseconds.
        #[arg(long, env = "BANSHI_RELAY_INTERVAL_MS", default_value_t = 1000)]
        relay_interval_ms: u64,
        /// Bearer token of the provincial acceptance platform; enables `/integration/v1`
        /// (`docs/integration-api.md`). Set it in the environment, not on the command line.
        #[arg(long, env = "BANSHI_INTEGRATION_TOKEN", hide_env_values = true)]
        integration_token: Option<String>,
        /// The grade a finished case gets when nobody rated it in time: `very_satisfied`, `satisfied`,
        /// `basic`, `dissatisfied` or `very_dissatisfied` (the tenders name 满意 or 基本满意).
        #[arg(long, env = "BANSHI_RATING_DEFAULT_GRADE", default_value = "satisfied", value_parser = parse_grade)]
        rating_default_grade: Grade,
        /// Days after a case is finished before it gets the default grade; 0 gives none (central server
        /// only: a relay never gives default grades).
        #[arg(long, env = "BANSHI_RATING_DEFAULT_AFTER_DAYS", default_value_t = 15)]
        rating_default_after_days: u32,
        /// How often to look for cases due a default grade or a rating link, in minutes.
        #[arg(long, env = "BANSHI_RATING_SWEEP_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        rating_sweep_minutes: u64,
        /// The hall's SMS gateway (`POST {"phone", "text"}`, `docs/integration-api.md`): finished cases nobody
        /// rated get the rating link by text message. Needs `--public-url`; central server only.
        #[arg(long, env = "BANSHI_SMS_GATEWAY")]
        sms_gateway: Option<String>,
        /// The address phones reach this server at, for the links it texts (e.g. `https://zwfw.example.gov.cn`).
        #[arg(long, env = "BANSHI_PUBLIC_URL")]
        public_url: Option<String>,
        /// Hours after a case is finished before its rating link is texted.
        #[arg(long, env = "BANSHI_RATING_SMS_AFTER_HOURS", default_value_t = 24)]
        rating_sms_after_hours: u32,
    },
    /// Enrollment tokens (an admin hands one to whoever installs a terminal).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Enrolled terminals: list, revoke, move to another hall.
    Terminal {
        #[command(subcommand)]
        command: TerminalCommand,
    },
}

#[derive(Debug, clap::Args)]
struct DbArg {
    /// Database URL, as for `serve`.
    #[arg(long, env = "BANSHI_DB", default_value = "sqlite:banshi-server.sqlite")]
    db: String,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token; prints it once (only its hash is stored).
    Create {
        #[command(flatten)]
        db: DbArg,
        /// The hall the enrolled terminals are bound to.
        #[arg(long)]
        hall: String,
        /// How many terminals may enroll with it.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// Hours until it expires.
        #[arg(long, default_value_t = 24)]
        ttl_hours: u64,
        /// Enroll hall relays instead of terminals.
        #[arg(long)]
        relay: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TerminalCommand {
    /// List enrolled terminals (id, hall, role, status).
    List {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        hall: Option<String>,
    },
    /// Refuse every further request of a terminal; it purges its records when it next connects.
    Revoke {
        #[command(flatten)]
        db: DbArg,
        id: String,
    },
    /// Bind a terminal to another hall; it purges the old hall's records when it next connects.
    Move {
        #[command(flatten)]
        db: DbArg,
        id: String,
        #[arg(long)]
        hall: String,
    },
    /// Let an enrolled terminal (an admin console) publish signed profiles and steer their rollouts.
    FleetAdmin {
        #[command(flatten)]
        db: DbArg,
        id: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr: stdout carries command output (`token create` prints the token).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only on a terminal: under systemd stderr goes to the journal, which would keep the escapes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
            upstream,
            relay_id,
            relay_identity,
            enrollment_token,
            relay_interval_ms,
            integration_token,
            rating_default_grade,
            rating_default_after_days,
            rating_sweep_minutes,
            sms_gateway,
            public_url,
            rating_sms_after_hours,
        } => {
            let sms = match (sms_gateway, public_url) {
                (Some(gateway), Some(public_url)) => Some(banshi_server::rating_sms::SmsSettings {
                    gateway,
                    public_url,
                    after_hours: rating_sms_after_hours,
                }),
                (Some(_), None) => anyhow::bail!(
                    "BANSHI_SMS_GATEWAY needs BANSHI_PUBLIC_URL: the address the texted links point at"
                ),
                (None, _) => None,
            };
            let shown = banshi_server::storage::redact_url(&db);
            let storage = banshi_server::storage::open(&db)
                .await
                .with_context(|| format!("opening database {shown}"))?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, db = %shown, "banshi-server listening");
            let integration = banshi_server::integration::IntegrationConfig {
                token: integration_token,
            };
            if integration.token.is_some() && upstream.is_some() {
                tracing::warn!(
                    "the integration API is meant for the central server, not a hall relay"
                );
            }
            let state = banshi_server::AppState::new(storage, server_id.clone())
                .with_integration(&integration);
            if state.integration.is_some() {
                tracing::info!("integration API enabled");
            }
            if let Some(upstream) = upstream {
                let identity_dir = relay_identity.unwrap_or_else(|| {
                    let db_path = db.strip_prefix("sqlite:").unwrap_or(".");
                    std::path::Path::new(db_path)
                        .parent()
                        .unwrap_or(std::path::Path::new("."))
                        .join("relay-identity")
                });
                let relay = banshi_server::relay::Relay::new(
                    &upstream,
                    relay_id.as_deref().unwrap_or(&server_id),
                    &identity_dir,
                    std::sync::Arc::clone(&state.engine),
                    std::sync::Arc::clone(&state.clock),
                )
                .context("setting up the relay")?;
                tracing::info!(%upstream, "relaying this hall's records upstream");
                tokio::spawn(std::sync::Arc::new(relay).run(
                    enrollment_token,
                    std::time::Duration::from_millis(relay_interval_ms),
                ));
            } else if rating_default_after_days > 0 {
                let rules = RatingRules {
                    default_grade: rating_default_grade,
                    default_after_days: rating_default_after_days,
                    ..RatingRules::default()
                };
                tracing::info!(
                    grade = rating_default_grade.name_zh(),
                    days = rating_default_after_days,
                    "unrated finished cases get a default grade"
                );
                tokio::spawn(banshi_server::rating_defaults::run(
                    std::sync::Arc::clone(state.engine.storage()),
                    std::sync::Arc::clone(&state.clock),
                    rules,
                    std::time::Duration::from_secs(rating_sweep_minutes * 60),
                ));
            }
            if let Some(settings) = sms.filter(|_| !state.engine.is_relay()) {
                tracing::info!(
                    hours = settings.after_hours,
                    "finished cases nobody rated get the rating link by SMS"
                );
                tokio::spawn(banshi_server::rating_sms::run(
                    std::sync::Arc::clone(state.engine.storage()),
                    std::sync::Arc::clone(&state.clock),
                    settings,
                    std::time::Duration::from_secs(rating_sweep_minutes * 60),
                ));
            }
            if let Some(watchdog) = systemd::notify_ready() {
                tokio::spawn(watchdog);
            }
            banshi_server::serve(listener, state, shutdown_signal())
                .await
                .context("serving")?;
            systemd::notify_stopping();
            tracing::info!("banshi-server stopped");
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    hall,
                    uses,
                    ttl_hours,
                    relay,
                },
        } => {
            let storage = open(&db.db).await?;
            let role = if relay {
                TerminalRole::Relay
            } else {
                TerminalRole::Terminal
            };
            let token = admin::create_token(
                storage.as_ref(),
                &SystemClock,
                &hall,
                role,
                uses,
                std::time::Duration::from_secs(ttl_hours * 3600),
            )
            .await?;
            writeln!(std::io::stdout(), "{token}")?;
            Ok(())
        }
        Command::Terminal { command } => terminal_command(command).await,
    }
}

/// A grade by its stable name, as the rating rules' settings write it.
fn parse_grade(name: &str) -> Result<Grade, String> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_string())).map_err(|_| {
        format!(
            "{name:?} is not a grade (very_satisfied, satisfied, basic, dissatisfied, very_dissatisfied)"
        )
    })
}

async fn open(
    db: &str,
) -> anyhow::Result<std::sync::Arc<dyn banshi_server::storage::ServerStorage>> {
    banshi_server::storage::open(db).await.with_context(|| {
        format!(
            "opening database {}",
            banshi_server::storage::redact_url(db)
        )
    })
}

async fn terminal_command(command: TerminalCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    match command {
        TerminalCommand::List { db, hall } => {
            for t in open(&db.db).await?.terminals(hall.as_deref()).await? {
                let status = if t.revoked { "revoked" } else { "active" };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    t.id,
                    t.hall_id,
                    t.role.as_str(),
                    status
                )?;
            }
        }
        TerminalCommand::Revoke { db, id } => {
            if !admin::revoke(open(&db.db).await?.as_ref(), &SystemClock, &id).await? {
                anyhow::bail!("no terminal {id} is enrolled");
            }
            writeln!(out, "revoked {id}")?;
        }
        TerminalCommand::Move { db, id, hall } => {
            if !admin::move_to_hall(open(&db.db).await?.as_ref(), &SystemClock, &id, &hall).await? {
                anyhow::bail!("no terminal {id} is enrolled");
            }
            writeln!(out, "moved {id} to hall {hall}")?;
        }
        TerminalCommand::FleetAdmin { db, id } => {
            let storage = open(&db.db).await?;
            if storage.terminal(&id).await?.is_none() {
                anyhow::bail!("no terminal {id} is enrolled");
            }
            banshi_server::fleet::add_admin_terminal(&storage, &id).await?;
            writeln!(out, "{id} is a fleet admin terminal")?;
        }
    }
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

/// systemd's service notifications (`sd_notify(3)`): readiness and the watchdog.
mod systemd {
    use std::future::Future;

    use sd_notify::NotifyState;

    /// Tell the service manager the server is ready (it listens, the database is open). When the unit asks
    /// for a watchdog (`WATCHDOG_USEC`), returns the task that pings it at half that period: spawned on
    /// the server's runtime, it stops pinging when the runtime stalls, and systemd restarts the server.
    pub fn notify_ready() -> Option<impl Future<Output = ()> + Send + 'static> {
        send(&[NotifyState::Ready]);
        let period = sd_notify::watchdog_enabled()? / 2;
        tracing::info!(
            period_ms = period.as_millis() as u64,
            "systemd watchdog enabled"
        );
        Some(async move {
            let mut ticks = tokio::time::interval(period);
            loop {
                ticks.tick().await;
                send(&[NotifyState::Watchdog]);
            }
        })
    }

    /// Tell the service manager a clean shutdown is under way (so it does not count it as a crash).
    pub fn notify_stopping() {
        send(&[NotifyState::Stopping]);
    }

    fn send(state: &[NotifyState]) {
        // Without NOTIFY_SOCKET this does nothing; a send error must never stop the server.
        if let Err(error) = sd_notify::notify(state) {
            tracing::warn!(%error, "could not notify systemd");
        }
    }

    #[cfg(test)]
    mod tests {
        use std::os::unix::net::UnixDatagram;

        #[test]
        fn ready_is_sent_to_the_notify_socket_and_no_watchdog_unless_asked() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("notify.sock");
            let socket = UnixDatagram::bind(&path).unwrap();
            socket
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            // This is the only test of this binary that touches these variables.
            std::env::set_var("NOTIFY_SOCKET", &path);
            std::env::remove_var("WATCHDOG_USEC");
            let watchdog = super::notify_ready();
            super::notify_stopping();
            std::env::remove_var("NOTIFY_SOCKET");
            assert!(watchdog.is_none());
            let mut buf = [0u8; 256];
            let n = socket.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"READY=1\n");
            let n = socket.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"STOPPING=1\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_grade_setting_takes_the_stable_names_and_names_them_when_refused() {
        assert_eq!(parse_grade("basic"), Ok(Grade::Basic));
        assert_eq!(parse_grade(" satisfied "), Ok(Grade::Satisfied));
        let refused = parse_grade("满意").unwrap_err();
        assert!(
            refused.contains("very_satisfied, satisfied, basic"),
            "{refused}"
        );
        let cli = Cli::try_parse_from([
            "banshi-server",
            "serve",
            "--rating-default-grade",
            "excellent",
        ]);
        assert!(cli.is_err(), "an unknown grade stops the server at start");
        let cli = Cli::try_parse_from(["banshi-server", "serve", "--rating-sweep-minutes", "0"]);
        assert!(
            cli.is_err(),
            "a sweep needs at least a minute between turns"
        );
    }
}
