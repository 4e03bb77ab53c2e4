//! `crash-writer DIR SEED MAX_WRITES [RECORD_ID...]`: write to the store of the test folder `DIR` (its data
//! folder `DIR/data`, its key-encryption key `DIR/crash.kek`; changing the records
//! named, the first ones most) and acknowledge each write on standard output, until killed or `MAX_WRITES` are
//! done. Test tooling for `tests/crash_safety.rs`; see `banshi_scenarios::crash`.

use std::path::PathBuf;

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    const USAGE: &str = "usage: crash-writer DIR SEED MAX_WRITES [RECORD_ID...]";
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().context(USAGE)?);
    let seed: u64 = args
        .next()
        .context(USAGE)?
        .parse()
        .context("SEED is not a number")?;
    let max_writes: u64 = args
        .next()
        .context(USAGE)?
        .parse()
        .context("MAX_WRITES is not a number")?;
    let records = args.collect();
    let stdout = std::io::stdout();
    banshi_scenarios::crash::run_writer(&dir, seed, max_writes, records, &mut stdout.lock())
}
