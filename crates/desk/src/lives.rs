//! Channels and lives (spec §3), their sessions (§5), the stream key, and
//! the live the dashboard watches: its counters kept for the chart, the
//! tray's on-air state, and what happens to OBS when the service ends it.

use std::sync::Arc;
use std::time::Duration;

use onair_api::{
    Channel, CreateLive, Extension, IngestHealth, Live, LiveStatus, Scope, Session, SessionEvent,
    Signal, StatusFilter, Timestamp,
};
use onair_client::{watch_live, Client, LiveEvent, StreamTarget, Watch, WatchOptions};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use ts_rs::TS;

use crate::error::{Error, Field, Result};
use crate::{Air, Desk, DeskEvent, ObsAfterEnd, SeriesMap, Task};

/// How often the ingest's health is asked for while a live is watched
/// (its shortest window is 1 s, its verdict's 10 s).
pub const INGEST_EVERY: Duration = Duration::from_secs(2);

/// A live on air whose stream stopped arriving this long ago has "no
/// signal" (a blip of a reconnecting encoder does not count).
pub const NO_SIGNAL_AFTER: Duration = Duration::from_secs(10);

/// The live the dashboard shows, with what follows it; dropping it stops
/// them.
#[derive(Debug)]
pub(crate) struct Watched {
    pub(crate) live_id: String,
    /// Its newest ingest health (the preview plays from its playback URL).
    pub(crate) latest: LatestIngest,
    _watch: Watch,
    _ingest: Option<Task>,
}

/// The newest ingest health of the watched live.
pub(crate) type LatestIngest = Arc<std::sync::Mutex<Option<IngestHealth>>>;

/// Samples kept per live (about 14 h at the 5 s poll).
pub const MAX_SAMPLES: usize = 10_000;

/// How far ahead "go live now" reserves (spec §3: now + ~20 s).
const NOW_AHEAD_MS: i64 = 20_000;

/// The counters of the lives watched in this run, for the chart.
pub(crate) type Series = Arc<std::sync::Mutex<SeriesMap>>;

/// One poll of a live's counters, for the dashboard chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at_ms: i64,
    #[ts(type = "number")]
    pub viewers: u64,
    #[ts(type = "number")]
    pub likes: u64,
    #[ts(type = "number")]
    pub chats: u64,
    /// What the service's ingest received (audio and video, kbit/s over
    /// its last 10 s), when it tells and a stream arrives.
    pub received_kbps: Option<f64>,
    /// What OBS said it sent (kbit/s), while onair's OBS streams.
    pub sent_kbps: Option<f64>,
}

/// A live to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLive {
    pub title: String,
    pub description: Option<String>,
    pub scope: Scope,
    /// `None`: "go live now".
    pub reserved_at: Option<Timestamp>,
}

impl NewLive {
    /// The request body: the title trimmed and checked here (so its error
    /// names the field), an empty description left out, "now" made now +
    /// 20 s.
    fn body(self) -> Result<CreateLive> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().any(char::is_control) {
            return Err(Error::invalid(
                Field::Title,
                "give the live a title, on one line",
            ));
        }
        let reserved_at = match self.reserved_at {
            Some(at) => at,
            None => Timestamp::from_millis(Timestamp::now().millis() + NOW_AHEAD_MS)
                .expect("now plus 20 s is a date"),
        };
        Ok(CreateLive {
            title: title.to_owned(),
            reserved_at: Some(reserved_at),
            description: self.description.filter(|d| !d.trim().is_empty()),
            scope: self.scope,
            ..Default::default()
        })
    }
}

/// A title the service refused: its 400 names the field first (our
/// reference service says "title must be ..."); others' wording is theirs.
fn title_refused(e: onair_client::Error) -> Error {
    match e {
        onair_client::Error::Invalid(message) if message.starts_with("title") => {
            Error::invalid(Field::Title, message)
        }
        other => other.into(),
    }
}

impl Desk {
    /// The user's channels; their thumbnails become pictures the page may
    /// ask for ([`Desk::picture`]).
    pub async fn channels(&self) -> Result<Vec<Channel>> {
        let channels = self.client().await?.channels().await?.channels;
        self.pictures.allow(
            channels
                .iter()
                .filter_map(|c| c.channel_thumbnail_url.as_deref()),
        );
        Ok(channels)
    }

    pub async fn lives(&self, channel_id: &str, filter: StatusFilter) -> Result<Vec<Live>> {
        Ok(self.client().await?.lives(channel_id, filter).await?)
    }

    pub async fn live(&self, live_id: &str) -> Result<Live> {
        Ok(self.client().await?.live(live_id).await?)
    }

    pub async fn create_live(&self, channel_id: &str, live: NewLive) -> Result<Live> {
        let body = live.body()?;
        self.client()
            .await?
            .create_live(channel_id, &body)
            .await
            .map_err(title_refused)
    }

    pub async fn start_live(&self, live_id: &str) -> Result<Live> {
        let live = self.client().await?.start_live(live_id).await?;
        self.emit(DeskEvent::Air(air_of(&live, Timestamp::now())));
        Ok(live)
    }

    pub async fn stop_live(&self, live_id: &str) -> Result<Live> {
        let live = self.client().await?.stop_live(live_id).await?;
        self.emit(DeskEvent::Air(Air::Off));
        Ok(live)
    }

    /// The live's sessions, newest first (the first 50).
    pub async fn sessions(&self, live_id: &str) -> Result<Vec<Session>> {
        Ok(self
            .client()
            .await?
            .sessions(live_id, 1, 50)
            .await?
            .sessions)
    }

    /// A session's timeline, newest first.
    pub async fn session_events(&self, session_id: &str) -> Result<Vec<SessionEvent>> {
        Ok(self.client().await?.events(session_id).await?.events)
    }

    /// A new stream key (the service refuses while on air: 409
    /// STREAM_ACTIVE). The key itself stays here.
    pub async fn regenerate_key(&self, live_id: &str) -> Result<()> {
        self.client().await?.regenerate_key(live_id).await?;
        Ok(())
    }

    /// Server and key of a live (for the clipboard and OBS; never for the
    /// screen unless asked, see [`Desk::reveal_key`]).
    pub async fn stream_target(&self, live_id: &str) -> Result<StreamTarget> {
        let live = self.client().await?.live(live_id).await?;
        Ok(StreamTarget::from_rtmp_path(&live.rtmp_path)?)
    }

    /// Streamer mode: OBS is streaming, or the setting forces it. Secrets
    /// are then shown only after an explicit confirmation.
    pub async fn streamer_mode(&self) -> bool {
        self.settings().obs.streamer_mode || self.obs.streaming().await
    }

    /// The stream key, for a user who asked to see it; in streamer mode
    /// only once they `confirmed`.
    pub async fn reveal_key(&self, live_id: &str, confirmed: bool) -> Result<onair_api::Secret> {
        if self.streamer_mode().await && !confirmed {
            return Err(Error::StreamerMode);
        }
        Ok(self.stream_target(live_id).await?.key)
    }

    /// Watches one live for the dashboard (replacing the one before), at
    /// the spec's 5 s, and its ingest every [`INGEST_EVERY`] where the
    /// service tells. Its changes leave as [`DeskEvent::Live`] and
    /// [`DeskEvent::Ingest`]; the tray's state as [`DeskEvent::Air`] (with
    /// [`DeskEvent::SignalLost`] when the stream has been gone
    /// [`NO_SIGNAL_AFTER`]); an end by the service as
    /// [`DeskEvent::ForcedEnd`], after OBS's stream was stopped when the
    /// settings ask for it.
    pub async fn watch(&self, live_id: &str) -> Result<()> {
        let client = self.client().await?;
        let (watch, mut rx) = watch_live(client.clone(), live_id, WatchOptions::live());
        let latest = LatestIngest::default();
        let tells = client.extensions().await.unwrap_or_default();
        let ingest = tells.contains(&Extension::Ingest).then(|| {
            Task::spawn(poll_ingest(
                client,
                live_id.to_owned(),
                self.events.clone(),
                latest.clone(),
            ))
        });
        self.state.lock().await.watch = Some(Watched {
            live_id: live_id.to_owned(),
            latest: latest.clone(),
            _watch: watch,
            _ingest: ingest,
        });
        let events = self.events.clone();
        let series = self.series.clone();
        let (obs, settings) = (self.obs.clone(), self.settings.clone());
        tokio::spawn(async move {
            let mut air = None;
            // The watcher tells only changes: a stream away since a poll
            // becomes "no signal" on a timer, not at the next change.
            let mut last: Option<Live> = None;
            loop {
                let due = last
                    .as_ref()
                    .and_then(|l| no_signal_in(l, Timestamp::now()));
                let event = tokio::select! {
                    e = rx.recv() => match e {
                        Some(e) => e,
                        None => return,
                    },
                    () = sleep_or_never(due) => {
                        if let Some(l) = &last {
                            air = follow_air(&events, l, air);
                        }
                        continue;
                    }
                };
                let sample = match &event {
                    LiveEvent::Snapshot(l) | LiveEvent::Updated(l) => {
                        // The tray follows the status and the signal, not
                        // every poll's counters.
                        air = follow_air(&events, l, air);
                        last = Some(l.clone());
                        let received = latest
                            .lock()
                            .expect("ingest lock")
                            .as_ref()
                            .and_then(received_kbps);
                        let sent = obs.view().await.bitrate_kbps;
                        record(&series, l, received, sent)
                    }
                    LiveEvent::ForcedEnd { live, reason } => {
                        let prefs = settings.lock().expect("settings lock").obs.clone();
                        let obs = match obs.streaming().await {
                            false => None,
                            true if !prefs.stop_with_live => Some(ObsAfterEnd::StillStreaming),
                            true => Some(match obs.stop_stream(&prefs).await {
                                Ok(()) => ObsAfterEnd::Stopped,
                                Err(e) => ObsAfterEnd::StopFailed(e),
                            }),
                        };
                        let _ = events.send(DeskEvent::ForcedEnd {
                            title: live.title.clone(),
                            reason: *reason,
                            obs,
                        });
                        None
                    }
                    _ => None,
                };
                if events.send(DeskEvent::Live { event, sample }).is_err() {
                    return;
                }
            }
        });
        Ok(())
    }

    pub async fn unwatch(&self) {
        self.state.lock().await.stop_watching();
    }

    /// The live the dashboard shows, if any.
    pub async fn watched(&self) -> Option<String> {
        let st = self.state.lock().await;
        st.watch.as_ref().map(|w| w.live_id.clone())
    }

    /// The counters seen for a live since onair started watching it.
    pub fn series(&self, live_id: &str) -> Vec<Sample> {
        self.series
            .lock()
            .expect("series lock")
            .get(live_id)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// Asks the service's ingest about a live every [`INGEST_EVERY`] until the
/// watch ends (or the service will not say: not found, not allowed); tells
/// the first report and each that differs from the one before (a live with
/// no stream says the same thing for hours, and each event repaints the
/// dashboard).
async fn poll_ingest(
    client: Client,
    live_id: String,
    events: UnboundedSender<DeskEvent>,
    latest: LatestIngest,
) {
    let mut every = tokio::time::interval(INGEST_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut told: Option<IngestHealth> = None;
    loop {
        every.tick().await;
        match client.ingest(&live_id).await {
            Ok(health) => {
                *latest.lock().expect("ingest lock") = Some(health.clone());
                if told.as_ref() == Some(&health) {
                    if events.is_closed() {
                        return;
                    }
                    continue;
                }
                told = Some(health.clone());
                if events.send(DeskEvent::Ingest(health)).is_err() {
                    return;
                }
            }
            Err(
                onair_client::Error::NotFound(_)
                | onair_client::Error::Forbidden(_)
                | onair_client::Error::NotSupported(_),
            ) => return,
            // Offline, a 5xx, a login to renew: the live watcher says so;
            // the next tick tries again.
            Err(_) => {}
        }
    }
}

/// What the ingest receives, audio and video, over its last 10 s; `None`
/// while nothing arrives.
fn received_kbps(h: &IngestHealth) -> Option<f64> {
    if h.signal != Signal::Receiving {
        return None;
    }
    let video = h.video.as_ref().map_or(0.0, |v| v.bitrate_10s_kbps);
    let audio = h.audio.as_ref().map_or(0.0, |a| a.bitrate_10s_kbps);
    Some((video + audio).round())
}

/// Since when a live's stream has been away, when it is.
fn interrupted_for(live: &Live, now: Timestamp) -> Option<Duration> {
    let stream = live.stream.as_ref()?;
    if stream.signal != Signal::Interrupted {
        return None;
    }
    let since = stream.interrupted_at.as_ref()?;
    Some(Duration::from_millis(
        u64::try_from(now.millis() - since.millis()).unwrap_or(0),
    ))
}

/// The tray's state of a live at `now`.
pub fn air_of(live: &Live, now: Timestamp) -> Air {
    if live.status != LiveStatus::OnAir {
        return Air::Off;
    }
    match interrupted_for(live, now) {
        Some(away) if away >= NO_SIGNAL_AFTER => Air::NoSignal,
        _ => Air::On,
    }
}

/// How long until a live whose stream is away becomes [`Air::NoSignal`],
/// if it is on air and not there yet.
fn no_signal_in(live: &Live, now: Timestamp) -> Option<Duration> {
    if live.status != LiveStatus::OnAir {
        return None;
    }
    let away = interrupted_for(live, now)?;
    NO_SIGNAL_AFTER.checked_sub(away).filter(|d| !d.is_zero())
}

async fn sleep_or_never(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Sends the tray's state when it moved from `was` (with
/// [`DeskEvent::SignalLost`] on "no signal"); returns it.
fn follow_air(events: &UnboundedSender<DeskEvent>, live: &Live, was: Option<Air>) -> Option<Air> {
    let now = air_of(live, Timestamp::now());
    if was != Some(now) {
        if now == Air::NoSignal {
            let _ = events.send(DeskEvent::SignalLost {
                title: live.title.clone(),
                ends_in: ends_in(live, Timestamp::now()),
            });
        }
        let _ = events.send(DeskEvent::Air(now));
    }
    Some(now)
}

/// When the service ends a live whose stream is away (its `stopTimeout`),
/// if it ends it on its own.
fn ends_in(live: &Live, now: Timestamp) -> Option<Duration> {
    let stream = live.stream.as_ref().filter(|s| s.auto_stop)?;
    let away = interrupted_for(live, now)?;
    Some(Duration::from_secs(stream.stop_timeout).saturating_sub(away))
}

/// Appends a poll's counters while the live is on air; returns the sample
/// (the dashboard's chart takes the same one).
fn record(
    series: &Series,
    live: &Live,
    received_kbps: Option<f64>,
    sent_kbps: Option<f64>,
) -> Option<Sample> {
    let (Some(stat), LiveStatus::OnAir) = (&live.live_stat, live.status) else {
        return None;
    };
    let sample = Sample {
        at_ms: Timestamp::now().millis(),
        viewers: stat.viewer_count,
        likes: stat.like_count,
        chats: stat.chat_count,
        received_kbps,
        sent_kbps,
    };
    let mut all = series.lock().expect("series lock");
    let s = all.entry(live.live_id.to_string()).or_default();
    crate::push_bounded(s, sample, MAX_SAMPLES);
    Some(sample)
}
