//! The locked kiosk in the real window under Xvfb, with a real window manager (openbox) so that Alt+F4 and
//! friends arrive as they would on a kiosk: real X key events from `xdotool`, not page-level fakes.
//!
//! (a) keyboard shortcuts do not leave a self-service kiosk — the window stays, full screen, on the same page,
//!     without a reload; and, as the control that proves the keys do arrive, the same Alt+F4 closes a desk
//!     terminal's window at once;
//! (b) the admin gesture + a wrong PIN keeps it running, the right PIN ends the app with exit status 0;
//! (c) the idle reset empties the search field and shows the home screen after the profile's timeout.
//!
//! `#[ignore]`d like the other window tests: `cargo xtask test` runs them under Xvfb with `--ignored`.
//! Needs `openbox` and `xdotool` (Debian packages; `cargo xtask setup` installs them).

use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use banshi_window_e2e::{AppSession, StartOptions};
use fantoccini::Locator;

/// The example profiles' admin PIN (example-only, see kiosk-profiles/examples/self-service.toml).
const EXAMPLE_PIN: &str = "246810";

/// openbox on the test's X display; killed and reaped when dropped, so the next test's openbox finds the
/// window-manager selection free.
struct WindowManager {
    process: std::process::Child,
}

/// The root window's `_NET_SUPPORTING_WM_CHECK` (the running window manager's check window), if any.
async fn wm_check_window() -> anyhow::Result<Option<String>> {
    let out = tokio::process::Command::new("xprop")
        .args(["-root", "_NET_SUPPORTING_WM_CHECK"])
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok(text.contains("window id").then_some(text))
}

impl WindowManager {
    /// Start openbox; retried a few times, since one started right after the previous test's was killed can
    /// exit at once (status 1, nothing said) while the X server still lists the old one as window manager.
    async fn start() -> anyhow::Result<Self> {
        let mut last = anyhow::anyhow!("openbox not started");
        for _ in 0..5 {
            match Self::start_once().await {
                Ok(wm) => return Ok(wm),
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(last)
    }

    async fn start_once() -> anyhow::Result<Self> {
        let log = std::env::temp_dir().join(format!("openbox-{}.log", std::process::id()));
        let process = std::process::Command::new("openbox")
            .arg("--sm-disable")
            // Take over from anything still holding the selection instead of giving up at once.
            .arg("--replace")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting openbox (apt-get install openbox)")?;
        let mut wm = Self { process };
        // Ready once a window manager has claimed the root window and ours is still running a moment later
        // (the check window of a killed one stays on the root, and X may give the new one the same id).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = wm.process.try_wait()? {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("openbox exited at start ({status}): {said}");
            }
            if wm_check_window().await?.is_some() {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if wm.process.try_wait()?.is_none() {
                    return Ok(wm);
                }
                continue;
            }
            if tokio::time::Instant::now() > deadline {
                bail!("openbox did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn xdotool(args: &[&str]) -> anyhow::Result<String> {
    let out = tokio::process::Command::new("xdotool")
        .args(args)
        .output()
        .await
        .context("running xdotool (apt-get install xdotool)")?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The app's visible top-level X windows (xdotool finds them by the pid GTK sets on them).
async fn app_windows(pid: u32) -> anyhow::Result<Vec<String>> {
    Ok(
        xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()])
            .await?
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// `(width, height)` from `xdotool getwindowgeometry` / `getdisplaygeometry`.
async fn window_size(window: &str) -> anyhow::Result<(u32, u32)> {
    let text = xdotool(&["getwindowgeometry", window]).await?;
    let size = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Geometry: "))
        .context("no geometry")?;
    let (w, h) = size.split_once('x').context("geometry")?;
    Ok((w.trim().parse()?, h.trim().parse()?))
}

async fn screen_size() -> anyhow::Result<(u32, u32)> {
    let text = xdotool(&["getdisplaygeometry"]).await?;
    let mut parts = text.split_whitespace();
    Ok((
        parts.next().context("width")?.parse()?,
        parts.next().context("height")?.parse()?,
    ))
}

/// Wait until the app has a visible window; returns its id.
async fn main_window(pid: u32) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(id) = app_windows(pid).await?.into_iter().next() {
            return Ok(id);
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the app showed no window");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn click(app: &AppSession, test_id: &str) -> anyhow::Result<()> {
    app.client
        .find(Locator::Css(&format!("[data-testid=\"{test_id}\"]")))
        .await
        .with_context(|| format!("finding {test_id}"))?
        .click()
        .await
        .with_context(|| format!("clicking {test_id}"))?;
    Ok(())
}

async fn open_pin_pad(app: &AppSession) -> anyhow::Result<()> {
    for _ in 0..5 {
        click(app, "admin-gesture-zone").await?;
    }
    app.text_of("admin-pin-pad").await?;
    Ok(())
}

async fn type_pin(app: &AppSession, pin: &str) -> anyhow::Result<()> {
    for digit in pin.chars() {
        click(app, &format!("pin-digit-{digit}")).await?;
    }
    click(app, "pin-ok").await
}

fn kiosk_options(idle_secs: Option<u32>) -> StartOptions {
    StartOptions {
        edit_profile: idle_secs.map(|secs| {
            Box::new(move |text: String| {
                text.replace(
                    "idle_timeout_secs = 120",
                    &format!("idle_timeout_secs = {secs}"),
                )
            }) as Box<dyn FnOnce(String) -> String + Send>
        }),
        record_exit: true,
    }
}

/// Keys a resident might try; each goes to the focused kiosk window as a real X key event.
const ESCAPES: &[&str] = &[
    "alt+F4",
    "ctrl+w",
    "ctrl+q",
    "Escape",
    "F11",
    "ctrl+r",
    "F5",
    "alt+Left",
    "ctrl+shift+i",
    "super",
    "ctrl+plus",
    "BackSpace",
];

#[tokio::test]
#[ignore = "needs Xvfb, openbox, xdotool, tauri-driver and the built app: run by `cargo xtask test` with --ignored"]
async fn keyboard_shortcuts_do_not_leave_the_self_service_kiosk() {
    let _wm = WindowManager::start().await.expect("openbox");
    let app = AppSession::start_with("self-service", kiosk_options(None))
        .await
        .expect("app session");
    app.text_of("mode-self-service").await.expect("home screen");
    let pid = app.app_pid().await.expect("pid");
    let window = main_window(pid).await.expect("window");
    let screen = screen_size().await.expect("screen");
    assert_eq!(
        window_size(&window).await.expect("geometry"),
        screen,
        "opens full screen"
    );
    let page = app.client.current_url().await.expect("url");
    // A reload would lose this mark.
    app.client
        .execute("window.__kioskMark = 'still here'; return true", vec![])
        .await
        .expect("mark");
    xdotool(&["windowactivate", "--sync", &window])
        .await
        .expect("focus");

    for keys in ESCAPES {
        xdotool(&["key", "--clearmodifiers", keys])
            .await
            .expect("key");
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(alive(pid), "{keys}: the app ended");
        let windows = app_windows(pid).await.expect("windows");
        assert_eq!(
            windows,
            std::slice::from_ref(&window),
            "{keys}: the window is gone or another opened"
        );
        assert_eq!(
            window_size(&window).await.expect("geometry"),
            screen,
            "{keys}: no longer full screen"
        );
        assert_eq!(
            app.client.current_url().await.expect("url"),
            page,
            "{keys}: left the page"
        );
        let mark = app
            .client
            .execute("return window.__kioskMark ?? null", vec![])
            .await
            .expect("mark");
        assert_eq!(
            mark,
            serde_json::json!("still here"),
            "{keys}: the page reloaded"
        );
        app.text_of("mode-self-service")
            .await
            .expect("home screen still shown");
    }
    app.screenshot("lockdown-kiosk-after-shortcuts")
        .await
        .expect("screenshot");
    app.finish().await.expect("finish");
}

/// The control: without the kiosk lock, the very same Alt+F4 under openbox closes the window and ends the app.
/// So the test above would fail if the window stopped refusing close requests.
#[tokio::test]
#[ignore = "needs Xvfb, openbox, xdotool, tauri-driver and the built app: run by `cargo xtask test` with --ignored"]
async fn alt_f4_closes_a_desk_terminal_that_is_not_locked() {
    let _wm = WindowManager::start().await.expect("openbox");
    let app = AppSession::start_with(
        "office",
        StartOptions {
            edit_profile: None,
            record_exit: true,
        },
    )
    .await
    .expect("app session");
    app.text_of("mode-office").await.expect("office screen");
    let pid = app.app_pid().await.expect("pid");
    let window = main_window(pid).await.expect("window");
    // A key sent while openbox is still taking over focus can be lost (seen once in about ten runs), so the
    // control presses Alt+F4 again until the app ends: what it shows is that the key *can* close this window.
    let mut status = None;
    for _ in 0..5 {
        if xdotool(&["windowactivate", "--sync", &window])
            .await
            .is_err()
        {
            // The window is gone: the previous press closed it.
            status = app
                .wait_for_exit(Duration::from_secs(5))
                .await
                .expect("exit status");
            break;
        }
        xdotool(&["key", "--clearmodifiers", "alt+F4"])
            .await
            .expect("key");
        status = app
            .wait_for_exit(Duration::from_secs(4))
            .await
            .expect("exit status");
        if status.is_some() {
            break;
        }
    }
    assert_eq!(status, Some(0), "Alt+F4 closes an unlocked window");
    app.finish().await.expect("finish");
}

#[tokio::test]
#[ignore = "needs Xvfb, openbox, xdotool, tauri-driver and the built app: run by `cargo xtask test` with --ignored"]
async fn the_admin_gesture_and_pin_leave_the_kiosk_with_exit_status_0() {
    let _wm = WindowManager::start().await.expect("openbox");
    let app = AppSession::start_with("self-service", kiosk_options(None))
        .await
        .expect("app session");
    app.text_of("mode-self-service").await.expect("home screen");
    let pid = app.app_pid().await.expect("pid");

    open_pin_pad(&app).await.expect("PIN pad");
    type_pin(&app, "135790").await.expect("wrong PIN");
    assert_eq!(
        app.text_of("pin-error").await.expect("error").trim(),
        "管理员 PIN 不正确"
    );
    app.screenshot("lockdown-pin-pad-wrong-pin")
        .await
        .expect("screenshot");
    assert!(alive(pid), "a wrong PIN keeps the kiosk running");
    assert_eq!(
        app.wait_for_exit(Duration::from_millis(0))
            .await
            .expect("status"),
        None
    );

    type_pin(&app, EXAMPLE_PIN).await.expect("right PIN");
    let status = app
        .wait_for_exit(Duration::from_secs(30))
        .await
        .expect("exit status");
    assert_eq!(status, Some(0), "the right PIN ends the app with status 0");
    assert!(!alive(pid));
    app.finish().await.expect("finish");
}

#[tokio::test]
#[ignore = "needs Xvfb, openbox, xdotool, tauri-driver and the built app: run by `cargo xtask test` with --ignored"]
async fn the_idle_reset_empties_the_search_field_and_shows_the_home_screen() {
    let _wm = WindowManager::start().await.expect("openbox");
    let app = AppSession::start_with("self-service", kiosk_options(Some(10)))
        .await
        .expect("app session");
    app.text_of("mode-self-service").await.expect("home screen");
    let input = app
        .client
        .find(Locator::Css("[data-testid=\"search-input\"]"))
        .await
        .expect("search field");
    input.click().await.expect("focus the field");
    app.text_of("osk")
        .await
        .expect("the on-screen keyboard opens");
    input.send_keys("社保卡").await.expect("type");
    assert_eq!(
        input.prop("value").await.expect("value").as_deref(),
        Some("社保卡")
    );
    open_pin_pad(&app).await.expect("PIN pad");
    app.screenshot("lockdown-before-idle-reset")
        .await
        .expect("screenshot");

    // Nothing touches the screen now; WebDriver reads do not count as input.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let value = input.prop("value").await.expect("value");
        if value.as_deref() == Some("") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the field was not wiped: {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.text_of("mode-self-service").await.expect("home screen");
    let left = app
        .client
        .execute(
            "return ['admin-pin-pad', 'osk', 'search-result'].filter(id => document.querySelector(`[data-testid=\"${id}\"]`))",
            vec![],
        )
        .await
        .expect("query");
    assert_eq!(
        left,
        serde_json::json!([]),
        "PIN pad, keyboard and results are gone"
    );
    app.screenshot("lockdown-after-idle-reset")
        .await
        .expect("screenshot");
    app.finish().await.expect("finish");
}
