//! The one error type of the client core. Each variant is a thing the app
//! can say in words; [`Error::code`] is a stable name for the IPC boundary.

use std::time::Duration;

/// Everything that can go wrong between onair and a service.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// 404: the channel, live, message or user does not exist, or is not
    /// the caller's (spec §1).
    #[error("not found: {0}")]
    NotFound(String),
    /// 401 that a token refresh could not cure.
    #[error("the service refused the access token: {0}")]
    Unauthorized(String),
    /// 403: the caller may not do this (not the owner, banned, ...).
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// 409: the service's `errorName` says why (`STREAM_ACTIVE`,
    /// `CHANNEL_DISABLED`, `NOT_ON_AIR`, ...).
    #[error("{name}: {message}")]
    Conflict { name: String, message: String },
    /// 429: try again after `retry_after` when the service says.
    #[error("rate limited by the service")]
    RateLimited { retry_after: Option<Duration> },
    /// 400: the service's message names what is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The optional API is switched off for this service (spec §4).
    #[error("the service does not offer this ({0})")]
    NotSupported(String),
    /// The service could not be reached, or the connection broke.
    #[error("cannot reach the service: {0}")]
    Transport(String),
    /// 5xx, or an answer that is not the spec's shape; `retry_after` is
    /// the service's `Retry-After` (RFC 9110 §10.2.3), when it gave one.
    #[error("the service failed ({status}): {message}")]
    Server {
        status: u16,
        message: String,
        retry_after: Option<std::time::Duration>,
    },
    /// The refresh token was refused: the user has to log in again.
    #[error("the login has expired; log in again")]
    LoginRequired,
    /// The login did not complete (see [`LoginError`]).
    #[error(transparent)]
    Login(#[from] LoginError),
    /// A profile field is wrong; `field` names it.
    #[error("{field}: {message}")]
    Profile { field: String, message: String },
    /// The OS keyring or the config file failed.
    #[error("storage: {0}")]
    Storage(String),
    /// An `rtmpPath` that is not `rtmp://` / `rtmps://` with a key.
    #[error("unusable ingest URL: {0}")]
    Ingest(String),
    /// OBS Studio (its WebSocket server or its settings files).
    #[error(transparent)]
    Obs(#[from] crate::obs::ObsError),
}

/// Why a browser login ended without a session.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LoginError {
    /// The user refused on the service's page (`error=access_denied`).
    #[error("the login was denied")]
    Denied,
    /// `access_denied` to a login that asked for no scope of a server that
    /// has scopes: standard servers refuse a request for nothing.
    #[error("the login server granted no scope: set one in the service's settings")]
    NoScope,
    /// The ID token failed OpenID Connect Core §3.1.3.7's checks.
    #[error("the login server's ID token is not valid: {0}")]
    IdToken(String),
    /// Another `error=` from the authorization server (RFC 6749 §4.1.2.1).
    #[error("the service refused the login: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    /// The callback's `state` is not ours (RFC 6749 §10.12).
    #[error("the login answer did not match this login (state mismatch)")]
    StateMismatch,
    /// The callback's `iss` is not the issuer we talk to (RFC 9207 §2.4).
    #[error("the login answer came from another issuer")]
    IssuerMismatch,
    /// The callback had neither `code` nor `error`.
    #[error("the login answer had no code")]
    MissingCode,
    /// Nothing came back in time.
    #[error("the login timed out")]
    TimedOut,
    /// Cancelled by the user, or replaced by a newer login.
    #[error("the login was cancelled")]
    Cancelled,
    /// The code exchange was refused (RFC 6749 §5.2).
    #[error("the service refused the code: {0}")]
    Exchange(String),
    /// The loopback listener could not be opened.
    #[error("cannot listen for the login answer: {0}")]
    Listener(String),
}

impl Error {
    /// A stable name for the app and the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "not_found",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::Conflict { .. } => "conflict",
            Error::RateLimited { .. } => "rate_limited",
            Error::Invalid(_) => "invalid",
            Error::NotSupported(_) => "not_supported",
            Error::Transport(_) => "transport",
            Error::Server { .. } => "server",
            Error::LoginRequired => "login_required",
            Error::Login(e) => match e {
                LoginError::Denied => "login_denied",
                LoginError::NoScope => "login_no_scope",
                LoginError::IdToken(_) => "login_id_token",
                LoginError::Refused { .. } => "login_refused",
                LoginError::StateMismatch => "login_state_mismatch",
                LoginError::IssuerMismatch => "login_issuer_mismatch",
                LoginError::MissingCode => "login_missing_code",
                LoginError::TimedOut => "login_timed_out",
                LoginError::Cancelled => "login_cancelled",
                LoginError::Exchange(_) => "login_exchange",
                LoginError::Listener(_) => "login_listener",
            },
            Error::Profile { .. } => "profile",
            Error::Storage(_) => "storage",
            Error::Ingest(_) => "ingest",
            Error::Obs(e) => e.code(),
        }
    }

    /// Worth trying again later, unchanged (network trouble, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Transport(_) | Error::Server { .. } | Error::RateLimited { .. }
        )
    }

    pub(crate) fn profile(field: &str, message: impl Into<String>) -> Self {
        Error::Profile {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// A reqwest failure, with the URL's query left out (it may carry a
    /// code or token in the PRISM token form).
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        let e = e.without_url();
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        Error::Transport(text)
    }
}

/// The crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
