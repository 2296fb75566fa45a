//! The published objects of spec §3 (essential) and §4 (optional APIs).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::lenient::{self, Id, Timestamp};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The logged-in user (spec §2, `GET /user` -> `data.user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct User {
    pub user_id: Id,
    /// Falls back to `userId` when the service sends none.
    pub user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_thumbnail: Option<String>,
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            user_id: Id,
            #[serde(default, deserialize_with = "lenient::opt_string")]
            user_name: Option<String>,
            #[serde(default, deserialize_with = "lenient::opt_string")]
            profile_thumbnail: Option<String>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(User {
            user_name: raw.user_name.unwrap_or_else(|| raw.user_id.to_string()),
            user_id: raw.user_id,
            profile_thumbnail: raw.profile_thumbnail,
        })
    }
}

/// `data` of `GET /user`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserData {
    pub user: User,
}

/// A channel (spec §3, "Channel").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Channel {
    pub channel_id: Id,
    pub channel_name: String,
    /// False: no live may start; turning false during a live force-ends it.
    #[serde(deserialize_with = "lenient::flag")]
    pub channel_enabled: bool,
    pub channel_link: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_description: Option<String>,
    /// Tags joined with `;`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_tags: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_thumbnail_url: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_follower_count: Option<u64>,
}

impl Channel {
    /// The tags, split at `;`, trimmed, empty ones dropped.
    pub fn tags(&self) -> Vec<&str> {
        self.channel_tags
            .as_deref()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// `data` of `GET /channel/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChannelList {
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub channels: Vec<Channel>,
}

/// `data` of `GET /channel/{channelId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChannelData {
    #[serde(default)]
    pub user_name: String,
    pub channel: Channel,
}

/// Status of a live (spec §3). Accepts `ONAIR` and `ON_AIR` (any case),
/// sends `ON_AIR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = LiveStatus))]
pub enum LiveStatus {
    #[cfg_attr(feature = "openapi", schema(rename = "RESERVED"))]
    Reserved,
    #[cfg_attr(feature = "openapi", schema(rename = "ON_AIR"))]
    OnAir,
    #[cfg_attr(feature = "openapi", schema(rename = "END"))]
    End,
}

impl LiveStatus {
    /// Every variant, in declaration order.
    pub const ALL: [LiveStatus; 3] = [LiveStatus::Reserved, LiveStatus::OnAir, LiveStatus::End];

    /// The canonical wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Reserved => "RESERVED",
            LiveStatus::OnAir => "ON_AIR",
            LiveStatus::End => "END",
        }
    }
}

impl fmt::Display for LiveStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown spelling of a status, scope or filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant(pub String);

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value {:?}", self.0)
    }
}

impl std::error::Error for UnknownVariant {}

/// Uppercases and drops `_`, `-` and spaces: `on-air`, `ONAIR`, `On_Air`
/// all become `ONAIR`.
fn squash(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl FromStr for LiveStatus {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match squash(s).as_str() {
            "RESERVED" | "READY" | "SCHEDULED" => Ok(LiveStatus::Reserved),
            "ONAIR" | "LIVE" => Ok(LiveStatus::OnAir),
            "END" | "ENDED" => Ok(LiveStatus::End),
            _ => Err(UnknownVariant(s.to_owned())),
        }
    }
}

/// Serde through `FromStr`/`as_str` for the string enums of the spec.
macro_rules! string_enum_serde {
    ($t:ty) => {
        impl ::serde::Serialize for $t {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $t {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use string_enum_serde;

string_enum_serde!(LiveStatus);

/// `status` query of `GET /channel/{channelId}/lives`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum StatusFilter {
    #[default]
    #[cfg_attr(feature = "openapi", schema(rename = "ALL"))]
    All,
    #[cfg_attr(feature = "openapi", schema(rename = "RESERVED"))]
    Reserved,
    #[cfg_attr(feature = "openapi", schema(rename = "ON_AIR"))]
    OnAir,
    #[cfg_attr(feature = "openapi", schema(rename = "END"))]
    End,
}

impl StatusFilter {
    /// Every variant, in declaration order.
    pub const ALL: [StatusFilter; 4] = [
        StatusFilter::All,
        StatusFilter::Reserved,
        StatusFilter::OnAir,
        StatusFilter::End,
    ];

    /// The canonical wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::All => "ALL",
            StatusFilter::Reserved => "RESERVED",
            StatusFilter::OnAir => "ON_AIR",
            StatusFilter::End => "END",
        }
    }

    /// The single status this filter keeps, or `None` for ALL.
    pub fn status(self) -> Option<LiveStatus> {
        match self {
            StatusFilter::All => None,
            StatusFilter::Reserved => Some(LiveStatus::Reserved),
            StatusFilter::OnAir => Some(LiveStatus::OnAir),
            StatusFilter::End => Some(LiveStatus::End),
        }
    }
}

impl FromStr for StatusFilter {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if squash(s) == "ALL" || s.trim().is_empty() {
            return Ok(StatusFilter::All);
        }
        Ok(match s.parse::<LiveStatus>()? {
            LiveStatus::Reserved => StatusFilter::Reserved,
            LiveStatus::OnAir => StatusFilter::OnAir,
            LiveStatus::End => StatusFilter::End,
        })
    }
}

string_enum_serde!(StatusFilter);

/// Who may see a live (spec §3). LIMITED means unlisted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Scope {
    #[default]
    #[cfg_attr(feature = "openapi", schema(rename = "PUBLIC"))]
    Public,
    #[cfg_attr(feature = "openapi", schema(rename = "LIMITED"))]
    Limited,
    #[cfg_attr(feature = "openapi", schema(rename = "PRIVATE"))]
    Private,
}

impl Scope {
    /// Every variant, in declaration order.
    pub const ALL: [Scope; 3] = [Scope::Public, Scope::Limited, Scope::Private];

    /// The canonical wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Public => "PUBLIC",
            Scope::Limited => "LIMITED",
            Scope::Private => "PRIVATE",
        }
    }
}

impl FromStr for Scope {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match squash(s).as_str() {
            "PUBLIC" => Ok(Scope::Public),
            "LIMITED" | "UNLISTED" => Ok(Scope::Limited),
            "PRIVATE" => Ok(Scope::Private),
            _ => Err(UnknownVariant(s.to_owned())),
        }
    }
}

string_enum_serde!(Scope);

/// Live counters (spec §3, `liveStat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LiveStat {
    /// Views since start.
    #[serde(default, deserialize_with = "lenient::count")]
    pub view_count: u64,
    /// Watching now.
    #[serde(default, deserialize_with = "lenient::count")]
    pub viewer_count: u64,
    #[serde(default, deserialize_with = "lenient::count")]
    pub like_count: u64,
    /// Chat messages since start.
    #[serde(default, deserialize_with = "lenient::count")]
    pub chat_count: u64,
}

/// A live (spec §3, "Live").
///
/// `rtmp_path` holds the stream key (its last path segment), so `Debug`
/// redacts it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Live {
    pub live_id: Id,
    pub title: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// The scheduled start, or the creation time.
    pub reserved_at: Timestamp,
    /// When it went on air.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<Timestamp>,
    /// Full ingest URL; the stream key is its last path segment.
    pub rtmp_path: String,
    pub status: LiveStatus,
    #[serde(default)]
    pub scope: Scope,
    pub live_link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_stat: Option<LiveStat>,
    /// onair's ingest extension: the live's signal (absent on services
    /// without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<crate::ingest::LiveStream>,
}

impl fmt::Debug for Live {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let server = self.rtmp_path.rsplit_once('/').map_or("", |(s, _)| s);
        f.debug_struct("Live")
            .field("live_id", &self.live_id)
            .field("title", &self.title)
            .field("reserved_at", &self.reserved_at)
            .field("start_at", &self.start_at)
            .field("rtmp_path", &format_args!("{server}/***"))
            .field("status", &self.status)
            .field("scope", &self.scope)
            .field("live_link", &self.live_link)
            .field("live_stat", &self.live_stat)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

/// `data` of `GET /channel/{channelId}/lives`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LiveList {
    pub channel_id: Id,
    #[serde(default)]
    pub lives: Vec<Live>,
}

/// `data` of `GET /live/{liveId}`, `/start` and `/stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LiveData {
    pub live: Live,
}

/// `data` of `POST /channel/{channelId}/live`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChannelLive {
    pub channel_id: Id,
    pub live: Live,
}

/// Body of `POST /channel/{channelId}/live`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateLive {
    pub title: String,
    /// The scheduled start. "Go live now" clients send now + ~20 s; a
    /// missing value means now (our choice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Missing means PUBLIC (our choice).
    #[serde(default)]
    pub scope: Scope,
    /// onair (spec §5): a publish on the key starts the RESERVED live.
    /// Missing means on; PRISM clients omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_start: Option<bool>,
    /// onair (spec §5): the live ends after `stopTimeout` seconds without a
    /// signal. Missing means on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_stop: Option<bool>,
    /// onair (spec §5): seconds without a signal before the live ends.
    /// Missing means the service's default (30 on the reference service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<u32>,
}

/// Body of `POST /live/{liveId}/chat` (LIVE_CHAT_LIST).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChatListRequest {
    /// At most 100; 0, absent or more than 100 means 100.
    #[serde(default, deserialize_with = "lenient::opt_count")]
    pub max_results: Option<u64>,
    /// Null: the latest messages. A token: only the messages after it.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub page_token: Option<String>,
}

impl ChatListRequest {
    /// Largest page the spec allows.
    pub const MAX: u64 = 100;

    /// `maxResults` as the spec reads it: 0, absent or above 100 is 100.
    pub fn effective_max(&self) -> u64 {
        match self.max_results {
            Some(n) if (1..=Self::MAX).contains(&n) => n,
            _ => Self::MAX,
        }
    }
}

/// A chat message (spec §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChatMessage {
    pub message_id: Id,
    pub message_at: Timestamp,
    /// The `userId` of moderation calls.
    pub author_id: Id,
    pub author_name: String,
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub author_profile_thumbnail: Option<String>,
    /// The text. Untrusted: render as text, never as HTML.
    #[serde(default, alias = "content", alias = "text")]
    pub message: String,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_live_owner: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_live_manager: bool,
}

/// `data` of `POST /live/{liveId}/chat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChatPage {
    pub live_id: Id,
    /// The same token again when nothing is new.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub next_page_token: Option<String>,
    /// `[]`, never absent, on the wire.
    #[serde(default)]
    pub messages: Vec<ChatMessage>,
}

/// Body of `PUT /live/{liveId}/chat` (LIVE_CHAT_SEND).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChatSend {
    pub message: String,
}

/// `data` of `PUT /live/{liveId}/chat` (our choice: the stored message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChatSent {
    pub chat_message: ChatMessage,
}

/// Body of `PUT /live/{liveId}/timedBan/{userId}` (USER_BAN_TEMPORARY).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BanTime {
    /// Seconds, > 0.
    #[serde(deserialize_with = "required_int")]
    pub ban_time: i64,
}

fn required_int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    lenient::opt_int(d)?.ok_or_else(|| de::Error::custom("banTime must be a number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn live_from_the_spec_table_and_odd_forms() {
        let live: Live = serde_json::from_value(json!({
            "liveId": 1001,
            "title": "Morning stream",
            "reservedAt": "2026-11-21T17:11:44+09:00",
            "rtmpPath": "rtmp://ingest.example.com/live/abcDEF123",
            "status": "ONAIR",
            "scope": "PUBLIC",
            "liveLink": "https://example.com/live/1001",
            "liveStat": {"viewCount": "12", "viewerCount": 3, "likeCount": null},
            "somethingNew": {"ignored": true}
        }))
        .unwrap();
        assert_eq!(live.live_id, "1001");
        assert_eq!(live.status, LiveStatus::OnAir);
        assert_eq!(live.live_stat.unwrap().view_count, 12);
        assert_eq!(live.live_stat.unwrap().like_count, 0);
        assert_eq!(live.description, None);
        let out = serde_json::to_value(&live).unwrap();
        assert_eq!(out["liveId"], "1001");
        assert_eq!(out["status"], "ON_AIR");
        assert_eq!(out["reservedAt"], "2026-11-21T17:11:44+09:00");
        assert!(out.get("startAt").is_none());
        assert!(!format!("{live:?}").contains("abcDEF123"));
    }

    #[test]
    fn statuses_scopes_and_filters() {
        for (s, want) in [
            ("ON_AIR", LiveStatus::OnAir),
            ("ONAIR", LiveStatus::OnAir),
            ("on_air", LiveStatus::OnAir),
            ("RESERVED", LiveStatus::Reserved),
            ("END", LiveStatus::End),
        ] {
            assert_eq!(s.parse::<LiveStatus>().unwrap(), want, "{s}");
        }
        assert!("PAUSED".parse::<LiveStatus>().is_err());
        assert_eq!(
            serde_json::to_string(&LiveStatus::OnAir).unwrap(),
            "\"ON_AIR\""
        );
        assert_eq!("ALL".parse::<StatusFilter>().unwrap(), StatusFilter::All);
        assert_eq!(
            "ONAIR".parse::<StatusFilter>().unwrap(),
            StatusFilter::OnAir
        );
        assert_eq!("limited".parse::<Scope>().unwrap(), Scope::Limited);
        assert!(serde_json::from_str::<Scope>("\"SECRET\"").is_err());
    }

    #[test]
    fn user_name_falls_back_to_user_id() {
        let u: User = serde_json::from_value(json!({"userId": 77})).unwrap();
        assert_eq!(u.user_name, "77");
        let u: User =
            serde_json::from_value(json!({"userId": "a", "userName": "", "profileThumbnail": ""}))
                .unwrap();
        assert_eq!(u.user_name, "a");
        assert_eq!(u.profile_thumbnail, None);
    }

    #[test]
    fn channel_with_odd_flags_and_counts() {
        let c: Channel = serde_json::from_value(json!({
            "channelId": 5, "channelName": "Cooking", "channelEnabled": "Y",
            "channelLink": "https://example.com/c/5", "channelTags": "food; live;;",
            "channelFollowerCount": "1200"
        }))
        .unwrap();
        assert!(c.channel_enabled);
        assert_eq!(c.tags(), vec!["food", "live"]);
        assert_eq!(c.channel_follower_count, Some(1200));
        let out = serde_json::to_value(&c).unwrap();
        assert_eq!(out["channelEnabled"], true);
        assert_eq!(out["channelId"], "5");
        assert!(serde_json::from_value::<Channel>(json!({"channelId": "x"})).is_err());
    }

    #[test]
    fn chat_page_and_messages() {
        let page: ChatPage = serde_json::from_value(json!({
            "liveId": "L1", "nextPageToken": "abc",
            "messages": [{
                "messageId": 9, "messageAt": "2026-11-21T17:11:44+09:00", "authorId": 3,
                "authorName": "<b>bob</b>", "message": "hi", "isLiveOwner": "N", "isLiveManager": 1
            }]
        }))
        .unwrap();
        assert_eq!(page.messages[0].author_id, "3");
        assert!(page.messages[0].is_live_manager);
        assert!(!page.messages[0].is_live_owner);
        let empty: ChatPage =
            serde_json::from_value(json!({"liveId": "L1", "nextPageToken": null})).unwrap();
        assert!(empty.messages.is_empty());
        let out = serde_json::to_value(&empty).unwrap();
        assert_eq!(out["messages"], json!([]));
    }

    #[test]
    fn chat_list_request_max() {
        let r: ChatListRequest =
            serde_json::from_value(json!({"maxResults": 0, "pageToken": null})).unwrap();
        assert_eq!(r.effective_max(), 100);
        let r: ChatListRequest = serde_json::from_value(json!({"maxResults": "250"})).unwrap();
        assert_eq!(r.effective_max(), 100);
        let r: ChatListRequest =
            serde_json::from_value(json!({"maxResults": 20, "pageToken": ""})).unwrap();
        assert_eq!((r.effective_max(), r.page_token), (20, None));
    }

    #[test]
    fn create_live_and_ban_time() {
        let c: CreateLive = serde_json::from_value(
            json!({"title": "t", "reservedAt": "2026-11-21T17:11:44+09:00", "scope": "PRIVATE"}),
        )
        .unwrap();
        assert_eq!(c.scope, Scope::Private);
        let c: CreateLive = serde_json::from_value(json!({"title": "t"})).unwrap();
        assert_eq!((c.scope, c.reserved_at), (Scope::Public, None));
        let b: BanTime = serde_json::from_value(json!({"banTime": "600"})).unwrap();
        assert_eq!(b.ban_time, 600);
        assert!(serde_json::from_value::<BanTime>(json!({"banTime": null})).is_err());
        assert!(serde_json::from_value::<BanTime>(json!({"banTime": "ten"})).is_err());
    }
}
