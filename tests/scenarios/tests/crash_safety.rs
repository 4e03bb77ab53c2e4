//! Crash safety of the terminal store: a writing process killed with SIGKILL at random points, 200 times over
//! one store, loses no acknowledged write and never leaves the file damaged.
//!
//! Each round starts `crash-writer` (see `banshi_scenarios::crash`) on the same data folder, reads its
//! acknowledgements, kills it after a random number of them plus a random sub-millisecond delay (so most
//! kills land inside a write: between its `begin` and its `ack` line), then opens the store in this process
//! and checks that every acknowledged write is there with at least its acknowledged value, that
//! `PRAGMA integrity_check` says `ok`, and that the store still takes writes. Damage from one round would
//! carry into the next, since the folder is reused.
//!
//! SIGKILL ends the process, not the machine: the kernel still writes back what SQLite gave it, so this does
//! not simulate power loss (that would need real power cuts or a fault-injecting file system).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use banshi_core::queue::Ticket;
use banshi_scenarios::crash::{self, Line, Op, HOT_RECORDS};
use banshi_scenarios::proxy::SplitMix64;
use banshi_store::{Durability, SyncStatus};

const ROUNDS: usize = 200;
/// Acks to wait for before the kill: from none (a kill while the store opens) to a couple of dozen writes.
const MAX_ACKS_BEFORE_KILL: u64 = 24;
/// More writes than any round waits for: a writer that is somehow not killed still ends.
const MAX_WRITES: u64 = 10_000;
/// Records each writer is given to change besides the hot ones (see `crash::HOT_RECORDS`).
const SAMPLE_RECORDS: usize = 20;
/// Rounds that share one set of hot records: enough updates for each to be compacted several times.
const ROUNDS_PER_HOT_SET: usize = 20;
/// Every this many rounds (and after the last) every acknowledged record is read back, not only the touched.
const FULL_SWEEP_EVERY: usize = 10;
/// Extra delay after the last awaited ack, so the kill lands somewhere inside the next write.
const MAX_KILL_DELAY_MICROS: u64 = 1_000;
const SIGKILL: i32 = 9;

/// What the acknowledgements promise about one record.
#[derive(Debug, Clone)]
struct Expected {
    /// The record's number is at least this (numbers only grow).
    min_number: u32,
    /// Its sync status, where an acknowledged write decided it.
    status: Option<SyncStatus>,
    /// The refusal reason, when `status` is refused.
    reason: Option<String>,
}

#[derive(Debug, Default)]
struct Tally {
    acks: usize,
    kills_mid_write: usize,
    kills_while_opening: usize,
    kills_between_writes: usize,
    records_checked: usize,
    full_sweeps: usize,
    by_op: HashMap<&'static str, usize>,
}

#[test]
fn sigkill_during_writes_loses_no_acknowledged_write_and_leaves_the_store_intact() {
    let seed = std::env::var("BANSHI_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let mut rng = SplitMix64::new(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    // By id, so oldest first (UUIDv7).
    let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
    let mut tally = Tally::default();

    for round in 0..ROUNDS {
        let context = format!("round {round} (BANSHI_CRASH_SEED={seed})");
        let acks_wanted = rng.below(MAX_ACKS_BEFORE_KILL + 1);
        let delay = Duration::from_micros(rng.below(MAX_KILL_DELAY_MICROS));
        // The same few hot records for a stretch of rounds (their chunks pile up and get compacted a few times
        // over), then the next few, so no record grows a history far beyond a real one; and a random sample.
        let ids: Vec<&String> = expected.keys().collect();
        let mut records: Vec<String> = Vec::new();
        if !ids.is_empty() {
            let first = round / ROUNDS_PER_HOT_SET * HOT_RECORDS;
            records.extend((0..HOT_RECORDS).map(|i| ids[(first + i) % ids.len()].clone()));
            records.extend(
                (0..SAMPLE_RECORDS).map(|_| ids[rng.below(ids.len() as u64) as usize].clone()),
            );
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(dir.path())
            .arg(rng.next_u64().to_string())
            .arg(MAX_WRITES.to_string())
            .args(&records)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn crash-writer");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));

        let mut lines = Vec::new();
        let mut acks_seen = 0;
        let mut text = String::new();
        while acks_seen < acks_wanted {
            text.clear();
            if stdout.read_line(&mut text).expect("read") == 0 {
                break;
            }
            let line = Line::parse(text.trim_end()).unwrap_or_else(|e| panic!("{context}: {e}"));
            acks_seen += u64::from(matches!(line, Line::Ack { .. }));
            lines.push(line);
        }
        std::thread::sleep(delay);
        child.kill().expect("kill");
        let status = child.wait().expect("wait");
        // What the writer printed before it died is still in the pipe; an unfinished last line was never an ack.
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).expect("read rest");
        let mut rest = rest.as_str();
        if !rest.ends_with('\n') {
            rest = rest.rsplit_once('\n').map_or("", |(done, _)| done);
        }
        for text in rest.lines() {
            lines.push(Line::parse(text).unwrap_or_else(|e| panic!("{context}: {e}")));
        }
        if status.signal() != Some(SIGKILL) {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut stderr)
                .expect("stderr");
            panic!("{context}: the writer was not killed but ended with {status}: {stderr}");
        }

        // The one write that may have been cut short: started, never acknowledged.
        let in_flight = match lines.last() {
            None => {
                tally.kills_while_opening += 1;
                None
            }
            Some(Line::Begin { op, id }) => {
                tally.kills_mid_write += 1;
                Some((*op, id.clone()))
            }
            Some(_) => {
                tally.kills_between_writes += 1;
                None
            }
        };
        // The writer can have changed only the records it was given and those it made (all acknowledged but
        // perhaps the one cut short, which is new and so unknown here).
        let mut touched: HashSet<String> = records.into_iter().collect();
        for line in &lines {
            if let Line::Ack { op, id, value } = line {
                tally.acks += 1;
                *tally.by_op.entry(op.name()).or_default() += 1;
                record_ack(&mut expected, *op, id, value);
                touched.insert(id.clone());
            }
        }

        let store = crash::open_store(dir.path())
            .unwrap_or_else(|e| panic!("{context}: the store does not open after the kill: {e}"));
        assert_eq!(
            store.integrity_check().expect("integrity_check"),
            vec!["ok".to_string()],
            "{context}"
        );
        let reasons: HashMap<String, Option<String>> = store
            .unsynced(usize::MAX)
            .unwrap_or_else(|e| panic!("{context}: {e}"))
            .into_iter()
            .map(|d| (d.id, d.reason))
            .collect();
        // Every record the round touched, each round. Untouched ones change only if the file is damaged, which
        // integrity_check looks for every round; all of them are read again every few rounds and at the end.
        let full_sweep = round % FULL_SWEEP_EVERY == FULL_SWEEP_EVERY - 1 || round == ROUNDS - 1;
        tally.full_sweeps += usize::from(full_sweep);
        for (id, want) in expected.iter_mut() {
            if !full_sweep && !touched.contains(id) {
                continue;
            }
            tally.records_checked += 1;
            let (Some(rec), Some(meta)) = (
                store
                    .get::<Ticket>(id)
                    .unwrap_or_else(|e| panic!("{context}: record {id}: {e}")),
                store.meta(id).unwrap_or_else(|e| panic!("{context}: {e}")),
            ) else {
                panic!("{context}: acknowledged record {id} is gone");
            };
            let (number, status) = (rec.body.number, meta.sync_status);
            assert!(
                number >= want.min_number,
                "{context}: record {id} has number {number}, {} was acknowledged",
                want.min_number
            );
            let cut_short = in_flight
                .as_ref()
                .filter(|(_, flight_id)| flight_id.as_deref() == Some(id.as_str()));
            match (want.status, cut_short) {
                (Some(want_status), None) => {
                    assert_eq!(status, want_status, "{context}: sync status of {id}");
                    if want_status == SyncStatus::Refused {
                        assert_eq!(
                            reasons.get(id).cloned().flatten(),
                            want.reason,
                            "{context}: refusal reason of {id}"
                        );
                    }
                }
                // The cut-short write either happened whole or not at all.
                (Some(want_status), Some((op, _))) => {
                    let after = op.status_after().unwrap_or(want_status);
                    assert!(
                        status == want_status || status == after,
                        "{context}: {id} is {status:?}; acknowledged {want_status:?}, cut short {}",
                        op.name()
                    );
                }
                (None, _) => {}
            }
            // From here on the model follows what the store holds.
            want.min_number = number;
            if want.status.is_some() {
                want.status = Some(status);
                want.reason = reasons.get(id).cloned().flatten();
            }
        }

        // The store still takes writes, and they count from now on like any acknowledged write.
        if let Some(id) = expected
            .keys()
            .nth(rng.below(expected.len().max(1) as u64) as usize)
        {
            let id = id.clone();
            let rec = store
                .update::<Ticket>(&id, Durability::Promised, |t| t.number += 1)
                .unwrap_or_else(|e| panic!("{context}: the store refuses an update: {e}"));
            record_ack(
                &mut expected,
                Op::UpdatePromised,
                &id,
                &rec.body.number.to_string(),
            );
        }
        if round % 10 == 0 {
            let header = store
                .create(&crash::scope(), &crash::ticket(1), Durability::Promised)
                .unwrap_or_else(|e| panic!("{context}: the store refuses a new record: {e}"));
            record_ack(&mut expected, Op::Create, &header.id, "1");
        }
        drop(store);
    }

    let elapsed = started.elapsed();
    let mut by_op: Vec<_> = tally.by_op.iter().collect();
    by_op.sort();
    #[allow(
        clippy::print_stdout,
        reason = "the test's summary belongs in its output"
    )]
    {
        println!(
            "crash safety (BANSHI_CRASH_SEED={seed}): {ROUNDS} SIGKILLs in {:.1} s; {} writes acknowledged, \
             all present; kills mid-write {}, while opening {}, between writes {}; {} records, {} record \
             checks ({} full sweeps); integrity_check ok every round",
            elapsed.as_secs_f64(),
            tally.acks,
            tally.kills_mid_write,
            tally.kills_while_opening,
            tally.kills_between_writes,
            expected.len(),
            tally.records_checked,
            tally.full_sweeps,
        );
        println!("acknowledged writes by kind: {by_op:?}");
    }
    // A run whose kills all missed the writes would prove little.
    assert!(
        tally.kills_mid_write >= ROUNDS / 4,
        "only {} of {ROUNDS} kills landed inside a write",
        tally.kills_mid_write
    );
    assert!(tally.acks >= ROUNDS * 5, "only {} acks", tally.acks);
}

/// Fold one acknowledged write into what the store must hold.
fn record_ack(expected: &mut BTreeMap<String, Expected>, op: Op, id: &str, value: &str) {
    let entry = expected.entry(id.to_string()).or_insert(Expected {
        min_number: 0,
        status: None,
        reason: None,
    });
    if let Ok(number) = value.parse::<u32>() {
        entry.min_number = entry.min_number.max(number);
    }
    if let Some(status) = op.status_after() {
        entry.status = Some(status);
        entry.reason = (op == Op::MarkRefused).then(|| value.to_string());
    }
}
