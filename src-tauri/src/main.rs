//! `banshi`: the hall terminal.
//!
//! A thin shell: it reads the kiosk profile, opens a [`banshi_terminal::Terminal`] and puts a front door on
//! it — a Tauri window ([`window`]) or, with `serve`, the HTTP/WebSocket API with the UI at `/`
//! ([`serve`]). Everything worth testing lives in the libraries; this crate only wires them.

mod admin_cli;
mod application_cmds;
mod cli;
mod customer_screen_cmds;
mod devices_cmd;
mod fleet_cmds;
mod lockdown_cmds;
mod queue_cmds;
mod serve;
mod staff_cmds;
mod systemd;
mod window;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, ProfileCommand};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only on a terminal: under systemd stderr goes to the journal, which would keep the escapes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BANSHI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tao=warn,wry=warn")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => {
            let profile_path = cli
                .profile
                .context("no profile: pass --profile FILE or set BANSHI_PROFILE")?;
            let profile = cli::load_profile(&profile_path)?;
            let data = cli::data_dir(cli.data, &profile);
            window::run(profile, data)
        }
        Some(Command::Serve {
            profile,
            listen,
            data,
        }) => {
            let profile_path = profile
                .or(cli.profile)
                .context("no profile: pass --profile FILE or set BANSHI_PROFILE")?;
            let profile = cli::load_profile(&profile_path)?;
            let data = cli::data_dir(data.or(cli.data), &profile);
            serve::run(profile, listen, data)
        }
        Some(Command::Devices { command }) => {
            let profile = cli.profile.as_deref().map(cli::load_profile).transpose()?;
            devices_cmd::run(command, profile)
        }
        Some(Command::Hall {
            command:
                cli::HallCommand::Import {
                    file,
                    as_staff,
                    data,
                },
        }) => {
            let profile = admin_profile(cli.profile)?;
            let data = cli::data_dir(data.or(cli.data), &profile);
            admin_cli::import_hall(profile, &file, &as_staff, data)
        }
        Some(Command::Catalogue {
            command:
                cli::CatalogueCommand::Publish {
                    file,
                    as_staff,
                    data,
                },
        }) => {
            let profile = admin_profile(cli.profile)?;
            let data = cli::data_dir(data.or(cli.data), &profile);
            admin_cli::publish_catalogue(profile, &file, &as_staff, data)
        }
        Some(Command::Staff { command }) => {
            let profile = admin_profile(cli.profile)?;
            let data = match &command {
                cli::StaffCommand::Bootstrap { data, .. } | cli::StaffCommand::Add { data, .. } => {
                    data.clone()
                }
            };
            let data = cli::data_dir(data.or(cli.data), &profile);
            admin_cli::staff(profile, command, data)
        }
        Some(Command::Audit { command }) => {
            // With the data folder named, no profile is needed: the check reads only the database file.
            let cli::AuditCommand::Verify { data } = &command;
            let data = match data.clone().or(cli.data) {
                Some(data) => data,
                None => cli::data_dir(None, &admin_profile(cli.profile)?),
            };
            admin_cli::audit(command, data)
        }
        Some(Command::Fleet { command }) => admin_cli::fleet(command),
        Some(Command::Lockdown {
            command: cli::LockdownCommand::PinHash,
        }) => lockdown_cmds::pin_hash(),
        Some(Command::Profile {
            command: ProfileCommand::Validate { files },
        }) => {
            if cli::validate_profiles(&files) {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
    }
}

/// The profile a tool runs with: `--profile` or `BANSHI_PROFILE`.
fn admin_profile(path: Option<std::path::PathBuf>) -> anyhow::Result<banshi_profile::Profile> {
    let path = path.context("no profile: pass --profile FILE or set BANSHI_PROFILE")?;
    cli::load_profile(&path)
}
