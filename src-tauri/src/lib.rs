//! onair, the desktop app: a thin Tauri shell over `onair-desk`, which
//! holds what the app does.
//!
//! # Layout
//! - [`commands`]: the IPC commands, a line or three each: parse, delegate
//!   to the [`Desk`], map its answer to the models and its error to
//!   [`error::IpcError`].
//! - [`models`]: what crosses IPC, built from the desk's and the API's
//!   types.
//! - [`error`]: the one IPC error shape, with a code enum.
//! - [`events`]: the events to the UI, one payload type each.
//! - `typescript` (tests): generates `ui/src/lib/ipc-types.ts`, the types
//!   as string unions and interfaces, a typed function per command and a
//!   listener per event; a test fails when the file is stale.
//! - [`tray`]: the tray icon (on air / off air) and its menu.
//! - [`clipboard`]: copies from Rust, so a stream key never enters the
//!   webview.
//! - [`preview`]: the `preview:` scheme, the dashboard's preview's only
//!   way to the service's watch stream.
//!
//! [`run`] builds the app; [`build`] is generic over the Tauri runtime so
//! tests can use the mock runtime.

pub mod clipboard;
pub mod commands;
pub mod error;
pub mod events;
pub mod models;
pub mod picture;
pub mod preview;
pub mod tray;
#[cfg(test)]
mod typescript;
pub mod words;

use std::sync::Arc;

use onair_client::{KeyringStore, Profiles, TokenStore};
use onair_desk::{Desk, DeskEvent, ObsAfterEnd};
use tauri::{Manager, Runtime};
use tracing_subscriber::Layer;

use crate::events::{emit, AppChanged};
use crate::models::{IngestView, LiveEventView, LoginFinished, ModRecordView};

/// Command-line options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--demo`: start on the built-in demo service.
    pub demo: bool,
    /// `--demo-fresh`: the demo service from clean data.
    pub demo_fresh: bool,
    /// `ONAIR_DEMO_ADMIN_TOKEN` (environment, never an argument): the demo
    /// service's operator token, for scripted operator actions.
    pub demo_admin_token: Option<String>,
    /// Desktop integration: tray icon, single instance, window state (off
    /// in tests on the mock runtime, which has no GTK or session bus).
    pub tray: bool,
    /// `--live <id>`: open that live's dashboard once logged in.
    pub open_live: Option<String>,
    /// `--blank`: show an empty page instead of the UI (the memory
    /// benchmark's baseline: the same webview, nothing in it).
    pub blank: bool,
    /// `--measure-ui`: the page reports its frame times and the chat it
    /// took in to the log (the chat benchmark).
    pub measure_ui: bool,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cli {
    /// Start the app.
    Run(Options),
    /// `--help`, `-h`: print [`USAGE`] and exit.
    Help,
    /// `--version`, `-V`: print the version and exit.
    Version,
}

/// `onair --help`.
pub const USAGE: &str = "\
onair: a desktop companion for streamers and chat moderators

Usage: onair [OPTIONS]

Options:
  --demo           start on the built-in demo service
  --demo-fresh     the same, from clean data
  --live <ID>      open that live's dashboard once logged in (its chat when
                   it is someone else's)
  --blank          show an empty page (the memory benchmark's baseline)
  --measure-ui     the page logs its frame times and the chat it took in
                   (the chat benchmark)
  -V, --version    print the version and exit
  -h, --help       print this and exit

Without an option onair reopens the service it last used, logged in from
the OS keyring.

Environment:
  ONAIR_DEMO_ADMIN_TOKEN   the demo service's operator token
  ONAIR_GPU=1              WebKit's GPU compositing (Linux; off by default)
";

impl Cli {
    /// Reads the flags; `demo_admin_token` comes from the environment. An
    /// unknown flag, or `--live` without an id, is refused in words.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut o = Options {
            tray: true,
            ..Options::default()
        };
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            match a.as_str() {
                "--live" => {
                    let id = args
                        .next()
                        .filter(|id| !id.is_empty() && !id.starts_with('-'));
                    o.open_live = Some(id.ok_or("--live needs a live's id")?);
                }
                "--blank" => o.blank = true,
                "--measure-ui" => o.measure_ui = true,
                "--demo" => o.demo = true,
                "--demo-fresh" => {
                    o.demo = true;
                    o.demo_fresh = true;
                }
                "--help" | "-h" => return Ok(Cli::Help),
                "--version" | "-V" => return Ok(Cli::Version),
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        Ok(Cli::Run(o))
    }
}

/// The app on any runtime: plugins, state, commands, tray.
pub fn build<R: Runtime>(
    builder: tauri::Builder<R>,
    options: Options,
    store: Arc<dyn TokenStore>,
) -> tauri::Builder<R> {
    let builder = if options.tray {
        // First: a second launch only brings the running window forward.
        builder
            .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
                tray::show(app);
            }))
            .plugin(tauri_plugin_window_state::Builder::default().build())
    } else {
        builder
    };
    builder
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .register_asynchronous_uri_scheme_protocol(preview::SCHEME, preview::handle)
        .register_asynchronous_uri_scheme_protocol(picture::SCHEME, picture::handle)
        .invoke_handler(tauri::generate_handler![
            commands::app_view,
            commands::start_demo,
            commands::login,
            commands::cancel_login,
            commands::logout,
            commands::channels,
            commands::lives,
            commands::live,
            commands::create_live,
            commands::start_live,
            commands::stop_live,
            commands::watch_live,
            commands::unwatch_live,
            commands::copy_server,
            commands::copy_key,
            commands::sessions,
            commands::session_events,
            commands::regenerate_key,
            commands::add_profile,
            commands::lookup_service,
            commands::choose_profile,
            commands::leave_profile,
            commands::reveal_key,
            commands::live_series,
            commands::settings,
            commands::set_settings,
            commands::ui_ready,
            commands::ui_stats,
            commands::open_url,
            commands::follow_chat,
            commands::unfollow_chat,
            commands::send_chat,
            commands::moderate,
            commands::moderation_log,
            commands::obs_view,
            commands::obs_connect,
            commands::obs_disconnect,
            commands::obs_send,
            commands::obs_resend,
            commands::obs_test_scene,
            commands::obs_undo,
            commands::obs_write_file,
            commands::obs_stop_stream,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let data_dir = app.path().app_data_dir()?;
            std::fs::create_dir_all(&data_dir)?;
            let profiles_path = app
                .path()
                .app_config_dir()
                .map(|d| d.join("profiles.json"))
                .unwrap_or_else(|_| Profiles::default_path());
            let (desk, events) = Desk::new(&data_dir, &profiles_path, store.clone());
            words::set(desk.settings().language);
            app.manage(desk.with_demo_admin_token(options.demo_admin_token.clone()));
            app.manage(options.clone());
            tauri::async_runtime::spawn(forward(handle.clone(), events));
            if options.tray {
                tray::create(&handle)?;
            }
            #[cfg(target_os = "linux")]
            if let Some(w) = app.get_webview_window("main") {
                paint_without_compositing(&w);
            }
            if options.blank {
                if let Some(w) = app.get_webview_window("main") {
                    w.navigate("about:blank".parse().expect("static URL"))?;
                }
            }
            if options.demo {
                let handle = handle.clone();
                let fresh = options.demo_fresh;
                tauri::async_runtime::spawn(async move {
                    let desk = handle.state::<Desk>();
                    if let Err(e) = desk.start_demo(fresh).await {
                        tracing::error!(error = %e, "demo mode");
                    }
                    emit(&handle, AppChanged);
                });
            } else if !options.blank {
                // Back where the user was: the last service, still logged in.
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    let desk = handle.state::<Desk>();
                    if let Some(Err(e)) = desk.resume().await {
                        tracing::warn!(error = %e, "last service not reopened");
                    }
                    emit(&handle, AppChanged);
                });
            }
            if !options.blank {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    handle.state::<Desk>().connect_obs_at_start().await;
                });
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window hides it to the tray (a setting); the
            // tray's Quit quits.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let hide = window
                    .try_state::<Desk>()
                    .is_some_and(|d| d.settings().hide_on_close);
                if hide {
                    api.prevent_close();
                    let _ = window.hide();
                    emit(window.app_handle(), events::WindowShown { shown: false });
                }
            }
        })
}

/// WebKitGTK composites every frame through GL by default. Without a GPU
/// (virtual machines, remote desktops, Xvfb) that GL is software, and each
/// repaint becomes a full-window composite: the dashboard's one-second clock
/// alone cost 4 % of a core (`make bench`). onair draws text and one chart, and
/// streamers want the GPU left to their encoder: paint without compositing
/// (0.8 % in the same bench). `ONAIR_GPU=1` keeps WebKit's default.
#[cfg(target_os = "linux")]
fn paint_without_compositing<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    if std::env::var_os("ONAIR_GPU").is_some_and(|v| v == "1") {
        return;
    }
    let _ = window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
}

/// The desk's events to the window, the tray and the notifications.
async fn forward<R: Runtime>(
    app: tauri::AppHandle<R>,
    mut events: tokio::sync::mpsc::UnboundedReceiver<DeskEvent>,
) {
    while let Some(event) = events.recv().await {
        match event {
            DeskEvent::LoginFinished(outcome) => emit(&app, LoginFinished::from(outcome)),
            DeskEvent::Live { event, sample } => {
                if let Some(view) = LiveEventView::from_event(&event, sample) {
                    emit(&app, view);
                }
            }
            DeskEvent::ForcedEnd { title, reason, obs } => {
                notify_forced_end(&app, &title, reason, obs);
            }
            DeskEvent::Obs(status) => {
                tray::set_obs_live(&app, status.streaming);
                emit(&app, models::obs_view_of(&status));
            }
            DeskEvent::Air(air) => tray::set_air(&app, air),
            DeskEvent::Ingest(health) => emit(&app, IngestView::from(&health)),
            DeskEvent::SignalLost { title, ends_in } => notify_signal_lost(&app, &title, ends_in),
            DeskEvent::Moderation(record) => emit(&app, ModRecordView::from(&record)),
        }
    }
}

/// A desktop notification: the live is on air, and its stream stopped
/// arriving (the tray says "no signal" too).
fn notify_signal_lost<R: Runtime>(
    app: &tauri::AppHandle<R>,
    title: &str,
    ends_in: Option<std::time::Duration>,
) {
    let w = words::now();
    let body = match ends_in {
        Some(left) => words::fill(
            w.signal_ends,
            &[("title", title), ("s", &left.as_secs().to_string())],
        ),
        None => words::fill(w.signal_on_air, &[("title", title)]),
    };
    notify(app, w.signal_title, &body);
}

/// A desktop notification, sent from Rust (the webview needs no
/// permission).
pub(crate) fn notify<R: Runtime>(app: &tauri::AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(error = %e, "notification");
    }
}

/// A desktop notification: the service ended the live (spec §3). Sent from
/// Rust, so the webview needs no notification permission.
fn notify_forced_end<R: Runtime>(
    app: &tauri::AppHandle<R>,
    title: &str,
    reason: Option<onair_api::EndReason>,
    obs: Option<ObsAfterEnd>,
) {
    use onair_api::EndReason;
    let w = words::now();
    let why = match reason {
        Some(EndReason::ChannelDisabled) => w.ended_disabled,
        Some(EndReason::StreamerBanned) => w.ended_banned,
        Some(EndReason::Replaced) => w.ended_replaced,
        Some(EndReason::SignalLost) => w.ended_signal,
        _ => w.ended_service,
    };
    let after = match obs {
        None => String::new(),
        Some(ObsAfterEnd::StillStreaming) => w.obs_still.to_owned(),
        Some(ObsAfterEnd::Stopped) => w.obs_stopped.to_owned(),
        Some(ObsAfterEnd::StopFailed(e)) => {
            words::fill(w.obs_stop_failed, &[("e", &e.to_string())])
        }
    };
    notify(
        app,
        w.ended_title,
        &(words::fill(why, &[("title", title)]) + &after),
    );
}

/// Logs to stderr and to `onair.log` in the app's log dir (Tauri's
/// `app_log_dir` on Linux). Secrets cannot reach it: every token, client
/// secret and stream key is a `Secret`, whose Debug and Display are
/// redacted (the e2e test greps this file for the stream key).
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            "info,onair=debug,onair_app=debug,onair_desk=debug,onair_client=debug".into()
        })
    };
    let file = dirs::data_dir()
        .map(|d| d.join(IDENTIFIER).join("logs"))
        .and_then(|dir| {
            std::fs::create_dir_all(&dir).ok()?;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("onair.log"))
                .ok()
        });
    let file_layer = file.map(|f| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(f))
            .with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(filter()))
        .with(file_layer)
        .try_init();
}

/// `identifier` of tauri.conf.json (names the data, config and log dirs).
pub const IDENTIFIER: &str = "dev.onair.desktop";

/// When the process started, for the start-time figure of `make bench`.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Milliseconds since the process started.
pub fn since_start_ms() -> u128 {
    STARTED
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis()
}

/// How the page's JavaScript heap may grow, set for WebKitGTK's web
/// process (it inherits the app's environment): JSC's own options, named
/// `JSC_<option>`, each left alone when the user has set it.
///
/// JSC lets a page's heap reach its minimum size (32 MiB) and then a
/// multiple of what is live before it collects, and on machines with 16 GiB
/// or more that multiple is about 4 (2 below). A busy chat allocates a
/// steady stream (each batch's JSON, its messages, the lines leaving the
/// buffer), so the web process's memory rose and fell by 50-70 MiB in
/// cycles of minutes (`make bench`, the chat pane at 200 msg/s: 224-298 MiB
/// at the minute marks of 10 minutes). Collecting at 8 MiB, then at twice
/// what is live, keeps it flat: 214-231 MiB in 10 s samples over the same
/// 10 minutes, each collection a few ms.
#[cfg(target_os = "linux")]
const JS_HEAP: [(&str, &str); 2] = [
    ("JSC_largeHeapSize", "8388608"),
    ("JSC_heapGrowthMaxIncrease", "1.0"),
];

/// Sets [`JS_HEAP`]; call it first in `main`, before any thread or webview
/// exists.
pub fn tune_js_heap() {
    #[cfg(target_os = "linux")]
    for (name, value) in JS_HEAP {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// Starts the app (the binary's `main`).
pub fn run() {
    since_start_ms();
    let mut options = match Cli::parse(std::env::args().skip(1)) {
        Ok(Cli::Run(options)) => options,
        Ok(Cli::Help) => {
            print!("{USAGE}");
            return;
        }
        Ok(Cli::Version) => {
            println!("onair {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        Err(why) => {
            eprint!("onair: {why}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    init_logging();
    options.demo_admin_token = std::env::var("ONAIR_DEMO_ADMIN_TOKEN").ok();
    let store: Arc<dyn TokenStore> = Arc::new(KeyringStore::default());
    let app =
        match build(tauri::Builder::default(), options, store).build(tauri::generate_context!()) {
            Ok(app) => app,
            Err(tauri::Error::PluginInitialization(plugin, why)) if plugin == "single-instance" => {
                start_again(&why)
            }
            Err(e) => panic!("onair failed to start: {e}"),
        };
    app.run(|app, event| {
        if let tauri::RunEvent::ExitRequested { .. } = event {
            let desk = app.state::<Desk>();
            tauri::async_runtime::block_on(desk.shutdown());
        }
    });
}

/// A second start hands its arguments to the running instance over D-Bus;
/// when that instance quits in between (it had the name, then left without
/// answering), this one starts afresh, once, in place of itself (same
/// process id), rather than failing.
fn start_again(why: &str) -> ! {
    const AGAIN: &str = "ONAIR_STARTED_AGAIN";
    if std::env::var_os(AGAIN).is_some() {
        panic!("onair failed to start: {why}");
    }
    tracing::warn!(%why, "the running instance went away; starting again");
    std::thread::sleep(std::time::Duration::from_millis(300));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe().expect("the running binary's path");
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env(AGAIN, "1")
            .exec();
        panic!("onair failed to start again: {error}");
    }
    #[cfg(not(unix))]
    panic!("onair failed to start: {why}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn js_heap_options_leave_the_users_own() {
        // The only test touching these variables.
        std::env::set_var("JSC_largeHeapSize", "33554432");
        std::env::remove_var("JSC_heapGrowthMaxIncrease");
        tune_js_heap();
        assert_eq!(std::env::var("JSC_largeHeapSize").unwrap(), "33554432");
        assert_eq!(std::env::var("JSC_heapGrowthMaxIncrease").unwrap(), "1.0");
    }

    fn run_with(args: &[&str]) -> Options {
        match Cli::parse(args.iter().map(|a| a.to_string())) {
            Ok(Cli::Run(o)) => o,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn options() {
        let o = run_with(&["--demo-fresh"]);
        assert!(o.demo && o.demo_fresh);
        let plain = run_with(&[]);
        assert!(!plain.demo && plain.tray && !plain.blank);
        let o = run_with(&["--demo", "--live", "L1", "--blank"]);
        assert_eq!(o.open_live.as_deref(), Some("L1"));
        assert!(o.demo && o.blank && !o.measure_ui);
        assert!(run_with(&["--measure-ui"]).measure_ui);
        let parse = |args: &[&str]| Cli::parse(args.iter().map(|a| a.to_string()));
        assert_eq!(parse(&["--version"]), Ok(Cli::Version));
        assert_eq!(parse(&["--demo", "-V"]), Ok(Cli::Version));
        assert_eq!(parse(&["-h"]), Ok(Cli::Help));
        assert_eq!(parse(&["--help", "--nonsense"]), Ok(Cli::Help));
        // Bad input is refused in words, never ignored.
        assert_eq!(parse(&["--dmo"]), Err("unknown option \"--dmo\"".into()));
        assert_eq!(parse(&["--live"]), Err("--live needs a live's id".into()));
        assert_eq!(
            parse(&["--live", "--demo"]),
            Err("--live needs a live's id".into())
        );
    }

    /// The packages' manual page names every option and variable that
    /// `--help` does, and each one `--help` offers parses.
    #[test]
    fn the_manual_page_follows_the_usage() {
        let page = include_str!("../../packaging/linux/onair.1");
        let words: Vec<&str> = USAGE
            .split_whitespace()
            .map(|w| w.trim_end_matches(','))
            .collect();
        let options: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| w.starts_with('-'))
            .collect();
        let variables: Vec<&str> = words
            .iter()
            .map(|w| w.split('=').next().unwrap())
            .filter(|w| w.starts_with("ONAIR_"))
            .collect();
        assert!(options.len() >= 8 && variables.len() == 2, "{words:?}");
        for o in options {
            let troff = o.replace('-', "\\-");
            assert!(page.contains(&troff), "onair.1 lacks {o} (as {troff})");
            let args: &[&str] = if o == "--live" { &[o, "L1"] } else { &[o] };
            assert!(
                Cli::parse(args.iter().map(|a| a.to_string())).is_ok(),
                "--help offers {o}, which is refused"
            );
        }
        for v in variables {
            assert!(page.contains(&format!(".B {v}")), "onair.1 lacks {v}");
        }
        let version = format!("\"onair {}\"", env!("CARGO_PKG_VERSION"));
        assert!(page.contains(&version), "onair.1's header lacks {version}");
    }
}
