//! onair's reference implementation of the PRISM "service API"
//! (`shared/spec/service-api.md`): an OAuth 2.0 authorization server and
//! the service API behind it, over TLS, on SQLite.
//!
//! # Layout
//! - [`config`]: how an instance is set up ([`Config`]), and input limits.
//! - [`server`]: [`Service::open`] and [`Service::run`]: TLS accept loop,
//!   graceful shutdown; [`serve`] does both.
//! - [`http`]: the route table, from which both the router and
//!   `/openapi.json` are built; thin handlers and extractors.
//! - [`auth`]: the authorization server's logic (RFC 6749, 7636, 7009,
//!   8252, 8414), free of HTTP types.
//! - [`domain`]: the service API's rules (who may do what, what each call
//!   changes), free of HTTP types; [`domain::admin`] holds operator actions
//!   and the demo seed.
//! - [`ingest`]: the RTMP ingest (spec §5): the listener, admission of a
//!   publish by the live's key, the registry of publishers and lost
//!   signals, and stream health measured from what arrives. What a
//!   publish does to a live is [`domain::ingest`]'s.
//! - [`trust`]: access tokens of standard OAuth 2.0 / OpenID Connect
//!   servers the service trusts (`--trust-issuer`): RFC 9068 JWTs and RFC
//!   7662 introspection.
//! - [`sim`]: the simulated audience.
//! - `testing` (feature `testing`): a scripted browser for the login page,
//!   shared by this crate's tests and the client's.
//! - [`db`], [`tls`], [`crypto`], [`clock`], [`state`], [`error`]: plumbing.
//!
//! Handlers parse, delegate and map errors; the rules live in `auth` and
//! `domain`, which tests can call directly with an [`AppState`].

pub mod auth;
pub mod clock;
pub mod config;
pub mod conn;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod ingest;
pub mod server;
pub mod sim;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
pub mod tls;
pub mod trust;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    Config, HttpLimits, IngestConfig, Simulation, Storage, ThrottleConfig, Tls, TrustConfig,
};
pub use error::{ApiError, StartError};
pub use server::{serve, Running, Service};
pub use state::AppState;
