//! The response envelope of spec §1.
//!
//! ```json
//! {"success": true, "errorCode": 0, "errorName": null, "message": null, "data": {}}
//! ```

use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};

use crate::lenient;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Every answer of the service API but the token call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Envelope<T> {
    #[serde(deserialize_with = "lenient::flag")]
    pub success: bool,
    /// 0 on success; see [`ErrorName::code`].
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub error_code: Option<i64>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "NOT_FOUND"))]
    pub error_name: Option<ErrorName>,
    /// Human-readable reason on failure.
    #[serde(default)]
    pub message: Option<String>,
    /// `null` on failure and for "N/A" answers.
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Envelope<T> {
    /// A success carrying `data`.
    pub fn ok(data: T) -> Self {
        Self {
            success: true,
            error_code: Some(0),
            error_name: None,
            message: None,
            data: Some(data),
        }
    }

    /// A failure with its name and a message for humans.
    pub fn error(name: ErrorName, message: impl Into<String>) -> Self {
        Self {
            success: false,
            error_code: Some(name.code()),
            error_name: Some(name),
            message: Some(message.into()),
            data: None,
        }
    }
}

impl Envelope<()> {
    /// A success with `data: null` (the spec's "N/A").
    pub fn empty() -> Self {
        Self {
            success: true,
            error_code: Some(0),
            error_name: None,
            message: None,
            data: None,
        }
    }
}

/// `errorName` of a failure envelope. Names the spec lists and onair's own;
/// anything else a service sends is kept in [`ErrorName::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorName {
    /// 400: a parameter is missing, malformed or out of range.
    InvalidParameter,
    /// 401: no token, or an expired or revoked one.
    Unauthorized,
    /// 403: logged in, but not allowed to do this.
    Forbidden,
    /// 404: no such resource, or not the caller's.
    NotFound,
    /// 404: an optional API that is switched off for this client (onair).
    NotSupported,
    /// 405: OPTIONS, HEAD, or a method the path does not take.
    MethodNotAllowed,
    /// 409: the state does not allow it.
    Conflict,
    /// 409: the stream key cannot change while the live is on air (onair).
    StreamActive,
    /// 409: the channel is disabled; no live may start (onair).
    ChannelDisabled,
    /// 409: the live is not on air (onair).
    NotOnAir,
    /// 403: the user is banned from this live's chat (onair).
    UserBanned,
    /// 429: too many calls.
    RateLimited,
    /// 5xx.
    InternalError,
    /// A name this crate does not know.
    Other(String),
}

impl ErrorName {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorName::InvalidParameter => "INVALID_PARAMETER",
            ErrorName::Unauthorized => "UNAUTHORIZED",
            ErrorName::Forbidden => "FORBIDDEN",
            ErrorName::NotFound => "NOT_FOUND",
            ErrorName::NotSupported => "NOT_SUPPORTED",
            ErrorName::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorName::Conflict => "CONFLICT",
            ErrorName::StreamActive => "STREAM_ACTIVE",
            ErrorName::ChannelDisabled => "CHANNEL_DISABLED",
            ErrorName::NotOnAir => "NOT_ON_AIR",
            ErrorName::UserBanned => "USER_BANNED",
            ErrorName::RateLimited => "RATE_LIMITED",
            ErrorName::InternalError => "INTERNAL_ERROR",
            ErrorName::Other(s) => s,
        }
    }

    /// The HTTP status that carries this error's class (spec §1).
    pub fn http_status(&self) -> u16 {
        match self {
            ErrorName::InvalidParameter => 400,
            ErrorName::Unauthorized => 401,
            ErrorName::Forbidden | ErrorName::UserBanned => 403,
            ErrorName::NotFound | ErrorName::NotSupported => 404,
            ErrorName::MethodNotAllowed => 405,
            ErrorName::Conflict
            | ErrorName::StreamActive
            | ErrorName::ChannelDisabled
            | ErrorName::NotOnAir => 409,
            ErrorName::RateLimited => 429,
            ErrorName::InternalError | ErrorName::Other(_) => 500,
        }
    }

    /// `errorCode` (our choice): the HTTP status times 100, plus a number
    /// that tells apart names sharing a status.
    pub fn code(&self) -> i64 {
        let sub = match self {
            ErrorName::NotSupported | ErrorName::StreamActive | ErrorName::UserBanned => 1,
            ErrorName::ChannelDisabled => 2,
            ErrorName::NotOnAir => 3,
            _ => 0,
        };
        i64::from(self.http_status()) * 100 + sub
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for ErrorName {
    fn from(s: &str) -> Self {
        match s {
            "INVALID_PARAMETER" => ErrorName::InvalidParameter,
            "UNAUTHORIZED" => ErrorName::Unauthorized,
            "FORBIDDEN" => ErrorName::Forbidden,
            "NOT_FOUND" => ErrorName::NotFound,
            "NOT_SUPPORTED" => ErrorName::NotSupported,
            "METHOD_NOT_ALLOWED" => ErrorName::MethodNotAllowed,
            "CONFLICT" => ErrorName::Conflict,
            "STREAM_ACTIVE" => ErrorName::StreamActive,
            "CHANNEL_DISABLED" => ErrorName::ChannelDisabled,
            "NOT_ON_AIR" => ErrorName::NotOnAir,
            "USER_BANNED" => ErrorName::UserBanned,
            "RATE_LIMITED" => ErrorName::RateLimited,
            "INTERNAL_ERROR" => ErrorName::InternalError,
            other => ErrorName::Other(other.to_owned()),
        }
    }
}

impl Serialize for ErrorName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ErrorName::from(String::deserialize(d)?.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserData;
    use serde_json::json;

    #[test]
    fn success_and_failure_shapes() {
        let ok = serde_json::to_value(Envelope::ok(json!({"a": 1}))).unwrap();
        assert_eq!(
            ok,
            json!({"success": true, "errorCode": 0, "errorName": null, "message": null, "data": {"a": 1}})
        );
        let err = serde_json::to_value(Envelope::<()>::error(ErrorName::NotFound, "no such live"))
            .unwrap();
        assert_eq!(
            err,
            json!({"success": false, "errorCode": 40400, "errorName": "NOT_FOUND", "message": "no such live", "data": null})
        );
        let na = serde_json::to_value(Envelope::empty()).unwrap();
        assert_eq!(na["data"], json!(null));
    }

    #[test]
    fn lenient_envelopes() {
        let e: Envelope<UserData> = serde_json::from_value(json!({
            "success": "true", "errorCode": "0", "data": {"user": {"userId": 1}}
        }))
        .unwrap();
        assert!(e.success);
        assert_eq!(e.data.unwrap().user.user_name, "1");
        let e: Envelope<UserData> = serde_json::from_value(json!({
            "success": false, "errorCode": 4068912, "errorName": "SOMETHING_ELSE", "message": "nope"
        }))
        .unwrap();
        assert_eq!(
            e.error_name,
            Some(ErrorName::Other("SOMETHING_ELSE".into()))
        );
        assert!(e.data.is_none());
    }
}
