// Generated from src-tauri/src/models.rs by `cargo test -p onair` with
// UPDATE_IPC_TYPES=1. Do not edit: a test fails when this file is stale.

export type IpcError = { code: string, message: string, 
/**
 * The form field at fault (profile errors), so the UI can show the
 * message next to it; absent otherwise.
 */
field?: string, };

export type ProfileView = { id: string, name: string, apiDomain: string, 
/**
 * The built-in demo service.
 */
demo: boolean, };

export type UserView = { userId: string, userName: string, profileThumbnail: string | null, };

export type SessionView = { profile: ProfileView, user: UserView, 
/**
 * Spec §4 names of the optional APIs in use.
 */
optionalApis: Array<string>, };

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
measureUi: boolean, };

export type ChannelView = { channelId: string, channelName: string, enabled: boolean, link: string, description: string | null, tags: Array<string>, thumbnailUrl: string | null, followerCount: number | null, };

export type StatView = { views: number, viewers: number, likes: number, chats: number, };

export type LiveView = { liveId: string, title: string, description: string | null, 
/**
 * `RESERVED`, `ON_AIR` or `END`.
 */
status: string, 
/**
 * `PUBLIC`, `LIMITED` or `PRIVATE`.
 */
scope: string, 
/**
 * RFC 3339.
 */
reservedAt: string, startAt: string | null, liveLink: string, stat: StatView | null, 
/**
 * The ingest server (`rtmpPath` without its key), or null when the
 * path is not a usable ingest URL.
 */
server: string | null, };

export type CreateLiveInput = { title: string, description: string | null, 
/**
 * `PUBLIC`, `LIMITED` or `PRIVATE`.
 */
scope: string, 
/**
 * RFC 3339; null: "go live now" (now + 20 s, spec §3).
 */
reservedAt: string | null, };

export type LiveEventView = { "kind": "snapshot", live: LiveView, sample: SampleView | null, } | { "kind": "updated", live: LiveView, sample: SampleView | null, } | { "kind": "forcedEnd", live: LiveView, reason: string | null, at: string, } | { "kind": "offline", message: string, retryInMs: number, } | { "kind": "online" } | { "kind": "loginRequired" } | { "kind": "gone", message: string, };

export type ProfileInput = { name: string, apiDomain: string, clientId: string, 
/**
 * Kept in the OS keyring, never in the profiles file.
 */
clientSecret: string | null, 
/**
 * `auto`, `prism` or `rfc`.
 */
tokenForm: string, 
/**
 * Spec §4 names, used when the service has no `/capabilities`.
 */
optionalApis: Array<string>, pinnedSha256: string | null, };

export type SampleView = { 
/**
 * Milliseconds since the Unix epoch.
 */
atMs: number, viewers: number, likes: number, chats: number, };

export type Settings = { 
/**
 * Closing the window keeps onair running in the tray.
 */
hideOnClose: boolean, 
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
obs: ObsPrefs, };

export type StreamSessionView = { sessionId: string, startedAt: string, finishedAt: string | null, durationSec: number, 
/**
 * `LIVE` or `ENDED`.
 */
status: string, 
/**
 * `STOPPED`, `REPLACED`, `ENDED_BY_SERVICE`, ...
 */
endReason: string | null, };

export type SessionEventView = { eventId: string, at: string, 
/**
 * `START`, `STABLE`, `SIGNAL_INTERRUPTED`, `STOP`, ...
 */
kind: string, detail: string | null, };

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

export type ModRecord = { 
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

export type ObsView = { connected: boolean, 
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
streaming: boolean, 
/**
 * `off` (not connected), `idle`, `starting`, `live`, `reconnecting`,
 * `stopping`.
 */
state: string, 
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
problem: IpcError | null, };
