//! The app's state and what it does, without Tauri types: which service
//! (profile) is in use, the embedded demo service, the login, the live
//! being watched. Commands call in here; what happens later (a login that
//! finishes, a live that changes) leaves through the `emit` callback, which
//! the Tauri side turns into window events, tray changes and
//! notifications.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use onair_api::{CreateLive, EndReason, OptionalApi, Scope, Secret, StatusFilter, Timestamp, User};
use onair_client::{
    follow_chat, watch_live, ChatOptions, Client, Connector, LiveEvent, LoginSlot, Profile,
    Profiles, StreamTarget, TokenForm, TokenStore, Watch, WatchOptions,
};
use onair_service::{Config, Running, Simulation, Storage};
use tokio::sync::Mutex;

use crate::models::{
    api_names, AppView, ChannelView, ChatEventView, ChatMessageView, CreateLiveInput, IpcError,
    LiveEventView, LiveView, ModAction, ModRecord, ObsView, ProfileInput, ProfileView, SampleView,
    SessionEventView, SessionView, Settings, StreamSessionView, UserView,
};
use crate::obs::ObsDesk;

/// The id of the built-in demo service's profile.
pub const DEMO_PROFILE: &str = "demo";

/// What the desk tells its host.
#[derive(Debug, Clone)]
pub enum DeskEvent {
    /// A browser login ended.
    LoginFinished(std::result::Result<SessionView, IpcError>),
    /// The watched live changed.
    Live(LiveEventView),
    /// On air or not, for the tray (on a change of status).
    OnAir(bool),
    /// The service ended the watched live (a desktop notification).
    ForcedEnd {
        title: String,
        reason: Option<EndReason>,
        /// What became of OBS's stream, if OBS was streaming.
        obs: Option<ObsAfterEnd>,
    },
    /// OBS's connection, stream or health changed.
    Obs(ObsView),
    /// A moderation call was made (or refused).
    Moderation(ModRecord),
}

/// Why a connection to OBS failed when OBS is just not there (yet).
const OBS_NOT_THERE: &[&str] = &[
    "obs_not_running",
    "obs_server_off",
    "obs_unreachable",
    "obs_timeout",
    "obs_closed",
];

/// OBS's stream when the service ended the live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObsAfterEnd {
    /// Still streaming (the user may stop it).
    StillStreaming,
    /// Stopped, as the settings ask.
    Stopped,
    /// The stop was asked for and failed.
    StopFailed(String),
}

type Emit = Arc<dyn Fn(DeskEvent) + Send + Sync>;
type Result<T> = std::result::Result<T, IpcError>;

/// The app's state.
pub struct Desk {
    data_dir: PathBuf,
    profiles_path: PathBuf,
    store: Arc<dyn TokenStore>,
    slot: LoginSlot,
    emit: Emit,
    state: Arc<Mutex<State>>,
    series: Series,
    /// Moderation calls made in this run, newest last (at most
    /// [`MAX_MOD_RECORDS`]).
    mod_log: std::sync::Mutex<std::collections::VecDeque<ModRecord>>,
    settings: Arc<std::sync::Mutex<Settings>>,
    obs: Arc<ObsDesk>,
    /// Bearer token of the embedded service's operator routes, when the
    /// operator chose one (`ONAIR_DEMO_ADMIN_TOKEN`); otherwise random.
    demo_admin_token: Option<String>,
    /// `--live`: the dashboard to open once logged in.
    open_live: Option<String>,
    measure_ui: bool,
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
    demo: Option<Running>,
    connector: Option<Connector>,
    client: Option<Client>,
    user: Option<User>,
    login_pending: bool,
    /// Bumped by every login started, so only the newest one's outcome
    /// reaches the screen.
    login_attempt: u64,
    /// The live the dashboard shows (the tray's copy and stop act on it)
    /// and its watcher.
    watch: Option<(String, Watch)>,
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

/// Counters of the lives watched in this run, for the chart: one sample a
/// poll, at most [`MAX_SAMPLES`] a live (about 14 h at 5 s).
type Series = Arc<
    std::sync::Mutex<std::collections::HashMap<String, std::collections::VecDeque<SampleView>>>,
>;

/// Samples kept per live.
pub const MAX_SAMPLES: usize = 10_000;

/// Moderation records kept (the oldest go first).
pub const MAX_MOD_RECORDS: usize = 10_000;

fn no_session() -> IpcError {
    IpcError::new("no_session", "log in first")
}

impl Desk {
    /// `data_dir` holds the demo service's data; `profiles_path` the
    /// profiles file.
    pub fn new(
        data_dir: &Path,
        profiles_path: &Path,
        store: Arc<dyn TokenStore>,
        emit: Emit,
    ) -> Self {
        let obs_emit = emit.clone();
        Self {
            data_dir: data_dir.to_owned(),
            profiles_path: profiles_path.to_owned(),
            obs: Arc::new(ObsDesk::new(store.clone(), move |view| {
                obs_emit(DeskEvent::Obs(view))
            })),
            store,
            slot: LoginSlot::default(),
            emit,
            state: Arc::new(Mutex::new(State::default())),
            demo_admin_token: None,
            open_live: None,
            measure_ui: false,
            series: Series::default(),
            mod_log: Default::default(),
            settings: Arc::new(std::sync::Mutex::new(read_settings(&settings_path(
                profiles_path,
            )))),
        }
    }

    /// OBS: its connection, Send, Undo, the file fallback.
    pub fn obs(&self) -> &ObsDesk {
        &self.obs
    }

    /// Streamer mode: OBS is streaming, or the setting forces it. Secrets
    /// are then shown only after an explicit confirmation.
    pub async fn streamer_mode(&self) -> bool {
        self.settings().obs.streamer_mode || self.obs.streaming().await
    }

    /// Send to OBS: a live's server and key.
    pub async fn send_to_obs(&self, live_id: &str) -> Result<ObsView> {
        let target = self.stream_target(live_id).await?;
        self.obs.send(&self.settings().obs, &target).await
    }

    /// OBS not running: a live's server and key into OBS's settings file.
    pub async fn write_obs_file(&self, live_id: &str) -> Result<String> {
        let target = self.stream_target(live_id).await?;
        self.obs.write_file(&target).await
    }

    /// Connects to OBS at start when the settings say so, and keeps trying
    /// quietly while OBS is not there (the dashboard shows why); a refused
    /// password ends the tries.
    pub async fn connect_obs_at_start(&self) {
        loop {
            let prefs = self.settings().obs;
            if !prefs.connect_at_start || self.obs.view().await.connected {
                return;
            }
            match self.obs.connect(&prefs, None).await {
                Err(e) if OBS_NOT_THERE.contains(&e.code.as_str()) => {
                    tokio::time::sleep(crate::obs::RETRY_EVERY).await;
                }
                _ => return,
            }
        }
    }

    /// Sets the embedded service's operator token (for its `/admin` routes).
    pub fn with_demo_admin_token(mut self, token: Option<String>) -> Self {
        self.demo_admin_token = token.filter(|t| t.len() >= 16);
        self
    }

    /// The live whose dashboard opens once logged in (`--live`).
    pub fn with_open_live(mut self, live_id: Option<String>) -> Self {
        self.open_live = live_id;
        self
    }

    /// Whether the page measures itself for the benchmarks (`--measure-ui`).
    pub fn with_measure_ui(mut self, on: bool) -> Self {
        self.measure_ui = on;
        self
    }

    fn profiles(&self) -> Result<Profiles> {
        Profiles::load(&self.profiles_path).map_err(IpcError::from)
    }

    /// What the UI shows at start.
    pub async fn view(&self) -> Result<AppView> {
        let profiles = self.profiles()?;
        let (active, signed_in, login_pending) = {
            let st = self.state.lock().await;
            (
                st.connector.as_ref().map(|c| profile_view(c.profile())),
                st.client.clone().zip(st.user.clone()),
                st.login_pending,
            )
        };
        // The capabilities call (first time only) runs without the lock.
        let session = match signed_in {
            Some((client, user)) => Some(session_view(&client, &user).await),
            None => None,
        };
        Ok(AppView {
            profiles: profiles.profiles.iter().map(profile_view).collect(),
            active,
            session,
            login_pending,
            open_live: self.open_live.clone(),
            measure_ui: self.measure_ui,
        })
    }

    /// Starts the embedded reference service (demo data, simulated
    /// audience) on 127.0.0.1 port 0 with TLS, pins its certificate, and
    /// restores the last login from the keyring when there is one.
    pub async fn start_demo(&self, fresh: bool) -> Result<AppView> {
        let dir = self.data_dir.join("demo-service");
        {
            let mut st = self.state.lock().await;
            if st.demo.is_none() {
                if fresh && dir.exists() {
                    std::fs::remove_dir_all(&dir)
                        .map_err(|e| IpcError::new("storage", format!("{}: {e}", dir.display())))?;
                }
                let mut config = Config::new(Storage::Dir(dir));
                config.seed_demo = true;
                config.admin_token = self.demo_admin_token.clone();
                config.simulate = Some(demo_audience());
                // The RTMP ingest on the usual port, so OBS's stream goes
                // somewhere; any free port when 1935 is taken (the live's
                // rtmpPath says which).
                config.ingest.listen = Some(([127, 0, 0, 1], 1935).into());
                let loopback = "127.0.0.1:0".parse().expect("loopback");
                let running = match Running::start(config.clone(), loopback).await {
                    Err(onair_service::StartError::Io { path, .. }) if path.starts_with("RTMP") => {
                        config.ingest.listen = Some(([127, 0, 0, 1], 0).into());
                        Running::start(config, loopback).await
                    }
                    other => other,
                }
                .map_err(|e| {
                    IpcError::new("demo", format!("the demo service did not start: {e}"))
                })?;
                tracing::info!(base_url = running.base_url(), "demo service running");
                st.demo = Some(running);
            }
        }
        let profile = {
            let st = self.state.lock().await;
            let running = st.demo.as_ref().expect("demo just started");
            let mut all = self.profiles()?;
            let mut p = all.get(DEMO_PROFILE).cloned().unwrap_or_else(|| {
                Profile::new(
                    DEMO_PROFILE,
                    "Built-in demo service",
                    running.base_url(),
                    "onair-desktop",
                )
            });
            // A new port every start: the profile follows the service.
            p.api_domain = running.base_url().to_owned();
            p.pinned_sha256 = running.fingerprint().map(str::to_owned);
            p.optional_apis = OptionalApi::ALL.to_vec();
            if fresh {
                p.last_account = None;
            }
            all.upsert(p.clone())?;
            all.set_current(Some(DEMO_PROFILE))?;
            all.save(&self.profiles_path)?;
            p
        };
        self.use_profile(profile).await
    }

    /// Adds a service from the form; the error names the field at fault.
    /// The client secret goes to the keyring, not the profiles file.
    pub async fn add_profile(&self, input: ProfileInput) -> Result<ProfileView> {
        let mut all = self.profiles()?;
        let base: String = input
            .name
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let base = if base.is_empty() || base == DEMO_PROFILE {
            "service".to_owned()
        } else {
            base.chars().take(32).collect()
        };
        let mut id = base.clone();
        let mut n = 2;
        while all.get(&id).is_some() {
            id = format!("{base}-{n}");
            n += 1;
        }
        let mut p = Profile::new(
            &id,
            input.name.trim(),
            input.api_domain.trim(),
            input.client_id.trim(),
        );
        p.token_form = match input.token_form.as_str() {
            "auto" | "" => TokenForm::Auto,
            "prism" => TokenForm::Prism,
            "rfc" => TokenForm::Rfc,
            other => {
                return Err(IpcError {
                    field: Some("tokenForm".into()),
                    ..IpcError::new("profile", format!("unknown token form {other:?}"))
                })
            }
        };
        p.optional_apis = input
            .optional_apis
            .iter()
            .filter_map(|a| OptionalApi::ALL.iter().copied().find(|o| o.as_str() == a))
            .collect();
        p.pinned_sha256 = input.pinned_sha256.filter(|s| !s.trim().is_empty());
        let secret = input.client_secret.filter(|s| !s.is_empty());
        p.has_client_secret = secret.is_some();
        p.validate()?;
        Connector::save_client_secret(self.store.clone(), &id, secret.map(Secret::new)).await?;
        all.upsert(p.clone())?;
        all.save(&self.profiles_path)?;
        Ok(profile_view(&p))
    }

    /// Switches to a saved service (the demo starts its embedded service).
    pub async fn choose_profile(&self, id: &str) -> Result<AppView> {
        if id == DEMO_PROFILE {
            return self.start_demo(false).await;
        }
        let profile = self
            .profiles()?
            .get(id)
            .cloned()
            .ok_or_else(|| IpcError::new("not_found", format!("no service {id:?}")))?;
        self.use_profile(profile).await
    }

    /// At start: back to the service in use when the app last ran (its
    /// login restored from the keyring); `None` when there was none.
    pub async fn resume(&self) -> Option<Result<AppView>> {
        let id = self.profiles().ok()?.current()?.id.clone();
        Some(self.choose_profile(&id).await)
    }

    /// Remembers the service in use, so the next start opens it again. Only
    /// a convenience: a failure is logged, never shown.
    fn remember_current(&self, id: Option<&str>) {
        if let Err(e) = update_profiles(&self.profiles_path, |all| all.set_current(id)) {
            tracing::warn!(error = %e, "current service not saved");
        }
    }

    /// Back to the service picker; the login stays stored.
    pub async fn leave_profile(&self) -> Result<AppView> {
        self.remember_current(None);
        {
            let mut st = self.state.lock().await;
            st.stop_watching();
            st.client = None;
            st.user = None;
            st.set_connector(None);
        }
        self.slot.cancel();
        (self.emit)(DeskEvent::OnAir(false));
        self.view().await
    }

    /// Makes `profile` the current service and restores its last login.
    async fn use_profile(&self, profile: Profile) -> Result<AppView> {
        self.slot.cancel();
        let connector = Connector::new(profile.clone(), self.store.clone()).await?;
        self.remember_current(Some(&profile.id));
        let restored = match &profile.last_account {
            Some(account) => match connector.restore(account).await {
                Ok(Some(client)) => match client.user().await {
                    Ok(user) => {
                        tracing::info!(profile = %profile.id, "stored login restored");
                        Some((client, user))
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "stored login not usable");
                        None
                    }
                },
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "keyring");
                    None
                }
            },
            None => None,
        };
        {
            let mut st = self.state.lock().await;
            st.stop_watching();
            st.set_connector(Some(connector));
            match restored {
                Some((client, user)) => {
                    st.client = Some(client);
                    st.user = Some(user);
                }
                None => {
                    st.client = None;
                    st.user = None;
                }
            }
        }
        self.view().await
    }

    /// Starts a browser login; returns the URL (for "copy login URL"). The
    /// outcome comes as [`DeskEvent::LoginFinished`].
    pub async fn login(&self) -> Result<String> {
        let connector = {
            let st = self.state.lock().await;
            st.connector
                .clone()
                .ok_or_else(|| IpcError::new("no_profile", "choose a service first"))?
        };
        let pending = connector.start_login(&self.slot).await?;
        let url = pending.url().to_string();
        if let Err(e) = pending.open_browser() {
            tracing::warn!(error = %e, "no browser opened; the user can copy the URL");
        }
        let attempt = {
            let mut st = self.state.lock().await;
            st.login_pending = true;
            st.login_attempt += 1;
            st.login_attempt
        };
        let state = self.state.clone();
        let emit = self.emit.clone();
        let profiles_path = self.profiles_path.clone();
        tokio::spawn(async move {
            let outcome = connector.complete_login(pending).await;
            let mut st = state.lock().await;
            // A newer login, or another service chosen meanwhile: this
            // outcome is not for the screen any more.
            let current = st.login_attempt == attempt
                && st.connector.as_ref().map(|c| &c.profile().id) == Some(&connector.profile().id);
            if !current {
                return;
            }
            st.login_pending = false;
            let result = match outcome {
                Ok(done) => match done.user {
                    Ok(user) => {
                        remember_account(
                            &profiles_path,
                            &connector.profile().id,
                            user.user_id.as_str(),
                        );
                        st.stop_watching();
                        st.client = Some(done.client.clone());
                        st.user = Some(user.clone());
                        drop(st);
                        Ok(session_view(&done.client, &user).await)
                    }
                    Err(e) => Err(e.into()),
                },
                Err(e) => Err(e.into()),
            };
            emit(DeskEvent::LoginFinished(result));
        });
        Ok(url)
    }

    pub async fn cancel_login(&self) {
        self.slot.cancel();
    }

    /// Revokes the login and forgets it (keyring entry included).
    pub async fn logout(&self) -> Result<()> {
        let client = {
            let mut st = self.state.lock().await;
            st.stop_watching();
            st.user = None;
            st.client.take()
        };
        (self.emit)(DeskEvent::OnAir(false));
        if let Some(client) = client {
            client.logout().await?;
        }
        Ok(())
    }

    async fn client(&self) -> Result<Client> {
        self.state
            .lock()
            .await
            .client
            .clone()
            .ok_or_else(no_session)
    }

    pub async fn channels(&self) -> Result<Vec<ChannelView>> {
        let list = self.client().await?.channels().await?;
        Ok(list.channels.iter().map(ChannelView::from).collect())
    }

    pub async fn lives(&self, channel_id: &str, filter: &str) -> Result<Vec<LiveView>> {
        let filter: StatusFilter = filter
            .parse()
            .map_err(|_| IpcError::new("invalid", format!("unknown filter {filter:?}")))?;
        let lives = self.client().await?.lives(channel_id, filter).await?;
        Ok(lives.iter().map(LiveView::from).collect())
    }

    pub async fn live(&self, live_id: &str) -> Result<LiveView> {
        Ok((&self.client().await?.live(live_id).await?).into())
    }

    pub async fn create_live(&self, channel_id: &str, input: CreateLiveInput) -> Result<LiveView> {
        let scope: Scope = input
            .scope
            .parse()
            .map_err(|_| IpcError::new("invalid", format!("unknown scope {:?}", input.scope)))?;
        let reserved_at = match input.reserved_at.as_deref().map(str::trim) {
            None | Some("") => Timestamp::from_millis(Timestamp::now().millis() + 20_000)
                .expect("now plus 20 s is a date"),
            Some(text) => Timestamp::parse(text)
                .ok_or_else(|| IpcError::new("invalid", "reservedAt: not a date and time"))?,
        };
        let body = CreateLive {
            title: input.title,
            reserved_at: Some(reserved_at),
            description: input.description.filter(|d| !d.trim().is_empty()),
            scope,
            ..Default::default()
        };
        Ok((&self.client().await?.create_live(channel_id, &body).await?).into())
    }

    pub async fn start_live(&self, live_id: &str) -> Result<LiveView> {
        let live = self.client().await?.start_live(live_id).await?;
        (self.emit)(DeskEvent::OnAir(crate::models::on_air(live.status)));
        Ok((&live).into())
    }

    pub async fn stop_live(&self, live_id: &str) -> Result<LiveView> {
        let live = self.client().await?.stop_live(live_id).await?;
        (self.emit)(DeskEvent::OnAir(false));
        Ok((&live).into())
    }

    /// The live's sessions, newest first (the first 50).
    pub async fn sessions(&self, live_id: &str) -> Result<Vec<StreamSessionView>> {
        let list = self.client().await?.sessions(live_id, 1, 50).await?;
        Ok(list.sessions.iter().map(StreamSessionView::from).collect())
    }

    /// A session's timeline, newest first.
    pub async fn session_events(&self, session_id: &str) -> Result<Vec<SessionEventView>> {
        let list = self.client().await?.events(session_id).await?;
        Ok(list.events.iter().map(SessionEventView::from).collect())
    }

    /// A new stream key (the service refuses while on air: 409
    /// STREAM_ACTIVE). The key itself stays here.
    pub async fn regenerate_key(&self, live_id: &str) -> Result<()> {
        self.client().await?.regenerate_key(live_id).await?;
        Ok(())
    }

    /// Watches one live for the dashboard (replacing the one before), at
    /// the spec's 5 s.
    pub async fn watch(&self, live_id: &str) -> Result<()> {
        let client = self.client().await?;
        let (watch, mut rx) = watch_live(client, live_id, WatchOptions::live());
        self.state.lock().await.watch = Some((live_id.to_owned(), watch));
        let emit = self.emit.clone();
        let series = self.series.clone();
        let (obs, settings) = (self.obs.clone(), self.settings.clone());
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                // The tray follows the status, not every poll's counters.
                let sample = match &event {
                    LiveEvent::Snapshot(l) => {
                        emit(DeskEvent::OnAir(crate::models::on_air(l.status)));
                        record(&series, l)
                    }
                    LiveEvent::Updated(l) => record(&series, l),
                    LiveEvent::StatusChanged { to, .. } => {
                        emit(DeskEvent::OnAir(crate::models::on_air(*to)));
                        None
                    }
                    LiveEvent::ForcedEnd { live, reason } => {
                        let prefs = settings.lock().expect("settings lock").obs.clone();
                        let obs = match obs.streaming().await {
                            false => None,
                            true if !prefs.stop_with_live => Some(ObsAfterEnd::StillStreaming),
                            true => Some(match obs.stop_stream(&prefs).await {
                                Ok(()) => ObsAfterEnd::Stopped,
                                Err(e) => ObsAfterEnd::StopFailed(e.message),
                            }),
                        };
                        emit(DeskEvent::ForcedEnd {
                            title: live.title.clone(),
                            reason: *reason,
                            obs,
                        });
                        None
                    }
                    _ => None,
                };
                if let Some(view) = LiveEventView::from_event(&event, sample) {
                    emit(DeskEvent::Live(view));
                }
            }
        });
        Ok(())
    }

    /// Follows a live's chat (spec §4 LIVE_CHAT_LIST) for the chat pane,
    /// replacing the chat followed before; batches arrive as
    /// `sink` (the pane's channel), each message once, in the service's
    /// order.
    pub async fn follow_chat(
        &self,
        live_id: &str,
        sink: impl Fn(ChatEventView) + Send + 'static,
    ) -> Result<()> {
        let client = self.client().await?;
        client.require(OptionalApi::LiveChatList).await?;
        let (watch, mut rx) = follow_chat(client, live_id, ChatOptions::default());
        self.state.lock().await.chat = Some(watch);
        let live_id = live_id.to_owned();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                sink(ChatEventView::from_event(&live_id, event));
            }
        });
        Ok(())
    }

    pub async fn unfollow_chat(&self) {
        self.state.lock().await.chat = None;
    }

    /// Sends a chat message (LIVE_CHAT_SEND); the service's refusal comes
    /// back as the error, the text stays with the caller.
    pub async fn send_chat(&self, live_id: &str, text: &str) -> Result<ChatMessageView> {
        let client = self.client().await?;
        let sent = client.chat_send(live_id, text).await?;
        Ok(ChatMessageView::from(&sent))
    }

    /// One moderation call (spec §4) on `user_id` (a message's `authorId`),
    /// recorded with who made it and whether the service refused it.
    pub async fn moderate(
        &self,
        live_id: &str,
        user_id: &str,
        action: ModAction,
    ) -> Result<ModRecord> {
        let (client, by) = {
            let st = self.state.lock().await;
            let client = st.client.clone().ok_or_else(no_session)?;
            let by = st
                .user
                .as_ref()
                .map(|u| u.user_name.clone())
                .unwrap_or_default();
            (client, by)
        };
        let done = match &action {
            ModAction::Delete { message_id } => client.chat_delete(live_id, message_id).await,
            ModAction::Ban => client.ban(live_id, user_id).await,
            ModAction::TimedBan { seconds } => client.timed_ban(live_id, user_id, *seconds).await,
            ModAction::Unban => client.unban(live_id, user_id).await,
            ModAction::Mod => client.grant_mod(live_id, user_id).await,
            ModAction::Unmod => client.remove_mod(live_id, user_id).await,
        };
        let mut log = self.mod_log.lock().expect("moderation log lock");
        let record = ModRecord {
            id: log.back().map_or(1, |r| r.id + 1),
            live_id: live_id.to_owned(),
            at_ms: Timestamp::now().millis(),
            by,
            user_id: user_id.to_owned(),
            action,
            error: done.err().map(IpcError::from),
        };
        if log.len() >= MAX_MOD_RECORDS {
            log.pop_front();
        }
        log.push_back(record.clone());
        drop(log);
        (self.emit)(DeskEvent::Moderation(record.clone()));
        match &record.error {
            Some(e) => Err(e.clone()),
            None => Ok(record),
        }
    }

    /// The moderation calls made on a live in this run, oldest first.
    pub fn moderation_log(&self, live_id: &str) -> Vec<ModRecord> {
        self.mod_log
            .lock()
            .expect("moderation log lock")
            .iter()
            .filter(|r| r.live_id == live_id)
            .cloned()
            .collect()
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Saves the settings (atomically, next to the profiles file).
    pub fn set_settings(&self, mut settings: Settings) -> Result<Settings> {
        settings.tidy();
        settings.check()?;
        let path = settings_path(&self.profiles_path);
        let text = serde_json::to_string_pretty(&settings).expect("settings serialise");
        let tmp = path.with_extension("json.tmp");
        let io = |e: std::io::Error| IpcError::new("storage", format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        *self.settings.lock().expect("settings lock") = settings.clone();
        Ok(settings)
    }

    /// The counters seen for a live since onair started watching it.
    pub fn series(&self, live_id: &str) -> Vec<SampleView> {
        self.series
            .lock()
            .expect("series lock")
            .get(live_id)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    pub async fn unwatch(&self) {
        let mut st = self.state.lock().await;
        st.stop_watching();
    }

    /// The live the dashboard shows, if any.
    pub async fn watched(&self) -> Option<String> {
        self.state
            .lock()
            .await
            .watch
            .as_ref()
            .map(|(id, _)| id.clone())
    }

    /// Server and key of a live (for the clipboard; never sent to the UI).
    pub async fn stream_target(&self, live_id: &str) -> Result<StreamTarget> {
        let live = self.client().await?.live(live_id).await?;
        Ok(StreamTarget::from_rtmp_path(&live.rtmp_path)?)
    }

    /// Stops the embedded service cleanly (at quit).
    pub async fn shutdown(&self) {
        let demo = {
            let mut st = self.state.lock().await;
            st.stop_watching();
            st.demo.take()
        };
        if let Some(demo) = demo {
            if let Err(e) = demo.stop().await {
                tracing::warn!(error = %e, "demo service stop");
            }
        }
    }
}

/// The demo service's simulated audience: a lively chat, moving once a
/// second (the app polls every few seconds; finer steps would only cost CPU).
pub fn demo_audience() -> Simulation {
    Simulation {
        chat_rate: 1.5,
        tick: Duration::from_secs(1),
        ..Simulation::default()
    }
}

fn settings_path(profiles_path: &Path) -> PathBuf {
    profiles_path.with_file_name("settings.json")
}

/// The saved settings; defaults when there are none or they do not parse
/// (a bad file is left for the user, and replaced on the next save).
fn read_settings(path: &Path) -> Settings {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<Settings>(&text)
            .map(Settings::sanitized)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, path = %path.display(), "settings not readable; using defaults");
                Settings::default()
            }),
        Err(_) => Settings::default(),
    }
}

/// Appends a poll's counters while the live is on air; returns the sample
/// (the dashboard's chart takes the same one).
fn record(series: &Series, live: &onair_api::Live) -> Option<SampleView> {
    let (Some(stat), onair_api::LiveStatus::OnAir) = (&live.live_stat, live.status) else {
        return None;
    };
    let sample = SampleView {
        at_ms: Timestamp::now().millis(),
        viewers: stat.viewer_count,
        likes: stat.like_count,
        chats: stat.chat_count,
    };
    let mut all = series.lock().expect("series lock");
    let s = all.entry(live.live_id.to_string()).or_default();
    if s.len() == MAX_SAMPLES {
        s.pop_front();
    }
    s.push_back(sample);
    Some(sample)
}

fn profile_view(p: &Profile) -> ProfileView {
    ProfileView {
        id: p.id.clone(),
        name: p.name.clone(),
        api_domain: p.api_domain.clone(),
        demo: p.id == DEMO_PROFILE,
    }
}

async fn session_view(client: &Client, user: &User) -> SessionView {
    let apis = client.optional_apis().await.unwrap_or_default();
    SessionView {
        profile: profile_view(client.profile()),
        user: UserView::from(user),
        optional_apis: api_names(&apis),
    }
}

/// Notes the account in the profile (not a secret) so the next start can
/// restore its login from the keyring.
fn remember_account(path: &Path, profile_id: &str, account: &str) {
    let noted = update_profiles(path, |all| match all.get(profile_id).cloned() {
        Some(mut p) => {
            p.last_account = Some(account.to_owned());
            all.upsert(p)
        }
        None => Ok(()),
    });
    if let Err(e) = noted {
        tracing::warn!(error = %e, "could not remember the account");
    }
}

/// Reads the profiles file, changes it, and writes it back when the change
/// changed something.
fn update_profiles(
    path: &Path,
    change: impl FnOnce(&mut Profiles) -> onair_client::Result<()>,
) -> onair_client::Result<()> {
    let mut all = Profiles::load(path)?;
    let before = all.clone();
    change(&mut all)?;
    if all != before {
        all.save(path)?;
    }
    Ok(())
}
