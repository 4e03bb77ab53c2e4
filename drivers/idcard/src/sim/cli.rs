//! The simulator's command line, shared by `banshi-idcard-sim` and `banshi devices sim idcard`.
//!
//! It creates a pseudo-terminal, links it at `--link` (point the terminal's `id_reader` profile entry at
//! that path) and answers the GA 467 SAM protocol there. Commands typed on standard input change the
//! world around the reader while it runs, so every kiosk path (read, no card, lift and replace, reader
//! unplugged) can be shown live.

// This is an interactive CLI: its prompt and command replies go to stdout/stderr by design.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::BufRead;
use std::path::PathBuf;

use super::fixtures::CardFixture;
use super::sam::SamHealth;
use super::{Fault, IdCardSimulator};
use crate::ValidUntil;
use anyhow::Context;
use clap::{Args, ValueEnum};
use time::{Date, Month};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// 居民身份证
    Resident,
    /// 港澳台居民居住证 (J)
    Hmt,
    /// 外国人永久居留身份证 2017 (I)
    #[value(name = "foreigner-2017")]
    Foreigner2017,
    /// 外国人永久居留身份证 2023 (Y)
    #[value(name = "foreigner-2023")]
    Foreigner2023,
}

/// Simulated ID card reader (GA 467 SAM protocol) on a pseudo-terminal.
///
/// Commands on standard input, one per line:
///   place [resident|hmt|foreigner-2017|foreigner-2023] [born=YYYY-MM-DD] [seq=N] [long-term]
///   remove | unplug | replug | status | help | quit
///   fault noise on|off | fault chunked on|off | fault corrupt N | fault drop N
///   fault remove-mid-read | fault sam ok|selftest|unauthorised | fault clear
/// When standard input ends (e.g. started from a script with </dev/null) it keeps serving until killed.
/// Log verbosity follows RUST_LOG (default: info).
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Symlink to create, pointing at the pty (give this path to the driver).
    #[arg(long)]
    pub link: PathBuf,
    /// Card placed at start (none when omitted).
    #[arg(long, value_enum)]
    pub card: Option<Kind>,
    /// Birth date of the starting card, YYYY-MM-DD (e.g. 1950-05-01 for an elderly visitor).
    #[arg(long)]
    pub born: Option<String>,
    /// Seed for noise and chunk sizes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn fixture(kind: Kind) -> CardFixture {
    match kind {
        Kind::Resident => CardFixture::resident(),
        Kind::Hmt => CardFixture::hmt_permit(),
        Kind::Foreigner2017 => CardFixture::foreigner_2017(),
        Kind::Foreigner2023 => CardFixture::foreigner_2023(),
    }
}

fn parse_date(text: &str) -> anyhow::Result<Date> {
    let mut parts = text.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("expected YYYY-MM-DD, got {text:?}");
    };
    let month = Month::try_from(m.parse::<u8>()?)?;
    Ok(Date::from_calendar_date(y.parse()?, month, d.parse()?)?)
}

fn on_off(word: Option<&str>) -> anyhow::Result<bool> {
    match word {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        other => anyhow::bail!("expected on|off, got {other:?}"),
    }
}

fn place(words: &[&str]) -> anyhow::Result<CardFixture> {
    let mut card = CardFixture::resident();
    for word in words {
        card = match *word {
            "resident" => CardFixture::resident(),
            "hmt" => CardFixture::hmt_permit(),
            "foreigner-2017" => CardFixture::foreigner_2017(),
            "foreigner-2023" => CardFixture::foreigner_2023(),
            "long-term" => {
                let from = Date::from_calendar_date(2020, Month::January, 1)?;
                card.with_validity(from, ValidUntil::LongTerm)
            }
            other => {
                if let Some(born) = other.strip_prefix("born=") {
                    card.with_birth_date(parse_date(born)?)
                } else if let Some(sequence) = other.strip_prefix("seq=") {
                    card.with_sequence(sequence.parse()?)
                } else {
                    anyhow::bail!("unknown word {other:?}")
                }
            }
        };
    }
    Ok(card)
}

fn fault(words: &[&str]) -> anyhow::Result<Option<Fault>> {
    Ok(Some(match words {
        ["noise", rest @ ..] => Fault::NoiseBeforeResponses(on_off(rest.first().copied())?),
        ["chunked", rest @ ..] => Fault::ChunkedResponses(on_off(rest.first().copied())?),
        ["corrupt", n] => Fault::CorruptChecksums(n.parse()?),
        ["drop", n] => Fault::DropResponses(n.parse()?),
        ["remove-mid-read"] => Fault::RemoveCardBetweenSelectAndRead,
        ["sam", "ok"] => Fault::Sam(SamHealth::Ok),
        ["sam", "selftest"] => Fault::Sam(SamHealth::SelfTestFailed),
        ["sam", "unauthorised"] => Fault::Sam(SamHealth::NotAuthorised),
        ["clear"] => return Ok(None),
        other => anyhow::bail!("unknown fault {other:?}"),
    }))
}

fn execute(sim: &IdCardSimulator, line: &str) -> anyhow::Result<bool> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [] => {}
        ["place", rest @ ..] => {
            let card = place(rest)?;
            println!("placed {:?} card", card.kind());
            sim.place_card(card);
        }
        ["remove"] => sim.remove_card(),
        ["unplug"] => sim.unplug()?,
        ["replug"] => sim.replug()?,
        ["fault", rest @ ..] => match fault(rest)? {
            Some(f) => sim.inject(f),
            None => sim.clear_faults(),
        },
        ["status"] => println!(
            "plugged: {}, card on reader: {}, requests served: {}",
            sim.is_plugged(),
            sim.has_card(),
            sim.requests().len()
        ),
        ["help"] => println!("see --help for the command list"),
        ["quit" | "exit"] => return Ok(false),
        other => anyhow::bail!("unknown command {other:?} (try help)"),
    }
    Ok(true)
}

/// Run the simulator: serve the pty, take commands from standard input, and keep serving once it closes.
pub fn run(args: SimArgs) -> anyhow::Result<()> {
    let sim = IdCardSimulator::start_seeded(&args.link, args.seed)
        .with_context(|| format!("starting the simulator at {}", args.link.display()))?;
    if let Some(kind) = args.card {
        let mut card = fixture(kind);
        if let Some(born) = &args.born {
            card = card.with_birth_date(parse_date(born)?);
        }
        sim.place_card(card);
    }
    println!("ID card reader simulator ready at {}", sim.link().display());
    for line in std::io::stdin().lock().lines() {
        let line = line.context("reading standard input")?;
        match execute(&sim, &line) {
            Ok(true) => println!("ok"),
            Ok(false) => return Ok(()),
            Err(e) => eprintln!("error: {e:#}"),
        }
    }
    // Started in the background with no terminal (demo scripts, services): keep serving until killed.
    tracing::info!("standard input closed; serving until terminated");
    loop {
        std::thread::park();
    }
}
