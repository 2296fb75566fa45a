//! Tauri commands: parse, delegate to the [`Desk`], map its answer to the
//! IPC models and its error to [`IpcError`]. Nothing else. The UI's typed
//! functions are generated from these signatures (`ui/src/lib/ipc-types.ts`,
//! see [`crate::typescript`]): a command's doc comment is its JSDoc.

use onair_api::StatusFilter;
use onair_desk::{Desk, LookupInput, ModAction, NewProfile, Sample, ServiceLookup, Settings};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::clipboard;
use crate::error::{ErrorCode, IpcError};
use crate::models::{
    obs_view_of, AppView, ChannelView, ChatEventView, ChatMessageView, CreateLiveInput, LiveView,
    ModRecordView, ObsView, ProfileView, SessionEventView, StreamSessionView, UiStats,
};
use crate::Options;

type Result<T> = std::result::Result<T, IpcError>;

fn views<'a, T: 'a, V: From<&'a T>>(items: &'a [T]) -> Vec<V> {
    items.iter().map(V::from).collect()
}

/// What the UI shows at start.
#[tauri::command]
pub async fn app_view(desk: State<'_, Desk>, options: State<'_, Options>) -> Result<AppView> {
    Ok(AppView::new(&desk.view().await?, &options))
}

/// Starts the built-in demo service and chooses it.
#[tauri::command]
pub async fn start_demo(desk: State<'_, Desk>, options: State<'_, Options>) -> Result<AppView> {
    Ok(AppView::new(&desk.start_demo(false).await?, &options))
}

/// Starts a browser login; returns the login URL. The outcome comes as
/// the `loginFinished` event.
#[tauri::command]
pub async fn login(desk: State<'_, Desk>) -> Result<String> {
    Ok(desk.login().await?)
}

#[tauri::command]
pub async fn cancel_login(desk: State<'_, Desk>) -> Result<()> {
    desk.cancel_login();
    Ok(())
}

#[tauri::command]
pub async fn logout(desk: State<'_, Desk>) -> Result<()> {
    Ok(desk.logout().await?)
}

#[tauri::command]
pub async fn channels(desk: State<'_, Desk>) -> Result<Vec<ChannelView>> {
    Ok(views(&desk.channels().await?))
}

#[tauri::command]
pub async fn lives(
    desk: State<'_, Desk>,
    channel_id: String,
    filter: StatusFilter,
) -> Result<Vec<LiveView>> {
    Ok(views(&desk.lives(&channel_id, filter).await?))
}

#[tauri::command]
pub async fn live(desk: State<'_, Desk>, live_id: String) -> Result<LiveView> {
    Ok((&desk.live(&live_id).await?).into())
}

/// A refused title or date comes back with `field` set.
#[tauri::command]
pub async fn create_live(
    desk: State<'_, Desk>,
    channel_id: String,
    input: CreateLiveInput,
) -> Result<LiveView> {
    Ok((&desk.create_live(&channel_id, input.try_into()?).await?).into())
}

#[tauri::command]
pub async fn start_live(desk: State<'_, Desk>, live_id: String) -> Result<LiveView> {
    Ok((&desk.start_live(&live_id).await?).into())
}

#[tauri::command]
pub async fn stop_live(desk: State<'_, Desk>, live_id: String) -> Result<LiveView> {
    Ok((&desk.stop_live(&live_id).await?).into())
}

/// Watches a live; its changes arrive as `live` events.
#[tauri::command]
pub async fn watch_live(desk: State<'_, Desk>, live_id: String) -> Result<()> {
    Ok(desk.watch(&live_id).await?)
}

#[tauri::command]
pub async fn unwatch_live(desk: State<'_, Desk>) -> Result<()> {
    desk.unwatch().await;
    Ok(())
}

/// Follows a live's chat for the chat pane; its events come on a channel
/// of their own (a busy chat's batches, up to 1,000 messages, are fetched
/// by the page instead of evaluated as scripts).
#[tauri::command]
pub async fn follow_chat(
    desk: State<'_, Desk>,
    live_id: String,
    on_event: Channel<ChatEventView>,
) -> Result<()> {
    let mut rx = desk.follow_chat(&live_id).await?;
    tauri::async_runtime::spawn(async move {
        while let Some(event) = rx.recv().await {
            tracing::trace!(event = "chat", "event");
            if on_event
                .send(ChatEventView::from_event(&live_id, event))
                .is_err()
            {
                return;
            }
        }
    });
    Ok(())
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
    Ok((&desk.send_chat(&live_id, &text).await?).into())
}

/// One moderation call; every call, refused or not, also comes as a
/// `moderation` event.
#[tauri::command]
pub async fn moderate(
    desk: State<'_, Desk>,
    live_id: String,
    user_id: String,
    action: ModAction,
) -> Result<ModRecordView> {
    Ok((&desk.moderate(&live_id, &user_id, action).await?).into())
}

#[tauri::command]
pub async fn moderation_log(desk: State<'_, Desk>, live_id: String) -> Result<Vec<ModRecordView>> {
    Ok(views(&desk.moderation_log(&live_id)))
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
    Ok(views(&desk.sessions(&live_id).await?))
}

#[tauri::command]
pub async fn session_events(
    desk: State<'_, Desk>,
    session_id: String,
) -> Result<Vec<SessionEventView>> {
    Ok(views(&desk.session_events(&session_id).await?))
}

/// A new stream key; refused while the stream arrives.
#[tauri::command]
pub async fn regenerate_key(desk: State<'_, Desk>, live_id: String) -> Result<()> {
    Ok(desk.regenerate_key(&live_id).await?)
}

/// Looks a service up from its address, for the user to confirm; a wrong
/// field comes back with `field` set.
#[tauri::command]
pub async fn lookup_service(desk: State<'_, Desk>, input: LookupInput) -> Result<ServiceLookup> {
    Ok(desk.lookup_service(input).await?)
}

/// Adds a service; a wrong field comes back with `field` set.
#[tauri::command]
pub async fn add_profile(desk: State<'_, Desk>, input: NewProfile) -> Result<ProfileView> {
    Ok((&desk.add_profile(input).await?).into())
}

#[tauri::command]
pub async fn choose_profile(
    desk: State<'_, Desk>,
    options: State<'_, Options>,
    id: String,
) -> Result<AppView> {
    Ok(AppView::new(&desk.choose_profile(&id).await?, &options))
}

/// Back to the service picker.
#[tauri::command]
pub async fn leave_profile(desk: State<'_, Desk>, options: State<'_, Options>) -> Result<AppView> {
    Ok(AppView::new(&desk.leave_profile().await?, &options))
}

/// The stream key, for the "hold to reveal" button only: the user asked to
/// see it, and the UI drops it when the button is released. In streamer
/// mode, only once `confirmed`.
#[tauri::command]
pub async fn reveal_key(desk: State<'_, Desk>, live_id: String, confirmed: bool) -> Result<String> {
    Ok(desk.reveal_key(&live_id, confirmed).await?.into_inner())
}

/// The counters seen for a live since onair started watching it.
#[tauri::command]
pub async fn live_series(desk: State<'_, Desk>, live_id: String) -> Result<Vec<Sample>> {
    Ok(desk.series(&live_id))
}

#[tauri::command]
pub async fn settings(desk: State<'_, Desk>) -> Result<Settings> {
    Ok(desk.settings())
}

/// Saves the settings; a refused value comes back with `field` set.
#[tauri::command]
pub async fn set_settings<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    desk: State<'_, Desk>,
    settings: Settings,
) -> Result<Settings> {
    let before = desk.settings().language;
    let saved = desk.set_settings(settings)?;
    if saved.language != before {
        crate::words::set(saved.language);
        crate::tray::relabel(&app);
    }
    Ok(saved)
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
    Ok(obs_view_of(&desk.obs().view().await))
}

/// Connects to OBS (settings' host and port); a password given is kept in
/// the OS keyring once OBS took it.
#[tauri::command]
pub async fn obs_connect(desk: State<'_, Desk>, password: Option<String>) -> Result<ObsView> {
    Ok(obs_view_of(
        &desk.obs().connect(&desk.settings().obs, password).await?,
    ))
}

#[tauri::command]
pub async fn obs_disconnect(desk: State<'_, Desk>) -> Result<()> {
    desk.obs().disconnect(&desk.settings().obs).await;
    Ok(())
}

/// Send to OBS: the live's server and key.
#[tauri::command]
pub async fn obs_send(desk: State<'_, Desk>, live_id: String) -> Result<ObsView> {
    Ok(obs_view_of(&desk.send_to_obs(&live_id).await?))
}

/// Send to OBS again: OBS's stream stopped (when it runs), the live's
/// server and key sent, the stream started. The UI confirms first.
#[tauri::command]
pub async fn obs_resend(desk: State<'_, Desk>, live_id: String) -> Result<ObsView> {
    Ok(obs_view_of(&desk.resend_to_obs(&live_id).await?))
}

/// OBS's test scene: a colour card and a clock, put on program.
#[tauri::command]
pub async fn obs_test_scene(desk: State<'_, Desk>) -> Result<()> {
    Ok(desk.obs_test_scene().await?)
}

/// Undo the last Send to OBS.
#[tauri::command]
pub async fn obs_undo(desk: State<'_, Desk>) -> Result<ObsView> {
    Ok(obs_view_of(&desk.obs().undo(&desk.settings().obs).await?))
}

/// OBS not running: the live's server and key into OBS's settings file;
/// returns the file's path.
#[tauri::command]
pub async fn obs_write_file(desk: State<'_, Desk>, live_id: String) -> Result<String> {
    Ok(desk.write_obs_file(&live_id).await?)
}

#[tauri::command]
pub async fn obs_stop_stream(desk: State<'_, Desk>) -> Result<()> {
    Ok(desk.obs().stop_stream(&desk.settings().obs).await?)
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
    let parsed = url::Url::parse(&url)
        .map_err(|_| IpcError::new(ErrorCode::Invalid, "not a web address"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(IpcError::new(
            ErrorCode::Invalid,
            "only web pages (http, https) are opened",
        ));
    }
    webbrowser::open(parsed.as_str()).map_err(|e| {
        IpcError::new(
            ErrorCode::Browser,
            format!("no browser could be opened: {e}"),
        )
    })
}
