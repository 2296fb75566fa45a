//! The dashboard's preview: the watched live's own watch stream (HLS,
//! RFC 8216), fetched here for the webview. The service's certificate may
//! be pinned and a PRIVATE live plays for its owner's token only, so the
//! page never fetches the service itself: it asks the app's `preview:`
//! scheme, which asks [`Desk::preview`], which asks the service with the
//! session's client. The token stays in Rust.
//!
//! A preview path is `playlist` for the playlist the service named in its
//! ingest health (`playbackUrl`), or a file the playlist lists by a
//! relative name (RFC 8216 §4.1: relative to the playlist's URL). Always
//! of the live the dashboard watches: a switch of live is a new player.

use onair_client::Media;
use url::Url;

use crate::error::{Error, Result};
use crate::Desk;

/// The path of the playlist itself under a live's preview.
pub const PLAYLIST: &str = "playlist";

impl Desk {
    /// A file of the watched live's watch stream for `path` (`playlist`
    /// or a file name), with `query` as the playlist wrote it. Only where
    /// the service offers a watch stream, only names inside the playlist's
    /// folder.
    pub async fn preview(&self, path: &str, query: Option<&str>) -> Result<Media> {
        let file = path.trim_start_matches('/');
        let playback = {
            let st = self.state.lock().await;
            let watched = st
                .watch
                .as_ref()
                .ok_or_else(|| not_found("no live is on the dashboard"))?;
            let latest = watched.latest.lock().expect("ingest lock");
            latest
                .as_ref()
                .and_then(|h| h.playback_url.clone())
                .ok_or_else(|| not_found("the service offers no watch stream for this live"))?
        };
        let playlist = Url::parse(&playback)
            .map_err(|e| invalid(&format!("the service's playback URL: {e}")))?;
        let url = file_url(&playlist, file, query)?;
        Ok(self.client().await?.media(&url).await?)
    }
}

/// The URL of `file` beside `playlist`: the playlist itself for
/// [`PLAYLIST`], else a plain file name (no folders, no `..`) resolved
/// against it, with the playlist's own query string unless `query` is
/// given.
fn file_url(playlist: &Url, file: &str, query: Option<&str>) -> Result<Url> {
    if file == PLAYLIST {
        return Ok(playlist.clone());
    }
    let plain = !file.is_empty()
        && file.len() <= 128
        && !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !plain {
        return Err(invalid("a preview file is a plain file name"));
    }
    let mut url = playlist
        .join(file)
        .map_err(|e| invalid(&format!("{file}: {e}")))?;
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.set_query(Some(q));
    }
    Ok(url)
}

fn invalid(message: &str) -> Error {
    Error::Invalid {
        field: None,
        message: message.to_owned(),
    }
}

fn not_found(message: &str) -> Error {
    Error::Client(onair_client::Error::NotFound(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_resolve_beside_the_playlist_and_nowhere_else() {
        let playlist = Url::parse("https://svc.example/watch/L1/index.m3u8?t=1").unwrap();
        let url = |f, q| file_url(&playlist, f, q).map(|u| u.to_string());
        assert_eq!(url(PLAYLIST, None).unwrap(), playlist.as_str());
        assert_eq!(
            url("12.ts", None).unwrap(),
            "https://svc.example/watch/L1/12.ts"
        );
        assert_eq!(
            url("seg-3.ts", Some("sig=abc")).unwrap(),
            "https://svc.example/watch/L1/seg-3.ts?sig=abc"
        );
        for bad in [
            "",
            "..",
            "../L2/index.m3u8",
            "a/b.ts",
            ".hidden",
            "%2e%2e",
            "x?y",
            "//evil.example/x",
        ] {
            assert!(
                matches!(url(bad, None), Err(Error::Invalid { .. })),
                "{bad:?} refused"
            );
        }
    }
}
