//! `cargo xtask package [--debug]`: the installable packages of a release, into `<target>/packages/`.
//!
//! - the terminal, `banshi_<version>_<arch>.deb` and `banshi-<version>-1.<arch>.rpm`, made by the Tauri
//!   bundler from `src-tauri/tauri.conf.json` (`bundle.linux.deb` / `bundle.linux.rpm`: the systemd units,
//!   example profiles, maintainer scripts in `packaging/terminal/`);
//! - the server, `banshi-server_<version>_<arch>.deb`, staged here and built with `dpkg-deb`: the Tauri
//!   bundler only packages the app, and cargo-deb would be one more tool to install for one small package.
//!
//! Release builds by default (what ships); `--debug` packages the debug build in a fraction of the time.
//! The version is the workspace version (xtask inherits it, so `CARGO_PKG_VERSION` is that version).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::{cargo, root, run, setup, target_dir};

/// The workspace version every package carries.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

const USAGE: &str = "usage: cargo xtask package [--debug]
  Builds the terminal .deb and .rpm (Tauri bundler) and the server .deb (dpkg-deb) into <target>/packages/.
  --debug  package the debug build (fast; for trying the packages, not for shipping)";

pub fn run_package(args: &[String]) -> anyhow::Result<()> {
    let mut debug = false;
    for arg in args {
        match arg.as_str() {
            "--debug" => debug = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    let profile = if debug { "debug" } else { "release" };
    let out = target_dir().join("packages");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    println!("xtask: [1/4] UI (the app embeds ui/dist)");
    setup::ensure_npm_packages(&root().join("ui"))?;
    crate::build_ui()?;

    println!("xtask: [2/4] terminal .deb and .rpm ({profile}, Tauri bundler)");
    let mut tauri = Command::new(root().join("ui/node_modules/.bin/tauri"));
    tauri
        .current_dir(root().join("src-tauri"))
        .args(["build", "--ci", "--bundles", "deb,rpm"]);
    if debug {
        tauri.arg("--debug");
    }
    tauri.args(["--", "--locked"]);
    run(&mut tauri)?;
    let bundle = target_dir().join(profile).join("bundle");
    let mut made = Vec::new();
    for (folder, suffix) in [("deb", ".deb"), ("rpm", ".rpm")] {
        let found = newest_with_version(&bundle.join(folder), suffix)?;
        made.push(copy_into(&found, &out)?);
    }

    println!("xtask: [3/4] banshi-server ({profile})");
    let mut build = cargo();
    build.args(["build", "--locked", "-p", "banshi-server"]);
    if !debug {
        build.arg("--release");
    }
    run(&mut build)?;

    println!("xtask: [4/4] server .deb (dpkg-deb)");
    let arch = deb_architecture()?;
    let work = out.join(".stage");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("emptying {}", work.display()))?;
    }
    let tree = work.join("debian").join("banshi-server");
    let binary = target_dir().join(profile).join("banshi-server");
    stage_server(&tree, &binary, VERSION, &arch)?;
    let deb = out.join(format!("banshi-server_{VERSION}_{arch}.deb"));
    run(Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group"])
        .arg(&tree)
        .arg(&deb))?;
    std::fs::remove_dir_all(&work).ok();
    made.push(deb);

    println!("\nxtask: packages ({profile} build, version {VERSION}):");
    for path in &made {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!(
            "  {}  ({:.1} MiB)",
            path.display(),
            size as f64 / 1_048_576.0
        );
    }
    Ok(())
}

/// The bundle the Tauri bundler just wrote: the newest file of `dir` ending in `suffix` that names this
/// version (an older version's package may still lie there).
fn newest_with_version(dir: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.ends_with(suffix) || !name.contains(VERSION) {
            continue;
        }
        let modified = std::fs::metadata(&path)?.modified()?;
        if best.as_ref().is_none_or(|(time, _)| modified > *time) {
            best = Some((modified, path));
        }
    }
    best.map(|(_, path)| path)
        .with_context(|| format!("no {suffix} of version {VERSION} in {}", dir.display()))
}

fn copy_into(file: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let target = dir.join(file.file_name().context("a file name")?);
    std::fs::copy(file, &target)
        .with_context(|| format!("copying {} to {}", file.display(), target.display()))?;
    Ok(target)
}

fn deb_architecture() -> anyhow::Result<String> {
    let output = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .context("running dpkg --print-architecture")?;
    if !output.status.success() {
        bail!("dpkg --print-architecture failed");
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Lay out the server package's tree in `tree` (which should be `<dir>/debian/banshi-server`, where
/// `dpkg-shlibdeps` expects a package's files): the binary, the unit, the settings file (a conffile), the
/// operations guide, and `DEBIAN/` with the control file and maintainer scripts. `dpkg-deb --build
/// --root-owner-group` turns it into the package.
pub fn stage_server(tree: &Path, binary: &Path, version: &str, arch: &str) -> anyhow::Result<()> {
    let packaging = root().join("packaging");
    let place = |from: &Path, to: &str, mode: u32| -> anyhow::Result<()> {
        let target = tree.join(to);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, &target)
            .with_context(|| format!("copying {} to {}", from.display(), target.display()))?;
        set_mode(&target, mode)
    };
    place(binary, "usr/bin/banshi-server", 0o755)?;
    place(
        &packaging.join("systemd/banshi-server.service"),
        "lib/systemd/system/banshi-server.service",
        0o644,
    )?;
    // It may come to hold a PostgreSQL password; systemd reads it as root.
    place(
        &packaging.join("server/banshi-server.default"),
        "etc/default/banshi-server",
        0o600,
    )?;
    place(
        &root().join("docs/operations.md"),
        "usr/share/doc/banshi-server/operations.md",
        0o644,
    )?;
    for script in ["postinst", "prerm", "postrm"] {
        place(
            &packaging.join("server").join(script),
            &format!("DEBIAN/{script}"),
            0o755,
        )?;
    }
    let conffiles = tree.join("DEBIAN/conffiles");
    std::fs::write(&conffiles, "/etc/default/banshi-server\n")?;
    set_mode(&conffiles, 0o644)?;

    let installed_kib = installed_size_kib(tree)?;
    let depends = format!("{}, passwd", shared_library_depends(tree)?);
    let mut control = String::new();
    writeln!(control, "Package: banshi-server")?;
    writeln!(control, "Version: {version}")?;
    writeln!(control, "Architecture: {arch}")?;
    writeln!(
        control,
        "Maintainer: Banshi maintainers <packaging@banshi.invalid>"
    )?;
    writeln!(control, "Installed-Size: {installed_kib}")?;
    writeln!(control, "Depends: {depends}")?;
    writeln!(control, "Suggests: postgresql")?;
    writeln!(control, "Section: net")?;
    writeln!(control, "Priority: optional")?;
    writeln!(
        control,
        "Description: Banshi sync server (central server or hall relay)"
    )?;
    writeln!(
        control,
        " Stores the record documents of Banshi hall terminals and relays them between the"
    )?;
    writeln!(
        control,
        " terminals of a hall, on SQLite or PostgreSQL. Runs as the systemd service banshi-server"
    )?;
    writeln!(
        control,
        " (settings in /etc/default/banshi-server, data in /var/lib/banshi-server)."
    )?;
    let control_file = tree.join("DEBIAN/control");
    std::fs::write(&control_file, control)?;
    set_mode(&control_file, 0o644)?;
    Ok(())
}

/// `Depends` for the libraries the binary links, as Debian computes it (`dpkg-shlibdeps`, from dpkg-dev,
/// which build-essential brings). Without dpkg-dev: the two libraries a Rust binary with bundled SQLite
/// and rustls links, unversioned.
fn shared_library_depends(tree: &Path) -> anyhow::Result<String> {
    let work = tree
        .parent()
        .and_then(Path::parent)
        .context("the tree lies in <dir>/debian/<package>")?;
    let control = work.join("debian/control");
    std::fs::write(
        &control,
        "Source: banshi\n\nPackage: banshi-server\nArchitecture: any\n",
    )?;
    let output = Command::new("dpkg-shlibdeps")
        .current_dir(work)
        .arg("-O")
        .arg(format!(
            "-e{}",
            tree.join("usr/bin/banshi-server").display()
        ))
        .output();
    std::fs::remove_file(&control).ok();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            let depends = text
                .lines()
                .find_map(|line| line.strip_prefix("shlibs:Depends="))
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .context("dpkg-shlibdeps printed no shlibs:Depends")?;
            Ok(depends.to_string())
        }
        Ok(output) => bail!(
            "dpkg-shlibdeps failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(_) => {
            println!("xtask: dpkg-shlibdeps not found (dpkg-dev); Depends lists libc6, libgcc-s1");
            Ok("libc6, libgcc-s1".to_string())
        }
    }
}

/// Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up, and one per folder.
fn installed_size_kib(tree: &Path) -> anyhow::Result<u64> {
    fn walk(dir: &Path, total: &mut u64) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name() == "DEBIAN" {
                continue;
            }
            let meta = entry.metadata()?;
            if meta.is_dir() {
                *total += 1;
                walk(&entry.path(), total)?;
            } else {
                *total += meta.len().div_ceil(1024);
            }
        }
        Ok(())
    }
    let mut total = 0;
    walk(tree, &mut total)?;
    Ok(total)
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(cmd: &mut Command) -> String {
        let out = cmd.output().expect("the command starts");
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The server package is built from a staged tree: check that tree and the package dpkg-deb makes of
    /// it (the binary here is this test's own executable, a real ELF linking the same C libraries).
    #[test]
    fn the_server_package_holds_the_binary_unit_settings_and_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("debian/banshi-server");
        let binary = std::env::current_exe().unwrap();
        stage_server(&tree, &binary, "9.8.7", "amd64").unwrap();

        let control = std::fs::read_to_string(tree.join("DEBIAN/control")).unwrap();
        assert!(control.contains("Package: banshi-server\nVersion: 9.8.7\nArchitecture: amd64\n"));
        let depends = control
            .lines()
            .find_map(|l| l.strip_prefix("Depends: "))
            .unwrap();
        assert!(depends.starts_with("libc6"), "{depends}");
        assert!(depends.ends_with(", passwd"), "{depends}");
        assert_eq!(
            std::fs::read_to_string(tree.join("DEBIAN/conffiles")).unwrap(),
            "/etc/default/banshi-server\n"
        );
        let unit =
            std::fs::read_to_string(tree.join("lib/systemd/system/banshi-server.service")).unwrap();
        for line in [
            "Type=notify",
            "WatchdogSec=30",
            "Restart=on-failure",
            "User=banshi-server",
            "ExecStart=/usr/bin/banshi-server serve",
            "EnvironmentFile=-/etc/default/banshi-server",
        ] {
            assert!(unit.lines().any(|l| l == line), "unit lacks {line}");
        }
        let postinst = std::fs::read_to_string(tree.join("DEBIAN/postinst")).unwrap();
        assert!(postinst.contains("useradd --system"));
        assert!(
            !dir.path().join("debian/control").exists(),
            "dpkg-shlibdeps' control file is left behind"
        );

        let deb = dir.path().join("banshi-server.deb");
        output(
            Command::new("dpkg-deb")
                .args(["--build", "--root-owner-group"])
                .arg(&tree)
                .arg(&deb),
        );
        let contents = output(Command::new("dpkg-deb").arg("--contents").arg(&deb));
        for (mode, path) in [
            ("-rwxr-xr-x root/root", "./usr/bin/banshi-server"),
            (
                "-rw-r--r-- root/root",
                "./lib/systemd/system/banshi-server.service",
            ),
            ("-rw------- root/root", "./etc/default/banshi-server"),
            (
                "-rw-r--r-- root/root",
                "./usr/share/doc/banshi-server/operations.md",
            ),
        ] {
            assert!(
                contents
                    .lines()
                    .any(|l| l.starts_with(mode) && l.ends_with(path)),
                "{path} ({mode}) not in:\n{contents}"
            );
        }
        let info = output(
            Command::new("dpkg-deb")
                .args(["--field"])
                .arg(&deb)
                .args(["Package", "Version"]),
        );
        assert_eq!(info, "Package: banshi-server\nVersion: 9.8.7\n");
    }

    /// `systemd-analyze verify` on every unit we ship, in a throwaway root holding systemd's own units and
    /// stand-ins for the programs they start (the real ones are not installed where tests run). It prints
    /// bad directives as warnings and still exits 0, so any output fails the test.
    #[test]
    fn the_systemd_units_pass_systemd_analyze_verify() {
        let Ok(status) = Command::new("systemd-analyze").arg("--version").output() else {
            panic!("systemd-analyze is missing: install the systemd package");
        };
        assert!(status.status.success());
        let root_dir = tempfile::tempdir().unwrap();
        let fake_root = root_dir.path();
        let units = root().join("packaging/systemd");
        std::fs::create_dir_all(fake_root.join("usr/bin")).unwrap();
        for program in ["banshi", "banshi-server", "cage"] {
            let path = fake_root.join("usr/bin").join(program);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            set_mode(&path, 0o755).unwrap();
        }
        let system = fake_root.join("lib/systemd/system");
        std::fs::create_dir_all(&system).unwrap();
        output(
            Command::new("cp")
                .arg("-a")
                .arg("/lib/systemd/system/.")
                .arg(&system),
        );
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&units).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "service") {
                std::fs::copy(&path, system.join(path.file_name().unwrap())).unwrap();
                names.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
        names.sort();
        assert_eq!(
            names,
            [
                "banshi-device.service",
                "banshi-kiosk.service",
                "banshi-server.service"
            ]
        );
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(format!("--root={}", fake_root.display()))
            .args(&names)
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && said.trim().is_empty(),
            "systemd-analyze verify: {said}"
        );
    }

    /// The Tauri bundler's settings name files that exist, and the maintainer scripts are the ones here.
    #[test]
    fn the_terminal_bundle_settings_name_existing_files() {
        let conf = std::fs::read_to_string(root().join("src-tauri/tauri.conf.json")).unwrap();
        let src_tauri = root().join("src-tauri");
        let mut checked = 0;
        for piece in conf.split('"') {
            if piece.starts_with("../") {
                assert!(src_tauri.join(piece).exists(), "{piece} is missing");
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} paths found");
        for unit in ["banshi-kiosk.service", "banshi-device.service"] {
            assert!(conf.contains(&format!("\"/lib/systemd/system/{unit}\"")));
        }
    }
}
