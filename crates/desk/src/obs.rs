//! The app's OBS side, without Tauri types: where OBS listens (settings)
//! and its password (OS keyring), the connection and what it reports
//! (OBS's stream state for streamer mode and the tray, its health for the
//! dashboard), Send / Undo, and the `service.json` fallback. The protocol
//! and the files are onair-client's (`onair_client::obs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use onair_api::Secret;
use onair_client::obs::files::{self, ObsFiles};
use onair_client::obs::{
    Endpoint, Obs, ObsError, ObsEvent, OutputState, ServiceSettings, TEST_CLOCK,
};
use onair_client::{Credentials, StreamTarget, TokenStore};
use tokio::sync::{mpsc, Mutex};

use serde::Serialize;
use ts_rs::TS;

use crate::error::{joined, Error, Result};
use crate::settings::ObsPrefs;

/// The keyring "profile" of OBS passwords, one entry per `host:port`
/// (profile ids cannot hold ':', so no profile's entry can clash).
pub const OBS_ENTRY: &str = ":obs";

/// How often OBS's stream is asked about while it streams.
const HEALTH_EVERY: Duration = Duration::from_secs(2);
/// How often a lost connection is tried again (not after a kick).
pub const RETRY_EVERY: Duration = Duration::from_secs(10);

type Emit = Arc<dyn Fn(ObsStatus) + Send + Sync>;

/// OBS's stream as the dashboard names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ObsState {
    /// Not connected.
    #[default]
    Off,
    Idle,
    Starting,
    Live,
    Reconnecting,
    Stopping,
}

impl From<OutputState> for ObsState {
    fn from(state: OutputState) -> Self {
        match state {
            OutputState::Starting => ObsState::Starting,
            OutputState::Started | OutputState::Reconnected => ObsState::Live,
            OutputState::Reconnecting => ObsState::Reconnecting,
            OutputState::Stopping => ObsState::Stopping,
            OutputState::Stopped | OutputState::Other => ObsState::Idle,
        }
    }
}

/// OBS as the app sees it, with the desk's [`Error`] as its problem.
pub type ObsStatus = ObsReport<Error>;

/// OBS as the app sees it: the connection, OBS's stream, its health.
/// `P` is what a problem is told as: the desk's [`Error`] here, the
/// app's IPC error at the edge ([`ObsReport::map_problem`]).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ObsReport<P> {
    pub connected: bool,
    /// `host:port`.
    pub endpoint: String,
    /// obs-websocket's version.
    pub version: Option<String>,
    /// OBS is streaming (`outputActive`): streamer mode is on.
    pub streaming: bool,
    pub state: ObsState,
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
    pub problem: Option<P>,
}

impl<P> Default for ObsReport<P> {
    fn default() -> Self {
        Self {
            connected: false,
            endpoint: String::new(),
            version: None,
            streaming: false,
            state: ObsState::Off,
            reconnects: 0,
            bitrate_kbps: None,
            congestion: 0.0,
            dropped_frames: 0,
            total_frames: 0,
            can_undo: false,
            problem: None,
        }
    }
}

impl<P> ObsReport<P> {
    /// Not connected to OBS at `endpoint`, and why (when there is a why).
    pub fn offline(endpoint: &impl std::fmt::Display, problem: Option<P>) -> Self {
        Self {
            endpoint: endpoint.to_string(),
            problem,
            ..Self::default()
        }
    }

    /// The same status with its problem told as `f` tells it.
    pub fn map_problem<Q>(&self, f: impl FnOnce(&P) -> Q) -> ObsReport<Q> {
        ObsReport {
            connected: self.connected,
            endpoint: self.endpoint.clone(),
            version: self.version.clone(),
            streaming: self.streaming,
            state: self.state,
            reconnects: self.reconnects,
            bitrate_kbps: self.bitrate_kbps,
            congestion: self.congestion,
            dropped_frames: self.dropped_frames,
            total_frames: self.total_frames,
            can_undo: self.can_undo,
            problem: self.problem.as_ref().map(f),
        }
    }
}

fn endpoint(p: &ObsPrefs) -> Endpoint {
    Endpoint {
        host: p.host.clone(),
        port: p.port,
    }
}

/// The OBS side of the app.
pub struct ObsDesk {
    store: Arc<dyn TokenStore>,
    emit: Emit,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for ObsDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObsDesk").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inner {
    obs: Option<Obs>,
    /// What Send replaced, for Undo.
    undo: Option<ServiceSettings>,
    view: ObsStatus,
    /// The task following the connection (events, health, reconnects).
    task: Option<tokio::task::AbortHandle>,
    /// The test scene's clock, while it runs.
    clock: Option<tokio::task::AbortHandle>,
}

impl Inner {
    fn drop_connection(&mut self) {
        for t in [self.task.take(), self.clock.take()].into_iter().flatten() {
            t.abort();
        }
        self.obs = None;
    }
}

impl ObsDesk {
    pub fn new(
        store: Arc<dyn TokenStore>,
        emit: impl Fn(ObsStatus) + Send + Sync + 'static,
    ) -> Self {
        Self {
            store,
            emit: Arc::new(emit),
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    /// What the UI shows of OBS now.
    pub async fn view(&self) -> ObsStatus {
        self.inner.lock().await.view.clone()
    }

    /// Whether OBS is streaming (streamer mode).
    pub async fn streaming(&self) -> bool {
        self.inner.lock().await.view.streaming
    }

    async fn password(&self, ep: &Endpoint) -> Result<Option<Secret>> {
        load_password(self.store.clone(), ep).await
    }

    async fn save_password(&self, ep: &Endpoint, password: Secret) -> Result<()> {
        let (store, account) = (self.store.clone(), ep.to_string());
        tokio::task::spawn_blocking(move || {
            store.save(
                OBS_ENTRY,
                &account,
                &Credentials {
                    password: Some(password),
                    ..Credentials::default()
                },
            )
        })
        .await
        .map_err(joined)??;
        Ok(())
    }

    /// Connects to OBS (replacing a connection before). `password`, when
    /// given, is tried and, once OBS took it, kept in the OS keyring;
    /// otherwise the kept one is used.
    pub async fn connect(&self, prefs: &ObsPrefs, password: Option<String>) -> Result<ObsStatus> {
        let ep = endpoint(prefs);
        let given = password.filter(|p| !p.is_empty()).map(Secret::new);
        let password = match given.clone() {
            Some(p) => Some(p),
            None => self.password(&ep).await?,
        };
        self.inner.lock().await.drop_connection();
        let connected = Obs::connect(&ep, password.as_ref()).await;
        let (obs, events) = match connected {
            Ok(ok) => ok,
            Err(e) => {
                let view = {
                    let mut inner = self.inner.lock().await;
                    inner.view = ObsStatus::offline(&ep, Some(e.clone().into()));
                    inner.view.clone()
                };
                (self.emit)(view);
                return Err(e.into());
            }
        };
        if let Some(p) = given {
            self.save_password(&ep, p).await?;
        }
        let view = self.adopt(&ep, obs, events).await;
        Ok(view)
    }

    /// Takes a fresh connection: its first status, then a task following it.
    async fn adopt(
        &self,
        ep: &Endpoint,
        obs: Obs,
        events: mpsc::UnboundedReceiver<ObsEvent>,
    ) -> ObsStatus {
        let active = obs.stream_status().await.unwrap_or_default().active;
        let view = {
            let mut inner = self.inner.lock().await;
            inner.view = connected_view(ep, &obs, active, inner.undo.is_some());
            inner.obs = Some(obs.clone());
            let task = tokio::spawn(follow(
                Arc::downgrade(&self.inner),
                self.emit.clone(),
                self.store.clone(),
                ep.clone(),
                obs,
                events,
            ));
            inner.task = Some(task.abort_handle());
            inner.view.clone()
        };
        (self.emit)(view.clone());
        view
    }

    /// Closes the connection (no reconnects until the next connect).
    pub async fn disconnect(&self, prefs: &ObsPrefs) {
        let view = {
            let mut inner = self.inner.lock().await;
            inner.drop_connection();
            inner.view = ObsStatus::offline(&endpoint(prefs), None);
            inner.view.clone()
        };
        (self.emit)(view);
    }

    /// The connection, opened on demand with the kept password.
    async fn obs(&self, prefs: &ObsPrefs) -> Result<Obs> {
        if let Some(obs) = self.inner.lock().await.obs.clone() {
            return Ok(obs);
        }
        self.connect(prefs, None).await?;
        self.inner
            .lock()
            .await
            .obs
            .clone()
            .ok_or_else(|| ObsError::Closed("the connection ended".into()).into())
    }

    /// Send to OBS: the live's server and key, read back; what was there
    /// before is kept for Undo.
    pub async fn send(&self, prefs: &ObsPrefs, target: &StreamTarget) -> Result<ObsStatus> {
        let obs = self.obs(prefs).await?;
        let previous = obs.send_target(target).await.map_err(Error::from)?;
        let view = {
            let mut inner = self.inner.lock().await;
            // Undo goes back to what OBS had before onair's first send.
            if inner.undo.is_none() {
                inner.undo = Some(previous);
            }
            inner.view.can_undo = true;
            inner.view.problem = None;
            inner.view.clone()
        };
        (self.emit)(view.clone());
        Ok(view)
    }

    /// Undo: OBS's stream settings as they were before Send.
    pub async fn undo(&self, prefs: &ObsPrefs) -> Result<ObsStatus> {
        let Some(previous) = self.inner.lock().await.undo.clone() else {
            return Err(Error::NothingToUndo);
        };
        let obs = self.obs(prefs).await?;
        obs.restore(&previous).await.map_err(Error::from)?;
        let view = {
            let mut inner = self.inner.lock().await;
            inner.undo = None;
            inner.view.can_undo = false;
            inner.view.clone()
        };
        (self.emit)(view.clone());
        Ok(view)
    }

    /// OBS not running: the server and key into its current profile's
    /// `service.json` (a `.bak` of the old one). Returns the file's path.
    pub async fn write_file(&self, target: &StreamTarget) -> Result<String> {
        let target = target.clone();
        tokio::task::spawn_blocking(move || {
            let files = ObsFiles::find()?;
            files
                .send_target(&target, files::obs_running())
                .map(|p| p.display().to_string())
        })
        .await
        .map_err(joined)?
        .map_err(Error::from)
    }

    /// Stops OBS's stream (the service ended the live while OBS streams).
    pub async fn stop_stream(&self, prefs: &ObsPrefs) -> Result<()> {
        let obs = self.obs(prefs).await?;
        obs.stop_stream().await.map_err(Error::from)
    }

    /// Sends `target` to OBS and (re)starts its stream with it: a stream
    /// running is stopped first and waited for (OBS keeps its server and
    /// key while it streams).
    pub async fn restream(&self, prefs: &ObsPrefs, target: &StreamTarget) -> Result<ObsStatus> {
        let obs = self.obs(prefs).await?;
        if obs.stream_status().await?.active {
            obs.stop_stream().await?;
            let deadline = Instant::now() + STOP_WAIT;
            while obs.stream_status().await?.active {
                if Instant::now() > deadline {
                    return Err(ObsError::Streaming.into());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        let status = self.send(prefs, target).await?;
        obs.start_stream().await?;
        Ok(status)
    }
}

impl ObsDesk {
    /// Makes OBS's test scene (a colour card and a clock, for a first
    /// stream with nothing to show yet, and for the delay end to end) and
    /// keeps its clock on the local time, once a second, while this
    /// connection lasts and the clock's source is there.
    pub async fn test_scene(&self, prefs: &ObsPrefs) -> Result<()> {
        let obs = self.obs(prefs).await?;
        obs.set_up_test_scene(&clock_text()).await?;
        let clock = tokio::spawn(async move {
            loop {
                // On the next whole second.
                let into = chrono::Local::now().timestamp_subsec_millis().min(999);
                tokio::time::sleep(Duration::from_millis(u64::from(1000 - into))).await;
                if obs.show_text(TEST_CLOCK, &clock_text()).await.is_err() {
                    return;
                }
            }
        });
        if let Some(old) = self.inner.lock().await.clock.replace(clock.abort_handle()) {
            old.abort();
        }
        Ok(())
    }
}

fn clock_text() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

/// How long a stop of OBS's stream may take before a restream gives up.
const STOP_WAIT: Duration = Duration::from_secs(15);

/// The OBS password kept for `ep` (the keyring talks D-Bus: off the
/// runtime's threads).
async fn load_password(store: Arc<dyn TokenStore>, ep: &Endpoint) -> Result<Option<Secret>> {
    let account = ep.to_string();
    let creds = tokio::task::spawn_blocking(move || store.load(OBS_ENTRY, &account))
        .await
        .map_err(joined)??;
    Ok(creds.and_then(|c| c.password))
}

/// A fresh connection's view: OBS streaming (`active`) or not.
fn connected_view(ep: &Endpoint, obs: &Obs, active: bool, can_undo: bool) -> ObsStatus {
    ObsStatus {
        connected: true,
        endpoint: ep.to_string(),
        version: Some(obs.version().to_owned()),
        streaming: active,
        state: if active {
            ObsState::Live
        } else {
            ObsState::Idle
        },
        can_undo,
        ..ObsStatus::default()
    }
}

/// Follows one connection: OBS's stream events, its health every
/// [`HEALTH_EVERY`] while it streams, and after a lost connection tries
/// again every [`RETRY_EVERY`], except after a kick (4011).
async fn follow(
    inner: std::sync::Weak<Mutex<Inner>>,
    emit: Emit,
    store: Arc<dyn TokenStore>,
    ep: Endpoint,
    mut obs: Obs,
    mut events: mpsc::UnboundedReceiver<ObsEvent>,
) {
    let mut tick = tokio::time::interval(HEALTH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<(Instant, u64)> = None;
    loop {
        tokio::select! {
            event = events.recv() => {
                let why = match event {
                    Some(ObsEvent::Stream { active, state }) => {
                        let Some(inner) = inner.upgrade() else { return };
                        let view = {
                            let mut inner = inner.lock().await;
                            let v = &mut inner.view;
                            // A stream reconnecting (its server went away:
                            // the service ended the live, a network blip)
                            // is still OBS's stream: streamer mode stays on,
                            // and "stop with the live" stops it.
                            v.streaming = active || state == OutputState::Reconnecting;
                            v.state = state.into();
                            if state == OutputState::Reconnecting {
                                v.reconnects += 1;
                            }
                            if !active {
                                v.bitrate_kbps = None;
                                last = None;
                            }
                            v.clone()
                        };
                        emit(view);
                        continue;
                    }
                    Some(ObsEvent::Closed(why)) => why,
                    None => ObsError::Closed("the connection ended".into()),
                };
                let kicked = why == ObsError::Kicked;
                {
                    let Some(inner) = inner.upgrade() else { return };
                    let view = {
                        let mut inner = inner.lock().await;
                        inner.obs = None;
                        inner.view = ObsStatus::offline(&ep, Some(why.into()));
                        inner.view.clone()
                    };
                    emit(view);
                }
                if kicked {
                    return;
                }
                // Try again now and then, quietly, with the kept password.
                loop {
                    tokio::time::sleep(RETRY_EVERY).await;
                    let password = load_password(store.clone(), &ep).await.ok().flatten();
                    if let Ok((fresh, fresh_events)) = Obs::connect(&ep, password.as_ref()).await {
                        let Some(inner) = inner.upgrade() else { return };
                        let active = fresh.stream_status().await.unwrap_or_default().active;
                        let view = {
                            let mut inner = inner.lock().await;
                            inner.obs = Some(fresh.clone());
                            inner.view = connected_view(&ep, &fresh, active, inner.undo.is_some());
                            inner.view.clone()
                        };
                        emit(view);
                        obs = fresh;
                        events = fresh_events;
                        break;
                    }
                }
            }
            _ = tick.tick() => {
                let Some(inner) = inner.upgrade() else { return };
                if !inner.lock().await.view.streaming {
                    continue;
                }
                let Ok(status) = obs.stream_status().await else { continue };
                let now = Instant::now();
                let bitrate = last
                    .filter(|(at, bytes)| status.bytes >= *bytes && now > *at)
                    .map(|(at, bytes)| {
                        (status.bytes - bytes) as f64 * 8.0 / 1000.0 / (now - at).as_secs_f64()
                    });
                last = Some((now, status.bytes));
                let view = {
                    let mut inner = inner.lock().await;
                    let v = &mut inner.view;
                    v.bitrate_kbps = bitrate.map(|b| b.round());
                    v.congestion = status.congestion;
                    v.dropped_frames = status.skipped_frames;
                    v.total_frames = status.total_frames;
                    if status.reconnecting {
                        v.state = ObsState::Reconnecting;
                    }
                    v.clone()
                };
                emit(view);
            }
        }
    }
}

impl crate::Desk {
    /// Send to OBS: a live's server and key.
    pub async fn send_to_obs(&self, live_id: &str) -> Result<ObsStatus> {
        let target = self.stream_target(live_id).await?;
        self.obs.send(&self.settings().obs, &target).await
    }

    /// "Send to OBS again": the live's server and key into OBS, its stream
    /// stopped first when it runs, then started (the UI asks first).
    pub async fn resend_to_obs(&self, live_id: &str) -> Result<ObsStatus> {
        let target = self.stream_target(live_id).await?;
        self.obs.restream(&self.settings().obs, &target).await
    }

    /// OBS's test scene: a colour card and a clock on program.
    pub async fn obs_test_scene(&self) -> Result<()> {
        self.obs.test_scene(&self.settings().obs).await
    }

    /// OBS not running: a live's server and key into OBS's settings file.
    /// Returns the file's path.
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
                Err(e) if e.obs_absent() => tokio::time::sleep(crate::obs::RETRY_EVERY).await,
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::{SinkExt, StreamExt};
    use onair_client::MemoryStore;
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::Message;

    use super::*;

    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

    /// Answers the handshake with obs-websocket's subprotocol.
    #[allow(clippy::result_large_err)] // the callback's signature is tungstenite's
    fn with_subprotocol(
        _: &Request,
        mut resp: Response,
    ) -> std::result::Result<Response, ErrorResponse> {
        resp.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "obswebsocket.json".parse().expect("a header value"),
        );
        Ok(resp)
    }

    /// A stand-in for OBS's WebSocket server (obs-websocket 5, no
    /// password) that answers one request, then closes with `code`.
    /// Returns its port and how many connections it took.
    async fn closing_obs(code: u16) -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let taken = Arc::new(AtomicUsize::new(0));
        let count = taken.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut ws = tokio_tungstenite::accept_hdr_async(tcp, with_subprotocol)
                        .await
                        .unwrap();
                    let send = |v: Value| Message::text(v.to_string());
                    ws.send(send(
                        json!({"op": 0, "d": {"obsWebSocketVersion": "5.1.0", "rpcVersion": 1}}),
                    ))
                    .await
                    .unwrap();
                    let _identify = ws.next().await;
                    ws.send(send(json!({"op": 2, "d": {"negotiatedRpcVersion": 1}})))
                        .await
                        .unwrap();
                    // GetStreamStatus: not streaming.
                    if let Some(Ok(Message::Text(t))) = ws.next().await {
                        let r: Value = serde_json::from_str(t.as_str()).unwrap();
                        ws.send(send(json!({"op": 7, "d": {
                            "requestType": r["d"]["requestType"], "requestId": r["d"]["requestId"],
                            "requestStatus": {"result": true, "code": 100},
                            "responseData": {"outputActive": false}}})))
                            .await
                            .unwrap();
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let _ = ws
                        .close(Some(CloseFrame {
                            code: CloseCode::from(code),
                            reason: "".into(),
                        }))
                        .await;
                });
            }
        });
        (port, taken)
    }

    async fn desk_on(port: u16) -> (ObsDesk, ObsPrefs) {
        let desk = ObsDesk::new(Arc::new(MemoryStore::default()), |_| {});
        let prefs = ObsPrefs {
            port,
            ..ObsPrefs::default()
        };
        desk.connect(&prefs, None).await.unwrap();
        (desk, prefs)
    }

    async fn problem_becomes(desk: &ObsDesk, want: fn(&ObsError) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let v = desk.view().await;
            if matches!(&v.problem, Some(Error::Obs(e)) if want(e)) {
                assert!(!v.connected && v.state == ObsState::Off, "{v:?}");
                return;
            }
            assert!(Instant::now() < deadline, "{v:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn a_session_kicked_from_obs_is_not_reconnected_but_a_lost_one_is() {
        let (kick_port, kicked) = closing_obs(4011).await;
        let (lost_port, lost) = closing_obs(1001).await;
        let (kicked_desk, _) = desk_on(kick_port).await;
        let (lost_desk, _) = desk_on(lost_port).await;
        problem_becomes(&kicked_desk, |e| *e == ObsError::Kicked).await;
        problem_becomes(&lost_desk, |e| matches!(e, ObsError::Closed(_))).await;
        tokio::time::sleep(RETRY_EVERY + Duration::from_secs(2)).await;
        assert_eq!(
            kicked.load(Ordering::SeqCst),
            1,
            "a kicked session came back"
        );
        assert!(
            lost.load(Ordering::SeqCst) >= 2,
            "a lost session was not tried again"
        );
    }
}
