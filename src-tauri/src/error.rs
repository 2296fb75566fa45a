//! The one error shape of every command: a [`ErrorCode`] the UI decides
//! on (its message catalogue, what to offer next), an English message to
//! show, and the form field at fault. Built from the desk's and the
//! client's typed errors here, at the edge, by variant.

use onair_client::obs::ObsError;
use onair_client::{Error as ClientError, LoginError};
use onair_desk::{Error as DeskError, Field};
use serde::Serialize;
use ts_rs::TS;

/// What went wrong, for the UI to decide on. A TypeScript string union.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The app's own.
    NoSession,
    NoProfile,
    Demo,
    StreamerMode,
    Storage,
    Clipboard,
    Browser,
    Internal,
    // A call to the service.
    NotFound,
    Unauthorized,
    Forbidden,
    Conflict,
    RateLimited,
    Invalid,
    NotSupported,
    Transport,
    Server,
    Ingest,
    // The login and the profile.
    LoginRequired,
    LoginDenied,
    LoginNoScope,
    LoginIdToken,
    LoginRefused,
    LoginStateMismatch,
    LoginIssuerMismatch,
    LoginMissingCode,
    LoginTimedOut,
    LoginCancelled,
    LoginExchange,
    LoginListener,
    Profile,
    // OBS.
    ObsNothingToUndo,
    ObsNotRunning,
    ObsServerOff,
    ObsUnreachable,
    ObsPasswordNeeded,
    ObsWrongPassword,
    ObsUnsupportedRpc,
    ObsKicked,
    ObsClosed,
    ObsTimeout,
    ObsStreaming,
    ObsRefused,
    ObsMismatch,
    ObsProtocol,
    ObsNoConfig,
    ObsRunning,
    ObsFile,
}

/// What every command rejects with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// The form field at fault, so the UI can show the message next to
    /// it; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<Field>,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }
}

impl From<DeskError> for IpcError {
    fn from(e: DeskError) -> Self {
        IpcError::from(&e)
    }
}

impl From<&DeskError> for IpcError {
    fn from(e: &DeskError) -> Self {
        let code = match e {
            DeskError::Client(c) => client_code(c),
            DeskError::Obs(o) => obs_code(o),
            DeskError::NoSession => ErrorCode::NoSession,
            DeskError::NoProfile => ErrorCode::NoProfile,
            DeskError::NoSuchProfile(_) => ErrorCode::NotFound,
            DeskError::Invalid { .. } => ErrorCode::Invalid,
            DeskError::Storage { .. } => ErrorCode::Storage,
            DeskError::Demo(_) => ErrorCode::Demo,
            DeskError::NothingToUndo => ErrorCode::ObsNothingToUndo,
            DeskError::StreamerMode => ErrorCode::StreamerMode,
            DeskError::Internal(_) => ErrorCode::Internal,
        };
        Self {
            code,
            message: e.message(),
            field: e.field(),
        }
    }
}

impl From<ClientError> for IpcError {
    fn from(e: ClientError) -> Self {
        DeskError::from(e).into()
    }
}

fn client_code(e: &ClientError) -> ErrorCode {
    match e {
        ClientError::NotFound(_) => ErrorCode::NotFound,
        ClientError::Unauthorized(_) => ErrorCode::Unauthorized,
        ClientError::Forbidden(_) => ErrorCode::Forbidden,
        ClientError::Conflict { .. } => ErrorCode::Conflict,
        ClientError::RateLimited { .. } => ErrorCode::RateLimited,
        ClientError::Invalid(_) => ErrorCode::Invalid,
        ClientError::NotSupported(_) => ErrorCode::NotSupported,
        ClientError::Transport(_) => ErrorCode::Transport,
        ClientError::Server { .. } => ErrorCode::Server,
        ClientError::LoginRequired => ErrorCode::LoginRequired,
        ClientError::Login(l) => match l {
            LoginError::Denied => ErrorCode::LoginDenied,
            LoginError::NoScope => ErrorCode::LoginNoScope,
            LoginError::IdToken(_) => ErrorCode::LoginIdToken,
            LoginError::Refused { .. } => ErrorCode::LoginRefused,
            LoginError::StateMismatch => ErrorCode::LoginStateMismatch,
            LoginError::IssuerMismatch => ErrorCode::LoginIssuerMismatch,
            LoginError::MissingCode => ErrorCode::LoginMissingCode,
            LoginError::TimedOut => ErrorCode::LoginTimedOut,
            LoginError::Cancelled => ErrorCode::LoginCancelled,
            LoginError::Exchange(_) => ErrorCode::LoginExchange,
            LoginError::Listener(_) => ErrorCode::LoginListener,
        },
        ClientError::Profile { .. } => ErrorCode::Profile,
        ClientError::Storage(_) => ErrorCode::Storage,
        ClientError::Ingest(_) => ErrorCode::Ingest,
        ClientError::Obs(o) => obs_code(o),
    }
}

fn obs_code(e: &ObsError) -> ErrorCode {
    match e {
        ObsError::NotRunning(_) => ErrorCode::ObsNotRunning,
        ObsError::ServerOff(_) => ErrorCode::ObsServerOff,
        ObsError::Unreachable(_) => ErrorCode::ObsUnreachable,
        ObsError::PasswordNeeded => ErrorCode::ObsPasswordNeeded,
        ObsError::WrongPassword => ErrorCode::ObsWrongPassword,
        ObsError::UnsupportedRpc => ErrorCode::ObsUnsupportedRpc,
        ObsError::Kicked => ErrorCode::ObsKicked,
        ObsError::Closed(_) => ErrorCode::ObsClosed,
        ObsError::Timeout => ErrorCode::ObsTimeout,
        ObsError::Streaming => ErrorCode::ObsStreaming,
        ObsError::Refused { .. } => ErrorCode::ObsRefused,
        ObsError::Mismatch(_) => ErrorCode::ObsMismatch,
        ObsError::Protocol(_) => ErrorCode::ObsProtocol,
        ObsError::NoConfig(_) => ErrorCode::ObsNoConfig,
        ObsError::RunningForFile => ErrorCode::ObsRunning,
        ObsError::File(_) => ErrorCode::ObsFile,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_shape_crosses_ipc() {
        let e = IpcError::from(ClientError::Conflict {
            name: "STREAM_ACTIVE".into(),
            message: "on air".into(),
        });
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "conflict", "message": "STREAM_ACTIVE: on air"})
        );
        let e = IpcError::from(DeskError::from(ObsError::Kicked));
        assert_eq!(e.code, ErrorCode::ObsKicked);
    }

    /// The client names its codes for logs; the IPC codes are the same
    /// words, so the two never drift apart.
    #[test]
    fn codes_are_the_clients_words() {
        let errors = [
            ClientError::LoginRequired,
            ClientError::Login(LoginError::StateMismatch),
            ClientError::Login(LoginError::NoScope),
            ClientError::Login(LoginError::IdToken("x".into())),
            ClientError::RateLimited { retry_after: None },
            ClientError::Obs(ObsError::RunningForFile),
            ClientError::Obs(ObsError::ServerOff(4455)),
        ];
        for e in errors {
            let code = serde_json::to_value(client_code(&e)).unwrap();
            assert_eq!(code, e.code(), "{e:?}");
        }
    }

    #[test]
    fn a_field_error_names_its_field() {
        let e = IpcError::from(ClientError::Profile {
            field: "clientId".into(),
            message: "give the client id".into(),
        });
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "profile", "message": "give the client id", "field": "clientId"})
        );
    }
}
