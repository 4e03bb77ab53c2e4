//! `cargo xtask bench`: build `banshi-bench` in release mode, run it against SQLite and PostgreSQL, and
//! write the figures into `docs/benchmarks.md` between the `bench:begin` / `bench:end` markers (the
//! commentary around them, comparing with the brief's targets, is written by people).

use std::process::Command;

use anyhow::{bail, Context};

use crate::{root, run, target_dir};

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";
/// A database the bench may drop and create at will.
const BENCH_DATABASE: &str = "banshi_bench";

pub fn run_bench(_args: &[String]) -> anyhow::Result<()> {
    let postgres = crate::setup::ensure_postgres()?;
    run(Command::new(env!("CARGO")).current_dir(root()).args([
        "build",
        "--release",
        "-p",
        "banshi-scenarios",
        "--bin",
        "banshi-bench",
    ]))?;
    let bench = target_dir().join("release").join("banshi-bench");

    let mut lines = Vec::new();
    lines.push(format!(
        "Measured by `cargo xtask bench` on {} ({} cores), release build, server and simulated terminals \
         in one process.",
        machine(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    ));
    lines.push(String::new());
    // Each PostgreSQL run gets a fresh database, made just before it runs.
    for (label, scenario) in [
        ("SQLite", "all"),
        ("PostgreSQL", "reconverge"),
        ("PostgreSQL", "throughput"),
    ] {
        let mut args = vec![scenario.to_string()];
        if label == "PostgreSQL" {
            args.push("--postgres".into());
            args.push(fresh_database(&postgres)?);
        }
        println!("xtask: bench ({label}): {}", args.join(" "));
        let output = Command::new(&bench)
            .args(&args)
            .env("BANSHI_LOG", "error")
            .output()
            .with_context(|| format!("running {}", bench.display()))?;
        if !output.status.success() {
            bail!(
                "banshi-bench {} failed:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                if a.starts_with("postgres") {
                    "postgres://…/banshi_bench".to_string()
                } else {
                    a.clone()
                }
            })
            .collect();
        for figure in String::from_utf8_lossy(&output.stdout).lines() {
            println!("{figure}");
            lines.push(format!(
                "- {figure}  \n  (`banshi-bench {}`)",
                shown.join(" ")
            ));
        }
    }
    write_block(&lines.join("\n"))
}

/// Drop and create the bench database; its URL.
fn fresh_database(admin_url: &str) -> anyhow::Result<String> {
    for sql in [
        format!("DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"),
        format!("CREATE DATABASE {BENCH_DATABASE}"),
    ] {
        run(Command::new("psql").args([admin_url, "-q", "-c", &sql]))?;
    }
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(admin_url);
    Ok(format!("{base}/{BENCH_DATABASE}"))
}

fn machine() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "this machine".to_string())
}

fn write_block(block: &str) -> anyhow::Result<()> {
    let path = root().join("docs/benchmarks.md");
    let text = std::fs::read_to_string(&path).context("reading docs/benchmarks.md")?;
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        bail!("docs/benchmarks.md lacks the {BEGIN} … {END} markers");
    };
    let updated = format!("{}{BEGIN}\n{block}\n{}", &text[..start], &text[end..]);
    std::fs::write(&path, updated).context("writing docs/benchmarks.md")?;
    println!("xtask: figures written to docs/benchmarks.md");
    Ok(())
}
