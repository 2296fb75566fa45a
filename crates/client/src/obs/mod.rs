//! OBS Studio: hand it the stream's server and key over obs-websocket 5
//! (OBS 28 and later carry it), watch its stream, and, when OBS is not
//! running, write the key into its profile's `service.json` instead.
//!
//! - [`Obs::connect`]: Hello / Identify with the password (protocol.rs),
//!   then requests by id and the Outputs events. What went wrong is said
//!   in words ([`ObsError`]): OBS not running, its WebSocket server off,
//!   the password wrong or missing, an RPC version onair does not speak.
//! - [`Obs::send_target`]: refuses while OBS streams, keeps the current
//!   stream service settings for Undo, sets `rtmp_custom` `{server, key}`,
//!   reads them back and says it worked only if they match.
//! - [`files`]: the `service.json` fallback, with a `.bak`.
//! - [`protocol`]: the messages, the authentication string, the close
//!   codes; `testing` (feature `testing`): real OBS Studio for tests.
//!
//! Source: the obs-websocket 5.x protocol document (see protocol.rs); the
//! requests used are GetStreamStatus, GetStreamServiceSettings,
//! SetStreamServiceSettings, StartStream and StopStream, and the event
//! StreamStateChanged.

pub mod files;
pub mod protocol;
#[cfg(feature = "testing")]
pub mod testing;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use onair_api::Secret;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::ingest::StreamTarget;
use protocol::{close, op, status};

/// How long OBS has to accept the connection, to say hello, and to answer
/// a request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The scene [`Obs::set_up_test_scene`] makes, and its inputs.
pub const TEST_SCENE: &str = "onair test";
pub const TEST_CLOCK: &str = "onair clock";
const TEST_CARD: &str = "onair colour";
/// Text sources by platform: FreeType 2 (Linux, macOS), GDI+ (Windows).
const TEXT_KINDS: [&str; 3] = ["text_ft2_source_v2", "text_gdiplus_v3", "text_gdiplus_v2"];

/// Where OBS's WebSocket server listens (OBS's defaults: 127.0.0.1:4455).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Default for Endpoint {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 4455,
        }
    }
}

impl Endpoint {
    fn is_local(&self) -> bool {
        matches!(
            self.host.as_str(),
            "127.0.0.1" | "localhost" | "::1" | "[::1]"
        )
    }

    fn url(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("ws://[{}]:{}", self.host, self.port)
        } else {
            format!("ws://{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// What can go wrong with OBS, in words a streamer can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObsError {
    #[error("OBS is not running (nothing answers on {0})")]
    NotRunning(String),
    #[error("OBS is running, but its WebSocket server is off: turn it on in OBS under Tools → WebSocket Server Settings (port {0})")]
    ServerOff(u16),
    #[error("nothing answers on {0}: is OBS running there, with its WebSocket server on (Tools → WebSocket Server Settings)?")]
    Unreachable(String),
    #[error("OBS asks for a password: enter the one shown in OBS under Tools → WebSocket Server Settings → Show Connect Info")]
    PasswordNeeded,
    #[error("OBS refused the password: check it in OBS under Tools → WebSocket Server Settings → Show Connect Info")]
    WrongPassword,
    #[error("this OBS does not speak obs-websocket RPC version {v}, the one onair speaks: use OBS 28 or later", v = protocol::RPC_VERSION)]
    UnsupportedRpc,
    #[error("OBS closed onair's session (it was removed in OBS's WebSocket session list); connect again when you want it back")]
    Kicked,
    #[error("OBS closed the connection ({0})")]
    Closed(String),
    #[error("OBS did not answer in time")]
    Timeout,
    #[error("OBS is streaming: stop the stream in OBS first (its server and key cannot change while it streams)")]
    Streaming,
    #[error("OBS refused {request}: {comment} (code {code})")]
    Refused {
        request: String,
        code: u16,
        comment: String,
    },
    #[error("OBS did not keep the stream settings: it reads back {0}")]
    Mismatch(String),
    #[error("OBS answered something onair does not understand: {0}")]
    Protocol(String),
    #[error("OBS's settings were not found (looked in {0})")]
    NoConfig(String),
    #[error("OBS is running: it rewrites service.json when it quits. Use Send to OBS (its WebSocket server), or quit OBS first")]
    RunningForFile,
    #[error("OBS's settings: {0}")]
    File(String),
}

impl ObsError {
    /// A stable name for the app and the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            ObsError::NotRunning(_) => "obs_not_running",
            ObsError::ServerOff(_) => "obs_server_off",
            ObsError::Unreachable(_) => "obs_unreachable",
            ObsError::PasswordNeeded => "obs_password_needed",
            ObsError::WrongPassword => "obs_wrong_password",
            ObsError::UnsupportedRpc => "obs_unsupported_rpc",
            ObsError::Kicked => "obs_kicked",
            ObsError::Closed(_) => "obs_closed",
            ObsError::Timeout => "obs_timeout",
            ObsError::Streaming => "obs_streaming",
            ObsError::Refused { .. } => "obs_refused",
            ObsError::Mismatch(_) => "obs_mismatch",
            ObsError::Protocol(_) => "obs_protocol",
            ObsError::NoConfig(_) => "obs_no_config",
            ObsError::RunningForFile => "obs_running",
            ObsError::File(_) => "obs_file",
        }
    }

    /// The error a close frame stands for (WebSocketCloseCode).
    fn from_close(frame: Option<&CloseFrame>) -> Self {
        match frame.map(|f| u16::from(f.code)) {
            Some(close::AUTHENTICATION_FAILED) => ObsError::WrongPassword,
            Some(close::UNSUPPORTED_RPC_VERSION) => ObsError::UnsupportedRpc,
            Some(close::SESSION_INVALIDATED) => ObsError::Kicked,
            Some(code) => ObsError::Closed(format!(
                "code {code}: {}",
                frame.map(|f| f.reason.as_str()).unwrap_or_default()
            )),
            None => ObsError::Closed("without a reason".into()),
        }
    }
}

type Result<T, E = ObsError> = std::result::Result<T, E>;

/// What OBS says about its stream (GetStreamStatus).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamStatus {
    pub active: bool,
    pub reconnecting: bool,
    /// 0.0 (none) to 1.0.
    pub congestion: f64,
    pub bytes: u64,
    pub skipped_frames: u64,
    pub total_frames: u64,
    pub duration_ms: u64,
}

impl StreamStatus {
    fn from_json(v: &Value) -> Self {
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        Self {
            active: v["outputActive"].as_bool().unwrap_or(false),
            reconnecting: v["outputReconnecting"].as_bool().unwrap_or(false),
            congestion: v["outputCongestion"].as_f64().unwrap_or(0.0),
            bytes: n("outputBytes"),
            skipped_frames: n("outputSkippedFrames"),
            total_frames: n("outputTotalFrames"),
            duration_ms: n("outputDuration"),
        }
    }
}

/// OBS's stream output state, from StreamStateChanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputState {
    Starting,
    Started,
    Reconnecting,
    Reconnected,
    Stopping,
    Stopped,
    Other,
}

impl OutputState {
    fn parse(s: &str) -> Self {
        match s {
            "OBS_WEBSOCKET_OUTPUT_STARTING" => Self::Starting,
            "OBS_WEBSOCKET_OUTPUT_STARTED" => Self::Started,
            "OBS_WEBSOCKET_OUTPUT_RECONNECTING" => Self::Reconnecting,
            "OBS_WEBSOCKET_OUTPUT_RECONNECTED" => Self::Reconnected,
            "OBS_WEBSOCKET_OUTPUT_STOPPING" => Self::Stopping,
            "OBS_WEBSOCKET_OUTPUT_STOPPED" => Self::Stopped,
            _ => Self::Other,
        }
    }
}

/// What the connection reports besides answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ObsEvent {
    /// StreamStateChanged: `active` is `outputActive`.
    Stream { active: bool, state: OutputState },
    /// The connection ended: by OBS (quit, [`ObsError::Kicked`], ...) or
    /// the network.
    Closed(ObsError),
}

/// A stream service's settings in OBS (type and settings object), as read
/// before a change so that Undo can put them back. The settings may hold
/// another service's key: never shown in Debug.
#[derive(Clone, PartialEq)]
pub struct ServiceSettings {
    pub kind: String,
    pub settings: Value,
}

impl fmt::Debug for ServiceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&String> = self
            .settings
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        f.debug_struct("ServiceSettings")
            .field("kind", &self.kind)
            .field("settings", &keys)
            .finish()
    }
}

impl ServiceSettings {
    /// `rtmp_custom` with the target's server and key.
    pub fn custom(target: &StreamTarget) -> Self {
        Self {
            kind: "rtmp_custom".into(),
            settings: json!({"server": target.server, "key": target.key.expose()}),
        }
    }

    /// Whether these settings send the stream to `target`.
    pub fn sends_to(&self, target: &StreamTarget) -> bool {
        self.kind == "rtmp_custom"
            && self.settings["server"].as_str() == Some(target.server.as_str())
            && self.settings["key"].as_str() == Some(target.key.expose())
    }

    /// What differs from `target`, in words without the key.
    fn difference(&self, target: &StreamTarget) -> String {
        if self.kind != "rtmp_custom" {
            format!("the service type {:?}", self.kind)
        } else if self.settings["server"].as_str() != Some(target.server.as_str()) {
            format!("another server ({:?})", self.settings["server"])
        } else {
            "another stream key".into()
        }
    }
}

type Pending = HashMap<String, oneshot::Sender<Result<Value>>>;

struct Shared {
    out: mpsc::UnboundedSender<Message>,
    pending: Mutex<Pending>,
    next_id: AtomicU64,
    /// Why the connection ended, once it has.
    closed: Mutex<Option<ObsError>>,
}

/// A connection to OBS. Cloning shares it; it closes when the last clone
/// is dropped (or OBS closes it).
#[derive(Clone)]
pub struct Obs {
    shared: Arc<Shared>,
    version: String,
    _task: Arc<TaskGuard>,
}

impl fmt::Debug for Obs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Obs")
            .field("obs_websocket", &self.version)
            .finish_non_exhaustive()
    }
}

/// Stops the connection's task when the last [`Obs`] goes.
struct TaskGuard(tokio::task::AbortHandle);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Obs {
    /// Connects and identifies ("Connecting to obs-websocket"). Events
    /// (the stream's state, the end of the connection) arrive on the
    /// returned receiver.
    pub async fn connect(
        endpoint: &Endpoint,
        password: Option<&Secret>,
    ) -> Result<(Self, mpsc::UnboundedReceiver<ObsEvent>)> {
        let mut request = endpoint
            .url()
            .into_client_request()
            .map_err(|e| ObsError::Protocol(format!("address: {e}")))?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(protocol::SUBPROTOCOL),
        );
        let connected =
            tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(request))
                .await
                .map_err(|_| ObsError::Timeout)?;
        let (mut socket, _) = connected.map_err(|e| unreachable_error(endpoint, &e))?;

        let hello: protocol::Hello = match next_message(&mut socket).await? {
            m if m.op == op::HELLO => serde_json::from_value(m.d)
                .map_err(|e| ObsError::Protocol(format!("Hello: {e}")))?,
            m => return Err(ObsError::Protocol(format!("OpCode {} before Hello", m.op))),
        };
        if hello.rpc_version < protocol::RPC_VERSION {
            return Err(ObsError::UnsupportedRpc);
        }
        let authentication = match (&hello.authentication, password) {
            (None, _) => None,
            (Some(_), None) => return Err(ObsError::PasswordNeeded),
            (Some(_), Some(p)) if p.is_empty() => return Err(ObsError::PasswordNeeded),
            (Some(c), Some(p)) => Some(protocol::auth_string(p.expose(), &c.salt, &c.challenge)),
        };
        let identify = protocol::Identify {
            rpc_version: protocol::RPC_VERSION,
            authentication,
            event_subscriptions: protocol::SUBSCRIBE_OUTPUTS,
        };
        send_op(&mut socket, op::IDENTIFY, &identify).await?;
        match next_message(&mut socket).await? {
            m if m.op == op::IDENTIFIED => {}
            m => {
                return Err(ObsError::Protocol(format!(
                    "OpCode {} instead of Identified",
                    m.op
                )))
            }
        }

        let (out, outgoing) = mpsc::unbounded_channel();
        let (events, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            out,
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            closed: Mutex::new(None),
        });
        let task = tokio::spawn(run(socket, outgoing, Arc::downgrade(&shared), events));
        tracing::info!(%endpoint, version = %hello.obs_web_socket_version, "connected to OBS");
        Ok((
            Self {
                shared,
                version: hello.obs_web_socket_version,
                _task: Arc::new(TaskGuard(task.abort_handle())),
            },
            receiver,
        ))
    }

    /// The obs-websocket version OBS reported.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Sends a request and waits for its answer's `responseData`.
    pub async fn request(&self, request_type: &str, data: Option<Value>) -> Result<Value> {
        if let Some(e) = self.shared.closed.lock().expect("obs lock").clone() {
            return Err(e);
        }
        let id = self
            .shared
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string();
        let (tx, rx) = oneshot::channel();
        self.shared
            .pending
            .lock()
            .expect("obs lock")
            .insert(id.clone(), tx);
        let message = protocol::Request {
            request_type,
            request_id: id.clone(),
            request_data: data,
        };
        let text = serde_json::to_string(&json!({"op": op::REQUEST, "d": message}))
            .expect("a request serialises");
        if self.shared.out.send(Message::text(text)).is_err() {
            self.shared.pending.lock().expect("obs lock").remove(&id);
            return Err(self.closed_error());
        }
        match tokio::time::timeout(REQUEST_TIMEOUT, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => {
                self.shared.pending.lock().expect("obs lock").remove(&id);
                Err(ObsError::Timeout)
            }
        }
    }

    fn closed_error(&self) -> ObsError {
        self.shared
            .closed
            .lock()
            .expect("obs lock")
            .clone()
            .unwrap_or_else(|| ObsError::Closed("the connection ended".into()))
    }

    /// GetStreamStatus.
    pub async fn stream_status(&self) -> Result<StreamStatus> {
        let v = self.request("GetStreamStatus", None).await?;
        Ok(StreamStatus::from_json(&v))
    }

    /// GetStreamServiceSettings.
    pub async fn service_settings(&self) -> Result<ServiceSettings> {
        let v = self.request("GetStreamServiceSettings", None).await?;
        Ok(ServiceSettings {
            kind: v["streamServiceType"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            settings: v
                .get("streamServiceSettings")
                .cloned()
                .unwrap_or_else(|| json!({})),
        })
    }

    /// SetStreamServiceSettings (OBS refuses it while streaming).
    /// OBS refuses an empty settings object ("must not be empty"), the very
    /// one a fresh profile reports (`rtmp_common` with `{}`): an empty key
    /// stands for it.
    pub async fn set_service_settings(&self, s: &ServiceSettings) -> Result<()> {
        let settings = match s.settings.as_object() {
            Some(o) if !o.is_empty() => s.settings.clone(),
            _ => json!({"key": ""}),
        };
        self.request(
            "SetStreamServiceSettings",
            Some(json!({"streamServiceType": s.kind, "streamServiceSettings": settings})),
        )
        .await
        .map(|_| ())
    }

    /// Points OBS's stream at `target`: refused while OBS streams; the
    /// settings are read back and must match. Returns the settings it
    /// replaced, for [`Obs::restore`].
    pub async fn send_target(&self, target: &StreamTarget) -> Result<ServiceSettings> {
        if self.stream_status().await?.active {
            return Err(ObsError::Streaming);
        }
        let previous = self.service_settings().await?;
        self.set_service_settings(&ServiceSettings::custom(target))
            .await?;
        let back = self.service_settings().await?;
        if !back.sends_to(target) {
            return Err(ObsError::Mismatch(back.difference(target)));
        }
        tracing::info!(server = %target.server, "stream server and key sent to OBS");
        Ok(previous)
    }

    /// Puts back settings [`Obs::send_target`] replaced (Undo): refused
    /// while OBS streams, read back like a send.
    pub async fn restore(&self, previous: &ServiceSettings) -> Result<()> {
        if self.stream_status().await?.active {
            return Err(ObsError::Streaming);
        }
        self.set_service_settings(previous).await?;
        let back = self.service_settings().await?;
        if back.kind != previous.kind {
            return Err(ObsError::Mismatch(format!(
                "the service type {:?}",
                back.kind
            )));
        }
        Ok(())
    }

    /// Makes (or finds) onair's test scene and puts it on program: a
    /// colour card the size of OBS's canvas and, centred, a text source
    /// ([`TEST_CLOCK`]) showing `text`, which [`Obs::show_text`] changes
    /// (the desk keeps it showing the time, so the preview's clock against
    /// the wall clock is the delay end to end). Made with `CreateInput`;
    /// inputs there already get the settings again.
    pub async fn set_up_test_scene(&self, text: &str) -> Result<()> {
        let video = self.request("GetVideoSettings", None).await?;
        let width = video["baseWidth"].as_u64().unwrap_or(1280);
        let height = video["baseHeight"].as_u64().unwrap_or(720);
        let scenes = self.request("GetSceneList", None).await?;
        let exists = scenes["scenes"]
            .as_array()
            .is_some_and(|l| l.iter().any(|s| s["sceneName"] == TEST_SCENE));
        if !exists {
            self.request("CreateScene", Some(json!({"sceneName": TEST_SCENE})))
                .await?;
        }
        // Colours are ABGR.
        self.ensure_input(
            TEST_CARD,
            "color_source_v3",
            json!({"color": 0xFF70_3A1Eu32, "width": width, "height": height}),
        )
        .await?;
        let kinds = self.request("GetInputKindList", None).await?;
        let kind = TEXT_KINDS
            .into_iter()
            .find(|k| {
                kinds["inputKinds"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|v| v == k))
            })
            .ok_or_else(|| ObsError::Refused {
                request: "CreateInput".into(),
                code: 0,
                comment: "this OBS has no text source".into(),
            })?;
        self.ensure_input(
            TEST_CLOCK,
            kind,
            json!({
                "text": text,
                "font": {"face": "Sans", "style": "Bold", "size": height / 5, "flags": 1},
                "color1": 0xFFFF_FFFFu32,
                "color2": 0xFFFF_FFFFu32,
            }),
        )
        .await?;
        let item = self
            .request(
                "GetSceneItemId",
                Some(json!({"sceneName": TEST_SCENE, "sourceName": TEST_CLOCK})),
            )
            .await?;
        // Alignment 0 is the centre.
        self.request(
            "SetSceneItemTransform",
            Some(json!({
                "sceneName": TEST_SCENE,
                "sceneItemId": item["sceneItemId"],
                "sceneItemTransform": {"positionX": width / 2, "positionY": height / 2, "alignment": 0},
            })),
        )
        .await?;
        self.request(
            "SetCurrentProgramScene",
            Some(json!({"sceneName": TEST_SCENE})),
        )
        .await?;
        Ok(())
    }

    /// The text a text source shows.
    pub async fn show_text(&self, input: &str, text: &str) -> Result<()> {
        self.request(
            "SetInputSettings",
            Some(json!({"inputName": input, "inputSettings": {"text": text}})),
        )
        .await
        .map(|_| ())
    }

    async fn ensure_input(&self, name: &str, kind: &str, settings: Value) -> Result<()> {
        let create = json!({
            "sceneName": TEST_SCENE,
            "inputName": name,
            "inputKind": kind,
            "inputSettings": settings,
            "sceneItemEnabled": true,
        });
        match self.request("CreateInput", Some(create)).await {
            Ok(_) => Ok(()),
            Err(ObsError::Refused { code, .. }) if code == status::RESOURCE_ALREADY_EXISTS => self
                .request(
                    "SetInputSettings",
                    Some(json!({"inputName": name, "inputSettings": settings})),
                )
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        }
    }

    /// StartStream.
    pub async fn start_stream(&self) -> Result<()> {
        self.request("StartStream", None).await.map(|_| ())
    }

    /// StopStream; a stream already stopped is not an error.
    pub async fn stop_stream(&self) -> Result<()> {
        match self.request("StopStream", None).await {
            Ok(_) => Ok(()),
            Err(ObsError::Refused { code, .. }) if code == status::OUTPUT_NOT_RUNNING => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Why a connection could not be opened, in words: on this machine, an
/// OBS process tells "server off" from "not running".
fn unreachable_error(endpoint: &Endpoint, e: &tokio_tungstenite::tungstenite::Error) -> ObsError {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let refused =
        matches!(e, WsError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused);
    if !refused {
        return ObsError::Protocol(format!("{endpoint}: {e}"));
    }
    if !endpoint.is_local() {
        ObsError::Unreachable(endpoint.to_string())
    } else if files::obs_running() {
        ObsError::ServerOff(endpoint.port)
    } else {
        ObsError::NotRunning(endpoint.to_string())
    }
}

async fn send_op(socket: &mut Socket, code: u8, d: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string(&json!({"op": code, "d": d})).expect("a message serialises");
    socket
        .send(Message::text(text))
        .await
        .map_err(|e| ObsError::Closed(e.to_string()))
}

/// The next message during the handshake (a close says why).
async fn next_message(socket: &mut Socket) -> Result<protocol::Envelope> {
    loop {
        let frame = tokio::time::timeout(CONNECT_TIMEOUT, socket.next())
            .await
            .map_err(|_| ObsError::Timeout)?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str())
                    .map_err(|e| ObsError::Protocol(e.to_string()))
            }
            Some(Ok(Message::Close(frame))) => return Err(ObsError::from_close(frame.as_ref())),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(ObsError::Closed(e.to_string())),
            None => return Err(ObsError::Closed("the connection ended".into())),
        }
    }
}

/// The connection's task: writes requests, routes answers by id and
/// events to the receiver, and on the end says why to everyone waiting.
async fn run(
    mut socket: Socket,
    mut outgoing: mpsc::UnboundedReceiver<Message>,
    shared: std::sync::Weak<Shared>,
    events: mpsc::UnboundedSender<ObsEvent>,
) {
    let why = loop {
        tokio::select! {
            out = outgoing.recv() => match out {
                Some(m) => {
                    if let Err(e) = socket.send(m).await {
                        break ObsError::Closed(e.to_string());
                    }
                }
                // Every Obs is gone: close politely.
                None => {
                    let _ = socket
                        .close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() }))
                        .await;
                    return;
                }
            },
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let Some(shared) = shared.upgrade() else { return };
                    dispatch(&shared, &events, text.as_str());
                }
                Some(Ok(Message::Close(frame))) => break ObsError::from_close(frame.as_ref()),
                Some(Ok(_)) => {}
                Some(Err(e)) => break ObsError::Closed(e.to_string()),
                None => break ObsError::Closed("the connection ended".into()),
            },
        }
    };
    tracing::info!(reason = %why, "OBS connection ended");
    if let Some(shared) = shared.upgrade() {
        *shared.closed.lock().expect("obs lock") = Some(why.clone());
        for (_, waiting) in shared.pending.lock().expect("obs lock").drain() {
            let _ = waiting.send(Err(why.clone()));
        }
    }
    let _ = events.send(ObsEvent::Closed(why));
}

fn dispatch(shared: &Shared, events: &mpsc::UnboundedSender<ObsEvent>, text: &str) {
    let Ok(message) = serde_json::from_str::<protocol::Envelope>(text) else {
        tracing::warn!("OBS sent a message that is not JSON");
        return;
    };
    match message.op {
        op::REQUEST_RESPONSE => {
            let Ok(r) = serde_json::from_value::<protocol::RequestResponse>(message.d) else {
                tracing::warn!("OBS sent a RequestResponse onair cannot read");
                return;
            };
            let waiting = shared
                .pending
                .lock()
                .expect("obs lock")
                .remove(&r.request_id);
            let Some(waiting) = waiting else { return };
            let answer = if r.request_status.result {
                Ok(r.response_data.unwrap_or_else(|| json!({})))
            } else if r.request_status.code == status::OUTPUT_RUNNING {
                Err(ObsError::Streaming)
            } else {
                Err(ObsError::Refused {
                    request: r.request_type,
                    code: r.request_status.code,
                    comment: r.request_status.comment.unwrap_or_default(),
                })
            };
            let _ = waiting.send(answer);
        }
        op::EVENT => {
            let Ok(e) = serde_json::from_value::<protocol::Event>(message.d) else {
                return;
            };
            if e.event_type == "StreamStateChanged" {
                let d = e.event_data.unwrap_or_default();
                let _ = events.send(ObsEvent::Stream {
                    active: d["outputActive"].as_bool().unwrap_or(false),
                    state: OutputState::parse(d["outputState"].as_str().unwrap_or_default()),
                });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> StreamTarget {
        StreamTarget::from_rtmp_path("rtmp://ingest.example/live/sk_SECRET").unwrap()
    }

    #[test]
    fn read_back_must_match_server_and_key() {
        let t = target();
        let sent = ServiceSettings::custom(&t);
        assert!(sent.sends_to(&t));
        // OBS adds its own fields: still a match.
        let mut extra = sent.clone();
        extra.settings["bwtest"] = json!(false);
        assert!(extra.sends_to(&t));
        // Another key, another server, another type: a mismatch, said
        // without the key.
        let mut other_key = sent.clone();
        other_key.settings["key"] = json!("sk_OTHER");
        assert!(!other_key.sends_to(&t));
        assert_eq!(other_key.difference(&t), "another stream key");
        let mut other_server = sent.clone();
        other_server.settings["server"] = json!("rtmp://elsewhere/live");
        assert!(!other_server.sends_to(&t));
        assert!(other_server.difference(&t).contains("elsewhere"));
        let common = ServiceSettings {
            kind: "rtmp_common".into(),
            settings: json!({}),
        };
        assert!(!common.sends_to(&t));
        assert!(common.difference(&t).contains("rtmp_common"));
        for s in [&sent, &other_key] {
            assert!(!format!("{s:?}").contains("sk_"), "{s:?}");
        }
    }

    #[test]
    fn stream_status_reads_get_stream_status() {
        let s = StreamStatus::from_json(&json!({
            "outputActive": true, "outputReconnecting": false, "outputTimecode": "00:00:10.000",
            "outputDuration": 10000, "outputCongestion": 0.25, "outputBytes": 1_250_000,
            "outputSkippedFrames": 3, "outputTotalFrames": 300
        }));
        assert!(s.active && !s.reconnecting);
        assert_eq!(
            (s.bytes, s.skipped_frames, s.total_frames),
            (1_250_000, 3, 300)
        );
        assert!((s.congestion - 0.25).abs() < f64::EPSILON);
    }

    #[test]
    fn close_codes_in_words() {
        let frame = |code: u16| CloseFrame {
            code: CloseCode::from(code),
            reason: "".into(),
        };
        assert_eq!(
            ObsError::from_close(Some(&frame(4009))),
            ObsError::WrongPassword
        );
        assert_eq!(ObsError::from_close(Some(&frame(4011))), ObsError::Kicked);
        assert_eq!(
            ObsError::from_close(Some(&frame(4010))),
            ObsError::UnsupportedRpc
        );
        assert!(ObsError::ServerOff(4455)
            .to_string()
            .contains("Tools → WebSocket Server Settings"));
    }

    #[test]
    fn endpoints_as_urls() {
        assert_eq!(Endpoint::default().url(), "ws://127.0.0.1:4455");
        let v6 = Endpoint {
            host: "::1".into(),
            port: 4455,
        };
        assert_eq!(v6.url(), "ws://[::1]:4455");
        assert!(v6.is_local());
        assert!(!Endpoint {
            host: "192.168.1.20".into(),
            port: 4455
        }
        .is_local());
    }
}
