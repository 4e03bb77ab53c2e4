//! The crash-safety harness shared by the `crash-writer` binary and `tests/crash_safety.rs`.
//!
//! The writer opens a [`Store`] and loops over the real write paths of a terminal: records created with
//! [`Durability::Promised`], records updated many times with either durability (so incremental chunks pile up
//! and compaction rewrites snapshots), and the writes a sync pass makes (a document pulled from the server,
//! a pulled change merged into a known one, `sending`/`refused` marks, `mark_synced`). Before each write it
//! prints a [`Line::Begin`]; after the write has returned, a [`Line::Ack`] with the value written. A write whose
//! ack was printed has been acknowledged, as the UI would acknowledge it to a person.
//!
//! The test kills the writer with SIGKILL at random points and checks what the acks promised. SIGKILL stops the
//! process, not the machine: the operating system still writes back what SQLite handed it, so this proves
//! crash safety, not power-loss safety (that is what `synchronous=FULL` in [`Durability::Promised`] is for,
//! and it needs real power cuts or a fault-injecting file system to test).

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use banshi_core::queue::Ticket;
use banshi_store::{DataKey, Durability, KekSource, Store, SyncStatus};

use crate::proxy::SplitMix64;

/// The store file inside a terminal's data folder, as `Terminal::open` names it.
pub const STORE_FILE: &str = "terminal.sqlite";

/// Open the crash test's store: the data folder `dir/data` with its key-encryption key in `dir/crash.kek`
/// (outside the data folder, as the keyring demands; in the test's folder, so the writer processes and the
/// test all open the same data key).
pub fn open_store(dir: &Path) -> anyhow::Result<Store> {
    let data_dir = dir.join("data");
    std::fs::create_dir_all(&data_dir).context("making the data folder")?;
    let key = banshi_store::open_data_key(&data_dir, &KekSource::File(dir.join("crash.kek")))
        .context("opening the data key")?;
    Store::open(&data_dir.join(STORE_FILE), key).context("opening the store")
}

/// The hall every crash-test ticket belongs to.
const HALL: &str = "crash-hall";

/// How many of the records the writer is given take most updates, so their chunks pile up past the compaction
/// threshold again and again.
pub const HOT_RECORDS: usize = 3;

/// The kinds of write the writer makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `Store::create`, `Durability::Promised`; value: the ticket number.
    Create,
    /// `Store::update`, number + 1, `Durability::Normal`; value: the new number.
    Update,
    /// The same with `Durability::Promised`.
    UpdatePromised,
    /// `Store::save_synced` of a document this store has never seen; value: its number.
    PullNew,
    /// `Store::save_synced` of a server-side change to a known document; value: the merged number.
    PullUpdate,
    /// `Store::set_sync_status(.., Sending, None)`.
    MarkSending,
    /// `Store::set_sync_status(.., Refused, Some(reason))`.
    MarkRefused,
    /// `Store::mark_synced(id, local_changes)`.
    MarkSynced,
}

impl Op {
    const ALL: [Op; 8] = [
        Op::Create,
        Op::Update,
        Op::UpdatePromised,
        Op::PullNew,
        Op::PullUpdate,
        Op::MarkSending,
        Op::MarkRefused,
        Op::MarkSynced,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::UpdatePromised => "update-promised",
            Op::PullNew => "pull-new",
            Op::PullUpdate => "pull-update",
            Op::MarkSending => "mark-sending",
            Op::MarkRefused => "mark-refused",
            Op::MarkSynced => "mark-synced",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Op::ALL.into_iter().find(|op| op.name() == s)
    }

    /// The sync status this write leaves its record in, if it sets one.
    pub fn status_after(self) -> Option<SyncStatus> {
        match self {
            Op::Create | Op::Update | Op::UpdatePromised => Some(SyncStatus::Local),
            Op::PullNew | Op::MarkSynced => Some(SyncStatus::Synced),
            Op::MarkSending => Some(SyncStatus::Sending),
            Op::MarkRefused => Some(SyncStatus::Refused),
            Op::PullUpdate => None,
        }
    }
}

/// One line of the writer's standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The store is open; writes follow.
    Ready,
    /// A write is about to start. `id` is absent for writes that make a new record.
    Begin { op: Op, id: Option<String> },
    /// The write returned. `value`: the ticket number for record writes, the refusal reason for
    /// [`Op::MarkRefused`], empty otherwise.
    Ack { op: Op, id: String, value: String },
}

impl Line {
    pub fn to_text(&self) -> String {
        match self {
            Line::Ready => "ready\n".to_string(),
            Line::Begin { op, id } => {
                format!("begin {} {}\n", op.name(), id.as_deref().unwrap_or("-"))
            }
            Line::Ack { op, id, value } => format!("ack {} {id} {value}\n", op.name()),
        }
    }

    /// Parse one complete line (without its newline).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let parts: Vec<&str> = text.split(' ').collect();
        let op = |s: &str| Op::parse(s).with_context(|| format!("unknown op in {text:?}"));
        Ok(match parts.as_slice() {
            ["ready"] => Line::Ready,
            ["begin", o, "-"] => Line::Begin {
                op: op(o)?,
                id: None,
            },
            ["begin", o, id] => Line::Begin {
                op: op(o)?,
                id: Some((*id).to_string()),
            },
            ["ack", o, id, value] => Line::Ack {
                op: op(o)?,
                id: (*id).to_string(),
                value: (*value).to_string(),
            },
            _ => bail!("not a writer line: {text:?}"),
        })
    }
}

/// A ticket of the crash hall with `number`.
pub fn ticket(number: u32) -> Ticket {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut ticket = Ticket::issue(
        HALL,
        "K",
        number,
        "crash-writer",
        banshi_core::queue::from_unix_ms(now_ms),
    );
    ticket.day = "2026-11-23".to_string();
    ticket
}

pub fn scope() -> String {
    banshi_core::queue::hall_scope(HALL)
}

/// Write to the store of the test folder `dir` ([`open_store`]) until `max_writes` writes are done (or the process is killed), reporting
/// on `out` as described in the module docs. `records` are ids of existing records to change, the first
/// [`HOT_RECORDS`] of them most often; records the writer makes join them. (The caller names them so that a
/// writer's start does not cost a load of every document: the test starts hundreds of writers.)
pub fn run_writer(
    dir: &Path,
    seed: u64,
    max_writes: u64,
    records: Vec<String>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(seed);
    let store = open_store(dir)?;
    // Stands in for the server: documents "pulled" from it were written by another actor in another store.
    let server = Store::open(Path::new(":memory:"), DataKey::generate()?)
        .context("opening the stand-in server store")?;
    let mut known = records;
    emit(out, &Line::Ready)?;

    for seq in 0..max_writes {
        let op = if known.is_empty() {
            Op::Create
        } else {
            match rng.below(100) {
                0..7 => Op::Create,
                7..35 => Op::Update,
                35..63 => Op::UpdatePromised,
                63..68 => Op::PullNew,
                68..80 => Op::PullUpdate,
                80..87 => Op::MarkSending,
                87..93 => Op::MarkRefused,
                _ => Op::MarkSynced,
            }
        };
        let target = match op {
            Op::Create | Op::PullNew => None,
            _ => {
                let pick = if rng.below(100) < 70 {
                    rng.below(known.len().min(HOT_RECORDS) as u64)
                } else {
                    rng.below(known.len() as u64)
                };
                known.get(pick as usize).cloned()
            }
        };
        emit(
            out,
            &Line::Begin {
                op,
                id: target.clone(),
            },
        )?;
        let (id, value) = match (op, target) {
            (Op::Create, _) => {
                let header = store.create(&scope(), &ticket(1), Durability::Promised)?;
                known.push(header.id.clone());
                (header.id, "1".to_string())
            }
            (Op::PullNew, _) => {
                let header = server.create(&scope(), &ticket(1), Durability::Normal)?;
                let mut doc = server.load_doc(&header.id)?.context("server doc")?;
                store.save_synced(&header.id, &mut doc)?;
                known.push(header.id.clone());
                (header.id, "1".to_string())
            }
            (Op::Update | Op::UpdatePromised, Some(id)) => {
                let durability = if op == Op::Update {
                    Durability::Normal
                } else {
                    Durability::Promised
                };
                let mut number = 0;
                store.update::<Ticket>(&id, durability, |t| {
                    t.number += 1;
                    number = t.number;
                })?;
                (id, number.to_string())
            }
            (Op::PullUpdate, Some(id)) => {
                // The server first gets everything we have (so its change comes after ours and the merged
                // number only grows), changes the record with its own actor, and we merge its answer.
                let mut ours = store.load_doc(&id)?.context("known doc")?;
                match server.load_doc(&id)? {
                    Some(mut copy) => {
                        copy.merge(&mut ours)?;
                        server.save_synced(&id, &mut copy)?;
                    }
                    None => {
                        server.save_synced(&id, &mut ours.fork())?;
                    }
                }
                let theirs = server.update::<Ticket>(&id, Durability::Normal, |t| t.number += 1)?;
                let mut their_doc = server.load_doc(&id)?.context("server doc")?;
                ours.merge(&mut their_doc)?;
                store.save_synced(&id, &mut ours)?;
                (id, theirs.body.number.to_string())
            }
            (Op::MarkSending, Some(id)) => {
                store.set_sync_status(&id, SyncStatus::Sending, None)?;
                (id, "-".to_string())
            }
            (Op::MarkRefused, Some(id)) => {
                let reason = format!("refused-in-write-{seed:x}-{seq}");
                store.set_sync_status(&id, SyncStatus::Refused, Some(&reason))?;
                (id, reason)
            }
            (Op::MarkSynced, Some(id)) => {
                let seen = store.local_changes(&id)?;
                if !store.mark_synced(&id, seen)? {
                    bail!("mark_synced refused {id} with no write in between");
                }
                (id, "-".to_string())
            }
            (op, None) => bail!("{} needs a record", op.name()),
        };
        emit(out, &Line::Ack { op, id, value })?;
    }
    Ok(())
}

/// One line, in one `write` call, flushed: a kill never leaves half an acknowledgement that parses.
fn emit(out: &mut impl Write, line: &Line) -> anyhow::Result<()> {
    out.write_all(line.to_text().as_bytes())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        for line in [
            Line::Ready,
            Line::Begin {
                op: Op::Create,
                id: None,
            },
            Line::Begin {
                op: Op::MarkRefused,
                id: Some("abc".into()),
            },
            Line::Ack {
                op: Op::PullUpdate,
                id: "abc".into(),
                value: "17".into(),
            },
        ] {
            let text = line.to_text();
            assert_eq!(Line::parse(text.trim_end()).expect("parse"), line);
        }
        assert!(Line::parse("ack create").is_err());
    }

    #[test]
    fn the_writer_acknowledges_what_the_store_then_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut out = Vec::new();
        run_writer(dir.path(), 7, 300, Vec::new(), &mut out).expect("writer");
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<Line> = text
            .lines()
            .map(|l| Line::parse(l).expect("line"))
            .collect();
        assert_eq!(lines[0], Line::Ready);
        let acks: Vec<_> = lines
            .iter()
            .filter_map(|l| match l {
                Line::Ack { op, id, value } => Some((*op, id.clone(), value.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(acks.len(), 300);
        for op in Op::ALL {
            assert!(
                acks.iter().any(|(o, _, _)| *o == op),
                "no {} in 300 writes",
                op.name()
            );
        }
        let store = open_store(dir.path()).expect("open");
        let (_, id, value) = acks
            .iter()
            .rev()
            .find(|(op, _, _)| *op == Op::UpdatePromised)
            .expect("an update");
        let last: u32 = value.parse().expect("number");
        let rec = store.get::<Ticket>(id).expect("get").expect("present");
        assert!(rec.body.number >= last);
    }
}
