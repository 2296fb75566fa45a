//! Tauri commands: parse, delegate to the [`Desk`](crate::desk::Desk) (and
//! so to `onair-client`), map errors to the one IPC shape. Nothing else.

use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::clipboard;
use crate::desk::Desk;
use crate::models::{
    AppView, ChannelView, ChatEventView, ChatMessageView, CreateLiveInput, IpcError, LiveView,
    ModAction, ModRecord, ObsView, ProfileInput, ProfileView, SampleView, SessionEventView,
    Settings, StreamSessionView, UiStats,
};

type Result<T> = std::result::Result<T, IpcError>;

#[tauri::command]
pub async fn app_view(desk: State<'_, Desk>) -> Result<AppView> {
    desk.view().await
}

#[tauri::command]
pub async fn start_demo(desk: State<'_, Desk>) -> Result<AppView> {
    desk.start_demo(false).await
}

/// Starts a browser login; returns the login URL.
#[tauri::command]
pub async fn login(desk: State<'_, Desk>) -> Result<String> {
    desk.login().await
}

#[tauri::command]
pub async fn cancel_login(desk: State<'_, Desk>) -> Result<()> {
    desk.cancel_login().await;
    Ok(())
}

#[tauri::command]
pub async fn logout(desk: State<'_, Desk>) -> Result<()> {
    desk.logout().await
}

#[tauri::command]
pub async fn channels(desk: State<'_, Desk>) -> Result<Vec<ChannelView>> {
    desk.channels().await
}

#[tauri::command]
pub async fn lives(
    desk: State<'_, Desk>,
    channel_id: String,
    filter: String,
) -> Result<Vec<LiveView>> {
    desk.lives(&channel_id, &filter).await
}

#[tauri::command]
pub async fn live(desk: State<'_, Desk>, live_id: String) -> Result<LiveView> {
    desk.live(&live_id).await
}

#[tauri::command]
pub async fn create_live(
    desk: State<'_, Desk>,
    channel_id: String,
    input: CreateLiveInput,
) -> Result<LiveView> {
    desk.create_live(&channel_id, input).await
}

#[tauri::command]
pub async fn start_live(desk: State<'_, Desk>, live_id: String) -> Result<LiveView> {
    desk.start_live(&live_id).await
}

#[tauri::command]
pub async fn stop_live(desk: State<'_, Desk>, live_id: String) -> Result<LiveView> {
    desk.stop_live(&live_id).await
}

/// Watches a live; its changes arrive as `live-event` events.
#[tauri::command]
pub async fn watch_live(desk: State<'_, Desk>, live_id: String) -> Result<()> {
    desk.watch(&live_id).await
}

#[tauri::command]
pub async fn unwatch_live(desk: State<'_, Desk>) -> Result<()> {
    desk.unwatch().await;
    Ok(())
}

/// Follows a live's chat for the chat pane (events: `chat-event`).
#[tauri::command]
pub async fn follow_chat(
    desk: State<'_, Desk>,
    live_id: String,
    on_event: Channel<ChatEventView>,
) -> Result<()> {
    // A channel, not a window event: a busy chat's batches (up to 1,000
    // messages) are fetched by the page instead of evaluated as scripts.
    desk.follow_chat(&live_id, move |view| {
        let _ = on_event.send(view);
    })
    .await
}

#[tauri::command]
pub async fn unfollow_chat(desk: State<'_, Desk>) -> Result<()> {
    desk.unfollow_chat().await;
    Ok(())
}

#[tauri::command]
pub async fn send_chat(
    desk: State<'_, Desk>,
    live_id: String,
    text: String,
) -> Result<ChatMessageView> {
    desk.send_chat(&live_id, &text).await
}

/// One moderation call (events: `moderation` for every call, refused or not).
#[tauri::command]
pub async fn moderate(
    desk: State<'_, Desk>,
    live_id: String,
    user_id: String,
    action: ModAction,
) -> Result<ModRecord> {
    desk.moderate(&live_id, &user_id, action).await
}

#[tauri::command]
pub async fn moderation_log(desk: State<'_, Desk>, live_id: String) -> Result<Vec<ModRecord>> {
    Ok(desk.moderation_log(&live_id))
}

/// Copies the ingest server URL.
#[tauri::command]
pub async fn copy_server<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    live_id: String,
) -> Result<()> {
    clipboard::copy_stream(&app, &desk, &live_id, clipboard::Part::Server).await
}

/// Copies the stream key from Rust: it never enters the webview. The
/// clipboard is cleared after 30 s if it still holds the key.
#[tauri::command]
pub async fn copy_key<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    live_id: String,
) -> Result<()> {
    clipboard::copy_stream(&app, &desk, &live_id, clipboard::Part::Key).await
}

#[tauri::command]
pub async fn sessions(desk: State<'_, Desk>, live_id: String) -> Result<Vec<StreamSessionView>> {
    desk.sessions(&live_id).await
}

#[tauri::command]
pub async fn session_events(
    desk: State<'_, Desk>,
    session_id: String,
) -> Result<Vec<SessionEventView>> {
    desk.session_events(&session_id).await
}

/// A new stream key; refused while the live is on air.
#[tauri::command]
pub async fn regenerate_key(desk: State<'_, Desk>, live_id: String) -> Result<()> {
    desk.regenerate_key(&live_id).await
}

/// Adds a service; a wrong field comes back as `{code: "profile", field, message}`.
#[tauri::command]
pub async fn add_profile(desk: State<'_, Desk>, input: ProfileInput) -> Result<ProfileView> {
    desk.add_profile(input).await
}

#[tauri::command]
pub async fn choose_profile(desk: State<'_, Desk>, id: String) -> Result<AppView> {
    desk.choose_profile(&id).await
}

/// Back to the service picker.
#[tauri::command]
pub async fn leave_profile(desk: State<'_, Desk>) -> Result<AppView> {
    desk.leave_profile().await
}

/// The stream key, for the "hold to reveal" button only: the user asked to
/// see it, and the UI drops it when the button is released.
#[tauri::command]
pub async fn reveal_key(
    desk: State<'_, Desk>,
    live_id: String,
    confirmed: Option<bool>,
) -> Result<String> {
    // Streamer mode (OBS live, or the setting): only after a confirmation.
    if desk.streamer_mode().await && confirmed != Some(true) {
        return Err(IpcError::new(
            "streamer_mode",
            "streamer mode is on: confirm to show the stream key on screen",
        ));
    }
    Ok(desk.stream_target(&live_id).await?.key.into_inner())
}

/// The counters seen for a live since onair started watching it.
#[tauri::command]
pub async fn live_series(desk: State<'_, Desk>, live_id: String) -> Result<Vec<SampleView>> {
    Ok(desk.series(&live_id))
}

#[tauri::command]
pub async fn settings(desk: State<'_, Desk>) -> Result<Settings> {
    Ok(desk.settings())
}

#[tauri::command]
pub async fn set_settings(desk: State<'_, Desk>, settings: Settings) -> Result<Settings> {
    desk.set_settings(settings)
}

/// The UI has drawn `screen` and can be used: logged with the time since
/// the process started (the start-time figure of `make bench`).
#[tauri::command]
pub async fn ui_ready(screen: String) -> Result<()> {
    let screen: String = screen
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect();
    tracing::info!(screen, ms = crate::since_start_ms() as u64, "ui ready");
    Ok(())
}

/// OBS as the app sees it now.
#[tauri::command]
pub async fn obs_view(desk: State<'_, Desk>) -> Result<ObsView> {
    Ok(desk.obs().view().await)
}

/// Connects to OBS (settings' host and port); a password given is kept in
/// the OS keyring once OBS took it.
#[tauri::command]
pub async fn obs_connect(desk: State<'_, Desk>, password: Option<String>) -> Result<ObsView> {
    desk.obs().connect(&desk.settings().obs, password).await
}

#[tauri::command]
pub async fn obs_disconnect(desk: State<'_, Desk>) -> Result<()> {
    desk.obs().disconnect(&desk.settings().obs).await;
    Ok(())
}

/// Send to OBS: the live's server and key.
#[tauri::command]
pub async fn obs_send(desk: State<'_, Desk>, live_id: String) -> Result<ObsView> {
    desk.send_to_obs(&live_id).await
}

/// Undo the last Send to OBS.
#[tauri::command]
pub async fn obs_undo(desk: State<'_, Desk>) -> Result<ObsView> {
    desk.obs().undo(&desk.settings().obs).await
}

/// OBS not running: the live's server and key into OBS's settings file.
#[tauri::command]
pub async fn obs_write_file(desk: State<'_, Desk>, live_id: String) -> Result<String> {
    desk.write_obs_file(&live_id).await
}

#[tauri::command]
pub async fn obs_stop_stream(desk: State<'_, Desk>) -> Result<()> {
    desk.obs().stop_stream(&desk.settings().obs).await
}

/// What the page measured (`--measure-ui`), to the log for the benchmarks.
#[tauri::command]
pub async fn ui_stats(stats: UiStats) -> Result<()> {
    tracing::info!(
        frames = stats.frames,
        longest_ms = stats.longest_ms,
        p95_ms = stats.p95_ms,
        received = stats.received,
        unshown = stats.unshown,
        lag_ms = stats.lag_ms,
        batch_ms = stats.batch_ms,
        "ui stats"
    );
    Ok(())
}

/// Opens a channel or live page in the system browser, after the user's
/// click; only http(s) URLs.
#[tauri::command]
pub async fn open_url(url: String) -> Result<()> {
    let parsed =
        url::Url::parse(&url).map_err(|_| IpcError::new("invalid", "not a web address"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(IpcError::new(
            "invalid",
            "only web pages (http, https) are opened",
        ));
    }
    webbrowser::open(parsed.as_str())
        .map_err(|e| IpcError::new("browser", format!("no browser could be opened: {e}")))
}
