//! The tray icon: red when on air, grey when not; its menu shows the
//! window, copies server and key of the live on the dashboard, asks the
//! window to confirm a stop, and quits.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::clipboard;
use crate::desk::Desk;

const TRAY: &str = "onair-tray";
const ON_AIR: &[u8] = include_bytes!("../../icons/tray-on-air.png");
const OFF_AIR: &[u8] = include_bytes!("../../icons/tray-off-air.png");

fn icon(on_air: bool) -> tauri::Result<Image<'static>> {
    Image::from_bytes(if on_air { ON_AIR } else { OFF_AIR })
}

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, "show", "Show onair", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "copy-server", "Copy server URL", true, None::<&str>)?,
            &MenuItem::with_id(app, "copy-key", "Copy stream key", true, None::<&str>)?,
            &MenuItem::with_id(app, "stop", "Stop live…", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit onair", true, None::<&str>)?,
        ],
    )?;
    TrayIconBuilder::with_id(TRAY)
        .icon(icon(false)?)
        .tooltip("onair: off air")
        .menu(&menu)
        .on_menu_event(|app, event| {
            let app = app.clone();
            match event.id().as_ref() {
                "show" => show(&app),
                "quit" => app.exit(0),
                "stop" => {
                    show(&app);
                    let _ = app.emit(crate::events::CONFIRM_STOP, ());
                }
                which @ ("copy-server" | "copy-key") => {
                    let part = if which == "copy-key" {
                        clipboard::Part::Key
                    } else {
                        clipboard::Part::Server
                    };
                    tauri::async_runtime::spawn(async move {
                        let desk = app.state::<Desk>();
                        let Some(live) = desk.watched().await else {
                            return;
                        };
                        if let Err(e) = clipboard::copy_stream(&app, &desk, &live, part).await {
                            tracing::warn!(error = %e.message, "tray copy");
                        }
                    });
                }
                _ => {}
            }
        })
        .build(app)?;
    Ok(())
}

/// Shows and focuses the main window.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Switches the tray between its on-air and off-air looks.
pub fn set_on_air<R: Runtime>(app: &AppHandle<R>, on_air: bool) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        if let Ok(i) = icon(on_air) {
            let _ = tray.set_icon(Some(i));
        }
        let _ = tray.set_tooltip(Some(if on_air {
            "onair: ON AIR"
        } else {
            "onair: off air"
        }));
        // Text beside the icon where the platform has it (Linux panels,
        // macOS menu bar); Linux trays have no tooltips.
        let _ = tray.set_title(on_air.then_some("ON AIR"));
        tracing::info!(on_air, "tray");
    }
}
