//! How a service instance is set up. The binary fills it from its flags; the
//! desktop app and the tests build it in code.

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
    /// Ingest URL that stream keys are appended to.
    pub rtmp_url: String,
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
            rtmp_url: "rtmp://127.0.0.1:1935/live".to_owned(),
        }
    }

    /// In-memory, self-signed TLS, demo data: what tests start from.
    pub fn for_tests() -> Self {
        Self {
            seed_demo: true,
            ..Self::new(Storage::Memory)
        }
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
}
