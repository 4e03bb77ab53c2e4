//! `banshi devices list|status|test|sim`: what an installer runs at a terminal to see what is attached,
//! try each device once, and stand up a simulator in place of a device that is not there yet.
//!
//! The output is the command's product, so it goes to stdout; logs stay on stderr.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use banshi_devices::{DeviceSet, DeviceStatus, SlipLineSpec, ThermalRole};
use banshi_profile::Profile;
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// The devices the profile configures: class, driver and where each is.
    List,
    /// Probe every configured device once and print its status. Exit status 1 if any is not ok.
    Status,
    /// Use one device once: print a test slip or page, read a card, capture a page, wait for a scan or a key.
    Test {
        #[arg(value_enum)]
        class: TestClass,
    },
    /// Run a wire-level simulator in place of a device, until Ctrl-C.
    Sim {
        #[command(subcommand)]
        simulator: SimCommand,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TestClass {
    TicketPrinter,
    ReceiptPrinter,
    IdReader,
    Voice,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// An ESC/POS network printer (raw TCP): decodes and logs every job, answers status requests.
    Printer(banshi_escpos_sim::cli::SimArgs),
    /// An ID card reader (GA 467 SAM) on a pty at --link. Commands on stdin: place [resident|hmt|
    /// foreigner-2017|foreigner-2023] [born=YYYY-MM-DD], remove, unplug, replug, fault …, status, help.
    Idcard(banshi_idcard::sim::cli::SimArgs),
    /// A five-key evaluator on a pty at --link. Commands on stdin: 1-5 press, u unplug, r replug, q quit.
    Evaluator(banshi_evaluator::sim_cli::SimArgs),
    /// A serial scanner gun on a pty at --link: every line typed on stdin is "scanned".
    Scanner {
        /// Symlink to create, pointing at the pty (give this path to the profile's qr_scanner).
        #[arg(long)]
        link: std::path::PathBuf,
    },
    /// An IPP Everywhere A4 printer (ippeveprinter) on a free loopback port; documents kept in --spool.
    A4 {
        /// Folder for received documents.
        #[arg(long)]
        spool: std::path::PathBuf,
    },
    /// The hall's face-comparison service (人证核验), scoring by image similarity: for demos and tests only.
    FaceService,
}

pub fn run(command: DevicesCommand, profile: Option<Profile>) -> anyhow::Result<()> {
    if let DevicesCommand::Sim { simulator } = command {
        return run_simulator(simulator);
    }
    let profile = profile.context("no profile: pass --profile FILE or set BANSHI_PROFILE")?;
    let devices = Arc::new(DeviceSet::from_profile(&profile.devices));
    match command {
        DevicesCommand::List => {
            for d in profile.devices.configured() {
                println!("{:<16} {:<18} {}", d.class, d.driver, d.target);
            }
            Ok(())
        }
        DevicesCommand::Status => {
            devices.refresh_health();
            let mut all_ok = true;
            for h in devices.health() {
                all_ok &= h.status == DeviceStatus::Ok;
                println!(
                    "{:<16} {:<10} {}",
                    h.class,
                    serde_json::to_value(h.status)?.as_str().unwrap_or("?"),
                    h.detail.unwrap_or_default()
                );
            }
            if !all_ok {
                std::process::exit(1);
            }
            Ok(())
        }
        DevicesCommand::Test { class } => test_device(&devices, &profile, class),
        DevicesCommand::Sim { .. } => unreachable!("handled above"),
    }
}

fn test_device(devices: &DeviceSet, profile: &Profile, class: TestClass) -> anyhow::Result<()> {
    match class {
        TestClass::TicketPrinter | TestClass::ReceiptPrinter => {
            let role = match class {
                TestClass::TicketPrinter => ThermalRole::Ticket,
                _ => ThermalRole::Receipt,
            };
            let lines: Vec<SlipLineSpec> = serde_json::from_value(serde_json::json!([
                {"type": "text", "text": profile.terminal.outlet, "align": "center", "bold": true},
                {"type": "separator"},
                {"type": "text", "text": "打印测试 Printer test", "align": "center", "size": "double"},
                {"type": "text", "text": format!("终端 {}", profile.terminal.id), "align": "center"},
                {"type": "qr", "data": format!("banshi:test:{}", profile.terminal.id)},
            ]))?;
            devices
                .print_slip(role, &lines)
                .map_err(|e| anyhow::anyhow!("{}: {e}", banshi_core::ErrorCode::code(&e)))?;
            println!("printed a test slip");
            Ok(())
        }
        TestClass::IdReader => {
            println!("place an ID card on the reader (20 s)…");
            let card = devices
                .read_id_card(Duration::from_secs(20))
                .map_err(|e| anyhow::anyhow!("{}: {e}", banshi_core::ErrorCode::code(&e)))?;
            // An installer checks the reader works, not whose card it is: only the masked number is shown.
            println!("read a {} card: {}", card.card_type, card.id_number_masked);
            Ok(())
        }
        TestClass::Voice => {
            devices
                .announce("A001", "1", None, 1)
                .map_err(|e| anyhow::anyhow!("{}: {e}", banshi_core::ErrorCode::code(&e)))?;
            // The announcement plays on the voice queue's thread; give it time before the process ends.
            std::thread::sleep(Duration::from_secs(6));
            println!("announced A001 to window 1");
            Ok(())
        }
    }
}

fn run_simulator(simulator: SimCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    match simulator {
        SimCommand::Printer(args) => runtime.block_on(banshi_escpos_sim::cli::run(args)),
        SimCommand::Idcard(args) => banshi_idcard::sim::cli::run(args),
        SimCommand::Evaluator(args) => banshi_evaluator::sim_cli::run(args),
        SimCommand::Scanner { link } => {
            let sim = banshi_scanner::sim::SerialScannerSim::start(&link)
                .with_context(|| format!("starting the scanner at {}", link.display()))?;
            println!(
                "scanner simulator at {}: type a code and Enter to scan it",
                sim.link().display()
            );
            for line in std::io::stdin().lines() {
                let line = line.context("reading standard input")?;
                sim.scan(line.trim()).context("scanning")?;
            }
            Ok(())
        }
        SimCommand::A4 { spool } => {
            let printer = banshi_documents::VirtualPrinter::start_with(
                banshi_documents::VirtualPrinterOptions {
                    spool_dir: Some(spool),
                    ..Default::default()
                },
            )?;
            println!(
                "A4 printer at {} (documents in {})",
                printer.url(),
                printer.spool_dir().display()
            );
            runtime.block_on(tokio::signal::ctrl_c())?;
            Ok(())
        }
        SimCommand::FaceService => runtime.block_on(async {
            let service = banshi_camera::face::FaceSimulator::start(Default::default()).await?;
            println!("face-comparison service at {}", service.url());
            tokio::signal::ctrl_c().await?;
            Ok(())
        }),
    }
}
