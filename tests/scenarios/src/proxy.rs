//! A TCP proxy that cuts connections at chosen byte offsets, for tests of resumable transfers.
//!
//! A hall's WAN link drops in the middle of things; a test needs it to drop at exact, reproducible places.
//! [`CuttingProxy`] forwards every connection to a target and counts the bytes each way across all
//! connections. When a direction's running count reaches a scheduled cut, it forwards the bytes up to
//! that point and then closes both sides of that connection, as a pulled cable would. Offsets come from
//! the test (a seeded [`SplitMix64`]), so every run cuts at the same places.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// Which way bytes flow through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client → server (requests, uploads).
    Up,
    /// Server → client (answers, downloads).
    Down,
}

#[derive(Debug, Default)]
struct Flow {
    /// Bytes read from the sender, forwarded or not: what the sender put on the wire.
    received: u64,
    /// Bytes forwarded; cut offsets refer to this count.
    forwarded: u64,
    cuts: VecDeque<u64>,
}

#[derive(Debug, Default)]
struct Counters {
    up: Flow,
    down: Flow,
    cuts_done: u32,
    connections: u32,
}

impl Counters {
    fn flow(&mut self, direction: Direction) -> &mut Flow {
        match direction {
            Direction::Up => &mut self.up,
            Direction::Down => &mut self.down,
        }
    }

    /// `n` bytes arrived: how many may be forwarded, and whether the connection is cut after them.
    fn admit(&mut self, direction: Direction, n: usize) -> (usize, bool) {
        let flow = self.flow(direction);
        flow.received += n as u64;
        let Some(&cut) = flow.cuts.front() else {
            flow.forwarded += n as u64;
            return (n, false);
        };
        let allowed = cut.saturating_sub(flow.forwarded).min(n as u64);
        flow.forwarded += allowed;
        if flow.forwarded >= cut {
            flow.cuts.pop_front();
            self.cuts_done += 1;
            return (allowed as usize, true);
        }
        (allowed as usize, false)
    }
}

/// A running cutting proxy; dropping it stops accepting connections.
#[derive(Debug)]
pub struct CuttingProxy {
    /// `http://127.0.0.1:PORT`, to use as a sync server address.
    pub url: String,
    counters: Arc<Mutex<Counters>>,
    task: tokio::task::JoinHandle<()>,
}

impl CuttingProxy {
    /// Forward connections to `target` (`http://host:port` or `host:port`).
    pub async fn start(target: &str) -> std::io::Result<Self> {
        let target = target.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let counters = Arc::new(Mutex::new(Counters::default()));
        let shared = Arc::clone(&counters);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (target, counters) = (target.clone(), Arc::clone(&shared));
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&target).await {
                        lock(&counters).connections += 1;
                        relay(client, server, counters).await;
                    }
                });
            }
        });
        Ok(Self {
            url,
            counters,
            task,
        })
    }

    /// Cut the connection carrying `direction`'s traffic once that many more bytes (counted from now,
    /// across connections) have been forwarded, for each offset.
    pub fn schedule_cuts(&self, direction: Direction, mut offsets: Vec<u64>) {
        offsets.sort_unstable();
        let mut counters = lock(&self.counters);
        let flow = counters.flow(direction);
        let base = flow.forwarded;
        flow.cuts
            .extend(offsets.into_iter().map(|o| base + o.max(1)));
    }

    /// Bytes the sender in `direction` put on the wire, whether or not they got through.
    pub fn bytes_sent(&self, direction: Direction) -> u64 {
        lock(&self.counters).flow(direction).received
    }

    /// How many cuts happened so far.
    pub fn cuts_done(&self) -> u32 {
        lock(&self.counters).cuts_done
    }

    /// Cuts scheduled but not reached.
    pub fn cuts_pending(&self) -> usize {
        let c = lock(&self.counters);
        c.up.cuts.len() + c.down.cuts.len()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u32 {
        lock(&self.counters).connections
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(counters: &Mutex<Counters>) -> MutexGuard<'_, Counters> {
    counters.lock().unwrap_or_else(|p| p.into_inner())
}

/// Pump both ways until either side closes or a cut falls; then both sockets are dropped (closed).
async fn relay(client: TcpStream, server: TcpStream, counters: Arc<Mutex<Counters>>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::select! {
        _ = pump(client_read, server_write, Direction::Up, Arc::clone(&counters)) => {}
        _ = pump(server_read, client_write, Direction::Down, counters) => {}
    }
}

async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    direction: Direction,
    counters: Arc<Mutex<Counters>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let (allowed, cut) = lock(&counters).admit(direction, n);
        if allowed > 0 && to.write_all(&buf[..allowed]).await.is_err() {
            return;
        }
        if cut {
            let _ = to.flush().await;
            return;
        }
    }
}

/// SplitMix64: a tiny, seedable generator, so test data and cut offsets are the same on every run.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0; the slight modulo bias does not matter for tests).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_forwards_exactly_up_to_its_offset() {
        let mut c = Counters::default();
        c.up.cuts.extend([10, 25]);
        assert_eq!(c.admit(Direction::Up, 4), (4, false));
        assert_eq!(c.admit(Direction::Up, 8), (6, true));
        assert_eq!(c.admit(Direction::Up, 100), (15, true));
        assert_eq!(c.admit(Direction::Up, 7), (7, false));
        assert_eq!((c.up.received, c.up.forwarded, c.cuts_done), (119, 32, 2));
        assert_eq!(c.admit(Direction::Down, 5), (5, false));
    }

    #[test]
    fn the_generator_is_reproducible() {
        assert_eq!(SplitMix64::new(7).bytes(20), SplitMix64::new(7).bytes(20));
        assert_ne!(SplitMix64::new(7).bytes(20), SplitMix64::new(8).bytes(20));
    }
}
