//! The watch page (`liveLink`) and what it loads: the live's HLS playlist
//! and segments, its state (title, status, viewers, chat), and the player
//! script. Handlers parse and delegate to [`crate::domain::watch`].

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use onair_api::{LiveStatus, WatchState};
use serde::Deserialize;

use super::extract::{access_token, ApiPath, ApiQuery};
use super::oauth::escape;
use crate::domain::watch;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// The player: hls.js and `ui/src/watch/main.ts`, bundled by `make ui`
/// (`ui/vite.watch.config.ts`).
const SCRIPT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../ui/dist-watch/watch.js"
));

/// Whoever watches: nobody in particular, or a user by their access token
/// (a PRIVATE live plays for its owner only; a bad token is nobody), and
/// from where.
#[derive(Debug)]
pub struct Viewer(pub Option<Caller>, pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = match access_token(&parts.headers) {
            Some(token) => crate::auth::authenticate(state, token).await.ok(),
            None => None,
        };
        let addr = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        Ok(Viewer(caller, addr))
    }
}

/// `?player=` of a playlist request: the page's own id for its player.
#[derive(Debug, Deserialize)]
pub struct PlayerQuery {
    #[serde(default)]
    player: Option<String>,
}

/// `?after=` of a state request: the chat page token.
#[derive(Debug, Deserialize)]
pub struct AfterQuery {
    #[serde(default)]
    after: Option<String>,
}

fn media(content_type: &'static str, cache: &'static str, body: impl IntoResponse) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

pub async fn playlist(
    State(s): State<AppState>,
    Viewer(viewer, addr): Viewer,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PlayerQuery>,
) -> ApiResult<Response> {
    // A player names itself; else its address stands for it.
    let player = q
        .player
        .filter(|p| (1..=64).contains(&p.len()))
        .or_else(|| addr.map(|a| a.to_string()))
        .unwrap_or_default();
    let m3u8 = watch::playlist(&s, viewer.as_ref(), &id, &player).await?;
    Ok(media("application/vnd.apple.mpegurl", "no-cache", m3u8))
}

pub async fn segment(
    State(s): State<AppState>,
    Viewer(viewer, _): Viewer,
    ApiPath((id, name)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let data = watch::segment(&s, viewer.as_ref(), &id, &name).await?;
    Ok(media("video/mp2t", "max-age=60", data))
}

pub async fn ladder_master(
    State(s): State<AppState>,
    Viewer(viewer, _): Viewer,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let data = watch::ladder_file(&s, viewer.as_ref(), &id, None, "master.m3u8").await?;
    Ok(media("application/vnd.apple.mpegurl", "no-cache", data))
}

pub async fn ladder_file(
    State(s): State<AppState>,
    Viewer(viewer, _): Viewer,
    ApiPath((id, rendition, file)): ApiPath<(String, String, String)>,
) -> ApiResult<Response> {
    let data = watch::ladder_file(&s, viewer.as_ref(), &id, Some(&rendition), &file).await?;
    Ok(if file.ends_with(".m3u8") {
        media("application/vnd.apple.mpegurl", "no-cache", data)
    } else {
        media("video/mp2t", "max-age=60", data)
    })
}

pub async fn state(
    State(s): State<AppState>,
    Viewer(viewer, _): Viewer,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AfterQuery>,
) -> ApiResult<axum::Json<WatchState>> {
    let state = watch::page_state(&s, viewer.as_ref(), &id, q.after.as_deref()).await?;
    Ok(axum::Json(state))
}

/// `GET /assets/avatar.png`: the demo's picture of users and channels
/// (drawn by `icons/make-icons.py`).
pub async fn avatar() -> Response {
    media(
        "image/png",
        "max-age=86400",
        &include_bytes!("../../assets/avatar.png")[..],
    )
}

pub async fn script() -> Response {
    media("text/javascript; charset=utf-8", "max-age=3600", SCRIPT)
}

const STYLE: &str = "body{margin:0;font-family:system-ui,'Apple SD Gothic Neo','Malgun Gothic','Noto Sans CJK KR','Hiragino Sans','Yu Gothic UI','Noto Sans CJK JP',sans-serif,'Apple Color Emoji','Segoe UI Emoji','Noto Color Emoji';\
background:#0f1115;color:#e6e6e6}main{display:grid;grid-template-columns:minmax(0,1fr) 22rem;grid-template-rows:auto minmax(0,1fr);gap:1rem;\
padding:1rem;height:100vh;box-sizing:border-box}header{grid-column:1/3;display:flex;gap:1rem;\
align-items:baseline}h1{font-size:1.3rem;margin:0;overflow-wrap:anywhere}.status{background:#e5484d;\
color:white;border-radius:4px;padding:.1rem .5rem;font-weight:600}#viewers{color:#a8abb3}\
.stage{min-height:0}video{width:100%;max-height:80vh;background:black;border-radius:8px}#note{color:#a8abb3}\
aside{background:#1a1d24;border-radius:8px;padding:.5rem 1rem;min-height:0;display:flex;flex-direction:column}\
aside h2{font-size:1rem;margin:.3rem 0}#chat{list-style:none;margin:0;padding:0;overflow-y:auto;flex:1}\
#chat li{padding:.15rem 0;overflow-wrap:anywhere}#chat b{color:#7fb0ff;margin-right:.3rem}\
@media (max-width:800px){main{grid-template-columns:1fr;height:auto}header{grid-column:1}}";

/// `GET /watch/{liveId}`: the page. Its title and status are filled in
/// here (escaped); the script keeps them, the viewers and the chat fresh.
pub async fn page(
    State(s): State<AppState>,
    Viewer(viewer, _): Viewer,
    ApiPath(id): ApiPath<String>,
) -> Response {
    let live = match watch::watchable(&s, viewer.as_ref(), &id).await {
        Ok(live) => live,
        Err(e) if e.name == onair_api::ErrorName::NotFound => {
            return (
                StatusCode::NOT_FOUND,
                Html("<!doctype html><title>Not found</title><p>There is no such live.</p>"),
            )
                .into_response()
        }
        Err(e) => return e.into_response(),
    };
    let (status, note) = match live.status() {
        LiveStatus::OnAir => ("LIVE", "Waiting for the stream…"),
        LiveStatus::Reserved => ("Not started", "This live has not started yet."),
        LiveStatus::End => ("Ended", "This live has ended."),
    };
    let title = escape(&live.title);
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} - onair</title>\
         <style>{STYLE}</style></head><body data-live=\"{id}\"><main>\
         <header><h1 id=\"title\">{title}</h1><span id=\"status\" class=\"status\">{status}</span>\
         <span id=\"viewers\"></span></header>\
         <div class=\"stage\"><video id=\"video\" controls muted playsinline></video><p id=\"note\">{note}</p></div>\
         <aside><h2>Chat</h2><ol id=\"chat\" aria-live=\"polite\"></ol></aside>\
         </main><script src=\"/assets/watch.js\"></script></body></html>",
        id = escape(&live.id),
    );
    let mut r = Html(html).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; media-src 'self' blob:; \
             style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}
