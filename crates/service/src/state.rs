//! What every handler shares: the database, the clock, settings, and the
//! cache of valid access tokens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use onair_api::OptionalApi;

use crate::clock::{Clock, Millis};
use crate::db::Db;
use crate::domain::LiveRow;

/// Shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The fields behind [`AppState`].
#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Base URL as clients see it: the OAuth issuer and the root of links.
    pub base_url: String,
    /// Where publishers send streams (`rtmp://HOST:PORT/live`); a live's
    /// `rtmpPath` is this, `/`, its key.
    pub rtmp_url: String,
    /// The RTMP ingest's registry: who publishes to which live now.
    pub ingest: crate::ingest::Ingest,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub code_ttl: Duration,
    /// Bearer token of the operator routes.
    pub admin_token: String,
    /// Access tokens seen valid, by hash, so the hot path (a live polled
    /// every 5 s by thousands of clients) costs one query, not two.
    pub tokens: TokenCache,
    /// Lives read on the polling path, valid until the next write to any
    /// live or channel.
    pub lives: LiveCache,
    /// Other login servers whose access tokens the API accepts.
    pub trust: Option<crate::trust::Trust>,
    /// Until when (service clock, ms) an operator outage lasts: the API
    /// and OAuth routes answer 503 until then (`PUT /admin/outage`).
    pub outage_until: AtomicI64,
    /// Failed guesses counted per address and account.
    pub throttle: crate::throttle::Throttle,
    /// Request bodies: size and time (the HTTP layer reads them whole).
    pub body_timeout: Duration,
}

impl Inner {
    /// Now, by the service's clock.
    pub fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    /// Starts an operator outage of `seconds` (0 ends one).
    pub fn start_outage(&self, seconds: u32) {
        let until = self.now() + i64::from(seconds) * 1000;
        self.outage_until.store(until, Ordering::Release);
    }

    /// Milliseconds left of an operator outage; 0 when there is none (and
    /// then without reading the clock: every request asks).
    pub fn outage_left(&self) -> Millis {
        match self.outage_until.load(Ordering::Acquire) {
            0 => 0,
            until => (until - self.now()).max(0),
        }
    }

    /// Commits a write transaction of the service API, then moves the
    /// [`LiveCache`] generation on. Every domain write commits here, so no
    /// write can leave a cached live behind.
    pub async fn commit(&self, tx: sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<(), sqlx::Error> {
        tx.commit().await?;
        self.lives.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }
}

/// A map that clears itself instead of growing past a bound: the shape of
/// both caches below, whose entries are cheap to read again.
#[derive(Debug)]
struct BoundedMap<V> {
    map: RwLock<HashMap<String, V>>,
}

impl<V> Default for BoundedMap<V> {
    fn default() -> Self {
        Self {
            map: RwLock::default(),
        }
    }
}

impl<V: Clone> BoundedMap<V> {
    /// Entries beyond this clear the map.
    const MAX: usize = 100_000;

    fn get_if(&self, key: &str, valid: impl FnOnce(&V) -> bool) -> Option<V> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|v| valid(v)).cloned()
    }

    fn insert(&self, key: String, value: V) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(key, value);
    }

    fn clear(&self) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Live rows by id, tagged with the write generation they were read at.
///
/// A reader takes the generation *before* it queries and stores the row
/// under it; writers bump it *after* they commit ([`Inner::commit`]). So a
/// row that may predate a commit always carries an older generation and is
/// never served again: the cache can miss, never be stale. Between writes
/// (the common case: thousands of clients polling every 5 s) a status GET
/// costs no query.
#[derive(Debug, Default)]
pub struct LiveCache {
    generation: AtomicU64,
    rows: BoundedMap<(u64, LiveRow)>,
}

impl LiveCache {
    /// The generation to tag a row read from now on.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A row read at the current generation.
    pub fn get(&self, id: &str) -> Option<LiveRow> {
        let now = self.generation();
        self.rows.get_if(id, |(g, _)| *g == now).map(|(_, r)| r)
    }

    /// Remembers a row read at `generation`.
    pub fn put(&self, generation: u64, row: LiveRow) {
        self.rows.insert(row.id.clone(), (generation, row));
    }
}

/// Who is calling: the result of checking an access token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    /// Optional APIs switched on for the client, usable ones only.
    pub apis: Arc<[OptionalApi]>,
    pub expires_at: Millis,
}

impl Caller {
    /// 404 NOT_SUPPORTED unless `api` is switched on for the calling client.
    pub fn require(&self, api: OptionalApi) -> crate::error::ApiResult<()> {
        if self.apis.contains(&api) {
            Ok(())
        } else {
            Err(crate::error::ApiError::not_supported(api))
        }
    }
}

/// Valid access tokens by hash. Any revocation clears it all: revocations
/// are rare, and a cleared cache only costs a query per token.
#[derive(Debug, Default)]
pub struct TokenCache {
    callers: BoundedMap<Caller>,
}

impl TokenCache {
    /// The caller of a cached, unexpired token.
    pub fn get(&self, hash: &str, now: Millis) -> Option<Caller> {
        self.callers.get_if(hash, |c| c.expires_at > now)
    }

    /// Remembers a valid token.
    pub fn insert(&self, hash: String, caller: Caller) {
        self.callers.insert(hash, caller);
    }

    /// Forgets everything (after any revocation).
    pub fn clear(&self) {
        self.callers.clear();
    }
}
