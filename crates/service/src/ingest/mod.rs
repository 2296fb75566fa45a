//! The RTMP ingest (spec §5): what OBS, ffmpeg or any RTMP encoder sends
//! to a live's `rtmpPath`.
//!
//! - [`rtmp`]: the listener and one task per connection: the RTMP
//!   handshake and chunk stream through `rml_rtmp`, the admission of a
//!   publish, the limits that keep a broken or hostile peer from hurting
//!   the others.
//! - [`health`]: what arrives, measured: codecs, picture size, frame rate,
//!   key frame interval, bitrates, and a verdict with its reasons.
//! - [`hls`]: what arrives, remuxed into HLS for the watch page: 2 s
//!   MPEG-TS segments, a live playlist of the last 6.
//! - [`transcode`]: the optional ladder (1080p/720p/480p) through ffmpeg.
//! - this module: [`Ingest`], the registry of who publishes to which live
//!   now and which lives lost their signal, shared with the HTTP side
//!   (the `stream` object of a live, `GET /live/{liveId}/ingest`, the
//!   STREAM_ACTIVE refusal of a key regeneration).
//!
//! What a publish does to a live (sessions, events, auto-start and
//! auto-stop) are rules of the service API: [`crate::domain::ingest`].
//!
//! Why `rml_rtmp`: it is the RTMP library the Rust media servers build on
//! (mmids, the examples of rust-media-libs), kept since 2017, MIT, and it
//! is sans-I/O: a handshake and a server session that take bytes and give
//! bytes and events, so it sits on our own tokio sockets, timeouts and
//! limits with no threads or runtime of its own. It costs three small
//! crates (rml_amf0, and older hmac/sha2 for the handshake digest). Its
//! limits are ours to add: it accepts any chunk size and buffers a whole
//! message (up to 16 MiB) before handing it over, so the connection task
//! bounds the bytes a peer may send without completing a message.
//! `rtmp` (xiu's) brings its own session and stream hub, more than an
//! ingest that only receives needs.

pub mod health;
pub mod hls;
pub mod rtmp;
pub mod transcode;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use onair_api::{ClientInfo, Id, IngestHealth, Signal, Verdict};

use crate::clock::{timestamp, Millis};
use crate::config::IngestConfig;

/// The registry of publishers and lost signals.
#[derive(Debug)]
pub struct Ingest {
    pub config: IngestConfig,
    /// Where each live's HLS segments are written (`{dir}/{liveId}/`);
    /// emptied at start, removed with the service.
    hls_dir: std::path::PathBuf,
    /// Read by every status GET (a live's signal), written on publish,
    /// loss and timeout.
    state: RwLock<Registry>,
    /// Serialises the signal transitions (admit, lose, restore, time out)
    /// with their database writes, so a live's timeline keeps their order.
    pub(crate) transitions: tokio::sync::Mutex<()>,
    /// Open RTMP connections, in all and per address.
    pub(crate) gate: Arc<crate::conn::Gate>,
    next_id: AtomicU64,
}

#[derive(Debug, Default)]
struct Registry {
    /// The publisher of each live that has one.
    publishers: HashMap<String, Arc<Publisher>>,
    /// Lives whose publisher went away while on air, waiting for one to
    /// come back within `stopTimeout`.
    interrupted: HashMap<String, Interruption>,
    /// The HLS of each live that has had a publisher: kept across an
    /// interruption, dropped a minute after it ended ([`Ingest::prune`]).
    hls: HashMap<String, HlsState>,
}

#[derive(Debug)]
struct HlsState {
    hls: Arc<Mutex<hls::Hls>>,
    /// No publisher, and none is awaited, since then.
    ended: Option<Instant>,
    /// Players (a page's id, or an address) by when they last read the
    /// playlist.
    readers: HashMap<String, Instant>,
}

/// How long an ended live's last segments stay playable.
const HLS_AFTER_END: std::time::Duration = std::time::Duration::from_secs(60);
/// A player counts as watching this long after its last playlist read.
const PLAYER_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);
/// Players counted per live at most (a bound on the map).
const MAX_PLAYERS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Interruption {
    at: Millis,
    /// Which interruption: a timer ends the live only if its own is still
    /// the current one.
    epoch: u64,
}

/// One admitted publish.
#[derive(Debug)]
pub struct Publisher {
    /// Also the `streamId` of its [`ClientInfo`].
    pub id: u64,
    pub live_id: String,
    /// When it was admitted (service clock).
    pub since: Millis,
    pub info: Mutex<ClientInfo>,
    pub meter: Mutex<health::Meter>,
    /// Its live's HLS (set when it is admitted).
    pub hls: Arc<Mutex<hls::Hls>>,
}

impl Publisher {
    /// An FLV video tag: measured, and remuxed.
    pub fn video(&self, ts: u32, data: &[u8]) {
        lock(&self.meter).video(Instant::now(), ts, data);
        lock(&self.hls).video(ts, data);
    }

    /// An FLV audio tag: measured, and remuxed.
    pub fn audio(&self, ts: u32, data: &[u8]) {
        lock(&self.meter).audio(Instant::now(), ts, data);
        lock(&self.hls).audio(ts, data);
    }
}

/// A poisoned lock only means a panic elsewhere; the data is still whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ingest {
    fn read(&self) -> RwLockReadGuard<'_, Registry> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Registry> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Ingest {
    /// A registry writing HLS under `hls_dir` (created empty).
    pub fn new(config: IngestConfig, hls_dir: std::path::PathBuf) -> Self {
        let _ = std::fs::remove_dir_all(&hls_dir);
        Self {
            hls_dir,
            state: RwLock::default(),
            transitions: tokio::sync::Mutex::new(()),
            gate: crate::conn::Gate::new(
                "RTMP",
                config.max_connections,
                config.max_per_peer,
                false,
            ),
            next_id: AtomicU64::new(1),
            config,
        }
    }

    /// RTMP connections open now.
    pub fn connections(&self) -> usize {
        self.gate.open()
    }

    /// A new id for a connection.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The live's signal now, and since when it is interrupted.
    pub fn signal(&self, live_id: &str) -> (Signal, Option<Millis>) {
        let st = self.read();
        if st.publishers.contains_key(live_id) {
            (Signal::Receiving, None)
        } else if let Some(i) = st.interrupted.get(live_id) {
            (Signal::Interrupted, Some(i.at))
        } else {
            (Signal::None, None)
        }
    }

    /// Whether a publisher streams with the live's key now.
    pub fn is_publishing(&self, live_id: &str) -> bool {
        self.read().publishers.contains_key(live_id)
    }

    /// The live's publisher, if any.
    pub fn publisher(&self, live_id: &str) -> Option<Arc<Publisher>> {
        self.read().publishers.get(live_id).cloned()
    }

    /// Makes a publisher of `live_id` (built by `make` around the live's
    /// HLS: its own, continued after a discontinuity, or a new one) the
    /// live's, unless it has one already (`None`). The flag: it comes back
    /// within an interruption.
    pub(crate) fn claim(
        &self,
        live_id: &str,
        make: impl FnOnce(Arc<Mutex<hls::Hls>>) -> Publisher,
    ) -> Option<(Arc<Publisher>, bool)> {
        let mut st = self.write();
        if st.publishers.contains_key(live_id) {
            return None;
        }
        let restored = st.interrupted.remove(live_id).is_some();
        // Our live ids are letters, digits and dashes; anything else is
        // kept out of a path all the same.
        let name: String = live_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = self.hls_dir.join(name);
        let state = st
            .hls
            .entry(live_id.to_owned())
            .or_insert_with(|| HlsState {
                hls: Arc::new(Mutex::new(hls::Hls::new(dir))),
                ended: None,
                readers: HashMap::new(),
            });
        state.ended = None;
        lock(&state.hls).new_publisher();
        let publisher = Arc::new(make(state.hls.clone()));
        st.publishers.insert(live_id.to_owned(), publisher.clone());
        Some((publisher, restored))
    }

    /// The publisher `id` leaves its live. With `interrupt`, the live's
    /// signal is INTERRUPTED from `now` on: returns the interruption's
    /// epoch for its timer.
    pub(crate) fn release(&self, live_id: &str, id: u64, interrupt: Option<Millis>) -> Option<u64> {
        let mut st = self.write();
        if st.publishers.get(live_id).is_none_or(|p| p.id != id) {
            return None;
        }
        if let Some(p) = st.publishers.remove(live_id) {
            lock(&p.hls).finish();
        }
        let Some(at) = interrupt else {
            if let Some(h) = st.hls.get_mut(live_id) {
                h.ended = Some(Instant::now());
            }
            return None;
        };
        let epoch = self.next_id();
        st.interrupted
            .insert(live_id.to_owned(), Interruption { at, epoch });
        Some(epoch)
    }

    /// Ends the interruption `epoch` of a live if it is still the current
    /// one (no publisher came back). Returns whether it was.
    pub(crate) fn expire(&self, live_id: &str, epoch: u64) -> bool {
        let mut st = self.write();
        if st
            .interrupted
            .get(live_id)
            .is_some_and(|i| i.epoch == epoch)
        {
            st.interrupted.remove(live_id);
            true
        } else {
            false
        }
    }

    /// The live's HLS playlist, read by the player `reader` (`None`: a
    /// read that is not a viewer); `None` while there is nothing to play.
    /// `ended` closes it (the live has ended).
    pub fn playlist(&self, live_id: &str, ended: bool, reader: Option<&str>) -> Option<String> {
        let mut st = self.write();
        let state = st.hls.get_mut(live_id)?;
        let hls = lock(&state.hls);
        if !hls.has_segments() {
            return None;
        }
        if let Some(reader) = reader {
            if state.readers.len() >= MAX_PLAYERS {
                state.readers.clear();
            }
            state.readers.insert(reader.to_owned(), Instant::now());
        }
        Some(hls.playlist(ended || state.ended.is_some()))
    }

    /// The file of a segment of the live's HLS, while it is listed.
    pub fn segment(&self, live_id: &str, seq: u64) -> Option<std::path::PathBuf> {
        let st = self.read();
        let state = st.hls.get(live_id)?;
        let segment = lock(&state.hls).segment(seq);
        segment
    }

    /// A file of the live's transcoding ladder: `master.m3u8`, or a
    /// rendition's `index.m3u8` or `seg{N}.ts`, if it exists.
    pub fn ladder_file(
        &self,
        live_id: &str,
        rendition: Option<&str>,
        file: &str,
    ) -> Option<std::path::PathBuf> {
        let dir = transcode::dir(lock(&self.read().hls.get(live_id)?.hls).dir());
        let segment = |f: &str| {
            f.strip_prefix("seg")
                .and_then(|f| f.strip_suffix(".ts"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let path = match rendition {
            None if file == "master.m3u8" => dir.join(file),
            Some(r) if transcode::is_rendition(r) && (file == "index.m3u8" || segment(file)) => {
                dir.join(r).join(file)
            }
            _ => return None,
        };
        path.exists().then_some(path)
    }

    /// Segments listed in the live's playlist.
    pub fn segment_count(&self, live_id: &str) -> usize {
        self.read()
            .hls
            .get(live_id)
            .map_or(0, |h| lock(&h.hls).segment_count())
    }

    /// Players that read the live's playlist in the last 30 s.
    pub fn players(&self, live_id: &str) -> usize {
        let now = Instant::now();
        self.read().hls.get(live_id).map_or(0, |h| {
            h.readers
                .values()
                .filter(|t| now.duration_since(**t) <= PLAYER_WINDOW)
                .count()
        })
    }

    /// Drops the HLS of lives ended over a minute ago, and players gone
    /// quiet. Called every few seconds by the RTMP listener.
    pub fn prune(&self) {
        let now = Instant::now();
        let mut st = self.write();
        st.hls.retain(|_, h| {
            h.readers
                .retain(|_, t| now.duration_since(*t) <= PLAYER_WINDOW);
            h.ended
                .is_none_or(|t| now.duration_since(t) <= HLS_AFTER_END)
        });
    }

    /// Bytes of HLS held in memory (segments being written), all lives.
    pub fn hls_memory(&self) -> usize {
        self.read()
            .hls
            .values()
            .map(|h| lock(&h.hls).memory())
            .sum()
    }

    /// `GET /live/{liveId}/ingest`: what arrives now.
    pub fn health(&self, live_id: &str) -> IngestHealth {
        let (signal, _) = self.signal(live_id);
        let empty = |signal| IngestHealth {
            live_id: Id::new(live_id),
            signal,
            verdict: Verdict::NoSignal,
            reasons: vec!["no stream is arriving".to_owned()],
            video: None,
            audio: None,
            bytes_received: 0,
            timestamp_gaps: 0,
            timestamps_backwards: 0,
            since_last_frame_ms: None,
            publishing_since: None,
            publisher: None,
            playback_url: None,
        };
        let Some(p) = self.publisher(live_id) else {
            return empty(signal);
        };
        let r = lock(&p.meter).report(Instant::now());
        let publisher = lock(&p.info).clone();
        IngestHealth {
            live_id: Id::new(live_id),
            signal: Signal::Receiving,
            verdict: r.verdict,
            reasons: r.reasons,
            video: r.video,
            audio: r.audio,
            bytes_received: r.bytes_received,
            timestamp_gaps: r.timestamp_gaps,
            timestamps_backwards: r.timestamps_backwards,
            since_last_frame_ms: r.since_last_frame_ms,
            publishing_since: Some(timestamp(p.since)),
            publisher: Some(publisher),
            playback_url: None,
        }
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.hls_dir);
    }
}

/// The last 4 characters of a stream key: all a log line may show of it.
pub fn key_hint(key: &str) -> String {
    let n = key.chars().count();
    let tail: String = key.chars().skip(n.saturating_sub(4)).collect();
    format!("…{tail}")
}
