//! onair's additions (spec §5 and `/capabilities`): stream keys, sessions
//! and their events, and the optional APIs a client has switched on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::lenient::{self, Id, Timestamp};
use crate::model::{string_enum_serde, UnknownVariant};
use crate::secret::Secret;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `data` of `GET /live/{liveId}/streamkey` and `PUT .../regenerate`.
/// The endpoint is `rtmpUrl + "/" + streamKey` (the live's `rtmpPath`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StreamKey {
    pub rtmp_url: String,
    /// As sensitive as a password.
    pub stream_key: Secret,
}

/// Whether a session is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum SessionStatus {
    #[cfg_attr(feature = "openapi", schema(rename = "LIVE"))]
    Live,
    #[cfg_attr(feature = "openapi", schema(rename = "ENDED"))]
    Ended,
}

impl SessionStatus {
    /// Every variant, in declaration order.
    pub const ALL: [SessionStatus; 2] = [SessionStatus::Live, SessionStatus::Ended];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Live => "LIVE",
            SessionStatus::Ended => "ENDED",
        }
    }
}

impl FromStr for SessionStatus {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LIVE" | "ON_AIR" | "ONAIR" => Ok(SessionStatus::Live),
            "ENDED" | "END" => Ok(SessionStatus::Ended),
            _ => Err(UnknownVariant(s.to_owned())),
        }
    }
}

string_enum_serde!(SessionStatus);

/// How a session (or a live) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum EndReason {
    /// The streamer called `/stop`.
    #[cfg_attr(feature = "openapi", schema(rename = "STOPPED"))]
    Stopped,
    /// Another live of the same channel started.
    #[cfg_attr(feature = "openapi", schema(rename = "REPLACED"))]
    Replaced,
    /// The service's operators ended it.
    #[cfg_attr(feature = "openapi", schema(rename = "ENDED_BY_SERVICE"))]
    EndedByService,
    /// The channel was disabled.
    #[cfg_attr(feature = "openapi", schema(rename = "CHANNEL_DISABLED"))]
    ChannelDisabled,
    /// The streamer was banned from the service.
    #[cfg_attr(feature = "openapi", schema(rename = "STREAMER_BANNED"))]
    StreamerBanned,
    /// The publisher's signal stayed away longer than the live's
    /// `stopTimeout` (spec §5, Sigma's auto-stop).
    #[cfg_attr(feature = "openapi", schema(rename = "SIGNAL_LOST"))]
    SignalLost,
}

impl EndReason {
    /// Every variant, in declaration order.
    pub const ALL: [EndReason; 6] = [
        EndReason::Stopped,
        EndReason::Replaced,
        EndReason::EndedByService,
        EndReason::ChannelDisabled,
        EndReason::StreamerBanned,
        EndReason::SignalLost,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Stopped => "STOPPED",
            EndReason::Replaced => "REPLACED",
            EndReason::EndedByService => "ENDED_BY_SERVICE",
            EndReason::ChannelDisabled => "CHANNEL_DISABLED",
            EndReason::StreamerBanned => "STREAMER_BANNED",
            EndReason::SignalLost => "SIGNAL_LOST",
        }
    }

    /// True when the streamer did not end it themselves.
    pub fn is_forced(self) -> bool {
        self != EndReason::Stopped
    }
}

impl FromStr for EndReason {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "STOPPED" | "STOP" => Ok(EndReason::Stopped),
            "REPLACED" => Ok(EndReason::Replaced),
            "ENDED_BY_SERVICE" | "ENDED" => Ok(EndReason::EndedByService),
            "CHANNEL_DISABLED" => Ok(EndReason::ChannelDisabled),
            "STREAMER_BANNED" => Ok(EndReason::StreamerBanned),
            "SIGNAL_LOST" => Ok(EndReason::SignalLost),
            _ => Err(UnknownVariant(s.to_owned())),
        }
    }
}

string_enum_serde!(EndReason);

/// One on-air period of a live: opened by `/start`, closed by whatever
/// ended it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Session {
    pub session_id: Id,
    pub live_id: Id,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// Seconds on air so far, or in all once finished.
    #[serde(default, deserialize_with = "lenient::count")]
    pub duration_sec: u64,
    pub status: SessionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    /// The latest publisher of the session (Sigma's `clientInfo`); absent
    /// when nothing has published in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<ClientInfo>,
}

/// Who published a stream (spec §5, after Sigma's `clientInfo`). Never
/// holds the stream key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClientInfo {
    /// `on_publish`.
    pub action: String,
    pub ip: String,
    #[serde(default, deserialize_with = "lenient::count")]
    pub port: u64,
    /// The RTMP application (`live`).
    pub app: String,
    /// The URL the publisher connected to, as it sent it (no key in it).
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub tc_url: Option<String>,
    /// The encoder, from `onMetaData` (or the connect's `flashVer`).
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub encoder: Option<String>,
    /// This publish's id (not the key).
    pub stream_id: Id,
}

/// `data` of `GET /live/{liveId}/sessions?page=&perPage=`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SessionList {
    pub live_id: Id,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
    /// Sessions in all pages.
    pub total: u64,
    #[serde(default)]
    pub sessions: Vec<Session>,
}

/// What happened in a session (spec §5, after Sigma's timeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum EventKind {
    #[cfg_attr(feature = "openapi", schema(rename = "START"))]
    Start,
    #[cfg_attr(feature = "openapi", schema(rename = "STOP"))]
    Stop,
    #[cfg_attr(feature = "openapi", schema(rename = "REPLACED"))]
    Replaced,
    #[cfg_attr(feature = "openapi", schema(rename = "ENDED_BY_SERVICE"))]
    EndedByService,
    #[cfg_attr(feature = "openapi", schema(rename = "CHANNEL_DISABLED"))]
    ChannelDisabled,
    #[cfg_attr(feature = "openapi", schema(rename = "STREAMER_BANNED"))]
    StreamerBanned,
    /// A publisher was admitted with the live's key (Sigma's `initialize`).
    #[cfg_attr(feature = "openapi", schema(rename = "INITIALIZE"))]
    Initialize,
    /// 10 s of steady input since the publish.
    #[cfg_attr(feature = "openapi", schema(rename = "STABLE"))]
    Stable,
    /// The publisher went away.
    #[cfg_attr(feature = "openapi", schema(rename = "SIGNAL_INTERRUPTED"))]
    SignalInterrupted,
    /// A publisher came back within `stopTimeout`.
    #[cfg_attr(feature = "openapi", schema(rename = "SIGNAL_RESTORED"))]
    SignalRestored,
    /// No publisher came back within `stopTimeout`: the live ended.
    #[cfg_attr(feature = "openapi", schema(rename = "SIGNAL_LOST"))]
    SignalLost,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 11] = [
        EventKind::Start,
        EventKind::Stop,
        EventKind::Replaced,
        EventKind::EndedByService,
        EventKind::ChannelDisabled,
        EventKind::StreamerBanned,
        EventKind::Initialize,
        EventKind::Stable,
        EventKind::SignalInterrupted,
        EventKind::SignalRestored,
        EventKind::SignalLost,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Start => "START",
            EventKind::Stop => "STOP",
            EventKind::Replaced => "REPLACED",
            EventKind::EndedByService => "ENDED_BY_SERVICE",
            EventKind::ChannelDisabled => "CHANNEL_DISABLED",
            EventKind::StreamerBanned => "STREAMER_BANNED",
            EventKind::Initialize => "INITIALIZE",
            EventKind::Stable => "STABLE",
            EventKind::SignalInterrupted => "SIGNAL_INTERRUPTED",
            EventKind::SignalRestored => "SIGNAL_RESTORED",
            EventKind::SignalLost => "SIGNAL_LOST",
        }
    }
}

impl From<EndReason> for EventKind {
    fn from(r: EndReason) -> Self {
        match r {
            EndReason::Stopped => EventKind::Stop,
            EndReason::Replaced => EventKind::Replaced,
            EndReason::EndedByService => EventKind::EndedByService,
            EndReason::ChannelDisabled => EventKind::ChannelDisabled,
            EndReason::StreamerBanned => EventKind::StreamerBanned,
            EndReason::SignalLost => EventKind::SignalLost,
        }
    }
}

impl FromStr for EventKind {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Sigma writes `signal interrupted`: spaces stand for underscores.
        let up = s.trim().to_ascii_uppercase().replace(' ', "_");
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == up)
            .ok_or_else(|| UnknownVariant(s.to_owned()))
    }
}

string_enum_serde!(EventKind);

/// An entry of a session's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SessionEvent {
    pub event_id: Id,
    pub session_id: Id,
    pub at: Timestamp,
    pub kind: EventKind,
    /// Free text for humans (who did it, why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `data` of `GET /session/{sessionId}/events`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EventList {
    pub session_id: Id,
    #[serde(default)]
    pub events: Vec<SessionEvent>,
}

/// An optional API of spec §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum OptionalApi {
    #[cfg_attr(feature = "openapi", schema(rename = "LIVE_CHAT_LIST"))]
    LiveChatList,
    #[cfg_attr(feature = "openapi", schema(rename = "LIVE_CHAT_SEND"))]
    LiveChatSend,
    #[cfg_attr(feature = "openapi", schema(rename = "LIVE_CHAT_DELETE"))]
    LiveChatDelete,
    #[cfg_attr(feature = "openapi", schema(rename = "USER_BAN"))]
    UserBan,
    #[cfg_attr(feature = "openapi", schema(rename = "USER_BAN_TEMPORARY"))]
    UserBanTemporary,
    #[cfg_attr(feature = "openapi", schema(rename = "USER_MOD"))]
    UserMod,
}

impl OptionalApi {
    /// Every optional API, in the spec's order.
    pub const ALL: [OptionalApi; 6] = [
        OptionalApi::LiveChatList,
        OptionalApi::LiveChatSend,
        OptionalApi::LiveChatDelete,
        OptionalApi::UserBan,
        OptionalApi::UserBanTemporary,
        OptionalApi::UserMod,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionalApi::LiveChatList => "LIVE_CHAT_LIST",
            OptionalApi::LiveChatSend => "LIVE_CHAT_SEND",
            OptionalApi::LiveChatDelete => "LIVE_CHAT_DELETE",
            OptionalApi::UserBan => "USER_BAN",
            OptionalApi::UserBanTemporary => "USER_BAN_TEMPORARY",
            OptionalApi::UserMod => "USER_MOD",
        }
    }

    /// What this API needs switched on to be usable (spec §4: send, delete,
    /// ban and mod need LIVE_CHAT_LIST, the source of the `authorId`s).
    pub fn requires(self) -> Option<OptionalApi> {
        match self {
            OptionalApi::LiveChatList => None,
            _ => Some(OptionalApi::LiveChatList),
        }
    }

    /// The APIs of `on` that are usable: each with what it requires.
    pub fn usable(on: &[OptionalApi]) -> Vec<OptionalApi> {
        let mut out: Vec<OptionalApi> = on
            .iter()
            .copied()
            .filter(|a| a.requires().is_none_or(|r| on.contains(&r)))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl fmt::Display for OptionalApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OptionalApi {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase();
        OptionalApi::ALL
            .into_iter()
            .find(|a| a.as_str() == up)
            .ok_or_else(|| UnknownVariant(s.to_owned()))
    }
}

string_enum_serde!(OptionalApi);

/// `data` of `GET /capabilities` (onair): the optional APIs switched on for
/// the calling client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Capabilities {
    /// Unknown names from other services are skipped, not an error.
    #[serde(deserialize_with = "known")]
    pub optional_apis: Vec<OptionalApi>,
    /// Longest chat message the service accepts, in characters.
    #[serde(
        default,
        deserialize_with = "lenient::opt_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub chat_max_length: Option<u64>,
    /// Whether a chat message may hold line breaks.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub chat_multiline: bool,
    /// onair extensions the service offers (`INGEST`); unknown names are
    /// skipped.
    #[serde(default, deserialize_with = "known")]
    pub extensions: Vec<crate::ingest::Extension>,
}

/// A list of names, keeping those this crate knows (other services send
/// names of their own: skipped, not an error).
fn known<'de, D: serde::Deserializer<'de>, T: FromStr>(d: D) -> Result<Vec<T>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    Ok(names.iter().filter_map(|n| n.parse().ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optional_api_dependencies() {
        use OptionalApi::*;
        assert_eq!(OptionalApi::usable(&[UserBan, LiveChatSend]), vec![]);
        assert_eq!(
            OptionalApi::usable(&[UserBan, LiveChatList]),
            vec![LiveChatList, UserBan]
        );
        let c: Capabilities = serde_json::from_value(
            json!({"optionalApis": ["USER_MOD", "FUTURE_API", "live_chat_list"]}),
        )
        .unwrap();
        assert_eq!(c.optional_apis, vec![UserMod, LiveChatList]);
    }

    #[test]
    fn stream_key_debug_redacts() {
        let k: StreamKey =
            serde_json::from_value(json!({"rtmpUrl": "rtmp://h/live", "streamKey": "SeCrEt"}))
                .unwrap();
        assert!(!format!("{k:?}").contains("SeCrEt"));
        assert_eq!(serde_json::to_value(&k).unwrap()["streamKey"], "SeCrEt");
    }

    #[test]
    fn sessions_and_events() {
        let s: Session = serde_json::from_value(json!({
            "sessionId": 1, "liveId": 2, "startedAt": "2026-11-21T17:11:44+09:00",
            "durationSec": "30", "status": "ENDED", "endReason": "ENDED_BY_SERVICE"
        }))
        .unwrap();
        assert!(s.end_reason.unwrap().is_forced());
        let e: SessionEvent = serde_json::from_value(json!({
            "eventId": "e", "sessionId": "1", "at": "2026-11-21T17:11:44Z", "kind": "start"
        }))
        .unwrap();
        assert_eq!(e.kind, EventKind::Start);
    }
}
