//! The `picture:` URI scheme: the top bar's avatar and the channels'
//! thumbnails, by the key the IPC models carry
//! ([`onair_desk::pictures::picture_key`]); [`Desk::picture`] fetches only
//! what the service named. So the page's CSP keeps `img-src` to the app,
//! `data:` and this scheme (issue 19). On Windows and Android the webview
//! names it `http://picture.localhost`.

use onair_desk::Desk;
use tauri::http::Request;
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

pub const SCHEME: &str = "picture";

pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    crate::preview::serve(
        ctx,
        request,
        responder,
        "max-age=3600",
        |app, path, _| async move { app.state::<Desk>().picture(&path).await },
    );
}
