//! A real IPP printer for tests, the demo hall and `banshi devices sim a4`: CUPS' `ippeveprinter`.
//!
//! `ippeveprinter` (Debian `cups-ipp-utils`) is the IPP Everywhere reference printer from the CUPS
//! project. It speaks the same IPP as a hall's laser printer, needs no `cupsd` and no root, and
//! with `-k` keeps every received document in its spool directory, so a test can check exactly the
//! bytes a real printer would have received. [`VirtualPrinter`] starts one on a free port, waits
//! until it answers, and kills it when dropped.
//!
//! Two facts about the CUPS 2.4 build shape this module:
//!
//! * `ippeveprinter` exits with "Unable to initialize DNS-SD" when it cannot reach a D-Bus system
//!   bus, even with `-r off`. Build machines and containers have no system bus, so we start a
//!   private `dbus-daemon` for each printer and point `DBUS_SYSTEM_BUS_ADDRESS` at it. No Avahi
//!   daemon listens there, so the virtual printer is never advertised on a hall's network.
//! * It has no command-line switch for paper state, but its web interface (`/media`, a GET form)
//!   sets each tray's paper level, and the level drives `printer-state-reasons`: 0 sheets gives
//!   `media-empty-report`, 5 sheets `media-low-report`. [`VirtualPrinter::set_paper`] fills that form
//!   for every tray, so tests can drive a printer out of paper through the real IPP status path.
//!   (ippeveprinter computes `printer-state-reasons` from internal flags, so an `-a` attributes
//!   file cannot preset it; Set-Printer-Attributes was not tried.)
//!
//! It listens on all interfaces of the chosen port (the program offers no bind address); the URL
//! we hand out is the loopback one.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::VirtualPrinterError;

const START_TIMEOUT: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(50);
const PORT_ATTEMPTS: usize = 3;
const MEDIA: &str = "iso_a4_210x297mm";

/// Paper in the virtual printer's trays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperLevel {
    /// 250 sheets: no paper reason.
    Full,
    /// 5 sheets: `media-low`.
    Low,
    /// 0 sheets: `media-empty`.
    Empty,
}

impl PaperLevel {
    fn sheets(self) -> u32 {
        match self {
            PaperLevel::Full => 250,
            PaperLevel::Low => 5,
            PaperLevel::Empty => 0,
        }
    }
}

/// How to start a [`VirtualPrinter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualPrinterOptions {
    /// Where received documents are kept; a temporary directory (removed on drop) if `None`.
    pub spool_dir: Option<PathBuf>,
    /// The printer's name (`printer-name`, shown in its web page).
    pub name: String,
}

impl Default for VirtualPrinterOptions {
    fn default() -> Self {
        Self {
            spool_dir: None,
            name: "Banshi Virtual A4".into(),
        }
    }
}

/// A running `ippeveprinter` accepting PDFs at [`VirtualPrinter::url`]. Killed on drop.
#[derive(Debug)]
pub struct VirtualPrinter {
    // Fields drop in order: the printer goes before its bus, both before the work directory.
    _printer: KillOnDrop,
    _bus: KillOnDrop,
    port: u16,
    spool: PathBuf,
    trays: Vec<u32>,
    /// Holds the bus socket, the log and (by default) the spool.
    _work: tempfile::TempDir,
}

impl VirtualPrinter {
    /// Starts a virtual A4 printer with a temporary spool directory.
    pub fn start() -> Result<Self, VirtualPrinterError> {
        Self::start_with(VirtualPrinterOptions::default())
    }

    /// Starts a virtual A4 printer, waits until it answers HTTP, and loads A4 paper in every tray.
    pub fn start_with(options: VirtualPrinterOptions) -> Result<Self, VirtualPrinterError> {
        let ippeveprinter =
            find_program("ippeveprinter").ok_or(VirtualPrinterError::NotInstalled {
                program: "ippeveprinter",
                package: "cups-ipp-utils",
            })?;
        let dbus_daemon = find_program("dbus-daemon").ok_or(VirtualPrinterError::NotInstalled {
            program: "dbus-daemon",
            package: "dbus-daemon",
        })?;
        let work = tempfile::Builder::new().prefix("banshi-ipp-").tempdir()?;
        let spool = match options.spool_dir {
            Some(dir) => dir,
            None => work.path().join("spool"),
        };
        std::fs::create_dir_all(&spool)?;
        let bus = KillOnDrop(start_bus(&dbus_daemon, work.path())?);
        let bus_address = format!("unix:path={}", work.path().join("bus").display());
        let mut last_error = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let log_path = work.path().join("ippeveprinter.log");
            let mut printer = KillOnDrop(
                Command::new(&ippeveprinter)
                    .args(["-p", &port.to_string(), "-k", "-d"])
                    .arg(&spool)
                    .args(["-f", "application/pdf", "-r", "off", &options.name])
                    .env("DBUS_SYSTEM_BUS_ADDRESS", &bus_address)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::from(File::create(&log_path)?))
                    .spawn()?,
            );
            let answering = wait_until_answering(&mut printer.0, port);
            if answering.is_ok() {
                let mut virtual_printer = Self {
                    _printer: printer,
                    _bus: bus,
                    port,
                    spool,
                    trays: Vec::new(),
                    _work: work,
                };
                virtual_printer.trays = virtual_printer.discover_trays()?;
                virtual_printer.set_paper(PaperLevel::Full)?;
                tracing::info!(url = %virtual_printer.url(), spool = %virtual_printer.spool.display(), "virtual A4 printer started");
                return Ok(virtual_printer);
            }
            // Usually the port was taken between our probe and its bind: try another one.
            drop(printer);
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            last_error = format!(
                "{}; log: {}",
                answering.err().unwrap_or_default(),
                log.trim()
            );
        }
        Err(VirtualPrinterError::StartFailed(last_error))
    }

    /// The printer URL, `ipp://127.0.0.1:PORT/ipp/print`.
    pub fn url(&self) -> String {
        format!("ipp://127.0.0.1:{}/ipp/print", self.port)
    }

    /// The TCP port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where received documents are kept.
    pub fn spool_dir(&self) -> &Path {
        &self.spool
    }

    /// The documents received so far, oldest job first (files are named `JOBID-TITLE.pdf`).
    pub fn documents(&self) -> Result<Vec<PathBuf>, VirtualPrinterError> {
        let mut files: Vec<(u64, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&self.spool)? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let job = name
                .split(['-', '.'])
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            files.push((job, entry.path()));
        }
        files.sort();
        Ok(files.into_iter().map(|(_, p)| p).collect())
    }

    /// Waits until at least `count` documents are in the spool and none is still growing.
    pub fn wait_for_documents(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<PathBuf>, VirtualPrinterError> {
        let started = Instant::now();
        let mut previous: Option<Vec<(PathBuf, u64)>> = None;
        loop {
            let docs = self.documents()?;
            let sizes: Vec<(PathBuf, u64)> = docs
                .iter()
                .map(|p| {
                    (
                        p.clone(),
                        std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
                    )
                })
                .collect();
            if docs.len() >= count && previous.as_ref() == Some(&sizes) {
                return Ok(docs);
            }
            if started.elapsed() > timeout {
                return Err(VirtualPrinterError::SpoolTimeout {
                    expected: count,
                    found: docs.len(),
                    after: timeout,
                });
            }
            previous = Some(sizes);
            std::thread::sleep(POLL);
        }
    }

    /// Sets the paper level of every tray through the printer's web form; the printer then reports
    /// the matching `printer-state-reasons` over IPP.
    pub fn set_paper(&self, level: PaperLevel) -> Result<(), VirtualPrinterError> {
        let query: Vec<String> = self
            .trays
            .iter()
            .map(|n| {
                format!(
                    "size{n}={MEDIA}&type{n}=stationery&level{n}={}",
                    level.sheets()
                )
            })
            .collect();
        let (status, _) = http_get(self.port, &format!("/media?{}", query.join("&")))
            .map_err(|e| VirtualPrinterError::MediaControl(e.to_string()))?;
        if status != 200 {
            return Err(VirtualPrinterError::MediaControl(format!(
                "media form answered HTTP {status}"
            )));
        }
        tracing::debug!(?level, "virtual printer paper level set");
        Ok(())
    }

    /// The tray numbers of the media form (`level1`, `level3`, … depend on the CUPS version).
    fn discover_trays(&self) -> Result<Vec<u32>, VirtualPrinterError> {
        let (status, body) = http_get(self.port, "/media")
            .map_err(|e| VirtualPrinterError::MediaControl(e.to_string()))?;
        let trays: Vec<u32> = body
            .split("name=\"level")
            .skip(1)
            .filter_map(|rest| rest.split('"').next()?.parse().ok())
            .collect();
        if status != 200 || trays.is_empty() {
            return Err(VirtualPrinterError::MediaControl(format!(
                "media form not found (HTTP {status})"
            )));
        }
        Ok(trays)
    }
}

/// A child process that is killed and reaped when dropped, so no error path leaves a stray
/// printer or bus behind.
#[derive(Debug)]
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        // ippeveprinter lives in /usr/sbin, which is not on an ordinary user's PATH.
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Starts a private bus with the stock session-bus policy (everyone may send, receive and own
/// names); a stricter policy makes the bus drop the replies the Avahi client waits for, and
/// `ippeveprinter` then hangs before it opens its port.
fn start_bus(dbus_daemon: &Path, work: &Path) -> Result<Child, VirtualPrinterError> {
    let socket = work.join("bus");
    let config = work.join("bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            socket.display()
        ),
    )?;
    let mut bus = Command::new(dbus_daemon)
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--nopidfile"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let started = Instant::now();
    while !socket.exists() {
        if let Some(status) = bus.try_wait()? {
            return Err(VirtualPrinterError::StartFailed(format!(
                "private dbus-daemon exited with {status}"
            )));
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = bus.kill();
            let _ = bus.wait();
            return Err(VirtualPrinterError::StartFailed(
                "private dbus-daemon did not create its socket".into(),
            ));
        }
        std::thread::sleep(POLL);
    }
    Ok(bus)
}

fn free_port() -> Result<u16, VirtualPrinterError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn wait_until_answering(printer: &mut Child, port: u16) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = printer.try_wait() {
            return Err(format!("ippeveprinter exited with {status}"));
        }
        if let Ok((200, _)) = http_get(port, "/") {
            return Ok(());
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(format!("no answer on port {port} within {START_TIMEOUT:?}"));
        }
        std::thread::sleep(POLL);
    }
}

/// A minimal HTTP/1.1 GET against the printer's built-in web server. CUPS answers with chunked
/// bodies and keeps the connection open whatever the request asks, so the body is read chunk by
/// chunk up to the terminating empty chunk instead of to end-of-stream.
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    (&stream).write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP response"))?;
    let mut chunked = false;
    let mut content_length = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("transfer-encoding:") {
            chunked = value.contains("chunked");
        } else if let Some(value) = lower.strip_prefix("content-length:") {
            content_length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size_hex = size_line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            if size == 0 {
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    } else if let Some(length) = content_length {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
