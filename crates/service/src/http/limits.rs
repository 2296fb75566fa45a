//! Request bodies read whole before a handler sees them, bounded in size
//! and in time (issue 19), and refusals in each route's own form.
//!
//! - A body over [`limits::BODY_BYTES`] is 413. Before the answer, what is
//!   left of it is read and dropped (up to [`DRAIN_MAX`]): a server that
//!   answers and closes while the client still sends makes the client's
//!   TCP see a reset, which loses the answer (a 1 MB body got an SSL error
//!   3 times in 3, never its 400). A body announced larger than that is
//!   answered at once and the connection closed.
//! - A body that has not arrived whole within the body timeout is 408
//!   (RFC 9110 §15.5.9), and an HTTP/1.1 connection is closed after it
//!   (its framing is lost); an HTTP/2 stream left open ends the same way.
//! - Routes then read their body from memory: no handler waits on a
//!   client.

use std::time::Duration;

use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http_body_util::BodyExt;
use onair_api::oauth::{OAuthError, OAuthErrorCode};
use onair_api::ErrorName;

use super::Fails;
use crate::config::limits;
use crate::error::ApiError;

/// The most of a too-large body read (and dropped) so that its client
/// gets the 413; beyond it the connection is closed.
pub const DRAIN_MAX: usize = 16 * 1024 * 1024;

/// How a route's body is read, and how it refuses.
#[derive(Debug, Clone, Copy)]
pub struct BodyRule {
    /// The form of the route's failures.
    pub fails: Fails,
    /// The whole body, at most.
    pub timeout: Duration,
}

/// Middleware on every route: the body read whole, or refused.
pub async fn read_body(State(rule): State<BodyRule>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let http1 = parts.version <= Version::HTTP_11;
    let too_large = || {
        refusal(
            rule.fails,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the request body is larger than {} KiB",
                limits::BODY_BYTES / 1024
            ),
        )
    };
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > DRAIN_MAX as u64) {
        return closing(too_large(), http1);
    }
    let deadline = tokio::time::Instant::now() + rule.timeout;
    let mut body = body;
    let mut kept: Vec<u8> = Vec::new();
    let mut over: Option<usize> = None;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                let r = refusal(
                    rule.fails,
                    StatusCode::REQUEST_TIMEOUT,
                    &format!(
                        "the request body did not arrive within {} s",
                        rule.timeout.as_secs()
                    ),
                );
                return closing(r, http1);
            }
            Ok(None) => break,
            // The client went away or broke the framing: nobody to answer.
            Ok(Some(Err(_))) => {
                return closing(
                    refusal(rule.fails, StatusCode::BAD_REQUEST, "malformed body"),
                    http1,
                )
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match over.as_mut() {
            Some(read) => {
                *read += data.len();
                if *read > DRAIN_MAX {
                    return closing(too_large(), http1);
                }
            }
            None if kept.len() + data.len() > limits::BODY_BYTES => {
                over = Some(kept.len() + data.len());
                kept = Vec::new();
            }
            None => kept.extend_from_slice(&data),
        }
    }
    if over.is_some() {
        return too_large();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(kept)))
        .await
}

/// An HTTP/1.1 answer after which the connection closes (RFC 9112 §9.6).
/// HTTP/2 has no such header: its stream ends with the answer.
fn closing(mut r: Response, http1: bool) -> Response {
    if http1 {
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// A refusal in the form of the route's answers: a page for the login
/// pages, an RFC 6749 §5.2 error for the OAuth endpoints, the failure
/// envelope (spec §1) for the rest.
pub fn refusal(form: Fails, status: StatusCode, message: &str) -> Response {
    match form {
        Fails::Page => super::oauth::message_page(status, message),
        Fails::OAuth => {
            let code = if status == StatusCode::TOO_MANY_REQUESTS {
                OAuthErrorCode::TemporarilyUnavailable
            } else {
                OAuthErrorCode::InvalidRequest
            };
            super::oauth::no_store((status, Json(OAuthError::new(code, message))).into_response())
        }
        Fails::Envelope | Fails::Bare => {
            let name = if status == StatusCode::TOO_MANY_REQUESTS {
                ErrorName::RateLimited
            } else {
                ErrorName::InvalidParameter
            };
            let mut r = ApiError::named(name, message).into_response();
            *r.status_mut() = status;
            r
        }
    }
}

/// 429 with `Retry-After` (RFC 6585 §4, RFC 9110 §10.2.3) in the route's
/// form.
pub fn too_many(form: Fails, wait: crate::throttle::TooMany) -> Response {
    let secs = wait.seconds();
    let mut r = refusal(
        form,
        StatusCode::TOO_MANY_REQUESTS,
        &format!("too many failed attempts; try again in {secs} s"),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}
