//! The simulator's command line, shared by `banshi-evaluator-sim` and `banshi devices sim evaluator`.
//!
//! It publishes a pseudo-terminal at the given path and takes commands on standard input, one per line, so a
//! person (or a script) can press keys while the terminal software drives the prompt.

// A CLI: its output is the user interface, so printing is the point.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use crate::{EvaluatorSim, Grade};
use anyhow::Context;
use clap::Args;

/// Simulate a Banshi five-key evaluator on a pseudo-terminal.
///
/// Commands on standard input: `1`..`5` press a key (1 = 非常满意 … 5 = 非常不满意), `!1`..`!5` press with a
/// corrupted checksum, `u` unplug, `r` replug, `s` toggle silence, `k` toggle a stuck key, `g` inject garbage,
/// `?` show the state, `q` quit.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Where to publish the device (a symlink to the pty, e.g. /tmp/banshi-evaluator).
    #[arg(long, default_value = "/tmp/banshi-evaluator")]
    pub link: PathBuf,
    /// Heartbeat interval in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub heartbeat_ms: u64,
}

/// Run the simulator until `q` or the end of standard input.
pub fn run(args: SimArgs) -> anyhow::Result<()> {
    let sim =
        EvaluatorSim::start_with_heartbeat(&args.link, Duration::from_millis(args.heartbeat_ms))
            .with_context(|| {
                format!(
                    "starting the simulated evaluator at {}",
                    args.link.display()
                )
            })?;
    println!(
        "evaluator simulator at {} (type 1-5 to press a key, q to quit)",
        sim.link().display()
    );
    let mut silent = false;
    let mut stuck = false;
    for line in std::io::stdin().lock().lines() {
        let line = line.context("reading standard input")?;
        let command = line.trim();
        let key = |text: &str| text.parse::<u8>().ok().and_then(Grade::from_key);
        match command {
            "" => continue,
            "q" => break,
            "u" => {
                sim.unplug();
                println!("unplugged");
            }
            "r" => {
                sim.replug().context("replugging")?;
                println!("plugged in again");
            }
            "s" => {
                silent = !silent;
                sim.set_silent(silent);
                println!("silent: {silent}");
            }
            "k" => {
                stuck = !stuck;
                sim.set_key_stuck(stuck);
                println!("key stuck: {stuck}");
            }
            "g" => {
                sim.inject(&[0xff, 0x02, 0x99, 0x03, 0x55]);
                println!("garbage sent");
            }
            "?" => println!("{:?}", sim.stats()),
            other => {
                let (corrupt, digits) = match other.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, other),
                };
                match key(digits) {
                    Some(grade) => {
                        let sent = if corrupt {
                            sim.press_with_bad_checksum(grade)
                        } else {
                            sim.press(grade)
                        };
                        if sent {
                            println!("pressed {} ({})", grade.key(), grade.as_str());
                        } else {
                            println!("key {} ignored: the prompt is not lit", grade.key());
                        }
                    }
                    None => eprintln!("unknown command {other:?}; see --help"),
                }
            }
        }
    }
    Ok(())
}
