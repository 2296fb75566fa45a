//! onair's client core: everything the desktop app does with a streaming
//! service, with no Tauri types, so it can be tested against the reference
//! service and reused by another front end.
//!
//! # Layout
//! - [`profile`]: which service and how ([`Profile`]), persisted as a
//!   versioned JSON file without secrets.
//! - [`tls`]: the HTTP client: rustls with the platform's roots plus a
//!   pinned certificate, timeouts, no redirects.
//! - [`oauth`]: endpoint discovery (RFC 8414, OpenID Connect Discovery),
//!   scopes, pushed requests (RFC 9126), token calls in the RFC 6749
//!   and PRISM forms, revocation (RFC 7009).
//! - [`oidc`]: who logged in, from the login server (ID token, userinfo),
//!   for services whose API cannot say.
//! - [`lookup`]: from one address to a service's settings (RFC 9728,
//!   then discovery), for the "add a service" form.
//! - [`login`]: the browser login on a loopback listener (RFC 8252, PKCE).
//! - [`store`]: [`TokenStore`]: the OS keyring, or memory.
//! - [`client`]: [`Connector`] (a profile ready to log in) and [`Client`]
//!   (a login: token refresh, one typed method per call of spec §3-§5).
//! - [`ingest`]: `rtmpPath` into server URL and stream key.
//! - [`watch`]: the live watcher and the chat follower.
//! - [`obs`]: OBS Studio over obs-websocket 5 (send the server and key,
//!   watch its stream) and its `service.json` fallback.
//! - [`error`]: [`Error`], the one error type, with a stable code per
//!   variant for the app.
//!
//! Secrets (tokens, client secrets, stream keys) are [`onair_api::Secret`]s:
//! their `Debug` and `Display` are redacted, and nothing here logs one.

pub mod client;
pub mod error;
pub mod ingest;
pub mod login;
pub mod lookup;
pub mod oauth;
pub mod obs;
pub mod oidc;
pub mod profile;
pub mod store;
pub mod tls;
pub mod watch;

pub use client::{
    AuthStatus, Client, ClientOptions, Connector, LoggedIn, Media, PictureClient, MEDIA_MAX,
    PICTURE_MAX, PICTURE_TYPES,
};
pub use error::{Error, LoginError, Result};
pub use ingest::StreamTarget;
pub use login::{CancelHandle, LoginSlot, PendingLogin};
pub use profile::{Profile, Profiles, TokenForm};
pub use store::{Credentials, KeyringStore, MemoryStore, TokenStore};
pub use watch::{follow_chat, watch_live, ChatEvent, ChatOptions, LiveEvent, Watch, WatchOptions};
