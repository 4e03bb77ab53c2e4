//! The HID reader fed with recorded `struct input_event` records through a FIFO, the same bytes and the same
//! reader code a real `/dev/input/eventN` would use (there is no `/dev/uinput` to make a virtual keyboard here).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use banshi_core::SystemClock;
use banshi_scanner::sim::write_hid_scan;
use banshi_scanner::wedge::records_for_text;
use banshi_scanner::{HidScanner, HidScannerConfig, ScannerError, ScannerStatus};

const WAIT: Duration = Duration::from_secs(10);

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo failed");
}

/// Open the FIFO for writing (blocks until the reader opens it) and write `chunks` one by one.
fn writer(path: &Path, chunks: Vec<Vec<u8>>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut fifo = OpenOptions::new().write(true).open(path).unwrap();
        for chunk in chunks {
            fifo.write_all(&chunk).unwrap();
            fifo.flush().unwrap();
        }
    })
}

fn scan_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    write_hid_scan(&mut out, text).unwrap();
    out
}

#[test]
fn scans_with_shift_and_enter_arrive_through_a_fifo_and_the_reader_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("scanner-event-kbd");
    mkfifo(&fifo);
    let mut scanner = HidScanner::start(HidScannerConfig::new(&fifo), Arc::new(SystemClock));

    let first = "HTTPS://Banshi.example/q?ID=Ab_9&n=%7E";
    let second = "BSQ1.k-2026.eyJzdWIiOiJ4In0.00ff";
    // Split the second scan's bytes mid-record: a FIFO read may return part of a record.
    let mut both = scan_bytes(first);
    both.extend(scan_bytes(second));
    let cut = both.len() - 37;
    let writing = writer(&fifo, vec![both[..cut].to_vec(), both[cut..].to_vec()]);
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some(first));
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some(second));
    writing.join().unwrap();
    assert_eq!(scanner.health().status, ScannerStatus::Ok);

    // The writer closed: like an unplugged scanner, the reader reports it and opens the path again.
    let lost = scanner.next_scan(WAIT).unwrap_err();
    assert!(matches!(lost, ScannerError::Offline { .. }), "{lost:?}");
    assert_eq!(scanner.health().status, ScannerStatus::Offline);

    let writing = writer(&fifo, vec![scan_bytes("after-replug-123")]);
    assert_eq!(
        scanner.next_scan(WAIT).unwrap().as_deref(),
        Some("after-replug-123")
    );
    assert_eq!(scanner.health().status, ScannerStatus::Ok);
    writing.join().unwrap();
}

#[test]
fn a_scan_without_enter_ends_after_the_inter_key_gap() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("scanner-no-suffix");
    mkfifo(&fifo);
    let mut config = HidScannerConfig::new(&fifo);
    config.inter_key_gap = Duration::from_millis(50);
    let mut scanner = HidScanner::start(config, Arc::new(SystemClock));
    // Drop the Enter press/release (the last four records: press, syn, release, syn).
    let records = records_for_text("NOSUFFIX42");
    let without_enter: Vec<u8> = records[..records.len() - 4].concat();
    // Keep the FIFO open while waiting, so the gap (not the end of input) ends the scan.
    let (done_sender, done) = std::sync::mpsc::channel::<()>();
    let path = fifo.clone();
    let writing = std::thread::spawn(move || {
        let mut fifo = OpenOptions::new().write(true).open(path).unwrap();
        fifo.write_all(&without_enter).unwrap();
        fifo.flush().unwrap();
        done.recv().unwrap();
    });
    assert_eq!(
        scanner.next_scan(WAIT).unwrap().as_deref(),
        Some("NOSUFFIX42")
    );
    done_sender.send(()).unwrap();
    writing.join().unwrap();
}

#[test]
fn a_recorded_trace_file_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.bin");
    std::fs::write(&trace, [scan_bytes("one"), scan_bytes("two")].concat()).unwrap();
    let mut scanner = HidScanner::start(HidScannerConfig::new(&trace), Arc::new(SystemClock));
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some("one"));
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some("two"));
    assert!(matches!(
        scanner.next_scan(WAIT),
        Err(ScannerError::Offline { .. })
    ));
}

#[test]
fn a_missing_device_is_offline() {
    let mut scanner = HidScanner::start(
        HidScannerConfig::new("/dev/input/by-id/no-such-scanner-event-kbd"),
        Arc::new(SystemClock),
    );
    let error = scanner.next_scan(WAIT).unwrap_err();
    assert!(matches!(error, ScannerError::Offline { .. }));
    let health = scanner.health();
    assert_eq!(health.status, ScannerStatus::Offline);
    assert!(health.detail.unwrap().contains("no-such-scanner"));
}
