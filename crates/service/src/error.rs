//! The one error of the service API. It carries the spec's `errorName`
//! (which fixes the HTTP status) and a message for humans; the HTTP layer
//! turns it into the failure envelope. Internal causes are logged, never sent.

use std::fmt;

use onair_api::{ErrorName, OptionalApi};

/// A failed call, as the caller will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub name: ErrorName,
    pub message: String,
}

/// Result of the service's operations.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(name: ErrorName, message: impl Into<String>) -> Self {
        Self {
            name,
            message: message.into(),
        }
    }

    /// 400 INVALID_PARAMETER.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorName::InvalidParameter, message)
    }

    /// 401 UNAUTHORIZED.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorName::Unauthorized, message)
    }

    /// 403 FORBIDDEN.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorName::Forbidden, message)
    }

    /// 404 NOT_FOUND: the thing does not exist or is not the caller's.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorName::NotFound, format!("{what} not found"))
    }

    /// 404 NOT_SUPPORTED: an optional API switched off for this client.
    pub fn not_supported(api: OptionalApi) -> Self {
        Self::new(
            ErrorName::NotSupported,
            format!("{api} is not switched on for this client"),
        )
    }

    /// 405.
    pub fn method_not_allowed() -> Self {
        Self::new(ErrorName::MethodNotAllowed, "method not allowed")
    }

    /// An error of a specific name (its status follows from the name).
    pub fn named(name: ErrorName, message: impl Into<String>) -> Self {
        Self::new(name, message)
    }

    /// 500; the cause goes to the log only.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(ErrorName::InternalError, "internal error")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(&e)
    }
}

/// Errors that stop the service from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}
