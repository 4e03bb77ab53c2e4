//! `cargo xtask test`: every layer, in the order that fails fastest, with a timing summary.

use std::time::Instant;

use anyhow::Context;

use crate::{bin, cargo, npm, root, setup, target_dir};

pub fn run_all() -> anyhow::Result<Vec<(&'static str, f64)>> {
    let mut timings = Vec::new();
    let mut step =
        |name: &'static str, work: &mut dyn FnMut() -> anyhow::Result<()>| -> anyhow::Result<()> {
            println!("\nxtask: ==== {name} ====");
            let started = Instant::now();
            work().with_context(|| format!("layer failed: {name}"))?;
            timings.push((name, started.elapsed().as_secs_f64()));
            Ok(())
        };
    let ui = root().join("ui");
    let shots = target_dir().join("e2e-screenshots");

    step("install what is missing", &mut setup::ensure_all)?;
    let mut tauri_driver = None;
    step("tauri-driver", &mut || {
        tauri_driver = Some(setup::ensure_tauri_driver()?);
        Ok(())
    })?;
    // The Tauri crate embeds ui/dist at compile time, so the UI is built before anything Rust.
    step("UI build (vue-tsc + vite)", &mut crate::build_ui)?;
    step("UI unit tests (Vitest)", &mut || {
        crate::run(npm(&ui).args(["test"]))
    })?;
    step("rustfmt", &mut || {
        crate::run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    // Every cargo call below selects the same packages and targets (`--workspace`, all targets): cargo
    // unifies features per selection, and another one (`-p banshi`, `--exclude …`) recompiles half the tree.
    step("clippy -D warnings", &mut || {
        crate::run(cargo().args(CLIPPY))
    })?;
    step("build (workspace, all targets)", &mut || {
        crate::run(cargo().args(BUILD))
    })?;
    // The storage suite and the two-node scenarios fail without PostgreSQL, so make sure there is one.
    let mut postgres = String::new();
    step("PostgreSQL for the storage suite", &mut || {
        postgres = setup::ensure_postgres()?;
        Ok(())
    })?;
    step("Rust tests (unit, crate, hall scenarios)", &mut || {
        // The real-window tests are #[ignore]d here (they need Xvfb) and reported as skipped.
        let mut tests = cargo();
        if setup::have_nextest() {
            tests.args([
                "nextest",
                "run",
                "--locked",
                "--workspace",
                "--no-fail-fast",
            ]);
        } else {
            tests.args(["test", "--locked", "--workspace", "--no-fail-fast"]);
        }
        crate::run(tests.env("BANSHI_TEST_POSTGRES", &postgres))
    })?;
    std::fs::create_dir_all(&shots)?;
    step(
        "browser E2E (Playwright + Chromium against banshi serve)",
        &mut || {
            crate::run(
                std::process::Command::new("node")
                    .args(["--test", "--test-concurrency=1", "tests/browser/"])
                    .current_dir(root())
                    .env("BANSHI_BIN", bin("banshi"))
                    .env("BANSHI_SERVER_BIN", bin("banshi-server"))
                    .env("BANSHI_PRINTER_SIM_BIN", bin("banshi-escpos-sim"))
                    .env("BANSHI_IDCARD_SIM_BIN", bin("banshi-idcard-sim"))
                    .env("BANSHI_SCREENSHOTS", &shots),
            )
        },
    )?;
    let driver = tauri_driver.context("tauri-driver missing")?;
    step(
        "real-window E2E (tauri-driver + WebKitWebDriver under Xvfb)",
        &mut || {
            crate::run(
                std::process::Command::new("xvfb-run")
                    .args(["-a", "-s", "-screen 0 1280x800x24"])
                    .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                    .args(WINDOW_E2E)
                    .current_dir(root())
                    .env("BANSHI_APP", bin("banshi"))
                    .env("TAURI_DRIVER", &driver)
                    .env("BANSHI_SCREENSHOTS", &shots),
            )
        },
    )?;
    Ok(timings)
}

const CLIPPY: &[&str] = &[
    "clippy",
    "--locked",
    "--workspace",
    "--all-targets",
    "--",
    "-D",
    "warnings",
];
const BUILD: &[&str] = &["build", "--locked", "--workspace", "--all-targets"];
const WINDOW_E2E: &[&str] = &[
    "test",
    "--locked",
    "--workspace",
    "--test",
    "kiosk_window",
    "--test",
    "lockdown",
    "--",
    "--ignored",
    "--nocapture",
    "--test-threads=1",
];

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if !args.is_empty() {
        anyhow::bail!("cargo xtask test takes no arguments (got {args:?})");
    }
    let started = Instant::now();
    let timings = run_all()?;
    println!(
        "\nxtask: every layer passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    for (name, secs) in &timings {
        println!("xtask:   {secs:>7.1} s  {name}");
    }
    println!(
        "xtask: screenshots in {}",
        target_dir().join("e2e-screenshots").display()
    );
    println!("layers: {} passed, 0 failed", timings.len());
    Ok(())
}
