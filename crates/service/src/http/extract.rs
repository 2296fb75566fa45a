//! Extractors that answer bad input in the spec's shape: the caller from
//! the access token, and JSON, query and path parameters whose rejections
//! become 400 envelopes instead of axum's plain-text answers.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

use crate::config::limits;
use crate::error::ApiError;
use crate::state::{AppState, Caller};

/// The access token of a request: `x-prism-access-token` (spec §1) or
/// `Authorization: Bearer` (RFC 6750 §2.1).
pub fn access_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(t) = headers
        .get("x-prism-access-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(t.trim()).filter(|t| !t.is_empty());
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = access_token(&parts.headers)
            .ok_or_else(|| ApiError::unauthorized("access token required"))?;
        crate::auth::authenticate(state, token).await
    }
}

/// A JSON body of at most 64 KiB. Any content type is read as JSON (PRISM
/// clients are not all careful with it); an empty body reads as `{}`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), limits::BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::invalid(format!(
                    "request body is larger than {} KiB",
                    limits::BODY_BYTES / 1024
                ))
            })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
    }
}

/// Query parameters; a malformed one is 400.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::invalid(e.body_text()))
    }
}

/// Path parameters; a malformed one is 400.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|e| ApiError::invalid(e.body_text()))
    }
}

/// The client's address (what the server saw at accept); unspecified when
/// the router is called without a connection (`oneshot` tests).
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |c| c.0.ip()),
        ))
    }
}
