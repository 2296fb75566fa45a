//! onair's ingest extension (spec §5, capability `INGEST`): whether a live's
//! stream is arriving ([`LiveStream`], inside every [`crate::Live`]) and how
//! well ([`IngestHealth`], `GET /live/{liveId}/ingest`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::extra::ClientInfo;
use crate::lenient::{self, Id, Timestamp};
use crate::model::{string_enum_serde, UnknownVariant};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Whether the service receives the live's stream now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Signal {
    /// A publisher is connected with the live's key.
    #[cfg_attr(feature = "openapi", schema(rename = "RECEIVING"))]
    Receiving,
    /// The publisher went away; the live ends after `stopTimeout` unless
    /// one comes back.
    #[cfg_attr(feature = "openapi", schema(rename = "INTERRUPTED"))]
    Interrupted,
    /// Nothing publishes (a live may be ON_AIR without a signal: the API's
    /// start and stop work on their own).
    #[default]
    #[cfg_attr(feature = "openapi", schema(rename = "NONE"))]
    None,
}

impl Signal {
    /// Every variant, in declaration order.
    pub const ALL: [Signal; 3] = [Signal::Receiving, Signal::Interrupted, Signal::None];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Receiving => "RECEIVING",
            Signal::Interrupted => "INTERRUPTED",
            Signal::None => "NONE",
        }
    }
}

impl FromStr for Signal {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "RECEIVING" => Ok(Signal::Receiving),
            "INTERRUPTED" => Ok(Signal::Interrupted),
            "NONE" => Ok(Signal::None),
            _ => Err(UnknownVariant(s.to_owned())),
        }
    }
}

string_enum_serde!(Signal);

/// The `stream` extension object of a live (onair; PRISM clients ignore
/// it): its signal and what the service does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LiveStream {
    #[serde(default)]
    pub signal: Signal,
    /// A publish on the key of a RESERVED live starts it.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub auto_start: bool,
    /// The live ends when no publisher is back within `stopTimeout`.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub auto_stop: bool,
    /// Seconds without a signal before an ON_AIR live ends (Sigma's
    /// `stopTimeout`).
    #[serde(default, deserialize_with = "lenient::count")]
    pub stop_timeout: u64,
    /// While INTERRUPTED: since when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted_at: Option<Timestamp>,
}

/// How well the stream arrives, after YouTube Live's stream health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Verdict {
    #[cfg_attr(feature = "openapi", schema(rename = "excellent"))]
    Excellent,
    #[cfg_attr(feature = "openapi", schema(rename = "good"))]
    Good,
    #[cfg_attr(feature = "openapi", schema(rename = "poor"))]
    Poor,
    #[cfg_attr(feature = "openapi", schema(rename = "no_signal"))]
    NoSignal,
}

impl Verdict {
    /// Every variant, in declaration order.
    pub const ALL: [Verdict; 4] = [
        Verdict::Excellent,
        Verdict::Good,
        Verdict::Poor,
        Verdict::NoSignal,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Excellent => "excellent",
            Verdict::Good => "good",
            Verdict::Poor => "poor",
            Verdict::NoSignal => "no_signal",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "excellent" => Ok(Verdict::Excellent),
            "good" => Ok(Verdict::Good),
            "poor" => Ok(Verdict::Poor),
            "no_signal" | "nosignal" => Ok(Verdict::NoSignal),
            _ => Err(UnknownVariant(s.to_owned())),
        }
    }
}

string_enum_serde!(Verdict);

/// The video track as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VideoHealth {
    /// `h264`, or the FLV codec id's name.
    pub codec: String,
    /// H.264 profile (`Baseline`, `Main`, `High`, ...), from the SPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Frames per second of media time over the last 10 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    /// Seconds between key frames (IDR), over the last ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyframe_interval: Option<f64>,
    /// Received over the last 1 s, kbit/s.
    pub bitrate_kbps: f64,
    /// Received over the last 10 s, kbit/s.
    pub bitrate_10s_kbps: f64,
}

/// The audio track as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AudioHealth {
    /// `aac`, or the FLV sound format's name.
    pub codec: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<u32>,
    pub bitrate_kbps: f64,
    pub bitrate_10s_kbps: f64,
}

/// `data` of `GET /live/{liveId}/ingest`: what the service receives now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestHealth {
    pub live_id: Id,
    pub signal: Signal,
    pub verdict: Verdict,
    /// Why the verdict is not `excellent`, in words.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<VideoHealth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioHealth>,
    /// Bytes of media received from this publisher.
    #[serde(default, deserialize_with = "lenient::count")]
    pub bytes_received: u64,
    /// Jumps of more than 1 s in the media timestamps.
    #[serde(default, deserialize_with = "lenient::count")]
    pub timestamp_gaps: u64,
    /// Timestamps that went backwards.
    #[serde(default, deserialize_with = "lenient::count")]
    pub timestamps_backwards: u64,
    /// Milliseconds since the last audio or video frame.
    #[serde(
        default,
        deserialize_with = "lenient::opt_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub since_last_frame_ms: Option<u64>,
    /// When this publisher was admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishing_since: Option<Timestamp>,
    /// The publisher (never the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<ClientInfo>,
    /// Where the live plays: its HLS playlist (RFC 8216), fetched with the
    /// same access token; absent where the service offers no watch stream.
    /// The owner's own reads do not count as viewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback_url: Option<String>,
}

/// `GET /watch/{liveId}/state.json` (the reference service's watch page):
/// what a viewer's page shows besides the video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WatchState {
    pub live_id: Id,
    /// Untrusted: render as text.
    pub title: String,
    pub status: crate::model::LiveStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lenient::count")]
    pub viewer_count: u64,
    /// Whether there is video to play now.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub playing: bool,
    /// The chat after `?after=` (a page token), or the latest; read-only.
    pub chat: crate::model::ChatPage,
}

/// An onair extension a service offers, listed by `/capabilities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub enum Extension {
    /// `GET /live/{liveId}/ingest` and the `stream` object of a live.
    #[cfg_attr(feature = "openapi", schema(rename = "INGEST"))]
    Ingest,
}

impl Extension {
    /// Every variant, in declaration order.
    pub const ALL: [Extension; 1] = [Extension::Ingest];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Extension::Ingest => "INGEST",
        }
    }
}

impl FromStr for Extension {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "INGEST" => Ok(Extension::Ingest),
            _ => Err(UnknownVariant(s.to_owned())),
        }
    }
}

string_enum_serde!(Extension);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn health_round_trips_and_reads_leniently() {
        let h: IngestHealth = serde_json::from_value(json!({
            "liveId": 7, "signal": "receiving", "verdict": "POOR",
            "reasons": ["keyframe interval is 6.0 s (above 4 s)"],
            "video": {"codec": "h264", "width": 1280, "height": 720, "frameRate": 30.0,
                      "keyframeInterval": 6.0, "bitrateKbps": 2900.5, "bitrate10sKbps": 3000.0},
            "bytesReceived": "12345", "sinceLastFrameMs": 20
        }))
        .unwrap();
        assert_eq!(h.signal, Signal::Receiving);
        assert_eq!(h.verdict, Verdict::Poor);
        assert_eq!(h.bytes_received, 12345);
        let back = serde_json::to_value(&h).unwrap();
        assert_eq!(back["verdict"], "poor");
        assert_eq!(back["video"]["bitrate10sKbps"], 3000.0);
        assert!(back.get("audio").is_none());
    }

    #[test]
    fn live_stream_defaults() {
        let s: LiveStream = serde_json::from_value(json!({"signal": "INTERRUPTED"})).unwrap();
        assert_eq!(s.signal, Signal::Interrupted);
        assert!(!s.auto_start);
        assert_eq!(s.stop_timeout, 0);
    }
}
