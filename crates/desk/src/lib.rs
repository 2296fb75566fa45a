//! onair-desk: what the desktop app does, with no Tauri types, so it is
//! tested against the reference service without a webview. The app's
//! commands call a [`Desk`]; what happens later (a login that finishes, a
//! live that changes, OBS that starts streaming) leaves through the
//! channel of [`DeskEvent`]s that [`Desk::new`] returns.
//!
//! # Layout
//! - [`session`]: services (profiles), the login and the logout, the
//!   state the app opens on ([`AppState`]).
//! - [`lives`]: channels and lives, start and stop, sessions, the stream
//!   key, the watched live and its counters ([`Sample`]), and what
//!   happens to OBS when the service ends the live.
//! - [`chat`]: following a live's chat, sending, moderating
//!   ([`ModAction`]) and the log of moderation calls ([`ModRecord`]).
//! - [`obs`]: OBS Studio through obs-websocket: the connection and its
//!   health ([`ObsStatus`]), Send / Undo, the settings-file fallback.
//! - [`preview`]: the watched live's watch stream, fetched for the
//!   dashboard's preview with the session's client.
//! - [`pictures`]: the avatar and channel thumbnails the service names,
//!   fetched for the page by key (its CSP keeps images to the app).
//! - [`settings`]: [`Settings`], their rules and their file.
//! - [`demo`] (feature `demo`): the embedded reference service.
//! - [`error`]: [`Error`], matched by variant, never by text.
//! - `tests`: flows against the in-process reference service.
//!
//! Secrets stay [`onair_api::Secret`]s: the stream key leaves only through
//! [`Desk::stream_target`] and [`Desk::reveal_key`], which the app hands
//! to the clipboard or to a user who asked to see it.

pub mod chat;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod lives;
pub mod obs;
pub mod pictures;
pub mod preview;
pub mod session;
pub mod settings;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use onair_api::{EndReason, User};
use onair_client::{Client, Connector, LiveEvent, LoginSlot, TokenStore, Watch};

/// A task that stops when this handle is dropped.
#[derive(Debug)]
pub(crate) struct Task(tokio::task::AbortHandle);

impl Task {
    pub(crate) fn spawn(f: impl std::future::Future<Output = ()> + Send + 'static) -> Self {
        Task(tokio::spawn(f).abort_handle())
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}
use tokio::sync::{mpsc, Mutex};

pub use chat::{ModAction, ModRecord};
pub use error::{Error, Field, Result};
pub use lives::{NewLive, Sample};
pub use obs::{ObsDesk, ObsReport, ObsState, ObsStatus};
pub use session::{AppState, LookupInput, NewProfile, ServiceLookup, Session, DEMO_PROFILE};
pub use settings::{Language, ObsPrefs, Settings};

/// What the desk tells its host, in the order it happened.
#[derive(Debug)]
pub enum DeskEvent {
    /// A browser login ended.
    LoginFinished(Result<Session>),
    /// The watched live changed; `sample` is the poll's counters for the
    /// chart while it is on air.
    Live {
        event: LiveEvent,
        sample: Option<Sample>,
    },
    /// On air, on air without a signal, or off air, for the tray (on a
    /// change).
    Air(Air),
    /// What the service's ingest receives for the watched live (its
    /// `INGEST` extension), every [`lives::INGEST_EVERY`].
    Ingest(onair_api::IngestHealth),
    /// The watched live is on air but its stream stopped arriving more
    /// than [`lives::NO_SIGNAL_AFTER`] ago (a desktop notification);
    /// `ends_in`: when the service ends it on its own, if it does.
    SignalLost {
        title: String,
        ends_in: Option<std::time::Duration>,
    },
    /// The service ended the watched live (a desktop notification).
    ForcedEnd {
        title: String,
        reason: Option<EndReason>,
        /// What became of OBS's stream, if OBS was streaming.
        obs: Option<ObsAfterEnd>,
    },
    /// OBS's connection, stream or health changed.
    Obs(ObsStatus),
    /// A moderation call was made (or refused).
    Moderation(ModRecord),
}

/// The watched live as the tray shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Air {
    Off,
    On,
    /// On air, and the stream stopped arriving more than
    /// [`lives::NO_SIGNAL_AFTER`] ago.
    NoSignal,
}

/// OBS's stream when the service ended the live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObsAfterEnd {
    /// Still streaming (the user may stop it).
    StillStreaming,
    /// Stopped, as the settings ask.
    Stopped,
    /// The stop was asked for and failed.
    StopFailed(Error),
}

/// Where the desk's events go.
pub type Events = mpsc::UnboundedSender<DeskEvent>;

/// The app's state and what it does.
pub struct Desk {
    data_dir: PathBuf,
    profiles_path: PathBuf,
    store: Arc<dyn TokenStore>,
    slot: LoginSlot,
    events: Events,
    state: Arc<Mutex<State>>,
    series: lives::Series,
    /// Moderation calls made in this run, newest last (at most
    /// [`chat::MAX_MOD_RECORDS`]).
    mod_log: std::sync::Mutex<VecDeque<ModRecord>>,
    settings: Arc<std::sync::Mutex<Settings>>,
    obs: Arc<ObsDesk>,
    /// Bearer token of the embedded service's operator routes, when the
    /// operator chose one (`ONAIR_DEMO_ADMIN_TOKEN`); otherwise random.
    #[cfg_attr(not(feature = "demo"), allow(dead_code))]
    demo_admin_token: Option<String>,
    /// The pictures the page may ask for.
    pictures: pictures::Pictures,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    #[cfg(feature = "demo")]
    demo: Option<demo::Demo>,
    connector: Option<Connector>,
    client: Option<Client>,
    user: Option<User>,
    login_pending: bool,
    /// Bumped by every login started, so only the newest one's outcome
    /// reaches the screen.
    login_attempt: u64,
    /// The live the dashboard shows (the tray's copy and stop act on it),
    /// its watcher and its ingest's.
    watch: Option<lives::Watched>,
    /// The chat follower of the chat pane.
    chat: Option<Watch>,
}

impl State {
    /// Stops the live watcher and the chat follower (another live, another
    /// login, another service).
    fn stop_watching(&mut self) {
        self.watch = None;
        self.chat = None;
    }

    /// Another service (or none): its login, if one was waiting, is
    /// cancelled and its outcome ignored, so nothing is pending.
    fn set_connector(&mut self, connector: Option<Connector>) {
        self.connector = connector;
        self.login_pending = false;
    }
}

impl Desk {
    /// `data_dir` holds the demo service's data; `profiles_path` the
    /// profiles file (the settings file goes beside it). Returns the desk
    /// and the receiving end of its events.
    pub fn new(
        data_dir: &Path,
        profiles_path: &Path,
        store: Arc<dyn TokenStore>,
    ) -> (Self, mpsc::UnboundedReceiver<DeskEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        let obs_events = events.clone();
        let desk = Self {
            data_dir: data_dir.to_owned(),
            profiles_path: profiles_path.to_owned(),
            obs: Arc::new(ObsDesk::new(store.clone(), move |status| {
                let _ = obs_events.send(DeskEvent::Obs(status));
            })),
            store,
            slot: LoginSlot::default(),
            events,
            state: Arc::new(Mutex::new(State::default())),
            demo_admin_token: None,
            pictures: Default::default(),
            series: lives::Series::default(),
            mod_log: Default::default(),
            settings: Arc::new(std::sync::Mutex::new(settings::read(
                &settings::settings_path(profiles_path),
            ))),
        };
        (desk, rx)
    }

    /// Sets the embedded service's operator token (for its `/admin`
    /// routes); shorter than 16 characters, a random one is used.
    pub fn with_demo_admin_token(mut self, token: Option<String>) -> Self {
        self.demo_admin_token = token.filter(|t| t.len() >= 16);
        self
    }

    fn emit(&self, event: DeskEvent) {
        // The host went away (the app is quitting): nobody to tell.
        let _ = self.events.send(event);
    }

    /// The logged-in client.
    async fn client(&self) -> Result<Client> {
        self.state
            .lock()
            .await
            .client
            .clone()
            .ok_or(Error::NoSession)
    }

    /// OBS: its connection, Send, Undo, the file fallback.
    pub fn obs(&self) -> &ObsDesk {
        &self.obs
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Saves the settings (tidied, checked, atomically); a refused change
    /// leaves the saved ones as they were.
    pub fn set_settings(&self, settings: Settings) -> Result<Settings> {
        let saved = settings::write(&settings::settings_path(&self.profiles_path), settings)?;
        *self.settings.lock().expect("settings lock") = saved.clone();
        Ok(saved)
    }

    /// Stops the embedded service cleanly (at quit).
    pub async fn shutdown(&self) {
        let mut st = self.state.lock().await;
        st.stop_watching();
        #[cfg(feature = "demo")]
        if let Some(demo) = st.demo.take() {
            drop(st);
            if let Err(e) = demo.stop().await {
                tracing::warn!(error = %e, "demo service stop");
            }
        }
    }
}

/// Counters kept per live, in a map by live id.
type SeriesMap = HashMap<String, VecDeque<Sample>>;

/// Appends to a log that keeps its newest `max` entries.
fn push_bounded<T>(log: &mut VecDeque<T>, item: T, max: usize) {
    if log.len() >= max {
        log.pop_front();
    }
    log.push_back(item);
}

#[cfg(test)]
mod tests;
