//! How answers leave: the envelope on every service API answer (spec §1).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use onair_api::{Envelope, ErrorName};

use crate::error::{ApiError, ApiResult};

/// A handler's answer: the envelope with `data`, or the failure envelope.
pub type ApiResponse<T> = Result<Json<Envelope<T>>, ApiError>;

/// Wraps an operation's result in the envelope.
pub fn envelope<T>(r: ApiResult<T>) -> ApiResponse<T> {
    r.map(|d| Json(Envelope::ok(d)))
}

/// For "N/A" answers: the envelope with `data: null`.
pub fn empty(r: ApiResult<()>) -> ApiResponse<()> {
    r.map(|()| Json(Envelope::empty()))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.name.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let unauthorized = self.name == ErrorName::Unauthorized;
        let mut resp =
            (status, Json(Envelope::<()>::error(self.name, self.message))).into_response();
        if unauthorized {
            // RFC 6750 §3.
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"onair\", error=\"invalid_token\""),
            );
        }
        resp
    }
}
