//! [`Error`]: what can go wrong in the desk, as variants the app matches
//! on (never on text). The app turns it into its one IPC error shape at
//! the edge; here nothing knows of IPC.

use std::path::PathBuf;

use onair_client::obs::ObsError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A form field an error is about, so the UI can show the message next
/// to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    // The "add a service" form.
    Name,
    ApiDomain,
    Issuer,
    ClientId,
    TokenForm,
    PinnedSha256,
    AuthorizeUrl,
    Scopes,
    // The create form.
    Title,
    ReservedAt,
    // The settings.
    Obs,
    ChatBuffer,
    ChatWidth,
    BanPresets,
}

impl Field {
    /// The field of a profile error of onair-client, which names it as the
    /// profile's JSON does (`apiDomain`); `None` for a field no form has.
    fn of_profile(name: &str) -> Option<Field> {
        Some(match name {
            "name" => Field::Name,
            "apiDomain" => Field::ApiDomain,
            "issuer" => Field::Issuer,
            "clientId" => Field::ClientId,
            "tokenForm" => Field::TokenForm,
            "pinnedSha256" => Field::PinnedSha256,
            "authorizeUrl" => Field::AuthorizeUrl,
            "scopes" => Field::Scopes,
            _ => return None,
        })
    }
}

/// What can go wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A call to the service, the login, the profiles file or the keyring.
    #[error(transparent)]
    Client(#[from] onair_client::Error),
    /// OBS (its connection, its answers, its settings file).
    #[error(transparent)]
    Obs(#[from] ObsError),
    #[error("log in first")]
    NoSession,
    #[error("choose a service first")]
    NoProfile,
    #[error("no service {0:?}")]
    NoSuchProfile(String),
    /// Input that cannot be used; `field` says which, when a form has it.
    #[error("{message}")]
    Invalid {
        field: Option<Field>,
        message: String,
    },
    /// A file of the app's own (settings, the demo service's data).
    #[error("{}: {message}", path.display())]
    Storage { path: PathBuf, message: String },
    /// The embedded demo service did not start, or this build has none.
    #[error("{0}")]
    Demo(String),
    #[error("nothing was sent to OBS")]
    NothingToUndo,
    /// The stream key was asked for on screen while streamer mode is on,
    /// without the user's confirmation.
    #[error("streamer mode is on: confirm to show the stream key on screen")]
    StreamerMode,
    /// A task of ours failed (a panic in a blocking call).
    #[error("{0}")]
    Internal(String),
}

/// The desk's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(field: impl Into<Option<Field>>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn storage(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        Error::Storage {
            path: path.to_owned(),
            message: e.to_string(),
        }
    }

    /// The form field at fault, when there is one.
    pub fn field(&self) -> Option<Field> {
        match self {
            Error::Invalid { field, .. } => *field,
            Error::Client(onair_client::Error::Profile { field, .. }) => Field::of_profile(field),
            _ => None,
        }
    }

    /// What the user reads: a profile error without its field's name (the
    /// form shows it beside the field).
    pub fn message(&self) -> String {
        match self {
            Error::Client(onair_client::Error::Profile { message, .. }) => message.clone(),
            other => other.to_string(),
        }
    }

    /// OBS is just not there (yet): not running, its server off, nothing
    /// answering. Worth trying again later, quietly.
    pub fn obs_absent(&self) -> bool {
        matches!(
            self,
            Error::Obs(
                ObsError::NotRunning(_)
                    | ObsError::ServerOff(_)
                    | ObsError::Unreachable(_)
                    | ObsError::Timeout
                    | ObsError::Closed(_)
            )
        )
    }
}

/// A blocking task that did not finish (it panicked).
pub(crate) fn joined(e: tokio::task::JoinError) -> Error {
    Error::Internal(e.to_string())
}
