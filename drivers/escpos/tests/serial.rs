//! The serial transport against a printer on the other end of a real pty: the bytes a ticket printer
//! on `/dev/ttyUSB0` would receive, and its `DLE EOT` answers.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use banshi_escpos::{
    encode, Align, EncodeOptions, PaperStatus, Printer, Slip, SlipLine, Transport,
};
use banshi_escpos_sim::{render_text, Op, PaperState, Parser, SimState};
use serialport::{SerialPort, TTYPort};

/// A printer behind the pty's master side: parses what arrives, answers status requests from `state`,
/// and keeps the parsed operations.
fn printer_on_pty(state: SimState) -> (String, Arc<Mutex<Vec<Op>>>) {
    let (mut master, slave) = TTYPort::pair().expect("pty pair");
    let path = slave.name().expect("slave has a path");
    master
        .set_timeout(Duration::from_millis(50))
        .expect("timeout");
    let ops = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ops);
    std::thread::spawn(move || {
        // Keep the slave open so the pty stays up between the driver's opens.
        let _slave = slave;
        let mut parser = Parser::new();
        let mut buf = [0u8; 256];
        loop {
            match master.read(&mut buf) {
                Ok(0) => continue,
                Ok(n) => {
                    parser.push(&buf[..n]);
                    while let Some(op) = parser.next_op() {
                        if let Op::StatusRequest(n) = op {
                            if let Some(answer) = state.status_byte(n) {
                                let _ = master.write_all(&[answer]);
                            }
                        }
                        seen.lock().unwrap().push(op);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => return,
            }
        }
    });
    (path, ops)
}

fn serial(port: String) -> Printer {
    Printer::new(Transport::Serial {
        port,
        baud: 115_200,
        timeout: Duration::from_secs(2),
    })
}

#[test]
fn a_slip_sent_over_serial_arrives_as_gb18030_text_with_its_qr() {
    let state = SimState::default();
    let (port, ops) = printer_on_pty(state);
    let printer = serial(port);
    let slip = Slip::new()
        .push(SlipLine::text("社保医保 C001", Align::Center))
        .push(SlipLine::Qr {
            data: "http://127.0.0.1:8300/q/1".into(),
            module_size: 5,
        });
    let bytes = encode(&slip, &EncodeOptions::default()).expect("encode");
    printer.print(&bytes).expect("print");

    let text = (0..100)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(20));
            let text = render_text(&ops.lock().unwrap());
            text.contains("[QR: http://127.0.0.1:8300/q/1]")
                .then_some(text)
        })
        .expect("the whole slip arrives");
    assert!(text.contains("社保医保 C001"), "{text}");
}

#[test]
fn serial_status_follows_the_paper_sensor() {
    let state = SimState::default();
    let (port, _ops) = printer_on_pty(state.clone());
    let printer = serial(port);
    assert_eq!(printer.paper_status().expect("status"), PaperStatus::Ok);
    state.set_paper(PaperState::NearEnd);
    assert_eq!(
        printer.paper_status().expect("status"),
        PaperStatus::NearEnd
    );
    state.set_paper(PaperState::Out);
    let status = printer.status().expect("status");
    assert_eq!(status.paper, PaperStatus::Out);
}

#[test]
fn an_unplugged_serial_printer_is_offline() {
    let printer = serial("/dev/ttyUSB-banshi-missing".into());
    let err = printer.paper_status().expect_err("no such port");
    assert_eq!(err.code(), "printer.offline");
}
