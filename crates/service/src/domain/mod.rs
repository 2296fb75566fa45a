//! The service API's rules, free of HTTP types: who may see and do what,
//! what each call changes, and how rows become wire objects.
//!
//! Every function takes the [`AppState`] and the [`Caller`] (or an operator
//! action) and returns an [`ApiResult`]; handlers only parse and delegate.
//!
//! # Layout
//! - [`channels`]: the user and their channels (spec §2, §3).
//! - [`lives`]: lives, their stream keys and sessions (spec §3, §5).
//! - [`chat`]: live chat (spec §4 LIVE_CHAT_*).
//! - [`moderation`]: bans, timed bans, chat admins (spec §4 USER_*).
//! - [`ingest`]: what a stream does to a live (spec §5).
//! - [`watch`]: the watch page's rules (who may watch, what it shows).
//! - [`admin`]: operator actions and demo seeding.
//! - [`external`]: users of the login servers the service trusts.
//! - this module: the caller, the checks shared by all (lengths, control
//!   characters), row-to-wire helpers.

pub mod admin;
pub mod channels;
pub mod chat;
pub mod external;
pub mod ingest;
pub mod lives;
pub mod moderation;
pub mod watch;

use onair_api::{Id, Live, LiveStat, LiveStatus, Scope};
use sqlx::{FromRow, SqliteConnection};

use crate::clock::{timestamp, Millis};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

/// A live with what access checks need from its channel. `Debug` leaves
/// the stream key out.
#[derive(Clone, FromRow)]
pub struct LiveRow {
    pub id: String,
    pub channel_id: String,
    pub title: String,
    pub description: Option<String>,
    pub reserved_at: Millis,
    pub start_at: Option<Millis>,
    pub status: String,
    pub scope: String,
    pub stream_key: String,
    pub view_count: i64,
    pub viewer_count: i64,
    pub like_count: i64,
    pub chat_count: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub owner_id: String,
    pub channel_enabled: bool,
    /// A publish on the key starts the live while RESERVED (spec §5).
    pub auto_start: bool,
    /// The live ends after `stop_timeout` without a signal.
    pub auto_stop: bool,
    /// Seconds; `None`: the service's default.
    pub stop_timeout: Option<i64>,
}

/// The columns of [`LiveRow`], for `SELECT {LIVE_COLUMNS} FROM lives l JOIN channels c ...`.
pub const LIVE_COLUMNS: &str = "l.id, l.channel_id, l.title, l.description, l.reserved_at, l.start_at, l.status, l.scope,
    l.stream_key, l.view_count, l.viewer_count, l.like_count, l.chat_count, l.created_at, l.updated_at,
    c.owner_id, c.enabled AS channel_enabled, l.auto_start, l.auto_stop, l.stop_timeout";

impl std::fmt::Debug for LiveRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRow")
            .field("id", &self.id)
            .field("channel_id", &self.channel_id)
            .field("status", &self.status)
            .field("scope", &self.scope)
            .field("owner_id", &self.owner_id)
            .field("stream_key", &"***")
            .finish_non_exhaustive()
    }
}

impl LiveRow {
    /// The status column as the wire enum.
    pub fn status(&self) -> LiveStatus {
        self.status.parse().unwrap_or(LiveStatus::End)
    }

    /// The scope column as the wire enum.
    pub fn scope(&self) -> Scope {
        self.scope.parse().unwrap_or(Scope::Private)
    }

    /// Seconds without a signal before the live ends on its own.
    pub fn stop_timeout(&self, state: &AppState) -> u64 {
        self.stop_timeout
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(state.ingest.config.stop_timeout.as_secs())
    }

    /// The wire object (spec §3). `rtmpPath` is always `rtmpUrl/streamKey`;
    /// the `stream` extension tells the signal as the ingest sees it now.
    pub fn to_wire(&self, state: &AppState) -> Live {
        let (signal, interrupted_at) = state.ingest.signal(&self.id);
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Live {
            live_id: Id::new(&self.id),
            title: self.title.clone(),
            description: self.description.clone(),
            reserved_at: timestamp(self.reserved_at),
            start_at: self.start_at.map(timestamp),
            rtmp_path: format!("{}/{}", state.rtmp_url, self.stream_key),
            status: self.status(),
            scope: self.scope(),
            live_link: format!("{}/watch/{}", state.base_url, self.id),
            live_stat: Some(LiveStat {
                view_count: count(self.view_count),
                viewer_count: count(self.viewer_count),
                like_count: count(self.like_count),
                chat_count: count(self.chat_count),
            }),
            stream: Some(onair_api::LiveStream {
                signal,
                auto_start: self.auto_start,
                auto_stop: self.auto_stop,
                stop_timeout: self.stop_timeout(state),
                interrupted_at: interrupted_at.map(timestamp),
            }),
        }
    }
}

/// Loads a live whoever owns it.
pub async fn load_live(conn: &mut SqliteConnection, live_id: &str) -> ApiResult<Option<LiveRow>> {
    Ok(sqlx::query_as::<_, LiveRow>(&format!(
        "SELECT {LIVE_COLUMNS} FROM lives l JOIN channels c ON c.id = l.channel_id WHERE l.id = ?"
    ))
    .bind(live_id)
    .fetch_optional(conn)
    .await?)
}

/// Loads a live on the read path, through [`crate::state::LiveCache`].
pub async fn cached_live(state: &AppState, live_id: &str) -> ApiResult<Option<LiveRow>> {
    if let Some(row) = state.lives.get(live_id) {
        return Ok(Some(row));
    }
    let generation = state.lives.generation();
    let mut conn = state.db.read.acquire().await?;
    let row = load_live(&mut conn, live_id).await?;
    if let Some(r) = &row {
        state.lives.put(generation, r.clone());
    }
    Ok(row)
}

/// A live of the caller's, else 404 (no existence leak, spec §1).
pub async fn owned_live(
    conn: &mut SqliteConnection,
    caller: &Caller,
    live_id: &str,
) -> ApiResult<LiveRow> {
    match load_live(conn, live_id).await? {
        Some(l) if l.owner_id == caller.user_id => Ok(l),
        _ => Err(ApiError::not_found("live")),
    }
}

/// A live of the caller's through [`cached_live`] (the read path: status
/// GET, stream key), else 404 (no existence leak, spec §1).
pub async fn owned_cached(state: &AppState, caller: &Caller, live_id: &str) -> ApiResult<LiveRow> {
    match cached_live(state, live_id).await? {
        Some(l) if l.owner_id == caller.user_id => Ok(l),
        _ => Err(ApiError::not_found("live")),
    }
}

/// What the caller is in a live's chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The channel's owner: runs the live and moderates.
    Owner,
    /// A chat admin of this live (USER_MOD): moderates.
    Admin,
    /// Anyone else logged in, on a PUBLIC live: reads and sends.
    Viewer,
}

impl Role {
    /// Owner and chat admins moderate.
    pub fn moderates(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// Whether `user_id` is a chat admin of the live.
pub async fn is_admin(
    conn: &mut SqliteConnection,
    live_id: &str,
    user_id: &str,
) -> ApiResult<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT 1 FROM live_mods WHERE live_id = ? AND user_id = ?")
            .bind(live_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// A live the caller may use the chat of, with their role; 404 when the
/// live is not the caller's, they are not its chat admin, and it is not
/// PUBLIC.
pub async fn chat_live(
    conn: &mut SqliteConnection,
    caller: &Caller,
    live_id: &str,
) -> ApiResult<(LiveRow, Role)> {
    let live = load_live(conn, live_id).await?;
    chat_role(conn, caller, live).await
}

/// [`chat_live`] of a live already loaded (`None`: there is none).
pub async fn chat_role(
    conn: &mut SqliteConnection,
    caller: &Caller,
    live: Option<LiveRow>,
) -> ApiResult<(LiveRow, Role)> {
    let Some(live) = live else {
        return Err(ApiError::not_found("live"));
    };
    if live.owner_id == caller.user_id {
        return Ok((live, Role::Owner));
    }
    if is_admin(conn, &live.id, &caller.user_id).await? {
        return Ok((live, Role::Admin));
    }
    if live.scope() == Scope::Public {
        return Ok((live, Role::Viewer));
    }
    Err(ApiError::not_found("live"))
}

/// Checks a one-line text field: its length in characters after trimming
/// within `range`, and no control characters. Returns the trimmed text.
pub fn check_line(
    field: &str,
    text: &str,
    range: std::ops::RangeInclusive<usize>,
) -> ApiResult<String> {
    let t = text.trim();
    let n = t.chars().count();
    if !range.contains(&n) {
        return Err(ApiError::invalid(format!(
            "{field} must be {} to {} characters (it has {n})",
            range.start(),
            range.end()
        )));
    }
    if has_control(t) {
        return Err(ApiError::invalid(format!(
            "{field} must not contain control characters or line breaks"
        )));
    }
    Ok(t.to_owned())
}

/// Characters a title or chat message may not hold: every control
/// character (Unicode category Cc), line breaks included.
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}
