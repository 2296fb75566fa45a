// Typed calls into the Rust side. Every command rejects with an IpcError
// ({code, message}); the types come from src-tauri/src/models.rs.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AppView,
  ChannelView,
  ChatEventView,
  ChatMessageView,
  CreateLiveInput,
  IpcError,
  LiveEventView,
  LiveView,
  ModAction,
  ModRecord,
  ObsView,
  ProfileInput,
  ProfileView,
  SampleView,
  SessionEventView,
  SessionView,
  Settings,
  StreamSessionView,
  UiStats,
} from "./ipc-types";

export type * from "./ipc-types";

export type LoginFinished =
  | { ok: true; session: SessionView; error: null }
  | { ok: false; session: null; error: IpcError };

export const api = {
  appView: () => invoke<AppView>("app_view"),
  startDemo: () => invoke<AppView>("start_demo"),
  login: () => invoke<string>("login"),
  cancelLogin: () => invoke<void>("cancel_login"),
  logout: () => invoke<void>("logout"),
  channels: () => invoke<ChannelView[]>("channels"),
  lives: (channelId: string, filter: string) => invoke<LiveView[]>("lives", { channelId, filter }),
  live: (liveId: string) => invoke<LiveView>("live", { liveId }),
  createLive: (channelId: string, input: CreateLiveInput) =>
    invoke<LiveView>("create_live", { channelId, input }),
  startLive: (liveId: string) => invoke<LiveView>("start_live", { liveId }),
  stopLive: (liveId: string) => invoke<LiveView>("stop_live", { liveId }),
  watchLive: (liveId: string) => invoke<void>("watch_live", { liveId }),
  unwatchLive: () => invoke<void>("unwatch_live"),
  copyServer: (liveId: string) => invoke<void>("copy_server", { liveId }),
  copyKey: (liveId: string) => invoke<void>("copy_key", { liveId }),
  sessions: (liveId: string) => invoke<StreamSessionView[]>("sessions", { liveId }),
  sessionEvents: (sessionId: string) => invoke<SessionEventView[]>("session_events", { sessionId }),
  regenerateKey: (liveId: string) => invoke<void>("regenerate_key", { liveId }),
  addProfile: (input: ProfileInput) => invoke<ProfileView>("add_profile", { input }),
  chooseProfile: (id: string) => invoke<AppView>("choose_profile", { id }),
  leaveProfile: () => invoke<AppView>("leave_profile"),
  revealKey: (liveId: string, confirmed = false) => invoke<string>("reveal_key", { liveId, confirmed }),
  liveSeries: (liveId: string) => invoke<SampleView[]>("live_series", { liveId }),
  uiReady: (screen: string) => invoke<void>("ui_ready", { screen }),
  uiStats: (stats: UiStats) => invoke<void>("ui_stats", { stats }),
  openUrl: (url: string) => invoke<void>("open_url", { url }),
  settings: () => invoke<Settings>("settings"),
  setSettings: (settings: Settings) => invoke<Settings>("set_settings", { settings }),
  /** Follows a live's chat; its events come on a channel of their own
   * (a busy chat's batches are fetched, not evaluated as scripts). */
  followChat: (liveId: string, onEvent: (e: ChatEventView) => void) => {
    const channel = new Channel<ChatEventView>();
    channel.onmessage = onEvent;
    return invoke<void>("follow_chat", { liveId, onEvent: channel });
  },
  unfollowChat: () => invoke<void>("unfollow_chat"),
  sendChat: (liveId: string, text: string) => invoke<ChatMessageView>("send_chat", { liveId, text }),
  moderate: (liveId: string, userId: string, action: ModAction) =>
    invoke<ModRecord>("moderate", { liveId, userId, action }),
  moderationLog: (liveId: string) => invoke<ModRecord[]>("moderation_log", { liveId }),
  obsView: () => invoke<ObsView>("obs_view"),
  obsConnect: (password: string | null) => invoke<ObsView>("obs_connect", { password }),
  obsDisconnect: () => invoke<void>("obs_disconnect"),
  obsSend: (liveId: string) => invoke<ObsView>("obs_send", { liveId }),
  obsUndo: () => invoke<ObsView>("obs_undo"),
  obsWriteFile: (liveId: string) => invoke<string>("obs_write_file", { liveId }),
  obsStopStream: () => invoke<void>("obs_stop_stream"),
};

export const on = {
  loginFinished: (f: (e: LoginFinished) => void): Promise<UnlistenFn> =>
    listen<LoginFinished>("login-finished", (e) => f(e.payload)),
  live: (f: (e: LiveEventView) => void): Promise<UnlistenFn> =>
    listen<LiveEventView>("live-event", (e) => f(e.payload)),
  confirmStop: (f: () => void): Promise<UnlistenFn> => listen("confirm-stop", () => f()),
  appChanged: (f: () => void): Promise<UnlistenFn> => listen("app-changed", () => f()),
  moderation: (f: (e: ModRecord) => void): Promise<UnlistenFn> =>
    listen<ModRecord>("moderation", (e) => f(e.payload)),
  obs: (f: (e: ObsView) => void): Promise<UnlistenFn> => listen<ObsView>("obs", (e) => f(e.payload)),
};

/** Listens, then loads: `load` runs once every listener is registered, so
 * nothing that changes between the read and the listening is missed.
 * Returns what stops the listening. */
export function listenThenLoad(listeners: Promise<UnlistenFn>[], load: () => unknown): () => void {
  Promise.all(listeners).then(load, load);
  return () => listeners.forEach((p) => p.then((f) => f()));
}

/** An IpcError from whatever a command rejected with. */
export function asError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    return e as IpcError;
  }
  return { code: "internal", message: String(e) };
}
