//! `cargo xtask`: the project's own commands, in Rust so they run wherever cargo does.
//!
//! - `cargo xtask demo` — a demo hall on this machine: sync server, printer simulator, a queue machine, a
//!   window desk and a call screen (windows when there is a display, `banshi serve` URLs otherwise).
//! - `cargo xtask bench` — the sync benchmarks (`banshi-bench`, release build) into `docs/benchmarks.md`.
//! - `cargo xtask test` — every test layer: fmt, clippy, Rust tests (nextest), UI unit tests (Vitest),
//!   browser E2E (Playwright + Chromium), real-window E2E (tauri-driver + WebKitWebDriver under Xvfb).
//! - `cargo xtask package [--debug]` — the terminal `.deb`/`.rpm` and the server `.deb` into
//!   `<target>/packages/` ([`package`]).
//!
//! Both first install what is missing (Debian packages, npm packages from the lockfiles, tauri-driver) and
//! build what they need, so they work on a fresh machine.
//!
//! This is a command-line program whose output is for people, so it prints directly.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod demo;
mod package;
mod setup;
mod test;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("package") => package::run_package(&args[1..]),
        Some("setup") => {
            setup::ensure_all()?;
            let postgres = setup::ensure_postgres()?;
            println!("xtask: PostgreSQL for tests: BANSHI_TEST_POSTGRES={postgres}");
            Ok(())
        }
        _ => {
            println!("usage: cargo xtask <demo|test|bench|package|setup>");
            println!("  demo   start a demo hall (server, printer simulator, queue machine, window, call screen)");
            println!("  test   run every test layer (installs what is missing)");
            println!("  bench  measure sync figures (release build) into docs/benchmarks.md");
            println!("  package  build the terminal .deb/.rpm and the server .deb (--debug: from the debug build)");
            println!(
                "  setup  only install what is missing (PostgreSQL for the storage tests included)"
            );
            Ok(())
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo target folder (respects CARGO_TARGET_DIR).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Run a command to completion, failing with its description if it fails.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    println!("xtask: $ {shown}");
    let status = cmd.status().with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

pub fn npm(dir: &Path) -> Command {
    let mut cmd = Command::new("npm");
    cmd.current_dir(dir);
    cmd
}

/// Build the UI (which the app embeds at compile time).
pub fn build_ui() -> anyhow::Result<()> {
    run(npm(&root().join("ui")).args(["run", "build"]))
}

/// Build the three binaries the demo and the E2E tests run (after [`build_ui`]).
pub fn build_binaries() -> anyhow::Result<()> {
    run(cargo().args([
        "build",
        "--locked",
        "-p",
        "banshi",
        "-p",
        "banshi-server",
        "-p",
        "banshi-escpos-sim",
        "-p",
        "banshi-idcard",
    ]))
}

pub fn bin(name: &str) -> PathBuf {
    target_dir().join("debug").join(name)
}
