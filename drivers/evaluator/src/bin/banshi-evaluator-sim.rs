//! `banshi-evaluator-sim`: a simulated evaluator for installers, the demo hall and manual tests (see
//! [`banshi_evaluator::sim_cli`]; `banshi devices sim evaluator` runs the same thing).

use clap::Parser;

/// Simulate a Banshi five-key evaluator on a pseudo-terminal.
///
/// Commands on standard input: `1`..`5` press a key (1 = 非常满意 … 5 = 非常不满意), `!1`..`!5` press with a
/// corrupted checksum, `u` unplug, `r` replug, `s` toggle silence, `k` toggle a stuck key, `g` inject garbage,
/// `?` show the state, `q` quit.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    sim: banshi_evaluator::sim_cli::SimArgs,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    banshi_evaluator::sim_cli::run(Cli::parse().sim)
}
