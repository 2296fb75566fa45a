//! How a service instance is set up. The binary fills it from its flags; the
//! desktop app and the tests build it in code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum Storage {
    /// A SQLite database (WAL) and the TLS material in this directory.
    Dir(PathBuf),
    /// Nothing on disk (tests): one in-memory database, a fresh certificate.
    Memory,
}

/// What the listener speaks.
#[derive(Debug, Clone)]
pub enum Tls {
    /// A self-signed certificate for 127.0.0.1/::1/localhost, generated on
    /// first start and kept in the data directory.
    SelfSigned,
    /// PEM files given by the operator.
    Files { cert: PathBuf, key: PathBuf },
    /// Plain HTTP (`--insecure-http`): never for anything but local tests of
    /// other clients.
    InsecureHttp,
}

/// The simulated audience (off unless asked).
#[derive(Debug, Clone, Copy)]
pub struct Simulation {
    /// Chat messages per second per ON_AIR live.
    pub chat_rate: f64,
    /// Seed of the simulation's random numbers: same seed, same audience.
    pub seed: u64,
    /// How often the audience moves.
    pub tick: Duration,
}

impl Default for Simulation {
    fn default() -> Self {
        Self {
            chat_rate: 1.0,
            seed: 7,
            tick: Duration::from_millis(250),
        }
    }
}

/// Everything a service instance needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub storage: Storage,
    pub tls: Tls,
    /// Lifetime of an access token (default 1 h).
    pub access_ttl: Duration,
    /// Lifetime of a refresh token (default 30 days).
    pub refresh_ttl: Duration,
    /// Lifetime of an authorization code (60 s).
    pub code_ttl: Duration,
    pub clock: Arc<dyn Clock>,
    /// Create the demo users, channels, lives and clients (idempotent).
    pub seed_demo: bool,
    pub simulate: Option<Simulation>,
    /// Token of the operator routes; a random one when `None`.
    pub admin_token: Option<String>,
    /// Base URL as clients see it (issuer, links); derived from the listener
    /// address when `None`.
    pub public_url: Option<String>,
    /// Ingest URL that stream keys are appended to, as publishers see it;
    /// `None`: `rtmp://ADDR/live` of the RTMP listener.
    pub rtmp_url: Option<String>,
    /// The RTMP ingest (spec §5).
    pub ingest: IngestConfig,
    /// Standard OAuth 2.0 / OpenID Connect servers whose access tokens the
    /// API accepts too (`--trust-issuer`).
    pub trust: TrustConfig,
    /// The HTTPS listener's connections and requests: caps and timeouts.
    pub http: HttpLimits,
    /// How fast passwords, client secrets, grants and the admin token may
    /// be guessed.
    pub throttle: ThrottleConfig,
}

/// What one client may hold of the HTTPS listener, and for how long
/// (issue 19: a flood of idle connections locked everyone out). The
/// defaults are written in the README; each is a flag.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Open connections at most (`--max-connections`); also kept under the
    /// open-files limit, with room for the database, the ingest and HLS.
    /// More are accepted and closed at once.
    pub max_connections: usize,
    /// Open connections at most from one address, an IPv6 /64 counting as
    /// one (`--max-connections-per-peer`).
    pub max_per_peer: usize,
    /// From TCP accept to a finished TLS handshake (`--handshake-timeout`).
    pub handshake_timeout: Duration,
    /// A connection that sends and receives nothing for this long is closed
    /// (`--idle-timeout`): between HTTP/1.1 requests, an HTTP/2 connection
    /// with nothing to do, a client that connected and said nothing.
    pub idle_timeout: Duration,
    /// A request's head, from its first byte, at most (`--header-timeout`).
    pub header_timeout: Duration,
    /// A request's body, whole, at most (`--body-timeout`); then 408.
    pub body_timeout: Duration,
    /// Concurrent HTTP/2 streams of one connection.
    pub max_streams: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 4_096,
            max_per_peer: 128,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_streams: 100,
        }
    }
}

/// Limits on guessing (issue 19), each a flag. Failed attempts count, not
/// successful ones, so a client that knows its secrets is never slowed.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failed sign-ins on the login form per client address per minute
    /// (`--login-failures`), the first ones at once.
    pub login_per_minute: u32,
    /// Failed client authentications, codes, verifiers and refresh tokens
    /// at the token and revocation endpoints per address per minute
    /// (`--token-failures`).
    pub token_per_minute: u32,
    /// Wrong admin tokens per address per minute (`--admin-failures`).
    pub admin_per_minute: u32,
    /// Failures of one account (user name, client id) from anywhere after
    /// which it is locked (`--lockout-after`): 1 s, doubling with each
    /// further failure, to at most `lockout_max` (`--lockout-max`). The
    /// lock does not apply to addresses the account has signed in from,
    /// so an attacker cannot lock a real user out.
    pub lockout_after: u32,
    pub lockout_max: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            login_per_minute: 10,
            token_per_minute: 30,
            admin_per_minute: 10,
            lockout_after: 5,
            lockout_max: Duration::from_secs(300),
        }
    }
}

/// Other login servers the API trusts ([`crate::trust`]).
#[derive(Debug, Clone)]
pub struct TrustConfig {
    /// Issuer URLs, exactly as their metadata and tokens write them.
    pub issuers: Vec<String>,
    /// RFC 9068 §4: a JWT access token's `aud` must include this
    /// (`--trust-audience`); `None`: not checked.
    pub audience: Option<String>,
    /// The service's own client at those servers, to introspect opaque
    /// tokens (RFC 7662 §2.1): `--trust-client-id` and the secret from
    /// `ONAIR_TRUST_CLIENT_SECRET` (never a flag: flags show in `ps`).
    pub client_id: Option<String>,
    pub client_secret: Option<onair_api::Secret>,
    /// PEM certificates trusted besides the platform's roots to reach
    /// them (`--trust-ca`).
    pub ca_pem: Option<String>,
    /// Shortest time between two reads of an issuer's keys (10 s): a token
    /// naming an unknown key reads them again, at most this often.
    pub jwks_refetch: Duration,
}

impl Default for TrustConfig {
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            audience: None,
            client_id: None,
            client_secret: None,
            ca_pem: None,
            jwks_refetch: Duration::from_secs(10),
        }
    }
}

/// The RTMP ingest: where it listens and the limits that keep a hostile
/// or broken publisher from hurting the others.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Where the RTMP listener binds (port 0 picks one); `None`: no ingest.
    pub listen: Option<SocketAddr>,
    /// Open RTMP connections at most; more are closed at once.
    pub max_connections: usize,
    /// Open RTMP connections at most from one address (an IPv6 /64 as one).
    pub max_per_peer: usize,
    /// Bytes a connection may send without completing an RTMP message: the
    /// largest message (a key frame) it may send, and so the bound of its
    /// buffers.
    pub max_message_bytes: usize,
    /// From TCP accept to an admitted publish, at most.
    pub publish_timeout: Duration,
    /// Silence (no byte at all) after which a connection is dropped; also
    /// how long an admitted publish may go without sending media.
    pub idle_timeout: Duration,
    /// The default `stopTimeout` of a live (Sigma's default: 30 s).
    pub stop_timeout: Duration,
    /// Steady input for this long records a `STABLE` event.
    pub stable_after: Duration,
    /// Transcode each stream into a 1080p/720p/480p HLS ladder with
    /// ffmpeg (`--transcode`): CPU-heavy, off by default.
    pub transcode: bool,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            listen: None,
            max_connections: 1_000,
            max_per_peer: 32,
            max_message_bytes: 8 * 1024 * 1024,
            publish_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            stop_timeout: Duration::from_secs(30),
            stable_after: Duration::from_secs(10),
            transcode: false,
        }
    }
}

impl Config {
    /// Defaults for a data directory: self-signed TLS, 1 h tokens.
    pub fn new(storage: Storage) -> Self {
        Self {
            storage,
            tls: Tls::SelfSigned,
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            code_ttl: Duration::from_secs(60),
            clock: Arc::new(SystemClock),
            seed_demo: false,
            simulate: None,
            admin_token: None,
            public_url: None,
            rtmp_url: None,
            ingest: IngestConfig::default(),
            trust: TrustConfig::default(),
            http: HttpLimits::default(),
            throttle: ThrottleConfig::default(),
        }
    }

    /// In-memory, self-signed TLS, demo data, an RTMP ingest on
    /// 127.0.0.1 port 0: what tests start from.
    pub fn for_tests() -> Self {
        let mut config = Self {
            seed_demo: true,
            ..Self::new(Storage::Memory)
        };
        config.ingest.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        config
    }

    /// The platform data directory for the standalone service.
    pub fn default_data_dir() -> PathBuf {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("onair-service")
    }
}

/// Limits of spec inputs (issue: "input limits with a clear 400").
pub mod limits {
    /// Title length in characters, after trimming.
    pub const TITLE: std::ops::RangeInclusive<usize> = 1..=100;
    /// Longest description, in characters.
    pub const DESCRIPTION_MAX: usize = 5_000;
    /// Chat message length in characters, after trimming.
    pub const CHAT: std::ops::RangeInclusive<usize> = 1..=500;
    /// `banTime` in seconds (at most 14 days).
    pub const BAN_TIME: std::ops::RangeInclusive<i64> = 1..=1_209_600;
    /// Largest request body.
    pub const BODY_BYTES: usize = 64 * 1024;
    /// Largest `perPage` of session lists.
    pub const PER_PAGE_MAX: u32 = 100;
    /// A live's `stopTimeout`, seconds.
    pub const STOP_TIMEOUT: std::ops::RangeInclusive<u32> = 1..=3_600;
}
