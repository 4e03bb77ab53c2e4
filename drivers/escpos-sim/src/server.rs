//! The simulated network printer: a TCP port-9100 server that speaks ESC/POS back.
//!
//! It exists so that the real driver (`banshi_escpos::Printer` with `Transport::Tcp`) is tested over
//! a real socket, byte for byte, and so that a person running the demo can watch tickets appear
//! in the log and as PNG files.
//!
//! * Every connection is parsed as a stream. A job ends at a cut (`GS V`) or when the connection
//!   closes; a connection that only asked for status is not a job.
//! * `DLE EOT n` is answered at once with one byte, like the real-time command on hardware,
//!   computed from the settable paper state and offline flag (see [`SimState::status_byte`]).
//! * Finished jobs are kept in memory in order ([`SimState::jobs`]) and, when an output directory is
//!   set, written as `job-0001.bin` (the raw bytes), `.txt` ([`crate::render_text`]) and `.png`
//!   ([`crate::render_png`]) *before* the job becomes visible, so a test that waited for a job can
//!   read its files.
//! * Malformed input only ever produces `Unknown`/`Truncated` ops; a connection that sends more than
//!   [`MAX_JOB_BYTES`] without a cut is dropped. Nothing a client sends stops the server.
//!
//! A job printed while the paper is out or the printer is offline is still recorded, with
//! `printed: false`: the bytes did arrive, but a real printer would not have produced a ticket, and
//! tests of "check the paper before printing the ticket" need to see that.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::parse::{Op, Parser};
use crate::png::{render_png, WIDTH_80MM_PX};
use crate::render::render_text;

/// A connection that sends this much without a cut is dropped.
pub const MAX_JOB_BYTES: usize = 16 * 1024 * 1024;

/// Base pattern of every real-time status byte: `0xx1xx10`.
const STATUS_BASE: u8 = 0x12;

/// The simulated paper roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaperState {
    /// Plenty of paper.
    #[default]
    Ok,
    /// The near-end sensor fired.
    NearEnd,
    /// No paper.
    Out,
}

impl FromStr for PaperState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(PaperState::Ok),
            "near-end" => Ok(PaperState::NearEnd),
            "out" => Ok(PaperState::Out),
            other => Err(format!("unknown paper state {other:?} (ok, near-end, out)")),
        }
    }
}

impl fmt::Display for PaperState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PaperState::Ok => "ok",
            PaperState::NearEnd => "near-end",
            PaperState::Out => "out",
        })
    }
}

/// One finished print job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// 1-based, in the order jobs finished; also the number in the file names.
    pub id: u64,
    /// The raw bytes of the job, status requests included.
    pub bytes: Vec<u8>,
    /// The decoded ops.
    pub ops: Vec<Op>,
    /// [`render_text`] of the ops.
    pub text: String,
    /// Whether a real printer would have printed it (paper not out, not offline).
    pub printed: bool,
}

/// Settings of a simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Initial paper state.
    pub paper: PaperState,
    /// Initial offline flag.
    pub offline: bool,
    /// Where to write `job-NNNN.{bin,txt,png}`; `None` keeps jobs in memory only.
    pub out_dir: Option<PathBuf>,
    /// Width of the PNG files in dots.
    pub png_width_px: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            paper: PaperState::Ok,
            offline: false,
            out_dir: None,
            png_width_px: WIDTH_80MM_PX,
        }
    }
}

/// Errors of the simulator's own API (never of the bytes it receives).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// [`SimState::wait_for_jobs`] ran out of time.
    #[error("waited {timeout:?} for {wanted} jobs, got {got}")]
    Timeout {
        /// Jobs asked for.
        wanted: usize,
        /// Jobs there were.
        got: usize,
        /// How long we waited.
        timeout: Duration,
    },
    /// Binding or reading the listener's address failed.
    #[error("simulator socket: {0}")]
    Io(#[from] io::Error),
}

#[derive(Debug)]
struct Device {
    paper: PaperState,
    offline: bool,
}

#[derive(Debug)]
struct Inner {
    device: Mutex<Device>,
    jobs: Mutex<Vec<Job>>,
    next_id: AtomicU64,
    count: watch::Sender<usize>,
    out_dir: Option<PathBuf>,
    png_width_px: u32,
}

/// Shared simulator state: printer condition and finished jobs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

impl Default for SimState {
    fn default() -> Self {
        Self::new(SimConfig::default())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these plain values inconsistent.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SimState {
    /// New state from a config.
    pub fn new(config: SimConfig) -> Self {
        let (count, _) = watch::channel(0);
        Self {
            inner: Arc::new(Inner {
                device: Mutex::new(Device {
                    paper: config.paper,
                    offline: config.offline,
                }),
                jobs: Mutex::new(Vec::new()),
                next_id: AtomicU64::new(1),
                count,
                out_dir: config.out_dir,
                png_width_px: config.png_width_px,
            }),
        }
    }

    /// Changes the paper state; later status requests and jobs see it.
    pub fn set_paper(&self, paper: PaperState) {
        lock(&self.inner.device).paper = paper;
        tracing::info!(%paper, "simulated paper state changed");
    }

    /// The paper state.
    pub fn paper(&self) -> PaperState {
        lock(&self.inner.device).paper
    }

    /// Sets the offline flag (think cover open or a printer error).
    pub fn set_offline(&self, offline: bool) {
        lock(&self.inner.device).offline = offline;
        tracing::info!(offline, "simulated offline flag changed");
    }

    /// The offline flag.
    pub fn offline(&self) -> bool {
        lock(&self.inner.device).offline
    }

    /// The answer to `DLE EOT n`, or `None` for an `n` printers do not answer:
    ///
    /// * n = 1 (printer): bit 3 set when offline or out of paper (`0x12` / `0x1A`);
    /// * n = 2 (offline cause): bit 5 when out of paper, bit 6 (error) when offline;
    /// * n = 3 (error cause): `0x12`, no error;
    /// * n = 4 (paper): `0x12` ok, `0x1E` near end (bits 2+3), `0x72` out (bits 5+6).
    pub fn status_byte(&self, n: u8) -> Option<u8> {
        let d = lock(&self.inner.device);
        let out = d.paper == PaperState::Out;
        let bit = |on: bool, mask: u8| if on { mask } else { 0 };
        match n {
            1 => Some(STATUS_BASE | bit(d.offline || out, 0x08)),
            2 => Some(STATUS_BASE | bit(out, 0x20) | bit(d.offline, 0x40)),
            3 => Some(STATUS_BASE),
            4 => Some(match d.paper {
                PaperState::Ok => STATUS_BASE,
                PaperState::NearEnd => STATUS_BASE | 0x0C,
                PaperState::Out => STATUS_BASE | 0x60,
            }),
            _ => None,
        }
    }

    /// All finished jobs, oldest first.
    pub fn jobs(&self) -> Vec<Job> {
        lock(&self.inner.jobs).clone()
    }

    /// Waits until at least `n` jobs have finished, then returns all jobs.
    pub async fn wait_for_jobs(&self, n: usize, timeout: Duration) -> Result<Vec<Job>, SimError> {
        let mut rx = self.inner.count.subscribe();
        let waited = tokio::time::timeout(timeout, rx.wait_for(|count| *count >= n)).await;
        match waited {
            Ok(Ok(_)) => Ok(self.jobs()),
            _ => Err(SimError::Timeout {
                wanted: n,
                got: lock(&self.inner.jobs).len(),
                timeout,
            }),
        }
    }

    async fn finish_job(&self, bytes: Vec<u8>, ops: Vec<Op>, peer: SocketAddr) {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let text = render_text(&ops);
        let printed = {
            let d = lock(&self.inner.device);
            d.paper != PaperState::Out && !d.offline
        };
        let job = Job {
            id,
            bytes,
            ops,
            text,
            printed,
        };
        tracing::info!(
            job = id,
            %peer,
            bytes = job.bytes.len(),
            printed,
            "print job received:\n{}",
            job.text
        );
        if !printed {
            tracing::warn!(
                job = id,
                "job NOT printed: printer is out of paper or offline"
            );
        }
        if let Some(dir) = self.inner.out_dir.clone() {
            let copy = job.clone();
            let width = self.inner.png_width_px;
            let written =
                tokio::task::spawn_blocking(move || write_job_files(&dir, &copy, width)).await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(job = id, error = %e, "could not write job files"),
                Err(e) => tracing::warn!(job = id, error = %e, "job file writer failed"),
            }
        }
        let count = {
            let mut jobs = lock(&self.inner.jobs);
            jobs.push(job);
            jobs.sort_by_key(|j| j.id);
            jobs.len()
        };
        self.inner.count.send_replace(count);
    }
}

fn write_job_files(dir: &Path, job: &Job, width: u32) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let stem = dir.join(format!("job-{:04}", job.id));
    std::fs::write(stem.with_extension("bin"), &job.bytes)?;
    std::fs::write(stem.with_extension("txt"), &job.text)?;
    match render_png(&job.ops, width) {
        Ok(img) => img
            .save(stem.with_extension("png"))
            .map_err(io::Error::other)?,
        Err(e) => tracing::warn!(job = job.id, error = %e, "no PNG for this job"),
    }
    Ok(())
}

/// Accepts connections forever, one task per connection. Returns only if the listener fails in a
/// way that cannot be retried.
pub async fn serve(listener: TcpListener, state: SimState) -> io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "ESC/POS printer simulator listening");
    }
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(e) = handle_connection(stream, peer, state).await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            // Out of file descriptors and the like: back off instead of spinning.
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn handle_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    state: SimState,
) -> io::Result<()> {
    tracing::debug!(%peer, "connection opened");
    let mut parser = Parser::new();
    // Bytes of the current job; `job_start` is their offset in the connection's stream.
    let mut raw: Vec<u8> = Vec::new();
    let mut job_start: u64 = 0;
    let mut ops: Vec<Op> = Vec::new();
    let mut buf = vec![0u8; 8192];
    let mut result = Ok(());
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        let chunk = &buf[..n];
        raw.extend_from_slice(chunk);
        parser.push(chunk);
        while let Some(op) = parser.next_op() {
            if let Op::StatusRequest(req) = op {
                if let Some(answer) = state.status_byte(req) {
                    // A client that hung up before reading its answer still sent a job.
                    if let Err(e) = stream.write_all(&[answer]).await {
                        tracing::debug!(%peer, error = %e, "could not send status byte");
                    }
                }
            }
            let is_cut = matches!(op, Op::Cut { .. });
            ops.push(op);
            if is_cut {
                let end = parser.consumed();
                let take = usize::try_from(end - job_start).unwrap_or(raw.len());
                let bytes: Vec<u8> = raw.drain(..take.min(raw.len())).collect();
                job_start = end;
                state
                    .finish_job(bytes, std::mem::take(&mut ops), peer)
                    .await;
            }
        }
        if raw.len() > MAX_JOB_BYTES {
            tracing::warn!(%peer, bytes = raw.len(), "job too large without a cut; dropping the connection");
            return Ok(());
        }
    }
    ops.extend(parser.finish());
    if ops.iter().any(|op| !matches!(op, Op::StatusRequest(_))) {
        state.finish_job(raw, ops, peer).await;
    }
    tracing::debug!(%peer, "connection closed");
    result
}

/// A simulator running on the current tokio runtime.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    state: SimState,
    task: JoinHandle<()>,
}

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `addr` (use `127.0.0.1:0` in tests) and serves in a background task.
    pub async fn start(addr: &str, state: SimState) -> Result<SimHandle, SimError> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let serving = state.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = serve(listener, serving).await {
                tracing::error!(error = %e, "simulator stopped");
            }
        });
        Ok(SimHandle { addr, state, task })
    }
}

impl SimHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (paper, offline flag, jobs).
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// All finished jobs.
    pub fn jobs(&self) -> Vec<Job> {
        self.state.jobs()
    }

    /// See [`SimState::wait_for_jobs`].
    pub async fn wait_for_jobs(&self, n: usize, timeout: Duration) -> Result<Vec<Job>, SimError> {
        self.state.wait_for_jobs(n, timeout).await
    }

    /// See [`SimState::set_paper`].
    pub fn set_paper(&self, paper: PaperState) {
        self.state.set_paper(paper);
    }

    /// See [`SimState::set_offline`].
    pub fn set_offline(&self, offline: bool) {
        self.state.set_offline(offline);
    }

    /// Stops accepting connections. Connections already open finish on their own.
    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::CutKind;
    use banshi_escpos::{PaperStatus, Printer, PrinterStatus, Transport};

    async fn start() -> SimHandle {
        Simulator::start("127.0.0.1:0", SimState::default())
            .await
            .unwrap()
    }

    fn printer(addr: SocketAddr) -> Printer {
        Printer::new(Transport::Tcp {
            address: addr.to_string(),
            timeout: Duration::from_secs(5),
        })
    }

    #[tokio::test]
    async fn paper_status_follows_the_simulated_roll() {
        let sim = start().await;
        for (state, want) in [
            (PaperState::Ok, PaperStatus::Ok),
            (PaperState::NearEnd, PaperStatus::NearEnd),
            (PaperState::Out, PaperStatus::Out),
        ] {
            sim.set_paper(state);
            let p = printer(sim.local_addr());
            let got = tokio::task::spawn_blocking(move || p.paper_status())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(got, want, "{state}");
        }
        // Status-only connections are not jobs.
        assert!(sim.jobs().is_empty());
    }

    #[tokio::test]
    async fn status_reports_offline_and_paper_out() {
        let sim = start().await;
        let status = |sim: &SimHandle| {
            let p = printer(sim.local_addr());
            tokio::task::spawn_blocking(move || p.status())
        };
        assert_eq!(
            status(&sim).await.unwrap().unwrap(),
            PrinterStatus {
                online: true,
                paper: PaperStatus::Ok
            }
        );
        sim.set_offline(true);
        assert_eq!(
            status(&sim).await.unwrap().unwrap(),
            PrinterStatus {
                online: false,
                paper: PaperStatus::Ok
            }
        );
        sim.set_offline(false);
        sim.set_paper(PaperState::Out);
        assert_eq!(
            status(&sim).await.unwrap().unwrap(),
            PrinterStatus {
                online: false,
                paper: PaperStatus::Out
            }
        );
    }

    #[tokio::test]
    async fn status_bytes_follow_the_patterns() {
        let s = SimState::default();
        assert_eq!(
            (1..=4).map(|n| s.status_byte(n)).collect::<Vec<_>>(),
            vec![Some(0x12), Some(0x12), Some(0x12), Some(0x12)]
        );
        s.set_paper(PaperState::NearEnd);
        assert_eq!(s.status_byte(4), Some(0x1E));
        s.set_paper(PaperState::Out);
        assert_eq!(s.status_byte(4), Some(0x72));
        assert_eq!(s.status_byte(1), Some(0x1A));
        assert_eq!(s.status_byte(2), Some(0x32));
        s.set_offline(true);
        assert_eq!(s.status_byte(2), Some(0x72));
        assert_eq!(s.status_byte(9), None);
        for n in 1..=4 {
            let b = s.status_byte(n).unwrap();
            assert_eq!(b & 0x93, 0x12, "pattern 0xx1xx10 for n={n}");
        }
    }

    #[tokio::test]
    async fn jobs_split_at_cuts_and_at_close_and_files_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let state = SimState::new(SimConfig {
            out_dir: Some(dir.path().to_owned()),
            ..SimConfig::default()
        });
        let sim = Simulator::start("127.0.0.1:0", state).await.unwrap();
        let mut s = TcpStream::connect(sim.local_addr()).await.unwrap();
        s.write_all(b"\x1b@one\n\x1dV\x01\x1b@two\n").await.unwrap();
        s.write_all(b"\x1dVB\x00three").await.unwrap();
        drop(s);
        let jobs = sim.wait_for_jobs(3, Duration::from_secs(10)).await.unwrap();
        let texts: Vec<&str> = jobs.iter().map(|j| j.text.as_str()).collect();
        assert_eq!(
            texts,
            vec!["one\n--- cut ---\n", "two\n--- cut ---\n", "three\n"]
        );
        assert_eq!(jobs[0].bytes, b"\x1b@one\n\x1dV\x01");
        assert_eq!(jobs[1].bytes, b"\x1b@two\n\x1dVB\x00");
        assert_eq!(jobs[2].bytes, b"three");
        assert_eq!(
            jobs[1].ops.last(),
            Some(&Op::Cut {
                mode: CutKind::Partial
            })
        );
        assert!(jobs.iter().all(|j| j.printed));
        assert_eq!(
            std::fs::read(dir.path().join("job-0002.bin")).unwrap(),
            jobs[1].bytes
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("job-0001.txt")).unwrap(),
            "one\n--- cut ---\n"
        );
        let png = image::open(dir.path().join("job-0003.png")).unwrap();
        assert_eq!(png.width(), WIDTH_80MM_PX);
    }

    #[tokio::test]
    async fn garbage_does_not_kill_the_server() {
        let sim = start().await;
        let mut s = TcpStream::connect(sim.local_addr()).await.unwrap();
        let garbage: Vec<u8> = (0..20_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        s.write_all(&garbage).await.unwrap();
        // A GS ( k that announces 65 535 bytes and never delivers them.
        s.write_all(b"\x1d(k\xff\xff").await.unwrap();
        drop(s);
        sim.wait_for_jobs(1, Duration::from_secs(10)).await.unwrap();
        // Still serving: a proper status request gets its answer.
        let p = printer(sim.local_addr());
        let st = tokio::task::spawn_blocking(move || p.paper_status())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(st, PaperStatus::Ok);
    }

    #[tokio::test]
    async fn job_on_empty_roll_is_recorded_as_not_printed() {
        let sim = start().await;
        sim.set_paper(PaperState::Out);
        let p = printer(sim.local_addr());
        tokio::task::spawn_blocking(move || p.print(b"\x1b@x\n\x1dVB\x00"))
            .await
            .unwrap()
            .unwrap();
        let jobs = sim.wait_for_jobs(1, Duration::from_secs(10)).await.unwrap();
        assert!(!jobs[0].printed);
    }

    #[tokio::test]
    async fn wait_for_jobs_times_out() {
        let sim = start().await;
        let err = sim
            .wait_for_jobs(1, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            SimError::Timeout {
                wanted: 1,
                got: 0,
                ..
            }
        ));
    }

    #[test]
    fn paper_state_parses_cli_words() {
        for s in ["ok", "near-end", "out"] {
            assert_eq!(s.parse::<PaperState>().unwrap().to_string(), s);
        }
        assert!("empty".parse::<PaperState>().is_err());
    }
}
