//! `banshi-bench`: the sync figures of `docs/benchmarks.md` (run through `cargo xtask bench`).
//!
//! Everything is real: a `banshi-server` on loopback over a SQLite file (or PostgreSQL with `--postgres
//! URL`), terminals made of a real store and a real signing sync client. Timings use `Instant` here, in a
//! harness that reports figures; no test asserts them.
//!
//! Scenarios:
//! - `reconverge`: a hall of 10 terminals works a day offline (2,000 tickets, each called/served/finished;
//!   500 application-shaped records; 2,000 ratings), then comes back online: wall time until every terminal
//!   holds every record, and sync-message bytes on the wire against the automerge change bytes.
//! - `throughput`: N terminals polling (an empty sync pass, as every 30 s in a hall) and pushing records
//!   concurrently: passes per second and latency percentiles.
//! - `record-size`: the saved size of one application-shaped record, and of one real application record
//!   (`banshi_core::application::Application`) as a window leaves it.
//! - `application-submit`: a field terminal's durable submission of a case with 10 scanned pages: pages
//!   stored as blobs, then the submission, each written with `Durability::Promised`.
//! - `profile-push`: a signed profile advanced to 100 % of a group of 10 terminals (heartbeats every 30 s,
//!   assignment long-polls): time from the admin's request until each terminal runs it.
//!
//! The application record does not exist yet (the applications issue defines it); `BenchApplication` has
//! the shape the tenders describe (item code, applicant reference, ~25 form fields, a 10-item material list
//! with review results, a status history) so that sizes and sync costs are representative.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use autosurgeon::{Hydrate, Reconcile};
use banshi_core::queue::{hall_scope, Outcome, Ticket};
use banshi_core::SystemClock;
use banshi_scenarios::Hall;
use banshi_store::{DataKey, Durability, RecordKind, Store};
use banshi_sync_client::SyncClient;

const HALL: &str = "hk-longhua";

#[derive(Debug, Clone, Reconcile, Hydrate)]
struct BenchApplication {
    item_code: String,
    item_name: String,
    provisional_number: String,
    applicant_ref: String,
    channel: String,
    fields: Vec<BenchField>,
    materials: Vec<BenchMaterial>,
    history: Vec<BenchStep>,
}

#[derive(Debug, Clone, Reconcile, Hydrate)]
struct BenchField {
    key: String,
    value: String,
}

#[derive(Debug, Clone, Reconcile, Hydrate)]
struct BenchMaterial {
    name: String,
    copies: u32,
    blob_sm3: String,
    review: String,
}

#[derive(Debug, Clone, Reconcile, Hydrate)]
struct BenchStep {
    status: String,
    by: String,
    at_ms: i64,
    note: String,
}

impl RecordKind for BenchApplication {
    const KIND: &'static str = "bench-application";
    const SCHEMA_VERSION: u64 = 1;
}

#[derive(Debug, Clone, Reconcile, Hydrate)]
struct BenchRating {
    case_ref: String,
    grade: u8,
    reasons: Vec<String>,
    anonymous: bool,
    at_ms: i64,
}

impl RecordKind for BenchRating {
    const KIND: &'static str = "bench-rating";
    const SCHEMA_VERSION: u64 = 1;
}

fn application(n: usize, terminal: &str) -> BenchApplication {
    BenchApplication {
        item_code: format!("11460100MB1234567X4{:014}", n),
        item_name: "社会保障卡补换领".into(),
        provisional_number: format!("{terminal}-{n:06}"),
        applicant_ref: format!("person:{:032x}", n * 7919),
        channel: "window".into(),
        fields: (0..25)
            .map(|i| BenchField {
                key: format!("field_{i:02}"),
                value: format!("值{i}：海口市龙华区滨海大道{n}号"),
            })
            .collect(),
        materials: (0..10)
            .map(|i| BenchMaterial {
                name: format!("材料{i}（原件）"),
                copies: 1,
                blob_sm3: format!("{:064x}", n * 31 + i),
                review: "符合".into(),
            })
            .collect(),
        history: vec![BenchStep {
            status: "received".into(),
            by: terminal.into(),
            at_ms: 1_764_000_000_000 + n as i64,
            note: String::new(),
        }],
    }
}

fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}

async fn metrics(hall: &Hall) -> anyhow::Result<String> {
    Ok(reqwest::get(format!("{}/metrics", hall.server_url))
        .await?
        .text()
        .await?)
}

struct BenchTerminal {
    store: Arc<Store>,
    client: SyncClient,
}

async fn terminals(hall: &Hall, n: usize) -> anyhow::Result<Vec<BenchTerminal>> {
    let mut out = Vec::new();
    for i in 0..n {
        let id = format!("bench-{i:03}");
        let identity = hall.enrolled_identity(&id, HALL).await?;
        let store = Arc::new(Store::open(
            &hall.dir.path().join(format!("{id}.sqlite")),
            DataKey::generate()?,
        )?);
        let client = SyncClient::new(
            &hall.server_url,
            identity,
            HALL,
            Arc::clone(&store),
            Arc::new(SystemClock),
        )?;
        out.push(BenchTerminal { store, client });
    }
    Ok(out)
}

async fn reconverge(postgres: Option<&str>) -> anyhow::Result<()> {
    let hall = Hall::start_with_db(postgres).await?;
    let terms = terminals(&hall, 10).await?;
    let scope = hall_scope(HALL);
    let started = Instant::now();
    for (t, term) in terms.iter().enumerate() {
        let store = Arc::clone(&term.store);
        let scope = scope.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let name = format!("bench-{t:03}");
            for n in 0..200u32 {
                let ticket = Ticket::issue(
                    HALL,
                    "A",
                    t as u32 * 1000 + n,
                    &name,
                    time::OffsetDateTime::now_utc(),
                );
                let h = store.create(&scope, &ticket, Durability::Normal)?;
                // Called, recalled, served: three edits like a window's.
                let at = time::OffsetDateTime::now_utc();
                store.update::<Ticket>(&h.id, Durability::Normal, |tk| {
                    tk.add_claim(1, &name, "bench", at)
                })?;
                for outcome in [None, Some(Outcome::Served)] {
                    store.update::<Ticket>(&h.id, Durability::Normal, |tk| {
                        for c in tk.claims.values_mut() {
                            c.recalls += 1;
                            c.outcome = outcome;
                        }
                    })?;
                }
            }
            for n in 0..50 {
                store.create(
                    &scope,
                    &application(t * 1000 + n, &name),
                    Durability::Normal,
                )?;
            }
            for n in 0..200 {
                let rating = BenchRating {
                    case_ref: format!("{name}-{n}"),
                    grade: (n % 5) as u8 + 1,
                    reasons: if n % 5 < 2 {
                        vec!["等候时间长".into()]
                    } else {
                        vec![]
                    },
                    anonymous: n % 3 == 0,
                    at_ms: 1_764_000_000_000,
                };
                store.create(&scope, &rating, Durability::Normal)?;
            }
            Ok(())
        })
        .await??;
    }
    let offline_day = started.elapsed();
    let before = metrics(&hall).await?;

    let started = Instant::now();
    // Everyone reconnects at once; each keeps syncing until it holds the hall's 4,500 records.
    let mut tasks = Vec::new();
    for term in terms {
        tasks.push(tokio::spawn(async move {
            let mut passes = 0;
            loop {
                passes += 1;
                term.client.sync_once().await?;
                let held: usize = term.store.scopes()?.iter().map(|(_, n)| n).sum();
                if held >= 4500 && term.store.pending()?.is_empty() {
                    return Ok::<_, anyhow::Error>((term, passes));
                }
                anyhow::ensure!(
                    passes < 50,
                    "no convergence after 50 passes ({held} records)"
                );
            }
        }));
    }
    let mut done = Vec::new();
    for t in tasks {
        done.push(t.await??);
    }
    let elapsed = started.elapsed();
    let after = metrics(&hall).await?;
    let wire = counter(&after, "banshi_server_sync_bytes_received_total")
        - counter(&before, "banshi_server_sync_bytes_received_total")
        + counter(&after, "banshi_server_sync_bytes_sent_total")
        - counter(&before, "banshi_server_sync_bytes_sent_total");
    // Change bytes: every change is uploaded once and downloaded by the 9 other terminals.
    let store = &done[0].0.store;
    let mut change_bytes = 0usize;
    let ids: Vec<String> = store
        .list::<Ticket>()?
        .into_iter()
        .map(|(r, _)| r.header.id)
        .chain(
            store
                .list::<BenchApplication>()?
                .into_iter()
                .map(|(r, _)| r.header.id),
        )
        .chain(
            store
                .list::<BenchRating>()?
                .into_iter()
                .map(|(r, _)| r.header.id),
        )
        .collect();
    for id in &ids {
        let mut doc = store.load_doc(id)?.context("doc")?;
        change_bytes += doc
            .get_changes(&[])
            .iter()
            .map(|c| c.raw_bytes().len())
            .sum::<usize>();
    }
    let ideal = change_bytes * 10;
    let passes: Vec<usize> = done.iter().map(|(_, p)| *p).collect();
    tracing::info!("reconverge done");
    let backend = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    report(&format!(
        "reconverge ({backend}): 10 terminals, {} records ({} tickets × 4 changes, 500 applications, 2000 ratings) \
         made offline in {:.1} s; all converged in {:.2} s; passes per terminal {:?}; \
         sync-message bytes on the wire {} vs change bytes × 10 (1 upload + 9 downloads) {} → {:.2}×",
        ids.len(),
        2000,
        offline_day.as_secs_f64(),
        elapsed.as_secs_f64(),
        passes,
        wire,
        ideal,
        wire as f64 / ideal as f64
    ));
    Ok(())
}

async fn throughput(postgres: Option<&str>, n: usize, seconds: u64) -> anyhow::Result<()> {
    let hall = Hall::start_with_db(postgres).await?;
    let terms = terminals(&hall, n).await?;
    for t in &terms {
        t.client.sync_once().await?; // hello, so the measured passes are steady-state
    }
    let scope = hall_scope(HALL);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for (i, term) in terms.into_iter().enumerate() {
        let scope = scope.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut k = 0u32;
            while Instant::now() < deadline {
                // One pass in ten carries a new record, the rest are the idle 30-second polls.
                if k.is_multiple_of(10) {
                    let ticket = Ticket::issue(
                        HALL,
                        "B",
                        i as u32 * 100_000 + k,
                        "bench",
                        time::OffsetDateTime::now_utc(),
                    );
                    let store = Arc::clone(&term.store);
                    let scope = scope.clone();
                    tokio::task::spawn_blocking(move || {
                        store.create(&scope, &ticket, Durability::Normal)
                    })
                    .await??;
                }
                let t0 = Instant::now();
                term.client.sync_once().await?;
                latencies.push(t0.elapsed());
                k += 1;
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort();
    let pct =
        |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    let backend = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    report(&format!(
        "throughput ({backend}): {n} terminals for {seconds} s: {} sync passes = {:.0} passes/s; \
         latency p50 {:.1} ms, p99 {:.1} ms; 1 pass in 10 pushes a new record. \
         At one pass per terminal every 30 s this serves ≈ {:.0} terminals",
        all.len(),
        all.len() as f64 / seconds as f64,
        pct(0.5),
        pct(0.99),
        all.len() as f64 / seconds as f64 * 30.0
    ));
    Ok(())
}

/// Ticket button press → ESC/POS bytes at the printer (brief §8: ≤ 50 ms p99): from the call the queue
/// machine's button makes (`Terminal::issue_ticket`: number, durable save, slip, print) until the printer
/// emulator has received and parsed the whole job.
async fn ticket_print(runs: usize) -> anyhow::Result<()> {
    let hall = Hall::start().await?;
    let machine = hall.terminal("queue-ticket", "qm-bench").await?;
    // The first ticket opens the printer connection and warms the caches; it is not counted.
    machine.issue_ticket("A").await?;
    hall.printer
        .wait_for_jobs(1, Duration::from_secs(10))
        .await?;
    let mut samples = Vec::with_capacity(runs);
    for n in 0..runs {
        let started = Instant::now();
        let ticket = machine.issue_ticket("A").await?;
        anyhow::ensure!(ticket.printed, "ticket {} not printed", ticket.number);
        hall.printer
            .wait_for_jobs(n + 2, Duration::from_secs(10))
            .await?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    report(&format!(
        "ticket-print: {runs} tickets, button press → ESC/POS job parsed at the emulator: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        samples.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    ));
    Ok(())
}

/// Profile push latency (brief §8: config pushed within 5 s): from the admin console's request that takes a
/// signed release to 100 % until each of 10 terminals has checked and applied it.
async fn profile_push(pushes: u64) -> anyhow::Result<()> {
    use banshi_terminal::fleet::TerminalGroup;
    const N: usize = 10;
    let hall = Hall::start().await?;
    let key = banshi_crypto::SigningKeyPair::generate()?;
    let key_file = hall.dir.path().join("fleet.key");
    std::fs::write(&key_file, hex::encode(key.secret_bytes()))?;
    let mut terminals = Vec::new();
    for i in 0..N {
        let trusted = key.public_key_hex();
        let t = hall
            .terminal_with("queue-ticket", &format!("push-{i}"), |p| {
                p.fleet.trusted_keys = vec![trusted];
            })
            .await?;
        t.start_background();
        terminals.push(t);
    }
    let admin = hall
        .terminal_with("admin", "push-console", |p| {
            p.fleet.signing_key_file = Some(key_file.display().to_string());
        })
        .await?;
    banshi_server::fleet::add_admin_terminal(&hall.storage, "push-console").await?;
    let actor = banshi_scenarios::staff::login_as(
        &admin,
        "bench-admin",
        &[banshi_core::staff::Role::FleetAdmin],
    )
    .await;
    // Every terminal has been heard once (its mode puts it in the group).
    let deadline = Instant::now() + Duration::from_secs(60);
    while admin
        .fleet_terminals(&actor)
        .await?
        .terminals
        .iter()
        .filter(|t| t.mode.is_some())
        .count()
        < N
    {
        anyhow::ensure!(Instant::now() < deadline, "terminals did not report in");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../kiosk-profiles/examples/queue-ticket.toml"
    ))?;
    let group = TerminalGroup {
        hall_id: None,
        mode: "queue-ticket".into(),
        tags: vec![],
    };
    let mut samples = Vec::new();
    for version in 1..=pushes {
        let text = example.replace(
            "idle_timeout_secs = 30",
            &format!("idle_timeout_secs = {}", 30 + version),
        );
        let rollout = admin.publish_profile(&actor, group.clone(), &text).await?;
        admin.advance_rollout(&actor, &rollout.release_id).await?;
        let started = Instant::now();
        admin.advance_rollout(&actor, &rollout.release_id).await?;
        let mut pending: Vec<usize> = (0..N).collect();
        while !pending.is_empty() {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60),
                "version {version} did not reach every terminal"
            );
            pending.retain(|&i| {
                let done = terminals[i].applied_release().map(|a| a.version) == Some(version);
                if done {
                    samples.push(started.elapsed());
                }
                !done
            });
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    report(&format!(
        "profile-push: {pushes} releases advanced to 100 % of {N} terminals ({} applies), admin request → \
         terminal running it: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        samples.len(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        samples.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    ));
    Ok(())
}

fn record_size() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("size.sqlite"), DataKey::generate()?)?;
    let h = store.create(
        &hall_scope(HALL),
        &application(1, "bench-000"),
        Durability::Promised,
    )?;
    let mut doc = store.load_doc(&h.id)?.context("doc")?;
    report(&format!(
        "record-size: one application-shaped record (25 fields, 10 materials, 1 status step) saved = {} bytes \
         (automerge `save`, compressed columnar)",
        doc.save().len()
    ));
    Ok(())
}

/// A filled case of the demo catalogue on a field terminal: started from the applicant, every question
/// answered with its first option, every required field filled.
async fn bench_case(
    terminal: &banshi_terminal::Terminal,
    actor: &banshi_core::staff::Actor,
    item: &banshi_core::catalogue::Item,
    catalogue: &banshi_core::catalogue::Catalogue,
    n: usize,
) -> anyhow::Result<banshi_terminal::CaseView> {
    use banshi_core::catalogue::{Answers, FieldKind};
    let started = terminal
        .start_application(
            actor,
            &item.code,
            banshi_terminal::ApplicantInput {
                name: "王小明".into(),
                id_number: format!("46010019900101{n:04}"),
                gender: "男".into(),
                birth_date: "1990-01-01".into(),
                address: "海南省海口市龙华区滨海大道99号".into(),
                ethnicity: "汉".into(),
            },
        )
        .await?;
    let mut answers = Answers::new();
    loop {
        let open: Vec<_> = item
            .visible_questions(&answers)
            .into_iter()
            .filter(|q| !answers.contains_key(&q.id))
            .map(|q| (q.id.clone(), q.options[0].id.clone()))
            .collect();
        if open.is_empty() {
            break;
        }
        answers.extend(open);
    }
    let form = item
        .fields_for(&answers)
        .into_iter()
        .filter_map(|f| catalogue.field(&f.field))
        .map(|def| {
            let value = match def.kind {
                FieldKind::Phone => "13800138000".to_string(),
                FieldKind::Date => "2026-01-01".to_string(),
                FieldKind::Number => "2026".to_string(),
                FieldKind::IdNumber => "11010519491231002X".to_string(),
                FieldKind::Choice => def.choices[0].clone(),
                FieldKind::Text => format!("{}（海口市龙华区）", def.label),
            };
            (def.code.clone(), value)
        })
        .filter(|(k, _)| !started.form.contains_key(k))
        .collect();
    Ok(terminal
        .save_application(
            actor,
            &started.id,
            banshi_terminal::ApplicationPatch {
                answers: Some(answers),
                form: Some(form),
                collection: None,
            },
        )
        .await?)
}

/// A field terminal with the demo catalogue and a logged-in field officer.
async fn field_terminal(
    hall: &Hall,
) -> anyhow::Result<(
    Arc<banshi_terminal::Terminal>,
    banshi_core::staff::Actor,
    Arc<banshi_core::catalogue::Catalogue>,
)> {
    use banshi_core::catalogue::{Catalogue, CATALOGUE_SCOPE, DEMO_CATALOGUE_TOML};
    let terminal = hall.unenrolled_terminal("field", "bench-field")?;
    // As a synced catalogue arrives: the field officer may not publish one.
    let catalogue = Catalogue::from_toml(DEMO_CATALOGUE_TOML)?;
    terminal
        .store()
        .create(CATALOGUE_SCOPE, &catalogue, Durability::Normal)?;
    let actor = banshi_scenarios::staff::login_as(
        &terminal,
        "bench-officer",
        &[banshi_core::staff::Role::FieldStaff],
    )
    .await;
    let catalogue = terminal.catalogue().await?;
    Ok((terminal, actor, catalogue))
}

async fn application_submit(cases: usize) -> anyhow::Result<()> {
    let hall = Hall::start().await?;
    let (terminal, actor, catalogue) = field_terminal(&hall).await?;
    let item = catalogue
        .items
        .iter()
        .find(|i| !i.is_query_print() && !i.materials.is_empty())
        .context("an item with materials")?
        .clone();
    let material = item.materials[0].id.clone();
    // A scanned A4 page after the page pipeline: a JPEG of about 150 KB.
    let page = |case: usize, i: usize| -> Vec<u8> {
        let mut bytes = vec![0u8; 150 * 1024];
        for (k, b) in bytes.iter_mut().enumerate() {
            *b = ((k * 31 + case * 7 + i * 13) % 251) as u8;
        }
        bytes
    };
    let (mut whole, mut commit) = (Vec::with_capacity(cases), Vec::with_capacity(cases));
    for n in 0..cases {
        let case = bench_case(&terminal, &actor, &item, &catalogue, n).await?;
        let pages: Vec<Vec<u8>> = (0..10).map(|i| page(n, i)).collect();
        let started = Instant::now();
        terminal
            .add_material_pages(&actor, &case.id, &material, pages)
            .await?;
        let submitting = Instant::now();
        terminal.submit_application(&actor, &case.id).await?;
        commit.push(submitting.elapsed());
        whole.push(started.elapsed());
    }
    let pct = |samples: &mut Vec<Duration>, p: f64| {
        samples.sort();
        samples[((samples.len() as f64 * p).ceil() as usize).saturating_sub(1)].as_secs_f64() * 1e3
    };
    report(&format!(
        "application-submit: {cases} cases on a field terminal with 10 scanned pages of 150 KB each. \
         Submission commit (checks, status step, `synchronous=FULL`): p50 {:.1} ms, p99 {:.1} ms. Pages \
         stored as blobs and the case submitted, all durable: p50 {:.1} ms, p99 {:.1} ms",
        pct(&mut commit, 0.50),
        pct(&mut commit, 0.99),
        pct(&mut whole, 0.50),
        pct(&mut whole, 0.99),
    ));

    // The saved size of one real submitted case: answers, form, 10 page references, history.
    let case = bench_case(&terminal, &actor, &item, &catalogue, cases).await?;
    terminal
        .add_material_pages(
            &actor,
            &case.id,
            &material,
            (0..10).map(|i| page(cases, i)).collect(),
        )
        .await?;
    terminal.submit_application(&actor, &case.id).await?;
    let mut doc = terminal.store().load_doc(&case.id)?.context("doc")?;
    report(&format!(
        "record-size: one real application record (`{}`, {} form fields, 10 pages, 2 status steps) saved = {} \
         bytes (automerge `save`; the page images are blobs, referenced by SM3)",
        item.name,
        case.form.len(),
        doc.save().len()
    ));
    Ok(())
}

#[allow(clippy::print_stdout)] // the harness's output is its report
fn report(line: &str) {
    println!("{line}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BANSHI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let postgres = args
        .iter()
        .position(|a| a == "--postgres")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let what = args.first().map(String::as_str).unwrap_or("all");
    if matches!(what, "all" | "record-size") {
        record_size()?;
    }
    if matches!(what, "all" | "application-submit") {
        application_submit(200).await?;
    }
    if matches!(what, "all" | "ticket-print") {
        ticket_print(200).await?;
    }
    if matches!(what, "all" | "profile-push") {
        profile_push(20).await?;
    }
    if matches!(what, "all" | "reconverge") {
        reconverge(postgres.as_deref()).await?;
    }
    if matches!(what, "all" | "throughput") {
        for n in [10, 50] {
            throughput(postgres.as_deref(), n, 10).await?;
        }
    }
    Ok(())
}
