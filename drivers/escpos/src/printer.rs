//! Getting bytes to a printer and asking it how it is.
//!
//! Hall printers are reached over raw TCP (port 9100, the "JetDirect" socket every networked ESC/POS
//! printer offers), a serial port (RS-232 or a USB-serial adapter: set up here with its baud rate and
//! read back for status), or a device file (`/dev/usb/lp0` for a USB printer through the kernel's
//! `usblp` driver, or a spool file). The I/O is synchronous `std` on purpose: a print is one short write, callers run it
//! in `spawn_blocking`, and the driver does not force an async runtime on the simulator or on tools.
//!
//! Every call opens its own connection and closes it afterwards. Cheap printers serve one client at
//! a time and some drop idle sockets, so holding a connection open causes more failures than it
//! saves. Closing the connection also tells a printer (and our simulator) that the job is complete.
//!
//! Status uses real-time `DLE EOT n`, which printers answer with one byte even while busy or
//! offline, over TCP and serial alike. A device file cannot be read back reliably (USB printer class
//! devices often block), so status over [`Transport::File`] is [`PaperStatus::Unknown`].

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use escpos::utils::{RealTimeStatusRequest, RealTimeStatusResponse};

use crate::error::EscPosError;

/// Port used when a TCP address has none.
pub const DEFAULT_TCP_PORT: u16 = 9100;

/// Where the printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Raw TCP. `address` is `host:port`, or a bare host meaning port 9100. `timeout` bounds the
    /// connect, every write and the wait for a status byte.
    Tcp {
        /// `host:port` or `host`.
        address: String,
        /// Connect, write and read timeout.
        timeout: Duration,
    },
    /// A device or spool file that already exists. It is opened for appending and never created:
    /// creating `/dev/usb/lp0` as a regular file when the printer is unplugged would swallow every
    /// ticket silently.
    File {
        /// Path of the device or file.
        path: PathBuf,
    },
    /// A serial port (`/dev/ttyUSB0`, `/dev/ttyS0`, `COM3`), 8N1 at `baud`. `timeout` bounds every
    /// write and the wait for a status byte.
    Serial {
        /// Port path or name.
        port: String,
        /// Baud rate (9600, 19200, 38400 and 115200 are usual).
        baud: u32,
        /// Write and read timeout.
        timeout: Duration,
    },
}

/// The paper roll, as reported by `DLE EOT 4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperStatus {
    /// Paper present and not near its end.
    Ok,
    /// The near-end sensor fired: change the roll soon.
    NearEnd,
    /// No paper: nothing will print.
    Out,
    /// The transport cannot tell (file transport).
    Unknown,
}

/// Printer state for health reporting: `DLE EOT 1` and `DLE EOT 4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrinterStatus {
    /// `false` when the printer reports itself offline (cover open, paper out, error). `true` for
    /// the file transport, which cannot tell.
    pub online: bool,
    /// The paper roll.
    pub paper: PaperStatus,
}

/// A printer reachable through one transport.
#[derive(Debug, Clone)]
pub struct Printer {
    transport: Transport,
}

const DLE_EOT_PRINTER: [u8; 3] = [0x10, 0x04, 0x01];
const DLE_EOT_PAPER: [u8; 3] = [0x10, 0x04, 0x04];

impl Printer {
    /// A printer on the given transport. Nothing is opened until the first call.
    pub fn new(transport: Transport) -> Self {
        Self { transport }
    }

    /// The transport this printer uses.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends already-encoded bytes (usually from [`crate::encode()`]) as one job.
    pub fn print(&self, bytes: &[u8]) -> Result<(), EscPosError> {
        match &self.transport {
            Transport::Tcp { address, timeout } => {
                let mut stream = connect(address, *timeout)?;
                write_all(&mut stream, bytes, *timeout)?;
                // Half-close so the printer sees the end of the job; ignore failures, the data is
                // already in the kernel's hands and the drop closes the socket anyway.
                let _ = stream.shutdown(Shutdown::Write);
            }
            Transport::File { path } => {
                let mut file = OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(|e| file_error(path, e))?;
                file.write_all(bytes)?;
                file.flush()?;
            }
            Transport::Serial {
                port,
                baud,
                timeout,
            } => {
                let mut serial = open_serial(port, *baud, *timeout)?;
                write_all(&mut serial, bytes, *timeout)?;
            }
        }
        tracing::debug!(bytes = bytes.len(), transport = ?self.transport, "sent print job");
        Ok(())
    }

    /// Paper state via `DLE EOT 4` over TCP or serial; [`PaperStatus::Unknown`] for the file transport.
    pub fn paper_status(&self) -> Result<PaperStatus, EscPosError> {
        match &self.transport {
            Transport::Tcp { address, timeout } => {
                let mut stream = connect(address, *timeout)?;
                let [paper] = query(&mut stream, &[DLE_EOT_PAPER], *timeout)?;
                decode_paper(paper)
            }
            Transport::Serial {
                port,
                baud,
                timeout,
            } => {
                let mut serial = open_serial(port, *baud, *timeout)?;
                let [paper] = query(&mut serial, &[DLE_EOT_PAPER], *timeout)?;
                decode_paper(paper)
            }
            Transport::File { .. } => Ok(PaperStatus::Unknown),
        }
    }

    /// Online flag (`DLE EOT 1`) and paper state (`DLE EOT 4`) in one connection, for the device
    /// heartbeat. The file transport reports `online: true, paper: Unknown` if the file can be
    /// opened, and `printer.offline` if it cannot.
    pub fn status(&self) -> Result<PrinterStatus, EscPosError> {
        match &self.transport {
            Transport::Tcp { address, timeout } => {
                let mut stream = connect(address, *timeout)?;
                let [printer, paper] =
                    query(&mut stream, &[DLE_EOT_PRINTER, DLE_EOT_PAPER], *timeout)?;
                decode_status(printer, paper)
            }
            Transport::Serial {
                port,
                baud,
                timeout,
            } => {
                let mut serial = open_serial(port, *baud, *timeout)?;
                let [printer, paper] =
                    query(&mut serial, &[DLE_EOT_PRINTER, DLE_EOT_PAPER], *timeout)?;
                decode_status(printer, paper)
            }
            Transport::File { path } => {
                OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(|e| file_error(path, e))?;
                Ok(PrinterStatus {
                    online: true,
                    paper: PaperStatus::Unknown,
                })
            }
        }
    }
}

fn decode_status(printer: u8, paper: u8) -> Result<PrinterStatus, EscPosError> {
    let printer_bits = RealTimeStatusResponse::parse(RealTimeStatusRequest::Printer, printer)
        .map_err(|_| EscPosError::BadStatus(printer))?;
    let online = printer_bits
        .get(&RealTimeStatusResponse::Online)
        .copied()
        .unwrap_or(false);
    Ok(PrinterStatus {
        online,
        paper: decode_paper(paper)?,
    })
}

/// Opens a serial port for one job or query. A missing port (USB-serial adapter unplugged) is
/// `printer.offline`, like a refused TCP connection.
fn open_serial(
    port: &str,
    baud: u32,
    timeout: Duration,
) -> Result<Box<dyn serialport::SerialPort>, EscPosError> {
    let serial = serialport::new(port, baud)
        .timeout(timeout)
        .open()
        .map_err(|e| EscPosError::Offline {
            target: port.to_owned(),
            source: io::Error::from(e),
        })?;
    // Bytes the printer sent earlier (an unread status, a power-on banner) would be taken for the
    // answer to our query.
    let _ = serial.clear(serialport::ClearBuffer::Input);
    Ok(serial)
}

/// Maps a `DLE EOT 4` answer: the paper-end bits (5, 6) win over the near-end bits (2, 3).
pub fn decode_paper(byte: u8) -> Result<PaperStatus, EscPosError> {
    let bits = RealTimeStatusResponse::parse(RealTimeStatusRequest::RollPaperSensor, byte)
        .map_err(|_| EscPosError::BadStatus(byte))?;
    let flag = |k| bits.get(&k).copied().unwrap_or(false);
    Ok(
        if !flag(RealTimeStatusResponse::RollPaperEndSensorPaperPresent) {
            PaperStatus::Out
        } else if !flag(RealTimeStatusResponse::RollPaperNearEndSensorPaperAdequate) {
            PaperStatus::NearEnd
        } else {
            PaperStatus::Ok
        },
    )
}

fn resolve(address: &str) -> Result<Vec<SocketAddr>, EscPosError> {
    let offline = |source: io::Error| EscPosError::Offline {
        target: address.to_owned(),
        source,
    };
    let addrs: Vec<SocketAddr> = match address.to_socket_addrs() {
        Ok(a) => a.collect(),
        // No port given ("192.168.1.50" or "printer.local"): use the raw-printing port.
        Err(_) if !address.contains(':') => (address, DEFAULT_TCP_PORT)
            .to_socket_addrs()
            .map_err(offline)?
            .collect(),
        Err(e) => return Err(offline(e)),
    };
    if addrs.is_empty() {
        return Err(offline(io::Error::new(
            io::ErrorKind::NotFound,
            "address resolved to nothing",
        )));
    }
    Ok(addrs)
}

fn connect(address: &str, timeout: Duration) -> Result<TcpStream, EscPosError> {
    let mut last = None;
    for addr in resolve(address)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_write_timeout(Some(timeout))?;
                stream.set_read_timeout(Some(timeout))?;
                // Tickets are small: do not let Nagle hold back the last segment.
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    let source =
        last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address to connect"));
    Err(EscPosError::Offline {
        target: address.to_owned(),
        source,
    })
}

fn write_all(stream: &mut impl Write, bytes: &[u8], timeout: Duration) -> Result<(), EscPosError> {
    stream
        .write_all(bytes)
        .and_then(|()| stream.flush())
        .map_err(|e| io_error(e, timeout))
}

/// Sends each request, then reads one answer byte per request.
fn query<const N: usize>(
    stream: &mut (impl Read + Write),
    requests: &[[u8; 3]; N],
    timeout: Duration,
) -> Result<[u8; N], EscPosError> {
    write_all(stream, &requests.concat(), timeout)?;
    let mut answer = [0u8; N];
    stream
        .read_exact(&mut answer)
        .map_err(|e| io_error(e, timeout))?;
    Ok(answer)
}

fn io_error(e: io::Error, timeout: Duration) -> EscPosError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => EscPosError::Timeout(timeout),
        _ => EscPosError::Io(e),
    }
}

fn file_error(path: &std::path::Path, e: io::Error) -> EscPosError {
    match e.kind() {
        io::ErrorKind::NotFound => EscPosError::Offline {
            target: path.display().to_string(),
            source: e,
        },
        _ => EscPosError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    fn tcp(address: String) -> Printer {
        Printer::new(Transport::Tcp {
            address,
            timeout: Duration::from_secs(2),
        })
    }

    #[test]
    fn paper_bytes_decode_per_pattern() {
        assert_eq!(decode_paper(0x12).unwrap(), PaperStatus::Ok);
        assert_eq!(decode_paper(0x1E).unwrap(), PaperStatus::NearEnd);
        assert_eq!(decode_paper(0x72).unwrap(), PaperStatus::Out);
        assert_eq!(decode_paper(0x7E).unwrap(), PaperStatus::Out);
        for bad in [0x00, 0xFF, 0x13, 0x92] {
            assert_eq!(decode_paper(bad).unwrap_err().code(), "printer.bad_status");
        }
    }

    #[test]
    fn refused_connection_is_offline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let p = tcp(addr.to_string());
        assert_eq!(p.print(b"x").unwrap_err().code(), "printer.offline");
        assert_eq!(p.paper_status().unwrap_err().code(), "printer.offline");
        assert_eq!(p.status().unwrap_err().code(), "printer.offline");
    }

    #[test]
    fn tcp_print_delivers_bytes_and_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            got
        });
        tcp(addr.to_string()).print(b"\x1b@hello").unwrap();
        assert_eq!(server.join().unwrap(), b"\x1b@hello");
    }

    #[test]
    fn silent_printer_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            // Never answer; wait for the client to give up and close.
            let _ = s.read_to_end(&mut got);
        });
        let p = Printer::new(Transport::Tcp {
            address: addr.to_string(),
            timeout: Duration::from_millis(200),
        });
        assert_eq!(p.paper_status().unwrap_err().code(), "printer.timeout");
        server.join().unwrap();
    }

    #[test]
    fn status_reads_printer_and_paper_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = [0u8; 6];
            s.read_exact(&mut req).unwrap();
            assert_eq!(req, [0x10, 0x04, 0x01, 0x10, 0x04, 0x04]);
            // Offline (bit 3) and near end.
            s.write_all(&[0x1A, 0x1E]).unwrap();
        });
        let st = tcp(addr.to_string()).status().unwrap();
        assert_eq!(
            st,
            PrinterStatus {
                online: false,
                paper: PaperStatus::NearEnd
            }
        );
        server.join().unwrap();
    }

    #[test]
    fn file_transport_appends_and_never_creates() {
        let dir = std::env::temp_dir().join(format!("banshi-escpos-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lp0");
        let _ = std::fs::remove_file(&path);
        let p = Printer::new(Transport::File { path: path.clone() });
        assert_eq!(p.print(b"a").unwrap_err().code(), "printer.offline");
        assert_eq!(p.status().unwrap_err().code(), "printer.offline");
        assert!(!path.exists());
        std::fs::write(&path, b"").unwrap();
        p.print(b"ab").unwrap();
        p.print(b"c").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        assert_eq!(p.paper_status().unwrap(), PaperStatus::Unknown);
        assert_eq!(
            p.status().unwrap(),
            PrinterStatus {
                online: true,
                paper: PaperStatus::Unknown
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bare_host_gets_port_9100() {
        let addrs = resolve("127.0.0.1").unwrap();
        assert_eq!(addrs[0].port(), DEFAULT_TCP_PORT);
        let addrs = resolve("127.0.0.1:9101").unwrap();
        assert_eq!(addrs[0].port(), 9101);
    }
}
