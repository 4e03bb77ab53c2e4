//! The serial scanner reader against the pty simulator: scans, chunking, GBK, and recovery after unplug/replug.

use std::time::Duration;

use banshi_scanner::sim::SerialScannerSim;
use banshi_scanner::{ScannerError, ScannerStatus, SerialScanner, SerialScannerConfig};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn scans_arrive_whole_whatever_the_chunking_and_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SerialScannerSim::start(dir.path().join("scanner")).unwrap();
    let mut scanner = SerialScanner::new(SerialScannerConfig::new(sim.link()));
    assert_eq!(scanner.health().status, ScannerStatus::Ok);

    sim.scan("https://banshi.example/c/HN-0042").unwrap();
    assert_eq!(
        scanner.next_scan(WAIT).unwrap().as_deref(),
        Some("https://banshi.example/c/HN-0042")
    );

    // One code split over writes, with an LF-only suffix.
    sim.send_raw(b"6901234").unwrap();
    sim.send_raw(b"567892\n").unwrap();
    assert_eq!(
        scanner.next_scan(WAIT).unwrap().as_deref(),
        Some("6901234567892")
    );

    // GBK bytes with a CR suffix, then two codes in one write.
    let (gbk, _, _) = encoding_rs::GBK.encode("政务服务");
    let mut bytes = gbk.into_owned();
    bytes.extend_from_slice(b"\rA\r\nB\r\n");
    sim.send_raw(&bytes).unwrap();
    assert_eq!(
        scanner.next_scan(WAIT).unwrap().as_deref(),
        Some("政务服务")
    );
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some("A"));
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some("B"));

    assert_eq!(scanner.next_scan(Duration::from_millis(50)).unwrap(), None);
}

#[test]
fn the_reader_recovers_by_itself_after_unplug_and_replug() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SerialScannerSim::start(dir.path().join("scanner")).unwrap();
    let mut scanner = SerialScanner::new(SerialScannerConfig::new(sim.link()));
    sim.scan("before").unwrap();
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some("before"));

    // Half a code, then the cable is pulled: the fragment must never be delivered.
    sim.send_raw(b"frag").unwrap();
    sim.unplug();
    let error = scanner.next_scan(WAIT).unwrap_err();
    assert!(matches!(error, ScannerError::Offline { .. }), "{error:?}");
    let health = scanner.health();
    assert_eq!(health.status, ScannerStatus::Offline);
    assert!(health.detail.unwrap().contains("missing"));
    assert!(scanner.next_scan(Duration::from_millis(100)).is_err());

    sim.replug().unwrap();
    sim.scan("after").unwrap();
    assert_eq!(scanner.next_scan(WAIT).unwrap().as_deref(), Some("after"));
    assert_eq!(scanner.health().status, ScannerStatus::Ok);
}
