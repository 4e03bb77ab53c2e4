//! `cargo xtask demo`: a demo hall on one machine.
//!
//! Starts `banshi-server` (127.0.0.1:8300, SQLite under target/demo), the ESC/POS printer simulator
//! (127.0.0.1:9100, each ticket decoded to the log and to text/PNG files), and three terminals from the
//! example profiles: a queue machine, window 5 and a call screen. Each ID card reader is a simulated
//! reader on a pty (`target/demo/idcard-<mode>`, a resident's card on it), and voice calls are written
//! as WAV files to `target/demo/voice` (the demo machine may have no speakers). With a display the
//! terminals open as windows; without one (or with `--serve`) they run as `banshi serve` and the URLs are
//! printed. Ctrl-C stops all.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::{bin, build_binaries, build_ui, root, setup, target_dir};

const SERVER: &str = "127.0.0.1:8300";
const PRINTER: &str = "127.0.0.1:9100";
/// (example profile, serve address, what a person does there)
const TERMINALS: &[(&str, &str, &str)] = &[
    (
        "queue-ticket",
        "127.0.0.1:8401",
        "queue machine: press a category to take a ticket",
    ),
    (
        "window",
        "127.0.0.1:8402",
        "window 5: the ticket appears in the waiting list; its customer screen is /#/customer",
    ),
    (
        "call-screen",
        "127.0.0.1:8403",
        "call screen: waiting counts per category",
    ),
];

struct Running {
    name: String,
    child: Child,
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let force_serve = args.iter().any(|a| a == "--serve");
    if let Some(other) = args.iter().find(|a| *a != "--serve") {
        bail!("unknown option {other}; usage: cargo xtask demo [--serve]");
    }
    setup::ensure_apt_packages()?;
    setup::ensure_npm_packages(&root().join("ui"))?;
    build_ui()?;
    build_binaries()?;

    for address in [SERVER, PRINTER]
        .iter()
        .chain(TERMINALS.iter().map(|t| &t.1))
    {
        if TcpStream::connect(address).is_ok() {
            bail!("{address} is already in use — is another demo running?");
        }
    }
    let demo = target_dir().join("demo");
    std::fs::create_dir_all(demo.join("printer"))?;
    let windows = !force_serve && std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;

    let mut running: Vec<Running> = Vec::new();
    let result = start_all(&demo, windows, &mut running).and_then(|()| {
        print_summary(&demo, windows);
        supervise(&stop, &mut running)
    });
    shut_down(&mut running);
    result
}

/// Demo-only passwords, printed when the demo starts; a real installation sets its own.
const DEMO_ADMIN_PASSWORD: &str = "Admin-2026!";
const DEMO_STAFF_PASSWORD: &str = "Clerk-2026!";
/// The hall file's staff and a supervisor: id, name, role, window ("" for none).
const DEMO_STAFF: [(&str, &str, &str, &str); 4] = [
    ("s001", "王芳", "clerk", "5"),
    ("s002", "李明", "clerk", "1"),
    ("s003", "张伟", "clerk", ""),
    ("sup01", "值班主管", "supervisor", ""),
];

fn start_all(demo: &Path, windows: bool, running: &mut Vec<Running>) -> anyhow::Result<()> {
    let db = format!("sqlite:{}", demo.join("server.sqlite").display());
    // The demo hall's terminals enroll themselves with one token, as an installer would hand them.
    let token = enrollment_token(&db)?;
    running.push(spawn(
        "banshi-server",
        Command::new(bin("banshi-server"))
            .args(["serve", "--listen", SERVER, "--db", &db])
            .env("BANSHI_LOG", "info"),
    )?);
    let out = demo.join("printer");
    running.push(spawn(
        "printer simulator",
        Command::new(bin("banshi-escpos-sim"))
            .args(["--listen", PRINTER, "--out"])
            .arg(&out)
            .env("BANSHI_LOG", "info"),
    )?);
    wait_for(SERVER)?;
    wait_for(PRINTER)?;
    // As an installer would: the first fleet admin, the hall's staff accounts, then the hall's set-up
    // (categories, windows, staff), all sent to the server from the admin terminal. A rerun finds the
    // accounts already there and keeps them.
    let (admin, _) = demo_profile(demo, "admin", &demo.join("idcard-admin"))?;
    let admin_cli = |args: &[&str]| {
        let mut cmd = Command::new(bin("banshi"));
        cmd.arg("--profile")
            .arg(&admin)
            .args(args)
            .arg("--data")
            .arg(demo.join("admin"))
            .env("BANSHI_LOG", "warn")
            .env("BANSHI_ENROLLMENT_TOKEN", &token)
            .env("BANSHI_STAFF_PASSWORD", DEMO_ADMIN_PASSWORD)
            .env("BANSHI_NEW_PASSWORD", DEMO_STAFF_PASSWORD);
        cmd
    };
    let first_start = !demo.join("admin").join("terminal.sqlite").exists();
    if first_start {
        crate::run(
            admin_cli(&[
                "staff",
                "bootstrap",
                "--id",
                "admin",
                "--name",
                "演示管理员",
            ])
            .env("BANSHI_NEW_PASSWORD", DEMO_ADMIN_PASSWORD),
        )?;
        for (id, name, role, window) in DEMO_STAFF {
            let mut args = vec![
                "staff",
                "add",
                "--as",
                "admin",
                "--id",
                id,
                "--name",
                name,
                "--role",
                role,
                "--permanent",
            ];
            if !window.is_empty() {
                args.extend(["--window", window]);
            }
            crate::run(&mut admin_cli(&args))?;
        }
    }
    crate::run(
        admin_cli(&["hall", "import", "--as", "admin"])
            .arg(root().join("kiosk-profiles/halls/hk-longhua.toml")),
    )?;
    if first_start {
        // The admin console (enrolled by the import's sync) becomes a fleet admin terminal, the only kind the
        // server takes a catalogue from; then the demo catalogue goes to every terminal.
        let admin_id = banshi_profile_terminal_id(&admin)?;
        crate::run(Command::new(bin("banshi-server")).args([
            "terminal",
            "fleet-admin",
            &admin_id,
            "--db",
            &db,
        ]))?;
        crate::run(
            admin_cli(&["catalogue", "publish", "--as", "admin"])
                .env("BANSHI_STAFF_PASSWORD", DEMO_ADMIN_PASSWORD)
                .arg(root().join("core/domain/catalogue/demo.toml")),
        )?;
    }
    for (mode, address, _) in TERMINALS {
        let reader = demo.join(format!("idcard-{mode}"));
        let (profile, has_reader) = demo_profile(demo, mode, &reader)?;
        if has_reader {
            // One simulated reader per terminal, as in a hall: a serial port belongs to one process.
            running.push(spawn(
                &format!("ID card reader simulator ({mode})"),
                Command::new(bin("banshi-idcard-sim"))
                    .arg("--link")
                    .arg(&reader)
                    .args(["--card", "resident"])
                    .stdin(std::process::Stdio::null())
                    .env("BANSHI_LOG", "info"),
            )?);
        }
        let data = demo.join(mode);
        let mut cmd = Command::new(bin("banshi"));
        if windows {
            cmd.arg("--profile").arg(&profile).arg("--data").arg(&data);
        } else {
            cmd.args(["serve", "--listen", address, "--profile"])
                .arg(&profile)
                .arg("--data")
                .arg(&data);
        }
        running.push(spawn(
            mode,
            cmd.env("BANSHI_LOG", "warn")
                .env("BANSHI_ENROLLMENT_TOKEN", &token),
        )?);
        if !windows {
            wait_for(address)?;
        }
    }
    Ok(())
}

/// The example profile for `mode`, with its reader pointed at the simulator and its voice at the bundled
/// clips, speaking into WAV files.
fn demo_profile(
    demo: &Path,
    mode: &str,
    reader: &Path,
) -> anyhow::Result<(std::path::PathBuf, bool)> {
    let example = root()
        .join("kiosk-profiles/examples")
        .join(format!("{mode}.toml"));
    let text = std::fs::read_to_string(&example)
        .with_context(|| format!("reading {}", example.display()))?;
    let clips = root().join("drivers/voice/clips");
    let has_reader = text.contains("port = \"/dev/ttyUSB0\"");
    let text = text
        .replace(
            "port = \"/dev/ttyUSB0\"",
            &format!("port = \"{}\"", reader.display()),
        )
        .replace(
            "clips = \"/usr/share/banshi/voice\"",
            &format!(
                "clips = \"{}\"\noutput = \"wav:{}\"",
                clips.display(),
                demo.join("voice").display()
            ),
        );
    let profile = demo.join(format!("{mode}.toml"));
    std::fs::write(&profile, text).with_context(|| format!("writing {}", profile.display()))?;
    Ok((profile, has_reader))
}

/// The `[terminal] id` of a profile file. xtask depends on no banshi crate and no TOML parser, and the example
/// profiles write the key as `id = "…"` on its own line, so a line scan is enough.
fn banshi_profile_terminal_id(profile: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(profile)?;
    let mut in_terminal = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_terminal = line == "[terminal]";
        } else if let Some(rest) = line.strip_prefix("id").filter(|_| in_terminal) {
            if let Some(value) = rest.trim_start().strip_prefix('=') {
                return Ok(value.trim().trim_matches('"').to_string());
            }
        }
    }
    anyhow::bail!("{} has no [terminal] id", profile.display())
}

fn spawn(name: &str, cmd: &mut Command) -> anyhow::Result<Running> {
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {name}: {cmd:?}"))?;
    Ok(Running {
        name: name.to_string(),
        child,
    })
}

fn wait_for(address: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(address).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing is listening on {address} after 30 s")
}

fn print_summary(demo: &Path, windows: bool) {
    println!();
    println!("Banshi demo hall (海口市龙华区政务服务中心) is running:");
    println!("  sync server        http://{SERVER}/healthz   (metrics: http://{SERVER}/metrics)");
    println!(
        "  ticket printer     {PRINTER} — decoded tickets are logged here and saved in {}",
        demo.join("printer").display()
    );
    for (mode, address, what) in TERMINALS {
        if windows {
            println!("  {mode:<18} window — {what}");
        } else {
            println!("  {mode:<18} http://{address}/ — {what}");
        }
    }
    println!(
        "  staff logins       admin / {DEMO_ADMIN_PASSWORD} (fleet admin); s001 王芳 (window 5), s002, s003, \
         sup01 (supervisor) / {DEMO_STAFF_PASSWORD}"
    );
    println!("Press Ctrl-C to stop everything.");
}

fn supervise(stop: &AtomicBool, running: &mut [Running]) -> anyhow::Result<()> {
    while !stop.load(Ordering::SeqCst) {
        for r in running.iter_mut() {
            if let Some(status) = r.child.try_wait()? {
                bail!("{} stopped unexpectedly ({status})", r.name);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("\nStopping the demo hall…");
    Ok(())
}

/// SIGTERM everything (each program shuts down cleanly on it), then wait; kill what does not stop.
fn shut_down(running: &mut [Running]) {
    for r in running.iter() {
        let _ = Command::new("kill")
            .args(["-TERM", &r.child.id().to_string()])
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for r in running.iter_mut() {
        while Instant::now() < deadline {
            if let Ok(Some(_)) = r.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Ok(None) = r.child.try_wait() {
            let _ = r.child.kill();
            let _ = r.child.wait();
        }
    }
    println!("Demo hall stopped.");
}

/// A token from `banshi-server token create` good for every demo terminal (already enrolled terminals keep
/// their enrollment across demo runs and ignore it).
fn enrollment_token(db: &str) -> anyhow::Result<String> {
    let output = Command::new(bin("banshi-server"))
        .args([
            "token",
            "create",
            "--db",
            db,
            "--hall",
            "hk-longhua",
            "--uses",
        ])
        // One more for the admin terminal that imports the hall file.
        .arg((TERMINALS.len() + 1).to_string())
        .output()
        .context("running banshi-server token create")?;
    anyhow::ensure!(
        output.status.success(),
        "banshi-server token create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}
