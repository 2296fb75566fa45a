//! What crosses IPC, in camelCase, with TypeScript types generated from
//! these definitions (`ui/src/lib/ipc-types.ts`, with the command and
//! event tables: see [`crate::typescript`]). Enums cross as string unions.
//! Nothing here carries a secret: the stream key stays in Rust (the
//! clipboard is written from Rust).
//!
//! The views of the service's data (a live, a chat message) are built
//! here from onair-api's types; the desk's own types that cross unchanged
//! (settings, a moderation action, a chart sample) are the desk's.

use onair_api::{
    Channel, ChatMessage, ClientInfo, EndReason, EventKind, Extension, IngestHealth, Live,
    LiveStatus, LiveStream, OptionalApi, Scope, Session, SessionEvent, SessionStatus, Signal,
    Timestamp, User, Verdict,
};
use onair_client::{ChatEvent, LiveEvent, Profile, StreamTarget};
use onair_desk::{
    AppState, Field, ModAction, ModRecord, NewLive, ObsReport, ObsStatus, Sample, DEMO_PROFILE,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub id: String,
    pub name: String,
    pub api_domain: String,
    /// The built-in demo service.
    pub demo: bool,
}

impl From<&Profile> for ProfileView {
    fn from(p: &Profile) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            api_domain: p.api_domain.clone(),
            demo: p.id == DEMO_PROFILE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub user_id: String,
    pub user_name: String,
    /// The key of the avatar under the app's `picture:` scheme.
    pub picture: Option<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            user_id: u.user_id.to_string(),
            user_name: u.user_name.clone(),
            picture: picture(u.profile_thumbnail.as_deref()),
        }
    }
}

/// A logged-in session as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub profile: ProfileView,
    pub user: UserView,
    /// The optional APIs (spec §4) in use.
    #[ts(type = "OptionalApi[]")]
    pub optional_apis: Vec<OptionalApi>,
    /// The onair extensions the service offers (`INGEST`: the ingest card).
    #[ts(type = "Extension[]")]
    pub extensions: Vec<Extension>,
}

impl From<&onair_desk::Session> for SessionView {
    fn from(s: &onair_desk::Session) -> Self {
        Self {
            profile: (&s.profile).into(),
            user: (&s.user).into(),
            optional_apis: s.optional_apis.clone(),
            extensions: s.extensions.clone(),
        }
    }
}

/// The outcome of a browser login (the `loginFinished` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LoginFinished {
    Done { session: SessionView },
    Failed { error: IpcError },
}

impl From<onair_desk::Result<onair_desk::Session>> for LoginFinished {
    fn from(outcome: onair_desk::Result<onair_desk::Session>) -> Self {
        match outcome {
            Ok(session) => LoginFinished::Done {
                session: (&session).into(),
            },
            Err(e) => LoginFinished::Failed { error: e.into() },
        }
    }
}

/// Everything the UI needs at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub profiles: Vec<ProfileView>,
    /// The profile in use (logged in or not).
    pub active: Option<ProfileView>,
    pub session: Option<SessionView>,
    /// Waiting for the browser.
    pub login_pending: bool,
    /// A live to open at start (`--live`).
    pub open_live: Option<String>,
    /// `--measure-ui`: the page measures its frames and the chat it
    /// received and reports them (`ui_stats`) for the benchmarks.
    pub measure_ui: bool,
    /// This build carries the demo service (feature `demo`).
    pub has_demo: bool,
}

impl AppView {
    /// The desk's state with the app's start options.
    pub fn new(state: &AppState, options: &crate::Options) -> Self {
        Self {
            profiles: state.profiles.iter().map(ProfileView::from).collect(),
            active: state.active.as_ref().map(ProfileView::from),
            session: state.session.as_ref().map(SessionView::from),
            login_pending: state.login_pending,
            open_live: options.open_live.clone(),
            measure_ui: options.measure_ui,
            has_demo: onair_desk::session::HAS_DEMO,
        }
    }
}

/// What the page measured over one report's window (`--measure-ui`): its
/// frames (from requestAnimationFrame) and the chat messages it took in.
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UiStats {
    /// Frames in the window.
    pub frames: u32,
    /// The longest frame, and the 95th percentile, in milliseconds.
    pub longest_ms: f64,
    pub p95_ms: f64,
    /// Chat messages the pane took in since it opened (each once).
    pub received: u32,
    /// Of those, dropped from the pane's buffer in the batch that brought
    /// them (never on screen).
    pub unshown: u32,
    /// The largest delay in the window between a message's time and its
    /// arrival in the pane, in milliseconds.
    pub lag_ms: f64,
    /// The longest script time of one chat batch in the window (taking it
    /// in and the view's update after it), in milliseconds.
    pub batch_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChannelView {
    pub channel_id: String,
    pub channel_name: String,
    pub enabled: bool,
    pub link: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// The key of the thumbnail under the app's `picture:` scheme.
    pub picture: Option<String>,
    #[ts(type = "number | null")]
    pub follower_count: Option<u64>,
}

impl From<&Channel> for ChannelView {
    fn from(c: &Channel) -> Self {
        Self {
            channel_id: c.channel_id.to_string(),
            channel_name: c.channel_name.clone(),
            enabled: c.channel_enabled,
            link: c.channel_link.clone(),
            description: c.channel_description.clone(),
            tags: c.tags().into_iter().map(str::to_owned).collect(),
            picture: picture(c.channel_thumbnail_url.as_deref()),
            follower_count: c.channel_follower_count,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatView {
    #[ts(type = "number")]
    pub views: u64,
    #[ts(type = "number")]
    pub viewers: u64,
    #[ts(type = "number")]
    pub likes: u64,
    #[ts(type = "number")]
    pub chats: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LiveView {
    pub live_id: String,
    pub title: String,
    pub description: Option<String>,
    #[ts(type = "LiveStatus")]
    pub status: LiveStatus,
    #[ts(type = "Scope")]
    pub scope: Scope,
    /// RFC 3339.
    pub reserved_at: String,
    pub start_at: Option<String>,
    pub live_link: String,
    pub stat: Option<StatView>,
    /// The ingest server (`rtmpPath` without its key), or null when the
    /// path is not a usable ingest URL.
    pub server: Option<String>,
    /// The stream's state, where the service tells (its `INGEST`
    /// extension).
    pub stream: Option<StreamView>,
}

/// A live's stream as the service sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StreamView {
    #[ts(type = "Signal")]
    pub signal: Signal,
    pub auto_start: bool,
    pub auto_stop: bool,
    /// Seconds without a signal before an on-air live ends.
    #[ts(type = "number")]
    pub stop_timeout: u64,
    /// RFC 3339, while the signal is interrupted: since when.
    pub interrupted_at: Option<String>,
}

impl From<&LiveStream> for StreamView {
    fn from(s: &LiveStream) -> Self {
        Self {
            signal: s.signal,
            auto_start: s.auto_start,
            auto_stop: s.auto_stop,
            stop_timeout: s.stop_timeout,
            interrupted_at: s.interrupted_at.as_ref().map(ToString::to_string),
        }
    }
}

/// What the service's ingest receives (its `INGEST` extension).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IngestView {
    pub live_id: String,
    #[ts(type = "Signal")]
    pub signal: Signal,
    #[ts(type = "Verdict")]
    pub verdict: Verdict,
    /// Why the verdict is not `excellent`, in the service's words.
    pub reasons: Vec<String>,
    pub codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub frame_rate: Option<f64>,
    /// Seconds between key frames.
    pub keyframe_interval: Option<f64>,
    /// kbit/s over the last 1 s and 10 s.
    pub video_kbps: Option<f64>,
    pub video_10s_kbps: Option<f64>,
    pub audio_kbps: Option<f64>,
    pub audio_codec: Option<String>,
    pub sample_rate: Option<u32>,
    #[ts(type = "number")]
    pub timestamp_gaps: u64,
    /// Milliseconds since the last frame.
    #[ts(type = "number | null")]
    pub since_last_frame_ms: Option<u64>,
    /// RFC 3339: when this publisher was admitted.
    pub publishing_since: Option<String>,
    pub publisher: Option<PublisherView>,
    /// The service offers a watch stream of this live: the dashboard's
    /// preview plays it through the app's `preview:` scheme.
    pub playable: bool,
}

impl From<&IngestHealth> for IngestView {
    fn from(h: &IngestHealth) -> Self {
        let (v, a) = (h.video.as_ref(), h.audio.as_ref());
        Self {
            live_id: h.live_id.to_string(),
            signal: h.signal,
            verdict: h.verdict,
            reasons: h.reasons.clone(),
            codec: v.map(|v| v.codec.clone()),
            width: v.and_then(|v| v.width),
            height: v.and_then(|v| v.height),
            frame_rate: v.and_then(|v| v.frame_rate),
            keyframe_interval: v.and_then(|v| v.keyframe_interval),
            video_kbps: v.map(|v| v.bitrate_kbps),
            video_10s_kbps: v.map(|v| v.bitrate_10s_kbps),
            audio_kbps: a.map(|a| a.bitrate_kbps),
            audio_codec: a.map(|a| a.codec.clone()),
            sample_rate: a.and_then(|a| a.sample_rate),
            timestamp_gaps: h.timestamp_gaps,
            since_last_frame_ms: h.since_last_frame_ms,
            publishing_since: h.publishing_since.as_ref().map(ToString::to_string),
            publisher: h.publisher.as_ref().map(PublisherView::from),
            playable: h.playback_url.is_some(),
        }
    }
}

/// Who publishes a stream (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PublisherView {
    /// `ip:port`.
    pub address: String,
    /// The encoder, as it names itself (OBS, ffmpeg's Lavf, ...).
    pub encoder: Option<String>,
}

impl From<&ClientInfo> for PublisherView {
    fn from(c: &ClientInfo) -> Self {
        Self {
            address: format!("{}:{}", c.ip, c.port),
            encoder: c.encoder.clone(),
        }
    }
}

impl From<&Live> for LiveView {
    fn from(l: &Live) -> Self {
        Self {
            live_id: l.live_id.to_string(),
            title: l.title.clone(),
            description: l.description.clone(),
            status: l.status,
            scope: l.scope,
            reserved_at: l.reserved_at.to_string(),
            start_at: l.start_at.as_ref().map(ToString::to_string),
            live_link: l.live_link.clone(),
            stat: l.live_stat.as_ref().map(|s| StatView {
                views: s.view_count,
                viewers: s.viewer_count,
                likes: s.like_count,
                chats: s.chat_count,
            }),
            server: StreamTarget::from_rtmp_path(&l.rtmp_path)
                .ok()
                .map(|t| t.server),
            stream: l.stream.as_ref().map(StreamView::from),
        }
    }
}

/// The create form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateLiveInput {
    pub title: String,
    pub description: Option<String>,
    #[ts(type = "Scope")]
    pub scope: Scope,
    /// RFC 3339; null: "go live now" (now + 20 s, spec §3).
    pub reserved_at: Option<String>,
}

impl TryFrom<CreateLiveInput> for NewLive {
    type Error = IpcError;

    fn try_from(input: CreateLiveInput) -> Result<Self, IpcError> {
        let reserved_at = match input.reserved_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(Timestamp::parse(text).ok_or_else(|| IpcError {
                field: Some(Field::ReservedAt),
                ..IpcError::new(ErrorCode::Invalid, "reservedAt: not a date and time")
            })?),
        };
        Ok(NewLive {
            title: input.title,
            description: input.description,
            scope: input.scope,
            reserved_at,
        })
    }
}

/// What the live watcher says, for the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LiveEventView {
    /// `sample`: the poll's counters for the chart, while on air.
    Snapshot {
        live: LiveView,
        sample: Option<Sample>,
    },
    Updated {
        live: LiveView,
        sample: Option<Sample>,
    },
    /// The service ended the live; `reason` is spec §5's end reason.
    #[serde(rename_all = "camelCase")]
    ForcedEnd {
        live: LiveView,
        #[ts(type = "EndReason | null")]
        reason: Option<EndReason>,
        at: String,
    },
    #[serde(rename_all = "camelCase")]
    Offline {
        message: String,
        retry_in_ms: u32,
    },
    Online,
    LoginRequired,
    Gone {
        message: String,
    },
}

impl LiveEventView {
    /// `None` for what the dashboard does not show on its own
    /// (`StatusChanged` arrives with the `Updated` after it).
    pub fn from_event(e: &LiveEvent, sample: Option<Sample>) -> Option<Self> {
        Some(match e {
            LiveEvent::Snapshot(l) => Self::Snapshot {
                live: l.into(),
                sample,
            },
            LiveEvent::Updated(l) => Self::Updated {
                live: l.into(),
                sample,
            },
            LiveEvent::StatusChanged { .. } => return None,
            LiveEvent::ForcedEnd { live, reason } => Self::ForcedEnd {
                live: live.into(),
                reason: *reason,
                at: Timestamp::now().to_string(),
            },
            LiveEvent::Offline { error, retry_in } => Self::Offline {
                message: error.to_string(),
                retry_in_ms: millis(*retry_in),
            },
            LiveEvent::Online => Self::Online,
            LiveEvent::LoginRequired => Self::LoginRequired,
            LiveEvent::Gone(e) => Self::Gone {
                message: e.to_string(),
            },
        })
    }
}

/// A chat message (spec §4). Every string is untrusted: the UI renders it
/// as text, never as HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessageView {
    pub id: String,
    /// RFC 3339.
    pub at: String,
    /// The `userId` of moderation calls.
    pub author_id: String,
    pub author_name: String,
    pub thumbnail: Option<String>,
    pub text: String,
    pub owner: bool,
    /// A chat admin of the live.
    pub manager: bool,
}

impl From<&ChatMessage> for ChatMessageView {
    fn from(m: &ChatMessage) -> Self {
        Self {
            id: m.message_id.as_str().to_owned(),
            at: m.message_at.to_string(),
            author_id: m.author_id.as_str().to_owned(),
            author_name: m.author_name.clone(),
            thumbnail: m.author_profile_thumbnail.clone(),
            text: m.message.clone(),
            owner: m.is_live_owner,
            manager: m.is_live_manager,
        }
    }
}

/// What the chat follower says, for the chat pane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ChatEventView {
    /// New messages, in the service's order, each once.
    #[serde(rename_all = "camelCase")]
    Messages {
        live_id: String,
        messages: Vec<ChatMessageView>,
    },
    #[serde(rename_all = "camelCase")]
    Offline {
        message: String,
        retry_in_ms: u32,
    },
    Online,
    LoginRequired,
    /// The chat cannot be followed (not offered, live gone, not allowed).
    Stopped {
        error: IpcError,
    },
}

/// A watcher's wait as the UI counts it down (milliseconds, saturating).
fn millis(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

impl ChatEventView {
    pub fn from_event(live_id: &str, e: ChatEvent) -> Self {
        match e {
            ChatEvent::Messages(m) => Self::Messages {
                live_id: live_id.to_owned(),
                messages: m.iter().map(ChatMessageView::from).collect(),
            },
            ChatEvent::Offline { error, retry_in } => Self::Offline {
                message: error.to_string(),
                retry_in_ms: millis(retry_in),
            },
            ChatEvent::Online => Self::Online,
            ChatEvent::LoginRequired => Self::LoginRequired,
            ChatEvent::Stopped(e) => Self::Stopped { error: e.into() },
        }
    }
}

/// One moderation call made from this app (the user card's history,
/// the chart's markers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModRecordView {
    /// Unique in this run (the UI merges the log and the events by it).
    #[ts(type = "number")]
    pub id: u64,
    pub live_id: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// Who did it (the logged-in user's name).
    pub by: String,
    pub user_id: String,
    pub action: ModAction,
    /// The service's refusal, when it refused.
    pub error: Option<IpcError>,
}

impl From<&ModRecord> for ModRecordView {
    fn from(r: &ModRecord) -> Self {
        Self {
            id: r.id,
            live_id: r.live_id.clone(),
            at_ms: r.at_ms,
            by: r.by.clone(),
            user_id: r.user_id.clone(),
            action: r.action.clone(),
            error: r.error.as_ref().map(IpcError::from),
        }
    }
}

/// OBS as the app sees it (the desk's status, its problem as an IPC
/// error).
pub type ObsView = ObsReport<IpcError>;

/// The desk's OBS status for the UI.
pub fn obs_view_of(status: &ObsStatus) -> ObsView {
    status.map_problem(|e| IpcError::from(e))
}

/// One on-air period of a live (spec §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StreamSessionView {
    pub session_id: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    #[ts(type = "number")]
    pub duration_sec: u64,
    #[ts(type = "SessionStatus")]
    pub status: SessionStatus,
    #[ts(type = "EndReason | null")]
    pub end_reason: Option<EndReason>,
    /// Who published, where the service tells.
    pub publisher: Option<PublisherView>,
}

impl From<&Session> for StreamSessionView {
    fn from(s: &Session) -> Self {
        Self {
            session_id: s.session_id.to_string(),
            started_at: s.started_at.to_string(),
            finished_at: s.finished_at.as_ref().map(ToString::to_string),
            duration_sec: s.duration_sec,
            status: s.status,
            end_reason: s.end_reason,
            publisher: s.client_info.as_ref().map(PublisherView::from),
        }
    }
}

/// An entry of a session's timeline (spec §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionEventView {
    pub event_id: String,
    pub at: String,
    #[ts(type = "EventKind")]
    pub kind: EventKind,
    pub detail: Option<String>,
}

impl From<&SessionEvent> for SessionEventView {
    fn from(e: &SessionEvent) -> Self {
        Self {
            event_id: e.event_id.to_string(),
            at: e.at.to_string(),
            kind: e.kind,
            detail: e.detail.clone(),
        }
    }
}

/// The `picture:` key of a picture URL the service sent (https only).
fn picture(url: Option<&str>) -> Option<String> {
    url.filter(|u| u.starts_with("https://"))
        .map(onair_desk::pictures::picture_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_view_never_carries_the_key() {
        let live: Live = serde_json::from_value(serde_json::json!({
            "liveId": "L1", "title": "t", "reservedAt": "2026-11-21T17:11:44+09:00",
            "rtmpPath": "rtmp://ingest.example/live/sk_SECRET", "status": "ONAIR",
            "scope": "PUBLIC", "liveLink": "https://x.example/l1"
        }))
        .unwrap();
        let view = LiveView::from(&live);
        assert_eq!(view.server.as_deref(), Some("rtmp://ingest.example/live"));
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["status"], "ON_AIR");
        assert!(!json.to_string().contains("sk_SECRET"));
    }

    #[test]
    fn a_login_outcome_is_told_by_its_kind() {
        let failed = LoginFinished::Failed {
            error: IpcError::new(ErrorCode::LoginDenied, "denied"),
        };
        assert_eq!(
            serde_json::to_value(&failed).unwrap(),
            serde_json::json!({"kind": "failed", "error": {"code": "login_denied", "message": "denied"}})
        );
    }

    #[test]
    fn a_date_that_is_not_one_is_refused_at_its_field() {
        let input = CreateLiveInput {
            title: "t".into(),
            description: None,
            scope: Scope::Public,
            reserved_at: Some("tomorrow".into()),
        };
        let e = NewLive::try_from(input).unwrap_err();
        assert_eq!(
            (e.code, e.field),
            (ErrorCode::Invalid, Some(Field::ReservedAt))
        );
    }
}
