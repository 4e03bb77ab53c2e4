//! Command line: arguments, configuration precedence and `banshi profile validate`.
//!
//! Configuration: built-in defaults, then the kiosk profile (TOML) for everything about the terminal, and
//! the process settings (profile path, data folder, listen address) from `BANSHI_*` environment variables
//! or flags (clap's `env`; a flag wins).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use banshi_profile::Profile;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "banshi",
    version,
    about = "Banshi (办事) hall terminal",
    args_conflicts_with_subcommands = false
)]
pub struct Cli {
    /// Kiosk profile (TOML) that decides the mode, identity and devices.
    #[arg(long, env = "BANSHI_PROFILE", global = true)]
    pub profile: Option<PathBuf>,
    /// Folder for the terminal's local store [default: $XDG_DATA_HOME/banshi/<terminal id>].
    #[arg(long, env = "BANSHI_DATA_DIR", global = true)]
    pub data: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the terminal's backend with no window: UI at `/`, API at `/api`.
    Serve {
        #[arg(long, env = "BANSHI_PROFILE")]
        profile: Option<PathBuf>,
        /// Address to listen on; keep it on loopback unless a hall TV must reach it.
        #[arg(long, env = "BANSHI_SERVE_LISTEN", default_value = "127.0.0.1:8400")]
        listen: std::net::SocketAddr,
        #[arg(long, env = "BANSHI_DATA_DIR")]
        data: Option<PathBuf>,
    },
    /// Device tools for installers: list, status, test, simulators.
    Devices {
        #[command(subcommand)]
        command: crate::devices_cmd::DevicesCommand,
    },
    /// Hall set-up tools (run with an admin terminal's profile).
    Hall {
        #[command(subcommand)]
        command: HallCommand,
    },
    /// The service catalogue (run with an admin terminal's profile).
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Staff accounts (run with an admin terminal's profile).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The terminal's audit chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Locked kiosks (self-service, queue-ticket, call-screen).
    Lockdown {
        #[command(subcommand)]
        command: LockdownCommand,
    },
    /// Kiosk profile tools.
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Fleet admin keys for signing pushed profiles.
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Create a fleet admin's SM2 signing key in a new file (mode 0600) and print its public key, which
    /// terminals list in `fleet.trusted_keys`.
    Keygen {
        /// Where to write the key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of a signing key file.
    Pubkey {
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// Publish a catalogue file (items, situations, materials, forms) as the newest version and send it to the
    /// server, which hands it read-only to every terminal. The admin console must be a fleet admin terminal
    /// (`banshi-server terminal fleet-admin ID`) for the server to take it.
    Publish {
        file: PathBuf,
        /// The staff id of the fleet admin publishing it; their password is read from `BANSHI_STAFF_PASSWORD`,
        /// else from the first line of standard input.
        #[arg(long = "as", value_name = "STAFF_ID")]
        as_staff: String,
        #[arg(long, env = "BANSHI_DATA_DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HallCommand {
    /// Import a hall file (categories, windows, staff, ticket machines, appointments) as the hall's newest
    /// set-up and send it to the server, which hands it to every terminal of the hall.
    Import {
        file: PathBuf,
        /// The staff id of the hall manager or fleet admin importing it; their password is read from
        /// `BANSHI_STAFF_PASSWORD`, else from the first line of standard input.
        #[arg(long = "as", value_name = "STAFF_ID")]
        as_staff: String,
        #[arg(long, env = "BANSHI_DATA_DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create the first fleet admin of a new installation (only while this terminal holds no account).
    /// The password is read from `BANSHI_NEW_PASSWORD`, else from the first line of standard input.
    Bootstrap {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, env = "BANSHI_DATA_DIR")]
        data: Option<PathBuf>,
    },
    /// Create or change an account as a logged-in manager (`--as`, password in `BANSHI_STAFF_PASSWORD`);
    /// the account's new password comes from `BANSHI_NEW_PASSWORD` when set.
    Add {
        #[arg(long = "as", value_name = "STAFF_ID")]
        as_staff: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// clerk, supervisor, hall-manager, field-staff or fleet-admin; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A window this person may open; repeat for several.
        #[arg(long = "window")]
        windows: Vec<u32>,
        #[arg(long)]
        hall: Option<String>,
        /// The new password need not be changed at first login.
        #[arg(long)]
        permanent: bool,
        #[arg(long, env = "BANSHI_DATA_DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit chain in the terminal's database: exit status 1 and the first broken event when an
    /// event was removed, changed or moved. Needs no key (audit events hold no personal data).
    Verify {
        #[arg(long, env = "BANSHI_DATA_DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LockdownCommand {
    /// Print the verifier of an admin PIN for the profile's `lockdown.admin_pin_hash`. The PIN (6 digits) is
    /// read from `BANSHI_ADMIN_PIN`, else from the first line of standard input — never from an argument.
    PinHash,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Check profiles; every error is reported as FILE:LINE:COLUMN: message. Exit status 1 if any is invalid.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Hand the token in `BANSHI_ENROLLMENT_TOKEN` (set by whoever installs the terminal) to the terminal;
/// it enrolls as soon as the server is reachable. The token is never logged.
pub fn offer_enrollment_token(terminal: &banshi_terminal::Terminal) {
    if let Ok(token) = std::env::var("BANSHI_ENROLLMENT_TOKEN") {
        if !token.trim().is_empty() {
            terminal.offer_enrollment_token(token);
        }
    }
}

pub fn load_profile(path: &Path) -> anyhow::Result<Profile> {
    banshi_profile::load_profile(path)
        .with_context(|| format!("refusing to start with profile {}", path.display()))
}

/// The data folder: the flag/env value, else `$XDG_DATA_HOME/banshi/<terminal id>`.
pub fn data_dir(explicit: Option<PathBuf>, profile: &Profile) -> PathBuf {
    explicit.unwrap_or_else(|| {
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("banshi").join(&profile.terminal.id)
    })
}

/// Validate each file, printing one line per problem (this is the command's output, so stdout).
pub fn validate_profiles(files: &[PathBuf]) -> bool {
    let mut all_valid = true;
    let mut out = std::io::stdout().lock();
    for file in files {
        match banshi_profile::load_profile(file) {
            Ok(profile) => {
                let _ = writeln!(
                    out,
                    "{}: ok ({} profile for {})",
                    file.display(),
                    profile.mode,
                    profile.terminal.id
                );
            }
            Err(error) => {
                all_valid = false;
                let _ = writeln!(out, "{error}");
            }
        }
    }
    all_valid
}
