//! Lives (spec §3), their stream keys and sessions (spec §5).
//!
//! Start and stop are transactions on the single writer: starting a live
//! force-ends any other ON_AIR live of its channel (spec §3), and every
//! start opens a session that whatever ends the live closes.

use onair_api::{
    ChannelLive, CreateLive, EndReason, EventKind, EventList, Id, LiveData, LiveList, LiveStatus,
    Session, SessionEvent, SessionList, SessionStatus, StatusFilter, StreamKey,
};
use sqlx::{Row, SqliteConnection};

use super::{load_live, owned_cached, owned_live, LiveRow, LIVE_COLUMNS};
use crate::clock::{timestamp, Millis};
use crate::config::limits;
use crate::crypto;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// A new stream key: 32 random bytes, 43 URL-safe characters (never `/`).
pub fn new_stream_key() -> String {
    crypto::random_token(32)
}

/// `GET /channel/{channelId}/lives?status=`.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    channel_id: &str,
    filter: StatusFilter,
) -> ApiResult<LiveList> {
    super::channels::require_owned(state, caller, channel_id).await?;
    let status = filter.status().map(LiveStatus::as_str);
    let rows: Vec<LiveRow> = sqlx::query_as(&format!(
        "SELECT {LIVE_COLUMNS} FROM lives l JOIN channels c ON c.id = l.channel_id
         WHERE l.channel_id = ?1 AND (?2 IS NULL OR l.status = ?2)
         ORDER BY l.updated_at DESC, l.created_at DESC, l.rowid DESC"
    ))
    .bind(channel_id)
    .bind(status)
    .fetch_all(&state.db.read)
    .await?;
    Ok(LiveList {
        channel_id: Id::new(channel_id),
        lives: rows.iter().map(|r| r.to_wire(state)).collect(),
    })
}

/// `GET /live/{liveId}`.
pub async fn get(state: &AppState, caller: &Caller, live_id: &str) -> ApiResult<LiveData> {
    let live = owned_cached(state, caller, live_id).await?;
    Ok(LiveData {
        live: live.to_wire(state),
    })
}

/// Checks a title: 1-100 characters after trimming, no control characters.
pub fn check_title(title: &str) -> ApiResult<String> {
    super::check_line("title", title, limits::TITLE)
}

/// Checks a description: up to 5,000 characters; line breaks and tabs are
/// fine, other control characters are not. Empty means none.
pub fn check_description(d: Option<&str>) -> ApiResult<Option<String>> {
    let Some(d) = d.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let n = d.chars().count();
    if n > limits::DESCRIPTION_MAX {
        return Err(ApiError::invalid(format!(
            "description must be at most {} characters (it has {n})",
            limits::DESCRIPTION_MAX
        )));
    }
    if d.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::invalid(
            "description must not contain control characters",
        ));
    }
    Ok(Some(d.to_owned()))
}

/// Checks a live's `stopTimeout`: 1 s to 1 h.
pub fn check_stop_timeout(seconds: u32) -> ApiResult<i64> {
    if !limits::STOP_TIMEOUT.contains(&seconds) {
        return Err(ApiError::invalid(format!(
            "stopTimeout must be {} to {} seconds",
            limits::STOP_TIMEOUT.start(),
            limits::STOP_TIMEOUT.end()
        )));
    }
    Ok(i64::from(seconds))
}

/// `POST /channel/{channelId}/live`.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    channel_id: &str,
    body: CreateLive,
) -> ApiResult<ChannelLive> {
    let title = check_title(&body.title)?;
    let description = check_description(body.description.as_deref())?;
    super::channels::require_owned(state, caller, channel_id).await?;
    let now = state.now();
    let reserved_at = body.reserved_at.map_or(now, |t| t.millis());
    let stop_timeout = body.stop_timeout.map(check_stop_timeout).transpose()?;
    let id = crypto::random_id();
    let mut conn = state.db.write.acquire().await?;
    sqlx::query(
        "INSERT INTO lives (id, channel_id, title, description, reserved_at, status, scope, stream_key, created_at, updated_at,
            auto_start, auto_stop, stop_timeout)
         VALUES (?, ?, ?, ?, ?, 'RESERVED', ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(channel_id)
    .bind(title)
    .bind(description)
    .bind(reserved_at)
    .bind(body.scope.as_str())
    .bind(new_stream_key())
    .bind(now)
    .bind(now)
    .bind(body.auto_start.unwrap_or(true))
    .bind(body.auto_stop.unwrap_or(true))
    .bind(stop_timeout)
    .execute(&mut *conn)
    .await?;
    let live = load_live(&mut conn, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("live"))?;
    Ok(ChannelLive {
        channel_id: Id::new(channel_id),
        live: live.to_wire(state),
    })
}

/// `PUT /live/{liveId}/start`. Idempotent on an ON_AIR live; an ended live
/// starts again with a new `startAt` and fresh counters.
pub async fn start(state: &AppState, caller: &Caller, live_id: &str) -> ApiResult<LiveData> {
    let now = state.now();
    let mut tx = state.db.write.begin().await?;
    let live = owned_live(&mut tx, caller, live_id).await?;
    if !live.channel_enabled {
        return Err(ApiError::named(
            onair_api::ErrorName::ChannelDisabled,
            "the channel is disabled: no live may start",
        ));
    }
    if live.status() != LiveStatus::OnAir {
        let detail = format!("started by {}", caller.user_id);
        go_on_air(&mut tx, &live, now, &[(EventKind::Start, detail.as_str())]).await?;
    }
    let live = reload_and_commit(state, tx, live_id).await?;
    Ok(LiveData {
        live: live.to_wire(state),
    })
}

/// Puts a live that is not on air ON_AIR: force-ends any other ON_AIR live
/// of its channel (spec §3), resets the counters, opens a session and
/// records `events` in it (its START among them). Returns the new
/// session's id.
pub async fn go_on_air(
    conn: &mut SqliteConnection,
    live: &LiveRow,
    now: Millis,
    events: &[(EventKind, &str)],
) -> ApiResult<String> {
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM lives WHERE channel_id = ? AND status = 'ON_AIR' AND id <> ?",
    )
    .bind(&live.channel_id)
    .bind(&live.id)
    .fetch_all(&mut *conn)
    .await?;
    for other in others {
        end_live(
            conn,
            &other,
            EndReason::Replaced,
            now,
            &format!("live {} of the same channel started", live.id),
        )
        .await?;
    }
    sqlx::query(
        "UPDATE lives SET status = 'ON_AIR', start_at = ?1, updated_at = ?1, end_reason = NULL, ended_at = NULL,
            view_count = 0, viewer_count = 0, like_count = 0, chat_count = 0
         WHERE id = ?2",
    )
    .bind(now)
    .bind(&live.id)
    .execute(&mut *conn)
    .await?;
    let session = crypto::random_id();
    sqlx::query("INSERT INTO sessions (id, live_id, started_at) VALUES (?, ?, ?)")
        .bind(&session)
        .bind(&live.id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    for (kind, detail) in events {
        add_event(conn, &session, now, *kind, Some(detail)).await?;
    }
    Ok(session)
}

/// The open session of a live, if it is on air.
pub async fn open_session(conn: &mut SqliteConnection, live_id: &str) -> ApiResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM sessions WHERE live_id = ? AND finished_at IS NULL ORDER BY started_at DESC, rowid DESC LIMIT 1",
    )
    .bind(live_id)
    .fetch_optional(conn)
    .await?)
}

/// `PUT /live/{liveId}/stop`. Idempotent on an ended live; a RESERVED live
/// was never on air: 409 NOT_ON_AIR.
pub async fn stop(state: &AppState, caller: &Caller, live_id: &str) -> ApiResult<LiveData> {
    let now = state.now();
    let mut tx = state.db.write.begin().await?;
    let live = owned_live(&mut tx, caller, live_id).await?;
    match live.status() {
        LiveStatus::Reserved => {
            return Err(ApiError::named(
                onair_api::ErrorName::NotOnAir,
                "the live has not started",
            ));
        }
        LiveStatus::OnAir => {
            end_live(
                &mut tx,
                live_id,
                EndReason::Stopped,
                now,
                &format!("stopped by {}", caller.user_id),
            )
            .await?;
        }
        LiveStatus::End => {}
    }
    let live = reload_and_commit(state, tx, live_id).await?;
    Ok(LiveData {
        live: live.to_wire(state),
    })
}

/// Reads the live as the transaction left it, then commits.
async fn reload_and_commit(
    state: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
    live_id: &str,
) -> ApiResult<LiveRow> {
    let live = load_live(&mut tx, live_id)
        .await?
        .ok_or_else(|| ApiError::not_found("live"))?;
    state.commit(tx).await?;
    Ok(live)
}

/// Ends an ON_AIR live and closes its session. Does nothing to a live that
/// is not on air.
pub async fn end_live(
    conn: &mut SqliteConnection,
    live_id: &str,
    reason: EndReason,
    now: Millis,
    detail: &str,
) -> ApiResult<bool> {
    let changed = sqlx::query(
        "UPDATE lives SET status = 'END', end_reason = ?1, ended_at = ?2, updated_at = ?2, viewer_count = 0
         WHERE id = ?3 AND status = 'ON_AIR'",
    )
    .bind(reason.as_str())
    .bind(now)
    .bind(live_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    let sessions: Vec<String> =
        sqlx::query_scalar("SELECT id FROM sessions WHERE live_id = ? AND finished_at IS NULL")
            .bind(live_id)
            .fetch_all(&mut *conn)
            .await?;
    for session in sessions {
        sqlx::query("UPDATE sessions SET finished_at = ?, end_reason = ? WHERE id = ?")
            .bind(now)
            .bind(reason.as_str())
            .bind(&session)
            .execute(&mut *conn)
            .await?;
        add_event(conn, &session, now, reason.into(), Some(detail)).await?;
    }
    Ok(true)
}

/// Appends to a session's timeline.
pub async fn add_event(
    conn: &mut SqliteConnection,
    session: &str,
    at: Millis,
    kind: EventKind,
    detail: Option<&str>,
) -> ApiResult<()> {
    sqlx::query("INSERT INTO session_events (session_id, at, kind, detail) VALUES (?, ?, ?, ?)")
        .bind(session)
        .bind(at)
        .bind(kind.as_str())
        .bind(detail)
        .execute(conn)
        .await?;
    Ok(())
}

fn stream_key_of(state: &AppState, live: &LiveRow) -> StreamKey {
    StreamKey {
        rtmp_url: state.rtmp_url.clone(),
        stream_key: live.stream_key.clone().into(),
    }
}

/// `GET /live/{liveId}/streamkey`.
pub async fn stream_key(state: &AppState, caller: &Caller, live_id: &str) -> ApiResult<StreamKey> {
    let live = owned_cached(state, caller, live_id).await?;
    Ok(stream_key_of(state, &live))
}

/// `PUT /live/{liveId}/streamkey/regenerate`: refused with 409
/// STREAM_ACTIVE while a publisher is connected with the key (spec §5),
/// as the ingest sees it.
pub async fn regenerate_key(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
) -> ApiResult<StreamKey> {
    let mut tx = state.db.write.begin().await?;
    let live = owned_live(&mut tx, caller, live_id).await?;
    if state.ingest.is_publishing(&live.id) {
        return Err(ApiError::named(
            onair_api::ErrorName::StreamActive,
            "the stream key cannot change while a stream is being sent with it",
        ));
    }
    sqlx::query("UPDATE lives SET stream_key = ?, updated_at = ? WHERE id = ?")
        .bind(new_stream_key())
        .bind(state.now())
        .bind(live_id)
        .execute(&mut *tx)
        .await?;
    let live = reload_and_commit(state, tx, live_id).await?;
    Ok(stream_key_of(state, &live))
}

fn session_of(row: &sqlx::sqlite::SqliteRow, now: Millis) -> Session {
    let started: Millis = row.get("started_at");
    let finished: Option<Millis> = row.get("finished_at");
    let reason: Option<String> = row.get("end_reason");
    let client_info: Option<String> = row.get("client_info");
    Session {
        session_id: Id::new(row.get::<String, _>("id")),
        live_id: Id::new(row.get::<String, _>("live_id")),
        started_at: timestamp(started),
        finished_at: finished.map(timestamp),
        duration_sec: u64::try_from((finished.unwrap_or(now) - started) / 1000).unwrap_or(0),
        status: if finished.is_some() {
            SessionStatus::Ended
        } else {
            SessionStatus::Live
        },
        end_reason: reason.and_then(|r| r.parse().ok()),
        client_info: client_info.and_then(|c| serde_json::from_str(&c).ok()),
    }
}

/// `GET /live/{liveId}/sessions?page=&perPage=`, newest first.
pub async fn sessions(
    state: &AppState,
    caller: &Caller,
    live_id: &str,
    page: u32,
    per_page: u32,
) -> ApiResult<SessionList> {
    if page == 0 {
        return Err(ApiError::invalid("page starts at 1"));
    }
    if per_page == 0 || per_page > limits::PER_PAGE_MAX {
        return Err(ApiError::invalid(format!(
            "perPage must be 1 to {}",
            limits::PER_PAGE_MAX
        )));
    }
    let mut conn = state.db.read.acquire().await?;
    owned_live(&mut conn, caller, live_id).await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE live_id = ?")
        .bind(live_id)
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(
        "SELECT id, live_id, started_at, finished_at, end_reason, client_info FROM sessions WHERE live_id = ?
         ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?",
    )
    .bind(live_id)
    .bind(i64::from(per_page))
    .bind(i64::from(page - 1) * i64::from(per_page))
    .fetch_all(&mut *conn)
    .await?;
    let now = state.now();
    Ok(SessionList {
        live_id: Id::new(live_id),
        page,
        per_page,
        total: u64::try_from(total).unwrap_or(0),
        sessions: rows.iter().map(|r| session_of(r, now)).collect(),
    })
}

/// `GET /session/{sessionId}/events`, newest first; the session's live must
/// be the caller's.
pub async fn events(state: &AppState, caller: &Caller, session_id: &str) -> ApiResult<EventList> {
    let mut conn = state.db.read.acquire().await?;
    let live_id: Option<String> = sqlx::query_scalar("SELECT live_id FROM sessions WHERE id = ?")
        .bind(session_id)
        .fetch_optional(&mut *conn)
        .await?;
    let live_id = live_id.ok_or_else(|| ApiError::not_found("session"))?;
    owned_live(&mut conn, caller, &live_id)
        .await
        .map_err(|_| ApiError::not_found("session"))?;
    let rows = sqlx::query(
        "SELECT seq, at, kind, detail FROM session_events WHERE session_id = ? ORDER BY seq DESC",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(EventList {
        session_id: Id::new(session_id),
        events: rows
            .iter()
            .filter_map(|r| {
                Some(SessionEvent {
                    event_id: Id::new(r.get::<i64, _>("seq").to_string()),
                    session_id: Id::new(session_id),
                    at: timestamp(r.get("at")),
                    kind: r.get::<String, _>("kind").parse().ok()?,
                    detail: r.get("detail"),
                })
            })
            .collect(),
    })
}
