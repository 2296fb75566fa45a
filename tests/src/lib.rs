//! onair-tests: the flows that cross onair's crates, and their support.
//!
//! # Layout
//! - [`app`]: the real app's binary and tauri-driver (for `e2e.rs`).
//! - [`service`]: the reference service in-process, logins through its
//!   own page, captured logs (for `client.rs` and `obs.rs`).
//! - [`oidc`]: a standard OpenID Connect provider (node's oidc-provider,
//!   `tests/oidc`) on loopback, for logins that are not the service's own.
//! - `e2e.rs`: the real app under Xvfb through tauri-driver, on the
//!   built-in demo service; `e2e/one_screen.rs` (a module of it): the
//!   dashboard's layout at 1280x800 and 800x600, the app from the keyboard
//!   alone, every screen in English, Korean and Japanese.
//! - `client.rs`: onair-client against the reference service: the login,
//!   every call, token refresh, the watchers through outages.
//! - `oidc.rs`: onair-client and the reference service with that
//!   provider: discovery, login, rotation, restore, revocation, refusals.
//! - `obs.rs`: real OBS Studio given a live's server and key by
//!   onair-client, streaming into the reference service's ingest.

pub mod app;
pub mod oidc;
pub mod service;
