//! The `banshi-idcard-sim` binary as the demo hall and installers use it: started with a link path and
//! a card, then steered by lines on standard input, while the real driver reads through the link.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use banshi_core::ErrorCode;
use banshi_idcard::sim::fixtures::CardFixture;
use banshi_idcard::{CardKind, ReaderStatus, SerialConfig, SerialReader};
use time::macros::date;

struct Sim {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Sim {
    /// Sends one command and waits for the binary's `ok`, so the next step sees its effect.
    fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        let mut reply = String::new();
        self.stdout.read_line(&mut reply).unwrap();
        if line.starts_with("place") {
            assert!(reply.starts_with("placed"), "{reply}");
            reply.clear();
            self.stdout.read_line(&mut reply).unwrap();
        }
        assert_eq!(reply.trim(), "ok", "reply to {line:?}");
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.child.wait();
    }
}

#[test]
fn the_simulator_binary_is_steered_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("idcard");
    let mut child = Command::new(env!("CARGO_BIN_EXE_banshi-idcard-sim"))
        .args(["--link", link.to_str().unwrap(), "--card", "resident"])
        .args(["--born", "1950-05-01"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ready = String::new();
    stdout.read_line(&mut ready).unwrap();
    assert!(ready.contains("ready"), "{ready}");
    let mut sim = Sim {
        child,
        stdin,
        stdout,
    };

    let mut reader = SerialReader::new(&link, SerialConfig::default());
    let card = reader.read_card().unwrap();
    assert_eq!(card.birth_date, date!(1950 - 05 - 01));
    assert_eq!(
        card.number,
        CardFixture::resident()
            .with_birth_date(date!(1950 - 05 - 01))
            .number()
    );

    sim.command("remove");
    sim.command("place foreigner-2023 seq=3");
    assert_eq!(reader.read_card().unwrap().kind, CardKind::Foreigner2023);

    sim.command("fault sam selftest");
    assert_eq!(reader.probe().status, ReaderStatus::Degraded);
    sim.command("fault clear");

    sim.command("unplug");
    assert_eq!(reader.probe().status, ReaderStatus::Offline);
    sim.command("replug");
    assert_eq!(reader.probe().status, ReaderStatus::Ok);

    sim.command("fault noise on");
    sim.command("fault chunked on");
    sim.command("place hmt");
    assert_eq!(reader.read_card().unwrap().kind, CardKind::HmtPermit);

    sim.command("fault drop 1");
    assert_eq!(reader.read_card().unwrap_err().code(), "idcard.timeout");
    assert_eq!(
        reader.read_card().unwrap_err().code(),
        "idcard.card_already_read"
    );
}
