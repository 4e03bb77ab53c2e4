//! `banshi-idcard-sim`: a pretend ID card reader on a pty, for the demo hall and installers (see
//! [`banshi_idcard::sim::cli`]; `banshi devices sim idcard` runs the same thing).

use clap::Parser;

/// Simulated ID card reader (GA 467 SAM protocol) on a pseudo-terminal.
///
/// Commands on standard input, one per line:
///   place [resident|hmt|foreigner-2017|foreigner-2023] [born=YYYY-MM-DD] [seq=N] [long-term]
///   remove | unplug | replug | status | help | quit
///   fault noise on|off | fault chunked on|off | fault corrupt N | fault drop N
///   fault remove-mid-read | fault sam ok|selftest|unauthorised | fault clear
/// When standard input ends (e.g. started from a script with </dev/null) it keeps serving until killed.
/// Log verbosity follows RUST_LOG (default: info).
#[derive(Debug, Parser)]
#[command(version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    sim: banshi_idcard::sim::cli::SimArgs,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    banshi_idcard::sim::cli::run(Cli::parse().sim)
}
