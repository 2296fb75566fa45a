// Generated from src-tauri (models, commands, events) by `cargo test -p onair`
// with UPDATE_IPC_TYPES=1. Do not edit: a test fails when this file is stale.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export type ErrorCode = "no_session" | "no_profile" | "demo" | "streamer_mode" | "storage" | "clipboard" | "browser" | "internal" | "not_found" | "unauthorized" | "forbidden" | "conflict" | "rate_limited" | "invalid" | "not_supported" | "transport" | "server" | "ingest" | "login_required" | "login_denied" | "login_no_scope" | "login_id_token" | "login_refused" | "login_state_mismatch" | "login_issuer_mismatch" | "login_missing_code" | "login_timed_out" | "login_cancelled" | "login_exchange" | "login_listener" | "profile" | "obs_nothing_to_undo" | "obs_not_running" | "obs_server_off" | "obs_unreachable" | "obs_password_needed" | "obs_wrong_password" | "obs_unsupported_rpc" | "obs_kicked" | "obs_closed" | "obs_timeout" | "obs_streaming" | "obs_refused" | "obs_mismatch" | "obs_protocol" | "obs_no_config" | "obs_running" | "obs_file";

export type IpcError = { code: ErrorCode, message: string, 
/**
 * The form field at fault, so the UI can show the message next to
 * it; absent otherwise.
 */
field?: Field, };

export type Field = "name" | "apiDomain" | "issuer" | "clientId" | "tokenForm" | "pinnedSha256" | "authorizeUrl" | "scopes" | "title" | "reservedAt" | "obs" | "chatBuffer" | "chatWidth" | "banPresets";

export type ProfileView = { id: string, name: string, apiDomain: string, 
/**
 * The built-in demo service.
 */
demo: boolean, };

export type UserView = { userId: string, userName: string, 
/**
 * The key of the avatar under the app's `picture:` scheme.
 */
picture: string | null, };

export type SessionView = { profile: ProfileView, user: UserView, 
/**
 * The optional APIs (spec §4) in use.
 */
optionalApis: OptionalApi[], 
/**
 * The onair extensions the service offers (`INGEST`: the ingest card).
 */
extensions: Extension[], };

export type LoginFinished = { "kind": "done", session: SessionView, } | { "kind": "failed", error: IpcError, };

export type AppView = { profiles: Array<ProfileView>, 
/**
 * The profile in use (logged in or not).
 */
active: ProfileView | null, session: SessionView | null, 
/**
 * Waiting for the browser.
 */
loginPending: boolean, 
/**
 * A live to open at start (`--live`).
 */
openLive: string | null, 
/**
 * `--measure-ui`: the page measures its frames and the chat it
 * received and reports them (`ui_stats`) for the benchmarks.
 */
measureUi: boolean, 
/**
 * This build carries the demo service (feature `demo`).
 */
hasDemo: boolean, };

export type ChannelView = { channelId: string, channelName: string, enabled: boolean, link: string, description: string | null, tags: Array<string>, 
/**
 * The key of the thumbnail under the app's `picture:` scheme.
 */
picture: string | null, followerCount: number | null, };

export type StatView = { views: number, viewers: number, likes: number, chats: number, };

export type LiveView = { liveId: string, title: string, description: string | null, status: LiveStatus, scope: Scope, 
/**
 * RFC 3339.
 */
reservedAt: string, startAt: string | null, liveLink: string, stat: StatView | null, 
/**
 * The ingest server (`rtmpPath` without its key), or null when the
 * path is not a usable ingest URL.
 */
server: string | null, 
/**
 * The stream's state, where the service tells (its `INGEST`
 * extension).
 */
stream: StreamView | null, };

export type StreamView = { signal: Signal, autoStart: boolean, autoStop: boolean, 
/**
 * Seconds without a signal before an on-air live ends.
 */
stopTimeout: number, 
/**
 * RFC 3339, while the signal is interrupted: since when.
 */
interruptedAt: string | null, };

export type IngestView = { liveId: string, signal: Signal, verdict: Verdict, 
/**
 * Why the verdict is not `excellent`, in the service's words.
 */
reasons: Array<string>, codec: string | null, width: number | null, height: number | null, frameRate: number | null, 
/**
 * Seconds between key frames.
 */
keyframeInterval: number | null, 
/**
 * kbit/s over the last 1 s and 10 s.
 */
videoKbps: number | null, video10sKbps: number | null, audioKbps: number | null, audioCodec: string | null, sampleRate: number | null, timestampGaps: number, 
/**
 * Milliseconds since the last frame.
 */
sinceLastFrameMs: number | null, 
/**
 * RFC 3339: when this publisher was admitted.
 */
publishingSince: string | null, publisher: PublisherView | null, 
/**
 * The service offers a watch stream of this live: the dashboard's
 * preview plays it through the app's `preview:` scheme.
 */
playable: boolean, };

export type PublisherView = { 
/**
 * `ip:port`.
 */
address: string, 
/**
 * The encoder, as it names itself (OBS, ffmpeg's Lavf, ...).
 */
encoder: string | null, };

export type CreateLiveInput = { title: string, description: string | null, scope: Scope, 
/**
 * RFC 3339; null: "go live now" (now + 20 s, spec §3).
 */
reservedAt: string | null, };

export type LiveEventView = { "kind": "snapshot", live: LiveView, sample: Sample | null, } | { "kind": "updated", live: LiveView, sample: Sample | null, } | { "kind": "forcedEnd", live: LiveView, reason: EndReason | null, at: string, } | { "kind": "offline", message: string, retryInMs: number, } | { "kind": "online" } | { "kind": "loginRequired" } | { "kind": "gone", message: string, };

export type NewProfile = { name: string, apiDomain: string, 
/**
 * The login server, when it is not the API domain.
 */
issuer: string | null, clientId: string, 
/**
 * Scopes to ask for; none: what the login server advertises.
 */
scopes: Array<string>, 
/**
 * Kept in the OS keyring, never in the profiles file.
 */
clientSecret: string | null, tokenForm: TokenForm, 
/**
 * Used when the service has no `/capabilities`.
 */
optionalApis: OptionalApi[], pinnedSha256: string | null, };

export type LookupInput = { address: string, 
/**
 * Set by the user: the API is not asked where its login server is.
 */
issuer: string | null, clientId: string | null, pinnedSha256: string | null, scopes: Array<string>, };

export type ServiceLookup = { 
/**
 * The service's name for itself, else its host.
 */
name: string, apiDomain: string, 
/**
 * The login server, when it is not the API domain.
 */
issuer: string | null, authorizeUrl: string, tokenUrl: string, 
/**
 * `rfc` (an OAuth server's metadata was found) or `prism`.
 */
tokenForm: TokenForm, revocation: boolean, 
/**
 * Who logged in can come from the login server (OpenID Connect).
 */
userinfo: boolean, 
/**
 * Logins are pushed first (RFC 9126).
 */
pushed: boolean, 
/**
 * What a login will ask for.
 */
scopes: Array<string>, 
/**
 * The client id the profile will use.
 */
clientId: string, };

export type Sample = { 
/**
 * Milliseconds since the Unix epoch.
 */
atMs: number, viewers: number, likes: number, chats: number, 
/**
 * What the service's ingest received (audio and video, kbit/s over
 * its last 10 s), when it tells and a stream arrives.
 */
receivedKbps: number | null, 
/**
 * What OBS said it sent (kbit/s), while onair's OBS streams.
 */
sentKbps: number | null, };

export type Settings = { 
/**
 * Closing the window keeps onair running in the tray.
 */
hideOnClose: boolean, 
/**
 * The dashboard plays the live's preview (its watch stream, muted).
 */
preview: boolean, 
/**
 * The live clock shows seconds (a repaint a second: about 0.7 % of a
 * core here, `make bench`); off, it moves once a minute.
 */
clockSeconds: boolean, 
/**
 * Timed-ban presets in seconds, per channel (`"{profile}/{channel}"`);
 * a channel without its own list uses the default one (10 s, 1 min,
 * 10 min, 1 h, 24 h).
 */
banPresets: Record<string, number[]>, 
/**
 * Chat messages the pane keeps (its newest), CHAT_BUFFER_MIN to
 * CHAT_BUFFER_MAX.
 */
chatBuffer: number, 
/**
 * Deleted messages and those of banned users are hidden instead of
 * struck out.
 */
hideModerated: boolean, 
/**
 * OBS Studio's WebSocket server and what onair does with OBS.
 */
obs: ObsPrefs, 
/**
 * The language of the window, the tray and the notifications.
 */
language: Language, 
/**
 * The chat pane's width beside the live's (CSS px), CHAT_WIDTH_MIN
 * to CHAT_WIDTH_MAX: the dashboard's split, as the user left it.
 */
chatWidth: number, };

export type ObsPrefs = { host: string, port: number, 
/**
 * Connect when onair starts (and keep trying while OBS is closed).
 */
connectAtStart: boolean, 
/**
 * Streamer mode always on (it is on by itself while OBS streams).
 */
streamerMode: boolean, 
/**
 * Stop OBS's stream when the service ends the live.
 */
stopWithLive: boolean, };

export type Language = "auto" | "en" | "ko" | "ja";

export type StreamSessionView = { sessionId: string, startedAt: string, finishedAt: string | null, durationSec: number, status: SessionStatus, endReason: EndReason | null, 
/**
 * Who published, where the service tells.
 */
publisher: PublisherView | null, };

export type SessionEventView = { eventId: string, at: string, kind: EventKind, detail: string | null, };

export type ChatMessageView = { id: string, 
/**
 * RFC 3339.
 */
at: string, 
/**
 * The `userId` of moderation calls.
 */
authorId: string, authorName: string, thumbnail: string | null, text: string, owner: boolean, 
/**
 * A chat admin of the live.
 */
manager: boolean, };

export type ChatEventView = { "kind": "messages", liveId: string, messages: Array<ChatMessageView>, } | { "kind": "offline", message: string, retryInMs: number, } | { "kind": "online" } | { "kind": "loginRequired" } | { "kind": "stopped", error: IpcError, };

export type ModAction = { "kind": "delete", messageId: string, } | { "kind": "ban" } | { "kind": "timedBan", seconds: number, } | { "kind": "unban" } | { "kind": "mod" } | { "kind": "unmod" };

export type ModRecordView = { 
/**
 * Unique in this run (the UI merges the log and the events by it).
 */
id: number, liveId: string, 
/**
 * Milliseconds since the Unix epoch.
 */
atMs: number, 
/**
 * Who did it (the logged-in user's name).
 */
by: string, userId: string, action: ModAction, 
/**
 * The service's refusal, when it refused.
 */
error: IpcError | null, };

export type UiStats = { 
/**
 * Frames in the window.
 */
frames: number, 
/**
 * The longest frame, and the 95th percentile, in milliseconds.
 */
longestMs: number, p95Ms: number, 
/**
 * Chat messages the pane took in since it opened (each once).
 */
received: number, 
/**
 * Of those, dropped from the pane's buffer in the batch that brought
 * them (never on screen).
 */
unshown: number, 
/**
 * The largest delay in the window between a message's time and its
 * arrival in the pane, in milliseconds.
 */
lagMs: number, 
/**
 * The longest script time of one chat batch in the window (taking it
 * in and the view's update after it), in milliseconds.
 */
batchMs: number, };

export type ObsState = "off" | "idle" | "starting" | "live" | "reconnecting" | "stopping";

export type ObsReport<P> = { connected: boolean, 
/**
 * `host:port`.
 */
endpoint: string, 
/**
 * obs-websocket's version.
 */
version: string | null, 
/**
 * OBS is streaming (`outputActive`): streamer mode is on.
 */
streaming: boolean, state: ObsState, 
/**
 * Reconnects of OBS's stream seen on this connection.
 */
reconnects: number, bitrateKbps: number | null, 
/**
 * 0 to 1.
 */
congestion: number, 
/**
 * Frames OBS skipped (`outputSkippedFrames`) of all it sent.
 */
droppedFrames: number, totalFrames: number, 
/**
 * Send replaced settings that Undo can put back.
 */
canUndo: boolean, 
/**
 * Why it is not connected.
 */
problem: P | null, };

export type ObsView = ObsReport<IpcError>;

export type AppChanged = null;

export type ConfirmStop = null;

export type WindowShown = { shown: boolean, };

export type LiveStatus = "RESERVED" | "ON_AIR" | "END";

export type StatusFilter = "ALL" | "RESERVED" | "ON_AIR" | "END";

export type Scope = "PUBLIC" | "LIMITED" | "PRIVATE";

export type SessionStatus = "LIVE" | "ENDED";

export type EndReason = "STOPPED" | "REPLACED" | "ENDED_BY_SERVICE" | "CHANNEL_DISABLED" | "STREAMER_BANNED" | "SIGNAL_LOST";

export type EventKind = "START" | "STOP" | "REPLACED" | "ENDED_BY_SERVICE" | "CHANNEL_DISABLED" | "STREAMER_BANNED" | "INITIALIZE" | "STABLE" | "SIGNAL_INTERRUPTED" | "SIGNAL_RESTORED" | "SIGNAL_LOST";

export type OptionalApi = "LIVE_CHAT_LIST" | "LIVE_CHAT_SEND" | "LIVE_CHAT_DELETE" | "USER_BAN" | "USER_BAN_TEMPORARY" | "USER_MOD";

export type TokenForm = "auto" | "prism" | "rfc";

export type Signal = "RECEIVING" | "INTERRUPTED" | "NONE";

export type Verdict = "excellent" | "good" | "poor" | "no_signal";

export type Extension = "INGEST";

/** A channel whose messages go to `f`. */
function channel<T>(f: (event: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = f;
  return ch;
}

/** One typed function per command of src-tauri/src/commands.rs; each
 * rejects with an IpcError. */
export const commands = {
  /**
   * What the UI shows at start.
   */
  appView: (): Promise<AppView> =>
    invoke<AppView>("app_view"),
  /**
   * Starts the built-in demo service and chooses it.
   */
  startDemo: (): Promise<AppView> =>
    invoke<AppView>("start_demo"),
  /**
   * Starts a browser login; returns the login URL. The outcome comes as
   * the `loginFinished` event.
   */
  login: (): Promise<string> =>
    invoke<string>("login"),
  cancelLogin: (): Promise<void> =>
    invoke<void>("cancel_login"),
  logout: (): Promise<void> =>
    invoke<void>("logout"),
  channels: (): Promise<ChannelView[]> =>
    invoke<ChannelView[]>("channels"),
  lives: (channelId: string, filter: StatusFilter): Promise<LiveView[]> =>
    invoke<LiveView[]>("lives", { channelId, filter }),
  live: (liveId: string): Promise<LiveView> =>
    invoke<LiveView>("live", { liveId }),
  /**
   * A refused title or date comes back with `field` set.
   */
  createLive: (channelId: string, input: CreateLiveInput): Promise<LiveView> =>
    invoke<LiveView>("create_live", { channelId, input }),
  startLive: (liveId: string): Promise<LiveView> =>
    invoke<LiveView>("start_live", { liveId }),
  stopLive: (liveId: string): Promise<LiveView> =>
    invoke<LiveView>("stop_live", { liveId }),
  /**
   * Watches a live; its changes arrive as `live` events.
   */
  watchLive: (liveId: string): Promise<void> =>
    invoke<void>("watch_live", { liveId }),
  unwatchLive: (): Promise<void> =>
    invoke<void>("unwatch_live"),
  /**
   * Follows a live's chat for the chat pane; its events come on a channel
   * of their own (a busy chat's batches, up to 1,000 messages, are fetched
   * by the page instead of evaluated as scripts).
   */
  followChat: (liveId: string, onEvent: (event: ChatEventView) => void): Promise<void> =>
    invoke<void>("follow_chat", { liveId, onEvent: channel(onEvent) }),
  unfollowChat: (): Promise<void> =>
    invoke<void>("unfollow_chat"),
  sendChat: (liveId: string, text: string): Promise<ChatMessageView> =>
    invoke<ChatMessageView>("send_chat", { liveId, text }),
  /**
   * One moderation call; every call, refused or not, also comes as a
   * `moderation` event.
   */
  moderate: (liveId: string, userId: string, action: ModAction): Promise<ModRecordView> =>
    invoke<ModRecordView>("moderate", { liveId, userId, action }),
  moderationLog: (liveId: string): Promise<ModRecordView[]> =>
    invoke<ModRecordView[]>("moderation_log", { liveId }),
  /**
   * Copies the ingest server URL.
   */
  copyServer: (liveId: string): Promise<void> =>
    invoke<void>("copy_server", { liveId }),
  /**
   * Copies the stream key from Rust: it never enters the webview. The
   * clipboard is cleared after 30 s if it still holds the key.
   */
  copyKey: (liveId: string): Promise<void> =>
    invoke<void>("copy_key", { liveId }),
  sessions: (liveId: string): Promise<StreamSessionView[]> =>
    invoke<StreamSessionView[]>("sessions", { liveId }),
  sessionEvents: (sessionId: string): Promise<SessionEventView[]> =>
    invoke<SessionEventView[]>("session_events", { sessionId }),
  /**
   * A new stream key; refused while the stream arrives.
   */
  regenerateKey: (liveId: string): Promise<void> =>
    invoke<void>("regenerate_key", { liveId }),
  /**
   * Looks a service up from its address, for the user to confirm; a wrong
   * field comes back with `field` set.
   */
  lookupService: (input: LookupInput): Promise<ServiceLookup> =>
    invoke<ServiceLookup>("lookup_service", { input }),
  /**
   * Adds a service; a wrong field comes back with `field` set.
   */
  addProfile: (input: NewProfile): Promise<ProfileView> =>
    invoke<ProfileView>("add_profile", { input }),
  chooseProfile: (id: string): Promise<AppView> =>
    invoke<AppView>("choose_profile", { id }),
  /**
   * Back to the service picker.
   */
  leaveProfile: (): Promise<AppView> =>
    invoke<AppView>("leave_profile"),
  /**
   * The stream key, for the "hold to reveal" button only: the user asked to
   * see it, and the UI drops it when the button is released. In streamer
   * mode, only once `confirmed`.
   */
  revealKey: (liveId: string, confirmed: boolean): Promise<string> =>
    invoke<string>("reveal_key", { liveId, confirmed }),
  /**
   * The counters seen for a live since onair started watching it.
   */
  liveSeries: (liveId: string): Promise<Sample[]> =>
    invoke<Sample[]>("live_series", { liveId }),
  settings: (): Promise<Settings> =>
    invoke<Settings>("settings"),
  /**
   * Saves the settings; a refused value comes back with `field` set.
   */
  setSettings: (settings: Settings): Promise<Settings> =>
    invoke<Settings>("set_settings", { settings }),
  /**
   * The UI has drawn `screen` and can be used: logged with the time since
   * the process started (the start-time figure of `make bench`).
   */
  uiReady: (screen: string): Promise<void> =>
    invoke<void>("ui_ready", { screen }),
  /**
   * OBS as the app sees it now.
   */
  obsView: (): Promise<ObsView> =>
    invoke<ObsView>("obs_view"),
  /**
   * Connects to OBS (settings' host and port); a password given is kept in
   * the OS keyring once OBS took it.
   */
  obsConnect: (password: string | null): Promise<ObsView> =>
    invoke<ObsView>("obs_connect", { password }),
  obsDisconnect: (): Promise<void> =>
    invoke<void>("obs_disconnect"),
  /**
   * Send to OBS: the live's server and key.
   */
  obsSend: (liveId: string): Promise<ObsView> =>
    invoke<ObsView>("obs_send", { liveId }),
  /**
   * Send to OBS again: OBS's stream stopped (when it runs), the live's
   * server and key sent, the stream started. The UI confirms first.
   */
  obsResend: (liveId: string): Promise<ObsView> =>
    invoke<ObsView>("obs_resend", { liveId }),
  /**
   * OBS's test scene: a colour card and a clock, put on program.
   */
  obsTestScene: (): Promise<void> =>
    invoke<void>("obs_test_scene"),
  /**
   * Undo the last Send to OBS.
   */
  obsUndo: (): Promise<ObsView> =>
    invoke<ObsView>("obs_undo"),
  /**
   * OBS not running: the live's server and key into OBS's settings file;
   * returns the file's path.
   */
  obsWriteFile: (liveId: string): Promise<string> =>
    invoke<string>("obs_write_file", { liveId }),
  obsStopStream: (): Promise<void> =>
    invoke<void>("obs_stop_stream"),
  /**
   * What the page measured (`--measure-ui`), to the log for the benchmarks.
   */
  uiStats: (stats: UiStats): Promise<void> =>
    invoke<void>("ui_stats", { stats }),
  /**
   * Opens a channel or live page in the system browser, after the user's
   * click; only http(s) URLs.
   */
  openUrl: (url: string): Promise<void> =>
    invoke<void>("open_url", { url }),
};

/** One listener per event of src-tauri/src/events.rs; each resolves to
 * what stops it. */
export const events = {
  loginFinished: (f: (payload: LoginFinished) => void): Promise<UnlistenFn> =>
    listen<LoginFinished>("login-finished", (e) => f(e.payload)),
  live: (f: (payload: LiveEventView) => void): Promise<UnlistenFn> =>
    listen<LiveEventView>("live-event", (e) => f(e.payload)),
  moderation: (f: (payload: ModRecordView) => void): Promise<UnlistenFn> =>
    listen<ModRecordView>("moderation", (e) => f(e.payload)),
  appChanged: (f: (payload: AppChanged) => void): Promise<UnlistenFn> =>
    listen<AppChanged>("app-changed", (e) => f(e.payload)),
  confirmStop: (f: (payload: ConfirmStop) => void): Promise<UnlistenFn> =>
    listen<ConfirmStop>("confirm-stop", (e) => f(e.payload)),
  obs: (f: (payload: ObsReport<IpcError>) => void): Promise<UnlistenFn> =>
    listen<ObsReport<IpcError>>("obs", (e) => f(e.payload)),
  ingest: (f: (payload: IngestView) => void): Promise<UnlistenFn> =>
    listen<IngestView>("ingest", (e) => f(e.payload)),
  windowShown: (f: (payload: WindowShown) => void): Promise<UnlistenFn> =>
    listen<WindowShown>("window-shown", (e) => f(e.payload)),
};
