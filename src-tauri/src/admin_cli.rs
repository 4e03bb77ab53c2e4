//! The admin terminal's command-line tools: `hall import`, `staff bootstrap`, `staff add`, `audit verify`.
//!
//! They open the terminal like `serve` does, act as a logged-in staff member (the same checks as the
//! screens), and sync once so the server has the result. Passwords come from environment variables or
//! standard input, never from arguments (which other users of the machine can read in the process list).
//! `audit verify` reports on stdout/stderr: its output is the tool's answer, not a log.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use banshi_core::staff::Role;
use banshi_core::ErrorCode;
use banshi_profile::Profile;
use banshi_terminal::{StaffInput, Terminal};

use crate::cli::{AuditCommand, FleetCommand, StaffCommand};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// A secret from `var`, else the first line of standard input.
fn secret(var: &str) -> anyhow::Result<String> {
    if let Ok(value) = std::env::var(var) {
        return Ok(value);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("reading the password from standard input (or set {var})"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Log in as `staff_id` (password from `BANSHI_STAFF_PASSWORD`) and return the session token.
async fn login(terminal: &Terminal, staff_id: &str) -> anyhow::Result<String> {
    let password = secret("BANSHI_STAFF_PASSWORD")?;
    let view = terminal
        .login_password(staff_id, &password)
        .await
        .map_err(|e| anyhow::anyhow!("logging in as {staff_id}: {e}"))?;
    Ok(view.token)
}

/// Send what was just saved; say so when the server was not reached.
async fn sync_and_report(terminal: &Terminal) -> anyhow::Result<()> {
    terminal.sync_now().await;
    let pending = terminal.status().await?.sync.pending;
    if pending > 0 {
        tracing::warn!(
            pending,
            "the server was not reached; the change is sent with the admin terminal's next sync"
        );
    }
    Ok(())
}

fn open(profile: Profile, data: &Path) -> anyhow::Result<Arc<Terminal>> {
    let terminal = Terminal::open(profile, data, Arc::new(banshi_core::SystemClock))?;
    crate::cli::offer_enrollment_token(&terminal);
    Ok(terminal)
}

/// `banshi hall import FILE --as ID`: save the hall file as the hall's newest set-up and sync once.
pub fn import_hall(
    profile: Profile,
    file: &Path,
    as_staff: &str,
    data: PathBuf,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    runtime()?.block_on(async move {
        let terminal = open(profile, &data)?;
        let token = login(&terminal, as_staff).await?;
        let actor = terminal.actor(Some(&token));
        let setup = terminal
            .import_hall(&actor, &text)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        tracing::info!(version = setup.version, "hall set-up imported");
        sync_and_report(&terminal).await
    })
}

pub fn publish_catalogue(
    profile: Profile,
    file: &Path,
    as_staff: &str,
    data: PathBuf,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    runtime()?.block_on(async move {
        let terminal = open(profile, &data)?;
        let token = login(&terminal, as_staff).await?;
        let actor = terminal.actor(Some(&token));
        let version = terminal
            .publish_catalogue(&actor, &text)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        tracing::info!(version, "catalogue published");
        sync_and_report(&terminal).await
    })
}

pub fn staff(profile: Profile, command: StaffCommand, data: PathBuf) -> anyhow::Result<()> {
    runtime()?.block_on(async move {
        let terminal = open(profile, &data)?;
        match command {
            StaffCommand::Bootstrap { id, name, .. } => {
                let password = secret("BANSHI_NEW_PASSWORD")?;
                terminal
                    .bootstrap_admin(&id, &name, &password)
                    .await
                    .map_err(|e| anyhow::anyhow!("creating the first admin: {e}"))?;
            }
            StaffCommand::Add {
                as_staff,
                id,
                name,
                roles,
                windows,
                hall,
                permanent,
                ..
            } => {
                let roles = roles
                    .iter()
                    .map(|r| Role::parse(r).with_context(|| format!("unknown role {r:?}")))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let token = login(&terminal, &as_staff).await?;
                let actor = terminal.actor(Some(&token));
                let input = StaffInput {
                    staff_id: id.clone(),
                    name,
                    hall_id: hall,
                    roles,
                    windows,
                    password: std::env::var("BANSHI_NEW_PASSWORD").ok(),
                    one_time_password: permanent.then_some(false),
                    ..StaffInput::default()
                };
                terminal
                    .save_staff(&actor, input)
                    .await
                    .map_err(|e| anyhow::anyhow!("saving staff account {id}: {e}"))?;
                terminal.logout(&token).await?;
            }
        }
        sync_and_report(&terminal).await
    })
}

/// `banshi audit verify`: reads the database file directly (no key, no terminal start).
pub fn audit(command: AuditCommand, data: PathBuf) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { .. } => {
            let db = data.join("terminal.sqlite");
            if !db.exists() {
                bail!("no terminal database at {}", db.display());
            }
            match banshi_store::verify_audit_file(&db) {
                Ok(summary) => {
                    println!("audit chain intact: {} events", summary.events);
                    Ok(())
                }
                Err(broken) => {
                    eprintln!("audit chain broken ({}): {broken}", broken.code());
                    std::process::exit(1)
                }
            }
        }
    }
}

/// `banshi fleet keygen|pubkey`.
pub fn fleet(command: FleetCommand) -> anyhow::Result<()> {
    match command {
        FleetCommand::Keygen { out } => {
            let key = banshi_crypto::SigningKeyPair::generate()?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&out)
                .with_context(|| format!("creating {} (it must not exist yet)", out.display()))?;
            std::io::Write::write_all(&mut file, hex::encode(key.secret_bytes()).as_bytes())?;
            file.sync_all()?;
            println!("{}", key.public_key_hex());
        }
        FleetCommand::Pubkey { key } => {
            let key = banshi_terminal::read_signing_key(&key)?;
            println!("{}", key.public_key_hex());
        }
    }
    Ok(())
}
