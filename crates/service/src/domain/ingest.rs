//! What a stream does to a live (spec §5): who may publish with a key,
//! and the session events a publish, its steady input, its loss and its
//! return record. Free of RTMP: [`crate::ingest`] calls these with what it
//! saw on the wire.

use onair_api::{ClientInfo, EndReason, EventKind, IngestHealth, LiveStatus};

use super::lives::{add_event, end_live, go_on_air, open_session};
use super::{cached_live, is_admin, load_live, LiveRow, LIVE_COLUMNS};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// `GET /live/{liveId}/ingest`: for the owner and the live's chat admins;
/// 404 for anyone else (spec §1, §5). Reads no table for the owner: it is
/// polled every 2 s.
pub async fn health(state: &AppState, caller: &Caller, live_id: &str) -> ApiResult<IngestHealth> {
    let Some(live) = cached_live(state, live_id).await? else {
        return Err(ApiError::not_found("live"));
    };
    if live.owner_id != caller.user_id {
        let mut conn = state.db.read.acquire().await?;
        if !is_admin(&mut conn, &live.id, &caller.user_id).await? {
            return Err(ApiError::not_found("live"));
        }
    }
    let mut health = state.ingest.health(&live.id);
    health.playback_url = Some(format!("{}/watch/{}/index.m3u8", state.base_url, live.id));
    Ok(health)
}

/// Why a publish is refused, and how RTMP says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No live has this key (never had, or it was regenerated).
    UnknownKey,
    /// The live's channel is disabled (spec §3: no live may start).
    ChannelDisabled,
    /// The channel's owner is banned from the service.
    StreamerBanned,
    /// The live has ended; `/start` it again first.
    Ended,
    /// Another publisher is streaming with this key.
    Busy,
    /// The connection asked for an application other than `live`.
    WrongApp,
    /// The service could not record the publish.
    Failed,
}

impl Refusal {
    /// The `onStatus` code sent back (the codes Adobe's servers and
    /// nginx-rtmp use for a refused publish).
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Busy => "NetStream.Publish.BadName",
            Refusal::WrongApp => "NetConnection.Connect.Rejected",
            Refusal::Failed => "NetStream.Publish.Failed",
            _ => "NetStream.Publish.Denied",
        }
    }

    /// Words for the publisher and the log.
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::UnknownKey => "unknown stream key",
            Refusal::ChannelDisabled => "the live's channel is disabled",
            Refusal::StreamerBanned => "the streamer is banned",
            Refusal::Ended => "the live has ended",
            Refusal::Busy => "a stream is already being sent with this key",
            Refusal::WrongApp => "unknown application (use /live)",
            Refusal::Failed => "the service could not record the stream",
        }
    }
}

/// The live of a stream key, if any publish on it may be admitted.
pub async fn admissible(state: &AppState, key: &str) -> ApiResult<Result<LiveRow, Refusal>> {
    let mut conn = state.db.read.acquire().await?;
    let live: Option<LiveRow> = sqlx::query_as(&format!(
        "SELECT {LIVE_COLUMNS} FROM lives l JOIN channels c ON c.id = l.channel_id WHERE l.stream_key = ?"
    ))
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(live) = live else {
        return Ok(Err(Refusal::UnknownKey));
    };
    let banned: bool = sqlx::query_scalar("SELECT banned FROM users WHERE id = ?")
        .bind(&live.owner_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(false);
    Ok(if banned {
        Err(Refusal::StreamerBanned)
    } else if !live.channel_enabled {
        Err(Refusal::ChannelDisabled)
    } else if live.status() == LiveStatus::End {
        Err(Refusal::Ended)
    } else {
        Ok(live)
    })
}

/// Records an admitted publish: a RESERVED live with auto-start goes
/// ON_AIR in a new session (`INITIALIZE`, `START`); an ON_AIR live's
/// session gets `INITIALIZE`, or `SIGNAL_RESTORED` when the publisher
/// returns within the live's `stopTimeout`. Returns the session joined
/// (`None`: the live stays RESERVED until `/start`).
pub async fn publish(
    state: &AppState,
    live_id: &str,
    info: &ClientInfo,
    restored: bool,
) -> ApiResult<Option<String>> {
    let now = state.now();
    let mut tx = state.db.write.begin().await?;
    let Some(live) = load_live(&mut tx, live_id).await? else {
        return Ok(None);
    };
    let detail = describe(info);
    let session = match live.status() {
        LiveStatus::Reserved if live.auto_start && live.channel_enabled => Some(
            go_on_air(
                &mut tx,
                &live,
                now,
                &[
                    (EventKind::Initialize, detail.as_str()),
                    (EventKind::Start, "started by the incoming stream"),
                ],
            )
            .await?,
        ),
        LiveStatus::OnAir => match open_session(&mut tx, live_id).await? {
            Some(session) => {
                let kind = if restored {
                    EventKind::SignalRestored
                } else {
                    EventKind::Initialize
                };
                add_event(&mut tx, &session, now, kind, Some(&detail)).await?;
                Some(session)
            }
            None => None,
        },
        _ => None,
    };
    if let Some(session) = &session {
        set_client_info(&mut tx, session, info).await?;
    }
    state.commit(tx).await?;
    Ok(session)
}

/// The publisher's info changed (its encoder, from `onMetaData`).
pub async fn update_client_info(
    state: &AppState,
    session: &str,
    info: &ClientInfo,
) -> ApiResult<()> {
    let mut tx = state.db.write.begin().await?;
    set_client_info(&mut tx, session, info).await?;
    state.commit(tx).await?;
    Ok(())
}

async fn set_client_info(
    conn: &mut sqlx::SqliteConnection,
    session: &str,
    info: &ClientInfo,
) -> ApiResult<()> {
    let json = serde_json::to_string(info).unwrap_or_default();
    sqlx::query("UPDATE sessions SET client_info = ? WHERE id = ?")
        .bind(json)
        .bind(session)
        .execute(conn)
        .await?;
    Ok(())
}

/// Appends `kind` to the live's open session, if it is on air. Returns
/// whether it was.
pub async fn record(
    state: &AppState,
    live_id: &str,
    kind: EventKind,
    detail: &str,
) -> ApiResult<bool> {
    let mut tx = state.db.write.begin().await?;
    let session = match load_live(&mut tx, live_id).await? {
        Some(live) if live.status() == LiveStatus::OnAir => open_session(&mut tx, live_id).await?,
        _ => None,
    };
    let Some(session) = session else {
        return Ok(false);
    };
    add_event(&mut tx, &session, state.now(), kind, Some(detail)).await?;
    state.commit(tx).await?;
    Ok(true)
}

/// No publisher came back within the live's `stopTimeout`: an ON_AIR live
/// with auto-stop ends with SIGNAL_LOST. Returns whether it ended.
pub async fn signal_lost(state: &AppState, live_id: &str) -> ApiResult<bool> {
    let mut tx = state.db.write.begin().await?;
    let ended = match load_live(&mut tx, live_id).await? {
        Some(live) if live.status() == LiveStatus::OnAir && live.auto_stop => {
            let detail = format!("no signal for {} s", live.stop_timeout(state));
            end_live(
                &mut tx,
                live_id,
                EndReason::SignalLost,
                state.now(),
                &detail,
            )
            .await?
        }
        _ => false,
    };
    state.commit(tx).await?;
    Ok(ended)
}

/// A publisher in words for a timeline (never the key).
fn describe(info: &ClientInfo) -> String {
    let mut s = format!(
        "{} from {}:{} to /{}",
        info.action, info.ip, info.port, info.app
    );
    if let Some(encoder) = &info.encoder {
        s.push_str(&format!(" ({encoder})"));
    }
    s
}
