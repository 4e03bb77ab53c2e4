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
    install.args(&missing);
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
