//! The HTTP layer: one route table ([`endpoints`]) builds both the router
//! ([`app`]) and `/openapi.json` ([`openapi`]), so the document cannot
//! miss a route. Handlers parse, delegate and map errors; nothing else.

/// Operator routes (loopback + admin token).
pub mod admin;
/// Service API handlers (spec §2-§5).
pub mod api;
/// Extractors that answer bad input with 400 envelopes.
pub mod extract;
/// Request bodies read whole, bounded in size and time; refusals.
pub mod limits;
/// Authorization server endpoints and the login page.
pub mod oauth;
/// The OpenAPI 3 document built from the route table.
pub mod openapi;
/// The envelope on the way out.
pub mod respond;
/// The watch page and its HLS (spec §5).
pub mod watch;

use std::borrow::Cow;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;
use onair_api::OptionalApi;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

use crate::error::ApiError;
use crate::state::AppState;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Anyone (login page, metadata, token endpoints authenticate clients themselves).
    Public,
    /// A user's access token (`x-prism-access-token` or Bearer).
    User,
    /// Loopback peer with the admin token.
    Admin,
}

/// A schema of a request or response body, for the OpenAPI document.
#[derive(Clone, Copy)]
pub struct BodySchema {
    pub name: fn() -> Cow<'static, str>,
    pub collect: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl std::fmt::Debug for BodySchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.name)())
    }
}

fn schema<T: utoipa::ToSchema>() -> Option<BodySchema> {
    Some(BodySchema {
        name: T::name,
        collect: |v| {
            v.push((T::name().into_owned(), T::schema()));
            T::schemas(v);
        },
    })
}

/// What a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// JSON, in the envelope (service API).
    Envelope,
    /// JSON as is (OAuth, metadata, OpenAPI).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// An HTML page or a redirect.
    Html,
    /// Media of this content type (an HLS playlist or segment, a script).
    Media(&'static str),
}

/// One route of the service.
#[derive(Debug)]
pub struct Endpoint {
    pub method: Method,
    /// axum path syntax: `{liveId}` is a parameter.
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub security: Security,
    /// The optional API of spec §4 this call belongs to.
    pub optional_api: Option<OptionalApi>,
    pub request: (Body, Option<BodySchema>),
    pub response: (Body, Option<BodySchema>),
    /// Failures of this route's own, besides those every route of its
    /// kind gives ([`Endpoint::failures`]): status and why.
    pub errors: &'static [(u16, &'static str)],
    pub route: MethodRouter<AppState>,
}

/// The form of a route's failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fails {
    /// The failure envelope (spec §1).
    Envelope,
    /// An RFC 6749 §5.2 error object.
    OAuth,
    /// An HTML page (the login pages).
    Page,
    /// Nothing but the status.
    Bare,
}

/// One answer other than success: status, form, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub form: Fails,
    pub why: &'static str,
}

impl Endpoint {
    /// How this route fails, when it fails in its own words.
    pub fn fails_as(&self) -> Fails {
        match (self.response.0, self.tag) {
            (Body::Html, _) => Fails::Page,
            (Body::Json, "oauth") | (Body::None, "oauth") => Fails::OAuth,
            _ => Fails::Envelope,
        }
    }

    /// Every answer but success this route can give: its own, those of its
    /// security, those of a body, the outage's, 405 and 500.
    pub fn failures(&self) -> Vec<Failure> {
        let own = self.fails_as();
        let mut out: Vec<Failure> = Vec::new();
        let mut add = |status: u16, form: Fails, why: &'static str| {
            if !out.iter().any(|f| f.status == status) {
                out.push(Failure { status, form, why });
            }
        };
        for &(status, why) in self.errors {
            add(status, own, why);
        }
        match self.security {
            Security::User => {
                for (status, why) in [
                    (400, "a parameter is missing, malformed or out of range"),
                    (401, "no token, or an expired or revoked one"),
                    (403, "logged in, but not allowed to do this"),
                    (404, "no such resource, not the caller's, or an optional API switched off (NOT_SUPPORTED)"),
                    (409, "the state does not allow it"),
                ] {
                    add(status, Fails::Envelope, why);
                }
            }
            Security::Admin => {
                for (status, why) in [
                    (400, "a parameter is missing, malformed or out of range"),
                    (401, "not the admin token"),
                    (404, "not from a loopback address, or no such resource"),
                    (409, "the state does not allow it"),
                    (429, "too many wrong admin tokens from this address; Retry-After says when to try again"),
                ] {
                    add(status, Fails::Envelope, why);
                }
            }
            Security::Public => {}
        }
        if self.request.0 != Body::None {
            add(
                408,
                own,
                "the body did not arrive whole within the body timeout",
            );
            add(413, own, "the body is larger than 64 KiB");
        }
        if self.security != Security::Admin {
            add(
                503,
                Fails::Envelope,
                "an operator outage (PUT /admin/outage); Retry-After says until when",
            );
        }
        add(
            405,
            Fails::Bare,
            "OPTIONS and HEAD, on every path (spec §1)",
        );
        add(500, own, "an internal error");
        out
    }
}

macro_rules! ep {
    ($m:ident $path:expr, $route:expr, $tag:literal, $sec:ident, $api:expr, $req:expr, $resp:expr, $summary:literal $(, $errors:expr)?) => {
        Endpoint {
            method: Method::$m,
            path: $path,
            summary: $summary,
            tag: $tag,
            security: Security::$sec,
            optional_api: $api,
            request: $req,
            response: $resp,
            errors: ep!(@errors $($errors)?),
            route: $route,
        }
    };
    (@errors) => { &[] };
    (@errors $e:expr) => { $e };
}

/// The OAuth token and revocation endpoints' own failures.
const TOKEN_ERRORS: &[(u16, &str)] = &[
    (400, "RFC 6749 §5.2: invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type"),
    (401, "invalid_client: the client failed to authenticate"),
    (429, "temporarily_unavailable: too many failures from this address or for this client; Retry-After says when to try again"),
];

/// The watch routes' own failures.
const WATCH_ERRORS: &[(u16, &str)] = &[
    (400, "a malformed parameter"),
    (404, "no such live, or not one this viewer may watch"),
];

/// Every route the service answers. The router and the OpenAPI document
/// are both built from this list.
pub fn endpoints() -> Vec<Endpoint> {
    use onair_api as w;
    let none = (Body::None, None);
    let env = |s| (Body::Envelope, s);
    let na = (Body::Envelope, None);
    let json = |s| (Body::Json, s);
    let o = |a| Some(a);
    vec![
        ep!(GET "/oauth/authorize", get(oauth::authorize_page), "oauth", Public, None, none, (Body::Html, None), "Login page (RFC 6749 §4.1.1)", &[(302, "to the client's redirect URI with an error (RFC 6749 §4.1.2.1)"), (400, "a malformed request, or an unknown client or redirect URI: a page")]),
        ep!(POST "/oauth/authorize", post(oauth::authorize_submit), "oauth", Public, None, (Body::Form, None), (Body::Html, None), "Login form: 302 to the client with code and state", &[(302, "to the client's redirect URI with code and state, or with error=access_denied"), (400, "a malformed form, or an unknown client or redirect URI: a page"), (401, "a wrong user name or password: the form again"), (429, "too many failed sign-ins from this address or for this account: the form again, with Retry-After")]),
        ep!(POST "/oauth/token", post(oauth::token_rfc), "oauth", Public, None, (Body::Form, None), json(schema::<w::TokenResponse>()), "Token endpoint (RFC 6749 §3.2)", TOKEN_ERRORS),
        ep!(GET "/prism/v1/service/oauth2/token", get(oauth::token_prism), "oauth", Public, None, none, json(schema::<w::TokenResponse>()), "Token endpoint, PRISM form (spec §2)", TOKEN_ERRORS),
        ep!(POST "/oauth/revoke", post(oauth::revoke), "oauth", Public, None, (Body::Form, None), none, "Token revocation (RFC 7009)", TOKEN_ERRORS),
        ep!(GET "/.well-known/oauth-authorization-server", get(oauth::metadata), "oauth", Public, None, none, json(schema::<w::AuthServerMetadata>()), "Authorization server metadata (RFC 8414)"),
        ep!(GET "/.well-known/oauth-protected-resource", get(oauth::resource_metadata), "oauth", Public, None, none, json(schema::<w::ProtectedResourceMetadata>()), "Protected resource metadata (RFC 9728): the issuers whose tokens the API takes"),
        ep!(GET "/prism/v1/service/user", get(api::user), "user", User, None, none, env(schema::<w::UserData>()), "The logged-in user"),
        ep!(GET "/prism/v1/service/capabilities", get(api::capabilities), "user", User, None, none, env(schema::<w::Capabilities>()), "Optional APIs switched on for this client (onair)"),
        ep!(GET "/prism/v1/service/channel/list", get(api::channel_list), "channel", User, None, none, env(schema::<w::ChannelList>()), "The caller's channels"),
        ep!(GET "/prism/v1/service/channel/{channelId}", get(api::channel_get), "channel", User, None, none, env(schema::<w::ChannelData>()), "One channel"),
        ep!(GET "/prism/v1/service/channel/{channelId}/lives", get(api::live_list), "live", User, None, none, env(schema::<w::LiveList>()), "Lives of a channel (?status=ALL|RESERVED|ON_AIR|END)"),
        ep!(POST "/prism/v1/service/channel/{channelId}/live", post(api::live_create), "live", User, None, (Body::Json, schema::<w::CreateLive>()), env(schema::<w::ChannelLive>()), "Create a live"),
        ep!(GET "/prism/v1/service/live/{liveId}", get(api::live_get), "live", User, None, none, env(schema::<w::LiveData>()), "One live (polled every 5 s)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/start", put(api::live_start), "live", User, None, none, env(schema::<w::LiveData>()), "Start a live"),
        ep!(PUT "/prism/v1/service/live/{liveId}/stop", put(api::live_stop), "live", User, None, none, env(schema::<w::LiveData>()), "Stop a live"),
        ep!(POST "/prism/v1/service/live/{liveId}/chat", post(api::chat_list), "chat", User, o(OptionalApi::LiveChatList), (Body::Json, schema::<w::ChatListRequest>()), env(schema::<w::ChatPage>()), "A page of chat (LIVE_CHAT_LIST)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/chat", put(api::chat_send), "chat", User, o(OptionalApi::LiveChatSend), (Body::Json, schema::<w::ChatSend>()), env(schema::<w::ChatSent>()), "Send a chat message (LIVE_CHAT_SEND)"),
        ep!(DELETE "/prism/v1/service/live/{liveId}/chat/{messageId}", delete(api::chat_delete), "chat", User, o(OptionalApi::LiveChatDelete), none, na, "Delete a chat message (LIVE_CHAT_DELETE)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/ban/{userId}", put(api::ban), "moderation", User, o(OptionalApi::UserBan), none, na, "Ban from the chat (USER_BAN)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/unban/{userId}", put(api::unban), "moderation", User, o(OptionalApi::UserBan), none, na, "Lift permanent and timed bans (USER_BAN)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/timedBan/{userId}", put(api::timed_ban), "moderation", User, o(OptionalApi::UserBanTemporary), (Body::Json, schema::<w::BanTime>()), na, "Ban for banTime seconds (USER_BAN_TEMPORARY)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/mod/{userId}", put(api::grant_mod), "moderation", User, o(OptionalApi::UserMod), none, na, "Grant chat admin (USER_MOD)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/unmod/{userId}", put(api::remove_mod), "moderation", User, o(OptionalApi::UserMod), none, na, "Remove chat admin (USER_MOD)"),
        ep!(GET "/prism/v1/service/live/{liveId}/streamkey", get(api::stream_key), "stream", User, None, none, env(schema::<w::StreamKey>()), "Ingest URL and stream key (spec §5)"),
        ep!(PUT "/prism/v1/service/live/{liveId}/streamkey/regenerate", put(api::regenerate_key), "stream", User, None, none, env(schema::<w::StreamKey>()), "New stream key; 409 STREAM_ACTIVE while a stream is sent with the key"),
        ep!(GET "/prism/v1/service/live/{liveId}/sessions", get(api::sessions), "stream", User, None, none, env(schema::<w::SessionList>()), "Sessions of a live, newest first (?page=&perPage=)"),
        ep!(GET "/prism/v1/service/live/{liveId}/ingest", get(api::ingest), "stream", User, None, none, env(schema::<w::IngestHealth>()), "What the RTMP ingest receives now: codecs, size, frame rate, key frames, bitrates, a verdict (INGEST; owner and chat admins)"),
        ep!(GET "/prism/v1/service/session/{sessionId}/events", get(api::events), "stream", User, None, none, env(schema::<w::EventList>()), "A session's timeline, newest first"),
        ep!(GET "/watch/{liveId}", get(watch::page), "watch", Public, None, none, (Body::Html, None), "The watch page: title, status, player, chat (PUBLIC, LIMITED by link; PRIVATE with the owner's token)", &[(404, "no such live, or not one this viewer may watch: a page")]),
        ep!(GET "/watch/{liveId}/index.m3u8", get(watch::playlist), "watch", Public, None, none, (Body::Media("application/vnd.apple.mpegurl"), None), "The live's HLS playlist (RFC 8216), the last 6 segments; ?player= names the player", WATCH_ERRORS),
        ep!(GET "/watch/{liveId}/{segment}", get(watch::segment), "watch", Public, None, none, (Body::Media("video/mp2t"), None), "An HLS segment, {seq}.ts, while listed", WATCH_ERRORS),
        ep!(GET "/watch/{liveId}/ladder/master.m3u8", get(watch::ladder_master), "watch", Public, None, none, (Body::Media("application/vnd.apple.mpegurl"), None), "The transcoding ladder's master playlist (--transcode): 1080p, 720p, 480p, no taller than the source", WATCH_ERRORS),
        ep!(GET "/watch/{liveId}/ladder/{rendition}/{file}", get(watch::ladder_file), "watch", Public, None, none, (Body::Media("video/mp2t"), None), "A rendition's playlist (index.m3u8) or segment (seg{N}.ts)", WATCH_ERRORS),
        ep!(GET "/watch/{liveId}/state.json", get(watch::state), "watch", Public, None, none, json(schema::<w::WatchState>()), "What the watch page shows: title, status, viewers, and the chat after ?after=", WATCH_ERRORS),
        ep!(GET "/assets/watch.js", get(watch::script), "watch", Public, None, none, (Body::Media("text/javascript"), None), "The watch page's player (hls.js, bundled)"),
        ep!(GET "/assets/avatar.png", get(watch::avatar), "watch", Public, None, none, (Body::Media("image/png"), None), "The demo's picture of users and channels (their profileThumbnail and thumbnailUrl)"),
        ep!(GET "/openapi.json", get(openapi::serve), "meta", Public, None, none, (Body::Json, None), "This document"),
        ep!(POST "/admin/live/{liveId}/end", post(admin::end_live), "admin", Admin, None, none, na, "Force-end a live (ENDED_BY_SERVICE)"),
        ep!(PUT "/admin/channel/{channelId}/disable", put(admin::disable_channel), "admin", Admin, None, none, na, "Disable a channel (ends its live)"),
        ep!(PUT "/admin/channel/{channelId}/enable", put(admin::enable_channel), "admin", Admin, None, none, na, "Enable a channel"),
        ep!(PUT "/admin/outage", put(admin::outage), "admin", Admin, None, none, na, "Simulate an outage: API and OAuth answer 503 for ?seconds=N (0..=600; 0 ends it)"),
        ep!(PUT "/admin/user/{userId}/ban", put(admin::ban_streamer), "admin", Admin, None, none, na, "Ban a streamer (disables their channels)"),
        ep!(PUT "/admin/user/{userId}/unban", put(admin::unban_streamer), "admin", Admin, None, none, na, "Lift a streamer's ban"),
        ep!(POST "/admin/user", post(admin::create_user), "admin", Admin, None, (Body::Json, schema::<admin::NewUserBody>()), na, "Create a user"),
        ep!(POST "/admin/channel", post(admin::create_channel), "admin", Admin, None, (Body::Json, schema::<admin::NewChannelBody>()), na, "Create a channel"),
        ep!(POST "/admin/client", post(admin::create_client), "admin", Admin, None, (Body::Json, schema::<admin::NewClientBody>()), na, "Register or update a client"),
    ]
}

/// The router of the whole service; tests call it with `oneshot`.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for e in endpoints() {
        let fails = e.fails_as();
        let mut route = e.route;
        if e.security == Security::Admin {
            route = route.layer(middleware::from_fn_with_state(state.clone(), admin::guard));
        }
        // Outermost: the body is read (or refused) before anything answers.
        let rule = limits::BodyRule {
            fails,
            timeout: state.body_timeout,
        };
        route = route.layer(middleware::from_fn_with_state(rule, limits::read_body));
        router = router.route(e.path, route);
    }
    router
        .fallback(|| async { ApiError::not_found("resource") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            admin::during_outage,
        ))
        .layer(middleware::from_fn(refuse_options_and_head))
        .with_state(state)
}

/// Spec §1: OPTIONS and HEAD are never answered with content; 405 on every
/// path, known or not.
async fn refuse_options_and_head(req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS || req.method() == Method::HEAD {
        let mut r = StatusCode::METHOD_NOT_ALLOWED.into_response();
        r.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, POST, PUT, DELETE"),
        );
        return r;
    }
    next.run(req).await
}
