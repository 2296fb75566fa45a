//! The user and their channels (spec §2 `GET /user`, spec §3 "Channel").

use onair_api::{Channel, ChannelData, ChannelList, Id, User, UserData};
use sqlx::FromRow;

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Caller};

#[derive(Debug, FromRow)]
struct ChannelRow {
    id: String,
    name: String,
    enabled: bool,
    description: Option<String>,
    tags: Option<String>,
    thumbnail_url: Option<String>,
    follower_count: i64,
}

impl ChannelRow {
    fn to_wire(&self, state: &AppState) -> Channel {
        Channel {
            channel_id: Id::new(&self.id),
            channel_name: self.name.clone(),
            channel_enabled: self.enabled,
            channel_link: format!("{}/channel/{}", state.base_url, self.id),
            channel_description: self.description.clone(),
            channel_tags: self.tags.clone(),
            channel_thumbnail_url: self.thumbnail_url.clone(),
            channel_follower_count: Some(u64::try_from(self.follower_count).unwrap_or(0)),
        }
    }
}

const CHANNEL_COLUMNS: &str = "id, name, enabled, description, tags, thumbnail_url, follower_count";

/// `GET /user`.
pub async fn user(state: &AppState, caller: &Caller) -> ApiResult<UserData> {
    let row: Option<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, display_name, profile_thumbnail FROM users WHERE id = ?")
            .bind(&caller.user_id)
            .fetch_optional(&state.db.read)
            .await?;
    let (id, name, thumb) = row.ok_or_else(|| ApiError::not_found("user"))?;
    Ok(UserData {
        user: User {
            user_id: Id::new(id),
            user_name: name,
            profile_thumbnail: thumb,
        },
    })
}

async fn display_name(state: &AppState, caller: &Caller) -> ApiResult<String> {
    Ok(user(state, caller).await?.user.user_name)
}

/// `GET /channel/list`: the caller's channels, last modified first.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<ChannelList> {
    let rows: Vec<ChannelRow> = sqlx::query_as(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels WHERE owner_id = ?
         ORDER BY updated_at DESC, created_at DESC, rowid DESC"
    ))
    .bind(&caller.user_id)
    .fetch_all(&state.db.read)
    .await?;
    Ok(ChannelList {
        user_name: display_name(state, caller).await?,
        channels: rows.iter().map(|r| r.to_wire(state)).collect(),
    })
}

/// `GET /channel/{channelId}`: 404 when unknown or not the caller's.
pub async fn get(state: &AppState, caller: &Caller, channel_id: &str) -> ApiResult<ChannelData> {
    let row: Option<ChannelRow> = sqlx::query_as(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = ? AND owner_id = ?"
    ))
    .bind(channel_id)
    .bind(&caller.user_id)
    .fetch_optional(&state.db.read)
    .await?;
    let row = row.ok_or_else(|| ApiError::not_found("channel"))?;
    Ok(ChannelData {
        user_name: display_name(state, caller).await?,
        channel: row.to_wire(state),
    })
}

/// 404 unless the channel exists and is the caller's. A disabled channel
/// passes: it keeps its lives and may reserve more; only starting is refused.
pub async fn require_owned(state: &AppState, caller: &Caller, channel_id: &str) -> ApiResult<()> {
    sqlx::query_scalar::<_, i64>("SELECT 1 FROM channels WHERE id = ? AND owner_id = ?")
        .bind(channel_id)
        .bind(&caller.user_id)
        .fetch_optional(&state.db.read)
        .await?
        .map(drop)
        .ok_or_else(|| ApiError::not_found("channel"))
}
