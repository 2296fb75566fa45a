//! The `preview:` URI scheme: the dashboard's preview asks it for the
//! watched live's HLS playlist and segments, and [`Desk::preview`] fetches
//! them from the service with the session's client (its pinned
//! certificate, its token). The page sees no token and no service origin;
//! its CSP allows this scheme and `blob:` (Media Source Extensions), no
//! more. On Windows and Android the webview names it
//! `http://preview.localhost`.

use onair_desk::{Desk, Error};
use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

pub const SCHEME: &str = "preview";

/// Where the app's own pages come from (the only origins answered).
const APP_ORIGINS: [&str; 3] = [
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    serve(
        ctx,
        request,
        responder,
        "no-store",
        |app, path, query| async move { app.state::<Desk>().preview(&path, query.as_deref()).await },
    );
}

/// Answers a request of one of the app's schemes with what `fetch` gets
/// from the [`Desk`] (path and query of the request), to the app's own
/// pages only; failures as plain text with their status.
pub fn serve<R, F, Fut>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
    cache: &'static str,
    fetch: F,
) where
    R: Runtime,
    F: FnOnce(tauri::AppHandle<R>, String, Option<String>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<onair_client::Media, Error>> + Send,
{
    let app = ctx.app_handle().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| APP_ORIGINS.contains(o))
        .map(str::to_owned);
    tauri::async_runtime::spawn(async move {
        let answer = fetch(app, path.clone(), query).await;
        let (status, content_type, body, cache) = match answer {
            Ok(m) => (StatusCode::OK, m.content_type, m.bytes, cache),
            Err(e) => {
                let status = status_of(&e);
                if status != StatusCode::NOT_FOUND {
                    tracing::debug!(%path, error = %e, "app scheme");
                }
                (
                    status,
                    "text/plain; charset=utf-8".to_owned(),
                    e.to_string().into_bytes(),
                    "no-store",
                )
            }
        };
        let mut response = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CACHE_CONTROL, cache)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        if let Some(o) = origin {
            response = response.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        }
        responder.respond(response.body(body).unwrap_or_else(|_| {
            let mut r = Response::new(Vec::new());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }));
    });
}

/// What a player makes of a failure: 404 it retries (nothing to play
/// yet), the rest it reports.
fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Client(onair_client::Error::NotFound(_)) => StatusCode::NOT_FOUND,
        Error::Invalid { .. } => StatusCode::BAD_REQUEST,
        Error::NoSession | Error::Client(onair_client::Error::LoginRequired) => {
            StatusCode::UNAUTHORIZED
        }
        Error::Client(onair_client::Error::Forbidden(_)) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_GATEWAY,
    }
}
