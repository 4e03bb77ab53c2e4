//! Installing what a fresh Debian-like machine lacks: Debian packages, npm packages, tauri-driver.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::{npm, root, run};

/// Debian packages: WebKitGTK and friends to build the Tauri app, Xvfb + WebKitWebDriver for the real-window
/// E2E, Chromium for browser E2E, Noto CJK so Chinese renders (also used by the printer simulator).
const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "chromium",
    "fonts-noto-cjk",
    // drivers/documents: the virtual IPP printer (ippeveprinter needs a private D-Bus daemon) and
    // the poppler tools its tests check PDFs with
    "cups-ipp-utils",
    "dbus-daemon",
    "poppler-utils",
    "nodejs",
    "npm",
];

const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn ensure_all() -> anyhow::Result<()> {
    ensure_apt_packages()?;
    ensure_npm_packages(&root().join("ui"))?;
    ensure_npm_packages(&root().join("tests/browser"))?;
    Ok(())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub fn ensure_apt_packages() -> anyhow::Result<()> {
    // Node may come from elsewhere than Debian (as on our CI image); only ask apt for it when it is absent.
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed(p))
        .filter(|p| !matches!(*p, "nodejs" | "npm") || !have(p.trim_end_matches("js")))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("xtask: installing Debian packages: {}", missing.join(" "));
    install_apt(&missing)
}

fn install_apt(packages: &[&str]) -> anyhow::Result<()> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut cmd = if is_root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !is_root {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(packages);
    run(&mut install)
}

/// npm packages from the lockfile. `npm install` rather than `npm ci`: it honours the lock the same way and
/// does not trip on optional platform packages the registry lacks (tauri-facts.md, pitfall 3).
pub fn ensure_npm_packages(dir: &Path) -> anyhow::Result<()> {
    let stamp = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(npm(dir).args(["install", "--no-audit", "--no-fund"]))
}

/// tauri-driver, the WebDriver bridge for the real-window E2E, from crates.io.
pub fn ensure_tauri_driver() -> anyhow::Result<std::path::PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?
        .join("bin/tauri-driver");
    if cargo_bin.exists() {
        return Ok(cargo_bin);
    }
    run(crate::cargo().args([
        "install",
        "tauri-driver",
        "--version",
        TAURI_DRIVER_VERSION,
        "--locked",
    ]))?;
    if !cargo_bin.exists() {
        bail!(
            "tauri-driver was installed but is not at {}",
            cargo_bin.display()
        );
    }
    Ok(cargo_bin)
}

/// cargo-nextest when available (CI images ship it); plain `cargo test` otherwise.
pub fn have_nextest() -> bool {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Where the PostgreSQL story tests connect when `BANSHI_TEST_POSTGRES` is unset (as in the tests).
const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The password xtask gives the `postgres` role when a fresh Debian cluster refuses it over TCP (Debian's
/// default `pg_hba.conf` asks for one). Only for a throwaway test cluster on loopback.
const LOCAL_TEST_PASSWORD: &str = "banshi-test";

/// PostgreSQL for the storage suite and the two-node scenarios; returns the URL to pass the tests as
/// `BANSHI_TEST_POSTGRES`. A server someone named in `BANSHI_TEST_POSTGRES` is only checked; the local
/// default one is installed, started and opened to the `postgres` role when needed, saying what was done.
pub fn ensure_postgres() -> anyhow::Result<String> {
    if let Some(url) = std::env::var("BANSHI_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    {
        if !have("psql") {
            println!("xtask: using BANSHI_TEST_POSTGRES as given (no psql here to check it)");
            return Ok(url);
        }
        if !accepts_queries(&url) {
            bail!("BANSHI_TEST_POSTGRES names a PostgreSQL that does not answer queries (check it with `psql \"$BANSHI_TEST_POSTGRES\" -c 'select 1'`)");
        }
        println!("xtask: PostgreSQL from BANSHI_TEST_POSTGRES answers");
        return Ok(url);
    }
    let with_password =
        DEFAULT_TEST_POSTGRES.replacen("postgres@", &format!("postgres:{LOCAL_TEST_PASSWORD}@"), 1);
    for url in [DEFAULT_TEST_POSTGRES, with_password.as_str()] {
        if accepts_queries(url) {
            println!("xtask: PostgreSQL answers on 127.0.0.1:5432");
            return Ok(url.to_string());
        }
    }
    if !have("pg_ctlcluster") {
        println!("xtask: PostgreSQL is not installed; installing the Debian package postgresql");
        install_apt(&["postgresql"])?;
    }
    if !pg_isready() {
        println!("xtask: starting PostgreSQL (service postgresql start)");
        let started = Command::new("service")
            .args(["postgresql", "start"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !started {
            start_clusters()?;
        }
        wait_for_postgres()?;
    }
    if accepts_queries(DEFAULT_TEST_POSTGRES) {
        return Ok(DEFAULT_TEST_POSTGRES.to_string());
    }
    // A fresh Debian cluster lets the postgres OS user in over the socket (peer) but wants a password over
    // TCP, which the tests use.
    println!("xtask: giving the postgres role a password for TCP logins on loopback");
    run(Command::new("runuser").args([
        "-u",
        "postgres",
        "--",
        "psql",
        "-q",
        "-c",
        &format!("ALTER ROLE postgres PASSWORD '{LOCAL_TEST_PASSWORD}'"),
    ]))?;
    if accepts_queries(&with_password) {
        return Ok(with_password);
    }
    bail!("PostgreSQL runs on 127.0.0.1:5432 but refuses the postgres role; set BANSHI_TEST_POSTGRES to a URL that works")
}

fn accepts_queries(url: &str) -> bool {
    have("psql")
        && Command::new("psql")
            .args([url, "-qtAc", "select 1"])
            .env("PGCONNECT_TIMEOUT", "5")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
}

fn pg_isready() -> bool {
    Command::new("pg_isready")
        .args(["-q", "-h", "127.0.0.1", "-p", "5432"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `service` is missing or failed (no init system in a container): start each cluster directly.
fn start_clusters() -> anyhow::Result<()> {
    let list = Command::new("pg_lsclusters")
        .arg("-h")
        .output()
        .context("listing PostgreSQL clusters")?;
    let clusters: Vec<(String, String)> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.next()?.to_string(), fields.next()?.to_string()))
        })
        .collect();
    if clusters.is_empty() {
        bail!("PostgreSQL is installed but has no cluster (pg_lsclusters lists none); create one with pg_createcluster");
    }
    for (version, name) in clusters {
        println!("xtask: pg_ctlcluster {version} {name} start");
        run(Command::new("pg_ctlcluster").args([version.as_str(), name.as_str(), "start"]))?;
    }
    Ok(())
}

fn wait_for_postgres() -> anyhow::Result<()> {
    for _ in 0..60 {
        if pg_isready() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    bail!("PostgreSQL was started but does not accept connections on 127.0.0.1:5432 after 30 s")
}
