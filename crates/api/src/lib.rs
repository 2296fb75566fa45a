//! Wire types of the PRISM "service API" (`shared/spec/service-api.md`).
//!
//! # Layout
//! - [`lenient`]: the deserialisers behind "lenient in, canonical out": ids as
//!   strings or numbers, dates in the ISO 8601 spellings real services send,
//!   counts and flags as numbers or strings.
//! - [`model`]: the published objects of spec §3 and §4: [`User`],
//!   [`Channel`], [`Live`], [`LiveStat`], [`ChatMessage`] and the bodies of
//!   their calls.
//! - [`extra`]: onair's additions of spec §5 (stream keys, sessions, events)
//!   and `/capabilities`.
//! - [`ingest`]: onair's ingest extension: a live's signal ([`LiveStream`])
//!   and what the service receives ([`IngestHealth`]).
//! - [`envelope`]: the `{success, errorCode, errorName, message, data}`
//!   envelope of spec §1 and its error names.
//! - [`oauth`]: RFC 6749 token responses and errors, RFC 8414 metadata.
//! - `jose` (feature `jose`): JWS checks of ID tokens and JWT access
//!   tokens, shared by the client and the reference service.
//! - [`secret`]: [`Secret`], a string that never shows in `Debug`/`Display`.
//!
//! Every type deserialises leniently (unknown fields are ignored, odd but
//! common spellings are accepted) and serialises one canonical form: ids as
//! strings, `ON_AIR`, RFC 3339 dates, camelCase names exactly as the spec.
//! Nothing here does I/O; the reference service and the client share it.

pub mod envelope;
pub mod extra;
pub mod ingest;
#[cfg(feature = "jose")]
pub mod jose;
pub mod lenient;
pub mod model;
pub mod oauth;
pub mod secret;

pub use envelope::{Envelope, ErrorName};
pub use extra::{
    Capabilities, ClientInfo, EndReason, EventKind, EventList, OptionalApi, Session, SessionEvent,
    SessionList, SessionStatus, StreamKey,
};
pub use ingest::{
    AudioHealth, Extension, IngestHealth, LiveStream, Signal, Verdict, VideoHealth, WatchState,
};
pub use lenient::{Id, Timestamp};
pub use model::{
    BanTime, Channel, ChannelData, ChannelList, ChannelLive, ChatListRequest, ChatMessage,
    ChatPage, ChatSend, ChatSent, CreateLive, Live, LiveData, LiveList, LiveStat, LiveStatus,
    Scope, StatusFilter, User, UserData,
};
pub use oauth::{
    AuthServerMetadata, OAuthError, OAuthErrorCode, ProtectedResourceMetadata, TokenResponse,
};
pub use secret::Secret;

/// Base path of every service API resource (spec §1).
pub const BASE_PATH: &str = "/prism/v1/service";
