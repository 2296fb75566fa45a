//! OAuth 2.0 wire types: RFC 6749 §5.1 token response, §5.2 errors, and
//! RFC 8414 authorization server metadata.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::secret::Secret;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// RFC 6749 §5.1 successful token response. Both token forms of spec §2
/// answer with it (plain JSON, not the envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenResponse {
    pub access_token: Secret,
    /// Lenient: some services spell it `Bearer`, others omit it.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[serde(
        default,
        deserialize_with = "lenient::opt_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// OpenID Connect Core §3.1.3.3: when `openid` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
}

fn bearer() -> String {
    "bearer".to_owned()
}

/// RFC 6749 §5.2 error codes (and RFC 7009 §2.2.1's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    UnsupportedTokenType,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    /// RFC 6749 §4.1.2.1: overloaded for now; onair's reference service
    /// also answers it, with 429 and `Retry-After`, at the token endpoint
    /// to an address that has failed too often (RFC 6749 §5.2 allows
    /// registered extension codes).
    TemporarilyUnavailable,
}

impl OAuthErrorCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::UnsupportedTokenType => "unsupported_token_type",
            OAuthErrorCode::AccessDenied => "access_denied",
            OAuthErrorCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthErrorCode::ServerError => "server_error",
            OAuthErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 6749 §5.2 error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OAuthError {
    pub error: OAuthErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl OAuthError {
    /// An error with a description for the developer.
    pub fn new(error: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            error,
            error_description: Some(description.into()),
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {d}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

/// RFC 8414 §2 authorization server metadata (the fields onair uses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuthServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 9207 §3: the server sends `iss` on its authorization responses.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// RFC 7662 §4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// RFC 8414 §2 / OpenID Connect Discovery 1.0 §3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// OpenID Connect Discovery 1.0 §3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// RFC 9126 §5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9126 §5: every authorization request must be pushed.
    #[serde(
        default,
        deserialize_with = "lenient::flag",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub require_pushed_authorization_requests: bool,
}

/// Where an issuer's metadata may be, in the order to ask: RFC 8414 §3.1
/// (`/.well-known/oauth-authorization-server` inserted between the host
/// and the issuer's path), then OpenID Connect Discovery 1.0 §4
/// (`/.well-known/openid-configuration` appended). `None` for what is not
/// an `https://host...` URL without query or fragment.
pub fn metadata_locations(issuer: &str) -> Option<[String; 2]> {
    let rest = issuer.strip_prefix("https://")?;
    if rest.contains(['?', '#']) {
        return None;
    }
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if host.is_empty() {
        return None;
    }
    let path = path.trim_end_matches('/');
    Some([
        format!("https://{host}/.well-known/oauth-authorization-server{path}"),
        format!("https://{host}{path}/.well-known/openid-configuration"),
    ])
}

/// RFC 9728 §2 protected resource metadata (the fields onair uses): which
/// authorization servers issue tokens for this API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ProtectedResourceMetadata {
    /// The resource's identifier: its URL, as the client asked (§3.3).
    pub resource: String,
    /// Issuers whose access tokens the resource takes, first the one to
    /// log in at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bearer_methods_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn where_metadata_is() {
        assert_eq!(
            metadata_locations("https://login.example:8443/realms/main/").unwrap(),
            [
                "https://login.example:8443/.well-known/oauth-authorization-server/realms/main",
                "https://login.example:8443/realms/main/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_locations("https://login.example").unwrap(),
            [
                "https://login.example/.well-known/oauth-authorization-server",
                "https://login.example/.well-known/openid-configuration",
            ]
        );
        assert_eq!(metadata_locations("http://login.example"), None);
        assert_eq!(metadata_locations("https://login.example/?x"), None);
        assert_eq!(metadata_locations("https:///x"), None);
    }

    #[test]
    fn token_response_forms() {
        let t: TokenResponse = serde_json::from_value(json!({
            "access_token": "AT", "refresh_token": "RT", "expires_in": "3600", "token_type": "Bearer"
        }))
        .unwrap();
        assert_eq!((t.access_token.expose(), t.expires_in), ("AT", Some(3600)));
        assert!(!format!("{t:?}").contains("AT\""));
        let t: TokenResponse = serde_json::from_value(json!({"access_token": "AT"})).unwrap();
        assert_eq!((t.token_type.as_str(), t.refresh_token), ("bearer", None));
        let e: OAuthError = serde_json::from_value(json!({"error": "invalid_grant"})).unwrap();
        assert_eq!(e.error, OAuthErrorCode::InvalidGrant);
        assert_eq!(
            serde_json::to_value(OAuthError::new(OAuthErrorCode::InvalidClient, "x")).unwrap(),
            json!({"error": "invalid_client", "error_description": "x"})
        );
    }
}
