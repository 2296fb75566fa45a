//! Handlers of the service API under `/prism/v1/service` (spec §2-§5):
//! each parses, delegates to [`crate::domain`], and wraps the envelope.

use axum::extract::State;
use onair_api::{
    BanTime, Capabilities, ChannelData, ChannelList, ChannelLive, ChatListRequest, ChatPage,
    ChatSend, ChatSent, CreateLive, EventList, Extension, IngestHealth, LiveData, LiveList,
    SessionList, StatusFilter, StreamKey, UserData,
};
use serde::Deserialize;

use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::respond::{empty, envelope, ApiResponse};
use crate::config::limits;
use crate::domain::{channels, chat, ingest, lives, moderation};
use crate::state::{AppState, Caller};

pub async fn user(State(s): State<AppState>, c: Caller) -> ApiResponse<UserData> {
    envelope(channels::user(&s, &c).await)
}

pub async fn channel_list(State(s): State<AppState>, c: Caller) -> ApiResponse<ChannelList> {
    envelope(channels::list(&s, &c).await)
}

pub async fn channel_get(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<ChannelData> {
    envelope(channels::get(&s, &c, &id).await)
}

/// `?status=ALL|RESERVED|ON_AIR|END` (`ONAIR` accepted).
#[derive(Debug, Deserialize)]
pub struct LivesQuery {
    #[serde(default)]
    status: Option<String>,
}

pub async fn live_list(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LivesQuery>,
) -> ApiResponse<LiveList> {
    let filter = match q
        .status
        .as_deref()
        .map(str::parse::<StatusFilter>)
        .transpose()
    {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            return Err(crate::error::ApiError::invalid(format!(
                "status: {e}; use ALL, RESERVED, ON_AIR or END"
            )))
        }
    };
    envelope(lives::list(&s, &c, &id, filter).await)
}

pub async fn live_get(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<LiveData> {
    envelope(lives::get(&s, &c, &id).await)
}

pub async fn live_create(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CreateLive>,
) -> ApiResponse<ChannelLive> {
    envelope(lives::create(&s, &c, &id, body).await)
}

pub async fn live_start(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<LiveData> {
    envelope(lives::start(&s, &c, &id).await)
}

pub async fn live_stop(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<LiveData> {
    envelope(lives::stop(&s, &c, &id).await)
}

pub async fn chat_list(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ChatListRequest>,
) -> ApiResponse<ChatPage> {
    envelope(chat::list(&s, &c, &id, body).await)
}

pub async fn chat_send(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ChatSend>,
) -> ApiResponse<ChatSent> {
    envelope(chat::send(&s, &c, &id, &body.message).await)
}

pub async fn chat_delete(
    State(s): State<AppState>,
    c: Caller,
    ApiPath((live, message)): ApiPath<(String, String)>,
) -> ApiResponse<()> {
    empty(chat::delete(&s, &c, &live, &message).await)
}

pub async fn ban(
    State(s): State<AppState>,
    c: Caller,
    ApiPath((live, user)): ApiPath<(String, String)>,
) -> ApiResponse<()> {
    empty(moderation::ban(&s, &c, &live, &user).await)
}

pub async fn unban(
    State(s): State<AppState>,
    c: Caller,
    ApiPath((live, user)): ApiPath<(String, String)>,
) -> ApiResponse<()> {
    empty(moderation::unban(&s, &c, &live, &user).await)
}

pub async fn timed_ban(
    State(s): State<AppState>,
    c: Caller,
    ApiPath((live, user)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<BanTime>,
) -> ApiResponse<()> {
    empty(moderation::timed_ban(&s, &c, &live, &user, body.ban_time).await)
}

pub async fn grant_mod(
    State(s): State<AppState>,
    c: Caller,
    ApiPath((live, user)): ApiPath<(String, String)>,
) -> ApiResponse<()> {
    empty(moderation::set_mod(&s, &c, &live, &user, true).await)
}

pub async fn remove_mod(
    State(s): State<AppState>,
    c: Caller,
    ApiPath((live, user)): ApiPath<(String, String)>,
) -> ApiResponse<()> {
    empty(moderation::set_mod(&s, &c, &live, &user, false).await)
}

pub async fn stream_key(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<StreamKey> {
    envelope(lives::stream_key(&s, &c, &id).await)
}

pub async fn regenerate_key(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<StreamKey> {
    envelope(lives::regenerate_key(&s, &c, &id).await)
}

/// `?page=&perPage=` (1-based; 20 per page unless asked).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    #[serde(default = "first_page")]
    page: u32,
    #[serde(default = "default_per_page")]
    per_page: u32,
}

fn first_page() -> u32 {
    1
}

fn default_per_page() -> u32 {
    20
}

pub async fn sessions(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResponse<SessionList> {
    envelope(lives::sessions(&s, &c, &id, q.page, q.per_page).await)
}

pub async fn events(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<EventList> {
    envelope(lives::events(&s, &c, &id).await)
}

/// `GET /live/{liveId}/ingest` (onair, INGEST).
pub async fn ingest(
    State(s): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResponse<IngestHealth> {
    envelope(ingest::health(&s, &c, &id).await)
}

/// `GET /capabilities` (onair): the optional APIs usable by this client,
/// and the extensions this service offers.
pub async fn capabilities(c: Caller) -> ApiResponse<Capabilities> {
    envelope(Ok(Capabilities {
        optional_apis: c.apis.to_vec(),
        chat_max_length: Some(*limits::CHAT.end() as u64),
        chat_multiline: false,
        extensions: vec![Extension::Ingest],
    }))
}
