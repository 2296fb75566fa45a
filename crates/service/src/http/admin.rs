//! Operator routes under `/admin` ([`crate::domain::admin`]): answered only
//! to loopback peers that show the admin token printed at start; to anyone
//! else they do not exist (404).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use onair_api::OptionalApi;
use serde::Deserialize;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::respond::{empty, ApiResponse};
use crate::auth::{register_client, NewClient};
use crate::crypto::ct_eq;
use crate::domain::admin::{self, NewChannel};
use crate::error::ApiError;
use crate::state::AppState;
use crate::throttle::Door;

/// Guards every admin route: loopback peer, then the admin bearer token.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let loopback = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback());
    if !loopback {
        return ApiError::not_found("resource").into_response();
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    if let Err(wait) = state.throttle.check(Door::Admin, ip, None) {
        return super::limits::too_many(super::Fails::Envelope, wait);
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !ct_eq(token.trim(), &state.admin_token) {
        state.throttle.failed(Door::Admin, ip, None);
        return ApiError::unauthorized("admin token required").into_response();
    }
    next.run(req).await
}

pub async fn end_live(State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResponse<()> {
    empty(admin::force_end(&s, &id, "ended by the service's operators").await)
}

pub async fn disable_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<()> {
    empty(admin::set_channel_enabled(&s, &id, false).await)
}

pub async fn enable_channel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<()> {
    empty(admin::set_channel_enabled(&s, &id, true).await)
}

/// Query of `PUT /admin/outage`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OutageQuery {
    /// How long the outage lasts, 0..=600 seconds; 0 ends one.
    seconds: u32,
}

/// A simulated outage, for demos and tests of the clients' offline path:
/// until it ends, every API and OAuth route answers 503 with `Retry-After`.
pub async fn outage(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<OutageQuery>,
) -> ApiResponse<()> {
    if q.seconds > 600 {
        return empty(Err(ApiError::invalid("seconds: at most 600")));
    }
    s.start_outage(q.seconds);
    tracing::warn!(seconds = q.seconds, "operator outage");
    empty(Ok(()))
}

/// Answers 503 during an operator outage (RFC 9110 §15.6.4, with
/// `Retry-After` per §10.2.3); the admin routes stay up to end it.
pub async fn during_outage(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let left = state.outage_left();
    if left == 0 || req.uri().path().starts_with("/admin/") {
        return next.run(req).await;
    }
    let mut r = ApiError::named(
        onair_api::ErrorName::InternalError,
        "the service is down for maintenance",
    )
    .into_response();
    *r.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    let secs = (left + 999) / 1000;
    r.headers_mut()
        .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
    r
}

pub async fn ban_streamer(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<()> {
    empty(admin::set_streamer_banned(&s, &id, true).await)
}

pub async fn unban_streamer(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<()> {
    empty(admin::set_streamer_banned(&s, &id, false).await)
}

/// Body of `POST /admin/user`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewUserBody {
    user_id: String,
    user_name: Option<String>,
    password: Option<String>,
}

pub async fn create_user(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<NewUserBody>,
) -> ApiResponse<()> {
    let name = b.user_name.clone().unwrap_or_else(|| b.user_id.clone());
    empty(
        admin::create_user(&s, &b.user_id, &name, b.password.as_deref())
            .await
            .map(drop),
    )
}

/// Body of `POST /admin/channel`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewChannelBody {
    channel_id: String,
    owner_id: String,
    channel_name: String,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

pub async fn create_channel(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<NewChannelBody>,
) -> ApiResponse<()> {
    empty(
        admin::create_channel(
            &s,
            NewChannel {
                id: &b.channel_id,
                owner_id: &b.owner_id,
                name: &b.channel_name,
                enabled: b.enabled,
                ..NewChannel::default()
            },
        )
        .await,
    )
}

/// Body of `POST /admin/client`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewClientBody {
    client_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    redirect_uris: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    optional_apis: Vec<OptionalApi>,
}

pub async fn create_client(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<NewClientBody>,
) -> ApiResponse<()> {
    let uris: Vec<&str> = b.redirect_uris.iter().map(String::as_str).collect();
    empty(
        register_client(
            &s,
            NewClient {
                id: &b.client_id,
                name: b.name.as_deref().unwrap_or(&b.client_id),
                secret: b.secret.as_deref(),
                redirect_uris: &uris,
                optional_apis: &b.optional_apis,
            },
        )
        .await,
    )
}
