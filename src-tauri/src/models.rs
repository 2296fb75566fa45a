//! What crosses IPC, in camelCase, with TypeScript types generated from
//! these definitions (`ui/src/lib/ipc-types.ts`; a test fails when that
//! file is stale). Nothing here carries a secret: the stream key stays in
//! Rust (the clipboard is written from Rust).

use onair_api::{
    Channel, ChatMessage, EndReason, Live, LiveStatus, OptionalApi, Session, SessionEvent, User,
};
use onair_client::{ChatEvent, Error, LiveEvent, StreamTarget};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The one error shape of every command: a stable `code` for the UI's
/// message catalogue and an English `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    /// The form field at fault (profile errors), so the UI can show the
    /// message next to it; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        let field = match &e {
            Error::Profile { field, .. } => Some(field.clone()),
            _ => None,
        };
        let message = match &e {
            Error::Profile { message, .. } => message.clone(),
            other => other.to_string(),
        };
        Self {
            code: e.code().to_owned(),
            message,
            field,
        }
    }
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            field: None,
        }
    }
}

/// The "add a service" form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInput {
    pub name: String,
    pub api_domain: String,
    pub client_id: String,
    /// Kept in the OS keyring, never in the profiles file.
    pub client_secret: Option<String>,
    /// `auto`, `prism` or `rfc`.
    pub token_form: String,
    /// Spec §4 names, used when the service has no `/capabilities`.
    pub optional_apis: Vec<String>,
    pub pinned_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub id: String,
    pub name: String,
    pub api_domain: String,
    /// The built-in demo service.
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub user_id: String,
    pub user_name: String,
    pub profile_thumbnail: Option<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            user_id: u.user_id.to_string(),
            user_name: u.user_name.clone(),
            profile_thumbnail: u.profile_thumbnail.clone(),
        }
    }
}

/// A logged-in session as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub profile: ProfileView,
    pub user: UserView,
    /// Spec §4 names of the optional APIs in use.
    pub optional_apis: Vec<String>,
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
    pub thumbnail_url: Option<String>,
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
            thumbnail_url: c.channel_thumbnail_url.clone(),
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
    /// `RESERVED`, `ON_AIR` or `END`.
    pub status: String,
    /// `PUBLIC`, `LIMITED` or `PRIVATE`.
    pub scope: String,
    /// RFC 3339.
    pub reserved_at: String,
    pub start_at: Option<String>,
    pub live_link: String,
    pub stat: Option<StatView>,
    /// The ingest server (`rtmpPath` without its key), or null when the
    /// path is not a usable ingest URL.
    pub server: Option<String>,
}

impl From<&Live> for LiveView {
    fn from(l: &Live) -> Self {
        Self {
            live_id: l.live_id.to_string(),
            title: l.title.clone(),
            description: l.description.clone(),
            status: l.status.as_str().to_owned(),
            scope: l.scope.as_str().to_owned(),
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
        }
    }
}

/// The create form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateLiveInput {
    pub title: String,
    pub description: Option<String>,
    /// `PUBLIC`, `LIMITED` or `PRIVATE`.
    pub scope: String,
    /// RFC 3339; null: "go live now" (now + 20 s, spec §3).
    pub reserved_at: Option<String>,
}

/// What the live watcher says, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LiveEventView {
    /// `sample`: the poll's counters for the chart, while on air.
    Snapshot {
        live: LiveView,
        sample: Option<SampleView>,
    },
    Updated {
        live: LiveView,
        sample: Option<SampleView>,
    },
    /// The service ended the live; `reason` is spec §5's end reason.
    #[serde(rename_all = "camelCase")]
    ForcedEnd {
        live: LiveView,
        reason: Option<String>,
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
    pub fn from_event(e: &LiveEvent, sample: Option<SampleView>) -> Option<Self> {
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
                reason: reason.map(|r: EndReason| r.as_str().to_owned()),
                at: onair_api::Timestamp::now().to_string(),
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

/// A moderation call (spec §4), on a message's author or the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ModAction {
    #[serde(rename_all = "camelCase")]
    Delete {
        message_id: String,
    },
    Ban,
    #[serde(rename_all = "camelCase")]
    TimedBan {
        seconds: u32,
    },
    Unban,
    Mod,
    Unmod,
}

/// One moderation call made from this app, kept for the live's session:
/// the user card's history and the chart's markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ModRecord {
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

/// Whether a status is on air, for the tray.
pub fn on_air(status: LiveStatus) -> bool {
    status == LiveStatus::OnAir
}

/// The app's settings (`settings.json` in the config dir).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Closing the window keeps onair running in the tray.
    pub hide_on_close: bool,
    /// The live clock shows seconds (a repaint a second: about 0.7 % of a
    /// core here, `make bench`); off, it moves once a minute.
    pub clock_seconds: bool,
    /// Timed-ban presets in seconds, per channel (`"{profile}/{channel}"`);
    /// a channel without its own list uses the default one (10 s, 1 min,
    /// 10 min, 1 h, 24 h).
    #[ts(type = "Record<string, number[]>")]
    pub ban_presets: std::collections::BTreeMap<String, Vec<u32>>,
    /// Chat messages the pane keeps (its newest), CHAT_BUFFER_MIN to
    /// CHAT_BUFFER_MAX.
    pub chat_buffer: u32,
    /// Deleted messages and those of banned users are hidden instead of
    /// struck out.
    pub hide_moderated: bool,
    /// OBS Studio's WebSocket server and what onair does with OBS.
    pub obs: ObsPrefs,
}

/// Where OBS's WebSocket server listens (its password is in the OS
/// keyring), and what onair does with OBS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ObsPrefs {
    pub host: String,
    pub port: u16,
    /// Connect when onair starts (and keep trying while OBS is closed).
    pub connect_at_start: bool,
    /// Streamer mode always on (it is on by itself while OBS streams).
    pub streamer_mode: bool,
    /// Stop OBS's stream when the service ends the live.
    pub stop_with_live: bool,
}

impl Default for ObsPrefs {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 4455,
            connect_at_start: false,
            streamer_mode: false,
            stop_with_live: false,
        }
    }
}

/// OBS as the app sees it: the connection, OBS's stream, its health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ObsView {
    pub connected: bool,
    /// `host:port`.
    pub endpoint: String,
    /// obs-websocket's version.
    pub version: Option<String>,
    /// OBS is streaming (`outputActive`): streamer mode is on.
    pub streaming: bool,
    /// `off` (not connected), `idle`, `starting`, `live`, `reconnecting`,
    /// `stopping`.
    pub state: String,
    /// Reconnects of OBS's stream seen on this connection.
    pub reconnects: u32,
    pub bitrate_kbps: Option<f64>,
    /// 0 to 1.
    pub congestion: f64,
    /// Frames OBS skipped (`outputSkippedFrames`) of all it sent.
    #[ts(type = "number")]
    pub dropped_frames: u64,
    #[ts(type = "number")]
    pub total_frames: u64,
    /// Send replaced settings that Undo can put back.
    pub can_undo: bool,
    /// Why it is not connected.
    pub problem: Option<IpcError>,
}

impl ObsView {
    /// Not connected to OBS at `endpoint`, and why (when there is a why).
    pub fn offline(endpoint: &impl std::fmt::Display, problem: Option<IpcError>) -> Self {
        Self {
            endpoint: endpoint.to_string(),
            state: "off".into(),
            problem,
            ..Self::default()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            hide_on_close: true,
            clock_seconds: false,
            ban_presets: std::collections::BTreeMap::new(),
            chat_buffer: 5000,
            hide_moderated: false,
            obs: ObsPrefs::default(),
        }
    }
}

/// Presets per channel: at most this many.
pub const MAX_PRESETS: usize = 10;
/// The longest timed ban a preset may hold (30 days, in seconds).
pub const MAX_PRESET_SECONDS: u32 = 30 * 24 * 3600;
/// The chat pane keeps at least this many messages, and at most that many.
pub const CHAT_BUFFER_MIN: u32 = 500;
pub const CHAT_BUFFER_MAX: u32 = 50_000;

impl Settings {
    /// Presets sorted, each once.
    pub fn tidy(&mut self) {
        for list in self.ban_presets.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// As read from a file someone may have edited: tidied, and a channel
    /// whose presets do not pass [`Settings::check`] falls back to the
    /// defaults (rather than block every later change of the settings).
    pub fn sanitized(mut self) -> Self {
        self.tidy();
        self.ban_presets.retain(|key, list| {
            let one = Settings {
                ban_presets: [(key.clone(), list.clone())].into(),
                ..Settings::default()
            };
            one.check().is_ok()
        });
        if !(CHAT_BUFFER_MIN..=CHAT_BUFFER_MAX).contains(&self.chat_buffer) {
            self.chat_buffer = Settings::default().chat_buffer;
        }
        self
    }

    /// Checks what a user may have typed: each channel's presets are 1 to
    /// MAX_PRESETS durations of 1 s to 30 days (spec §4: `banTime` > 0).
    pub fn check(&self) -> Result<(), IpcError> {
        let host = &self.obs.host;
        if host.is_empty()
            || host.len() > 253
            || host
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "/?#@".contains(c))
            || self.obs.port == 0
        {
            return Err(IpcError {
                code: "invalid".into(),
                message: "OBS: a host name or address, and a port from 1 to 65535".into(),
                field: Some("obs".into()),
            });
        }
        if !(CHAT_BUFFER_MIN..=CHAT_BUFFER_MAX).contains(&self.chat_buffer) {
            return Err(IpcError {
                code: "invalid".into(),
                message: format!("the chat keeps {CHAT_BUFFER_MIN} to {CHAT_BUFFER_MAX} messages"),
                field: Some("chatBuffer".into()),
            });
        }
        for (key, list) in &self.ban_presets {
            let ok = !list.is_empty()
                && list.len() <= MAX_PRESETS
                && list.iter().all(|s| (1..=MAX_PRESET_SECONDS).contains(s));
            if !ok {
                return Err(IpcError {
                    code: "invalid".into(),
                    message: format!(
                        "timed-ban presets of {key}: 1 to {MAX_PRESETS} durations of 1 s to 30 days"
                    ),
                    field: Some("banPresets".into()),
                });
            }
        }
        Ok(())
    }
}

/// One poll of a live's counters, for the dashboard chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SampleView {
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at_ms: i64,
    #[ts(type = "number")]
    pub viewers: u64,
    #[ts(type = "number")]
    pub likes: u64,
    #[ts(type = "number")]
    pub chats: u64,
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
    /// `LIVE` or `ENDED`.
    pub status: String,
    /// `STOPPED`, `REPLACED`, `ENDED_BY_SERVICE`, ...
    pub end_reason: Option<String>,
}

impl From<&Session> for StreamSessionView {
    fn from(s: &Session) -> Self {
        Self {
            session_id: s.session_id.to_string(),
            started_at: s.started_at.to_string(),
            finished_at: s.finished_at.as_ref().map(ToString::to_string),
            duration_sec: s.duration_sec,
            status: s.status.as_str().to_owned(),
            end_reason: s.end_reason.map(|r| r.as_str().to_owned()),
        }
    }
}

/// An entry of a session's timeline (spec §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionEventView {
    pub event_id: String,
    pub at: String,
    /// `START`, `STABLE`, `SIGNAL_INTERRUPTED`, `STOP`, ...
    pub kind: String,
    pub detail: Option<String>,
}

impl From<&SessionEvent> for SessionEventView {
    fn from(e: &SessionEvent) -> Self {
        Self {
            event_id: e.event_id.to_string(),
            at: e.at.to_string(),
            kind: e.kind.as_str().to_owned(),
            detail: e.detail.clone(),
        }
    }
}

/// Names of optional APIs, for the UI.
pub fn api_names(apis: &[OptionalApi]) -> Vec<String> {
    apis.iter().map(|a| a.as_str().to_owned()).collect()
}

/// The TypeScript declarations of every IPC type, as committed in
/// `ui/src/lib/ipc-types.ts`.
pub fn typescript() -> String {
    let decls = [
        IpcError::decl(),
        ProfileView::decl(),
        UserView::decl(),
        SessionView::decl(),
        AppView::decl(),
        ChannelView::decl(),
        StatView::decl(),
        LiveView::decl(),
        CreateLiveInput::decl(),
        LiveEventView::decl(),
        ProfileInput::decl(),
        SampleView::decl(),
        Settings::decl(),
        StreamSessionView::decl(),
        SessionEventView::decl(),
        ChatMessageView::decl(),
        ChatEventView::decl(),
        ModAction::decl(),
        ModRecord::decl(),
        UiStats::decl(),
        ObsPrefs::decl(),
        ObsView::decl(),
    ];
    let mut out = String::from(
        "// Generated from src-tauri/src/models.rs by `cargo test -p onair` with\n\
         // UPDATE_IPC_TYPES=1. Do not edit: a test fails when this file is stale.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPC_TYPES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/lib/ipc-types.ts");

    #[test]
    fn moderation_actions_parse() {
        // Their undo is the UI's (`undoOf` in ui/src/lib/chat.ts, tested there).
        let a: ModAction = serde_json::from_str(r#"{"kind":"timedBan","seconds":600}"#).unwrap();
        assert_eq!(a, ModAction::TimedBan { seconds: 600 });
        let d: ModAction = serde_json::from_str(r#"{"kind":"delete","messageId":"42"}"#).unwrap();
        assert_eq!(
            d,
            ModAction::Delete {
                message_id: "42".into()
            }
        );
        assert!(serde_json::from_str::<ModAction>(r#"{"kind":"shadowBan"}"#).is_err());
    }

    #[test]
    fn ipc_types_are_fresh() {
        let want = typescript();
        if std::env::var_os("UPDATE_IPC_TYPES").is_some() {
            std::fs::write(IPC_TYPES, &want).unwrap();
        }
        let have = std::fs::read_to_string(IPC_TYPES).unwrap_or_default();
        assert!(
            have == want,
            "ui/src/lib/ipc-types.ts is stale: run `UPDATE_IPC_TYPES=1 cargo test -p onair ipc_types`"
        );
    }

    #[test]
    fn one_error_shape_crosses_ipc() {
        let e = IpcError::from(onair_client::Error::Conflict {
            name: "STREAM_ACTIVE".into(),
            message: "on air".into(),
        });
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "conflict", "message": "STREAM_ACTIVE: on air"})
        );
    }

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
        assert_eq!(view.status, "ON_AIR");
        assert!(!serde_json::to_string(&view).unwrap().contains("sk_SECRET"));
    }
}

#[cfg(test)]
mod settings_tests {
    use super::Settings;

    #[test]
    fn a_hand_edited_file_loses_only_its_bad_presets() {
        let read = Settings {
            ban_presets: [
                ("demo/a".to_owned(), vec![600, 5, 600]),
                ("demo/b".to_owned(), vec![0]),
                ("demo/c".to_owned(), vec![]),
            ]
            .into(),
            ..Settings::default()
        }
        .sanitized();
        assert_eq!(
            read.ban_presets,
            [("demo/a".to_owned(), vec![5, 600])].into()
        );
        assert!(read.check().is_ok());
        // A buffer size out of range falls back to the default.
        let read = Settings {
            chat_buffer: 7,
            ..Settings::default()
        };
        assert!(read.check().is_err());
        assert_eq!(read.sanitized().chat_buffer, 5000);
    }
}
