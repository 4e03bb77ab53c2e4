//! Driving the real `banshi` window: tauri-driver (WebDriver for Tauri apps) starts the app through
//! WebKitWebDriver, so the test sees exactly what a kiosk shows — the WebKitGTK webview, Tauri IPC and the
//! backend. Run under Xvfb (`cargo xtask test` does: `xvfb-run -a cargo test -p banshi-window-e2e`).
//!
//! The app and tauri-driver come from `BANSHI_APP` and `TAURI_DRIVER` (defaults: `target/debug/banshi`
//! and `tauri-driver` on PATH). The profile and data folder reach the app through `BANSHI_PROFILE` and
//! `BANSHI_DATA_DIR`, which tauri-driver and WebKitWebDriver pass on to the process they start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use fantoccini::{Client, ClientBuilder, Locator};

/// A running app session; call [`AppSession::finish`] to close it cleanly.
#[derive(Debug)]
pub struct AppSession {
    pub client: Client,
    driver: tokio::process::Child,
    data: tempfile::TempDir,
    /// Set when started through the exit-recording wrapper ([`StartOptions::record_exit`]).
    recorded: bool,
}

/// How [`AppSession::start_with`] starts the app.
#[derive(Default)]
pub struct StartOptions {
    /// Rewrites the example profile's text before the app reads it (e.g. a shorter idle timeout).
    pub edit_profile: Option<Box<dyn FnOnce(String) -> String + Send>>,
    /// Start the app through a small shell wrapper that writes its pid and, when it ends, its exit status
    /// ([`AppSession::app_pid`], [`AppSession::wait_for_exit`]). WebKitWebDriver starts the wrapper with the
    /// same arguments and environment it would give the app.
    pub record_exit: bool,
}

impl std::fmt::Debug for StartOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartOptions")
            .field("edit_profile", &self.edit_profile.is_some())
            .field("record_exit", &self.record_exit)
            .finish()
    }
}

/// The wrapper of [`StartOptions::record_exit`]. It runs the app as its child, passes SIGTERM/SIGINT on (so
/// ending the session still ends the app), and records the child's pid and exit status.
const WRAPPER: &str = r#"#!/bin/sh
"$BANSHI_REAL_APP" "$@" &
child=$!
echo "$child" > "$BANSHI_PID_FILE.tmp" && mv "$BANSHI_PID_FILE.tmp" "$BANSHI_PID_FILE"
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
wait "$child"
status=$?
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
echo "$status" > "$BANSHI_EXIT_FILE.tmp" && mv "$BANSHI_EXIT_FILE.tmp" "$BANSHI_EXIT_FILE"
exit "$status"
"#;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl AppSession {
    /// Start the app with the example profile for `mode`.
    pub async fn start(mode: &str) -> anyhow::Result<Self> {
        Self::start_with(mode, StartOptions::default()).await
    }

    /// Start the app with the example profile for `mode`, as `options` say.
    pub async fn start_with(mode: &str, options: StartOptions) -> anyhow::Result<Self> {
        let app = std::env::var_os("BANSHI_APP")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target/debug/banshi"));
        if !app.exists() {
            bail!(
                "the banshi app is not built at {} (cargo xtask test builds it)",
                app.display()
            );
        }
        let driver_bin = std::env::var_os("TAURI_DRIVER").unwrap_or_else(|| "tauri-driver".into());
        let profile = repo_root()
            .join("kiosk-profiles/examples")
            .join(format!("{mode}.toml"));
        let data = tempfile::tempdir()?;
        let profile = match options.edit_profile {
            None => profile,
            Some(edit) => {
                let text = std::fs::read_to_string(&profile)
                    .with_context(|| format!("reading {}", profile.display()))?;
                let edited = data.path().join(format!("{mode}.toml"));
                std::fs::write(&edited, edit(text))?;
                edited
            }
        };
        let (port, native_port) = (free_port()?, free_port()?);
        let mut command = tokio::process::Command::new(&driver_bin);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("BANSHI_PROFILE", &profile)
            .env("BANSHI_DATA_DIR", data.path().join("terminal"))
            .kill_on_drop(true);
        let app = if options.record_exit {
            use std::os::unix::fs::PermissionsExt;
            let wrapper = data.path().join("banshi-wrapper.sh");
            std::fs::write(&wrapper, WRAPPER)?;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))?;
            command
                .env("BANSHI_REAL_APP", &app)
                .env("BANSHI_PID_FILE", data.path().join("app.pid"))
                .env("BANSHI_EXIT_FILE", data.path().join("app.exit"));
            wrapper
        } else {
            app
        };
        let driver = command
            .spawn()
            .with_context(|| format!("starting {driver_bin:?}"))?;

        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), serde_json::json!("wry"));
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app }),
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::native()
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(error) if tokio::time::Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => bail!("tauri-driver did not start a session: {error}"),
            }
        };
        Ok(Self {
            client,
            driver,
            data,
            recorded: options.record_exit,
        })
    }

    /// The app's process id (only with [`StartOptions::record_exit`]); waits up to 30 s for it.
    pub async fn app_pid(&self) -> anyhow::Result<u32> {
        if !self.recorded {
            bail!("the app was not started with record_exit");
        }
        let file = self.data.path().join("app.pid");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                return Ok(text.trim().parse()?);
            }
            if tokio::time::Instant::now() > deadline {
                bail!("the wrapper wrote no pid");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The app's exit status once it has ended (only with [`StartOptions::record_exit`]); `None` if it is
    /// still running after `within`.
    pub async fn wait_for_exit(&self, within: Duration) -> anyhow::Result<Option<i32>> {
        if !self.recorded {
            bail!("the app was not started with record_exit");
        }
        let file = self.data.path().join("app.exit");
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                return Ok(Some(text.trim().parse()?));
            }
            if tokio::time::Instant::now() > deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Text of the first element with `data-testid`, waiting up to 30 s for it.
    pub async fn text_of(&self, test_id: &str) -> anyhow::Result<String> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&format!("[data-testid=\"{test_id}\"]")))
            .await
            .with_context(|| format!("waiting for [data-testid={test_id}]"))?;
        Ok(element.text().await?)
    }

    /// Save a screenshot of the window under `BANSHI_SCREENSHOTS` (default `target/e2e-screenshots`).
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        // WebKitWebDriver can return the previous frame; two animation frames make it current
        // (tauri-facts.md, pitfall 4).
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)))",
                vec![],
            )
            .await?;
        let dir = std::env::var_os("BANSHI_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target/e2e-screenshots"));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// Close the session and stop tauri-driver with SIGTERM, so it stops WebKitWebDriver too (a SIGKILL
    /// would orphan it: tauri-facts.md, pitfall 5).
    pub async fn finish(mut self) -> anyhow::Result<()> {
        // An app that has already ended (a kiosk left with the admin PIN) has no session left to close.
        let app_ended = self.recorded
            && self
                .wait_for_exit(Duration::from_millis(0))
                .await?
                .is_some();
        let closed = self.client.clone().close().await;
        if !app_ended {
            closed?;
        }
        if self.recorded && !app_ended {
            // The wrapper passes SIGTERM on; make sure the app it started is gone too.
            if let Ok(pid) = self.app_pid().await {
                let _ = tokio::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .await;
            }
        }
        if let Some(pid) = self.driver.id() {
            let _ = tokio::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.driver.wait()).await;
        Ok(())
    }
}
