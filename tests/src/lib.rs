//! onair-tests: the flows that cross onair's crates, and their support.
//!
//! # Layout
//! - [`app`]: the real app's binary and tauri-driver (for `e2e.rs`).
//! - [`service`]: the reference service in-process, logins through its
//!   own page, captured logs (for `client.rs` and `obs.rs`).
//! - `e2e.rs`: the real app under Xvfb through tauri-driver, on the
//!   built-in demo service.
//! - `client.rs`: onair-client against the reference service: the login,
//!   every call, token refresh, the watchers through outages.
//! - `obs.rs`: real OBS Studio given a live's server and key by
//!   onair-client, streaming into the reference service's ingest.

pub mod app;
pub mod service;
