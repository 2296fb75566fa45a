//! What a listener lets one client hold (issue 19: 1,014 idle TLS
//! connections under the common 1,024 open-files limit locked every other
//! client out). Shared by the HTTPS listener and the RTMP ingest:
//! - [`Gate`]: open connections at most, and at most a share per address
//!   (an IPv6 /64 as one); past either, a connection is accepted and
//!   closed at once, so the listener never stalls on a full backlog.
//! - [`Activity`]: the last time a connection moved a byte either way, for
//!   the idle timeout.
//! - [`raise_open_files`]: the soft open-files limit raised to the hard
//!   one at start, and the connection cap kept under it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use crate::throttle::Peer;

/// Counts open connections, in all and per address. A gate that evicts
/// (the HTTPS one) makes room at its cap by closing the connection idle the
/// longest, if one has been idle a quarter second or more: a flood of idle
/// connections from many addresses then makes way for clients that talk.
#[derive(Debug)]
pub struct Gate {
    name: &'static str,
    max: usize,
    per_peer: usize,
    evicts: bool,
    open: Mutex<Counts>,
    said: OnceASecond,
}

#[derive(Debug, Default)]
struct Counts {
    by_peer: HashMap<Peer, usize>,
    conns: HashMap<u64, Held>,
    next: u64,
}

#[derive(Debug)]
struct Held {
    peer: Peer,
    last: LastActive,
    evict: Arc<tokio::sync::Notify>,
}

/// An idle connection is evicted at the cap only after this long idle (a
/// client that has just connected sends its request within it).
const EVICT_AFTER: Duration = Duration::from_millis(250);

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The listener holds its most connections, none of them idle.
    All(usize),
    /// This address holds its share.
    Peer(usize),
}

impl std::fmt::Display for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Full::All(n) => write!(f, "{n} connections open, the most allowed"),
            Full::Peer(n) => write!(f, "{n} connections open from this address, its most"),
        }
    }
}

impl Gate {
    /// `evicts`: make room at the cap by closing the longest idle
    /// connection (whose holder listens to [`Pass::evicted`]).
    pub fn new(name: &'static str, max: usize, per_peer: usize, evicts: bool) -> Arc<Self> {
        Arc::new(Self {
            name,
            max: max.max(1),
            per_peer: per_peer.max(1),
            evicts,
            open: Mutex::default(),
            said: OnceASecond::new(),
        })
    }

    /// The most connections, in all.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The most connections from one address.
    pub fn per_peer(&self) -> usize {
        self.per_peer
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.counts().conns.len()
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for a connection from `ip` whose bytes `last` follows,
    /// given back when the [`Pass`] is dropped.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, last: &LastActive) -> Result<Pass, Full> {
        let peer = Peer::from(ip);
        let mut c = self.counts();
        if c.by_peer.get(&peer).copied().unwrap_or(0) >= self.per_peer {
            return Err(Full::Peer(self.per_peer));
        }
        if c.conns.len() >= self.max {
            let idle_since = Instant::now().checked_sub(EVICT_AFTER);
            let oldest = self
                .evicts
                .then(|| {
                    c.conns
                        .iter()
                        .filter(|(_, h)| idle_since.is_some_and(|t| h.last.at() <= t))
                        .min_by_key(|(_, h)| h.last.at())
                        .map(|(id, _)| *id)
                })
                .flatten();
            match oldest {
                Some(id) => {
                    if let Some(h) = c.remove(id) {
                        h.evict.notify_one();
                    }
                }
                None => return Err(Full::All(self.max)),
            }
        }
        let id = c.next;
        c.next += 1;
        *c.by_peer.entry(peer).or_default() += 1;
        let evict = Arc::new(tokio::sync::Notify::new());
        c.conns.insert(
            id,
            Held {
                peer,
                last: last.clone(),
                evict: evict.clone(),
            },
        );
        Ok(Pass {
            gate: self.clone(),
            id,
            evict,
        })
    }

    /// Logs a refusal, at most once a second per listener (a flood would
    /// otherwise write a line per connection).
    pub fn refused(&self, ip: IpAddr, why: Full) {
        if self.said.once_a_second() {
            tracing::warn!(listener = self.name, peer = %ip, %why, "connection refused (said at most once a second)");
        }
    }
}

impl Counts {
    fn remove(&mut self, id: u64) -> Option<Held> {
        let held = self.conns.remove(&id)?;
        if let Some(n) = self.by_peer.get_mut(&held.peer) {
            *n -= 1;
            if *n == 0 {
                self.by_peer.remove(&held.peer);
            }
        }
        Some(held)
    }
}

/// Lets a line through at most once a second.
#[derive(Debug, Default)]
pub struct OnceASecond(AtomicU64);

impl OnceASecond {
    pub const fn new() -> Self {
        Self(AtomicU64::new(0))
    }

    /// True at most once in any second.
    pub fn once_a_second(&self) -> bool {
        let now = since_start_ms() + 1_000;
        let last = self.0.load(Ordering::Relaxed);
        now.saturating_sub(last) >= 1_000
            && self
                .0
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// One admitted connection's place.
#[derive(Debug)]
pub struct Pass {
    gate: Arc<Gate>,
    id: u64,
    evict: Arc<tokio::sync::Notify>,
}

impl Pass {
    /// Resolves when the gate has given this connection's place to another
    /// (it was the idle one at the cap): close it.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        self.gate.counts().remove(self.id);
    }
}

fn since_start_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
}

/// When a connection last moved a byte, shared between its I/O and the
/// task that closes it when idle.
#[derive(Debug, Clone)]
pub struct LastActive(Arc<AtomicU64>, Instant);

impl LastActive {
    pub fn new() -> Self {
        Self(Arc::new(AtomicU64::new(0)), Instant::now())
    }

    fn touch(&self) {
        self.0
            .store(self.1.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// The instant of the last byte in or out (or of the connection's start).
    pub fn at(&self) -> Instant {
        self.1 + Duration::from_millis(self.0.load(Ordering::Relaxed))
    }

    /// Resolves once nothing has moved for `idle`.
    pub async fn idle_for(&self, idle: Duration) {
        loop {
            let deadline = self.at() + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

impl Default for LastActive {
    fn default() -> Self {
        Self::new()
    }
}

/// An I/O stream that records its last byte in or out.
#[derive(Debug)]
pub struct Activity<T> {
    inner: T,
    last: LastActive,
}

impl<T> Activity<T> {
    pub fn new(inner: T, last: LastActive) -> Self {
        Self { inner, last }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Activity<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.last.touch();
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Activity<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.last.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.last.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The open-files limit: (soft before, soft now, hard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    pub before: u64,
    pub now: u64,
    pub hard: u64,
}

/// The soft open-files limit now, where there is one.
pub fn open_files() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Raises the soft open-files limit to the hard one (a server's usual
/// start: systemd and shells hand out 1,024 soft with far more hard).
/// `None` where there is no such limit (not Unix) or it cannot be read.
pub fn raise_open_files() -> Option<OpenFiles> {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let mut limit = getrlimit(Resource::Nofile);
        let before = limit.current?;
        let hard = limit.maximum.unwrap_or(u64::MAX);
        let mut now = before;
        if before < hard {
            limit.current = limit.maximum;
            if setrlimit(Resource::Nofile, limit).is_ok() {
                now = hard;
            }
        }
        Some(OpenFiles { before, now, hard })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Descriptors kept for everything but connections: the database and its
/// WAL, HLS segments, the ingest's children, logs.
pub const RESERVED_FILES: u64 = 128;

/// The connection caps under an open-files limit: HTTPS and RTMP together
/// leave [`RESERVED_FILES`]; each keeps at least 16.
pub fn fit_caps(open_files: Option<u64>, https: usize, rtmp: usize) -> (usize, usize) {
    let Some(limit) = open_files else {
        return (https, rtmp);
    };
    let room = limit.saturating_sub(RESERVED_FILES) as usize;
    if https + rtmp <= room {
        return (https, rtmp);
    }
    // Shared in proportion to what each asked for.
    let https_share = (room as u128 * https as u128 / (https + rtmp).max(1) as u128) as usize;
    (
        https_share.max(16),
        room.saturating_sub(https_share).max(16),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_keeps_a_share_per_address_and_a_cap_in_all() {
        let gate = Gate::new("test", 3, 2, false);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let l = LastActive::new();
        let p1 = gate.admit(a, &l).unwrap();
        let _p2 = gate.admit(a, &l).unwrap();
        assert_eq!(gate.admit(a, &l).unwrap_err(), Full::Peer(2));
        let _p3 = gate.admit(b, &l).unwrap();
        assert_eq!(gate.admit(b, &l).unwrap_err(), Full::All(3));
        drop(p1);
        assert_eq!(gate.open(), 2);
        let _p4 = gate.admit(a, &l).unwrap();
        // An IPv6 /64 is one address.
        let gate = Gate::new("test", 10, 1, false);
        let _v6 = gate.admit("2001:db8::1".parse().unwrap(), &l).unwrap();
        assert!(gate.admit("2001:db8::2".parse().unwrap(), &l).is_err());
        assert!(gate.admit("2001:db8:0:1::2".parse().unwrap(), &l).is_ok());
    }

    /// Quiet since `ago`.
    fn quiet_for(ago: Duration) -> LastActive {
        LastActive(Arc::new(AtomicU64::new(0)), Instant::now() - ago)
    }

    #[tokio::test]
    async fn at_its_cap_an_evicting_gate_closes_the_longest_idle() {
        let gate = Gate::new("test", 2, 10, true);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let first = gate.admit(ip, &LastActive::new()).unwrap();
        let _second = gate
            .admit(ip, &quiet_for(Duration::from_millis(100)))
            .unwrap();
        // Nobody idle long enough yet: refused.
        assert_eq!(
            gate.admit(ip, &LastActive::new()).unwrap_err(),
            Full::All(2)
        );
        drop(first);
        let first = gate.admit(ip, &quiet_for(Duration::from_secs(5))).unwrap();
        let _third = gate.admit(ip, &LastActive::new()).unwrap();
        // The first (idle longest) was told, and no longer counts.
        tokio::time::timeout(Duration::from_millis(10), first.evicted())
            .await
            .expect("told to close");
        assert_eq!(gate.open(), 2);
        drop(first);
        assert_eq!(gate.open(), 2);
    }

    #[test]
    fn caps_fit_under_the_open_files_limit() {
        assert_eq!(fit_caps(None, 4096, 1000), (4096, 1000));
        assert_eq!(fit_caps(Some(1 << 20), 4096, 1000), (4096, 1000));
        let (h, r) = fit_caps(Some(1024), 4096, 1000);
        assert!(h + r <= 1024 - RESERVED_FILES as usize, "{h} {r}");
        assert!(h > r);
    }
}
