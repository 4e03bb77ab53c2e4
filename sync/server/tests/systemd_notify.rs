//! `banshi-server serve` under a service manager: the real binary, started the way systemd starts a
//! `Type=notify` unit with `WatchdogSec=` (a `NOTIFY_SOCKET` datagram socket and `WATCHDOG_USEC`), must
//! report READY=1 once it listens, feed the watchdog, and report STOPPING=1 on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

fn next_message(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = socket
        .recv(&mut buf)
        .expect("a notification before the read timeout");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn serve_notifies_ready_feeds_the_watchdog_and_notifies_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    // Generous: the first start of a debug build may be slow on a busy machine; nothing is timed.
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let db = format!("sqlite:{}", dir.path().join("server.sqlite").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_banshi-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &db])
        .env("NOTIFY_SOCKET", &path)
        // 200 ms: the server pings every 100 ms. No WATCHDOG_PID: the watchdog is meant for whoever reads it.
        .env("WATCHDOG_USEC", "200000")
        .env_remove("WATCHDOG_PID")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let first = next_message(&socket);
    assert_eq!(first, "READY=1\n");
    for _ in 0..2 {
        assert_eq!(next_message(&socket), "WATCHDOG=1\n");
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Watchdog pings may still be in flight before the stop notice.
    let stopping = (0..50)
        .map(|_| next_message(&socket))
        .find(|m| m != "WATCHDOG=1\n");
    assert_eq!(stopping.as_deref(), Some("STOPPING=1\n"));
    assert!(child.wait().unwrap().success());
}
