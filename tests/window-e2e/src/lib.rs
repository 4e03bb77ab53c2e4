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
    _data: tempfile::TempDir,
}

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
        let (port, native_port) = (free_port()?, free_port()?);
        let driver = tokio::process::Command::new(&driver_bin)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("BANSHI_PROFILE", &profile)
            .env("BANSHI_DATA_DIR", data.path())
            .kill_on_drop(true)
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
            _data: data,
        })
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
        self.client.close().await?;
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
