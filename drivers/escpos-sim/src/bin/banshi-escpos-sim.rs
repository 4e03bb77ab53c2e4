//! `banshi-escpos-sim`: a pretend network ticket printer for demos and manual tests (see
//! [`banshi_escpos_sim::cli`]; `banshi devices sim printer` runs the same thing).

use clap::Parser;

/// Simulated ESC/POS network printer (raw TCP, port 9100 style).
///
/// Decodes every job (GB18030 Chinese text, GS ( k QR codes, cuts), logs its text, answers
/// DLE EOT status requests, and optionally writes job-NNNN.bin/.txt/.png files. While running,
/// type `paper ok|near-end|out` or `offline on|off` and Enter to change the printer's state.
/// Log verbosity follows RUST_LOG (default: info).
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    sim: banshi_escpos_sim::cli::SimArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    banshi_escpos_sim::cli::run(Cli::parse().sim).await
}
