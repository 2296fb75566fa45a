//! The watch page's rules (spec §5: `liveLink` plays the live): who may
//! watch, what the playlist and the page's state say. PUBLIC lives are for
//! anyone, LIMITED ones for anyone with the link (they are unlisted, not
//! secret), PRIVATE ones for their owner's token only; anything else is
//! 404, as everywhere (spec §1).

use onair_api::{Id, LiveStatus, Scope, WatchState};

use super::{cached_live, LiveRow};
use crate::clock::timestamp;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// Chat messages a state read returns at most.
const CHAT_PAGE: i64 = 50;

/// The live, if `viewer` may watch it.
pub async fn watchable(
    state: &AppState,
    viewer: Option<&Caller>,
    live_id: &str,
) -> ApiResult<LiveRow> {
    let Some(live) = cached_live(state, live_id).await? else {
        return Err(ApiError::not_found("live"));
    };
    match live.scope() {
        Scope::Public | Scope::Limited => Ok(live),
        Scope::Private if viewer.is_some_and(|c| c.user_id == live.owner_id) => Ok(live),
        Scope::Private => Err(ApiError::not_found("live")),
    }
}

/// The live's HLS playlist for the player `player` (a viewer unless it is
/// the live's owner). An ended live's is
/// closed with `#EXT-X-ENDLIST` (empty once its segments are gone); a live
/// with nothing to play yet is 404, which players retry.
pub async fn playlist(
    state: &AppState,
    viewer: Option<&Caller>,
    live_id: &str,
    player: &str,
) -> ApiResult<String> {
    let live = watchable(state, viewer, live_id).await?;
    let ended = live.status() == LiveStatus::End;
    // The streamer's own preview is not an audience.
    let own = viewer.is_some_and(|c| c.user_id == live.owner_id);
    match state.ingest.playlist(&live.id, ended, (!own).then_some(player)) {
        Some(m3u8) => Ok(m3u8),
        None if ended => Ok(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-ENDLIST\n"
                .to_owned(),
        ),
        None => Err(ApiError::not_found("playlist")),
    }
}

/// A listed segment, named `{seq}.ts` (gone as soon as it leaves the
/// window: 404).
pub async fn segment(
    state: &AppState,
    viewer: Option<&Caller>,
    live_id: &str,
    name: &str,
) -> ApiResult<Vec<u8>> {
    let live = watchable(state, viewer, live_id).await?;
    let path = name
        .strip_suffix(".ts")
        .and_then(|n| n.parse::<u64>().ok())
        .and_then(|seq| state.ingest.segment(&live.id, seq))
        .ok_or_else(|| ApiError::not_found("segment"))?;
    tokio::fs::read(path)
        .await
        .map_err(|_| ApiError::not_found("segment"))
}

/// A file of the live's transcoding ladder (`--transcode`): its master
/// playlist, or a rendition's playlist or segment; 404 when there is none.
pub async fn ladder_file(
    state: &AppState,
    viewer: Option<&Caller>,
    live_id: &str,
    rendition: Option<&str>,
    file: &str,
) -> ApiResult<Vec<u8>> {
    let live = watchable(state, viewer, live_id).await?;
    let path = state
        .ingest
        .ladder_file(&live.id, rendition, file)
        .ok_or_else(|| ApiError::not_found("rendition"))?;
    tokio::fs::read(path)
        .await
        .map_err(|_| ApiError::not_found("rendition"))
}

/// What the page shows besides the video: title, status, viewers, and the
/// chat after the page token `after` (the latest without one).
pub async fn page_state(
    state: &AppState,
    viewer: Option<&Caller>,
    live_id: &str,
    after: Option<&str>,
) -> ApiResult<WatchState> {
    let live = watchable(state, viewer, live_id).await?;
    let mut conn = state.db.read.acquire().await?;
    let chat = super::chat::page(&mut conn, &live, after, CHAT_PAGE).await?;
    Ok(WatchState {
        live_id: Id::new(&live.id),
        title: live.title.clone(),
        status: live.status(),
        start_at: live.start_at.map(timestamp),
        viewer_count: u64::try_from(live.viewer_count).unwrap_or(0),
        playing: state.ingest.is_publishing(&live.id) || state.ingest.segment_count(&live.id) > 0,
        chat,
    })
}
